"""TextRNNClassifier: input checks, labels, the training loop, scikit-learn glue."""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from . import _rnn
from ._optimizers import SGD, Adam, clip_gradients
from ._tokenizer import TextTokenizer, check_documents

# Public fitted attribute holding each parameter of the recurrent math.
_WEIGHT_ATTRIBUTES = {
    "W_xh": "input_weights_",
    "W_hh": "recurrent_weights_",
    "b_h": "hidden_bias_",
    "W_hy": "output_weights_",
    "b_y": "output_bias_",
}

# Sequences per forward pass at prediction time: bounds memory for any n_samples.
_PREDICT_CHUNK = 1024


def _as_documents(X):
    """Tell raw text from numeric sequences (see CHECKS.md's dispatch rule).

    Returns the documents as a list of str when X is raw text, and None when X is
    to be validated as numbers (including an empty 1-D input, which has no kind).
    Raises, naming the problem, for a bare string and for a 1-D collection that
    holds strings, bytes or None where documents would be: numbers never come that
    way, so it can only be text gone wrong.
    """
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "Iterable over raw text documents expected, string object received. "
            "Wrap a single document in a list: [text]."
        )
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


def _raise_diverged(epoch, what):
    raise ValueError(
        f"Training diverged at epoch {epoch}: {what}. Lower learning_rate_init, or "
        "set clip_norm (or clip_value) to bound the updates. The estimator was left "
        "as it was before this fit."
    )


def _describe(X):
    shape = getattr(X, "shape", None)
    return type(X).__name__ + ("" if shape is None else f" of shape {shape}")


def _is_empty_1d(X):
    """True for an empty list, tuple or 1-D array: no documents at all."""
    if isinstance(X, (list, tuple)):
        return len(X) == 0
    return getattr(X, "shape", None) == (0,)


class TextRNNClassifier(ClassifierMixin, BaseEstimator):
    """Recurrent neural network classifier for raw text and numeric sequences.

    A vanilla (Elman, tanh) many-to-one recurrent network: each sequence is read one
    step at a time, ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)`` from ``h_0 = 0``, and
    its final hidden state goes through a linear layer and a softmax over the classes.
    Training minimises the (L2-regularised) cross-entropy by backpropagation through
    time, with gradient clipping, using Adam or SGD on mini-batches.

    Raw text (a 1-D list, array or pandas Series of str) is tokenized by ``tokenizer``
    and each token selects a row of ``W_xh``. Numeric input is read as sequences: a 2-D
    array of shape (n_samples, n_timesteps) holds univariate sequences, a 3-D array of
    shape (n_samples, n_timesteps, n_features) multivariate ones.

    Parameters
    ----------
    tokenizer : TextTokenizer or None, default=None
        Turns documents into token-id sequences for text input. None means
        ``TextTokenizer()``. The tokenizer passed is cloned in ``fit``, so its
        parameters can be searched as ``tokenizer__min_df`` etc. Ignored for numeric
        input.
    hidden_size : int, default=64
        Number of units of the hidden state.
    solver : {"adam", "sgd"}, default="adam"
        Update rule. "sgd" uses ``momentum`` and ``nesterovs_momentum``; "adam" uses
        ``beta_1``, ``beta_2`` and ``epsilon``.
    learning_rate_init : float, default=1e-2
        Step size.
    batch_size : int or "auto", default="auto"
        Sequences per mini-batch; "auto" means ``min(200, n_samples)``.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).
    tol : float, default=1e-4
        Training stops when the epoch loss has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.
    n_iter_no_change : int, default=10
        Number of epochs without ``tol`` improvement before training stops.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weight matrices (not the biases), divided by
        the number of samples in the batch as in scikit-learn's MLP.
    momentum : float, default=0.9
        Momentum for SGD.
    nesterovs_momentum : bool, default=True
        Whether SGD uses Nesterov's momentum.
    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimates.
    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimates.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    clip_norm : float or None, default=5.0
        If not None, rescale the gradients of each batch so that their joint L2 norm
        is at most ``clip_norm`` (global-norm clipping).
    clip_value : float or None, default=None
        If not None, clip every gradient element to ``[-clip_value, clip_value]``
        before norm clipping; ``clip_value=1.0`` is the tutorial's rule.
    shuffle : bool, default=True
        Whether to shuffle the training data at each epoch.
    random_state : int, RandomState instance or None, default=None
        Decides every random choice: weight initialisation and shuffling. Pass an int
        for reproducible results.
    verbose : bool or int, default=False
        If true, print one line of progress per epoch (epoch, loss, running training
        accuracy, seconds); an int ``k > 1`` prints every ``k``-th epoch and the last.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    input_mode_ : {"text", "numeric"}
        The kind of input the model was fitted on; prediction expects the same kind.
    tokenizer_ : TextTokenizer
        The fitted tokenizer (text input only).
    n_features_in_ : int
        Number of time steps of the numeric sequences seen in ``fit`` (numeric input
        only; text has no fixed length).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a DataFrame passed to ``fit`` (numeric input only, and only if
        it had string column names).
    n_step_features_ : int
        Features per time step: 1 for 2-D numeric input, ``X.shape[2]`` for 3-D, and
        the vocabulary size (number of token ids) for text.
    input_weights_ : ndarray of shape (n_step_features_, hidden_size)
        ``W_xh``: row ``i`` is the input contribution of token id ``i`` (text) or of
        feature ``i`` (numeric).
    recurrent_weights_ : ndarray of shape (hidden_size, hidden_size)
        ``W_hh``, from the previous hidden state to the next.
    hidden_bias_ : ndarray of shape (hidden_size,)
        ``b_h``.
    output_weights_ : ndarray of shape (hidden_size, n_classes)
        ``W_hy``, from the final hidden state to the class logits.
    output_bias_ : ndarray of shape (n_classes,)
        ``b_y``.
    loss_curve_ : list of float
        Training loss (cross-entropy plus penalty, averaged over the epoch's batches)
        after each epoch.
    best_loss_ : float
        Lowest value in ``loss_curve_``.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen by the solver (``n_iter_ * n_samples``).

    See Also
    --------
    TextTokenizer : The default tokenizer.
    sklearn.neural_network.MLPClassifier : Feed-forward network on fixed-size vectors.

    Notes
    -----
    Sequences in a mini-batch are sorted by length and only those still running are
    updated at each step, so a sequence's output and gradient do not depend on the
    other sequences of its batch: no padding ever reaches a hidden state.

    Any document is valid input at prediction time. Words never seen in ``fit`` map to
    the tokenizer's unknown-token id. Its row of ``W_xh`` starts at zero, so an unseen
    word is a neutral step of the recurrence, and it is trained only when training
    documents contain tokens outside the vocabulary (``min_df > 1`` or
    ``max_features``). An empty document keeps ``h = h_0 = 0`` and is classified by the
    output bias alone.

    Initialisation: ``W_xh`` and ``W_hy`` are Glorot-uniform, ``W_hh`` is uniform in
    ``±1/sqrt(hidden_size)``, biases are zero (see ``sklearn_rnn._rnn.init_params``).

    Examples
    --------
    >>> from sklearn_rnn import TextRNNClassifier
    >>> X = ["good", "not good", "bad", "not bad", "very good", "very bad"]
    >>> y = ["pos", "neg", "neg", "pos", "pos", "neg"]
    >>> clf = TextRNNClassifier(hidden_size=16, random_state=0).fit(X, y)
    >>> clf.predict(["not good", "very good"])
    array(['neg', 'pos'], dtype='<U3')
    >>> clf.predict_proba(["not good"]).shape
    (1, 2)
    """

    _parameter_constraints: dict = {
        "tokenizer": [HasMethods(["fit", "transform_ragged"]), None],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "clip_value": [Interval(Real, 0, None, closed="neither"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        tokenizer=None,
        *,
        hidden_size=64,
        solver="adam",
        learning_rate_init=1e-2,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        alpha=1e-4,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        clip_norm=5.0,
        clip_value=None,
        shuffle=True,
        random_state=None,
        verbose=False,
    ):
        self.tokenizer = tokenizer
        self.hidden_size = hidden_size
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.alpha = alpha
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        return tags

    # ------------------------------------------------------------------ input
    def _validate_fit_input(self, X, y):
        """Validate X and y for fit; return (mode, values, offsets, y, tokenizer).

        Sets nothing on the estimator except what ``validate_data`` records
        (``n_features_in_``, ``feature_names_in_``), which ``fit`` restores on error.
        """
        docs = _as_documents(X)
        if docs is not None:
            y = validate_data(self, y=y)
            check_consistent_length(docs, y)
            tokenizer = (
                TextTokenizer() if self.tokenizer is None else clone(self.tokenizer)
            )
            tokenizer.fit(docs)
            values, offsets = tokenizer.transform_ragged(docs)
            return "text", values, offsets, y, tokenizer
        if _is_empty_1d(X):
            raise ValueError(
                "Found 0 samples: X is empty. Pass at least two documents or sequences."
            )
        X, y = validate_data(self, X, y, dtype=np.float64, allow_nd=True)
        values, offsets = self._numeric_to_ragged(X)
        return "numeric", values, offsets, y, None

    @staticmethod
    def _numeric_to_ragged(X):
        """View a validated (n, T) or (n, T, F) array as ragged storage."""
        if X.ndim > 3:
            raise ValueError(
                f"Numeric input must be 2-D (n_samples, n_timesteps) or 3-D "
                f"(n_samples, n_timesteps, n_features); got {X.ndim}-D input of shape "
                f"{X.shape}."
            )
        if X.ndim == 2:
            X = X[:, :, np.newaxis]
        n, n_steps, n_feat = X.shape
        if n_steps < 1 or n_feat < 1:
            raise ValueError(
                f"Numeric sequences need at least 1 time step and 1 feature per step; "
                f"got X of shape {X.shape}."
            )
        values = np.ascontiguousarray(X).reshape(n * n_steps, n_feat)
        return values, np.arange(n + 1, dtype=np.intp) * n_steps

    def _validate_predict_input(self, X):
        """Check X against the fitted model; return ragged (values, offsets)."""
        check_is_fitted(self)
        docs = _as_documents(X)
        if self.input_mode_ == "text":
            if docs is None:
                if _is_empty_1d(X):
                    raise ValueError(
                        "Found 0 documents: X is empty. Pass at least one document."
                    )
                raise ValueError(
                    "This model was fitted on text, so X must be a 1-D list, array or "
                    f"Series of str documents; got {_describe(X)}. Fit a new model to "
                    "classify numeric sequences."
                )
            return self.tokenizer_.transform_ragged(docs)
        if docs is not None:
            raise ValueError(
                "This model was fitted on numeric sequences of "
                f"{self.n_features_in_} time steps, but X is text. Pass a 2-D or 3-D "
                "numeric array, or fit a new model on text."
            )
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) >= 2 and shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input: numeric input is read as "
                f"sequences, and this model was fitted on {self.n_features_in_} time "
                "steps. Pad or truncate the sequences to that length."
            )
        X = validate_data(self, X, reset=False, dtype=np.float64, allow_nd=True)
        values, offsets = self._numeric_to_ragged(X)
        if values.shape[1] != self.n_step_features_:
            raise ValueError(
                f"X has {values.shape[1]} features per time step, but this model was "
                f"fitted on {self.n_step_features_}."
            )
        return values, offsets

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the model to text or numeric sequences.

        Parameters
        ----------
        X : list of str, or array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features)
            Raw documents (1-D list, array or Series of str), or numeric sequences.
        y : array-like of shape (n_samples,)
            Class labels (any type scikit-learn accepts: str, int, bool, ...).

        Returns
        -------
        self : TextRNNClassifier
            The fitted estimator.
        """
        # A failed fit leaves a previously fitted model as it was.
        saved_state = self.__dict__.copy()
        try:
            self._fit(X, y)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            raise
        return self

    def _fit(self, X, y):
        mode, values, offsets, y, tokenizer = self._validate_fit_input(X, y)
        check_classification_targets(y)
        classes = unique_labels(y)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to fit, "
                f"but the data contains only one class: {classes.tolist()[0]!r}."
            )
        y_idx = np.searchsorted(classes, y)

        if mode == "text":
            # Text has no fixed length: forget any numeric fit's feature count.
            for attr in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(attr, None)
            n_inputs = tokenizer.vocabulary_size_
        else:
            n_inputs = values.shape[1]

        rng = check_random_state(self.random_state)
        # All initial weights are drawn before anything that depends on n_samples, so
        # one seed gives the same initial model for any data set.
        params = _rnn.init_params(
            rng, n_inputs, self.hidden_size, len(classes), token_input=mode == "text"
        )
        if mode == "text":
            # With min_df=1 no training token maps to the unknown id, so its row would
            # keep its random initial value and unseen words would add noise. Zero
            # makes an unseen word a neutral step (h_t = tanh(h_{t-1} W_hh + b_h))
            # unless training gives it a meaning (rare words under min_df > 1).
            params["W_xh"][[TextTokenizer.PAD_ID, TextTokenizer.UNK_ID]] = 0.0
        loss_curve = self._train(params, values, offsets, y_idx, rng)

        self.input_mode_ = mode
        if tokenizer is not None:
            self.tokenizer_ = tokenizer
        else:
            self.__dict__.pop("tokenizer_", None)
        self.classes_ = classes
        self.n_step_features_ = n_inputs
        for name, attr in _WEIGHT_ATTRIBUTES.items():
            setattr(self, attr, params[name])
        self.loss_curve_ = loss_curve
        self.best_loss_ = min(loss_curve)
        self.n_iter_ = len(loss_curve)
        self.t_ = self.n_iter_ * len(y_idx)

    def _make_optimizer(self, params):
        if self.solver == "sgd":
            return SGD(
                params,
                self.learning_rate_init,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum,
            )
        return Adam(
            params,
            self.learning_rate_init,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the number of samples "
                f"({n_samples}); using {n_samples}.",
                UserWarning,
                stacklevel=4,
            )
        return min(self.batch_size, n_samples)

    def _train(self, params, values, offsets, y, rng):
        """Run up to ``max_iter`` epochs, updating ``params`` in place.

        Returns the loss curve.
        """
        n_samples = len(y)
        batch_size = self._batch_size(n_samples)
        optimizer = self._make_optimizer(params)
        loss_curve = []
        best_loss, no_improvement = np.inf, 0
        every = int(self.verbose)
        start_time = time.perf_counter()
        for epoch in range(1, self.max_iter + 1):
            order = rng.permutation(n_samples) if self.shuffle else np.arange(n_samples)
            epoch_loss, n_correct = 0.0, 0
            for batch_slice in gen_batches(n_samples, batch_size):
                idx = order[batch_slice]
                batch = _rnn.pack(values, offsets, idx)
                loss, grads, proba = _rnn.loss_and_gradients(
                    params, batch, y[idx], alpha=self.alpha
                )
                if not np.isfinite(loss):
                    _raise_diverged(epoch, f"the loss is {loss}")
                clip_gradients(
                    grads, clip_value=self.clip_value, clip_norm=self.clip_norm
                )
                optimizer.step(params, grads)
                epoch_loss += loss * len(idx)
                n_correct += int((proba.argmax(axis=1) == y[idx]).sum())
            loss_curve.append(epoch_loss / n_samples)
            # |h| <= 1, so finite sums of absolute weights bound every pre-activation
            # and logit: this also catches an epoch's last update, whose loss is
            # never computed, before it leaves a model that predicts NaN.
            with np.errstate(over="ignore"):
                bounded = all(np.isfinite(np.abs(p).sum()) for p in params.values())
            if not bounded:
                _raise_diverged(epoch, "the weights overflowed")

            if every and (epoch % every == 0 or epoch == self.max_iter):
                print(
                    f"Epoch {epoch}/{self.max_iter}: loss {loss_curve[-1]:.4f}, "
                    f"accuracy {n_correct / n_samples:.3f}, "
                    f"{time.perf_counter() - start_time:.2f} s"
                )
            if loss_curve[-1] > best_loss - self.tol:
                no_improvement += 1
            else:
                no_improvement = 0
            best_loss = min(best_loss, loss_curve[-1])
            if no_improvement >= self.n_iter_no_change:
                if every:
                    print(
                        f"Stopped at epoch {epoch}: the training loss improved by less "
                        f"than tol={self.tol} for {self.n_iter_no_change} epochs."
                    )
                return loss_curve
        warnings.warn(
            f"{type(self).__name__} reached max_iter={self.max_iter} epochs and the "
            "loss is still improving. Raise max_iter or learning_rate_init for a "
            "closer fit.",
            ConvergenceWarning,
            stacklevel=4,
        )
        return loss_curve

    # ------------------------------------------------------------------ predict
    def _params(self):
        return {name: getattr(self, attr) for name, attr in _WEIGHT_ATTRIBUTES.items()}

    def _logits(self, X):
        values, offsets = self._validate_predict_input(X)
        return _rnn.predict_logits(self._params(), values, offsets, _PREDICT_CHUNK)

    def decision_function(self, X):
        """Class scores (logits) of the output layer.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences, of the kind the model was fitted on.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]``; otherwise one logit per class.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences, of the kind the model was fitted on.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return _rnn.softmax(self._logits(X))

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences, of the kind the model was fitted on.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences, of the kind the model was fitted on.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)
        return self.classes_[logits.argmax(axis=1)]
