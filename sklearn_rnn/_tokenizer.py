"""Turn raw text documents into sequences of integer token ids."""

import array
import numbers
import reprlib
import warnings
from collections import Counter
from collections.abc import Mapping, Set

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted

_DEFAULT_TOKEN_PATTERN = r"(?u)\b\w+\b"

_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40


def _n_documents(n):
    return f"{n} document" if n == 1 else f"{n} documents"


def _is_missing(value):
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    # pandas' NA and NaT; matched by name so that pandas stays optional.
    return type(value).__name__ in {"NAType", "NaTType"}


def _not_a_document_error(value, position, name):
    message = (
        f"Document at position {position} in {name} is "
        f"{type(value).__name__} ({_repr.repr(value)}), not str; "
        "every document must be a string."
    )
    if isinstance(value, bytes | bytearray):
        hint = "Decode bytes to str first, e.g. doc.decode('utf-8')."
    elif _is_missing(value):
        hint = "Replace missing documents with an empty string ''."
    elif isinstance(value, list | tuple | np.ndarray):
        hint = (
            "A document is one string, not a sequence of tokens; join "
            "pre-tokenised documents first, e.g. ' '.join(tokens)."
        )
    else:
        hint = "Convert documents to str explicitly if that is intended."
    return ValueError(f"{message} {hint}")


def check_documents(X, *, name="X"):
    """Validate a collection of raw text documents and return it as a list.

    Parameters
    ----------
    X : iterable of str
        The documents: a list, tuple, 1-D NumPy array (str or object dtype),
        pandas Series, or any other ordered iterable of str.

    name : str, default="X"
        How to refer to `X` in error messages.

    Returns
    -------
    documents : list of str
        The documents in their original order. May be empty.

    Raises
    ------
    ValueError
        If `X` is a single str or bytes object, an array that is not 1-D,
        or contains an element that is not a str (for instance None, NaN,
        a number, bytes or a list of tokens).
    TypeError
        If `X` is None, not iterable, or unordered (a set or a mapping).

    Examples
    --------
    >>> from sklearn_rnn._tokenizer import check_documents
    >>> check_documents(("good film", "bad film"))
    ['good film', 'bad film']
    """
    if isinstance(X, str):
        raise ValueError(
            "Iterable over raw text documents expected, string object received. "
            "Wrap a single document in a list, e.g. [doc]."
        )
    if isinstance(X, bytes | bytearray):
        raise ValueError(
            "Iterable over raw text documents expected, bytes object received. "
            "Decode it to str and wrap it in a list, e.g. [doc.decode('utf-8')]."
        )
    if X is None:
        raise TypeError(
            f"{name} is None; documents are required: pass an iterable of str, "
            "e.g. a list of strings."
        )

    if hasattr(X, "__array__") or hasattr(X, "shape"):
        # Converting arrays, Series and DataFrames through NumPy lets a 2-D
        # input be rejected instead of iterating over its column labels.
        values = np.asarray(X, dtype=object)
        if values.ndim != 1:
            raise ValueError(
                f"Expected a 1-D sequence of documents for {name}, got an array "
                f"with shape {values.shape}. Pass a single column of text, "
                "e.g. df['text'] or X[:, 0]."
            )
        documents = values.tolist()
    elif isinstance(X, Set | Mapping):
        raise TypeError(
            f"{name} is a {type(X).__name__}, which has no fixed order; pass the "
            "documents as a list so that they line up with their targets."
        )
    else:
        try:
            documents = list(X)
        except TypeError:
            raise TypeError(
                "Iterable over raw text documents expected, got "
                f"{type(X).__name__} object for {name}."
            ) from None

    for position, document in enumerate(documents):
        if not isinstance(document, str):
            raise _not_a_document_error(document, position, name)
    return documents


class TextTokenizer(TransformerMixin, BaseEstimator):
    """Map raw text documents to sequences of integer token ids.

    Each document is split into tokens (words or characters) with
    scikit-learn's text analysis, and each token is replaced by its id in a
    vocabulary learnt during :meth:`fit`. The output is meant as input for a
    recurrent network: ids 0 and 1 are reserved for padding and for tokens
    outside the vocabulary.

    Parameters
    ----------
    analyzer : {"word", "char"}, default="word"
        Whether a token is a word, found with `token_pattern`, or a single
        character.

    lowercase : bool, default=True
        Convert all characters to lowercase before tokenising.

    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression that matches a token, used only when
        ``analyzer="word"``. If it has one capturing group, the group's
        content becomes the token. Unlike the default of
        :class:`~sklearn.feature_extraction.text.CountVectorizer`, the default
        keeps one-letter words such as "i" and "a".

    strip_accents : {"ascii", "unicode"} or callable, default=None
        Remove accents and perform other character normalisation before
        tokenising, as in :class:`~sklearn.feature_extraction.text.CountVectorizer`.
        "ascii" is fast but only handles characters with a direct ASCII
        mapping; "unicode" handles any character. None does nothing.

    stop_words : {"english"} or list of str, default=None
        Words to drop, used only when ``analyzer="word"``. "english" uses
        scikit-learn's built-in list, which has known issues (see
        :ref:`stop_words` in the scikit-learn user guide). Stop words are
        removed after lowercasing and tokenising.

    min_df : float in range [0.0, 1.0] or int, default=1
        Keep only tokens found in at least this many documents (int) or this
        proportion of documents (float).

    max_df : float in range [0.0, 1.0] or int, default=1.0
        Keep only tokens found in at most this many documents (int) or this
        proportion of documents (float). A float below 1.0 acts as a
        corpus-specific stop-word list.

    max_features : int, default=None
        Keep at most this many tokens, the most frequent ones in the training
        corpus (after `min_df` and `max_df` filtering). None keeps all of them.

    max_len : int, default=None
        Keep only the first `max_len` tokens of each document when
        transforming. None keeps all tokens.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Maps each kept token to its id. Ids start at 2; the reserved ids are
        not included.

    tokens_ : ndarray of object, shape (vocabulary_size_,)
        ``tokens_[i]`` is the token with id ``i``. ``tokens_[0]`` is
        `PAD_TOKEN` and ``tokens_[1]`` is `UNK_TOKEN`.

    vocabulary_size_ : int
        Number of distinct ids, reserved ids included: every id produced by
        :meth:`transform` is below this value, so it is the number of rows an
        embedding or input-weight matrix needs.

    PAD_ID : int
        Class attribute, 0. Id used to pad short documents in :meth:`transform`.

    UNK_ID : int
        Class attribute, 1. Id of tokens not in `vocabulary_`.

    PAD_TOKEN : str
        Class attribute, "<pad>". Display string for `PAD_ID`.

    UNK_TOKEN : str
        Class attribute, "<unk>". Display string for `UNK_ID`, returned by
        :meth:`inverse_transform`.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts,
        whose preprocessing and tokenisation this class reuses.
    sklearn_rnn.TextRNNClassifier : Recurrent network classifier that uses
        this tokenizer on raw text.

    Notes
    -----
    Ids are assigned in order of decreasing number of occurrences in the
    training corpus, ties broken by the token string, so the same corpus
    always gives the same ids, whatever the order of its documents or the
    Python hash seed.

    Tokens are counted, then filtered by document frequency (`min_df`,
    `max_df`), then cut to `max_features`.

    With ``analyzer="char"`` every character is a token, including spaces,
    and runs of whitespace (spaces, tabs, newlines) are first collapsed into
    one space by scikit-learn's character analyzer. `token_pattern` and
    `stop_words` are ignored in that case.

    Examples
    --------
    >>> from sklearn_rnn import TextTokenizer
    >>> docs = ["the cat sat", "the dog sat down", "a cat"]
    >>> tokenizer = TextTokenizer().fit(docs)
    >>> tokenizer.vocabulary_
    {'cat': 2, 'sat': 3, 'the': 4, 'a': 5, 'dog': 6, 'down': 7}
    >>> tokenizer.transform(["the cat sat down", "a bird"])
    array([[4, 2, 3, 7],
           [5, 1, 0, 0]])
    >>> token_ids, offsets = tokenizer.transform_ragged(["the cat sat down", "a bird"])
    >>> token_ids
    array([4, 2, 3, 7, 5, 1])
    >>> offsets
    array([0, 4, 6])
    >>> tokenizer.inverse_transform([[5, 1, 0, 0]])
    [['a', '<unk>']]
    """

    PAD_ID = 0
    UNK_ID = 1
    PAD_TOKEN = "<pad>"
    UNK_TOKEN = "<unk>"

    _parameter_constraints: dict = {
        "analyzer": [StrOptions({"word", "char"})],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "strip_accents": [StrOptions({"ascii", "unicode"}), callable, None],
        "stop_words": [StrOptions({"english"}), list, None],
        "min_df": [
            Interval(RealNotInt, 0, 1, closed="both"),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "max_df": [
            Interval(RealNotInt, 0, 1, closed="both"),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "max_features": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_len": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        analyzer="word",
        lowercase=True,
        token_pattern=_DEFAULT_TOKEN_PATTERN,
        strip_accents=None,
        stop_words=None,
        min_df=1,
        max_df=1.0,
        max_features=None,
        max_len=None,
    ):
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.strip_accents = strip_accents
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.max_len = max_len

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary of the training documents.

        Parameters
        ----------
        X : iterable of str
            Training documents; see :func:`check_documents` for the accepted
            containers.

        y : None
            Ignored.

        Returns
        -------
        self : TextTokenizer
            The fitted tokenizer.
        """
        documents = check_documents(X)
        # A generator keeps only one document's tokens in memory at a time.
        self._learn_vocabulary(self._iter_tokens(documents))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the padded id matrix of `X`.

        Equivalent to ``fit(X).transform(X)`` but tokenises `X` only once.

        Parameters
        ----------
        X : iterable of str
            Training documents.

        y : None
            Ignored.

        Returns
        -------
        X_ids : ndarray of int64, shape (n_documents, max_length)
            Same as :meth:`transform`.
        """
        documents = check_documents(X)
        token_lists = list(self._iter_tokens(documents))
        self._learn_vocabulary(token_lists)
        return self._pad(*self._to_ragged(token_lists))

    def transform(self, X):
        """Replace each document by its right-padded sequence of token ids.

        Parameters
        ----------
        X : iterable of str
            Documents to transform.

        Returns
        -------
        X_ids : ndarray of int64, shape (n_documents, max_length)
            Row ``i`` holds the ids of document ``i`` followed by `PAD_ID`.
            `max_length` is the number of tokens in the longest document
            (after `max_len` truncation), 0 if all documents are empty.
            Tokens not in `vocabulary_` get `UNK_ID`.
        """
        token_ids, offsets = self.transform_ragged(X)
        return self._pad(token_ids, offsets)

    def transform_ragged(self, X):
        """Replace documents by token ids, concatenated without padding.

        Memory grows with the total number of tokens rather than with the
        number of documents times the longest document, which matters when
        document lengths vary a lot.

        Parameters
        ----------
        X : iterable of str
            Documents to transform.

        Returns
        -------
        token_ids : ndarray of int64, shape (n_tokens,)
            The ids of all documents, one document after the other. Tokens
            not in `vocabulary_` get `UNK_ID`.

        offsets : ndarray of int64, shape (n_documents + 1,)
            Document boundaries: ``offsets[0]`` is 0 and the ids of document
            ``i`` are ``token_ids[offsets[i]:offsets[i + 1]]``, an empty slice
            for an empty document.
        """
        check_is_fitted(self)
        documents = check_documents(X)
        return self._to_ragged(self._iter_tokens(documents))

    def inverse_transform(self, X):
        """Map padded id sequences back to token strings.

        Parameters
        ----------
        X : array-like of int, shape (n_documents, max_length)
            Token ids, as returned by :meth:`transform`.

        Returns
        -------
        documents : list of list of str
            One list of tokens per row of `X`. `PAD_ID` entries are dropped
            and `UNK_ID` becomes `UNK_TOKEN`. The original text, including
            the spelling of unknown words, cannot be recovered.
        """
        check_is_fitted(self)
        ids = np.asarray(X)
        if ids.ndim == 1 and ids.size == 0:
            return []
        if ids.ndim != 2:
            raise ValueError(
                "Expected a 2-D array of token ids as returned by transform, got "
                f"an array with shape {ids.shape}."
            )
        if ids.size == 0:
            return [[] for _ in range(ids.shape[0])]
        if ids.dtype.kind not in "iu":
            integral_floats = (
                ids.dtype.kind == "f"
                and np.isfinite(ids).all()
                and (ids == np.round(ids)).all()
            )
            if not integral_floats:
                raise ValueError(
                    f"Token ids must be integers, got an array of dtype {ids.dtype}."
                )
            ids = ids.astype(np.int64)

        out_of_range = (ids < 0) | (ids >= self.vocabulary_size_)
        if out_of_range.any():
            row, column = np.argwhere(out_of_range)[0]
            raise ValueError(
                f"Token id {ids[row, column]} at row {row}, column {column} is "
                f"out of range: ids must be between 0 and {self.vocabulary_size_ - 1} "
                f"for this vocabulary of {self.vocabulary_size_} ids."
            )
        return [self.tokens_[row[row != self.PAD_ID]].tolist() for row in ids]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags

    def _build_analyzer(self):
        """Return scikit-learn's callable mapping one document to its tokens."""
        if self.analyzer == "char":
            vectorizer = CountVectorizer(
                analyzer="char",
                ngram_range=(1, 1),
                lowercase=self.lowercase,
                strip_accents=self.strip_accents,
                token_pattern=None,
            )
        else:
            vectorizer = CountVectorizer(
                analyzer="word",
                ngram_range=(1, 1),
                lowercase=self.lowercase,
                strip_accents=self.strip_accents,
                token_pattern=self.token_pattern,
                stop_words=self.stop_words,
            )
        return vectorizer.build_analyzer()

    def _iter_tokens(self, documents):
        analyze = self._build_analyzer()
        for document in documents:
            yield analyze(document)

    def _learn_vocabulary(self, token_lists):
        """Set the fitted attributes from the training documents' tokens."""
        if self.analyzer == "char":
            ignored = [
                param
                for param, unused in [
                    ("stop_words", self.stop_words is not None),
                    ("token_pattern", self.token_pattern != _DEFAULT_TOKEN_PATTERN),
                ]
                if unused
            ]
            if ignored:
                warnings.warn(
                    f"The parameter(s) {', '.join(ignored)} will not be used since "
                    "analyzer='char'.",
                    UserWarning,
                    stacklevel=4,
                )

        counts = Counter()
        document_counts = Counter()
        n_documents = 0
        for tokens in token_lists:
            n_documents += 1
            counts.update(tokens)
            document_counts.update(dict.fromkeys(tokens).keys())

        if n_documents == 0:
            raise ValueError(
                "TextTokenizer cannot be fitted on 0 documents; X must contain at "
                "least one document."
            )
        if not counts:
            raise ValueError(
                f"No tokens found in the {_n_documents(n_documents)} used for "
                "fitting: the documents may be empty or contain only stop words."
            )

        min_count = (
            self.min_df
            if isinstance(self.min_df, numbers.Integral)
            else self.min_df * n_documents
        )
        max_count = (
            self.max_df
            if isinstance(self.max_df, numbers.Integral)
            else self.max_df * n_documents
        )
        # Sorting on (count, token) instead of relying on Counter's insertion
        # order keeps ids independent of document order.
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = [
            token
            for token, _ in ranked
            if min_count <= document_counts[token] <= max_count
        ]
        if not kept:
            raise ValueError(
                f"After filtering by document frequency (min_df={self.min_df!r}, "
                f"max_df={self.max_df!r}, {_n_documents(n_documents)}), no tokens "
                f"remain out of {len(counts)}. Try a lower min_df or a higher "
                "max_df."
            )
        if self.max_features is not None:
            kept = kept[: self.max_features]

        self.vocabulary_ = {
            token: token_id for token_id, token in enumerate(kept, start=2)
        }
        self.tokens_ = np.array([self.PAD_TOKEN, self.UNK_TOKEN, *kept], dtype=object)
        self.vocabulary_size_ = len(self.tokens_)

    def _to_ragged(self, token_lists):
        lookup = self.vocabulary_.get
        unknown = self.UNK_ID
        max_len = self.max_len
        # array.array holds 8 bytes per id, unlike a list of Python ints.
        token_ids = array.array("q")
        offsets = array.array("q", [0])
        end = 0
        for tokens in token_lists:
            if max_len is not None:
                tokens = tokens[:max_len]
            token_ids.extend([lookup(token, unknown) for token in tokens])
            end += len(tokens)
            offsets.append(end)
        return (
            np.array(token_ids, dtype=np.int64),
            np.array(offsets, dtype=np.int64),
        )

    @classmethod
    def _pad(cls, token_ids, offsets):
        lengths = np.diff(offsets)
        n_documents = len(lengths)
        width = int(lengths.max()) if n_documents else 0
        padded = np.full((n_documents, width), cls.PAD_ID, dtype=np.int64)
        rows = np.repeat(np.arange(n_documents), lengths)
        columns = np.arange(len(token_ids)) - np.repeat(offsets[:-1], lengths)
        padded[rows, columns] = token_ids
        return padded
