"""The models benchmarks/accuracy.py compares, each as ``fit_<kind>(task, seed,
budget)`` returning ``(test accuracy, fit seconds, epochs or None)`` (imported from
the benchmarks directory).

The recurrent peers (PyTorch's ``nn.RNN`` in a small training loop, Keras 3's
``SimpleRNN`` on the torch backend) are set up as ``TextRNNClassifier``'s defaults
are: a tanh layer of ``HIDDEN`` units; text tokens through ``TextTokenizer`` (the
same ids) into an embedding of the hidden size; the mean of the hidden states for
text and their maximum for numeric input (``pooling="auto"``), padding left out;
a linear layer and softmax; Adam at ``LEARNING_RATE``, mini-batches of ``BATCH``
shuffled every epoch, gradients clipped to a global norm of ``CLIP_NORM``, an L2
penalty of ``ALPHA`` on the weight matrices divided by the batch size; and the same
stopping rule: from ``EARLY_STOPPING_FROM`` training samples on, a stratified
``VALIDATION_FRACTION`` is set aside, training stops when its loss has not improved
by ``TOL`` for ``PATIENCE`` epochs, and the best epoch's weights are kept; below
that, training stops when the training loss has stalled as long (last weights).
The tokenizer learns its vocabulary from the training part only, as ours does.
What differs: each framework's own weight initialisation (PyTorch draws its
embedding from N(0, 1), Keras from U(-0.05, 0.05), ours Glorot-uniform), float32
instead of our float64, and each library's own shuffling and validation draws.
"""

import time

import numpy as np

HIDDEN = 64
LEARNING_RATE = 1e-2
BATCH = 200
CLIP_NORM = 5.0
ALPHA = 1e-4
EARLY_STOPPING_FROM = 1000
VALIDATION_FRACTION = 0.1
TOL = 1e-4
PATIENCE = 10


def class_ids(task):
    classes, y_train = np.unique(task.y_train, return_inverse=True)
    y_test = np.searchsorted(classes, task.y_test)
    return classes, y_train, y_test


def split(y, seed):
    """(training indices, validation indices or None), by the stopping rule."""
    from sklearn.model_selection import train_test_split

    everything = np.arange(len(y))
    if len(y) < EARLY_STOPPING_FROM:
        return everything, None
    return train_test_split(
        everything, test_size=VALIDATION_FRACTION, random_state=seed, stratify=y
    )


def take(X, indices):
    return [X[i] for i in indices] if isinstance(X, list) else X[indices]


def encode(task, train_indices):
    """Token ids (text) or float32 arrays (numeric) of the task's samples: a
    function from samples to a list of 1-D id arrays or of (T_i, d) arrays, and the
    number of ids (text) or features (numeric)."""
    if not task.text:
        d = task.X_train[0].shape[-1]
        return lambda X: [np.asarray(x, dtype=np.float32) for x in X], d
    from sklearn_rnn import TextTokenizer

    tokenizer = TextTokenizer(analyzer=task.analyzer, max_len=task.max_len)
    tokenizer.fit(take(task.X_train, train_indices))

    def ids(X):
        values, offsets = tokenizer.transform_ragged(X)
        if task.max_len is not None:  # transform_ragged keeps whole documents
            return [
                values[a : min(b, a + task.max_len)]
                for a, b in zip(offsets[:-1], offsets[1:], strict=True)
            ]
        return [values[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]

    return ids, tokenizer.vocabulary_size_


def pad(sequences, length=None):
    """(padded array, lengths): zeros after each sequence's end. An empty sequence
    gets length 1 (a padding step), which the recurrent layers require."""
    lengths = np.array([max(len(s), 1) for s in sequences])
    length = length or lengths.max()
    first = sequences[0]
    out = np.zeros((len(sequences), length, *first.shape[1:]), dtype=first.dtype)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = s[:length]
    return out, np.minimum(lengths, length)


# ------------------------------------------------------------------- PyTorch
def fit_torch(task, seed, budget):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    max_epochs = budget["max_epochs"]
    start = time.perf_counter()
    _, y, y_test = class_ids(task)
    train, valid = split(y, seed)
    to_sequences, n_inputs = encode(task, train)
    X = to_sequences(take(task.X_train, train))
    pooling = "mean" if task.text else "max"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = (
                nn.Embedding(n_inputs, HIDDEN, padding_idx=0) if task.text else None
            )
            self.rnn = nn.RNN(
                HIDDEN if task.text else n_inputs, HIDDEN, batch_first=True
            )
            self.out = nn.Linear(HIDDEN, int(y.max()) + 1)

        def forward(self, batch):
            padded, lengths = pad(batch)
            x = torch.from_numpy(padded)
            if self.embedding is not None:
                x = self.embedding(x)
            lengths = torch.from_numpy(lengths)
            # Padding comes after each sequence's end, so it cannot change the
            # states before it; the pooling leaves it out. (Packing the batch
            # instead, with pack_padded_sequence, makes the backward pass of
            # nn.RNN on CPU grow with the square of the length in this PyTorch:
            # 49 s instead of 0.3 s for 100 series of 1,460 steps.)
            states = self.rnn(x)[0]
            mask = (torch.arange(states.shape[1])[None, :] < lengths[:, None])[
                ..., None
            ]
            if pooling == "mean":
                summary = (states * mask).sum(1) / lengths[:, None]
            else:
                summary = states.masked_fill(~mask, -torch.inf).amax(1)
            return self.out(summary)

    net = Net()
    matrices = [p for p in net.parameters() if p.dim() == 2]
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    cross_entropy = nn.CrossEntropyLoss()

    def mean_loss(sequences, targets):
        with torch.no_grad():
            total = 0.0
            for at in range(0, len(targets), 1000):
                logits = net(sequences[at : at + 1000])
                target = torch.from_numpy(targets[at : at + 1000])
                total += cross_entropy(logits, target).item() * len(target)
        return total / len(targets)

    if valid is not None:
        X_valid, y_valid = to_sequences(take(task.X_train, valid)), y[valid]
    y = y[train]
    batch = min(BATCH, len(y))
    best, best_state, waited, epochs = np.inf, None, 0, 0
    for epochs in range(1, max_epochs + 1):  # noqa: B007
        net.train()
        order = rng.permutation(len(y))
        losses = []
        for at in range(0, len(y), batch):
            rows = order[at : at + batch]
            logits = net([X[i] for i in rows])
            loss = cross_entropy(logits, torch.from_numpy(y[rows]))
            penalty = sum((w**2).sum() for w in matrices) * (0.5 * ALPHA / len(rows))
            optimizer.zero_grad()
            (loss + penalty).backward()
            nn.utils.clip_grad_norm_(net.parameters(), CLIP_NORM)
            optimizer.step()
            losses.append((loss + penalty).item())
        net.eval()
        watched = mean_loss(X_valid, y_valid) if valid is not None else np.mean(losses)
        if watched < best - TOL:
            best, waited = watched, 0
            if valid is not None:
                best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            waited += 1
            if waited >= PATIENCE:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    seconds = time.perf_counter() - start
    X_test = to_sequences(task.X_test)
    with torch.no_grad():
        predicted = np.concatenate(
            [
                net(X_test[at : at + 1000]).argmax(1).numpy()
                for at in range(0, len(X_test), 1000)
            ]
        )
    return float(np.mean(predicted == y_test)), seconds, epochs


# --------------------------------------------------------------------- Keras
def fit_keras(task, seed, budget):
    # accuracy.py sets KERAS_BACKEND=torch before anything imports keras.
    import keras
    import torch
    from keras import layers, ops

    torch.set_num_threads(1)
    keras.utils.set_random_seed(seed)
    MaskedMax, KeepBest = _keras_layers()
    start = time.perf_counter()
    _, y, y_test = class_ids(task)
    train, valid = split(y, seed)
    to_sequences, n_inputs = encode(task, train)
    # One padded width for every part: the longest training sequence.
    width = max(len(s) for s in to_sequences(take(task.X_train, train)))

    def padded(X):
        return pad(to_sequences(X), width)[0]

    batch = min(BATCH, len(train))
    l2 = keras.regularizers.L2(0.5 * ALPHA / batch)
    if task.text:
        inputs = keras.Input((None,), dtype="int32")
        x = layers.Embedding(
            n_inputs, HIDDEN, mask_zero=True, embeddings_regularizer=l2
        )(inputs)
    else:
        inputs = keras.Input((None, n_inputs))
        x = layers.Masking(0.0)(inputs) if task.varying_length else inputs
    x = layers.SimpleRNN(
        HIDDEN, return_sequences=True, kernel_regularizer=l2, recurrent_regularizer=l2
    )(x)
    x = layers.GlobalAveragePooling1D()(x) if task.text else MaskedMax()(x)
    outputs = layers.Dense(
        int(y.max()) + 1, activation="softmax", kernel_regularizer=l2
    )(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE, global_clipnorm=CLIP_NORM),
        loss="sparse_categorical_crossentropy",
    )
    stop = KeepBest(
        monitor="loss" if valid is None else "val_loss",
        min_delta=TOL,
        patience=PATIENCE,
        restore=valid is not None,
    )
    history = model.fit(
        padded(take(task.X_train, train)),
        y[train],
        batch_size=batch,
        epochs=budget["max_epochs"],
        validation_data=None
        if valid is None
        else (padded(take(task.X_train, valid)), y[valid]),
        callbacks=[stop],
        shuffle=True,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    X_test = to_sequences(task.X_test)
    X_test = pad(X_test, max(width, max(len(s) for s in X_test)))[0]
    predicted = ops.convert_to_numpy(model.predict(X_test, batch_size=1000, verbose=0))
    return float(np.mean(predicted.argmax(1) == y_test)), seconds, len(history.epoch)


def _keras_layers():
    """MaskedMax and KeepBest, defined once keras is imported."""
    import keras
    from keras import ops

    class MaskedMax(keras.layers.Layer):
        """The maximum over time steps, padding left out (GlobalMaxPooling1D
        ignores the mask)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x, mask=None):
            if mask is not None:
                x = ops.where(ops.expand_dims(mask, -1), x, -np.inf)
            return ops.max(x, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None

    class KeepBest(keras.callbacks.Callback):
        """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience``
        epochs; with ``restore``, end with the best epoch's weights, also when
        ``epochs`` runs out (Keras' EarlyStopping restores only when it stops)."""

        def __init__(self, monitor, min_delta, patience, restore):
            super().__init__()
            self.monitor, self.min_delta = monitor, min_delta
            self.patience, self.restore = patience, restore
            self.best, self.waited, self.weights = np.inf, 0, None

        def on_epoch_end(self, epoch, logs=None):
            value = logs[self.monitor]
            if value < self.best - self.min_delta:
                self.best, self.waited = value, 0
                if self.restore:
                    self.weights = self.model.get_weights()
            else:
                self.waited += 1
                if self.waited >= self.patience:
                    self.model.stop_training = True

        def on_train_end(self, logs=None):
            if self.weights is not None:
                self.model.set_weights(self.weights)

    return MaskedMax, KeepBest


# ------------------------------------------------------------------ baselines
def fit_tfidf(task, seed, budget):
    """TF-IDF + logistic regression: word 1-2-grams, or character 1-4-grams
    within word boundaries for a character task."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    if task.analyzer == "char":
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True
        )
    else:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    model = make_pipeline(vectorizer, LogisticRegression(max_iter=1000))
    return _fit_score(model, task.X_train, task.y_train, task.X_test, task.y_test)


def flat(task):
    """(train, test) as 2-D arrays: every series flattened, the varying-length ones
    zero-padded at the end to the longest of both parts."""
    if not task.varying_length:
        return (X.reshape(len(X), -1) for X in (task.X_train, task.X_test))
    width = max(len(x) for x in [*task.X_train, *task.X_test])
    return (pad(X, width)[0].reshape(len(X), -1) for X in (task.X_train, task.X_test))


def fit_1nn(task, seed, budget):
    """1-nearest neighbour, Euclidean distance on the flattened series."""
    from sklearn.neighbors import KNeighborsClassifier

    X_train, X_test = flat(task)
    model = KNeighborsClassifier(n_neighbors=1)
    return _fit_score(model, X_train, task.y_train, X_test, task.y_test)


def fit_minirocket(task, seed, budget):
    """aeon's MiniRocketClassifier (10,000 kernels, then RidgeClassifierCV), on
    (n, channels, time) arrays, zero-padded at the end to a common length, and to
    the 9 steps MiniRocket needs at least (digits have 8)."""
    from aeon.classification.convolution_based import MiniRocketClassifier

    width = max(9, *(len(x) for x in [*task.X_train, *task.X_test]))

    def channels_first(X):
        X = pad(list(X), width)[0]
        return np.ascontiguousarray(np.transpose(X, (0, 2, 1)))

    model = MiniRocketClassifier(random_state=seed, n_jobs=1)
    return _fit_score(
        model,
        channels_first(task.X_train),
        task.y_train,
        channels_first(task.X_test),
        task.y_test,
    )


def _fit_score(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return float(np.mean(model.predict(X_test) == y_test)), seconds, None


# ------------------------------------------------------------------ ours
def ours(task, seed, budget, params):
    """TextRNNClassifier(random_state=seed, max_iter=budget, **params); numeric
    varying-length input as ``budget["varying"]`` says: "list" (a list of (T_i, d)
    arrays), "nan" (trailing-NaN padding) or "zeros" (zero padding, a fallback)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sklearn_rnn import TextRNNClassifier, TextTokenizer

    clf = TextRNNClassifier(random_state=seed, max_iter=budget["max_epochs"])
    if task.text:
        clf.set_params(
            tokenizer=TextTokenizer(analyzer=task.analyzer), max_len=task.max_len
        )
    clf.set_params(**params)
    X_train, X_test = task.X_train, task.X_test
    if task.varying_length and budget["varying"] != "list":
        fill = np.nan if budget["varying"] == "nan" else 0.0
        width = max(len(x) for x in [*X_train, *X_test])
        X_train, X_test = (padded_with(X, width, fill) for X in (X_train, X_test))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, task.y_train)
    seconds = time.perf_counter() - start
    return float(clf.score(X_test, task.y_test)), seconds, clf.n_iter_


def padded_with(X, width, fill):
    out = np.full((len(X), width, X[0].shape[1]), fill)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out
