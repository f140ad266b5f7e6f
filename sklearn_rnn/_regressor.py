"""TextRNNRegressor: numeric targets, their scaling, and R^2."""

from dataclasses import dataclass

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_y

from ._base import BaseTextRNN, reading_inputs_once, shared_docs


@shared_docs
@dataclass(eq=False, repr=False, kw_only=True)
class TextRNNRegressor(RegressorMixin, BaseTextRNN):
    """Recurrent neural network regressor for raw text and numeric sequences.

    The network of :class:`TextRNNClassifier` with a linear output: each sequence is
    read one step at a time, ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)`` from
    ``h_0 = 0`` (or as ``nonlinearity``, ``num_layers`` and ``bidirectional`` say),
    and a summary of its hidden states (``pooling``) goes through a
    linear layer, one output per target. Training minimises half the squared error
    (plus an L2 penalty) by backpropagation through time, with gradient clipping,
    using Adam or SGD on mini-batches. ``score`` is the coefficient of
    determination R^2.

    Inputs are those of the classifier: raw text (a 1-D list, array or pandas
    Series of str), or numeric sequences, 2-D (n_samples, n_timesteps) or 3-D
    (n_samples, n_timesteps, n_features), padded at the end with NaN where
    they are shorter, or a list of arrays of any lengths.

    Parameters
    ----------
    [parameters]
    target_scaling : {"standard", None}, default="standard"
        "standard" trains on targets shifted by their mean and divided by their
        standard deviation (each target separately, weighted by ``sample_weight``,
        learnt by the first ``fit`` or ``partial_fit`` call that starts a model)
        and maps predictions back. The weights' initialisation, the learning rate,
        ``clip_norm`` and ``tol`` then mean the same for targets of any unit:
        without it, targets much smaller than one step of the output (rates of
        0.04) are overshot, and targets in the thousands need many epochs to move
        the output bias. None trains on the targets as given, as
        :class:`~sklearn.neural_network.MLPRegressor` does.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        What ``target_scaling`` subtracts from the targets and divides them by (0
        and 1 with ``target_scaling=None``; a constant target has scale 1).
    [attributes]
    [see_also]
    sklearn.neural_network.MLPRegressor : Feed-forward network on fixed-size vectors.
    TextRNNClassifier : The same network with a softmax output, for class labels.
    sklearn.compose.TransformedTargetRegressor : Any transformation of the targets
        (``target_scaling`` already standardises them).

    Notes
    -----
    [notes]
    The training and validation losses (``loss_curve_``, ``best_loss_``,
    ``validation_loss_curve_``) are those of the scaled targets; R^2 does not
    depend on the scaling.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import TextRNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 10))
    >>> y = X.sum(axis=1)  # a running total, read step by step
    >>> reg = TextRNNRegressor(hidden_size=16, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> reg.score(X, y) > 0.8
    True
    """

    target_scaling: object = "standard"

    _parameter_constraints = {
        **BaseTextRNN._parameter_constraints,
        "target_scaling": [StrOptions({"standard"}), None],
    }
    score = reading_inputs_once(RegressorMixin.score)
    _loss = "squared_error"
    # A forecast depends most on the latest steps, which the maximum forgets.
    _auto_pooling = {"text": "max", "numeric": "last"}
    _private_fitted = ("_y_is_1d",)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on the given samples, continuing any earlier training.

        As :meth:`TextRNNClassifier.partial_fit`: the first call on an unfitted
        model initialises the weights, learns the vocabulary (text) and the target
        scaling from this first batch; later calls continue, one epoch each at
        ``learning_rate_init``, keeping the optimizer state.

        Parameters
        ----------
        X : list of str, or array-like of numeric sequences
            A batch of the kind of the first call (numbers: of its features per
            step, and an array of the width that call's array had).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values, as many per sample as in the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : TextRNNRegressor
            The estimator, trained for one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # ------------------------------------------------------------ targets
    def _check_targets(self, y):
        _refuse_missing_or_text_targets(y)
        return _check_y(y, multi_output=True, y_numeric=True, estimator=self)

    def _encode_targets(self, y, sample_weight, *, continuing):
        """Targets as a scaled (n_samples, n_outputs) array in the model's dtype,
        and the fitted scaling when it is new."""
        y = np.asarray(y, dtype=np.float64)
        y2 = y.reshape(len(y), -1)
        if continuing:
            if y2.shape[1] != self.n_outputs_ or (y.ndim == 1) != self._y_is_1d:
                shape = "(n_samples,)" if self._y_is_1d else "(n_samples, n_outputs)"
                raise ValueError(
                    f"y has shape {y.shape}, but this model was fitted on targets of "
                    f"shape {shape} with n_outputs={self.n_outputs_}; training "
                    "continues with the same targets. Set warm_start=False to refit."
                )
            state = {}
            mean, scale = self.target_mean_, self.target_scale_
        else:
            mean, scale = np.zeros(y2.shape[1]), np.ones(y2.shape[1])
            if self.target_scaling == "standard":
                keep = None if sample_weight is None else sample_weight > 0
                mean, scale = _weighted_mean_and_scale(y2, sample_weight, keep)
            state = {
                "n_outputs_": y2.shape[1],
                "_y_is_1d": y.ndim == 1,
                "target_mean_": mean,
                "target_scale_": scale,
            }
        if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
            raise ValueError(
                "y is too large to standardize: its mean or standard deviation "
                "overflows float64. Divide y by a constant (and multiply the "
                "predictions back), or set target_scaling=None."
            )
        with np.errstate(over="ignore"):
            scaled = ((y2 - mean) / scale).astype(self._float_dtype(), copy=False)
        if not np.isfinite(scaled).all():
            row, column = np.argwhere(~np.isfinite(scaled))[0]
            where = f"y[{row}]" if y.ndim == 1 else f"y[{row}, {column}]"
            dtype = scaled.dtype.name
            scaled_note = " once standardized" if self.target_scaling else ""
            raise ValueError(
                f"{where} = {y2[row, column]:g} is out of the range of {dtype} (the "
                f"model's dtype){scaled_note}: it would become infinite. Set "
                f"target_scaling='standard', divide y by a constant, or fit with "
                f'dtype="float64".'
            )
        return scaled, state

    # ------------------------------------------------------------ predict
    def _unscale(self, outputs):
        # In float64 whatever the model's dtype, like the targets it was given.
        outputs = outputs * self.target_scale_ + self.target_mean_
        return outputs.ravel() if self._y_is_1d else outputs

    def predict(self, X):
        """Predict target values.

        Parameters
        ----------
        X : list of str or array-like
            The documents or sequences to predict targets for.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, shaped like the ``y`` given to ``fit``; float64 whatever
            the model's ``dtype``.
        """
        model = self._model()  # the scaling of the weights that predicted
        return model._unscale(model._outputs(X))

    def predict_per_step(self, X):
        """Predictions after each step: what the model would predict if the
        sequence ended there.

        Row ``t`` of a sample's array is the prediction for the sequence cut after
        its ``t + 1``-th step (or token, after ``max_len`` truncation); the last
        row equals ``predict``. As for
        :meth:`TextRNNClassifier.predict_proba_per_step`, these are predictions for
        shorter inputs, not an attribution.

        Parameters
        ----------
        X : list of str or array-like
            The documents or sequences to follow step by step.

        Returns
        -------
        y : list of ndarray of shape (n_steps,) or (n_steps, n_outputs)
            One array per sample; an empty document gives an array with no rows.
        """
        model = self._model()
        return [model._unscale(z) for z in model._outputs_per_step(X)]


def _refuse_missing_or_text_targets(y):
    """Refuse None (or pd.NA) and strings among the targets, naming the first.

    scikit-learn turns None into NaN after its own NaN check, and strings that
    look like numbers into numbers; a regressor's targets must be numbers.
    """
    dtype = getattr(y, "dtype", None)
    if dtype is None:
        try:  # a list of numbers, checked at NumPy's speed
            dtype = np.asarray(y).dtype
        except (TypeError, ValueError):
            dtype = np.dtype(object)  # ragged: _check_y will say so
    if dtype.kind in "biuf":
        return
    values = np.asarray(y, dtype=object)
    for index, value in np.ndenumerate(values):
        if value is None or type(value).__name__ == "NAType":
            position = index[0] if values.ndim == 1 else index
            raise ValueError(
                f"y has a missing target ({value}) at position {position}; every "
                "sample needs a target value. Drop the samples without one, or "
                "impute them first (e.g. sklearn.impute.SimpleImputer)."
            )
        if isinstance(value, (str, bytes)):
            position = index[0] if values.ndim == 1 else index
            raise ValueError(
                f"y holds text ({value!r} at position {position}), but a regressor "
                "needs numeric targets. Convert them (y = np.asarray(y, "
                "dtype=float)) if they are numbers written as text, or use "
                "TextRNNClassifier for class labels."
            )


def _weighted_mean_and_scale(y, sample_weight, keep):
    """Per-column weighted mean and standard deviation (1 for a constant column)."""
    if keep is not None:
        y, sample_weight = y[keep], sample_weight[keep]
    with np.errstate(over="ignore"):  # an overflow is refused by the caller
        mean = np.average(y, axis=0, weights=sample_weight)
        variance = np.average((y - mean) ** 2, axis=0, weights=sample_weight)
    scale = np.sqrt(variance)
    # A constant target (or one too close to constant to divide by) is only shifted.
    scale[scale <= 1e-12 * np.maximum(np.abs(mean), 1.0)] = 1.0
    return mean, scale
