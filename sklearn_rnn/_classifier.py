"""TextRNNClassifier: input checks, labels, the training loop, scikit-learn glue."""

import contextlib
import copy
import threading
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.parallel import _get_threadpool_controller
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from . import _rnn
from ._optimizers import SGD, Adam, clip_gradients
from ._persistence import VersionedStateMixin
from ._tokenizer import TextTokenizer, check_documents

# Public fitted attribute holding each parameter of the recurrent math.
_WEIGHT_ATTRIBUTES = {
    "W_xh": "input_weights_",
    "W_hh": "recurrent_weights_",
    "b_h": "hidden_bias_",
    "W_hy": "output_weights_",
    "b_y": "output_bias_",
    "W_emb": "embedding_weights_",
}

# early_stopping="auto" sets aside a validation set from this many samples on: then
# it holds 100 or more samples (at the default validation_fraction), enough to
# judge, and the corpus is large enough to spare them. On a few dozen samples a
# validation set is too small to tell a better epoch from noise, and the samples
# are worth more for training.
_AUTO_EARLY_STOPPING_SAMPLES = 1000

# Sequences tokenized and run together at prediction time: bounds memory for any
# number of samples (prediction keeps one hidden state per sequence, not per step).
_PREDICT_CHUNK = 1024

# blas_threads="auto" uses one BLAS thread below this hidden size. Measured on 2
# cores (benchmarks/performance.py, section 7): one thread is faster at H=64 and
# H=128, where the matrices are too small to share; two are faster at H=256.
_AUTO_THREADED_HIDDEN_SIZE = 256

# Batches per pool sorted by length when ``length_bucketing`` is on: enough for
# similar lengths within a batch, few enough that batches still change each epoch.
_BUCKET_POOL = 8


def _check_label_types(y):
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
    kinds = set()
    for value in values:
        if isinstance(value, str):
            kinds.add("str")
        elif isinstance(value, (Real, np.number, np.bool_)):
            kinds.add("number")
    if len(kinds) > 1:
        examples = {}
        for value in values:
            examples.setdefault(isinstance(value, str), value)
        raise ValueError(
            "y mixes label types: strings and numbers (e.g. "
            f"{examples[True]!r} and {examples[False]!r}). Use one type for all "
            "labels, e.g. y = [str(label) for label in y]."
        )


def _as_documents(X):
    """Tell raw text from numeric sequences (see CHECKS.md's dispatch rule).

    Returns the documents as a list of str when X is raw text, and None when X is
    to be validated as numbers (including an empty 1-D input, which has no kind).
    Raises, naming the problem, for a bare string and for a 1-D collection that
    holds strings, bytes or None where documents would be: numbers never come that
    way, so it can only be text gone wrong.
    """
    if isinstance(X, str):
        raise ValueError(
            "Iterable over raw text documents expected, string object received. "
            "Wrap a single document in a list: [text]."
        )
    if isinstance(X, bytes):
        raise ValueError(
            "Iterable over raw text documents expected, bytes object received. "
            "Decode it to str and wrap it in a list: [data.decode('utf-8')]."
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
        "as it was before this call, so a previously fitted model is still usable."
    )


def _check_sample_weight(sample_weight, n_samples):
    """Validate sample weights; return a float64 copy, or None for None.

    A copy, because the caller's array must never change (weights are later
    multiplied by class weights).
    """
    if sample_weight is None:
        return None
    try:
        weights = np.array(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"sample_weight must be numbers, one per sample; converting it to float "
            f"failed: {exc}"
        ) from None
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per sample, got an array of "
            f"shape {weights.shape}."
        )
    if len(weights) != n_samples:
        raise ValueError(
            f"sample_weight has {len(weights)} values but X has {n_samples} samples; "
            "pass one weight per sample."
        )
    if not np.isfinite(weights).all():
        raise ValueError(
            "sample_weight contains NaN or infinity; weights must be finite."
        )
    if (weights < 0).any():
        raise ValueError(
            f"sample_weight contains negative values (smallest {weights.min()}); "
            "weights must be non-negative."
        )
    if not (weights > 0).any():
        raise ValueError(
            "sample_weight is zero for every sample: at least one weight must be "
            "positive."
        )
    return weights


def _take(data, indices):
    """Select samples of a document list or a numeric array."""
    if isinstance(data, list):
        return [data[i] for i in indices]
    return data[indices]


def _copy_params(params):
    return {name: value.copy() for name, value in params.items()}


class _Snapshot:
    """The weights a training run will end with, safe from an interrupt.

    ``take`` copies into a spare buffer and then publishes it with one assignment,
    so a ``KeyboardInterrupt`` arriving mid-copy never leaves a torn mix of two
    epochs in ``state``. Two buffers are reused, so no epoch allocates.
    """

    def __init__(self, params, epoch, score=None, *, enabled=True):
        self.enabled = enabled
        if enabled:
            self._spare = _copy_params(params)
            self.state = (_copy_params(params), epoch, score)
        else:
            self.state = (None, epoch, score)

    def take(self, params, epoch, score=None):
        if not self.enabled:
            return
        spare = self._spare
        for name, value in params.items():
            np.copyto(spare[name], value)
        previous = self.state[0]
        self.state = (spare, epoch, score)
        self._spare = previous


class _SharedBlasLimit:
    """Limit BLAS threads while any call needs it; restore once the last one ends.

    A plain threadpoolctl ``limit`` context saves the setting it finds and restores
    it on exit. Two threads predicting at once would interleave those saves, and
    the one leaving last would "restore" the other's limit, leaving the whole
    process on one BLAS thread. Here the first call in saves and limits, and the
    last call out restores. Calls that want another limit while one is active run
    under the active one.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._context = None

    @contextlib.contextmanager
    def __call__(self, threads):
        with self._lock:
            if self._users == 0:
                self._context = _get_threadpool_controller().limit(
                    limits=threads, user_api="blas"
                )
                self._context.__enter__()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    context, self._context = self._context, None
                    context.__exit__(None, None, None)


_limit_blas_threads = _SharedBlasLimit()


def _describe(X):
    shape = getattr(X, "shape", None)
    return type(X).__name__ + ("" if shape is None else f" of shape {shape}")


def _is_empty_1d(X):
    """True for an empty list, tuple or 1-D array: no documents at all."""
    if isinstance(X, (list, tuple)):
        return len(X) == 0
    return getattr(X, "shape", None) == (0,)


class TextRNNClassifier(
    VersionedStateMixin, ClassifierMixin, TransformerMixin, BaseEstimator
):
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
    embedding_size : int or None, default=None
        Text input only. None: each token id selects a row of ``W_xh`` directly
        (an embedding of size ``hidden_size``, the tutorial's model). An int ``E``:
        each id selects a row of an ``n_ids x E`` embedding, which ``W_xh``
        (``E x hidden_size``) maps to the hidden units; a small ``E`` makes far
        fewer weights for a large vocabulary. Ignored for numeric input.
    pooling : {"auto", "mean", "max", "last"}, default="auto"
        What summarises a sequence for the output layer: the mean of its hidden
        states, their element-wise maximum, or its last hidden state (the
        tutorial's). With "last", what a long text said early must survive every
        later step; the mean or the maximum lets every step speak to the output
        directly. "auto" means "mean" for text and "max" for numeric input, the
        best of the three in measurements on text (SpamAssassin: 0.94-0.96 test
        accuracy, against 0.89-0.95 for "max" and 0.78 for "last") and on
        numeric sequences (digits: "max" 0.98, "last" 0.97, "mean" 0.94, where
        "mean" also trained unstably at the default learning rate); see the
        README's accuracy section.
    max_len : int or None, default=None
        Read at most ``max_len`` steps of each sequence (tokens of a document, or
        time steps of numeric input), in ``fit`` and in prediction; which steps:
        ``truncation``. None reads whole sequences. Shorter reading makes long
        documents cheaper (fit time is proportional to the steps read).
    truncation : {"head", "tail", "head+tail"}, default="head"
        Which steps a sequence longer than ``max_len`` keeps: its first
        ``max_len``, its last ``max_len``, or the first ``max_len - max_len // 2``
        and the last ``max_len // 2``.
    recurrent_init : {"uniform", "orthogonal"}, default="uniform"
        Initial ``W_hh``: uniform in ``±1/sqrt(hidden_size)`` (PyTorch's scheme),
        or a random orthogonal matrix, which keeps the norm of a gradient flowing
        back through ``W_hh`` and can help long sequences.
    input_dropout : float in [0, 1), default=0.0
        During training only, zero each element of each step's input vector (the
        token's embedding row, or the numeric features) with this probability,
        scaling the rest by ``1 / (1 - input_dropout)``; a new mask per batch.
    dropout : float in [0, 1), default=0.0
        The same for the pooled summary fed to the output layer. Dropout makes
        the training loss noisy, which the ``tol`` stopping rule on the training
        loss can mistake for a plateau: use it with early stopping.
    solver : {"adam", "sgd"}, default="adam"
        Update rule. "sgd" uses ``momentum`` and ``nesterovs_momentum``; "adam" uses
        ``beta_1``, ``beta_2`` and ``epsilon``.
    learning_rate : {"constant", "plateau"}, default="constant"
        Learning-rate schedule of ``fit``. "constant" keeps ``learning_rate_init``.
        "plateau" multiplies the rate by ``plateau_factor`` whenever the watched loss
        (see ``tol``) has not improved by ``tol`` for ``plateau_patience`` epochs in a
        row. The rate in force at each epoch is recorded in ``history_``.
        ``partial_fit`` always uses ``learning_rate_init``.
    learning_rate_init : float, default=1e-2
        Initial step size.
    plateau_factor : float in (0, 1), default=0.2
        Factor applied to the learning rate on a plateau (``learning_rate="plateau"``
        only).
    plateau_patience : int, default=3
        Epochs without ``tol`` improvement before the rate is reduced
        (``learning_rate="plateau"`` only). Keep it below ``n_iter_no_change``, or
        training stops before the rate is ever reduced.
    batch_size : int or "auto", default="auto"
        Sequences per mini-batch; "auto" means ``min(200, n_samples)``.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data) of one ``fit`` call.
    tol : float, default=1e-4
        Training stops when the watched loss has not improved by at least ``tol``
        for ``n_iter_no_change`` consecutive epochs. The watched loss is the training
        loss, or the validation loss when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Number of epochs without ``tol`` improvement before training stops.
    early_stopping : bool or "auto", default="auto"
        "auto" means True when ``fit`` gets at least 1,000 samples (of non-zero
        weight), False below: a few dozen samples make a validation set too small
        to judge by and are worth more for training. True: set aside
        ``validation_fraction`` of the training data (stratified by class, drawn
        from ``random_state``), watch the loss on it after every epoch, stop when it
        has not improved by ``tol`` for ``n_iter_no_change`` epochs, and end with
        the weights of the epoch with the lowest validation loss (not those of the
        last epoch). The validation loss is watched rather than the accuracy
        because it changes with every improvement of the probabilities, while the
        accuracy of a small validation set moves in coarse steps and ties often.
        Text vocabulary is learnt from the training part only, so validation
        documents meet unknown words as new documents would. Ignored by
        ``partial_fit``.
    validation_fraction : float in (0, 1), default=0.1
        Proportion of the training data set aside for early stopping. The
        validation set must hold at least one sample of every class.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weight matrices (not the biases), divided by
        the total sample weight of the batch as in scikit-learn's MLP.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, ``{label: weight}``; classes not in the
        dict weigh 1. "balanced" weighs each class by ``n_samples / (n_classes *
        weighted count of the class)``, counted with ``sample_weight``. Multiplies
        ``sample_weight``. "balanced" is not available in ``partial_fit``, which sees
        one chunk at a time: compute the weights of the whole stream with
        :func:`sklearn.utils.class_weight.compute_class_weight` and pass a dict.
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
    length_bucketing : bool, default=False
        When shuffling into more than one mini-batch, group sequences of similar
        length in the same batch: each pool of 8 shuffled batches is sorted by length
        and cut again, and the batches are then shuffled. With text of very uneven
        lengths this saves time spent on the last steps of the longest documents
        (SpamAssassin e-mails: 18% less per epoch in float64, 26% in float32), but
        batches are less random, and when length goes with the class a batch
        leans to one class (SpamAssassin, 3 epochs: test accuracy 0.64 instead of
        0.77). No effect in full-batch training or with ``shuffle=False``.
    blas_threads : "auto", int or None, default="auto"
        Threads the BLAS library (matrix products) may use during ``fit``,
        ``partial_fit`` and prediction. The products of a recurrent network are
        small, one per time step, and below a hidden size of about 256 they run
        slower on several threads than on one; "auto" uses 1 thread when
        ``hidden_size < 256`` and leaves the library's setting alone otherwise. An
        int sets that limit; None never changes it. The previous setting is
        restored after each call.
    dtype : {"float64", "float32"}, default="float64"
        Floating-point type of the weights and of all computation. "float32" trains
        about 1.5-2x faster at hidden sizes of 128 and more, and halves the memory of
        the weights, at the cost of precision (about 1e-7 relative instead of
        1e-16); probabilities are then float32 too. Numeric input is converted.
    random_state : int, RandomState instance or None, default=None
        Decides every random choice: weight initialisation, the validation split of
        early stopping and shuffling. Pass an int for reproducible results.
    warm_start : bool, default=False
        If true and the estimator is already fitted, ``fit`` continues from the
        fitted weights, vocabulary and classes instead of starting afresh: words not
        in the vocabulary map to the unknown id, and ``y`` may only contain labels in
        ``classes_``. The optimizer state (e.g. Adam's moments) is kept from the
        previous call, so training continues smoothly; the learning rate restarts
        at ``learning_rate_init``.
    verbose : bool or int, default=False
        If true, print one line of progress per epoch: training loss and running
        accuracy, validation loss and accuracy (early stopping), learning rate
        (plateau schedule), elapsed time, and an upper bound on the time left (as if
        all ``max_iter`` epochs were run). An int ``k > 1`` prints every ``k``-th
        epoch and the last.

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
    feature_names_in_ : ndarray of shape (n_features_in,)
        Column names of a DataFrame passed to ``fit`` (numeric input only, and only if
        it had string column names).
    n_step_features_ : int
        Features per time step: 1 for 2-D numeric input, ``X.shape[2]`` for 3-D, and
        the vocabulary size (number of token ids) for text.
    input_weights_ : ndarray of shape (n_step_features, hidden_size)
        ``W_xh``: row ``i`` is the input contribution of token id ``i`` (text) or of
        feature ``i`` (numeric). With ``embedding_size``, of shape
        ``(embedding_size, hidden_size)``: row ``i`` is the contribution of
        embedding unit ``i``.
    embedding_weights_ : ndarray of shape (n_step_features, embedding_size)
        ``W_emb``: row ``i`` is the embedding of token id ``i``. Only with
        ``embedding_size`` set and text input.
    recurrent_weights_ : ndarray of shape (hidden_size, hidden_size)
        ``W_hh``, from the previous hidden state to the next.
    hidden_bias_ : ndarray of shape (hidden_size,)
        ``b_h``.
    output_weights_ : ndarray of shape (hidden_size, n_classes)
        ``W_hy``, from the pooled hidden states (see ``pooling``) to the class
        logits.
    output_bias_ : ndarray of shape (n_classes,)
        ``b_y``.
    loss_curve_ : list of float
        Training loss (weighted cross-entropy plus penalty, averaged over the epoch's
        batches) of each epoch, over all ``fit`` (with ``warm_start``) and
        ``partial_fit`` calls since the model was created.
    best_loss_ : float
        Lowest loss watched by the last ``fit``: the training loss (the minimum of
        ``loss_curve_``) or, with ``early_stopping``, the validation loss, which is
        then the validation loss of the weights the model holds. After
        ``partial_fit``, the minimum of ``loss_curve_``.
    validation_loss_curve_ : list of float or None
        Validation loss (weighted cross-entropy, no penalty) after each epoch of the
        last ``fit``; None without ``early_stopping``.
    validation_scores_ : list of float or None
        Validation accuracy (weighted by ``sample_weight``) after each epoch of the
        last ``fit``; None without ``early_stopping``.
    best_validation_score_ : float or None
        Validation accuracy of the weights the model holds, i.e. of the epoch with
        the lowest validation loss. It can be below ``max(validation_scores_)``,
        because the loss, not the accuracy, chooses the epoch. None without
        ``early_stopping``.
    best_epoch_ : int
        Epoch (counted like ``n_iter_``) whose weights the model holds: the last one,
        or with ``early_stopping`` the one with the lowest validation loss. With
        ``warm_start`` the weights the fit started from compete too, so this can be
        an epoch of an earlier call.
    history_ : list of dict
        One record per epoch, over all calls like ``loss_curve_``; e.g.
        ``pandas.DataFrame(clf.history_)`` gives a table to plot. Keys: "epoch",
        "train_loss", "train_accuracy" (running accuracy during the epoch),
        "learning_rate", "seconds" (duration of the epoch), and with early stopping
        "valid_loss", "valid_score" and "best" (whether the epoch improved the
        lowest validation loss).
    n_iter_ : int
        Number of epochs run, over all calls like ``loss_curve_``.
    t_ : int
        Number of training samples seen by the solver, over all calls.

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

    Weights: ``sample_weight`` and ``class_weight`` multiply each sample's
    cross-entropy, and the loss is normalised by the total weight, so integer weights
    train like repeated samples and a zero weight like a dropped sample. Samples of
    zero weight are dropped before anything else: they do not shape the vocabulary,
    do not count as a class present in ``y``, and do not enter the validation set.
    The tokenizer's vocabulary is learnt with the sample weights when its ``fit``
    accepts ``sample_weight``; class weights do not change the vocabulary.

    Nothing is lost to a failed call. If training diverges (a non-finite loss or
    weight), ``fit`` and ``partial_fit`` raise a ``ValueError`` saying what to change
    and leave the estimator exactly as it was before the call, so a model fitted
    earlier (and then warm-started or trained with ``partial_fit``) keeps predicting
    as before. A ``KeyboardInterrupt`` during ``fit`` after at least one complete
    epoch stops training with a warning and keeps the best weights so far (those of
    ``best_epoch_``); before that, or during ``partial_fit``, it leaves the estimator
    as it was and propagates.

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
        "embedding_size": [Interval(Integral, 1, None, closed="left"), None],
        "pooling": [StrOptions({"auto", *_rnn.POOLINGS})],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "truncation": [StrOptions(set(_rnn.TRUNCATIONS))],
        "recurrent_init": [StrOptions({"uniform", "orthogonal"})],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate": [StrOptions({"constant", "plateau"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "plateau_factor": [Interval(Real, 0, 1, closed="neither")],
        "plateau_patience": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "clip_value": [Interval(Real, 0, None, closed="neither"), None],
        "shuffle": ["boolean"],
        "length_bucketing": ["boolean"],
        "blas_threads": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "dtype": [StrOptions({"float64", "float32"}), type],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        tokenizer=None,
        *,
        hidden_size=64,
        embedding_size=None,
        pooling="auto",
        max_len=None,
        truncation="head",
        recurrent_init="uniform",
        input_dropout=0.0,
        dropout=0.0,
        solver="adam",
        learning_rate="constant",
        learning_rate_init=1e-2,
        plateau_factor=0.2,
        plateau_patience=3,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping="auto",
        validation_fraction=0.1,
        alpha=1e-4,
        class_weight=None,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        clip_norm=5.0,
        clip_value=None,
        shuffle=True,
        length_bucketing=False,
        blas_threads="auto",
        dtype="float64",
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.tokenizer = tokenizer
        self.hidden_size = hidden_size
        self.embedding_size = embedding_size
        self.pooling = pooling
        self.max_len = max_len
        self.truncation = truncation
        self.recurrent_init = recurrent_init
        self.input_dropout = input_dropout
        self.dropout = dropout
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.plateau_factor = plateau_factor
        self.plateau_patience = plateau_patience
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.alpha = alpha
        self.class_weight = class_weight
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.shuffle = shuffle
        self.length_bucketing = length_bucketing
        self.blas_threads = blas_threads
        self.dtype = dtype
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

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

    # ------------------------------------------------------------------ input
    def _validate_fit_input(self, X, y, *, reset):
        """Validate X and y for training; return (mode, data, y).

        ``data`` is the list of documents (text) or a 3-D float array (numeric).
        With ``reset=False`` (warm start, later ``partial_fit`` calls) X must be of the
        kind, and for numbers of the shape, the model was fitted on. Sets nothing on
        the estimator except what ``validate_data`` records (``n_features_in_``,
        ``feature_names_in_``), which the callers restore on error.
        """
        _check_label_types(y)
        docs = _as_documents(X)
        if not reset:
            fitted_on_text = self.input_mode_ == "text"
            if (docs is not None) != fitted_on_text and not _is_empty_1d(X):
                fitted = "text" if fitted_on_text else "numeric sequences"
                given = "text" if docs is not None else _describe(X)
                raise ValueError(
                    f"This model was fitted on {fitted}, so training can only continue "
                    f"on {fitted}; got {given}. Set warm_start=False, or use a new "
                    "estimator, to fit on another kind of input."
                )
        if docs is not None:
            y = validate_data(self, y=y)
            check_consistent_length(docs, y)
            return "text", docs, y
        if _is_empty_1d(X):
            raise ValueError(
                "Found 0 samples: X is empty. Pass at least two documents or sequences."
            )
        try:
            X, y = validate_data(
                self, X, y, reset=reset, dtype=np.float64, allow_nd=True
            )
        except ValueError as exc:
            if "could not convert string to float" not in str(exc):
                raise
            raise ValueError(
                f"X holds strings but is not 1-D text: got {_describe(X)}. Text must "
                "be a 1-D list, array or Series with one str document per sample "
                "(join the columns of a table into one document); numeric sequences "
                "must hold numbers."
            ) from exc
        X = self._as_3d(X)
        if not reset and X.shape[2] != self.n_step_features_:
            raise ValueError(
                f"X has {X.shape[2]} features per time step, but this model was "
                f"fitted on {self.n_step_features_}."
            )
        return "numeric", X, y

    @staticmethod
    def _as_3d(X):
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

    @staticmethod
    def _numeric_to_ragged(X):
        """Ragged storage (values, offsets) of a validated numeric array."""
        n, n_steps, n_feat = X.shape
        values = np.ascontiguousarray(X).reshape(n * n_steps, n_feat)
        return values, np.arange(n + 1, dtype=np.intp) * n_steps

    def _to_ragged(self, data, tokenizer, dtype, reading=None):
        """Sequences as ragged storage, cut to ``max_len`` steps.

        ``reading`` is the (max_len, truncation) to apply: the parameters' values
        when training, the fitted ones when predicting.
        """
        if tokenizer is None:
            values, offsets = self._numeric_to_ragged(data)
            values = values.astype(dtype, copy=False)
        else:
            values, offsets = tokenizer.transform_ragged(data)
        return self._truncate((values, offsets), reading)

    def _truncate(self, ragged, reading=None):
        max_len, keep = reading or (self.max_len, self.truncation)
        return _rnn.truncate(*ragged, max_len, keep)

    def _float_dtype(self):
        """The computation dtype asked for by the ``dtype`` parameter."""
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(
                f"dtype must be 'float64' or 'float32', got {self.dtype!r}."
            )
        return dtype

    def _validate_predict_input(self, X):
        """Check X against the fitted model.

        Returns the list of documents (text) or the validated (n, T, F) array.
        """
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
            return docs
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
        X = self._as_3d(
            validate_data(self, X, reset=False, dtype=np.float64, allow_nd=True)
        )
        if X.shape[2] != self.n_step_features_:
            raise ValueError(
                f"X has {X.shape[2]} features per time step, but this model was "
                f"fitted on {self.n_step_features_}."
            )
        return X

    @staticmethod
    def _drop_zero_weight(weights, data, *arrays):
        """Drop samples of zero weight: they must act exactly as absent samples.

        Returns ``data`` and each of ``arrays`` (None stays None) without them.
        """
        if weights is None or (weights > 0).all():
            return data, *arrays
        keep = np.flatnonzero(weights > 0)
        return _take(data, keep), *(a if a is None else a[keep] for a in arrays)

    def _class_weights(self, y_idx, sample_weight, n_classes):
        """Weight of each class index (None when all weigh 1)."""
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            counts = np.bincount(
                y_idx, weights=sample_weight, minlength=n_classes
            ).astype(np.float64)
            present = counts > 0
            weights = np.ones(n_classes)
            # n_samples / (n_classes * count), with weighted counts of the classes
            # present in y (scikit-learn's "balanced" rule).
            weights[present] = counts.sum() / (present.sum() * counts[present])
            return weights
        labels = self.classes_.tolist()
        unknown = [key for key in self.class_weight if key not in labels]
        if unknown:
            raise ValueError(
                f"class_weight has keys {unknown!r} that are not classes of y "
                f"{labels!r}; use the labels themselves as keys."
            )
        weights = np.array(
            [float(self.class_weight.get(label, 1.0)) for label in labels]
        )
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(
                f"class_weight values must be finite and non-negative; got "
                f"{self.class_weight!r}."
            )
        return weights

    def _effective_weights(self, y_idx, sample_weight):
        class_weights = self._class_weights(y_idx, sample_weight, len(self.classes_))
        if class_weights is None:
            return sample_weight
        weights = class_weights[y_idx]
        if sample_weight is not None:
            weights = weights * sample_weight
        if not (weights > 0).any():
            raise ValueError(
                "Every sample has zero weight once class_weight is applied; give at "
                "least one class present in y a positive weight."
            )
        return weights

    def _label_indices(self, y, where):
        """Class indices of y, which may only hold labels in ``classes_``."""
        unseen = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unseen):
            raise ValueError(
                f"y contains labels {unseen.tolist()!r} that are not among the "
                f"classes {self.classes_.tolist()!r} of this model; {where}"
            )
        return np.searchsorted(self.classes_, y)

    # ------------------------------------------------------------------ fit
    def _is_fitted(self):
        return hasattr(self, "classes_")

    def _run_atomically(self, method, *args):
        """Run a training method; on any error leave the estimator as it was.

        Fitted weights are only replaced by new arrays, never updated in place, so a
        shallow copy of ``__dict__`` is a complete backup.
        """
        saved_state = self.__dict__.copy()
        try:
            method(*args)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved_state)
            raise
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to text or numeric sequences.

        Parameters
        ----------
        X : list of str, or array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features)
            Raw documents (1-D list, array or Series of str), or numeric sequences.
        y : array-like of shape (n_samples,)
            Class labels (any type scikit-learn accepts: str, int, bool, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss; None weighs all samples
            equally. Integer weights act as repeated samples and zero weights as
            absent ones (see Notes).

        Returns
        -------
        self : TextRNNClassifier
            The fitted estimator.
        """
        with self._blas_threads(self.hidden_size):
            return self._run_atomically(self._fit, X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        warm = self.warm_start and self._is_fitted()
        mode, data, y = self._validate_fit_input(X, y, reset=not warm)
        self._pooling = self._resolve_pooling(mode)
        sample_weight = _check_sample_weight(sample_weight, len(y))
        check_classification_targets(y)
        data, y, sample_weight = self._drop_zero_weight(
            sample_weight, data, y, sample_weight
        )
        if warm:
            # Train copies: the fitted arrays must survive a failed call unchanged.
            params = self._continued_params("warm_start")
            y_idx = self._label_indices(
                y, "warm_start continues a model. Set warm_start=False to refit."
            )
        else:
            classes = unique_labels(y)
            if len(classes) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes to "
                    "fit, but the data (samples of non-zero weight) contains only one "
                    f"class: {classes.tolist()[0]!r}."
                )
            self.classes_ = classes
            y_idx = np.searchsorted(classes, y)
        weights = self._effective_weights(y_idx, sample_weight)
        data, y_idx, sample_weight, weights = self._drop_zero_weight(
            weights, data, y_idx, sample_weight, weights
        )

        rng = check_random_state(self.random_state)
        valid = None
        if self._uses_early_stopping(len(y_idx)):
            train_idx, valid_idx = self._validation_split(y_idx, rng)
            valid = [_take(data, valid_idx), y_idx[valid_idx]]
            valid += [
                None if w is None else w[valid_idx] for w in (weights, sample_weight)
            ]
            data, y_idx = _take(data, train_idx), y_idx[train_idx]
            if weights is not None:
                weights = weights[train_idx]
            if sample_weight is not None:
                sample_weight = sample_weight[train_idx]

        ragged = None
        if warm:
            tokenizer = self.__dict__.get("tokenizer_")
        else:
            tokenizer = None
            if mode == "text":
                tokenizer, ragged = self._fit_tokenizer(data, sample_weight)
            n_inputs = tokenizer.vocabulary_size_ if mode == "text" else data.shape[2]
            params = self._init_params(rng, n_inputs, mode)
        dtype = params["W_xh"].dtype
        if ragged is not None:
            ragged = self._truncate(ragged)
        values, offsets = ragged or self._to_ragged(data, tokenizer, dtype)
        if valid is not None:
            valid[0:1] = self._to_ragged(valid[0], tokenizer, dtype)

        optimizer = (
            self._continued_optimizer(params) if warm else self._make_optimizer(params)
        )
        result = self._train(
            params,
            optimizer,
            (values, offsets, y_idx, weights),
            rng,
            valid=valid,
            warm=warm,
        )
        if not warm:
            self.input_mode_ = mode
            if tokenizer is not None:
                self.tokenizer_ = tokenizer
                # Text has no fixed length: forget any numeric fit's feature count.
                for attr in ("n_features_in_", "feature_names_in_"):
                    self.__dict__.pop(attr, None)
            else:
                self.__dict__.pop("tokenizer_", None)
            self.n_step_features_ = n_inputs
            self.loss_curve_, self.history_ = [], []
            self.n_iter_ = self.t_ = 0
        self._record(result, len(y_idx))
        self._optimizer = optimizer
        if valid is not None:
            self.validation_loss_curve_ = [r["valid_loss"] for r in result["records"]]
            self.validation_scores_ = [r["valid_score"] for r in result["records"]]
            self.best_validation_score_ = result["best_score"]
            self.best_loss_ = result["best_value"]
        else:
            self.validation_loss_curve_ = None
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = min(self.loss_curve_)

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on the given samples, continuing any earlier training.

        The first call (on an unfitted model) initialises the weights and, for text,
        learns the vocabulary from this first batch of documents; it is then fixed,
        and later words outside it map to the unknown id. To stream text whose
        vocabulary is not known in advance, use a hashing tokenizer,
        ``TextTokenizer(n_buckets=...)``. ``partial_fit`` also continues a model
        fitted with ``fit``. Early stopping, ``max_iter`` and the plateau schedule do
        not apply: each call is one epoch at ``learning_rate_init``. The optimizer
        state (e.g. Adam's moments) is kept between calls.

        Parameters
        ----------
        X : list of str, or array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features)
            A batch of documents or numeric sequences, of the kind (and for numbers
            the length) of the first call.
        y : array-like of shape (n_samples,)
            Class labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class the stream can contain. Required on the first call, since a
            batch may not show every class; optional later, and then it must equal
            ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : TextRNNClassifier
            The updated estimator.
        """
        with self._blas_threads(self.hidden_size):
            return self._run_atomically(self._partial_fit, X, y, classes, sample_weight)

    def _partial_fit(self, X, y, classes, sample_weight):
        first = not self._is_fitted()
        if first:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: a batch "
                    "may not contain every class. Pass classes=np.unique(all_labels)."
                )
            classes = unique_labels(classes)
            if len(classes) < 2:
                raise ValueError(
                    f"classes must hold at least 2 classes; got {classes.tolist()!r}."
                )
        elif classes is not None and not np.array_equal(
            unique_labels(classes), self.classes_
        ):
            raise ValueError(
                f"classes={unique_labels(classes).tolist()!r} differs from the "
                f"classes {self.classes_.tolist()!r} this model was first trained "
                "with; a model's classes cannot change. Fit a new model instead."
            )
        if self.class_weight == "balanced":
            raise ValueError(
                'class_weight="balanced" is not available in partial_fit, which sees '
                "one batch at a time. Compute the weights of the whole stream with "
                "sklearn.utils.class_weight.compute_class_weight and pass them as a "
                "dict {label: weight}."
            )
        mode, data, y = self._validate_fit_input(X, y, reset=first)
        self._pooling = self._resolve_pooling(mode)
        sample_weight = _check_sample_weight(sample_weight, len(y))
        check_classification_targets(y)
        data, y, sample_weight = self._drop_zero_weight(
            sample_weight, data, y, sample_weight
        )
        if first:
            self.classes_ = classes
        y_idx = self._label_indices(y, "pass every class in classes on the first call.")
        weights = self._effective_weights(y_idx, sample_weight)
        data, y_idx, sample_weight, weights = self._drop_zero_weight(
            weights, data, y_idx, sample_weight, weights
        )

        rng = check_random_state(self.random_state)
        ragged = None
        if first:
            tokenizer = None
            if mode == "text":
                tokenizer, ragged = self._fit_tokenizer(data, sample_weight)
            n_inputs = tokenizer.vocabulary_size_ if mode == "text" else data.shape[2]
            params = self._init_params(rng, n_inputs, mode)
            optimizer = self._make_optimizer(params)
        else:
            tokenizer = self.__dict__.get("tokenizer_")
            params = self._continued_params("partial_fit")
            optimizer = self._continued_optimizer(params)
        if ragged is not None:
            ragged = self._truncate(ragged)
        values, offsets = ragged or self._to_ragged(
            data, tokenizer, params["W_xh"].dtype
        )
        result = self._train(
            params, optimizer, (values, offsets, y_idx, weights), rng, incremental=True
        )
        if first:
            self.input_mode_ = mode
            if tokenizer is not None:
                self.tokenizer_ = tokenizer
            self.n_step_features_ = n_inputs
            self.loss_curve_, self.history_ = [], []
            self.n_iter_ = self.t_ = 0
        self._record(result, len(y_idx))
        self._optimizer = optimizer
        self.validation_loss_curve_ = None
        self.validation_scores_ = None
        self.best_validation_score_ = None
        self.best_loss_ = min(self.loss_curve_)

    def _continued_params(self, how):
        """Copies of the fitted weights, to continue training them.

        Copies, because the fitted arrays must survive a failed call unchanged.
        Parameters that shape the weights cannot change between calls.
        """
        params = self._params()
        fitted = {"hidden_size": params["W_hh"].shape[0]}
        fitted["dtype"] = params["W_hh"].dtype.name
        fitted["embedding_size"] = (
            params["W_emb"].shape[1] if "W_emb" in params else None
        )
        asked = {
            "hidden_size": self.hidden_size,
            "dtype": self._float_dtype().name,
            "embedding_size": self._embedding_size(self.input_mode_),
        }
        for name, value in fitted.items():
            if asked[name] != value:
                raise ValueError(
                    f"{name}={getattr(self, name)!r}, but the fitted model has "
                    f"{name} {value!r}; {how} continues the fitted weights. Set "
                    f"{name} back, or fit a new model (warm_start=False)."
                )
        return _copy_params(params)

    def _record(self, result, n_samples):
        """Store the weights and the history of a training run."""
        for name, attr in _WEIGHT_ATTRIBUTES.items():
            if name in result["params"]:
                setattr(self, attr, result["params"][name])
            else:
                # A refit without an embedding must not keep an old one.
                self.__dict__.pop(attr, None)
        # How the model reads a sequence, as trained; parameters changed later
        # take effect at the next fit, as in any scikit-learn estimator.
        self._reading = (self.max_len, self.truncation)
        self.history_ = self.history_ + result["records"]
        self.loss_curve_ = self.loss_curve_ + [
            r["train_loss"] for r in result["records"]
        ]
        self.n_iter_ += len(result["records"])
        self.t_ += len(result["records"]) * n_samples
        self.best_epoch_ = result["best_epoch"]

    def _fit_tokenizer(self, documents, sample_weight):
        """Fit a clone of the tokenizer; return it and the documents' token ids.

        A tokenizer with ``fit_transform_ragged`` tokenizes the documents once
        for both; any other is fitted, then asked for ``transform_ragged``.
        """
        tokenizer = TextTokenizer() if self.tokenizer is None else clone(self.tokenizer)
        both = getattr(tokenizer, "fit_transform_ragged", None)
        fit = both or tokenizer.fit
        if sample_weight is not None and has_fit_parameter(tokenizer, "sample_weight"):
            out = fit(documents, sample_weight=sample_weight)
        else:
            # Zero-weight documents are already gone; other weights need support.
            out = fit(documents)
        return tokenizer, out if both else tokenizer.transform_ragged(documents)

    def _init_params(self, rng, n_inputs, mode):
        # All initial weights are drawn before anything that depends on n_samples, so
        # one seed gives the same initial model for any data set.
        params = _rnn.init_params(
            rng,
            n_inputs,
            self.hidden_size,
            len(self.classes_),
            token_input=mode == "text",
            dtype=self._float_dtype(),
            embedding_size=self._embedding_size(mode),
            recurrent_init=self.recurrent_init,
        )
        if mode == "text":
            # With min_df=1 no training token maps to the unknown id, so its row would
            # keep its random initial value and unseen words would add noise. Zero
            # makes an unseen word a neutral step (h_t = tanh(h_{t-1} W_hh + b_h))
            # unless training gives it a meaning (rare words under min_df > 1).
            token_matrix = params["W_emb" if "W_emb" in params else "W_xh"]
            token_matrix[[TextTokenizer.PAD_ID, TextTokenizer.UNK_ID]] = 0.0
        return params

    def _resolve_pooling(self, mode):
        if self.pooling == "auto":
            return "mean" if mode == "text" else "max"
        return self.pooling

    def _uses_early_stopping(self, n_samples):
        if self.early_stopping == "auto":
            return n_samples >= _AUTO_EARLY_STOPPING_SAMPLES
        return bool(self.early_stopping)

    def _embedding_size(self, mode):
        """The embedding size in effect: embeddings are for token input only."""
        return self.embedding_size if mode == "text" else None

    def _validation_split(self, y_idx, rng):
        n_samples, n_classes = len(y_idx), len(np.unique(y_idx))
        problem = None
        try:
            train_idx, valid_idx = train_test_split(
                np.arange(n_samples),
                test_size=self.validation_fraction,
                stratify=y_idx,
                random_state=rng,
            )
        except ValueError as exc:
            problem = str(exc)
        else:
            # Stratifying keeps proportions, so a rare class can still get no
            # validation sample; its loss would then never be watched.
            missing = n_classes - len(np.unique(y_idx[valid_idx]))
            if missing:
                problem = f"{missing} class(es) would have no validation sample"
        if problem is not None:
            raise ValueError(
                f"early_stopping could not set aside a stratified validation set of "
                f"validation_fraction={self.validation_fraction} of {n_samples} "
                f"samples holding every one of the {n_classes} classes: {problem}. "
                "Raise validation_fraction, provide more samples of the rare classes, "
                "or set early_stopping=False."
            )
        return train_idx, valid_idx

    def _solver_class(self):
        return SGD if self.solver == "sgd" else Adam

    def _continued_optimizer(self, params):
        """The stored optimizer state, to continue training without a jolt.

        A fresh Adam takes full-size steps at first, which throws a trained model off
        its minimum; its kept moments continue where the last call stopped.
        """
        optimizer = self.__dict__.get("_optimizer")
        if not isinstance(optimizer, self._solver_class()):
            return self._make_optimizer(params)
        # A copy: the stored state must survive a failed call.
        optimizer = copy.deepcopy(optimizer)
        self._set_optimizer_hyperparameters(optimizer)
        return optimizer

    def _make_optimizer(self, params):
        optimizer = self._solver_class()(params, self.learning_rate_init)
        self._set_optimizer_hyperparameters(optimizer)
        return optimizer

    def _set_optimizer_hyperparameters(self, optimizer):
        """Apply the current parameters (possibly changed by set_params)."""
        optimizer.learning_rate = self.learning_rate_init
        if isinstance(optimizer, SGD):
            optimizer.momentum = self.momentum
            optimizer.nesterov = self.nesterovs_momentum
        else:
            optimizer.beta_1 = self.beta_1
            optimizer.beta_2 = self.beta_2
            optimizer.epsilon = self.epsilon

    def _blas_threads(self, hidden_size):
        """Context limiting BLAS threads as the ``blas_threads`` parameter says."""
        threads = self.blas_threads
        if threads == "auto":
            threads = 1 if hidden_size < _AUTO_THREADED_HIDDEN_SIZE else None
        if threads is None:
            return contextlib.nullcontext()
        return _limit_blas_threads(threads)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the number of samples "
                f"({n_samples}); using {n_samples}.",
                UserWarning,
                stacklevel=7,
            )
        return min(self.batch_size, n_samples)

    def _train(
        self,
        params,
        optimizer,
        train,
        rng,
        *,
        valid=None,
        warm=False,
        incremental=False,
    ):
        """Train ``params`` (updated in place) and return what the run produced.

        ``train`` is (values, offsets, y, weights); ``valid`` is None or (values,
        offsets, y, loss weights, score weights). ``incremental`` means one epoch
        for ``partial_fit``: no stopping rule, no schedule, no convergence warning.

        Returns a dict: "params" (the weights to keep: the best epoch's with
        validation, otherwise the last epoch's), "records" (one dict per epoch),
        "best_epoch", "best_value" (lowest watched loss), "best_score".
        """
        n_samples = len(train[2])
        batch_size = self._batch_size(n_samples)
        n_epochs = 1 if incremental else self.max_iter
        epoch0 = getattr(self, "n_iter_", 0) if warm or incremental else 0
        every = int(self.verbose)

        best_value, best_score = np.inf, None
        if valid is not None and warm:
            # The incoming model competes: a warm start never makes it worse.
            best_value, best_score = self._evaluate(params, valid)
        # The incoming weights are those of the previous run's kept epoch.
        start_epoch = getattr(self, "best_epoch_", epoch0) if warm else epoch0
        kept = _Snapshot(params, start_epoch, best_score, enabled=not incremental)
        records = []
        no_improvement = plateau_wait = 0
        cache = {}
        start_time = time.perf_counter()
        stopped = False
        try:
            for epoch in range(1, n_epochs + 1):
                epoch_start = time.perf_counter()
                record = {"epoch": epoch0 + epoch}
                record["learning_rate"] = optimizer.learning_rate
                record["train_loss"], record["train_accuracy"] = self._run_epoch(
                    params, optimizer, train, batch_size, rng, epoch0 + epoch, cache
                )
                if valid is None:
                    value = record["train_loss"]
                    kept.take(params, epoch0 + epoch)
                else:
                    value, score = self._evaluate(params, valid)
                    record["valid_loss"], record["valid_score"] = value, score
                    record["best"] = bool(value < best_value)
                    if record["best"]:
                        kept.take(params, epoch0 + epoch, score)
                improved = value < best_value - self.tol
                best_value = min(best_value, value)
                record["seconds"] = time.perf_counter() - epoch_start
                records.append(record)

                no_improvement = 0 if improved else no_improvement + 1
                plateau_wait = 0 if improved else plateau_wait + 1
                stopped = not incremental and no_improvement >= self.n_iter_no_change
                if every and (epoch % every == 0 or epoch == n_epochs or stopped):
                    self._print_progress(record, epoch, n_epochs, start_time)
                if stopped:
                    if every:
                        watched = "validation" if valid is not None else "training"
                        print(
                            f"Stopped at epoch {epoch}: the {watched} loss improved by "
                            f"less than tol={self.tol} for {self.n_iter_no_change} "
                            "epochs."
                        )
                    break
                if (
                    self.learning_rate == "plateau"
                    and not incremental
                    and plateau_wait >= self.plateau_patience
                ):
                    optimizer.learning_rate *= self.plateau_factor
                    plateau_wait = 0
        except KeyboardInterrupt:
            if incremental or not records:
                raise  # nothing gained: the caller restores the previous state
            warnings.warn(
                f"Training interrupted by the user after {len(records)} epochs; the "
                f"model keeps the weights of epoch {kept.state[1]}.",
                UserWarning,
                stacklevel=6,
            )
            stopped = True
        if not stopped and not incremental:
            warnings.warn(
                f"{type(self).__name__} reached max_iter={self.max_iter} epochs and "
                "the loss is still improving. Raise max_iter or learning_rate_init for "
                "a closer fit.",
                ConvergenceWarning,
                stacklevel=6,
            )
        kept_params, best_epoch, kept_score = kept.state
        return {
            "params": kept_params if kept.enabled else params,
            "records": records,
            "best_epoch": best_epoch if kept.enabled else epoch0 + len(records),
            "best_value": best_value,
            "best_score": kept_score,
        }

    def _run_epoch(self, params, optimizer, train, batch_size, rng, epoch, cache):
        """One pass over the training data; return (loss, running accuracy).

        ``cache`` keeps the packed batch of full-batch training between epochs.
        """
        values, offsets, y, weights = train
        n_samples = len(y)
        epoch_loss, n_correct = 0.0, 0
        for idx in self._epoch_batches(np.diff(offsets), batch_size, rng):
            if len(idx) == n_samples:
                if "full" not in cache:
                    cache["full"] = _rnn.pack(values, offsets, idx)
                batch = cache["full"]
            else:
                batch = _rnn.pack(values, offsets, idx)
            loss, grads, proba = _rnn.loss_and_gradients(
                params,
                batch,
                y[idx],
                sample_weight=None if weights is None else weights[idx],
                alpha=self.alpha,
                sparse=True,
                pooling=self._pooling,
                input_dropout=self.input_dropout,
                output_dropout=self.dropout,
                rng=rng,
            )
            if not np.isfinite(loss):
                _raise_diverged(epoch, f"the loss is {loss}")
            clip_gradients(grads, clip_value=self.clip_value, clip_norm=self.clip_norm)
            optimizer.step(params, grads)
            epoch_loss += loss * len(idx)
            n_correct += int((proba.argmax(axis=1) == y[idx]).sum())
        # |h| <= 1, so finite sums of absolute weights bound every pre-activation and
        # logit: this also catches an epoch's last update, whose loss is never
        # computed, before it leaves a model that predicts NaN.
        with np.errstate(over="ignore"):
            bounded = all(np.isfinite(np.abs(p).sum()) for p in params.values())
        if not bounded:
            _raise_diverged(epoch, "the weights overflowed")
        return epoch_loss / n_samples, n_correct / n_samples

    def _epoch_batches(self, lengths, batch_size, rng):
        """The sample indices of each mini-batch of one epoch, in training order."""
        n_samples = len(lengths)
        if n_samples <= batch_size:
            # One batch: its gradient does not depend on the order, so there is
            # nothing to shuffle (and it can be packed once for all epochs).
            return [np.arange(n_samples)]
        order = rng.permutation(n_samples) if self.shuffle else np.arange(n_samples)
        batches = [order[s : s + batch_size] for s in range(0, n_samples, batch_size)]
        if not (self.length_bucketing and self.shuffle):
            return batches
        # Sort each pool of a few shuffled batches by length and cut it again, so
        # that a batch holds sequences of similar length: a long sequence no longer
        # runs its last steps alone, one small matrix product per step. The batches
        # are then shuffled, so lengths do not come in order.
        pool = batch_size * _BUCKET_POOL
        batches = []
        for start in range(0, n_samples, pool):
            part = order[start : start + pool]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches += [
                part[s : s + batch_size] for s in range(0, len(part), batch_size)
            ]
        return [batches[i] for i in rng.permutation(len(batches))]

    def _evaluate(self, params, valid):
        """Validation (loss, accuracy) of ``params``."""
        values, offsets, y, loss_weights, score_weights = valid
        logits = _rnn.predict_logits(
            params, values, offsets, _PREDICT_CHUNK, pooling=self._pooling
        )
        nll = -_rnn.log_softmax(logits)[np.arange(len(y)), y]
        correct = logits.argmax(axis=1) == y
        return (
            float(np.average(nll, weights=loss_weights)),
            float(np.average(correct, weights=score_weights)),
        )

    def _print_progress(self, record, epoch, n_epochs, start_time):
        parts = [
            f"Epoch {epoch}/{n_epochs}: loss {record['train_loss']:.4f}",
            f"accuracy {record['train_accuracy']:.3f}",
        ]
        if "valid_loss" in record:
            best = " *" if record["best"] else ""
            parts.append(
                f"valid loss {record['valid_loss']:.4f}{best}, "
                f"valid accuracy {record['valid_score']:.3f}"
            )
        if self.learning_rate != "constant":
            parts.append(f"lr {record['learning_rate']:.3g}")
        elapsed = time.perf_counter() - start_time
        parts.append(f"{elapsed:.2f} s")
        if epoch < n_epochs:
            left = elapsed / epoch * (n_epochs - epoch)
            parts.append(f"at most {left:.1f} s left")
        print(", ".join(parts))

    # ------------------------------------------------------------------ predict
    def _params(self):
        return {
            name: getattr(self, attr)
            for name, attr in _WEIGHT_ATTRIBUTES.items()
            if hasattr(self, attr)
        }

    def _logits(self, X):
        data = self._validate_predict_input(X)
        with self._blas_threads(self.recurrent_weights_.shape[0]):
            return self._predict_logits(data)

    def _predict_logits(self, data):
        return self._run_chunks(data, _rnn.predict_logits, len(self.classes_))

    def _run_chunks(self, data, run, width):
        """``run(params, values, offsets, ...)`` over the data, tokenized and run one
        chunk at a time, so that memory is bounded by the chunk whatever the number
        of documents; ``width`` columns per sample (None: a list of arrays)."""
        params = self._params()
        dtype = params["b_y"].dtype
        tokenizer = self.tokenizer_ if self.input_mode_ == "text" else None
        out = [] if width is None else np.empty((len(data), width), dtype=dtype)
        for start in range(0, len(data), _PREDICT_CHUNK):
            chunk = slice(start, start + _PREDICT_CHUNK)
            values, offsets = self._to_ragged(
                data[chunk], tokenizer, dtype, self._reading
            )
            result = run(params, values, offsets, _PREDICT_CHUNK, pooling=self._pooling)
            if width is None:
                out += result
            else:
                out[chunk] = result
        return out

    def transform(self, X):
        """The summary of each sequence that the output layer reads, as features.

        With ``pooling="last"`` this is the final hidden state; with "mean" or "max"
        the mean or element-wise maximum of all hidden states (see ``pooling``). It
        lets the recurrent network feed another estimator, e.g. a
        ``LogisticRegression`` or a clustering, in a ``Pipeline``.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences, of the kind the model was fitted on.

        Returns
        -------
        H : ndarray of shape (n_samples, hidden_size)
            In ``[-1, 1]`` (tanh units); zero for an empty sequence.

        Examples
        --------
        >>> from sklearn_rnn import TextRNNClassifier
        >>> X = ["good", "not good", "bad", "not bad", "very good", "very bad"]
        >>> y = ["pos", "neg", "neg", "pos", "pos", "neg"]
        >>> clf = TextRNNClassifier(hidden_size=16, random_state=0).fit(X, y)
        >>> clf.transform(["not bad", ""]).shape
        (2, 16)
        """
        data = self._validate_predict_input(X)
        with self._blas_threads(self.recurrent_weights_.shape[0]):
            return self._run_chunks(
                data, _rnn.predict_pooled, self.recurrent_weights_.shape[0]
            )

    def predict_proba_per_step(self, X):
        """Class probabilities after each step: what the model would predict if the
        sequence ended there.

        For text, row ``t`` of a document's array holds the probabilities the model
        gives the document cut after its ``t + 1``-th token (the tokens the model
        reads: after ``max_len`` truncation, unknown words included). The last row
        equals ``predict_proba``. The summary of a prefix follows ``pooling``: its
        last state, or the mean or maximum of its states.

        These are the model's predictions for shorter inputs, which show how its
        belief moves along a text (e.g. "not" flipping the sentiment of "good").
        They are not an attribution: a change at a token is not that token's share
        of the final prediction, since later tokens may undo or amplify it, and a
        model never trained on prefixes may predict them poorly.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences, of the kind the model was fitted on.

        Returns
        -------
        proba : list of ndarray of shape (n_steps, n_classes)
            One array per sample, columns in the order of ``classes_``; an empty
            document gives an array with no rows.

        Examples
        --------
        >>> from sklearn_rnn import TextRNNClassifier
        >>> X = ["good", "not good", "bad", "not bad", "very good", "very bad"]
        >>> y = ["neg", "neg", "neg", "pos", "pos", "neg"]
        >>> clf = TextRNNClassifier(hidden_size=16, random_state=0).fit(X, y)
        >>> [p.shape for p in clf.predict_proba_per_step(["not bad", ""])]
        [(2, 2), (0, 2)]
        """
        data = self._validate_predict_input(X)
        with self._blas_threads(self.recurrent_weights_.shape[0]):
            logits = self._run_chunks(data, _rnn.predict_prefix_logits, None)
        return [_rnn.softmax(z, overwrite=True) for z in logits]

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
        # The logits are this call's own array: no second n_samples-sized one.
        return _rnn.softmax(self._logits(X), overwrite=True)

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
