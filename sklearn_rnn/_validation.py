"""Every input check, once: documents, numeric sequences, labels, sample weights.

The tokenizer and the estimators import these; nothing downstream checks again.
"""

import reprlib
from collections.abc import Iterator, Mapping, Set
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import (
    _check_sample_weight,
    _get_feature_names,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._warnings import warn

_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40


# ---------------------------------------------------------------- documents
def _is_missing(value):
    if value is None:
        return True
    if isinstance(value, float | np.floating) and value != value:
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
            "pre-tokenised documents first, e.g. ' '.join(tokens), or read "
            "the tokens as they are with TextTokenizer(analyzer=list)."
        )
    else:
        hint = "Convert documents to str explicitly if that is intended."
    return ValueError(f"{message} {hint}")


def read_once(X):
    """X as a collection that can be read more than once.

    An iterator (a generator, ``map(...)``, an open file) gives its items only
    once, and a call reads its input more than once (to tell text from numbers,
    then to convert it): it becomes the list of its items, read here once.
    Anything else is returned as it is.
    """
    if isinstance(X, Iterator) and not hasattr(X, "shape"):
        return list(X)
    return X


_SEQUENCE_TYPES = (list, tuple, np.ndarray)


def _all_str(sequence):
    if isinstance(sequence, np.ndarray):
        if sequence.dtype.kind in "US":
            return True
        if sequence.dtype.kind != "O":
            return False
        sequence = sequence.reshape(-1)
    return all(isinstance(item, str) for item in sequence)


def _refuse_token_lists(samples):
    """Refuse samples that are lists of tokens (pre-tokenised documents).

    Looked at only when the first sample is a list, tuple or array: the first such
    sample with items decides, so the cost is that of one sample.
    """
    first = next(iter(samples), None)
    if not isinstance(first, _SEQUENCE_TYPES):
        return
    for position, sample in enumerate(samples):
        if isinstance(sample, _SEQUENCE_TYPES) and len(sample):
            if _all_str(sample):
                raise ValueError(
                    f"X looks pre-tokenised: sample {position} is a "
                    f"{type(sample).__name__} of tokens ({_repr.repr(sample)}), not "
                    "one document. A document is one string, which the model's "
                    "tokenizer splits; join each sample's tokens first: "
                    'X = [" ".join(tokens) for tokens in X], or keep the tokens '
                    "as they are with tokenizer=TextTokenizer(analyzer=list)."
                )
            return


def _refuse_single_string(X):
    if isinstance(X, str):
        raise ValueError(
            "Iterable over raw text documents expected, string object received. "
            "Wrap a single document in a list: [text]."
        )
    if isinstance(X, bytes | bytearray):
        raise ValueError(
            "Iterable over raw text documents expected, bytes object received. "
            "Decode it to str and wrap it in a list: [data.decode('utf-8')]."
        )


def check_documents(X, *, name="X", any_items=False):
    """Validate a collection of raw text documents and return it as a list.

    Parameters
    ----------
    X : iterable of str
        The documents: a list, tuple, 1-D NumPy array (str or object dtype),
        pandas Series, or any other ordered iterable of str.
    name : str, default="X"
        How to refer to `X` in error messages.
    any_items : bool, default=False
        Accept items of any type (for a tokenizer whose analyzer is a callable,
        which decides what a document is, e.g. a list of tokens); the container
        rules still apply.

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
    >>> from sklearn_rnn._validation import check_documents
    >>> check_documents(("good film", "bad film"))
    ['good film', 'bad film']
    """
    _refuse_single_string(X)
    if X is None:
        raise TypeError(
            f"{name} is None; documents are required: pass an iterable of str, "
            "e.g. a list of strings."
        )
    if hasattr(X, "__array__") or hasattr(X, "shape"):
        # Converting arrays, Series and DataFrames through NumPy lets a 2-D
        # input be rejected instead of iterating over its column labels.
        values = np.asarray(X, dtype=object)
        if values.ndim == 2 and values.shape[1] == 1:
            # One column of documents, e.g. df[["text"]] or what a tool that
            # wants 2-D input (ColumnTransformer, BaggingClassifier) passes on.
            values = values[:, 0]
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
    if any_items:
        return documents
    for position, document in enumerate(documents):
        if not isinstance(document, str):
            raise _not_a_document_error(document, position, name)
    return documents


def as_documents(X, expect=None, any_items=False):
    """Tell raw text from numeric sequences.

    Returns the documents as a list of str when X is raw text, and None when X is
    to be validated as numbers (including an empty 1-D input, which has no kind).
    Raises, naming the problem, for a bare string, for samples that are lists of
    tokens, and for a 1-D collection that holds strings, bytes or None where
    documents would be: numbers never come that way, so it can only be text gone
    wrong. ``expect`` is the kind of input the model reads ("text", "numeric", or
    None when it can learn either): a numeric model given what is neither is told
    about numeric sequences, not documents. Iterators are read whole here; pass
    them through :func:`read_once` first to validate the same items as numbers
    afterwards. A one-column 2-D input (``df[["text"]]``, an ``(n, 1)`` array)
    of documents is documents too. ``any_items``: the model's tokenizer has a
    callable analyzer, which decides what a document is, so anything that is not
    an array of numbers is documents.
    """
    _refuse_single_string(X)
    if hasattr(X, "tocsr") or hasattr(X, "__sparse__"):
        return None  # sparse: the numeric path rejects it with scikit-learn's error
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        return None
    if any_items:
        return check_documents(X, any_items=True)
    # Only a 1-D input, or one column, can be text; ask its shape before
    # converting anything, so a DataFrame is not copied to objects just to be
    # rejected.
    shape = getattr(X, "shape", None)
    if shape is not None:
        if len(shape) == 2 and shape[1] == 1:
            arr = np.asarray(X, dtype=object)[:, 0]
        elif len(shape) != 1:
            return None
        else:
            arr = X
    elif isinstance(X, (list, tuple)) or hasattr(X, "__array__"):
        if isinstance(X, (list, tuple)):
            if X and _is_numeric_array(X[0]):
                return None  # numeric sequences: arrays (or Series) of numbers
            # Before NumPy sees them: equal-length token lists would become a 2-D
            # str array, and unequal ones an "inhomogeneous shape" error.
            _refuse_token_lists(X)
        try:
            arr = np.asarray(X, dtype=object)
        except ValueError:
            return None  # nested sequences of no one shape: not documents
    elif expect == "numeric":
        if X is None or isinstance(X, Set | Mapping):
            what = "None" if X is None else f"a {type(X).__name__}"
            raise TypeError(
                f"X is {what}; this model reads numeric sequences: a 2-D or 3-D "
                "array of numbers, one sequence per row, in the order of the "
                "samples."
            )
        return None  # scikit-learn's check names what is not an array of numbers
    else:
        # Generators and other iterables are read as documents; the document
        # checker accepts the ordered ones and explains the others.
        return check_documents(X)
    if np.ndim(arr) != 1 or len(arr) == 0:
        return None
    if all(isinstance(x, str) for x in arr):
        return check_documents(arr)
    _refuse_token_lists(arr)
    if any(x is None or isinstance(x, (str, bytes, bytearray)) for x in arr):
        check_documents(arr)  # raises, naming the first position that is not a str
    return None


def describe(X):
    """A short description of an input for error messages: its type and shape."""
    shape = getattr(X, "shape", None)
    return type(X).__name__ + ("" if shape is None else f" of shape {shape}")


def is_empty_1d(X):
    """True for an empty list, tuple or 1-D array: no documents at all."""
    if isinstance(X, (list, tuple)):
        return len(X) == 0
    return getattr(X, "shape", None) == (0,)


# ---------------------------------------------------------------- numeric input
def as_3d(X):
    """View a validated (n, T) or (n, T, F) array as (n, T, F)."""
    if X.ndim > 3:
        raise ValueError(
            f"Numeric input must be 2-D (n_samples, n_timesteps) or 3-D "
            f"(n_samples, n_timesteps, n_features); got {X.ndim}-D input of shape "
            f"{X.shape}."
        )
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    if X.shape[1] < 1 or X.shape[2] < 1:
        raise ValueError(
            f"Numeric sequences need at least 1 time step and 1 feature per step; "
            f"got X of shape {X.shape}."
        )
    return X


def _strings_in_numeric_error(X, column=None):
    """The error for strings where numbers would be: they are never converted."""
    where = "" if column is None else f" (column {column!r} holds str)"
    return ValueError(
        f"X holds strings but is not 1-D text: got {describe(X)}{where}. Text must "
        "be a 1-D list, array or Series with one str document per sample "
        "(join the columns of a table, or the tokens of a row, into one "
        "document); numeric sequences must hold numbers, and strings are never "
        "converted to numbers (convert numbers written as text yourself, e.g. "
        "with astype(float))."
    )


def _any_str(values):
    return any(isinstance(value, (str, bytes)) for value in values)


def _refuse_strings(X):
    """Refuse numeric-path input that holds strings, before anything converts it.

    scikit-learn's conversion would turn a string such as "1" in an object array
    or a DataFrame column into the number 1.0, silently. Only columns and arrays
    that can hold strings are looked at.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(X, "iloc"):  # a DataFrame
        for i, dtype in enumerate(dtypes):
            if getattr(dtype, "kind", "O") in "OSU" and _any_str(X.iloc[:, i]):
                raise _strings_in_numeric_error(X, X.columns[i])
        return
    if isinstance(X, np.ndarray) and (
        X.dtype.kind in "SU" or (X.dtype.kind == "O" and _any_str(X.reshape(-1)))
    ):
        raise _strings_in_numeric_error(X)


def _numeric_array(X, convert):
    """``convert(X)`` (scikit-learn's check, keeping any numeric dtype), with
    strings refused by name whatever the container."""
    _refuse_strings(X)
    try:
        return convert(X)
    except ValueError as exc:
        message = str(exc)
        if "inhomogeneous" in message:
            raise ValueError(
                f"X is neither one array of numbers nor a list of sequences "
                f"({describe(X)}): its items are not all sequences, or not all of "
                "the same depth. Pass sequences of different lengths as a list of "
                "arrays of shape (n_timesteps,) or (n_timesteps, n_features), or "
                "as one array padded at the end with NaN."
            ) from exc
        if "bytes/strings" not in message and "convert string" not in message:
            raise
        raise _strings_in_numeric_error(X) from exc


def to_model_dtype(X, dtype, start=0, where=None):
    """A validated numeric array (any shape) as C-ordered ``dtype``, unchanged
    when it is that already.

    A finite value can still be out of the range of the model's dtype (1e39 is
    float64, not float32): the cast would make it infinite, and the network's
    outputs NaN. Such a value is refused, named by its position in the caller's
    input: ``where(index)`` names ``X[index]``; by default it is
    ``X[i, ...]`` with ``i`` shifted by ``start`` (``X`` may be a chunk of the
    input, whose first sample is the input's ``start``).
    """
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        values = X.astype(dtype, order="C", copy=False)
        # One pass and no memory: a finite sum means that every value is finite.
        if np.isfinite(values.sum()):
            return values
    bad = ~np.isfinite(values)
    if not bad.any():
        return values  # only the sum overflowed
    index = np.unravel_index(int(np.flatnonzero(bad)[0]), values.shape)
    value = X[index]
    if where is None:
        position = "X[" + ", ".join(map(str, (index[0] + start, *index[1:]))) + "]"
    else:
        position = where(index)
    if not np.isfinite(value):
        raise ValueError(
            f"{position} is {value}; numeric sequences must be finite. Remove "
            "or impute missing and infinite values first."
        )
    fix = ' or fit the model with dtype="float64"' if dtype == np.float32 else ""
    raise ValueError(
        f"{position} = {_scientific(value)} is out of the range of "
        f"{dtype.name} (the model's dtype, whose largest magnitude is "
        f"{np.finfo(dtype).max:.4g}): it would become infinite. Scale the inputs "
        f"down (e.g. standardise them){fix}."
    )


def _scientific(value):
    # Not format(): it would turn a long double out of float64's range into inf.
    return np.format_float_scientific(value, precision=6, trim="-")


# Samples the checks read at a time where they need memory in proportion: the
# whole input is never copied to find its padding or its values out of range.
_CHUNK = 1024


class NumericSequences:
    """Checked numeric sequences, still in the caller's dtype: numeric input as
    the model reads it, before it is converted (a chunk at a time in prediction).

    ``data`` is a padded ``(n, T, F)`` array, whose sequence ``i`` is
    ``data[i, :lengths[i]]``, or a list of ``(T_i, F)`` arrays cut the same way:
    the steps past a sequence's length are its NaN padding, never read. Selecting
    samples (``sequences[a:b]``, ``sequences[indices]``) gives sequences of the
    same kind (a view of an array for a slice). ``univariate``: the caller's
    steps are numbers (a 2-D array, or 1-D arrays), named in messages without a
    feature.
    """

    __slots__ = ("data", "lengths", "n_step_features", "univariate")

    def __init__(self, data, lengths, n_step_features, univariate):
        self.data = data
        self.lengths = lengths
        self.n_step_features = n_step_features
        self.univariate = univariate

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, index):
        if not isinstance(self.data, list) or isinstance(index, slice):
            data = self.data[index]
        else:
            data = [self.data[i] for i in index]
        return NumericSequences(
            data, self.lengths[index], self.n_step_features, self.univariate
        )

    def name(self, sample, step, feature):
        """How a message names a value of the caller's input."""
        inside = f"{step}" if self.univariate else f"{step}, {feature}"
        if isinstance(self.data, list):
            return f"X[{sample}][{inside}]"
        return f"X[{sample}, {inside}]"

    def steps(self, dtype, start=0):
        """Every step of every sequence, end to end, as ``dtype``: the
        ``(values, offsets)`` of ragged storage, without the padding.

        A value that ``dtype`` cannot hold is refused, named by its position in
        the caller's input, whose first sample is this one's ``start``.
        """
        n_features = self.n_step_features
        offsets = np.zeros(len(self) + 1, dtype=np.intp)
        np.cumsum(self.lengths, out=offsets[1:])
        if isinstance(self.data, list):
            pieces = [a[:k] for a, k in zip(self.data, self.lengths, strict=True)]
            values = np.concatenate(pieces) if pieces else np.empty((0, n_features))
        else:
            n, n_steps = self.data.shape[:2]
            values = self.data.reshape(n * n_steps, n_features)
            if offsets[-1] < len(values):  # padded: keep the steps of sequences
                sequence = np.repeat(np.arange(n), self.lengths)
                step = np.arange(offsets[-1]) - offsets[sequence]
                values = np.take(values, sequence * n_steps + step, axis=0)

        def where(index):
            row, feature = index
            sample = int(np.searchsorted(offsets, row, side="right")) - 1
            return self.name(start + sample, row - offsets[sample], feature)

        return to_model_dtype(values, dtype, where=where), offsets

    def check_range(self, dtype):
        """Refuse values out of the range of ``dtype``, with no copy of the input.

        Only a float wider than ``dtype`` can be out of its range. For an array,
        its extremes tell at the price of two passes; otherwise the sequences
        are converted a chunk at a time until the first value out of range is
        found and named.
        """
        dtype = np.dtype(dtype)
        arrays = self.data if isinstance(self.data, list) else [self.data]
        if not any(
            a.dtype.kind == "f" and a.dtype.itemsize > dtype.itemsize for a in arrays
        ):
            return
        if not isinstance(self.data, list):
            if not self.data.size:
                return
            # fmin and fmax pass over the NaN of padding.
            extremes = np.array(
                [
                    np.fmin.reduce(self.data, axis=None),
                    np.fmax.reduce(self.data, axis=None),
                ]
            )
            with np.errstate(over="ignore"):
                if not np.isinf(extremes.astype(dtype)).any():
                    return
        for start in range(0, len(self), _CHUNK):
            self[start : start + _CHUNK].steps(dtype, start)


def _lengths_without_padding(values, offsets, name, start):
    """The length of each sequence of ``(values, offsets)`` (ragged storage, one
    row a step) without its trailing padding. The first sequence is the caller's
    sample ``start``; ``name(sample, t, f)`` names a value in messages.

    A step is padding when all its features are NaN and so are those of every
    later step of its sequence. Any other NaN, and infinity anywhere, is refused
    with its position.
    """
    lengths = np.diff(offsets)
    if values.dtype.kind != "f":
        return lengths
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return lengths
    sequence = np.repeat(np.arange(len(lengths)), lengths)
    step = np.arange(len(values)) - offsets[sequence]
    infinite = np.isinf(values)
    if infinite.any():
        row, feature = np.argwhere(infinite)[0]
        where = name(start + sequence[row], step[row], feature)
        raise ValueError(
            f"{where} is {values[row, feature]}; "
            "numeric sequences must be finite (only NaN pads). Remove or replace "
            "infinite values first."
        )
    nan = np.isnan(values)
    blank = nan.all(axis=1)
    # A sequence ends one step after its last step that holds a number.
    ends = np.zeros(len(lengths), dtype=np.intp)
    np.maximum.at(ends, sequence[~blank], step[~blank] + 1)
    misplaced = nan.any(axis=1) & (step < ends[sequence])
    if not misplaced.any():
        return ends
    row = int(np.argmax(misplaced))
    end = ends[sequence[row]]
    i, t, f = start + int(sequence[row]), int(step[row]), int(np.argmax(nan[row]))
    where = name(i, t, f)
    fix = (
        "Impute missing values first (e.g. carry the last value forward), or pad "
        "only at the end"
    )
    if blank[row]:
        raise ValueError(
            f"{where} is NaN (sample {i}, time step {t}), but sample {i} has "
            f"numbers after it, up to time step {end - 1}: NaN is read only as "
            f"padding, whole steps of NaN at the end of a sequence. {fix}."
        )
    raise ValueError(
        f"{where} is NaN (sample {i}, time step {t}, feature {f}), but other "
        "features of that step are not: a step is padding only when all its "
        f"features are NaN, at the end of a sequence. {fix}, with whole steps of "
        "NaN."
    )


def padded_sequences(X):
    """A validated ``(n, T)`` or ``(n, T, F)`` array as :class:`NumericSequences`,
    each sequence ending where its trailing NaN padding begins.

    The padding is looked for a chunk of samples at a time, and only when X
    holds NaN at all.
    """
    X3 = as_3d(X)
    n, n_steps, n_features = X3.shape
    sequences = NumericSequences(
        X3, np.full(n, n_steps, dtype=np.intp), n_features, X.ndim == 2
    )
    if X3.dtype.kind != "f" or not X3.size or not np.isnan(np.min(X3)):
        return sequences
    offsets = np.arange(_CHUNK + 1, dtype=np.intp) * n_steps
    for start in range(0, n, _CHUNK):
        part = X3[start : start + _CHUNK]
        sequences.lengths[start : start + len(part)] = _lengths_without_padding(
            part.reshape(-1, n_features),
            offsets[: len(part) + 1],
            sequences.name,
            start,
        )
    return sequences


def _is_sequence(item):
    return isinstance(item, (list, tuple)) or getattr(item, "ndim", 0) >= 1


def _is_numeric_array(item):
    dtype = getattr(item, "dtype", None)
    return isinstance(dtype, np.dtype) and dtype.kind in "biuf"


def _shape(item):
    try:
        return np.shape(item)
    except ValueError:  # a ragged nested list: no shape
        return None


def sequence_items(X, any_length):
    """X's items when X is a list of numeric sequences, else None.

    A list or tuple whose every item is a sequence (an array, a Series, a list),
    or a 1-D object array or Series of them. With ``any_length`` False (a first
    fit), a list or tuple whose sequences all have the same shape is left to be
    read as one array, as scikit-learn reads a nested list: it then fixes
    ``n_features_in_``.
    """
    if isinstance(X, (list, tuple)):
        items = X
    elif getattr(X, "dtype", None) == np.dtype(object) and np.ndim(X) == 1:
        items = list(X)
        any_length = True  # NumPy keeps such an array 1-D: never one table
    else:
        return None
    if not items or not all(_is_sequence(item) for item in items):
        return None
    if not any_length:
        shapes = {_shape(item) for item in items}
        if len(shapes) == 1 and None not in shapes:
            return None
    return list(items)


def _one_sequence(item, i):
    """Item ``i`` of a list of sequences as a 1-D or 2-D numeric array."""
    try:
        a = np.asarray(item)
    except ValueError:
        raise ValueError(
            f"X[{i}] is not a sequence of numbers: its steps have different "
            "numbers of features. Each sequence of a list is an array of shape "
            "(n_timesteps,) or (n_timesteps, n_features)."
        ) from None
    if a.dtype.kind in "OSU":
        values = a.reshape(-1)
        if a.dtype.kind != "O" or _any_str(values):
            raise ValueError(
                f"X[{i}] holds strings; numeric sequences hold numbers, and strings "
                "are never converted to numbers (convert numbers written as text "
                "yourself, e.g. with astype(float))."
            )
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            kinds = sorted({type(v).__name__ for v in values})
            raise ValueError(
                f"X[{i}] holds {', '.join(kinds)} values, not only numbers: each "
                "sequence of a list is an array of numbers."
            ) from None
    if a.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: X[{i}] is complex.")
    if a.dtype.kind not in "biuf":
        raise ValueError(
            f"X[{i}] holds {a.dtype} values, not numbers: each sequence of a list "
            "is an array of numbers."
        )
    if a.ndim not in (1, 2):
        raise ValueError(
            f"X[{i}] has shape {a.shape}: each sequence of a list is 1-D "
            "(n_timesteps,) or 2-D (n_timesteps, n_features)."
        )
    return a


def sequence_list(items, n_step_features=None):
    """A list of sequences (arrays of shape ``(T_i,)`` or ``(T_i, F)``, of any
    lengths) as :class:`NumericSequences`, each ending where its trailing NaN
    padding begins, if it has any.

    ``n_step_features``: the F the model was fitted on (None in a first fit: the
    sequences agree on one). An empty 1-D item, ``[]``, is an empty sequence of
    any F.
    """
    arrays, widths = [], {}
    for i, item in enumerate(items):
        a = _one_sequence(item, i)
        if a.ndim == 2 or len(a):
            widths.setdefault(a.shape[1] if a.ndim == 2 else 1, i)
        arrays.append(a)
    n_features = n_step_features or min(widths, key=widths.get, default=1)
    for width, i in widths.items():
        if width == n_features:
            continue
        if n_step_features is not None:
            raise ValueError(
                f"X[{i}] has {width} features per time step, but this model was "
                f"fitted on {n_step_features}."
            )
        first = widths[n_features]
        raise ValueError(
            f"X[{i}] has {width} feature(s) per time step, but X[{first}] has "
            f"{n_features}: every sequence of a list has the same number of "
            "features per step."
        )
    if n_features < 1:
        raise ValueError(
            "Numeric sequences need at least 1 feature per step; got sequences "
            "of shape (n_timesteps, 0)."
        )
    univariate = all(a.ndim == 1 for a in arrays)
    arrays = [a.reshape(len(a), n_features) for a in arrays]
    lengths = np.array([len(a) for a in arrays], dtype=np.intp)
    sequences = NumericSequences(arrays, lengths, n_features, univariate)
    if not any(a.dtype.kind == "f" for a in arrays):
        return sequences  # no NaN: no padding
    for start in range(0, len(arrays), _CHUNK):
        part = sequences[start : start + _CHUNK]
        offsets = np.zeros(len(part) + 1, dtype=np.intp)
        np.cumsum(part.lengths, out=offsets[1:])
        lengths[start : start + len(part)] = _lengths_without_padding(
            np.concatenate(part.data),
            offsets,
            sequences.name,
            start,
        )
    return sequences


def reads_token_ids(tokenizer):
    """Whether the model reads token ids (``tokenizer="precomputed"``)."""
    if isinstance(tokenizer, str):
        return tokenizer == "precomputed"
    return getattr(tokenizer, "reads_token_ids", False)


def check_token_ids(X):
    """Validate precomputed token ids: a 2-D array of non-negative integers, one
    row per document, 0 for padding (as ``TextTokenizer.transform`` gives).
    Returns an int64 array."""
    _refuse_single_string(X)
    if hasattr(X, "tocsr") or hasattr(X, "__sparse__"):
        raise TypeError(
            "Token ids must be a dense 2-D array, got a sparse matrix; pass "
            "X.toarray()."
        )
    X = read_once(X)
    try:
        ids = np.asarray(X)
    except ValueError:  # rows of different lengths: no rectangular array
        raise ValueError(
            "With tokenizer='precomputed', X must be a 2-D array of token ids, one "
            "row per document padded with 0; got rows of different lengths. Pad "
            "each row with 0 to the longest one (TextTokenizer.transform does)."
        ) from None
    if ids.ndim != 2:
        raise ValueError(
            "With tokenizer='precomputed', X must be a 2-D array of token ids, one "
            f"row per document padded with 0 (TextTokenizer.transform's output); "
            f"got {describe(X)}."
        )
    if ids.dtype.kind == "O" and all(_is_integer(v) for v in ids.flat):
        ids = ids.astype(np.int64)
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind != "f":
            raise ValueError(
                "With tokenizer='precomputed', X must hold integer token ids; got "
                f"an array of dtype {ids.dtype}. Raw text needs a tokenizer: leave "
                "tokenizer=None."
            )
        # Floats are taken when they hold whole numbers (tools that convert X to
        # floats pass ids that way); name the first value that is not one.
        bad = ~np.isfinite(ids) | (ids != np.round(ids))
        if bad.any():
            row, column = np.argwhere(bad)[0]
            value = ids[row, column].item()
            raise ValueError(
                f"X[{row}, {column}] = {value!r} is not a token id: with "
                "tokenizer='precomputed', X holds whole numbers (0 for padding)."
            )
    if ids.size and ids.min() < 0:
        row, column = np.argwhere(ids < 0)[0]
        raise ValueError(
            f"Token id {ids[row, column]} at row {row}, column {column} is "
            "negative; ids are 0 (padding) or positive."
        )
    return ids.astype(np.int64, copy=False)


def check_one_column_of_documents(input_features, owner):
    """``get_feature_names_out``'s ``input_features`` for text input: at most
    the name of the one column of documents (as a ColumnTransformer passes it)."""
    if input_features is not None and len(input_features) > 1:
        raise ValueError(
            f"{owner} reads one column of documents, but input_features names "
            f"{len(input_features)}: {list(input_features)!r}."
        )


def _is_integer(value):
    return isinstance(value, Integral) and not isinstance(value, bool | np.bool_)


def looks_like_padded_ids(X):
    """An integer (n, T) array whose rows are positive values followed only by
    zeros: what TextTokenizer.transform gives, read as numbers by mistake."""
    if X.ndim != 2 or X.dtype.kind not in "iu" or X.size == 0:
        return False
    present = X != 0
    return bool(
        X.min() >= 0
        and X.max() >= 2
        and not present.all()
        and (np.diff(present.astype(np.int8), axis=1) <= 0).all()
    )


def _reads_any_items(tokenizer):
    """Whether ``tokenizer`` decides itself what a document is: a callable
    analyzer, as in CountVectorizer, takes each sample as it is given."""
    return callable(getattr(tokenizer, "analyzer", None))


def _one_column_hint(X):
    columns = getattr(X, "columns", None)
    if columns is not None and len(columns) == 1:
        return f" For a DataFrame's column of documents, pass X[{columns[0]!r}]."
    return ""


# ---------------------------------------------------------------- estimator input
def check_fit_input(estimator, X, y, *, reset, check_targets, dtype=np.float64):
    """Validate X and y for training; return (mode, data, y, fitted).

    ``check_targets`` validates y (the estimator's rule for labels or values).
    ``data`` is the list of documents (text) or :class:`NumericSequences`
    (numeric), whose values the model's ``dtype`` can hold; ``fitted`` holds
    what fitting records about the input (``n_features_in_``,
    ``feature_names_in_``). With ``reset=False`` (warm start, later
    ``partial_fit`` calls) X must be of the kind, and for numbers of the
    features per step (and an array of the width), the model was fitted on.
    Sets nothing on the estimator. Iterators (X, y) are read once.
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is "
            "None."
        )
    X, y = read_once(X), read_once(y)
    tokenizer = estimator.tokenizer if reset else getattr(estimator, "tokenizer_", None)
    if reads_token_ids(tokenizer):
        ids = check_token_ids(X)
        y = check_targets(y)
        check_consistent_length(ids, y)
        return "text", ids, y, {}
    docs = as_documents(
        X, None if reset else estimator.input_mode_, _reads_any_items(tokenizer)
    )
    if not reset:
        fitted_on_text = estimator.input_mode_ == "text"
        if (docs is not None) != fitted_on_text and not is_empty_1d(X):
            fitted = "text" if fitted_on_text else "numeric sequences"
            given = "text" if docs is not None else describe(X)
            raise ValueError(
                f"This model was fitted on {fitted}, so training can only continue "
                f"on {fitted}; got {given}. Set warm_start=False, or use a new "
                "estimator, to fit on another kind of input."
                + (_one_column_hint(X) if fitted_on_text else "")
            )
    if docs is not None:
        y = check_targets(y)
        check_consistent_length(docs, y)
        return "text", docs, y, {}
    if is_empty_1d(X):
        raise ValueError(
            "Found 0 samples: X is empty. Pass at least two documents or sequences."
        )
    items = sequence_items(X, any_length=not reset)
    if items is not None:
        # Sequences of their own lengths: no width to record or check.
        sequences = sequence_list(items, None if reset else estimator.n_step_features_)
        y = check_targets(y)
        check_consistent_length(sequences, y)
        return _fit_sequences(sequences, y, {}, reset, dtype)
    if reset:
        names = _get_feature_names(X)
        X = _numeric_array(
            X,
            lambda X: check_array(
                X, dtype="numeric", allow_nd=True, ensure_all_finite="allow-nan"
            ),
        )
        if looks_like_padded_ids(X):
            warn(
                "X is a 2-D array of integers whose rows end in zeros, like the "
                "token ids TextTokenizer.transform gives; it is read as numeric "
                "sequences, each id a magnitude. If these are token ids, set "
                "tokenizer='precomputed'."
            )
        fitted = {"n_features_in_": X.shape[1]}
        if names is not None:
            fitted["feature_names_in_"] = names
    else:
        X = _array_for_fitted(estimator, X)
        fitted = {}
    y = check_targets(y)
    check_consistent_length(X, y)
    return _fit_sequences(padded_sequences(X), y, fitted, reset, dtype)


def _array_for_fitted(estimator, X):
    """A numeric array checked against the fitted ``estimator``: scikit-learn's
    checks (its width too), then its features per step. Checked whole in its own
    dtype, with no copy; NaN is left to the padding rule."""
    X = _numeric_array(
        X,
        lambda X: validate_data(
            estimator,
            X,
            reset=False,
            dtype="numeric",
            allow_nd=True,
            ensure_all_finite="allow-nan",
        ),
    )
    n_step_features = as_3d(X).shape[2]
    if n_step_features != estimator.n_step_features_:
        raise ValueError(
            f"X has {n_step_features} features per time step, but this model was "
            f"fitted on {estimator.n_step_features_}."
        )
    return X


def _fit_sequences(sequences, y, fitted, reset, dtype):
    """check_fit_input's answer for numeric sequences: refused when a first fit
    would have no step to learn from, or when a value does not fit ``dtype``."""
    if reset and not sequences.lengths.any():
        raise ValueError(
            "Every sequence of X is empty (NaN only, or of length 0): there is "
            "nothing to learn from. NaN is read as padding at the end of a "
            "sequence; impute missing values instead of leaving them NaN."
        )
    sequences.check_range(dtype)
    return "numeric", sequences, y, fitted


def check_predict_input(estimator, X):
    """Check X against the fitted ``estimator``.

    Returns the list of documents (text), or :class:`NumericSequences` holding
    the caller's array (or arrays) as given: not converted to the model's dtype,
    which is for each chunk to do (see :meth:`NumericSequences.steps`), so that
    no copy of the whole input is made. Values out of the range of the model's
    dtype are refused here already. A 2-D or 3-D array must have the width
    ``fit`` saw, if it saw one (``n_features_in_``); a list of sequences may have
    any lengths. An iterator is read once.
    """
    check_is_fitted(estimator)
    X = read_once(X)
    tokenizer = getattr(estimator, "tokenizer_", None)
    if estimator.input_mode_ == "text" and reads_token_ids(tokenizer):
        return check_token_ids(X)
    docs = as_documents(X, estimator.input_mode_, _reads_any_items(tokenizer))
    if estimator.input_mode_ == "text":
        if docs is None:
            if is_empty_1d(X):
                raise ValueError(
                    "Found 0 documents: X is empty. Pass at least one document."
                )
            raise ValueError(
                "This model was fitted on text, so X must be a 1-D list, array or "
                f"Series of str documents; got {describe(X)}. Fit a new model to "
                "predict from numeric sequences." + _one_column_hint(X)
            )
        return docs
    if docs is not None:
        raise ValueError(
            "This model was fitted on numeric sequences, but X is text. Pass a 2-D "
            "or 3-D numeric array or a list of arrays, or fit a new model on text."
        )
    items = sequence_items(X, any_length=True)
    if items is not None:
        sequences = sequence_list(items, estimator.n_step_features_)
    else:
        steps = getattr(estimator, "n_features_in_", None)
        shape = getattr(X, "shape", None)
        if steps is not None and shape is not None and shape[1:2] not in ((), (steps,)):
            raise ValueError(
                f"X has {shape[1]} features, but {type(estimator).__name__} is "
                f"expecting {steps} features as input: numeric input is read as "
                f"sequences, and this model was fitted on arrays of {steps} time "
                f"steps. Pad shorter sequences at the end with NaN to {steps} "
                "steps, or pass the sequences as a list of arrays, which may have "
                "any lengths."
            )
        sequences = padded_sequences(_array_for_fitted(estimator, X))
    # The dtype the weights have (the dtype parameter may have changed since).
    sequences.check_range(estimator.output_bias_.dtype)
    return sequences


# ---------------------------------------------------------------- targets
def _missing_label_error(name, position, value, floats=False):
    # scikit-learn's words for NaN among float labels, which its checks look for.
    prefix = f"Input {name} contains NaN: " if floats else ""
    shown = repr(value.item() if isinstance(value, np.generic) else value)
    return ValueError(
        f"{prefix}{name} has a missing label ({shown}) at position {position}; "
        "every sample needs a class label. Drop the samples without one, or fill "
        "them with a label of their own, of the type of the other labels (e.g. "
        "'unknown' among strings, -1 among ints)."
    )


def check_label_types(y, *, name="y"):
    """Class labels as scikit-learn can classify them; refuse what it cannot.

    Returns the labels: as they are, or, for an object array (or list) that holds
    numbers only, as a numeric array (scikit-learn calls an object array of ints
    "unknown" labels). Refuses, naming the first position, missing labels (None,
    NaN, pandas' NA), which would otherwise become a class or a TypeError from
    sorting; and labels that mix strings with numbers: converting those to one
    array type would silently turn the number 1 into the string "1", and
    predictions would come back as strings. An iterator is read once.
    """
    if y is None or isinstance(y, (str, bytes)):
        return y
    y = read_once(y)
    isna = getattr(y, "isna", None)
    if callable(isna) and getattr(y, "ndim", None) == 1:  # a pandas Series
        missing = np.asarray(isna(), dtype=bool)
        if missing.any():
            position = int(np.flatnonzero(missing)[0])
            raise _missing_label_error(name, position, y.iloc[position])
    dtype = getattr(y, "dtype", None)
    kind = getattr(dtype, "kind", "O") if dtype is not None else "O"
    if kind == "f" and isinstance(y, np.ndarray) and y.ndim == 1:
        missing = np.isnan(y)
        if missing.any():
            position = int(np.flatnonzero(missing)[0])
            raise _missing_label_error(name, position, y[position], floats=True)
    if kind != "O":
        return y
    try:
        values = list(y)
    except TypeError:
        return y
    examples = {}
    for position, value in enumerate(values):
        if _is_missing(value):
            raise _missing_label_error(name, position, value)
        if isinstance(value, str):
            examples.setdefault("str", value)
        elif isinstance(value, (Real, np.number, np.bool_)):
            examples.setdefault("number", value)
        else:
            examples.setdefault("other", value)
    if "str" in examples and "number" in examples:
        raise ValueError(
            f"{name} mixes label types: strings and numbers (e.g. "
            f"{examples['str']!r} and {examples['number']!r}). Use one type for all "
            f"labels, e.g. {name} = [str(label) for label in {name}]."
        )
    if list(examples) == ["number"]:
        # Numbers only: NumPy finds their common type (bool, int or float).
        return np.asarray(values)
    return y


# ---------------------------------------------------------------- weights
def check_sample_weight(sample_weight, n_samples):
    """Validate sample weights; return a new float64 array, or None for None.

    One rule for every estimator and the tokenizer: a scalar weighs every sample
    alike (as in scikit-learn); otherwise one finite, non-negative number per
    sample, at least one of them positive, summing to at most
    ``MAX_TOTAL_WEIGHT``. The result is a copy, so the caller's array never
    changes when weights are later combined. An iterator is read once.
    """
    if sample_weight is None:
        return None
    sample_weight = read_once(sample_weight)
    weights = np.asarray(
        sample_weight, dtype=object if _has_none(sample_weight) else None
    )
    if weights.dtype.kind not in "biufO":
        raise ValueError(
            f"sample_weight must contain numbers, got an array of dtype "
            f"{weights.dtype}. Pass one non-negative float per sample."
        )
    try:
        weights = weights.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            "sample_weight must contain numbers; some values could not be "
            "converted to float. Pass one non-negative float per sample."
        ) from None
    if weights.ndim > 1:
        raise ValueError(
            f"sample_weight must be a scalar or 1-D with one weight per sample, got "
            f"an array of shape {weights.shape}."
        )
    if weights.ndim == 1 and len(weights) != n_samples:
        raise ValueError(
            f"sample_weight has {len(weights)} values but X has {n_samples} "
            "samples; pass exactly one weight per sample."
        )
    _first_bad(weights, ~np.isfinite(weights), "must be finite (not NaN or infinity)")
    _first_bad(weights, weights < 0, "must be non-negative")
    if n_samples == 0:
        return np.zeros(0)
    weights = _check_sample_weight(
        weights if weights.ndim else float(weights),
        np.empty((n_samples, 0)),
        dtype=np.float64,
        copy=True,
        allow_all_zero_weights=True,
    )
    if n_samples and not weights.any():
        raise ValueError(
            "sample_weight is zero for every sample; at least one weight must be "
            "positive, otherwise there is nothing to learn from."
        )
    check_weight_total(weights)
    return weights


# The largest total weight of the samples of one fit. The loss is the weighted
# mean of the samples' losses, sum(w * loss) / sum(w), so float64 must hold the
# sum of weights times a loss: this leaves room for a mean loss of 1.8e8, which
# is far beyond the point where training reports divergence (100 times the loss
# of a constant model). Rescaling the weights instead is not exact: the L2 penalty
# is alpha / 2 * ||W||^2 / sum(w), so their scale sets the regularisation.
MAX_TOTAL_WEIGHT = 1e300


def check_weight_total(weights, what="sample_weight"):
    """Refuse weights whose sum the weighted loss cannot be computed with."""
    with np.errstate(over="ignore"):
        total = weights.sum()
    if not total <= MAX_TOTAL_WEIGHT:  # inf included
        raise ValueError(
            f"{what} sums to {total:.3g}, more than {MAX_TOTAL_WEIGHT:.0e}: the "
            "loss, a sum of weight times sample loss, would overflow float64. "
            "Scale the weights down, e.g. divide them by their mean: their ratios "
            "weigh the samples against each other, while their scale sets the "
            "strength of the L2 penalty (alpha / sum of the weights), so divide "
            "alpha by the same factor to keep the same regularisation."
        )


def _has_none(values):
    return isinstance(values, (list, tuple)) and any(v is None for v in values)


def _first_bad(weights, bad, rule):
    if bad.any():
        position = int(np.flatnonzero(bad.reshape(-1))[0])
        value = weights.reshape(-1)[position]
        where = f" at position {position}" if weights.ndim else ""
        raise ValueError(f"sample_weight {rule}, got {value}{where}.")


# ---------------------------------------------------------------- validation_data
def _some(values, n=5):
    """At most ``n`` of ``values`` for a message, saying how many are left out."""
    values = list(values)
    more = f" and {len(values) - n} more" if len(values) > n else ""
    return f"{values[:n]!r}{more}"


def check_like_training(model, X_val, y_val):
    """Refuse a validation set unlike the training data, in words about X_val and
    y_val; return y_val, shaped as y was when a regressor's targets allow.

    ``model`` holds what fitting has found so far (input mode, shapes, classes
    or number of outputs); the general checks of the samples come after this.
    """
    tokenizer = getattr(model, "tokenizer_", None)
    text = model.input_mode_ == "text"
    if not reads_token_ids(tokenizer):
        docs = as_documents(X_val, model.input_mode_, _reads_any_items(tokenizer))
        if (docs is not None) != text and not is_empty_1d(X_val):
            given = "text" if docs is not None else f"numeric ({describe(X_val)})"
            trained = "text" if text else "numeric sequences"
            raise ValueError(
                f"X_val is {given}, but X is {trained}: the validation samples "
                "must be the same kind of input as the training samples."
            )
    shape = getattr(X_val, "shape", None)
    steps = getattr(model, "n_features_in_", None)
    array = not text and shape is not None and len(shape) >= 2
    if array and steps is not None and shape[1] != steps:
        raise ValueError(
            f"X_val is an array of {shape[1]} time steps, but X was one of "
            f"{steps}: an array is read at the width fit saw, as in predict. Pad "
            f"X_val at the end with NaN to {steps} steps, or pass its sequences as "
            "a list of arrays, which may have any lengths."
        )
    if array and len(shape) in (2, 3):
        per_step = shape[2] if len(shape) == 3 else 1
        if per_step != model.n_step_features_:
            raise ValueError(
                f"X_val has {per_step} feature(s) per time step, but X has "
                f"{model.n_step_features_}."
            )
    if y_val is None:
        raise ValueError("y_val is None: pass the targets of X_val.")
    classes = getattr(model, "classes_", None)
    if classes is not None:
        y_val = check_label_types(y_val, name="y_val")
        known = set(classes.tolist())
        try:
            labels = np.unique(np.asarray(y_val)).tolist()
        except TypeError:  # unorderable labels: the checks to come name them
            return y_val
        unseen = [label for label in labels if label not in known]
        if unseen:
            raise ValueError(
                f"y_val holds labels {_some(unseen)} that y does not: the "
                f"classes are {_some(classes.tolist(), 20)}, learnt from y. "
                "Validate on samples of these classes, or train on samples of "
                "every class."
            )
        return y_val
    n_outputs = getattr(model, "n_outputs_", None)
    if n_outputs is None:
        return y_val
    y_shape = np.shape(y_val)
    if len(y_shape) in (1, 2) and (y_shape[1:] or (1,))[0] == n_outputs:
        one_d = getattr(model, "_y_is_1d", n_outputs == 1)
        return np.reshape(np.asarray(y_val), (-1,) if one_d else (-1, n_outputs))
    raise ValueError(
        f"y_val has shape {y_shape}, but y has {n_outputs} target(s) per sample: "
        f"give y_val one row of {n_outputs} value(s) per sample of X_val."
    )
