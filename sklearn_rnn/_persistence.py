"""Saved models: version stamps on pickles, and a checking loader for skops files.

Pickled estimators record the package version and warn when another version loads
them. ``load_skops`` loads a ``skops.io`` file only if it holds no types beyond this
package's and skops' defaults, then checks what types alone cannot vouch for: a
tokenizer's regular expression and callables, and the consistency of the fitted
attributes.

This module sits below the estimators' modules, so it names their classes by their
qualified names instead of importing them.
"""

import inspect
import numbers
import os

import numpy as np

from . import _rnn
from ._version import __version__
from ._warnings import warn

# The key under which a pickled estimator's state records the package version.
_VERSION_KEY = "_sklearn_rnn_version"


class InconsistentVersionWarning(UserWarning):
    """A pickled estimator was saved by a different version of sklearn_rnn.

    Loading it may work, or give different predictions, or fail later: the
    attributes and the arithmetic of a fitted model can change between versions.
    Refit the model with the installed version, or install the version it was
    saved with (``original_version``).

    Attributes
    ----------
    estimator_name : str
    current_version : str
        The installed version of sklearn_rnn.
    original_version : str
        The version that pickled the estimator ("unknown" for a pickle without a
        version stamp).

    Examples
    --------
    >>> import warnings
    >>> from sklearn_rnn import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning(
    ...     estimator_name="TextRNNClassifier",
    ...     current_version="0.2.0",
    ...     original_version="0.1.0",
    ... )
    >>> warning.original_version
    '0.1.0'
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", InconsistentVersionWarning)
    ...     # e.g. around joblib.load(path), to refuse models of another version
    ...     pass
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version
        super().__init__(
            f"Loading a {estimator_name} pickled by sklearn_rnn "
            f"{original_version} into sklearn_rnn {current_version}. The model may "
            "predict differently or fail. Refit it with the installed version, or "
            f"install sklearn_rnn {original_version} to use it as it was."
        )


class VersionedStateMixin:
    """Record the package version in pickles and warn on loading another's.

    As scikit-learn does for its own estimators (whose stamp only covers modules
    named ``sklearn.*``).
    """

    def __getstate__(self):
        state = super().__getstate__()
        # A copy: the estimator's own __dict__ must not gain the key.
        return {**state, _VERSION_KEY: __version__}

    def __setstate__(self, state):
        state = dict(state)
        original = state.pop(_VERSION_KEY, "unknown")
        if original != __version__:
            warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=original,
                )
            )
        super().__setstate__(state)


# ------------------------------------------------------------------ skops files
_CLASSIFIER = "sklearn_rnn._classifier.TextRNNClassifier"
_REGRESSOR = "sklearn_rnn._regressor.TextRNNRegressor"
_TOKENIZER = "sklearn_rnn._tokenizer.TextTokenizer"
_PRECOMPUTED = "sklearn_rnn._tokenizer.PrecomputedIds"
_ADAM = "sklearn_rnn._optimizers.Adam"
_SGD = "sklearn_rnn._optimizers.SGD"
# A fitted tokenizer kept through fit (a TextTokenizer inside, audited as any).
_FROZEN = "sklearn.frozen._frozen.FrozenEstimator"
_FLAT_STATE = "sklearn_rnn._optimizers._FlatState"

#: The types a ``skops.io`` file of a model of this package holds beyond what skops
#: trusts by default (NumPy arrays, Python's plain types, scikit-learn's
#: estimators): the two estimators, the tokenizer (and what
#: ``tokenizer="precomputed"`` fits) and the optimizers' state, by qualified name.
#: Such a file holds no function. It does hold an object array, the
#: tokenizer's ``tokens_``, which skops stores as a JSON list of its strings, each
#: audited like any other value (never as a pickle). These types do not make a file
#: safe: a tokenizer's ``token_pattern`` is a plain string, so ``load_skops`` also
#: checks the values.
SKOPS_TRUSTED_TYPES = (
    _CLASSIFIER,
    _REGRESSOR,
    _TOKENIZER,
    _PRECOMPUTED,
    _ADAM,
    _SGD,
    _FLAT_STATE,
    _FROZEN,
)
# No document is this long; a larger transform width is a file's way of making
# every transform allocate without bound.
_MAX_OUTPUT_LENGTH = 10**7

# The recurrent estimators' weights: attribute -> (name in the optimizer's state,
# number of dimensions).
_WEIGHTS = {
    "input_weights_": ("W_xh", 2),
    "recurrent_weights_": ("W_hh", 2),
    "hidden_bias_": ("b_h", 1),
    "output_weights_": ("W_hy", 2),
    "output_bias_": ("b_y", 1),
    "embedding_weights_": ("W_emb", 2),
}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_DO_NOT_USE = "A genuine file never holds this: do not use the file."


class UntrustedModelError(ValueError):
    """A model file that :func:`load_skops` refused.

    Raised before the model is returned, so nothing from the file has run on your
    data. The message lists every problem found, each naming the type or the
    attribute concerned and what to do about it.

    Parameters
    ----------
    message : str
        The whole explanation.
    problems : list of str, default=()
        The problems, one per entry.

    Attributes
    ----------
    problems : list of str
        One entry per problem: a type outside the trusted ones, or an attribute
        path such as ``"model.tokenizer_.token_pattern"`` followed by the reason.

    See Also
    --------
    load_skops : The loader that raises it.

    Examples
    --------
    >>> from sklearn_rnn import UntrustedModelError
    >>> error = UntrustedModelError("Refusing to load model.skops", ["a reason"])
    >>> isinstance(error, ValueError), error.problems
    (True, ['a reason'])
    """

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


def load_skops(file, *, allowed_token_patterns=()):
    """Load a model from a ``skops.io`` file, refusing what could harm you.

    A skops file runs no code of its own when it loads, but the values it holds
    decide what the model then does with your data. This loader returns the model
    only if it passes these checks:

    1. Types: beyond those skops trusts by default, the file may hold only this
       package's classes (:data:`SKOPS_TRUSTED_TYPES`), so no one else's class
       or function is created. A custom tokenizer class is refused here.
    2. Tokenizers: in every :class:`TextTokenizer` found (the estimators'
       `tokenizer` and fitted `tokenizer_`, also inside a
       :class:`~sklearn.pipeline.Pipeline` or another meta-estimator),
       `token_pattern` must be the default or listed in
       `allowed_token_patterns`, since a regular expression can take time
       exponential in the length of a word. No parameter may be a callable
       (skops loads NumPy's ufuncs and Python's built-in types without
       asking), and each must be a value the documentation allows. The
       vocabulary must map each string to the id at which `tokens_` holds it,
       `tokens_` must hold strings only, and `vocabulary_size_` must match.
       scikit-learn's text vectorizers, which skops trusts by default, get the
       same `token_pattern` check.
    3. Estimators: in every :class:`TextRNNClassifier` and
       :class:`TextRNNRegressor` found, the parameters must be valid; the
       weights must be finite float arrays of one dtype whose shapes agree with
       each other, with the tokenizer's vocabulary size (text) or the number of
       features (numeric), and with ``classes_`` or ``n_outputs_``; the
       optimizer's state must have the weights' shapes.
    4. No attribute of an object of this package may stand in for a method or
       any other attribute its class defines.

    Types alone cannot vouch for a file: one whose only change is a catastrophic
    `token_pattern` holds the same types as the genuine one. The checks do not
    make a stranger's model good, nor bound its size (see Notes).

    Parameters
    ----------
    file : str, path-like or binary file object
        A file written by :func:`skops.io.dump`. It is read once: the checks and
        the loading use the same bytes.

    allowed_token_patterns : list of str, default=()
        Token patterns to accept besides each tokenizer's default, compared as
        exact strings. List a pattern only after reading it: one with nested
        repetition, such as ``r"(a+)+$"``, lets crafted text stall every
        prediction.

    Returns
    -------
    model : object
        The loaded object, usually a fitted :class:`TextRNNClassifier` or
        :class:`TextRNNRegressor`.

    Raises
    ------
    UntrustedModelError
        If the file holds a type beyond :data:`SKOPS_TRUSTED_TYPES` and skops'
        defaults, or a value the checks refuse. The message names each type or
        attribute and says what to do.
    ImportError
        If skops is not installed (``pip install skops``).

    See Also
    --------
    skops.io.dump : Save a model in this format.
    skops.io.get_untrusted_types : The types that check 1 compares with
        :data:`SKOPS_TRUSTED_TYPES`.

    Notes
    -----
    A model from a stranger keeps risks that no loader can check:

    - It predicts what it was trained to predict: it can be wrong, biased, or
      poisoned to misclassify inputs of the trainer's choosing.
    - Its size is the file's to choose: a huge vocabulary or huge weight arrays
      take memory as they load and time at every prediction. Check the size of
      the file before loading it.
    - A file saved by another version of sklearn_rnn emits
      :class:`InconsistentVersionWarning` and may predict differently.

    Pickle and joblib files are worse: loading one can run any code, so load them
    only from sources you trust.

    Examples
    --------
    >>> import os, tempfile
    >>> import skops.io as sio
    >>> from sklearn_rnn import TextRNNClassifier, TextTokenizer, load_skops
    >>> X = ["good", "not good", "bad", "not bad", "very good", "very bad"]
    >>> y = [1, 0, 0, 1, 1, 0]
    >>> clf = TextRNNClassifier(hidden_size=32, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skops")
    >>> sio.dump(clf, path)
    >>> load_skops(path).predict(["not good", "very good"])
    array([0, 1])

    A token pattern other than the default must be allowed by name:

    >>> tokenizer = TextTokenizer(token_pattern=r"[a-z]+")
    >>> clf = TextRNNClassifier(tokenizer, hidden_size=32, random_state=0).fit(X, y)
    >>> sio.dump(clf, path)
    >>> load_skops(path)
    Traceback (most recent call last):
    ...
    sklearn_rnn._persistence.UntrustedModelError: Refusing to load ...
    >>> load_skops(path, allowed_token_patterns=[r"[a-z]+"]).predict(["very good"])
    array([1])
    """
    allowed = _check_allowed_patterns(allowed_token_patterns)
    sio = _import_skops()
    data, name = _read(file)
    untrusted = sio.get_untrusted_types(data=data)
    unexpected = sorted(set(untrusted) - set(SKOPS_TRUSTED_TYPES))
    if unexpected:
        raise UntrustedModelError(
            f"Refusing to load {name}: it holds types that skops does not trust "
            "by default and that are not classes of sklearn_rnn "
            f"(SKOPS_TRUSTED_TYPES): {unexpected}. Loading it would create these "
            "objects or functions, whose code would then run on your data. If you "
            "trust the file's source and have reviewed each type, load it with "
            "skops.io.load(file, trusted=[...]) instead.",
            unexpected,
        )
    model = sio.loads(data, trusted=untrusted)
    problems = _Audit(allowed).run(model)
    if problems:
        listed = "".join(f"\n- {problem}" for problem in problems)
        raise UntrustedModelError(
            f"Refusing to load {name}: its types are trusted, but not all of its "
            f"values:{listed}",
            problems,
        )
    return model


def _check_allowed_patterns(patterns):
    if isinstance(patterns, str | bytes) or not all(
        isinstance(pattern, str) for pattern in patterns
    ):
        raise TypeError(
            "allowed_token_patterns must be a list of str, one per pattern; got "
            f"{patterns!r}. For one pattern, pass allowed_token_patterns=[pattern]."
        )
    return tuple(patterns)


def _import_skops():
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError(
            "load_skops needs skops, which is not installed: pip install skops "
            "(sklearn_rnn's 'test' extra also installs it)."
        ) from exc
    return sio


def _read(file):
    """The bytes of ``file`` (a path or a binary file object), and its name."""
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as f:
            data = f.read()
        name = os.fspath(file)
    elif hasattr(file, "read"):
        data = file.read()
        name = getattr(file, "name", "the file")
    else:
        raise TypeError(
            f"file must be a path or a binary file object, got {type(file).__name__}."
        )
    if not isinstance(data, bytes | bytearray):
        raise TypeError(
            f"Reading {name} gave {type(data).__name__}, not bytes: open it in "
            "binary mode ('rb')."
        )
    if not data:
        raise ValueError(f"{name} is empty, so it is not a skops file.")
    return bytes(data), name


def _type_name(obj):
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _sorted_unique(classes):
    try:
        labels = classes.tolist()
        return all(a < b for a, b in zip(labels, labels[1:], strict=False))
    except TypeError:  # labels that do not compare: not from fit
        return False


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(
        value, bool | np.bool_
    )


def _defaults(cls):
    """The default of each parameter of ``cls.__init__``."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not p.empty}


def _options(cls, param):
    """The strings a parameter's constraints allow."""
    return {
        option
        for constraint in cls._parameter_constraints[param]
        for option in getattr(constraint, "options", ())
    }


def _children(path, obj):
    """The values ``obj`` holds, each with its path; nothing is called."""
    if isinstance(obj, dict):
        return [(f"{path}[{key!r}]", value) for key, value in obj.items()]
    if isinstance(obj, list | tuple):
        return [(f"{path}[{i}]", value) for i, value in enumerate(obj)]
    if isinstance(obj, set | frozenset):
        return [(f"{path}{{...}}", value) for value in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype != object:
            return []
        return [
            (f"{path}[{i[0] if len(i) == 1 else i}]", v) for i, v in np.ndenumerate(obj)
        ]
    state = getattr(obj, "__dict__", None)
    if isinstance(obj, type) or not isinstance(state, dict):
        return []  # classes, and values without attributes
    return [(f"{path}.{key}", value) for key, value in state.items()]


# Values that hold nothing and need no check of their own, e.g. a vocabulary's words.
_LEAVES = (str, bytes, numbers.Number, type(None), np.generic)


def _walk(model):
    """Every object ``model`` holds, itself included, once each with a path.

    Iterative, since a crafted file may nest deeply.
    """
    found, stack, seen = [], [("model", model)], set()
    while stack:
        path, obj = stack.pop()
        if id(obj) not in seen:
            seen.add(id(obj))
            found.append((path, obj))
            stack.extend(
                (where, value)
                for where, value in reversed(_children(path, obj))
                if not isinstance(value, _LEAVES)
            )
    return found


class _Audit:
    """The value checks of :func:`load_skops`; ``run`` returns the problems."""

    def __init__(self, allowed_patterns):
        self.allowed_patterns = allowed_patterns
        self.problems = []

    def refuse(self, path, reason):
        self.problems.append(f"{path} {reason}")

    def run(self, model):
        objects = _walk(model)
        # First make sure the objects' methods are their classes' own: the checks
        # below call some of them.
        for path, obj in objects:
            if _type_name(obj).startswith("sklearn_rnn."):
                self._no_shadowing(path, obj)
        if self.problems:
            return self.problems
        for path, obj in objects:
            name = _type_name(obj)
            if name == _TOKENIZER:
                self._tokenizer(path, obj)
            elif name == _PRECOMPUTED:
                size = vars(obj).get("vocabulary_size_")
                if "vocabulary_size_" in vars(obj) and not (
                    _is_int(size) and size >= 2
                ):
                    self.refuse(
                        f"{path}.vocabulary_size_", f"is {size!r}, not an int >= 2."
                    )
            elif name in (_CLASSIFIER, _REGRESSOR):
                self._estimator(path, obj)
            elif hasattr(obj, "get_params") and not isinstance(obj, type):
                self._token_pattern(path, obj)  # e.g. scikit-learn's vectorizers
        return self.problems

    # ------------------------------------------------------------ any object
    def _no_shadowing(self, path, obj):
        cls = type(obj)
        params = _defaults(cls)
        for key in vars(obj):
            if not isinstance(key, str):
                self.refuse(path, f"has an attribute named {key!r}. {_DO_NOT_USE}")
            elif key not in params and hasattr(cls, key):
                self.refuse(
                    f"{path}.{key}",
                    f"stands in for what {cls.__name__} defines (a method or a class "
                    f"attribute). {_DO_NOT_USE}",
                )

    def _token_pattern(self, path, obj):
        defaults = _defaults(type(obj))
        if "token_pattern" not in defaults:
            return
        default = defaults["token_pattern"]
        pattern = getattr(obj, "token_pattern", default)
        if not isinstance(pattern, str):
            if pattern is not None:  # None: scikit-learn's "no pattern"
                self.refuse(
                    f"{path}.token_pattern",
                    f"is a {type(pattern).__name__}, not a str. {_DO_NOT_USE}",
                )
        elif pattern != default and pattern not in self.allowed_patterns:
            self.refuse(
                f"{path}.token_pattern",
                f"is {pattern!r}, not the default {default!r}. A pattern can take "
                "time exponential in the length of a word (with r'(a+)+$', each "
                "extra letter doubles it). If you have read "
                f"this one and trust it, pass allowed_token_patterns=[{pattern!r}].",
            )

    def _valid_params(self, path, obj):
        """Whether the parameters pass the class's own validation."""
        try:
            obj._validate_params()
        except Exception as exc:  # whatever a crafted value raises is a refusal
            self.refuse(path, f"has an invalid parameter: {exc}")
            return False
        return True

    # ------------------------------------------------------------ tokenizers
    def _tokenizer(self, path, tok):
        self._token_pattern(path, tok)
        callables = [
            key for key in _defaults(type(tok)) if callable(vars(tok).get(key))
        ]
        for key in callables:
            self.refuse(
                f"{path}.{key}",
                f"is a callable, {vars(tok)[key]!r}, which would run on every "
                "document. A file may hold only the values the documentation lists "
                "(no callable analyzer, tokenizer or strip_accents); to use a "
                "function, set it yourself and refit.",
            )
        stop_words = vars(tok).get("stop_words")
        if isinstance(stop_words, list) and not all(
            isinstance(word, str) for word in stop_words
        ):
            self.refuse(f"{path}.stop_words", "holds values that are not str.")
        if callables or not self._valid_params(path, tok):
            return
        if any(k in vars(tok) for k in ("vocabulary_", "tokens_", "vocabulary_size_")):
            self._vocabulary(path, tok)

    def _output_length(self, path, tok):
        length = vars(tok).get("output_length_")
        if tok.max_len is not None or tok.n_buckets is not None:
            if length != tok.max_len:
                self.refuse(
                    f"{path}.output_length_",
                    f"is {length!r}, but max_len={tok.max_len!r} sets the width.",
                )
        elif not (_is_int(length) and 0 <= length <= _MAX_OUTPUT_LENGTH):
            self.refuse(
                f"{path}.output_length_",
                f"is {length!r}, not a number of tokens (an int from 0 to "
                f"{_MAX_OUTPUT_LENGTH:,}).",
            )

    def _vocabulary(self, path, tok):
        if "output_length_" in vars(tok):  # absent from files of version 0.1
            self._output_length(path, tok)
        size = vars(tok).get("vocabulary_size_")
        if not _is_int(size) or size < 2:
            self.refuse(f"{path}.vocabulary_size_", f"is {size!r}, not an int >= 2.")
            return
        vocabulary, tokens = vars(tok).get("vocabulary_"), vars(tok).get("tokens_")
        if tok.n_buckets is not None:
            if size != tok.n_buckets + 2:
                self.refuse(
                    f"{path}.vocabulary_size_",
                    f"is {size}, but n_buckets={tok.n_buckets} makes "
                    f"{tok.n_buckets + 2} ids.",
                )
            if vocabulary is not None or tokens is not None:
                self.refuse(path, "holds a vocabulary, which hashing mode has not.")
            return
        if not (
            isinstance(tokens, np.ndarray)
            and tokens.shape == (size,)
            and all(isinstance(token, str) for token in tokens.tolist())
            and tokens[:2].tolist() == [tok.PAD_TOKEN, tok.UNK_TOKEN]
        ):
            self.refuse(
                f"{path}.tokens_",
                f"is not a 1-D array of vocabulary_size_={size} str, starting with "
                f"the reserved {tok.PAD_TOKEN!r} and {tok.UNK_TOKEN!r}.",
            )
            return
        if not isinstance(vocabulary, dict) or len(vocabulary) != size - 2:
            self.refuse(
                f"{path}.vocabulary_",
                f"is not a dict of the {size - 2} tokens of tokens_ after the "
                "reserved ones.",
            )
            return
        for token, token_id in vocabulary.items():
            if not (
                isinstance(token, str)
                and _is_int(token_id)
                and 2 <= token_id < size
                and tokens[token_id] == token
            ):
                self.refuse(
                    f"{path}.vocabulary_[{token!r}]",
                    f"is {token_id!r}, but each token must map to the id at which "
                    "tokens_ holds it.",
                )
                return

    # ------------------------------------------------------------ estimators
    def _estimator(self, path, est):
        tokenizer = vars(est).get("tokenizer")
        if _type_name(tokenizer) == _FROZEN:
            tokenizer = vars(tokenizer).get("estimator")
        if not (
            tokenizer is None
            or isinstance(tokenizer, str)  # "precomputed"; validated with the rest
            or _type_name(tokenizer) == _TOKENIZER
        ):
            self.refuse(
                f"{path}.tokenizer",
                f"is a {type(tokenizer).__name__}; a file may hold only None, "
                "'precomputed', a TextTokenizer or one in a FrozenEstimator.",
            )
            return
        state = vars(est)
        if not self._valid_params(path, est) or "input_mode_" not in state:
            return  # invalid, or not fitted: no fitted attributes to check
        mode = state["input_mode_"]
        if mode not in ("text", "numeric"):
            self.refuse(f"{path}.input_mode_", f"is {mode!r}, not 'text' or 'numeric'.")
            return
        weights = self._weights(path, est, mode)
        if weights is None:
            return
        # The rows of the matrix a step's input selects (text) or multiplies.
        n_inputs = weights.get("embedding_weights_", weights["input_weights_"]).shape[0]
        if state.get("n_step_features_") != n_inputs:
            self.refuse(
                f"{path}.n_step_features_",
                f"is {state.get('n_step_features_')!r}, but the weights take "
                f"{n_inputs} inputs a step.",
            )
        if mode == "text":
            tokenizer = state.get("tokenizer_")
            precomputed = isinstance(est.tokenizer, str)
            expected = _PRECOMPUTED if precomputed else _TOKENIZER
            if _type_name(tokenizer) != expected:
                self.refuse(
                    f"{path}.tokenizer_",
                    f"is a {type(tokenizer).__name__}, not a fitted "
                    f"{expected.rsplit('.', 1)[1]}.",
                )
            elif (size := vars(tokenizer).get("vocabulary_size_")) != n_inputs:
                self.refuse(
                    f"{path}.tokenizer_.vocabulary_size_",
                    f"is {size!r}, but the weights have {n_inputs} rows, one per id.",
                )
        self._outputs(path, est, weights["output_bias_"].shape[0])
        self._settings(path, est)
        self._optimizer(path, est, weights)

    def _weights(self, path, est, mode):
        """The weights if they are consistent, else None (the problem listed)."""
        state = vars(est)
        weights = {}
        for attr, (_, ndim) in _WEIGHTS.items():
            if attr not in state:
                if attr != "embedding_weights_":
                    self.refuse(path, f"is fitted but has no {attr}.")
                    return None
                continue
            value = state[attr]
            if not (
                isinstance(value, np.ndarray)
                and value.dtype in _FLOATS
                and value.ndim == ndim
            ):
                self.refuse(f"{path}.{attr}", f"is not a {ndim}-D float array.")
                return None
            weights[attr] = value
        dtypes = sorted({str(value.dtype) for value in weights.values()})
        if len(dtypes) > 1:
            self.refuse(path, f"has weights of several dtypes: {dtypes}.")
            return None
        if "embedding_weights_" in weights and mode != "text":
            self.refuse(f"{path}.embedding_weights_", "is set on a numeric model.")
            return None
        hidden = weights["recurrent_weights_"].shape[0]
        n_outputs = weights["output_bias_"].shape[0]
        layers = self._layer_weights(path, est, hidden)
        if layers is None:
            return None
        bidirectional = "W_hh_r" in layers
        pooling = state.get("_pooling")
        width = (
            _rnn.summary_width(hidden, pooling, bidirectional)
            if pooling in _rnn.POOLING_OPTIONS
            else weights["output_weights_"].shape[0]  # refused by _settings
        )
        rows_xh = (
            weights["embedding_weights_"].shape[1]
            if "embedding_weights_" in weights
            else weights["input_weights_"].shape[0]
        )
        expected = {
            "input_weights_": (rows_xh, hidden),
            "recurrent_weights_": (hidden, hidden),
            "hidden_bias_": (hidden,),
            "output_weights_": (width, n_outputs),
            "output_bias_": (n_outputs,),
        }
        wrong = [
            f"{attr} has shape {weights[attr].shape}, expected {shape}"
            for attr, shape in expected.items()
            if weights[attr].shape != shape
        ]
        if wrong or not (hidden and n_outputs and rows_xh):
            self.refuse(
                path,
                "has weights whose shapes disagree: "
                f"{'; '.join(wrong) or 'a size of 0'}.",
            )
            return None
        for attr, value in weights.items():
            if not np.isfinite(value).all():
                self.refuse(f"{path}.{attr}", "holds NaN or infinite values.")
                return None
        wrong = [
            f"{name} has shape {value.shape}, expected {shape}"
            for name, value in layers.items()
            if value.shape != (shape := _layer_shape(name, rows_xh, hidden, layers))
        ]
        if wrong:
            self.refuse(
                f"{path}.layer_weights_", f"has wrong shapes: {'; '.join(wrong)}."
            )
            return None
        if any(
            value.dtype != weights["recurrent_weights_"].dtype
            for value in layers.values()
        ):
            self.refuse(
                f"{path}.layer_weights_", "has another dtype than the other weights."
            )
            return None
        return {**weights, **layers}

    def _layer_weights(self, path, est, hidden):
        """The weights of the layers and direction beyond layer 0's forward one,
        if they form a whole network (else None, the problem listed)."""
        layers = vars(est).get("layer_weights_", {})
        where = f"{path}.layer_weights_"
        if not isinstance(layers, dict):
            self.refuse(where, f"is a {type(layers).__name__}, not a dict.")
            return None
        parsed = {name: _rnn.parse_cell_name(name) for name in layers}
        if any(p is None or p[1:] == (0, False) for p in parsed.values()):
            self.refuse(where, f"holds names that are no layer's: {sorted(layers)}.")
            return None
        n_layers = 1 + max((p[1] for p in parsed.values()), default=0)
        dirs = (False, True) if any(p[2] for p in parsed.values()) else (False,)
        expected = {
            _rnn.cell_name(base, layer, reverse)
            for base in _rnn.CELL_NAMES
            for layer in range(n_layers)
            for reverse in dirs
        } - set(_rnn.CELL_NAMES)
        if set(layers) != expected:
            self.refuse(
                where,
                f"holds {sorted(layers)}, not the whole network's {sorted(expected)}.",
            )
            return None
        for name, value in layers.items():
            ndim = 1 if name.startswith("b_") else 2
            if not (
                isinstance(value, np.ndarray)
                and value.dtype in _FLOATS
                and value.ndim == ndim
                and np.isfinite(value).all()
            ):
                self.refuse(
                    f"{where}[{name!r}]", f"is not a finite {ndim}-D float array."
                )
                return None
        return layers

    def _outputs(self, path, est, n_outputs):
        state = vars(est)
        if _type_name(est) == _CLASSIFIER:
            classes = state.get("classes_")
            if not (
                isinstance(classes, np.ndarray)
                and classes.shape == (n_outputs,)
                and n_outputs >= 2
            ):
                self.refuse(
                    f"{path}.classes_",
                    f"is not a 1-D array of the {n_outputs} classes of the output "
                    "weights (at least 2).",
                )
            elif classes.dtype == object and not all(
                isinstance(label, str | numbers.Number) for label in classes.tolist()
            ):
                self.refuse(
                    f"{path}.classes_", "holds labels that are not str or numbers."
                )
            elif not _sorted_unique(classes):
                self.refuse(
                    f"{path}.classes_",
                    "is not sorted, unique and free of NaN, as fit leaves it: "
                    "predictions would map to the wrong labels.",
                )
            return
        if state.get("n_outputs_") != n_outputs:
            self.refuse(
                f"{path}.n_outputs_",
                f"is {state.get('n_outputs_')!r}, but the output weights have "
                f"{n_outputs} outputs.",
            )
        for attr in ("target_mean_", "target_scale_"):
            value = state.get(attr)
            if not (
                isinstance(value, np.ndarray)
                and value.dtype.kind == "f"
                and value.shape == (n_outputs,)
                and np.isfinite(value).all()
            ):
                self.refuse(
                    f"{path}.{attr}",
                    f"is not a finite float array of shape ({n_outputs},).",
                )
            elif attr == "target_scale_" and not (value > 0).all():
                self.refuse(
                    f"{path}.target_scale_",
                    "is not positive: fit divides the targets by it.",
                )
        y_is_1d = state.get("_y_is_1d")
        if not isinstance(y_is_1d, bool) or (y_is_1d and n_outputs != 1):
            self.refuse(
                f"{path}._y_is_1d",
                f"is {y_is_1d!r}, which does not fit {n_outputs} outputs.",
            )

    def _settings(self, path, est):
        """The pooling and reading a fit fixed for prediction."""
        state, cls = vars(est), type(est)
        pooling = state.get("_pooling")
        if pooling not in _options(cls, "pooling") - {"auto"}:
            self.refuse(f"{path}._pooling", f"is {pooling!r}, not a pooling.")
        nonlinearity = state.get("_nonlinearity", "tanh")
        if nonlinearity not in _rnn.NONLINEARITIES:
            self.refuse(
                f"{path}._nonlinearity", f"is {nonlinearity!r}, not 'tanh' or 'relu'."
            )
        reading = state.get("_reading")
        if not (
            isinstance(reading, tuple)
            and len(reading) == 2
            and (reading[0] is None or (_is_int(reading[0]) and reading[0] >= 1))
            and reading[1] in _options(cls, "truncation")
        ):
            self.refuse(
                f"{path}._reading",
                f"is {reading!r}, not (max_len, truncation) as the parameters allow.",
            )

    def _optimizer(self, path, est, weights):
        """The optimizer's state, used by warm_start and partial_fit."""
        optimizer = vars(est).get("_optimizer")
        name = _type_name(optimizer)
        try:
            if name == _ADAM:
                states = {"m": optimizer.m, "v": optimizer.v}
            elif name == _SGD:
                states = {"velocities": optimizer.velocities}
            else:
                self.refuse(
                    f"{path}._optimizer",
                    f"is a {type(optimizer).__name__}, not Adam or SGD.",
                )
                return
        except Exception as exc:  # a crafted layout fails to reshape
            self.refuse(f"{path}._optimizer", f"has an unreadable state: {exc}")
            return
        expected = {
            _WEIGHTS[attr][0] if attr in _WEIGHTS else attr: value.shape
            for attr, value in weights.items()
        }
        # A frozen embedding has no optimizer state.
        frozen = {k: v for k, v in expected.items() if k != "W_emb"}
        for key, state in states.items():
            shapes = (
                {k: getattr(v, "shape", None) for k, v in state.items()}
                if isinstance(state, dict)
                else None
            )
            floats = isinstance(state, dict) and all(
                isinstance(v, np.ndarray) and v.dtype in _FLOATS for v in state.values()
            )
            if shapes not in (expected, frozen) or not floats:
                self.refuse(
                    f"{path}._optimizer.{key}",
                    "does not hold one float array per weight, of the weight's shape.",
                )


def _layer_shape(name, rows_xh, hidden, layers):
    """The shape parameter ``name`` of ``layer_weights_`` must have."""
    base, layer, _ = _rnn.parse_cell_name(name)
    if base == "b_h":
        return (hidden,)
    if base == "W_hh":
        return (hidden, hidden)
    n_directions = 2 if "W_hh_r" in layers else 1
    return (rows_xh if layer == 0 else n_directions * hidden, hidden)
