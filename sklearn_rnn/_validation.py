"""Every input check, once: documents, numeric sequences, labels, sample weights.

The tokenizer and the estimators import these; nothing downstream checks again.
"""

import reprlib
from collections.abc import Mapping, Set
from numbers import Real

import numpy as np
from sklearn.utils.validation import (
    _check_sample_weight,
    _get_feature_names,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40


# ---------------------------------------------------------------- documents
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


def as_documents(X):
    """Tell raw text from numeric sequences.

    Returns the documents as a list of str when X is raw text, and None when X is
    to be validated as numbers (including an empty 1-D input, which has no kind).
    Raises, naming the problem, for a bare string and for a 1-D collection that
    holds strings, bytes or None where documents would be: numbers never come that
    way, so it can only be text gone wrong.
    """
    _refuse_single_string(X)
    if hasattr(X, "tocsr") or hasattr(X, "__sparse__"):
        return None  # sparse: the numeric path rejects it with scikit-learn's error
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        return None
    # Only a 1-D input can be text; ask its shape before converting anything, so a
    # DataFrame is not copied to objects just to be rejected.
    shape = getattr(X, "shape", None)
    if shape is not None:
        if len(shape) != 1:
            return None
        arr = X
    elif isinstance(X, (list, tuple)) or hasattr(X, "__array__"):
        arr = np.asarray(X, dtype=object)
    else:
        # Generators, sets, dicts and other iterables are never numeric input; the
        # document checker accepts the ordered ones and explains the others.
        return check_documents(X)
    if np.ndim(arr) != 1 or len(arr) == 0:
        return None
    if all(isinstance(x, str) for x in arr):
        return check_documents(arr)
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


def _strings_in_numeric_error(X):
    return ValueError(
        f"X holds strings but is not 1-D text: got {describe(X)}. Text must "
        "be a 1-D list, array or Series with one str document per sample "
        "(join the columns of a table into one document); numeric sequences "
        "must hold numbers."
    )


# ---------------------------------------------------------------- estimator input
def check_fit_input(estimator, X, y, *, reset, check_targets):
    """Validate X and y for training; return (mode, data, y, fitted).

    ``check_targets`` validates y (the estimator's rule for labels or values).
    ``data`` is the list of documents (text) or a 3-D float array (numeric);
    ``fitted`` holds what fitting records about the input (``n_features_in_``,
    ``feature_names_in_``). With ``reset=False`` (warm start, later
    ``partial_fit`` calls) X must be of the kind, and for numbers of the shape,
    the model was fitted on. Sets nothing on the estimator.
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is "
            "None."
        )
    docs = as_documents(X)
    if not reset:
        fitted_on_text = estimator.input_mode_ == "text"
        if (docs is not None) != fitted_on_text and not is_empty_1d(X):
            fitted = "text" if fitted_on_text else "numeric sequences"
            given = "text" if docs is not None else describe(X)
            raise ValueError(
                f"This model was fitted on {fitted}, so training can only continue "
                f"on {fitted}; got {given}. Set warm_start=False, or use a new "
                "estimator, to fit on another kind of input."
            )
    if docs is not None:
        y = check_targets(y)
        check_consistent_length(docs, y)
        return "text", docs, y, {}
    if is_empty_1d(X):
        raise ValueError(
            "Found 0 samples: X is empty. Pass at least two documents or sequences."
        )
    try:
        if reset:
            names = _get_feature_names(X)
            X = check_array(X, dtype=np.float64, allow_nd=True)
            fitted = {"n_features_in_": X.shape[1]}
            if names is not None:
                fitted["feature_names_in_"] = names
        else:
            X = validate_data(
                estimator, X, reset=False, dtype=np.float64, allow_nd=True
            )
            fitted = {}
    except ValueError as exc:
        if "could not convert string to float" not in str(exc):
            raise
        raise _strings_in_numeric_error(X) from exc
    y = check_targets(y)
    check_consistent_length(X, y)
    X = as_3d(X)
    if not reset and X.shape[2] != estimator.n_step_features_:
        raise ValueError(
            f"X has {X.shape[2]} features per time step, but this model was "
            f"fitted on {estimator.n_step_features_}."
        )
    return "numeric", X, y, fitted


def check_predict_input(estimator, X):
    """Check X against the fitted ``estimator``.

    Returns the list of documents (text) or the validated (n, T, F) array.
    """
    check_is_fitted(estimator)
    docs = as_documents(X)
    if estimator.input_mode_ == "text":
        if docs is None:
            if is_empty_1d(X):
                raise ValueError(
                    "Found 0 documents: X is empty. Pass at least one document."
                )
            raise ValueError(
                "This model was fitted on text, so X must be a 1-D list, array or "
                f"Series of str documents; got {describe(X)}. Fit a new model to "
                "predict from numeric sequences."
            )
        return docs
    if docs is not None:
        raise ValueError(
            "This model was fitted on numeric sequences of "
            f"{estimator.n_features_in_} time steps, but X is text. Pass a 2-D or 3-D "
            "numeric array, or fit a new model on text."
        )
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 2 and shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input: numeric input is read as "
            f"sequences, and this model was fitted on {estimator.n_features_in_} time "
            "steps. Pad or truncate the sequences to that length."
        )
    X = as_3d(validate_data(estimator, X, reset=False, dtype=np.float64, allow_nd=True))
    if X.shape[2] != estimator.n_step_features_:
        raise ValueError(
            f"X has {X.shape[2]} features per time step, but this model was "
            f"fitted on {estimator.n_step_features_}."
        )
    return X


# ---------------------------------------------------------------- targets
def check_label_types(y):
    """Refuse labels that mix strings with numbers.

    Converting such labels to one array type would silently turn the number 1 into
    the string "1", and predictions would come back as strings.
    """
    if y is None or isinstance(y, (str, bytes)):
        return
    dtype = getattr(y, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "O") != "O":
        return
    try:
        values = list(y)
    except TypeError:
        return
    examples = {}
    for value in values:
        if isinstance(value, str):
            examples.setdefault("str", value)
        elif isinstance(value, (Real, np.number, np.bool_)):
            examples.setdefault("number", value)
    if len(examples) > 1:
        raise ValueError(
            "y mixes label types: strings and numbers (e.g. "
            f"{examples['str']!r} and {examples['number']!r}). Use one type for all "
            "labels, e.g. y = [str(label) for label in y]."
        )


# ---------------------------------------------------------------- weights
def check_sample_weight(sample_weight, n_samples):
    """Validate sample weights; return a new float64 array, or None for None.

    One rule for every estimator and the tokenizer: a scalar weighs every sample
    alike (as in scikit-learn); otherwise one finite, non-negative number per
    sample, at least one of them positive, with a finite sum. The result is a
    copy, so the caller's array never changes when weights are later combined.
    """
    if sample_weight is None:
        return None
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
    with np.errstate(over="ignore"):
        total = weights.sum()
    if not np.isfinite(total):
        raise ValueError(
            "The sum of sample_weight overflows float64; divide the weights by "
            "a common factor (only their ratios matter)."
        )
    return weights


def _has_none(values):
    return isinstance(values, (list, tuple)) and any(v is None for v in values)


def _first_bad(weights, bad, rule):
    if bad.any():
        position = int(np.flatnonzero(bad.reshape(-1))[0])
        value = weights.reshape(-1)[position]
        where = f" at position {position}" if weights.ndim else ""
        raise ValueError(f"sample_weight {rule}, got {value}{where}.")
