"""Docstring sections that TextRNNClassifier and TextRNNRegressor share.

Each is written once here and placed into both class docstrings by
``_base.compose_doc``, so the two estimators document their common parameters,
attributes and behaviour with the same words.
"""

PARAMETERS = """\
    tokenizer : TextTokenizer, "precomputed" or None, default=None
        Turns documents into token-id sequences for text input. None means
        ``TextTokenizer()``. The tokenizer is cloned in ``fit``; its parameters
        can be set and searched as ``tokenizer__min_df`` etc., also when it is
        None (the default ``TextTokenizer()`` is then created). Ignored for
        numeric input. Another object works if it has ``fit(documents)`` and
        ``transform_ragged(documents)`` as ``TextTokenizer`` has them, and sets
        ``vocabulary_size_`` in ``fit``. "precomputed": X is token ids already,
        a 2-D array of non-negative integers padded with 0, such as the output
        of a ``TextTokenizer`` step before this one in a ``Pipeline``; the
        vocabulary size is the largest id seen in ``fit`` plus one, and larger
        ids met later are unknown words. A fitted tokenizer wrapped in
        ``sklearn.frozen.FrozenEstimator`` is used as it is, not refitted: a
        vocabulary learnt beforehand from more text than ``fit`` sees (with
        ``embedding_init``, the words that then keep their pretrained vectors).
    hidden_size : int, default=64
        Number of units of the hidden state (of each layer and direction).
    num_layers : int, default=1
        Recurrent layers stacked: layer ``l + 1`` reads the hidden states of
        layer ``l`` as its input sequence (torch's ``num_layers``), and only the
        last layer's states are pooled. ``layer_dropout`` regularises between
        layers.
    bidirectional : bool, default=False
        Give every layer a second recurrence that reads each sequence backwards,
        from its last step to its first, with its own weights. Both directions'
        states, side by side, are the layer's output, and both are pooled, so
        the output layer sees both ends of every sequence: the backward
        direction's "last" state is the one that has read the whole sequence
        from the end. A bidirectional model has no output after each step
        (``predict_proba_per_step`` / ``predict_per_step`` raise), and
        ``transform`` returns both directions' summaries.
    nonlinearity : {"tanh", "relu"}, default="tanh"
        The cell's activation ``f`` in ``h_t = f(x_t W_xh + h_{t-1} W_hh + b_h)``
        (torch's ``nonlinearity``). ReLU states are unbounded: keep gradient
        clipping (``clip_norm``) on.
    embedding_size : int or None, default=None
        Text input only. None: each token id selects a row of ``W_xh`` directly
        (an embedding of size ``hidden_size``, the tutorial's model). An int ``E``:
        each id selects a row of an ``n_ids x E`` embedding, which ``W_xh``
        (``E x hidden_size``) maps to the hidden units; a small ``E`` makes far
        fewer weights for a large vocabulary. Ignored for numeric input.
    embedding_init : dict, KeyedVectors, DataFrame, (tokens, matrix), \
2-D array or None, default=None
        Token input only (text, or ids with ``tokenizer="precomputed"``; numeric
        sequences refuse it): start the embedding from pretrained vectors (its
        size is then theirs). A dict from token to vector; an object with
        ``key_to_index`` and ``vectors`` such as gensim's ``KeyedVectors``
        (gensim itself is never imported); a DataFrame indexed by token; a pair
        ``(tokens, matrix)`` with one row per token; or, with
        ``tokenizer="precomputed"``, a 2-D array whose row ``i`` is token id
        ``i``'s vector (ids are then also the keys of a dict or pair). Only the
        vocabulary's vectors are read. Tokens are matched as the tokenizer
        writes them (lowercased by default); a token without a vector is drawn
        at random as usual, and the padding and unknown-token rows start at
        zero. Like every parameter, the vectors are kept on the estimator (and
        pickled with it): to save a smaller file, set ``embedding_init=None``
        and ``embedding_size`` to the vectors' length after fitting; a continued
        fit (``warm_start``, ``partial_fit``) needs only that size.
    freeze_embedding : bool, default=False
        Keep the embedding as it starts (pretrained vectors, or random ones)
        during training: it is neither updated nor penalised by ``alpha``.
        Needs ``embedding_init`` or ``embedding_size``.
    pooling : {"auto", "mean", "max", "last", "last+mean", "last+max", \
"mean+max", "last+mean+max"}, default="auto"
        What summarises a sequence for the output layer: the mean of its hidden
        states, their element-wise maximum, or its last hidden state (the
        tutorial's); a "+" puts several side by side (concatenated, as ULMFiT
        does), so the output layer reads ``hidden_size`` values per summary and
        direction. With "last", what a long text said early must survive every
        later step; the mean or the maximum lets every step speak to the output
        directly. "auto" is the best in the measurements of the documentation
        (pages on choosing hyperparameters and on regression): for the
        classifier "mean" for text and "last+mean+max" for numeric input, for
        the regressor "max" for text and "last" for numeric input.
    max_len : int, None or "auto", default="auto"
        Read at most ``max_len`` steps of each sequence (tokens of a document, or
        time steps of numeric input), in ``fit`` and in prediction; which steps:
        ``truncation``. None reads whole sequences. "auto" reads the first 256
        tokens of a document, with a warning when ``fit`` cuts a training
        document, and numeric sequences whole. Fit time is proportional to the
        steps read, and a few very long documents (e-mails with their
        attachments, logs) can make up most of them.
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
    layer_dropout : float in [0, 1), default=0.0
        The same for the states a layer passes to the next one (torch's
        ``dropout``); no effect with ``num_layers=1``.
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
        Training stops when the watched value has not improved by at least ``tol``
        for ``n_iter_no_change`` consecutive epochs. The watched value is the
        training loss, or with early stopping the validation loss (or, with
        ``monitor="score"``, the validation score, which must rise by ``tol``).
    n_iter_no_change : int, default=10
        Number of epochs without ``tol`` improvement before training stops.
    early_stopping : bool or "auto", default="auto"
        "auto" means True when ``fit`` gets at least 1,000 samples (of non-zero
        weight), False below: a few dozen samples make a validation set too small
        to judge by and are worth more for training. True: set aside
        ``validation_fraction`` of the training data (drawn from
        ``random_state``, stratified by class for a classifier), watch the loss
        on it after every epoch, stop when it has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and end with the weights of the epoch with
        the lowest validation loss (not those of the last epoch), or the best
        validation score with ``monitor="score"``. A validation set passed to
        ``fit`` (``validation_data``) replaces the random split, and "auto" then
        means True. Text vocabulary is learnt from the training part only, so
        validation documents meet unknown words as new documents would.
        Ignored by ``partial_fit``.
    validation_fraction : float in (0, 1), default=0.1
        Proportion of the training data set aside for early stopping. The
        validation set of a classifier must hold at least one sample of every
        class.
    monitor : {"loss", "score"}, default="loss"
        What early stopping watches on the validation set: its loss (lower is
        better), or the estimator's score (accuracy for the classifier, R^2 for
        the regressor; higher is better), as ``MLPClassifier`` does. The loss
        changes with every improvement of the outputs, while the accuracy of a
        small validation set moves in coarse steps and ties often, so the loss
        tells a better epoch sooner; the score is what the model is judged by.
        Used only with a watched validation set.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weight matrices (not the biases), divided by
        the total sample weight of the batch as in scikit-learn's MLP.
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
    length_bucketing : bool, default=True
        When shuffling into more than one mini-batch, put sequences of similar
        length in the same batch, so that a long sequence does not run its last
        steps alone: each pool of 8 shuffled batches is sorted and cut again,
        then the batches are shuffled. The pool is sorted by each sample's
        length rank within its class (for regression, within its quintile of
        the target), so every batch keeps the class mix of the data even where
        length goes with the class. No effect when all sequences have the same
        length, in full-batch training, or with ``shuffle=False``.
    blas_threads : "auto", int or None, default="auto"
        Threads the BLAS library (matrix products) may use during ``fit``,
        ``partial_fit`` and prediction. The products of a recurrent network are
        small, one per time step, and below a hidden size of about 256 they run
        slower on several threads than on one; "auto" uses 1 thread when
        ``hidden_size < 256`` and leaves the library's setting alone otherwise. An
        int sets that limit; None never changes it. The previous setting is
        restored after each call.
    n_jobs : int or None, default=None
        Processes that train together: each mini-batch is cut into shards
        (by a rule that looks at the batch and ``hidden_size`` only: at least
        4096 sequences x hidden units per shard, at most 4 shards), which run
        at once in this process and ``n_jobs - 1`` worker processes, and
        whose gradients are summed in shard order. Any ``n_jobs`` gives the
        same model, bit for bit. None means 1 unless in a
        ``joblib.parallel_config`` context; -1 means all processors. Inside a
        worker of a parallel grid search or ``cross_val_score`` it is 1: the
        outer search uses the cores already. The workers are started at the
        first fit that needs them and kept for later fits. Batches too small
        for two shards run in this process alone. Prediction runs its chunks
        of 1,024 samples in ``n_jobs`` threads (from ``hidden_size=128`` on).
    dtype : {"float64", "float32"}, default="float64"
        Floating-point type of the weights and of all computation. "float32" trains
        faster at hidden sizes of 128 and more, and halves the memory of the
        weights, at the cost of precision (about 1e-7 relative instead of 1e-16);
        outputs are then float32 too. Numeric input is converted.
    random_state : int, RandomState instance or None, default=None
        Decides every random choice: weight initialisation, the validation split of
        early stopping and shuffling. Pass an int for reproducible results.
    warm_start : bool, default=False
        If true and the estimator is already fitted, ``fit`` continues from the
        fitted weights and vocabulary (and a classifier's classes) instead of
        starting afresh: words not in the vocabulary map to the unknown id, and
        ``y`` may only contain labels in ``classes_``. The optimizer state (e.g.
        Adam's moments) is kept from the previous call, so training continues
        smoothly; the learning rate restarts at ``learning_rate_init``.
    verbose : bool or int, default=False
        If true, print one line of progress per epoch: training loss (and running
        accuracy), validation loss and score (``*`` marks an epoch that improves
        the watched value; the model keeps the last one marked), learning rate
        (plateau schedule), elapsed time, and the time left: if no better epoch
        comes (the stopping rule's patience) and at most (``max_iter``). The end
        says why training stopped and which epoch's weights the model keeps.
        Epochs are counted within the call (a ``warm_start`` fit also names the
        kept epoch as ``best_epoch_`` counts it). When standard output is a
        terminal, one line with a progress bar is redrawn in place; elsewhere
        (logs, notebooks), an int ``k > 1`` prints the first, every ``k``-th and
        the last epoch.

"""

ATTRIBUTES = """\
    input_mode_ : {"text", "numeric"}
        The kind of input the model was fitted on; prediction expects the same kind.
    tokenizer_ : TextTokenizer
        The fitted tokenizer (text input only).
    n_features_in_ : int
        Width of the numeric array seen in ``fit``: its number of time steps,
        NaN padding included (scikit-learn's count of columns). A 2-D or 3-D
        array passed later must have this width; a list of sequences may have
        any lengths. Absent after ``fit`` on a list of sequences of different
        lengths, and for text: neither has a width.
    feature_names_in_ : ndarray of shape (n_features_in,)
        Column names of a DataFrame passed to ``fit`` (numeric input only, and only if
        it had string column names).
    n_step_features_ : int
        Features per time step: 1 for 2-D numeric input (or a list of 1-D
        arrays), ``X.shape[2]`` for 3-D (or ``n_features`` of a list of
        ``(n_timesteps, n_features)`` arrays), and the vocabulary size (number
        of token ids) for text.
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
    output_weights_ : ndarray of shape (n_summaries, n_outputs)
        ``W_hy``, from the pooled hidden states (see ``pooling``) to the outputs
        (one per class, or one per target). ``n_summaries`` is ``hidden_size``
        times the number of summaries in ``pooling`` times the number of
        directions; its rows follow the forward direction's summaries (in the
        order of ``pooling``), then the backward direction's.
    layer_weights_ : dict of str to ndarray
        The weights of every layer and direction beyond the first layer read
        forwards (which are the attributes above), named like those with
        ``_l1``, ``_l2``... for the layer and ``_r`` for the backward direction:
        ``W_xh_r``, ``W_hh_l1``, ``b_h_l1_r``... A layer above the first has a
        ``W_xh`` of shape ``(hidden_size * n_directions, hidden_size)``. Empty
        for a one-layer forward model.
    output_bias_ : ndarray of shape (n_outputs,)
        ``b_y``.
    loss_curve_ : list of float
        Training loss (weighted loss plus penalty, averaged over the epoch's
        batches) of each epoch, over all ``fit`` (with ``warm_start``) and
        ``partial_fit`` calls since the model was created.
    best_loss_ : float
        With a watched validation set, the validation loss of the weights the
        model holds (the lowest one, unless ``monitor="score"``); otherwise the
        lowest training loss of the last ``fit`` (the minimum of
        ``loss_curve_``). After ``partial_fit``, the minimum of ``loss_curve_``.
    validation_loss_curve_ : list of float or None
        Validation loss (weighted loss, no penalty) after each epoch of the
        last ``fit``; None without a validation set.
    validation_scores_ : list of float or None
        Validation score (accuracy or R^2, weighted by ``sample_weight``) after
        each epoch of the last ``fit``; None without a validation set.
    best_validation_score_ : float or None
        Validation score of the weights the model holds. With the default
        ``monitor="loss"`` that is the score of the epoch with the lowest
        validation loss, which can be below ``max(validation_scores_)``:
        unlike ``MLPClassifier``'s attribute of the same name, it is not the best
        score seen, but the score of the model you have. With
        ``monitor="score"`` it is the best score seen. None without a
        validation set.
    best_epoch_ : int
        Epoch (counted like ``n_iter_``) whose weights the model holds: the last
        one, or with a watched validation set the best one (``monitor``). With
        ``warm_start`` the weights the fit started from compete too, so this can
        be an epoch of an earlier call.
    history_ : list of dict
        One record per epoch, over all calls like ``loss_curve_``; e.g.
        ``pandas.DataFrame(clf.history_)`` gives a table to plot. Keys: "epoch",
        "train_loss", "train_accuracy" (classifier only: running accuracy during
        the epoch),
        "learning_rate", "seconds" (wall-clock duration of the epoch), with a
        validation set (early stopping or ``validation_data``) "valid_loss" and
        "valid_score", and when early stopping watches it "best" (whether the
        epoch improved the watched validation value: the ``*`` of ``verbose``).
        "seconds" is not saved: a pickled (or ``joblib.dump``-ed) model's
        records have no "seconds", so that two identical fits pickle, and
        ``joblib.hash``, identically.
    n_iter_ : int
        Number of epochs run, over all calls like ``loss_curve_``.
    t_ : int
        Number of training samples seen by the solver, over all calls.
"""

SEE_ALSO = """\

    See Also
    --------
    TextTokenizer : The default tokenizer of text.
"""

NOTES = """\
    Sequences in a mini-batch are sorted by length and only those still running are
    updated at each step, so a sequence's output and gradient do not depend on the
    other sequences of its batch: no padding ever reaches a hidden state.

    Any document is valid input at prediction time. Words never seen in ``fit`` map to
    the tokenizer's unknown-token id. Its row of ``W_xh`` starts at zero, so an unseen
    word is a neutral step of the recurrence, and it is trained only when training
    documents contain tokens outside the vocabulary (``min_df > 1`` or
    ``max_features``). An empty document keeps ``h = h_0 = 0``, so its output is the
    output bias alone.

    Numeric sequences of different lengths come as a list of arrays of shape
    ``(n_timesteps,)`` or ``(n_timesteps, n_features)``, or as one array padded at
    the end with NaN (tslearn's convention): a step is padding when all its
    features are NaN and so are those of every later step, and padding is left out
    before anything reads it, so a padded sequence gives exactly what it gives
    alone. NaN anywhere else is refused with its position (impute such values
    first), and so is infinity. A sequence with no steps, or with NaN only, keeps
    ``h = h_0 = 0`` like an empty document. The estimator tag ``allow_nan`` stays
    False: NaN marks where a sequence ends, never a missing value.

    Initialisation: ``W_xh`` and ``W_hy`` are Glorot-uniform, ``W_hh`` is uniform in
    ``±1/sqrt(hidden_size)``, biases are zero (see ``sklearn_rnn._rnn.init_params``).

    Weights: ``sample_weight`` multiplies each sample's loss, and the loss is
    normalised by the total weight, so integer weights train like repeated samples
    and a zero weight like a dropped sample. Samples of zero weight are dropped
    before anything else: they do not shape the vocabulary (or the classes) and do
    not enter the validation set. The tokenizer's vocabulary is learnt with the
    sample weights when its ``fit`` accepts ``sample_weight``.

    Nothing is lost to a failed call. If training diverges (a non-finite loss or
    weight), ``fit`` and ``partial_fit`` raise a ``ValueError`` saying what to change
    and leave the estimator exactly as it was before the call, so a model fitted
    earlier (and then warm-started or trained with ``partial_fit``) keeps predicting
    as before. A ``KeyboardInterrupt`` during ``fit`` after at least one complete
    epoch stops training with a warning and keeps the best weights so far (those of
    ``best_epoch_``); before that, or during ``partial_fit``, it leaves the estimator
    as it was and propagates.
"""
