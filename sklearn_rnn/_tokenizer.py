"""Turn raw text documents into sequences of integer token ids."""

import array
import functools
import itertools
import numbers
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.utils import murmurhash3_32
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._persistence import VersionedStateMixin
from ._sequences import TRUNCATIONS, truncate
from ._validation import (
    check_documents,
    check_one_column_of_documents,
    check_sample_weight,
    check_token_ids,
    read_once,
)
from ._warnings import warn

_DEFAULT_TOKEN_PATTERN = r"(?u)\b\w+\b"

# Words of scikit-learn's English stop list that stop_words="english" keeps: they
# negate or contrast what follows ("not good", "good but long"), and reading word
# order is what a recurrent network is for. Dropping them turns "not good" into
# "good".
KEPT_STOP_WORDS = frozenset(
    {
        *("not", "no", "nor", "never", "none", "nothing", "nobody", "noone"),
        *("neither", "nowhere", "cannot", "cant", "without"),
        *("but", "however", "although", "though", "yet", "nevertheless", "except"),
    }
)
ENGLISH_STOP_WORDS_KEEPING_NEGATIONS = frozenset(ENGLISH_STOP_WORDS - KEPT_STOP_WORDS)


def _n_documents(n):
    return f"{n} document" if n == 1 else f"{n} documents"


def _check_tokens_are_str(counts):
    not_str = next((token for token in counts if not isinstance(token, str)), None)
    if not_str is not None:
        raise TypeError(
            f"Tokens must be str, got {type(not_str).__name__} ({not_str!r}) from "
            "the analyzer. A callable analyzer must return the tokens of a "
            "document as strings; convert them, e.g. analyzer=lambda doc: "
            "[str(t) for t in doc]."
        )


def _exact_weights(weights):
    """Return the weights as Python ints sharing one power-of-two scale.

    Every finite float is an integer divided by a power of two, so scaling
    all weights by the largest such power makes them exact integers. Sums of
    integers do not depend on the order of the terms, unlike float sums, so
    weighted counts, and hence ties between tokens, do not depend on the
    order of the documents.
    """
    ratios = [weight.as_integer_ratio() for weight in weights.tolist()]
    scale = max(denominator for _, denominator in ratios)
    return [
        numerator * (scale // denominator) for numerator, denominator in ratios
    ], scale


class _HashedIds(dict):
    """Token to hashed id mapping that hashes each distinct token once."""

    def __init__(self, n_buckets):
        super().__init__()
        self.n_buckets = n_buckets

    def __missing__(self, token):
        # Hashing the UTF-8 bytes gives the same ids as hashing the str, and
        # "surrogatepass" also accepts lone surrogates, which str input to
        # murmurhash3_32 rejects.
        key = token.encode("utf-8", "surrogatepass")
        token_id = 2 + murmurhash3_32(key, seed=0, positive=True) % self.n_buckets
        self[token] = token_id
        return token_id


@dataclass(eq=False, repr=False, kw_only=True)
class TextTokenizer(VersionedStateMixin, TransformerMixin, BaseEstimator):
    """Map raw text documents to sequences of integer token ids.

    Each document is split into tokens (words or characters) with
    scikit-learn's text analysis, and each token is replaced by its id in a
    vocabulary learnt during :meth:`fit`, or, if `n_buckets` is set, by a
    hash of the token. The output is meant as input for a recurrent network:
    ids 0 and 1 are reserved for padding and for tokens outside the
    vocabulary.

    Parameters
    ----------
    analyzer : {"word", "char"} or callable, default="word"
        Whether a token is a word, found with `token_pattern`, or a single
        character. A callable takes one document as given (it need not be a
        str) and returns its tokens (str), as in
        :class:`~sklearn.feature_extraction.text.CountVectorizer`; nothing else
        is applied (no lowercasing, accent stripping or stop words). It also
        reads documents that are already tokenized: with ``analyzer=list`` a
        document is a list (or tuple) of tokens, used as it is. See Notes on
        saving a tokenizer with a callable.

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

    tokenizer : callable, default=None
        Splits a preprocessed (lowercased, accent-stripped) document into its
        tokens, instead of `token_pattern`; `stop_words` are then removed from
        what it returns. Used only when ``analyzer="word"``, as in
        :class:`~sklearn.feature_extraction.text.CountVectorizer`.

    stop_words : {"english"} or list of str, default=None
        Words to drop, used only when ``analyzer="word"``. "english" uses
        scikit-learn's built-in list, which has known issues (see
        "Using stop words" in the scikit-learn user guide), *without* the words
        that negate or contrast (`KEPT_STOP_WORDS`: "not", "no", "never",
        "nor", "nothing", "without", "but", "however", ...): dropping them would
        make "not good" read as "good", and reading such words in order is
        what a recurrent network is for. A list is used as given. Stop words
        are removed after lowercasing and tokenising.

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
        Keep at most `max_len` tokens of each document when transforming
        (which ones: `truncation`), and make :meth:`transform`'s output
        `max_len` columns wide. None keeps all tokens in
        :meth:`transform_ragged`; :meth:`transform` is then as wide as the
        longest training document (`output_length_`).

    truncation : {"head", "tail", "head+tail"}, default="head"
        Which tokens a document longer than `max_len` keeps: its first
        `max_len` ("head"), its last `max_len` ("tail"), or both ends
        ("head+tail": the first ``max_len - max_len // 2`` and the last
        ``max_len // 2``, in order). The end of a text often sums it up (a
        signature, a verdict, a call to action), which "head" loses.

    n_buckets : int, default=None
        If an int, use hashing mode: no vocabulary is learnt and the id of a
        token is ``2 + murmurhash3_32(token, seed=0, positive=True) %
        n_buckets``, like in
        :class:`~sklearn.feature_extraction.text.HashingVectorizer`. Ids are
        then known without seeing any data, so :meth:`fit` is optional and
        documents whose vocabulary is unknown in advance, such as a stream,
        can be tokenized; no token is ever unknown. The price is that
        distinct tokens can share an id (see Notes) and that ids cannot be
        mapped back to tokens. More buckets mean fewer collisions but more
        input weights. `min_df`, `max_df` and `max_features` need a
        vocabulary and must keep their defaults. None learns a vocabulary in
        :meth:`fit`.

    Attributes
    ----------
    vocabulary_ : dict of str to int or None
        Maps each kept token to its id. Ids start at 2; the reserved ids are
        not included. None in hashing mode.

    tokens_ : ndarray of object, shape (vocabulary_size,), or None
        ``tokens_[i]`` is the token with id ``i``. ``tokens_[0]`` is
        `PAD_TOKEN` and ``tokens_[1]`` is `UNK_TOKEN`. None in hashing mode.

    vocabulary_size_ : int
        Number of distinct ids, reserved ids included: every id produced by
        :meth:`transform` is below this value, so it is the number of rows an
        embedding or input-weight matrix needs. ``n_buckets + 2`` in hashing
        mode.

    output_length_ : int or None
        The number of columns of :meth:`transform`'s output: `max_len` if set,
        else the number of tokens of the longest training document. The
        width is fixed by :meth:`fit`, so every batch (one document, or the
        test set) gives the same columns and a downstream estimator can read
        them. In hashing mode, which learns nothing, it is `max_len`, and
        None (each batch as wide as its longest document) without it.

    KEPT_STOP_WORDS : frozenset of str
        Class attribute: the negating and contrasting words that
        ``stop_words="english"`` keeps.

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
    training corpus (weighted by `sample_weight` if given to :meth:`fit`),
    ties broken by the token string, so the same corpus always gives the same
    ids, whatever the order of its documents or the Python hash seed.

    Tokens are counted, then filtered by document frequency (`min_df`,
    `max_df`), then cut to `max_features`.

    With ``analyzer="char"`` every character is a token, including spaces,
    and runs of whitespace (spaces, tabs, newlines) are first collapsed into
    one space by scikit-learn's character analyzer. `token_pattern` and
    `stop_words` are ignored in that case.

    In hashing mode (`n_buckets` set), distinct tokens that fall into the same
    bucket collide: they get the same id, so a network sees them as one token
    and they share one row of its input weights. Each pair of tokens collides
    with probability ``1 / b`` for ``b`` buckets, so ``d`` distinct tokens
    give about ``d**2 / (2 * b)`` colliding pairs, e.g. 1,800 pairs for
    60,000 tokens in 1,000,000 buckets. More buckets mean fewer collisions,
    but a network then needs ``b * hidden_size`` input weights, most of them
    for buckets that rare tokens or no token use. Every token gets a bucket,
    so `UNK_ID` never appears in hashing mode. The hash is MurmurHash3 of the
    token's UTF-8 bytes, so ids are the same in every process, unlike with
    Python's built-in `hash`.

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

    In hashing mode nothing needs to be learnt:

    >>> hashing = TextTokenizer(n_buckets=1000)
    >>> hashing.transform(["the cat sat down", "a bird"])
    array([[340, 761, 302, 347],
           [852,  89,   0,   0]])
    >>> hashing.fit(docs).vocabulary_size_
    1002
    """

    PAD_ID = 0
    UNK_ID = 1
    PAD_TOKEN = "<pad>"
    UNK_TOKEN = "<unk>"
    KEPT_STOP_WORDS = KEPT_STOP_WORDS

    _parameter_constraints = {
        "analyzer": [StrOptions({"word", "char"}), callable],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "strip_accents": [StrOptions({"ascii", "unicode"}), callable, None],
        "tokenizer": [callable, None],
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
        "truncation": [StrOptions(set(TRUNCATIONS))],
        "n_buckets": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    # The dataclass writes the plain __init__ scikit-learn expects: keyword-only
    # arguments, each stored under its own name and nothing else.
    analyzer: object = "word"
    lowercase: bool = True
    token_pattern: str = _DEFAULT_TOKEN_PATTERN
    strip_accents: object = None
    tokenizer: object = None
    stop_words: object = None
    min_df: object = 1
    max_df: object = 1.0
    max_features: int | None = None
    max_len: int | None = None
    truncation: str = "head"
    n_buckets: int | None = None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the vocabulary of the training documents.

        In hashing mode (`n_buckets` set) nothing is learnt: the documents and
        weights are only validated and `vocabulary_size_` is set.

        Parameters
        ----------
        X : iterable of str
            Training documents: a list, tuple, 1-D array or pandas Series of
            str, one column of them (``df[["text"]]``, an array of shape
            ``(n, 1)``), or any other ordered iterable of str. With a callable
            `analyzer`, documents can be any objects it takes.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_documents,), default=None
            Non-negative, finite weight of each document. A document's token
            counts and its contribution to document frequencies are
            multiplied by its weight, so an int `min_df` or `max_df` is a
            total weight of documents, and a float one is a proportion of the
            sum of the weights instead of the number of documents. The
            default ``min_df=1`` still keeps every token of the documents with
            a positive weight, even if they weigh less than 1 in total. A
            document with weight 0 is ignored, an integer weight ``k`` has
            the same effect as ``k`` copies of the document, and None gives
            every document weight 1. At least one weight must be positive.
            Validated but otherwise ignored in hashing mode.

        Returns
        -------
        self : TextTokenizer
            The fitted tokenizer.

        Examples
        --------
        >>> from sklearn_rnn import TextTokenizer
        >>> docs = ["spam spam offer", "hello offer", "hello friend"]
        >>> TextTokenizer().fit(docs).vocabulary_
        {'hello': 2, 'offer': 3, 'spam': 4, 'friend': 5}
        >>> TextTokenizer().fit(docs, sample_weight=[2, 1, 0]).vocabulary_
        {'spam': 2, 'offer': 3, 'hello': 4}
        """
        documents, weights = self._check_fit_input(X, sample_weight)
        self._check_parameter_use()
        if self.n_buckets is not None:
            self._set_hashing_attributes()
        else:
            # A generator keeps only one document's tokens in memory at a time.
            self._learn_vocabulary(self._iter_tokens(documents), weights)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, sample_weight=None):
        """Learn the vocabulary and return the padded id matrix of `X`.

        Equivalent to ``fit(X, sample_weight=sample_weight).transform(X)`` but
        tokenises `X` only once.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit_transform_ragged`.

        Returns
        -------
        X_ids : ndarray of int64, shape (n_documents, width)
            Same as :meth:`transform`.
        """
        return self._pad(*self.fit_transform_ragged(X, sample_weight=sample_weight))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform_ragged(self, X, y=None, sample_weight=None):
        """Learn the vocabulary and return the token ids of `X` without padding.

        Equivalent to ``fit(X, sample_weight=sample_weight).transform_ragged(X)``
        but tokenises `X` only once, at the price of holding every document's
        tokens in memory at the same time.

        Parameters
        ----------
        X : iterable of str
            Training documents.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_documents,), default=None
            Weight of each document when learning the vocabulary; see :meth:`fit`.

        Returns
        -------
        token_ids : ndarray of int64, shape (n_tokens,)
            Same as :meth:`transform_ragged`.

        offsets : ndarray of int64, shape (n_documents + 1,)
            Same as :meth:`transform_ragged`.
        """
        return self._fit_documents(*self._check_fit_input(X, sample_weight))

    def _fit_documents(self, documents, weights):
        """``fit_transform_ragged`` of documents and weights already checked (a
        list of str, and None or a float array): an estimator's fit calls this
        after its own checks, so nothing is checked twice."""
        self._check_parameter_use()
        if self.n_buckets is not None:
            self._set_hashing_attributes()
            return self._transform_documents(documents)
        token_lists = list(self._iter_tokens(documents))
        self._learn_vocabulary(token_lists, weights)
        return self._to_ragged(token_lists)

    def transform(self, X):
        """Replace each document by its right-padded sequence of token ids.

        Parameters
        ----------
        X : iterable of str
            Documents to transform.

        Returns
        -------
        X_ids : ndarray of int64, shape (n_documents, width)
            Row ``i`` holds the ids of document ``i`` followed by `PAD_ID`.
            The width is the same for every batch: `max_len` if set, else
            the number of tokens of the longest training document
            (`output_length_`); a longer document is cut to it as `truncation`
            says, with a warning. In hashing mode without `max_len`, the
            width is the batch's longest document.
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
            Documents to turn into one array of ids.

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
        if self.n_buckets is not None:
            # Hashing mode does not need fit, so this may be the first time
            # the parameters are seen.
            if not get_config()["skip_parameter_validation"]:
                self._validate_params()
            self._check_hashing_params()
        check_is_fitted(self)
        return self._transform_documents(self._check_documents(X))

    def _transform_documents(self, documents):
        """``transform_ragged`` of documents already checked (a list of str)."""
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

        Raises
        ------
        ValueError
            In hashing mode, where no vocabulary is stored and several tokens
            can share an id.
        """
        if self.n_buckets is not None:
            raise ValueError(
                "inverse_transform is not available in hashing mode "
                f"(n_buckets={self.n_buckets!r}): hashed ids cannot be mapped back "
                "to tokens, because no vocabulary is stored and distinct tokens "
                "can share an id. Set n_buckets=None to learn a vocabulary."
            )
        check_is_fitted(self)
        ids = np.asarray(read_once(X))
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

    def get_feature_names_out(self, input_features=None):
        """Names of :meth:`transform`'s columns: the token positions.

        Column ``i`` holds the id of each document's ``i``-th token, so its name
        is ``"token_i"``. They also name the columns of a pandas or polars
        output (see ``set_output``).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The name of the one column of documents, if any (as a
            ``ColumnTransformer`` passes it); not used in the names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["token_0", ..., "token_{w-1}"]`` for an output `w` columns wide.
        """
        check_is_fitted(self)
        check_one_column_of_documents(input_features, type(self).__name__)
        width = self._output_width()
        if width is None:
            raise ValueError(
                "The width of transform's output is not fixed: in hashing mode "
                "without max_len, each batch is as wide as its longest document. "
                "Set max_len to fix it."
            )
        return np.asarray([f"token_{i}" for i in range(width)], dtype=object)

    def __sklearn_is_fitted__(self):
        # Hashing mode has nothing to learn, so it is always ready to
        # transform. A vocabulary_ of None left by a hashing fit does not
        # count once n_buckets is set back to None.
        if self.n_buckets is not None:
            return True
        return getattr(self, "vocabulary_", None) is not None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = self.n_buckets is None
        # The output is integer ids, whatever the input: no float dtype is kept.
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _check_documents(self, X):
        # A callable analyzer decides what a document is (e.g. a list of tokens).
        return check_documents(X, any_items=callable(self.analyzer))

    def _check_fit_input(self, X, sample_weight):
        """Validate fit's arguments; return the documents and the weights."""
        documents = self._check_documents(X)
        return documents, check_sample_weight(sample_weight, len(documents))

    def _check_parameter_use(self):
        """Refuse parameters hashing cannot use; warn about ignored ones."""
        if self.n_buckets is not None:
            self._check_hashing_params()
        self._warn_unused_params()

    def _check_hashing_params(self):
        # The int 1 and the float 1.0 differ: min_df=1.0 keeps only tokens
        # found in every document and max_df=1 only those found in one.
        min_df_default = isinstance(self.min_df, numbers.Integral) and self.min_df == 1
        max_df_default = (
            not isinstance(self.max_df, numbers.Integral) and self.max_df == 1
        )
        needs_vocabulary = [
            f"{param}={value!r}"
            for param, value, is_default in [
                ("min_df", self.min_df, min_df_default),
                ("max_df", self.max_df, max_df_default),
                ("max_features", self.max_features, self.max_features is None),
            ]
            if not is_default
        ]
        if needs_vocabulary:
            raise ValueError(
                f"{', '.join(needs_vocabulary)} cannot be used with "
                f"n_buckets={self.n_buckets!r}: min_df, max_df and max_features "
                "select tokens from a learnt vocabulary, which hashing mode does "
                "not have. Set n_buckets=None to use them, or leave them at their "
                "defaults (min_df=1, max_df=1.0, max_features=None)."
            )

    def _warn_unused_params(self):
        if self.analyzer == "word":
            if self.tokenizer is not None and (
                self.token_pattern != _DEFAULT_TOKEN_PATTERN
            ):
                warn(
                    "The parameter token_pattern will not be used since a "
                    "tokenizer is given: the tokenizer splits the documents."
                )
            return
        unused = [
            ("stop_words", self.stop_words is not None),
            ("token_pattern", self.token_pattern != _DEFAULT_TOKEN_PATTERN),
            ("tokenizer", self.tokenizer is not None),
        ]
        if callable(self.analyzer):
            what = "analyzer is a callable, which does all the work"
            unused += [
                ("lowercase", self.lowercase is not True),
                ("strip_accents", self.strip_accents is not None),
            ]
        else:
            what = "analyzer='char'"
        ignored = [param for param, is_set in unused if is_set]
        if ignored:
            warn(
                f"The parameter(s) {', '.join(ignored)} will not be used since {what}."
            )

    def _set_hashing_attributes(self):
        self.vocabulary_ = None
        self.tokens_ = None
        self.vocabulary_size_ = self.n_buckets + 2
        # Stateless: the width cannot depend on what fit saw.
        self.output_length_ = self.max_len

    def _build_analyzer(self):
        """Return the callable mapping one document to its tokens."""
        if callable(self.analyzer):
            return self.analyzer
        if self.analyzer == "word" and self.tokenizer is None:
            try:
                re.compile(self.token_pattern)
            except re.error as exc:
                raise ValueError(
                    f"token_pattern={self.token_pattern!r} is not a valid regular "
                    f"expression: {exc}. Fix the pattern (a raw string, r'...', "
                    "keeps backslashes), or pass a callable as tokenizer."
                ) from None
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
                token_pattern=None if self.tokenizer else self.token_pattern,
                tokenizer=self.tokenizer,
                stop_words=(
                    ENGLISH_STOP_WORDS_KEEPING_NEGATIONS
                    if isinstance(self.stop_words, str)
                    else self.stop_words
                ),
            )
        return vectorizer.build_analyzer()

    def _iter_tokens(self, documents):
        analyze = self._build_analyzer()
        if not callable(self.analyzer) and self.tokenizer is None:
            for document in documents:
                yield analyze(document)
            return
        # A user's callable may return any iterable (a generator, as
        # CountVectorizer allows): its tokens are counted, so a list is kept.
        reads_token_lists = self.analyzer in (list, tuple)
        for position, document in enumerate(documents):
            if reads_token_lists and isinstance(document, str):
                raise ValueError(
                    f"analyzer={self.analyzer.__name__} reads documents that are "
                    f"lists of tokens, but document {position} is a str "
                    f"({document[:40]!r}), which it would split into characters. "
                    "Pass each document's tokens (e.g. doc.split()), or use the "
                    "default analyzer for raw text."
                )
            tokens = analyze(document)
            if tokens is None or isinstance(tokens, str | bytes):
                what = "analyzer" if callable(self.analyzer) else "tokenizer"
                raise TypeError(
                    f"The {what} returned {type(tokens).__name__} "
                    f"({tokens!r:.40}) for document {position}; it must return "
                    "the document's tokens, e.g. a list of str."
                )
            yield list(tokens)

    def _learn_vocabulary(self, token_lists, sample_weight=None):
        """Set the fitted attributes from the training documents' tokens."""
        if sample_weight is None:
            weights, scale = itertools.repeat(1), 1
        else:
            weights, scale = _exact_weights(sample_weight)

        # Counts are exact integers, in units of 1 / scale when weighted.
        counts = Counter()
        document_counts = Counter()
        n_documents = 0
        n_used = 0
        total_weight = 0
        longest = 0
        # Not strict: without sample_weight, weights is an endless repeat(1).
        for tokens, weight in zip(token_lists, weights, strict=False):
            n_documents += 1
            # Every document counts for the width, so that the transform of the
            # training documents is never cut.
            longest = max(longest, len(tokens))
            if weight == 0:
                # Skipped rather than counted with weight 0, so that its tokens
                # are not even candidates, e.g. for min_df=0.0.
                continue
            n_used += 1
            total_weight += weight
            if weight == 1:
                counts.update(tokens)
                document_counts.update(dict.fromkeys(tokens).keys())
            else:
                for token, count in Counter(tokens).items():
                    counts[token] += count * weight
                    document_counts[token] += weight

        if n_documents == 0:
            raise ValueError(
                "TextTokenizer cannot be fitted on 0 documents; X must contain at "
                "least one document."
            )
        if not counts:
            ignored = n_documents - n_used
            raise ValueError(
                f"No tokens found in the {_n_documents(n_used)} used for "
                "fitting: the documents may be empty or contain only stop words."
                + (
                    f" ({_n_documents(ignored)} with sample_weight 0 not used.)"
                    if ignored
                    else ""
                )
            )

        # int / int is correctly rounded, and exact for integer weights, so
        # integer weights give the same thresholds as repeated documents.
        n_weighted = total_weight if sample_weight is None else total_weight / scale
        if isinstance(self.min_df, numbers.Integral):
            # The default min_df=1 keeps every token seen, as without weights:
            # a token seen only in documents weighing less than 1 in total
            # must not disappear because weights were given.
            min_count = 0 if self.min_df == 1 else self.min_df
        else:
            min_count = self.min_df * n_weighted
        max_count = (
            self.max_df
            if isinstance(self.max_df, numbers.Integral)
            else self.max_df * n_weighted
        )
        # Sorting on (count, token) instead of relying on Counter's insertion
        # order keeps ids independent of document order.
        _check_tokens_are_str(counts)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = [
            token
            for token, _ in ranked
            if min_count <= document_counts[token] / scale <= max_count
        ]
        if not kept:
            used = (
                _n_documents(n_documents)
                if sample_weight is None
                else f"sample_weight summing to {n_weighted:g}"
            )
            raise ValueError(
                f"After filtering by document frequency (min_df={self.min_df!r}, "
                f"max_df={self.max_df!r}, {used}), no tokens "
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
        self._set_output_length(longest)

    def _set_output_length(self, longest):
        self.output_length_ = self.max_len if self.max_len is not None else longest

    def _to_ragged(self, token_lists):
        if self.n_buckets is None:
            lookup = self.vocabulary_.get
            unknown = self.UNK_ID

            def to_ids(tokens):
                return [lookup(token, unknown) for token in tokens]

        else:
            # A corpus has far fewer distinct tokens than tokens, so each
            # distinct token is hashed once per call and then looked up.
            to_ids = functools.partial(map, _HashedIds(self.n_buckets).__getitem__)

        # array.array holds 8 bytes per id, unlike a list of Python ints.
        token_ids = array.array("q")
        offsets = array.array("q", [0])
        for tokens in token_lists:
            token_ids.extend(to_ids(tokens))
            offsets.append(len(token_ids))
        return truncate(
            np.array(token_ids, dtype=np.int64),
            np.array(offsets, dtype=np.int64),
            self.max_len,
            self.truncation,
        )

    def _output_width(self):
        """transform's number of columns; None (hashing mode without max_len)
        means as wide as the batch's longest document."""
        if self.max_len is not None or self.n_buckets is not None:
            return self.max_len
        return getattr(self, "output_length_", None)

    def _pad(self, token_ids, offsets):
        width = self._output_width()
        lengths = np.diff(offsets)
        if width is None:
            width = int(lengths.max()) if len(lengths) else 0
        elif len(lengths) and lengths.max() > width:
            n_long = int((lengths > width).sum())
            warn(
                f"{n_long} of {_n_documents(len(lengths))} had more tokens than "
                f"the longest training document ({width}), the width of "
                f"transform's output: they were cut to {width} tokens "
                f"(truncation={self.truncation!r}). Set max_len to choose the "
                "width, or use transform_ragged, which never cuts without max_len."
            )
            token_ids, offsets = truncate(token_ids, offsets, width, self.truncation)
            lengths = np.diff(offsets)
        n_documents = len(lengths)
        padded = np.full((n_documents, width), self.PAD_ID, dtype=np.int64)
        rows = np.repeat(np.arange(n_documents), lengths)
        columns = np.arange(len(token_ids)) - np.repeat(offsets[:-1], lengths)
        padded[rows, columns] = token_ids
        return padded


def is_text_tokenizer(tokenizer):
    """Whether ``tokenizer`` tokenizes as TextTokenizer does: one, or a subclass
    that keeps its public fit and transform methods. The estimators then call
    its checked-input shortcuts; a subclass that overrides one of them (a
    synonym map, say) is called through its own methods instead."""
    public = ("fit", "fit_transform_ragged", "transform_ragged")
    return isinstance(tokenizer, TextTokenizer) and all(
        getattr(type(tokenizer), name) is getattr(TextTokenizer, name)
        for name in public
    )


class PrecomputedIds(BaseEstimator):
    """What ``tokenizer="precomputed"`` fits: the input is token ids already.

    Reads a 2-D array of ids with 0 as padding (``TextTokenizer.transform``'s
    output, or any other tokenizer's ids shifted so that 0 is padding and 1 is
    unknown). ``fit`` sizes the vocabulary from the largest id seen; a larger
    id at prediction time is unknown (`TextTokenizer.UNK_ID`).
    """

    reads_token_ids = True

    def fit(self, X, y=None):
        ids = check_token_ids(X)
        self.vocabulary_size_ = max(int(ids.max(initial=0)) + 1, 2)
        return self

    def transform_ragged(self, X):
        """The ids of each row without its padding, and the row boundaries."""
        ids = check_token_ids(X)
        present = ids != TextTokenizer.PAD_ID
        values = ids[present]
        values[values >= self.vocabulary_size_] = TextTokenizer.UNK_ID
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(present.sum(axis=1), out=offsets[1:])
        return values, offsets


class WordVectors:
    """Pretrained token vectors, as the estimators' ``embedding_init`` gives them.

    Accepted forms:

    - a mapping from token to vector (a dict);
    - an object with ``key_to_index`` (token -> row) and ``vectors`` (a 2-D
      array), as gensim's ``KeyedVectors`` has them (duck-typed: gensim is never
      imported);
    - a pandas DataFrame with the tokens as its index, one vector per row (what
      ``pd.read_csv(path, sep=" ", index_col=0, header=None)`` gives for GloVe);
    - a pair ``(tokens, matrix)``: row ``i`` of the 2-D ``matrix`` is the vector
      of ``tokens[i]``;
    - a 2-D array alone, whose row ``i`` is the vector of token id ``i``: only
      for ``tokenizer="precomputed"``, where the ids are the user's own (which
      may also be the keys of a dict or the tokens of a pair).

    Only the vectors of the fitted vocabulary are read and converted (a large
    pretrained set is never copied whole). Every mistake is a ValueError or
    TypeError saying what was wrong and what to pass instead.
    """

    _FORMS = (
        "a dict from token to vector, a gensim KeyedVectors, a DataFrame indexed "
        "by token, a pair (tokens, matrix) whose matrix has one row per token, or "
        "(with tokenizer='precomputed') a 2-D array with one row per token id"
    )

    def __init__(self, embedding_init):
        value = embedding_init
        # token -> row of self.matrix, or (a dict) token -> vector; None: by id.
        self.index, self.matrix = None, None
        if hasattr(value, "key_to_index") and hasattr(value, "vectors"):
            self.index, self.matrix = value.key_to_index, value.vectors
        elif hasattr(value, "index") and hasattr(value, "to_numpy"):
            self.index = {token: i for i, token in enumerate(value.index)}
            self.matrix = value.to_numpy()
        elif isinstance(value, dict) or (
            hasattr(value, "keys") and hasattr(value, "__getitem__")
        ):
            self.index = value
        elif self._is_pair(value):
            tokens, matrix = value
            tokens = list(tokens)
            self.matrix = self._as_matrix(matrix)
            if len(tokens) != len(self.matrix):
                raise ValueError(
                    f"embedding_init=(tokens, matrix) needs one row per token: got "
                    f"{len(tokens)} tokens and a matrix of shape "
                    f"{self.matrix.shape}."
                )
            self.index = {token: i for i, token in enumerate(tokens)}
            if len(self.index) != len(tokens):
                raise ValueError(
                    "embedding_init=(tokens, matrix) lists a token more than once; "
                    "each token needs exactly one row."
                )
        elif isinstance(value, np.ndarray | list | tuple):
            self.matrix = self._as_matrix(value)
        else:
            raise TypeError(
                f"embedding_init got a {type(value).__name__}; pass {self._FORMS}."
            )
        if self.matrix is not None:
            self.matrix = self._as_matrix(self.matrix)
        self.size = self._size()

    @staticmethod
    def _is_pair(value):
        """A (tokens, matrix) pair rather than a matrix of two rows."""
        if not (isinstance(value, tuple | list) and len(value) == 2):
            return False
        try:
            return np.ndim(value[0]) == 1 and np.ndim(value[1]) == 2
        except ValueError:  # ragged rows: not a matrix
            return False

    def _as_matrix(self, matrix):
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or 0 in matrix.shape:
            raise ValueError(
                f"embedding_init's vectors form an array of shape {matrix.shape}, "
                f"not a 2-D array of one row per vector; pass {self._FORMS}."
            )
        return matrix

    def _size(self):
        if self.matrix is not None:
            return int(self.matrix.shape[1])
        first = next(iter(self.index.values()), None)
        if first is None:
            raise ValueError(f"embedding_init holds no vectors; pass {self._FORMS}.")
        return len(np.ravel(first))

    @classmethod
    def size_of(cls, embedding_init):
        """The length of the vectors (reads none of them but one)."""
        return cls(embedding_init).size

    def _vector(self, key):
        """The vector of ``key`` as float64, or None."""
        if self.index is None:
            row = key
        else:
            row = self.index.get(key)
            if row is None:
                return None
        vector = self.index[key] if self.matrix is None else self.matrix[row]
        try:
            vector = np.asarray(vector, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"embedding_init's vector of {key!r} is not numbers: "
                f"{str(vector)[:80]}."
            ) from None
        if vector.shape != (self.size,):
            raise ValueError(
                f"embedding_init's vectors must all have one length: the vector of "
                f"{key!r} has shape {vector.shape}, another has {self.size} values."
            )
        if not np.isfinite(vector).all():
            raise ValueError(
                f"embedding_init's vector of {key!r} holds NaN or infinite values; "
                "replace them (for example with zeros) or leave the token out."
            )
        return vector

    def rows_for(self, tokenizer, n_rows):
        """The rows of a fitted tokenizer's ids that have a vector: ``(matrix,
        found)``, ``matrix`` of shape (n_rows, size) and ``found`` a boolean mask
        of the rows filled (never the padding or unknown-token ids)."""
        found = np.zeros(n_rows, dtype=bool)
        out = np.zeros((n_rows, self.size))
        precomputed = isinstance(tokenizer, PrecomputedIds)
        if precomputed:
            keys = range(n_rows)  # the ids are the user's own keys or rows
            if self.index is None and len(self.matrix) < n_rows:
                raise ValueError(
                    f"embedding_init has {len(self.matrix)} rows, but the training "
                    f"data has token ids up to {n_rows - 1}: give every id a row."
                )
        elif self.index is None:
            raise ValueError(
                "embedding_init is a matrix alone, whose rows are token ids, "
                "but this tokenizer numbers the tokens itself when it is "
                "fitted. Pass (tokens, matrix) or a dict from token to vector, "
                "or use tokenizer='precomputed' with ids that are your rows."
            )
        else:
            keys = getattr(tokenizer, "tokens_", None)
            if keys is None:
                raise ValueError(
                    "embedding_init gives vectors by token, but the tokenizer keeps "
                    "no token list (tokens_), as in hashing mode (n_buckets): use a "
                    "TextTokenizer without n_buckets."
                )
        for token_id, key in enumerate(keys):
            if token_id in (TextTokenizer.PAD_ID, TextTokenizer.UNK_ID):
                continue
            if token_id >= n_rows:
                break
            vector = self._vector(key)
            if vector is not None:
                out[token_id] = vector
                found[token_id] = True
        if not found.any():
            spelled = "ids" if precomputed else "tokens"
            raise ValueError(
                f"None of the {n_rows - 2} {spelled} of the fitted vocabulary has a "
                "vector in embedding_init. "
                + (
                    "With tokenizer='precomputed' the keys are the integer ids."
                    if precomputed
                    else "Check that its tokens are written as the tokenizer "
                    "writes them (lowercase=True lowercases them), e.g. "
                    "estimator.tokenizer_.tokens_[:10]."
                )
            )
        return out, found
