"""The estimator base shared by TextRNNClassifier and TextRNNRegressor.

It holds what the two have in common: the parameters, the dispatch between text
and numeric input, one ``_fit`` for ``fit``, ``partial_fit`` and warm start,
chunked prediction, ``transform`` and per-step outputs. A fit builds its fitted
state aside and publishes it in one step at the end, so a failed call changes
nothing. Subclasses say only what differs: how targets are encoded, how samples
are weighed, and which loss the output layer trains with.
"""

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import KW_ONLY, dataclass, replace
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from joblib.parallel import get_active_backend
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    has_fit_parameter,
)

from . import _docs, _rnn
from ._optimizers import Plateau, make_optimizer
from ._parallel import MAX_SHARDS, WORKERS_SUPPORTED
from ._persistence import VersionedStateMixin
from ._sequences import TRUNCATIONS, Ragged
from ._threads import blas_threads
from ._tokenizer import (
    PrecomputedIds,
    TextTokenizer,
    WordVectors,
    is_text_tokenizer,
)
from ._training import (
    PREDICT_CHUNK,
    DataSet,
    Run,
    Settings,
    epochs,
    train,
    validation_split,
)
from ._validation import (
    check_fit_input,
    check_like_training,
    check_one_column_of_documents,
    check_predict_input,
    check_sample_weight,
    read_once,
)
from ._warnings import warn

# Public fitted attribute holding each parameter of the recurrent math.
WEIGHT_ATTRIBUTES = {
    "W_xh": "input_weights_",
    "W_hh": "recurrent_weights_",
    "b_h": "hidden_bias_",
    "W_hy": "output_weights_",
    "b_y": "output_bias_",
    "W_emb": "embedding_weights_",
}

# The private fitted attributes: with the public ones (named with a trailing
# underscore), what a fit from scratch replaces and nothing else.
_PRIVATE_FITTED = ("_optimizer", "_pooling", "_nonlinearity", "_reading")


def _is_fitted_attribute(name, private):
    return (name.endswith("_") and not name.startswith("_")) or name in private


# early_stopping="auto" sets aside a validation set from this many samples on: then
# it holds 100 or more samples (at the default validation_fraction), enough to
# judge, and the corpus is large enough to spare them. On a few dozen samples a
# validation set is too small to tell a better epoch from noise, and the samples
# are worth more for training.
AUTO_EARLY_STOPPING_SAMPLES = 1000


def _interrupted(state, late=False):
    """The message of a fit interrupted after it had something to keep."""
    when = "as training finished" if late else f"after {epochs(state['n_iter_'])}"
    return (
        f"Training interrupted by the user {when}; the model keeps the weights of "
        f"epoch {state['best_epoch_']}."
    )


def _same_value(a, b):
    """Whether two parameter values are equal (arrays and odd types included)."""
    if a is b:
        return True
    try:
        return bool(np.array_equal(a, b)) if hasattr(a, "shape") else bool(a == b)
    except (TypeError, ValueError):
        return False


_UNWATCHED_SCORE = (
    "monitor='score' had no effect: no validation set was watched, so the training "
    "loss decided when to stop. early_stopping='auto' sets one aside from 1,000 "
    "samples on; set early_stopping=True, or pass validation_data (with "
    "early_stopping left at 'auto' or True)."
)


def _check_validation_data(validation_data):
    """``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)`` as a 3-tuple."""
    if validation_data is None:
        return None
    if not isinstance(validation_data, tuple | list) or len(validation_data) not in (
        2,
        3,
    ):
        what = type(validation_data).__name__
        if isinstance(validation_data, tuple | list):
            what = f"a {what} of {len(validation_data)} items"
        raise ValueError(
            "validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
            f"sample_weight_val), as in Keras' fit; got {what}."
        )
    X_val, y_val, *weights = validation_data
    return X_val, y_val, weights[0] if weights else None


def reading_inputs_once(score):
    """A mixin's ``score(X, y, sample_weight)`` that reads iterators once: the
    metric would refuse a generator of targets that predict's X can be."""

    def wrapper(self, X, y, sample_weight=None):
        """The model's score on (X, y): the mean accuracy of a classifier, the
        R^2 of a regressor (averaged uniformly over several targets), as in
        scikit-learn.

        Parameters
        ----------
        X : list of str, or array-like of numeric sequences
            The samples, as for ``predict``; an iterator is read once.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The true labels or targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the score.

        Returns
        -------
        score : float
            Accuracy, or R^2.
        """
        return score(self, read_once(X), read_once(y), read_once(sample_weight))

    wrapper.__name__ = wrapper.__qualname__ = score.__name__
    return wrapper


def shared_docs(cls):
    """Class decorator: fill the docstring with the sections both estimators share.

    A marker ``[name]`` on a line of its own is replaced by the section ``NAME`` of
    ``_docs``, so the text of a shared parameter is written once.
    """
    doc = cls.__doc__
    for name in ("parameters", "attributes", "see_also", "notes"):
        marker = f"    [{name}]\n"
        if marker not in doc:
            raise ValueError(f"{cls.__name__}'s docstring has no {marker.strip()}")
        doc = doc.replace(marker, getattr(_docs, name.upper()))
    cls.__doc__ = doc
    return cls


# Prediction runs chunks in threads (with n_jobs) from this hidden size on.
_THREADED_PREDICTION_HIDDEN_SIZE = 128

# What max_len="auto" reads of a document, in tokens: on the SpamAssassin
# e-mails (the docs' hyperparameter page), reading the first 256 tokens was as
# accurate as reading everything in about a quarter of the time; numeric sequences
# are read whole.
AUTO_MAX_LEN = 256


def _warn_auto_cut(lengths, reading):
    """The warning that max_len="auto" cut training documents, saying how much."""
    max_len, truncation = reading
    if max_len is None or not len(lengths) or lengths.max() <= max_len:
        return
    cut = lengths > max_len
    dropped = (lengths[cut] - max_len).sum() / max(lengths.sum(), 1)
    kept = {
        "head": f"its first {max_len} tokens",
        "tail": f"its last {max_len} tokens",
    }.get(
        truncation,
        f"its first {max_len - max_len // 2} and last {max_len // 2} tokens",
    )
    warn(
        f"max_len='auto' read {cut.sum()} of {len(lengths)} training documents "
        f"in part: of each, {kept} (truncation={truncation!r}), "
        f"leaving out {dropped:.0%} of all training tokens; prediction reads "
        "documents the same way. "
        "Set max_len=None to read whole documents (fit time then grows with the "
        "longest ones), or set max_len to a number of tokens to choose the "
        "length and silence this warning."
    )


# One declaration of each parameter serves both estimators: the dataclass writes
# the plain ``__init__`` scikit-learn expects (each argument stored under its own
# name, nothing else), which a subclass extends with its own parameters.
@dataclass(eq=False, repr=False)
class BaseTextRNN(VersionedStateMixin, TransformerMixin, BaseEstimator):
    """Base of the recurrent estimators; not for direct use."""

    tokenizer: object = None
    _: KW_ONLY
    hidden_size: int = 64
    num_layers: int = 1
    bidirectional: bool = False
    nonlinearity: str = "tanh"
    embedding_size: int | None = None
    embedding_init: object = None
    freeze_embedding: bool = False
    pooling: str = "auto"
    max_len: object = "auto"
    truncation: str = "head"
    recurrent_init: str = "uniform"
    input_dropout: float = 0.0
    layer_dropout: float = 0.0
    dropout: float = 0.0
    solver: str = "adam"
    learning_rate: str = "constant"
    learning_rate_init: float = 1e-2
    plateau_factor: float = 0.2
    plateau_patience: int = 3
    batch_size: object = "auto"
    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10
    early_stopping: object = "auto"
    validation_fraction: float = 0.1
    monitor: str = "loss"
    alpha: float = 1e-4
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    clip_norm: float | None = 5.0
    clip_value: float | None = None
    shuffle: bool = True
    length_bucketing: bool = True
    blas_threads: object = "auto"
    n_jobs: int | None = None
    dtype: object = "float64"
    random_state: object = None
    warm_start: bool = False
    verbose: object = False

    # The loss the output layer trains with (see _rnn.LOSSES).
    _loss = None
    # A subclass's own private fitted attributes (see _PRIVATE_FITTED).
    _private_fitted = ()
    # What pooling="auto" means for each input kind: each estimator's best in
    # the documentation's measurements.
    _auto_pooling = None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        # transform returns the model's own dtype, whatever the input's.
        try:
            dtype = np.dtype(self.dtype).name
        except TypeError:
            dtype = "float64"  # an invalid dtype; fit will say so
        tags.transformer_tags.preserves_dtype = [dtype]
        return tags

    def _validate_params(self):
        """scikit-learn's parameter validation, and no bool for a number.

        ``True`` is an ``int`` to Python, so ``hidden_size=True`` would pass an
        integer constraint as 1; a bool is taken only where the constraints
        name booleans.
        """
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) and not any(
                c in ("boolean", "verbose") for c in constraints
            ):
                default = self.__dataclass_fields__[name].default
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} does not "
                    f"take a bool ({value!r} would silently mean {int(value)}); got "
                    f"{name}={value!r}. Pass one of the values its documentation "
                    f"lists (the default is {name}={default!r})."
                )
        super()._validate_params()

    def __getstate__(self):
        # Wall-clock seconds describe a run, not the model: without them, two
        # identical fits pickle, and joblib.hash, identically (joblib.Memory
        # caches and deduplication rely on that).
        state = super().__getstate__()
        history = state.get("history_")
        if history:
            history = [{k: v for k, v in r.items() if k != "seconds"} for r in history]
            state = {**state, "history_": history}
        return state

    # ------------------------------------------------------------ parameters
    # tokenizer=None stands for TextTokenizer() (an estimator cannot be a default:
    # defaults are shared between instances), so its parameters are listed and can
    # be set as tokenizer__<name> exactly as if it had been passed.
    def get_params(self, deep=True):
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the tokenizer's parameters as
            ``tokenizer__<name>``, those of the default ``TextTokenizer()`` when
            `tokenizer` is None.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        if deep and self.tokenizer is None:
            default = TextTokenizer().get_params()
            params.update((f"tokenizer__{k}", v) for k, v in default.items())
        return params

    def set_params(self, **params):
        """Set the parameters of this estimator.

        ``tokenizer__<name>`` sets a parameter of the tokenizer; when `tokenizer`
        is None, the default ``TextTokenizer()`` is created first and becomes
        the `tokenizer` parameter, so ``set_params(tokenizer__min_df=2)`` and
        grid searches over ``tokenizer__min_df`` work on the default estimator.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            This estimator.
        """
        nested = any(key.startswith("tokenizer__") for key in params)
        tokenizer = params.get("tokenizer", self.tokenizer)
        if nested and tokenizer is None:
            params = {**params, "tokenizer": TextTokenizer()}
        elif nested and isinstance(tokenizer, str):
            raise ValueError(
                f"tokenizer={tokenizer!r} has no parameters to set; got "
                f"{sorted(k for k in params if k.startswith('tokenizer__'))}. Set "
                "tokenizer=None (the default TextTokenizer) or pass a tokenizer."
            )
        return super().set_params(**params)

    # ------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to text or numeric sequences.

        Parameters
        ----------
        X : list of str, array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Raw documents (1-D list, array or Series of str), or numeric
            sequences: one array (sequences shorter than its width padded at
            the end with NaN), or a list of arrays of shape (n_timesteps,) or
            (n_timesteps, n_features) of any lengths.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (any type scikit-learn accepts: str, int, bool, ...) for
            the classifier; target values for the regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss; None weighs all samples
            equally. Integer weights act as repeated samples and zero weights as
            absent ones (see Notes).
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), \
default=None
            A validation set of your own, instead of the random split of
            ``validation_fraction``: for time-ordered or grouped samples, where a
            random split would leak. ``X_val`` is the same kind of input as X and
            ``y_val`` holds known labels (or targets of the same shape). With
            ``early_stopping`` True or "auto" it is watched as described there;
            with ``early_stopping=False`` it is only evaluated and recorded
            (``validation_scores_``, ``history_``), and the training loss decides.
            In a ``Pipeline``, pass it as ``<step name>__validation_data``; the
            steps before this estimator do not transform ``X_val``, so give it
            as this estimator will see X. ``partial_fit`` takes none.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, incremental=False, validation_data=validation_data
        )

    def _is_fitted(self):
        return hasattr(self, "input_mode_")

    def _fit(
        self,
        X,
        y,
        sample_weight,
        *,
        incremental,
        validation_data=None,
        **target_options,
    ):
        """Train on (X, y), from scratch or continuing; publish the result.

        ``incremental`` is one epoch of ``partial_fit``; otherwise a ``fit``, which
        continues the fitted model under ``warm_start``. ``target_options`` go to
        the subclass's ``_encode_targets``. Nothing on ``self`` changes until the
        run has succeeded; then the whole fitted state is replaced at once, and
        only then are the run's warnings issued (as errors, they must not throw
        the model away). A ``KeyboardInterrupt`` after the first completed epoch
        keeps the best weights so far (see ``Run``); before it, it propagates and
        the estimator is as it was.
        """
        # One reading of the parameters and the fitted state for the whole call: a
        # concurrent fit or set_params cannot change them under this one.
        model = self._model()
        validated = not (incremental and model._is_fitted())
        if not validated and not get_config()["skip_parameter_validation"]:
            # scikit-learn validates partial_fit's parameters on the first call
            # only (fit always); set_params may have changed them since.
            model._validate_params()
        continuing = model._is_fitted() and (incremental or model.warm_start)
        validation_data = _check_validation_data(validation_data)
        outcome = {}
        try:
            n_workers = model._n_workers()
            threads = model.blas_threads
            if n_workers > 1 and threads == "auto":
                threads = 1  # one process per core: more BLAS threads compete
            outcome["n_workers"] = n_workers
            with blas_threads(threads, model.hidden_size):
                model._train(
                    X,
                    y,
                    sample_weight,
                    continuing,
                    incremental,
                    target_options,
                    outcome,
                    validation_data,
                )
            self.__dict__ = outcome["state"]  # one step: the old model or the new
            for message, category in outcome["warnings"]:
                warn(message, category)
        except KeyboardInterrupt:
            if "state" not in outcome:
                raise  # nothing complete to keep: the estimator is as it was
            self.__dict__ = outcome["state"]
            warn(_interrupted(outcome["state"], late=True))
        return self

    def _model(self):
        """This estimator as one consistent reading: a copy sharing its values.

        A fit publishes its result by replacing ``__dict__`` in one step, so one
        read of it gives the old model or the new one, never a mixture; every
        call that reads more than one attribute works on such a copy.
        """
        model = object.__new__(type(self))
        model.__dict__ = dict(self.__dict__)
        return model

    def _train(
        self,
        X,
        y,
        sample_weight,
        continuing,
        incremental,
        target_options,
        outcome,
        validation_data=None,
    ):
        """Everything a fit does but publishing: puts the estimator's whole new
        state in ``outcome["state"]`` and the warnings to issue in
        ``outcome["warnings"]``."""
        mode, samples, fitted = self._samples(
            X, y, sample_weight, continuing, target_options
        )
        rng = check_random_state(self.random_state)
        valid = None
        # A validation set of the user's is checked below, once the model's input
        # and targets are known; otherwise early stopping draws one.
        split = validation_data is None and not incremental
        if split and self._uses_early_stopping(len(samples)):
            train_idx, valid_idx = validation_split(
                len(samples),
                self.validation_fraction,
                rng,
                self._stratify(samples.targets),
            )
            samples, valid = samples.take(train_idx), samples.take(valid_idx)

        reading = self._reading_rule(mode)
        frozen = self._frozen(mode)
        if mode == "numeric" and (
            self.embedding_init is not None or self.freeze_embedding
        ):
            raise ValueError(
                "embedding_init and freeze_embedding are for token input, but X "
                "was read as numeric sequences, whose values the model reads as "
                "they are. For token ids, pass tokenizer='precomputed'; for "
                "numeric sequences, leave embedding_init=None and "
                "freeze_embedding=False."
            )
        if self.layer_dropout and self.num_layers == 1:
            warn(
                f"layer_dropout={self.layer_dropout} has no effect with "
                "num_layers=1: it drops states between stacked layers. Use "
                "input_dropout or dropout for a single layer."
            )
        sequences = None
        if continuing:
            how = "partial_fit" if incremental else "warm_start"
            tokenizer = self.__dict__.get("tokenizer_")
            if tokenizer is not None:
                self._check_tokenizer_unchanged(how)
            params = self._continued_params(how)
            optimizer = self._make_optimizer(params, frozen, self._optimizer)
        else:
            tokenizer = None
            if mode == "text":
                tokenizer, sequences = self._fit_tokenizer(
                    samples.sequences, samples.score_weights
                )
                fitted["tokenizer_"] = tokenizer
                n_inputs = tokenizer.vocabulary_size_
            else:
                n_inputs = samples.sequences.n_step_features
            n_outputs = self._n_outputs(samples.targets, fitted)
            params = self._init_params(rng, n_inputs, mode, n_outputs, tokenizer)
            optimizer = self._make_optimizer(params, frozen)
            fitted.update(input_mode_=mode, n_step_features_=n_inputs)
        if validation_data is not None:
            valid = self._validation_samples(validation_data, fitted, target_options)

        def as_dataset(part, sequences=None, training=False):
            if sequences is None:
                dtype = params["W_xh"].dtype
                sequences = self._sequences(part.sequences, tokenizer, dtype, None)
            if training and self.max_len == "auto" and mode == "text":
                # Every fit, first or continued, says what "auto" cut.
                _warn_auto_cut(sequences.lengths, reading)
            return replace(part, sequences=sequences.truncate(*reading))

        pooling = self._resolve_pooling(mode)
        data = as_dataset(samples, sequences, training=True)
        valid = None if valid is None else as_dataset(valid)
        settings = self._settings(
            pooling, len(samples), incremental, outcome.get("n_workers", 1)
        )
        settings.frozen = frozen
        if validation_data is not None:
            settings.watch_validation = self.early_stopping in (True, "auto")
        run = Run()
        try:
            result = train(
                params,
                optimizer,
                data,
                settings,
                rng,
                valid=valid,
                first_epoch=self.n_iter_ if continuing else 0,
                start_epoch=self.best_epoch_
                if continuing and not incremental
                else None,
                compete=continuing,
                run=run,
            )
        except KeyboardInterrupt:
            if not run.gained():
                raise
            result = run.finish(data, valid, settings, interrupted=True)
        fitted.update(
            _optimizer=optimizer,
            _pooling=pooling,
            _nonlinearity=self.nonlinearity,
            _reading=reading,
        )
        watched = valid is not None and settings.watch_validation
        if self.monitor == "score" and not incremental and not watched:
            result.warnings.append((_UNWATCHED_SCORE, UserWarning))

        def new_state():
            state = self.__dict__
            if not continuing:
                private = _PRIVATE_FITTED + self._private_fitted
                state = {
                    k: v
                    for k, v in state.items()
                    if not _is_fitted_attribute(k, private)
                }
            return {
                **state,
                **fitted,
                **self._fitted_state(result, len(data), continuing, valid is not None),
            }

        try:
            outcome["state"] = new_state()
        except KeyboardInterrupt:
            # Pure: finish it, so that completed training is kept.
            outcome["state"] = new_state()
            result.warnings.append((_interrupted(outcome["state"]), UserWarning))
        outcome["warnings"] = result.warnings

    def _validation_samples(self, validation_data, fitted, target_options):
        """The user's validation set, checked as more samples of the model being
        fitted: the same kind of input as X, numeric sequences of its features
        per step (and an array of its width), labels among the classes (or as
        many targets) of y, valid weights."""
        view = self._model()
        if "input_mode_" in fitted:
            # A fit from scratch: the input an earlier fit saw sets no rule.
            for name in ("n_features_in_", "feature_names_in_"):
                view.__dict__.pop(name, None)
        view.__dict__.update(fitted)
        X_val, y_val, weights = validation_data
        X_val, y_val = read_once(X_val), read_once(y_val)
        try:
            y_val = check_like_training(view, X_val, y_val)
            _, samples, _ = view._samples(
                X_val, y_val, weights, continuing=True, target_options=target_options
            )
        except ValueError as exc:
            raise ValueError(
                f"validation_data does not match the training data: {exc}"
            ) from exc
        return samples

    def _tokenizer_asked(self):
        """A new, unfitted copy of the tokenizer the parameter asks for."""
        if self.tokenizer is None:
            return TextTokenizer()
        if isinstance(self.tokenizer, str):  # "precomputed"
            return PrecomputedIds()
        return clone(self.tokenizer)

    def _check_tokenizer_unchanged(self, how):
        """Refuse to continue a text model whose tokenizer parameter has changed
        since it was fitted: the fitted vocabulary would silently stay."""
        asked = self._tokenizer_asked()
        if isinstance(asked, FrozenEstimator):
            asked = asked.estimator
        fitted = self.tokenizer_
        if type(asked) is type(fitted):
            mine, theirs = asked.get_params(deep=False), fitted.get_params(deep=False)
            changed = [k for k in mine if not _same_value(mine[k], theirs.get(k))]
            if not changed:
                return
            what = ", ".join(
                f"{k}={mine[k]!r} (fitted: {theirs.get(k)!r})" for k in changed
            )
        else:
            what = f"a {type(asked).__name__} (fitted: a {type(fitted).__name__})"
        raise ValueError(
            f"The tokenizer has changed since this model was fitted: {what}. "
            f"{how} continues the fitted vocabulary and weights, so the new "
            "tokenizer would be ignored. Set the tokenizer back, or fit a new model "
            "(warm_start=False) to learn a new vocabulary."
        )

    def _samples(self, X, y, sample_weight, continuing, target_options):
        """The checked training samples of positive weight, with their encoded
        targets; returns (mode, samples, fitted attributes found on the way)."""
        mode, data, y, fitted = check_fit_input(
            self,
            X,
            y,
            reset=not continuing,
            check_targets=self._check_targets,
            dtype=self._float_dtype(),
        )
        sample_weight = check_sample_weight(sample_weight, len(y))
        samples = DataSet(data, y, sample_weight, sample_weight).positive(sample_weight)
        targets, target_state = self._encode_targets(
            samples.targets,
            samples.score_weights,
            continuing=continuing,
            **target_options,
        )
        fitted.update(target_state)
        weights = self._loss_weights(targets, samples.score_weights, target_state)
        samples = replace(samples, targets=targets, weights=weights)
        return mode, samples.positive(weights), fitted

    def _fitted_state(self, result, n_samples, continuing, validated):
        """The fitted attributes of a training run's result."""
        fitted = {
            attr: result.params[name]
            for name, attr in WEIGHT_ATTRIBUTES.items()
            if name in result.params
        }
        fitted["layer_weights_"] = {
            name: value
            for name, value in result.params.items()
            if name not in WEIGHT_ATTRIBUTES
        }
        losses = [r["train_loss"] for r in result.records]
        history, loss_curve = (
            (self.history_, self.loss_curve_) if continuing else ([], [])
        )
        fitted.update(
            history_=history + result.records,
            loss_curve_=loss_curve + losses,
            n_iter_=(self.n_iter_ if continuing else 0) + len(result.records),
            t_=(self.t_ if continuing else 0) + len(result.records) * n_samples,
            best_epoch_=result.best_epoch,
        )
        if validated:
            fitted.update(
                validation_loss_curve_=[r["valid_loss"] for r in result.records],
                validation_scores_=[r["valid_score"] for r in result.records],
                best_validation_score_=result.best_score,
                best_loss_=result.best_loss,
            )
        else:
            fitted.update(
                validation_loss_curve_=None,
                validation_scores_=None,
                best_validation_score_=None,
                best_loss_=min(fitted["loss_curve_"]),
            )
        return fitted

    def _sequences(self, data, tokenizer, dtype, reading, start=0):
        """Documents or a numeric array as ragged sequences, cut as ``reading``
        (max_len, truncation) says (None: not cut). ``start``: the position of
        ``data[0]`` in the caller's input, for messages."""
        if tokenizer is None:
            ragged = Ragged.from_numeric(data, dtype, start)
        else:
            # The documents are checked already: a TextTokenizer skips that.
            to_ids = (
                tokenizer._transform_documents
                if is_text_tokenizer(tokenizer)
                else tokenizer.transform_ragged
            )
            ragged = Ragged(*to_ids(data))
        return ragged if reading is None else ragged.truncate(*reading)

    def _reading_rule(self, mode):
        """(max_len, truncation) as the fit of ``mode`` input reads sequences."""
        max_len = self.max_len
        if max_len == "auto":
            max_len = AUTO_MAX_LEN if mode == "text" else None
        return max_len, self.truncation

    def _fit_tokenizer(self, documents, sample_weight):
        """Fit a clone of the tokenizer; return it and the documents' sequences.

        A ``TextTokenizer`` takes the documents and weights as checked here, and
        tokenizes them once for both. Any other tokenizer is fitted (with the
        weights if its ``fit`` accepts them; zero-weight documents are gone
        already), then asked for ``transform_ragged``.
        """
        tokenizer = self._tokenizer_asked()
        if is_text_tokenizer(tokenizer):
            if not get_config()["skip_parameter_validation"]:
                tokenizer._validate_params()
            return tokenizer, Ragged(
                *tokenizer._fit_documents(documents, sample_weight)
            )
        if isinstance(tokenizer, FrozenEstimator):
            # Fitted beforehand (e.g. on more text): its vocabulary is kept, in a
            # copy that a later refit of the user's object cannot change.
            if not hasattr(tokenizer.estimator, "vocabulary_size_"):
                raise ValueError(
                    f"The {type(tokenizer.estimator).__name__} in FrozenEstimator "
                    "is not fitted: fit it (e.g. on all the text at hand) before "
                    "wrapping it, or pass it unwrapped to have fit learn the "
                    "vocabulary from X."
                )
            tokenizer = copy.deepcopy(tokenizer.estimator)
        elif sample_weight is not None and has_fit_parameter(
            tokenizer, "sample_weight"
        ):
            tokenizer.fit(documents, sample_weight=sample_weight)
        else:
            tokenizer.fit(documents)
        size = getattr(tokenizer, "vocabulary_size_", None)
        if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
            raise TypeError(
                f"The tokenizer {type(tokenizer).__name__} did not set "
                f"vocabulary_size_ in fit (got {size!r}): the model needs the number "
                "of token ids its transform_ragged can produce (ids 0 to "
                "vocabulary_size_ - 1) to size its weights. Set it in the "
                "tokenizer's fit, or use TextTokenizer."
            )
        return tokenizer, Ragged(*tokenizer.transform_ragged(documents))

    def _init_params(self, rng, n_inputs, mode, n_outputs, tokenizer=None):
        # All initial weights are drawn before anything that depends on n_samples, so
        # one seed gives the same initial model for any data set.
        params = _rnn.init_params(
            rng,
            n_inputs,
            self.hidden_size,
            n_outputs,
            token_input=mode == "text",
            dtype=self._float_dtype(),
            embedding_size=self._embedding_size(mode),
            recurrent_init=self.recurrent_init,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            pooling=self._resolve_pooling(mode),
        )
        if mode == "text" and self.embedding_init is not None:
            # Tokens without a vector keep their random rows.
            vectors, found = WordVectors(self.embedding_init).rows_for(
                tokenizer, n_inputs
            )
            params["W_emb"][found] = vectors[found]
        if mode == "text":
            # With min_df=1 no training token maps to the unknown id, so its row would
            # keep its random initial value and unseen words would add noise. Zero
            # makes an unseen word a neutral step (h_t = tanh(h_{t-1} W_hh + b_h))
            # unless training gives it a meaning (rare words under min_df > 1).
            token_matrix = params["W_emb" if "W_emb" in params else "W_xh"]
            token_matrix[[TextTokenizer.PAD_ID, TextTokenizer.UNK_ID]] = 0.0
        return params

    def _continued_params(self, how):
        """Copies of the fitted weights, to continue training them.

        Copies, because the fitted arrays must survive a failed call unchanged.
        Parameters that shape the weights cannot change between calls.
        """
        params = self._params()
        fitted = {
            "hidden_size": params["W_hh"].shape[0],
            "num_layers": _rnn.n_layers(params),
            "bidirectional": len(_rnn.directions(params)) > 1,
            "nonlinearity": self.__dict__.get("_nonlinearity", "tanh"),
            "pooling": self._pooling,
            "dtype": params["W_hh"].dtype.name,
        }
        asked = {
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "nonlinearity": self.nonlinearity,
            "pooling": self._resolve_pooling(self.input_mode_),
            "dtype": self._float_dtype().name,
        }
        for name, value in fitted.items():
            if asked[name] != value:
                raise ValueError(
                    f"{name}={getattr(self, name)!r}, but the fitted model has "
                    f"{name} {value!r}; {how} continues the fitted weights. Set "
                    f"{name} back, or fit a new model (warm_start=False)."
                )
        self._check_embedding_continues(params, how)
        return {name: value.copy() for name, value in params.items()}

    def _check_embedding_continues(self, params, how):
        """The embedding the parameters ask for is the fitted one. Only its size
        matters: ``embedding_init`` starts a fit from scratch, so a continued
        fit needs it no more (``embedding_size`` then says the size)."""
        if self.input_mode_ != "text":
            return
        size = params["W_emb"].shape[1] if "W_emb" in params else None
        if self.embedding_init is not None:
            asked = WordVectors.size_of(self.embedding_init)
            where = f"The vectors of embedding_init have {asked} values"
        else:
            asked = self.embedding_size
            where = f"embedding_size={asked}"
        if asked == size:
            return
        has = "has no embedding" if size is None else f"has an embedding of {size}"
        fix = f"embedding_size={size}" if size else "embedding_size=None"
        raise ValueError(
            f"{where}, but the fitted model {has}; {how} continues the fitted "
            f"weights. To continue them, set embedding_init=None and {fix}; or "
            "fit a new model (warm_start=False)."
        )

    def _make_optimizer(self, params, frozen, previous=None):
        """The optimizer the parameters ask for, for those not ``frozen``,
        continuing ``previous``'s state when it is of that kind (parameters
        changed by set_params apply)."""
        params = {name: p for name, p in params.items() if name not in frozen}
        hyperparameters = {
            "learning_rate": self.learning_rate_init,
            "momentum": self.momentum,
            "nesterov": self.nesterovs_momentum,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
        return make_optimizer(self.solver, params, hyperparameters, previous)

    def _settings(self, pooling, n_samples, incremental, n_workers=1):
        schedule = None
        if self.learning_rate == "plateau":
            schedule = Plateau(self.plateau_factor, self.plateau_patience)
        return Settings(
            loss=self._loss,
            pooling=pooling,
            nonlinearity=self.nonlinearity,
            batch_size=self._batch_size(n_samples),
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            alpha=self.alpha,
            input_dropout=self.input_dropout,
            layer_dropout=self.layer_dropout,
            dropout=self.dropout,
            clip_norm=self.clip_norm,
            clip_value=self.clip_value,
            shuffle=self.shuffle,
            length_bucketing=self.length_bucketing,
            schedule=schedule,
            verbose=int(self.verbose),
            incremental=incremental,
            name=type(self).__name__,
            monitor=self.monitor,
            n_workers=n_workers,
        )

    def _n_workers(self, processes=True):
        """The processes that compute each batch's shards: ``n_jobs`` as joblib
        resolves it (``parallel_config`` included), one inside a worker of an
        outer joblib call (a parallel grid search already uses the cores), and
        never more than a batch has shards."""
        backend, _ = get_active_backend()
        if getattr(backend, "nesting_level", 0):
            return 1
        n_workers = max(1, min(effective_n_jobs(self.n_jobs), MAX_SHARDS))
        if n_workers > 1 and processes and not WORKERS_SUPPORTED:
            warn(
                f"n_jobs={self.n_jobs} trains in one process on this platform: "
                "worker processes need a POSIX system (Linux, macOS). The model "
                "is the same; set n_jobs=1 to silence this warning."
            )
            return 1
        return n_workers

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warn(
                f"batch_size={self.batch_size} is larger than the number of samples "
                f"({n_samples}); using {n_samples}."
            )
        return min(self.batch_size, n_samples)

    def _float_dtype(self):
        """The computation dtype asked for by the ``dtype`` parameter."""
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(
                f"dtype must be 'float64' or 'float32', got {self.dtype!r}."
            )
        return dtype

    def _resolve_pooling(self, mode):
        if self.pooling == "auto":
            return self._auto_pooling[mode]
        return self.pooling

    def _embedding_size(self, mode):
        """The embedding size in effect: embeddings are for token input only; with
        pretrained vectors it is their length."""
        if mode != "text":
            return None
        if self.freeze_embedding and (
            self.embedding_init is None and self.embedding_size is None
        ):
            raise ValueError(
                "freeze_embedding=True keeps an embedding fixed, but there is none: "
                "pass embedding_init (pretrained vectors) or embedding_size."
            )
        if self.embedding_init is None:
            return self.embedding_size
        size = WordVectors.size_of(self.embedding_init)
        if self.embedding_size not in (None, size):
            raise ValueError(
                f"embedding_size={self.embedding_size}, but the vectors of "
                f"embedding_init have {size} values: leave embedding_size=None "
                "(it then follows the vectors) or set it to their length."
            )
        return size

    def _frozen(self, mode):
        """The parameters training leaves as they are."""
        return ("W_emb",) if self.freeze_embedding and mode == "text" else ()

    def _uses_early_stopping(self, n_samples):
        if self.early_stopping == "auto":
            return n_samples >= AUTO_EARLY_STOPPING_SAMPLES
        return bool(self.early_stopping)

    # Hooks for the subclasses, with the regressor's answers as defaults.
    def _stratify(self, targets):
        return None

    def _n_outputs(self, targets, fitted):
        return targets.shape[1]

    def _loss_weights(self, targets, sample_weight, target_state):
        return sample_weight

    # ------------------------------------------------------------ predict
    def _params(self):
        params = {
            name: getattr(self, attr)
            for name, attr in WEIGHT_ATTRIBUTES.items()
            if hasattr(self, attr)
        }
        # A model pickled before stacked layers existed has no layer_weights_.
        params.update(self.__dict__.get("layer_weights_", {}))
        return params

    def _run_chunks(self, X, run, width=None):
        """``run(params, values, offsets, ...)`` over X, tokenized and run one chunk
        at a time, so that memory is bounded by the chunk whatever the number of
        samples. ``width`` names the parameter whose size is the number of columns
        per sample (None: ``run`` returns a list of arrays)."""
        model = self._model()  # one reading of the fitted state for the whole call
        data = check_predict_input(model, X)
        params = model._params()
        dtype = params["b_y"].dtype
        tokenizer = model.tokenizer_ if model.input_mode_ == "text" else None
        # The parameters prediction reads: they may have been set since fit.
        validate_parameter_constraints(
            {n: self._parameter_constraints[n] for n in ("blas_threads", "n_jobs")},
            {"blas_threads": model.blas_threads, "n_jobs": model.n_jobs},
            caller_name=type(self).__name__,
        )
        if width is None:
            out = [None] * len(data)
        else:
            out = np.empty((len(data), params[width].shape[0]), dtype=dtype)

        def one_chunk(start):
            chunk = slice(start, start + PREDICT_CHUNK)
            sequences = model._sequences(
                data[chunk], tokenizer, dtype, model._reading, start
            )
            out[chunk] = run(
                params,
                *sequences,
                PREDICT_CHUNK,
                pooling=model._pooling,
                nonlinearity=model.__dict__.get("_nonlinearity", "tanh"),
            )

        starts = range(0, len(data), PREDICT_CHUNK)
        # Chunks are independent: with n_jobs, threads run several at once, when
        # a chunk's steps are products large enough to release the GIL for most
        # of their time (performance.py section 9: not at hidden size 64).
        n_threads = 1
        if params["W_hh"].shape[0] >= _THREADED_PREDICTION_HIDDEN_SIZE:
            n_threads = min(model._n_workers(processes=False), len(starts))
        threads = model.blas_threads
        if n_threads > 1 and threads == "auto":
            threads = 1
        with blas_threads(threads, params["W_hh"].shape[0]):
            if n_threads == 1:
                for start in starts:
                    one_chunk(start)
            else:
                with ThreadPoolExecutor(n_threads) as pool:
                    list(pool.map(one_chunk, starts))
        return out

    def _outputs(self, X):
        """The output layer's values (logits, or scaled predictions) for X."""
        return self._run_chunks(X, _rnn.predict_logits, "b_y")

    def _outputs_per_step(self, X):
        """The output layer's values after each step of each sequence of X."""
        check_is_fitted(self)
        if len(_rnn.directions(self._params())) > 1:
            raise ValueError(
                f"This {type(self).__name__} is bidirectional: its backward "
                "direction reads each sequence from the end, so it has no output "
                "after each step, only for the whole sequence. Use the whole "
                "sequence's prediction, or fit with bidirectional=False to watch "
                "the output step by step."
            )
        return self._run_chunks(X, _rnn.predict_prefix_logits)

    def fit_transform(self, X, y, **fit_params):
        """Fit to (X, y), then return ``transform(X)``; X is read once, so a
        generator serves both.

        Parameters
        ----------
        X : list of str, or array-like of numeric sequences
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        **fit_params : dict
            Passed to ``fit`` (e.g. ``sample_weight``).

        Returns
        -------
        H : ndarray of shape (n_samples, n_summaries)
        """
        X = read_once(X)
        return self.fit(X, y, **fit_params).transform(X)

    def transform(self, X):
        """The summary of each sequence that the output layer reads, as features.

        With ``pooling="last"`` this is the final hidden state; with "mean" or "max"
        the mean or element-wise maximum of all hidden states (see ``pooling``),
        of the last layer, for each direction. It
        lets the recurrent network feed another estimator, e.g. a linear model or a
        clustering, in a ``Pipeline``.

        Parameters
        ----------
        X : list of str, or array-like of numeric sequences
            The documents or sequences to summarise.

        Returns
        -------
        H : ndarray of shape (n_samples, n_summaries)
            The columns of ``output_weights_``'s rows: ``hidden_size`` values
            per summary in ``pooling`` and per direction. In ``[-1, 1]`` for
            tanh units, non-negative for ReLU; zero for an empty sequence.
        """
        return self._run_chunks(X, _rnn.predict_pooled, "W_hy")

    def get_feature_names_out(self, input_features=None):
        """Names of :meth:`transform`'s columns, one per hidden unit.

        As scikit-learn names the components of its own transformers: the
        lowercased class name and the unit's index, e.g.
        ``"textrnnclassifier0"``. With several summaries or directions the
        summary and the direction are named too, e.g.
        ``"textrnnclassifier_backward_max0"``. They also name the columns of a pandas or
        polars output (see ``set_output``) and of a ``ColumnTransformer``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Not used in the names; accepted so that a ``ColumnTransformer`` can
            pass the names of the columns it selected, and checked: one column
            for a text model, the fitted input's columns for a numeric one.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of :meth:`transform`.
        """
        check_is_fitted(self)
        model = self._model()
        if model.input_mode_ == "text":
            check_one_column_of_documents(input_features, type(self).__name__)
        elif input_features is not None:
            _check_feature_names_in(model, input_features)
        prefix = type(self).__name__.lower()
        n_hidden = model.hidden_bias_.shape[0]
        if model.output_weights_.shape[0] == n_hidden:
            return np.asarray([f"{prefix}{i}" for i in range(n_hidden)], dtype=object)
        directions = ["forward", "backward"][: len(_rnn.directions(model._params()))]
        return np.asarray(
            [
                f"{prefix}_{direction}_{kind}{i}"
                if len(directions) > 1
                else f"{prefix}_{kind}{i}"
                for direction in directions
                for kind in _rnn.pooling_kinds(model._pooling)
                for i in range(n_hidden)
            ],
            dtype=object,
        )


BaseTextRNN._parameter_constraints = {
    "tokenizer": [
        HasMethods(["fit", "transform_ragged"]),
        StrOptions({"precomputed"}),
        None,
    ],
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "embedding_size": [Interval(Integral, 1, None, closed="left"), None],
    "num_layers": [Interval(Integral, 1, None, closed="left")],
    "bidirectional": ["boolean"],
    "nonlinearity": [StrOptions(set(_rnn.NONLINEARITIES))],
    # Read (and every mistake named) by _tokenizer.WordVectors.
    "embedding_init": "no_validation",
    "freeze_embedding": ["boolean"],
    "pooling": [StrOptions({"auto", *_rnn.POOLING_OPTIONS})],
    "max_len": [Interval(Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
    "truncation": [StrOptions(set(TRUNCATIONS))],
    "recurrent_init": [StrOptions({"uniform", "orthogonal"})],
    "input_dropout": [Interval(Real, 0, 1, closed="left")],
    "layer_dropout": [Interval(Real, 0, 1, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "solver": [StrOptions({"adam", "sgd"})],
    "learning_rate": [StrOptions({"constant", "plateau"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "plateau_factor": [Interval(Real, 0, 1, closed="neither")],
    "plateau_patience": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean", StrOptions({"auto"})],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "monitor": [StrOptions({"loss", "score"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
    "clip_value": [Interval(Real, 0, None, closed="neither"), None],
    "shuffle": ["boolean"],
    "length_bucketing": ["boolean"],
    # 0 would mean no process at all.
    "n_jobs": [
        Interval(Integral, None, -1, closed="right"),
        Interval(Integral, 1, None, closed="left"),
        None,
    ],
    "blas_threads": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
        None,
    ],
    "dtype": [StrOptions({"float64", "float32"}), type, np.dtype],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
}
