"""The recurrent math: forward pass, pooling, losses and backpropagation through time.

Everything here is a pure function of arrays (parameters, a packed batch, targets);
nothing imports scikit-learn and nothing keeps state between calls, so the same code
serves fitting, prediction, and the gradient tests.

Notation (row-vector convention, one row per sequence)::

    h_0 = 0
    h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b_h)        t = 1 .. T_i
    z   = h_{T_i} @ W_hy + b_y                          (logits)
    p   = softmax(z)

``W_xh`` has one row per input feature (numeric input) or per vocabulary entry (token
input). For token input ``x_t`` is a one-hot vector, so ``x_t @ W_xh`` is simply the row
of ``W_xh`` for that token: it is computed as a lookup, never as a matrix product.
"""

import numpy as np

from ._sequences import pack

# Parameter names, in the order the optimizers and the estimator use them.
PARAM_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
# Names of the parameters that L2 regularisation applies to (biases are not penalised).
WEIGHT_NAMES = ("W_xh", "W_hh", "W_hy")

# Gradients vanish geometrically along a sequence (and hidden states along a run
# of unknown tokens), so long sequences reach the subnormal range, where x86 CPUs
# can be ~10x slower. Adding and subtracting ``tiny`` rounds every value far below
# it to exactly zero and leaves larger ones unchanged (float64: bit for bit above
# 2**-446; float32: above 2**-16, and within 2**-64 below). From the flush level to
# the subnormal range is 469 binary orders of magnitude in float64 and 62 in
# float32, more than a value can lose in ``every`` steps (at most about 106 and 48
# orders per step: tanh' and cancellation), so flushing every few steps suffices.
_FLUSH = {
    np.dtype(np.float64): {"tiny": 2.0**-500, "every": 4},
    np.dtype(np.float32): {"tiny": np.float32(2.0**-40), "every": 2},
}


def _flush_subnormals(block, step):
    flush = _FLUSH.get(block.dtype)
    if flush is not None and step % flush["every"] == 0:
        block += flush["tiny"]
        block -= flush["tiny"]


def init_params(
    rng,
    n_inputs,
    hidden_size,
    n_outputs,
    *,
    token_input,
    dtype=np.float64,
    embedding_size=None,
    recurrent_init="uniform",
):
    """Draw initial parameters.

    Glorot-uniform (the scheme scikit-learn's MLP uses for tanh) keeps the variance
    of pre-activations near one in both directions. For ``W_xh`` the fan-in is the
    number of features of one step; a token step activates exactly one row, so its
    fan-in is 1. ``W_hh`` is uniform in +-1/sqrt(H) (PyTorch's ``nn.RNN`` bound): its
    spectral radius is then about sqrt(1/3) = 0.58, below 1, so hidden states
    neither explode nor saturate at the start. Biases start at zero. (The
    tutorial's ``randn / 1000`` makes every hidden state nearly zero and the first
    epochs nearly gradient-free.)

    ``recurrent_init="orthogonal"`` draws ``W_hh`` as a random orthogonal matrix
    instead (Saxe et al., 2014): all its singular values are 1, so a gradient
    passing back through ``W_hh`` keeps its norm (only ``tanh'`` shrinks it), which
    helps a long sequence's early steps to learn.

    With ``embedding_size`` (token input only), a token selects a row of
    ``W_emb`` (``n_inputs x embedding_size``, fan-in 1), which ``W_xh``
    (``embedding_size x hidden_size``) maps to the hidden units.

    The shapes drawn depend only on the model size, never on the number of samples, so
    the same ``rng`` state gives the same initial model for any training set.
    """
    embed = token_input and embedding_size is not None
    rows_xh = embedding_size if embed else n_inputs
    fan_in = rows_xh if embed or not token_input else 1
    bound_xh = np.sqrt(6.0 / (fan_in + hidden_size))
    bound_hh = 1.0 / np.sqrt(hidden_size)
    bound_hy = np.sqrt(6.0 / (hidden_size + n_outputs))
    params = {"W_xh": rng.uniform(-bound_xh, bound_xh, (rows_xh, hidden_size))}
    if recurrent_init == "orthogonal":
        q, r = np.linalg.qr(rng.standard_normal((hidden_size, hidden_size)))
        # The signs of r's diagonal make q uniformly distributed (Mezzadri, 2007).
        params["W_hh"] = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    else:
        params["W_hh"] = rng.uniform(-bound_hh, bound_hh, (hidden_size, hidden_size))
    params["b_h"] = np.zeros(hidden_size)
    params["W_hy"] = rng.uniform(-bound_hy, bound_hy, (hidden_size, n_outputs))
    params["b_y"] = np.zeros(n_outputs)
    if embed:
        bound_emb = np.sqrt(6.0 / (1 + embedding_size))
        params["W_emb"] = rng.uniform(-bound_emb, bound_emb, (n_inputs, embedding_size))
    return {name: value.astype(dtype, copy=False) for name, value in params.items()}


# ---------------------------------------------------------------- pooling
class _Pooling:
    """How a sequence's hidden states become the one summary the output layer reads.

    One object per batch. The forward pass folds in each step's states (``add``),
    can read the summary of every prefix on the way (``prefix``), and ends with
    ``result``; the backward pass asks, step by step, for the share of the
    summary's gradient that reaches that step's states (``gradient``). A new kind
    of summary is a new subclass, with nothing to change elsewhere.
    """

    def __init__(self, n_sequences, n_hidden, dtype):
        self.pooled = np.zeros((n_sequences, n_hidden), dtype=dtype)

    def result(self, lengths):
        """The summaries of the sorted sequences (zero for an empty one)."""
        return self.pooled


class _LastPooling(_Pooling):
    name = "last"
    reads_states = False

    def add(self, h, t, n_next):
        # Sorted by length: the sequences past the next step's count end here.
        self.pooled[n_next : len(h)] = h[n_next:]

    def prefix(self, h, t, out):
        out[...] = h

    def start_gradient(self, dh_out, lengths):
        return dh_out

    def gradient(self, dh, dh_out, h, t, n_next):
        # Sequences ending at t receive the output gradient here; the others only
        # what flows back from step t + 1.
        dh[n_next : len(h)] = dh_out[n_next : len(h)]


class _MeanPooling(_Pooling):
    name = "mean"
    reads_states = False

    def add(self, h, t, n_next):
        self.pooled[: len(h)] += h

    def result(self, lengths):
        self.pooled /= np.maximum(lengths, 1)[:, np.newaxis]
        return self.pooled

    def prefix(self, h, t, out):
        np.divide(self.pooled[: len(h)], t + 1, out=out)

    def start_gradient(self, dh_out, lengths):
        dh_out /= np.maximum(lengths, 1)[:, np.newaxis]
        return dh_out

    def gradient(self, dh, dh_out, h, t, n_next):
        dh[: len(h)] += dh_out[: len(h)]


class _MaxPooling(_Pooling):
    name = "max"
    # The gradient compares each step's states with the maximum.
    reads_states = True

    def add(self, h, t, n_next):
        n = len(h)
        if t:
            np.maximum(self.pooled[:n], h, out=self.pooled[:n])
        else:
            self.pooled[:n] = h

    def prefix(self, h, t, out):
        out[...] = self.pooled[: len(h)]

    def start_gradient(self, dh_out, lengths):
        # Each maximum's gradient goes to one step: the last one reaching it.
        self._claimed = np.zeros(dh_out.shape, dtype=bool)
        self._hit = np.empty_like(self._claimed)
        return dh_out

    def gradient(self, dh, dh_out, h, t, n_next):
        n = len(h)
        hit = self._hit[:n]
        np.equal(h, self.pooled[:n], out=hit)
        hit &= ~self._claimed[:n]
        self._claimed[:n] |= hit
        dh[:n] += np.where(hit, dh_out[:n], 0.0)


POOLINGS = {cls.name: cls for cls in (_LastPooling, _MeanPooling, _MaxPooling)}


# ---------------------------------------------------------------- forward
class ForwardState:
    """What :func:`backward` needs from :func:`forward` for one batch.

    Attributes
    ----------
    hidden : ndarray of shape (n_steps_total, hidden_size)
        Every hidden state, packed like ``batch.inputs``.
    pooling : _Pooling
        The summaries before output dropout (``pooling.pooled``), and the rule
        that made them.
    pooled : ndarray of shape (n_sequences, hidden_size)
        Each sorted sequence's summary after output dropout: the input of the
        output layer.
    step_inputs : ndarray or None
        The vectors multiplied by ``W_xh`` (embeddings or numeric features, after
        input dropout); None for token input without embedding.
    input_mask, output_mask : ndarray or None
        Dropout masks (already divided by the keep probability), or None.
    """

    __slots__ = (
        "hidden",
        "pooled",
        "pooling",
        "step_inputs",
        "input_mask",
        "output_mask",
    )

    def copy(self):
        """A copy whose ``hidden`` can be consumed by :func:`backward`."""
        out = ForwardState()
        for name in self.__slots__:
            setattr(out, name, getattr(self, name))
        out.hidden = self.hidden.copy()
        return out


def dropout_mask(rng, shape, rate, dtype):
    """Inverted-dropout mask: 0 with probability ``rate``, else ``1 / (1 - rate)``."""
    mask = (rng.random(shape) >= rate).astype(dtype)
    mask *= 1.0 / (1.0 - rate)
    return mask


def forward(
    params, batch, *, pooling="last", input_dropout=0.0, output_dropout=0.0, rng=None
):
    """Run the recurrence over a packed batch.

    Parameters
    ----------
    params : dict of ndarray
    batch : PackedBatch
    pooling : {"last", "mean", "max"}, default="last"
        What summarises a sequence for the output layer: its last hidden state, or
        the mean or element-wise maximum of all its hidden states (zero for an
        empty sequence in every case).
    input_dropout, output_dropout : float, default=0.0
        Dropout rates of the step input vectors (see :class:`ForwardState`) and
        of the pooled summary; ``rng`` draws the masks.
    rng : numpy.random.Generator, default=None

    Returns
    -------
    logits : ndarray of shape (n_sequences, n_outputs)
        In the caller's order (``batch.order`` undone).
    state : ForwardState
        Needed by :func:`backward`.
    """
    state = ForwardState()
    state.hidden, state.step_inputs, state.input_mask = _step_inputs(
        params, batch, input_dropout, rng
    )
    state.pooling = _scan(params, batch, pooling, state.hidden)
    state.pooled = state.pooling.result(batch.lengths)
    state.output_mask = None
    if output_dropout:
        state.output_mask = dropout_mask(
            rng, state.pooled.shape, output_dropout, state.pooled.dtype
        )
        state.pooled = state.pooled * state.output_mask
    logits = state.pooled @ params["W_hy"] + params["b_y"]
    return _unsort(logits, batch.order), state


def _step_inputs(params, batch, input_dropout=0.0, rng=None):
    """The pre-activation ``x_t @ W_xh + b_h`` of every step (one gather or product),
    and the state fields backward needs to differentiate it."""
    W_xh, dtype = params["W_xh"], params["W_hh"].dtype
    mask = step_inputs = None
    if batch.is_tokens and "W_emb" not in params:
        contribution = np.take(W_xh, batch.inputs, axis=0)
        if input_dropout:
            mask = dropout_mask(rng, contribution.shape, input_dropout, dtype)
            contribution *= mask
    else:
        if batch.is_tokens:
            step_inputs = np.take(params["W_emb"], batch.inputs, axis=0)
        else:
            step_inputs = batch.inputs
        if input_dropout:
            mask = dropout_mask(rng, step_inputs.shape, input_dropout, dtype)
            step_inputs = step_inputs * mask
        contribution = step_inputs @ W_xh
    contribution += params["b_h"]
    return contribution, step_inputs, mask


def _step(pre, h_prev, W_hh, scratch, t, out):
    """One step of the recurrence for the active sequences:
    ``out = tanh(pre + h_prev @ W_hh)``, with ``h_0 = 0`` (no product at t = 0).

    The only place the cell is written: training, prediction and per-step
    prediction all run it. ``pre`` is overwritten; ``out`` may be ``pre``.
    """
    if t:
        np.matmul(h_prev, W_hh, out=scratch)
        pre += scratch
    np.tanh(pre, out=out)
    _flush_subnormals(out, t)


def _scan(params, batch, pooling, hidden=None, prefix_out=None):
    """Run :func:`_step` over every step of a packed batch; return the pooling.

    With ``hidden`` (the pre-activations of every step, from :func:`_step_inputs`)
    every hidden state is kept, overwriting it, as backpropagation needs.
    Without, only the current states are kept, and each step's input is looked up
    when it is reached: memory is then bounded by the batch, not by its length.
    ``prefix_out`` (rows like ``hidden``) receives the summary of every prefix.
    """
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    W_emb = params.get("W_emb")
    n_seq, n_hidden = batch.n_sequences, W_hh.shape[0]
    pool = POOLINGS[pooling](n_seq, n_hidden, b_h.dtype)
    scratch = np.empty((n_seq, n_hidden), dtype=b_h.dtype)
    if hidden is None:
        h, pre = np.empty_like(scratch), np.empty_like(scratch)
        embedded = None
        if W_emb is not None:
            embedded = np.empty((n_seq, W_emb.shape[1]), dtype=b_h.dtype)
    offsets, sizes = batch.step_offsets, batch.batch_sizes
    n_steps = len(sizes)
    for t in range(n_steps):
        start, n = offsets[t], sizes[t]
        if hidden is not None:
            out = step_pre = hidden[start : start + n]
            h_prev = hidden[offsets[t - 1] : offsets[t - 1] + n] if t else None
        else:
            out, step_pre, h_prev = h[:n], pre[:n], h[:n]
            _lookup_step(W_xh, W_emb, batch, start, n, step_pre, embedded)
            step_pre += b_h
        _step(step_pre, h_prev, W_hh, scratch[:n], t, out)
        pool.add(out, t, sizes[t + 1] if t + 1 < n_steps else 0)
        if prefix_out is not None:
            pool.prefix(out, t, prefix_out[start : start + n])
    return pool


def _lookup_step(W_xh, W_emb, batch, start, n, out, embedded):
    """``x_t @ W_xh`` of one step's active sequences, into ``out``."""
    inputs = batch.inputs[start : start + n]
    # Ids come from the tokenizer, so clipping never changes one; it lets take
    # write straight into its output instead of through a buffer.
    if W_emb is not None:
        np.take(W_emb, inputs, axis=0, out=embedded[:n], mode="clip")
        np.matmul(embedded[:n], W_xh, out=out)
    elif batch.is_tokens:
        np.take(W_xh, inputs, axis=0, out=out, mode="clip")
    else:
        np.matmul(inputs, W_xh, out=out)


def _unsort(sorted_rows, order):
    out = np.empty_like(sorted_rows)
    out[order] = sorted_rows
    return out


# ---------------------------------------------------------------- backward
def backward(params, batch, state, dlogits, *, sparse=False):
    """Backpropagation through time.

    Parameters
    ----------
    params : dict of ndarray
    batch : PackedBatch
    state : ForwardState
        What :func:`forward` returned for this batch. Its hidden states are
        overwritten (with the gradients of the pre-activations): pass
        ``state.copy()`` to keep them.
    dlogits : ndarray of shape (n_sequences, n_outputs)
        Gradient of the loss with respect to the logits, in the caller's order.
    sparse : bool, default=False
        For token input, return the gradient of the token matrix (``W_xh``, or
        ``W_emb`` with an embedding) as a :class:`RowSparseGradient` (only the rows
        of the ids read) instead of a dense array.

    Returns
    -------
    grads : dict of ndarray
        Same keys and shapes as ``params``.
    """
    # dh @ W_hh.T at every step: contiguous, it multiplies ~25% faster at H=64.
    W_hh_T = np.ascontiguousarray(params["W_hh"].T)
    hidden, pooling = state.hidden, state.pooling
    dz = dlogits[batch.order]
    grads = {"W_hy": state.pooled.T @ dz, "b_y": dz.sum(axis=0)}
    # Gradient of the pooled summary (before output dropout).
    dh_out = dz @ params["W_hy"].T
    if state.output_mask is not None:
        dh_out *= state.output_mask
    dh_out = pooling.start_gradient(dh_out, batch.lengths)

    offsets, sizes = batch.step_offsets, batch.batch_sizes
    n_steps = len(sizes)
    # The previous state of every step after the first, gathered before the loop
    # below overwrites ``hidden``.
    previous = hidden[batch.prev_rows]
    # Each step turns its block of h_t into dL/da_t = (1 - h_t^2) * dL/dh_t in
    # place: no second array the size of ``hidden``, and the block is still in
    # cache for the matrix product that follows.
    dpre = hidden
    # Small batches turn every h into tanh' = 1 - h^2 up front, in two calls
    # instead of two per step; large ones do it block by block while in cache.
    # A pooling that compares states (max) needs them as they are.
    whole = hidden.size <= _SMALL_STATES and not pooling.reads_states
    if whole:
        np.multiply(hidden, hidden, out=hidden)
        np.subtract(1.0, hidden, out=hidden)
    # dh[i] is dL/dh_t of sorted sequence i at the current step.
    dh = np.zeros_like(dh_out)
    for t in range(n_steps - 1, -1, -1):
        start, n = offsets[t], sizes[t]
        block = dpre[start : start + n]
        pooling.gradient(dh, dh_out, block, t, sizes[t + 1] if t + 1 < n_steps else 0)
        if not whole:
            np.multiply(block, block, out=block)
            np.subtract(1.0, block, out=block)
        block *= dh[:n]
        if t:
            np.matmul(block, W_hh_T, out=dh[:n])
            _flush_subnormals(dh[:n], t)

    first = sizes[0] if n_steps else 0
    # h_{t-1} @ W_hh for all steps after the first, as one matrix product.
    grads["W_hh"] = previous.T @ dpre[first:]
    grads["b_h"] = dpre.sum(axis=0)
    if state.step_inputs is not None:
        grads["W_xh"] = state.step_inputs.T @ dpre
    if not batch.is_tokens:
        return grads
    if state.step_inputs is None:
        # No embedding: the token matrix is W_xh itself.
        name, drows = "W_xh", dpre
    else:
        name, drows = "W_emb", dpre @ params["W_xh"].T
    if state.input_mask is not None:
        drows = drows * state.input_mask
    grads[name] = _token_matrix_gradient(params[name], batch.inputs, drows, sparse)
    return grads


def _token_matrix_gradient(matrix, ids, drows, sparse):
    """Gradient of a matrix whose rows are selected by ``ids``: the rows of
    ``drows`` summed by id."""
    if matrix.shape[0] * len(ids) <= _SMALL_ONE_HOT:
        # A tiny vocabulary: one matrix product with the one-hot inputs costs
        # less than the handful of calls that sum the rows by id.
        one_hot = np.zeros((matrix.shape[0], len(ids)), dtype=drows.dtype)
        one_hot[ids, np.arange(len(ids))] = 1.0
        return one_hot @ drows
    grad = _token_gradient(matrix, ids, drows)
    # A small matrix gains nothing from sparsity, only extra calls.
    return grad if sparse and matrix.size > _SMALL_DENSE else np.asarray(grad)


# Token weight matrices up to this many elements get dense gradients even when a
# sparse one is asked for.
_SMALL_DENSE = 65536
# Vocabulary size x steps in a batch below which the token gradient is a product with
# the one-hot inputs (at most 512 KiB of float64 ones and zeros).
_SMALL_ONE_HOT = 65536


def _token_gradient(W_xh, ids, dpre, chunk_rows=4096):
    """Gradient of ``W_xh`` for token input: the rows of ``dpre`` summed by token id.

    Returned as a :class:`RowSparseGradient` holding one row per distinct id. Each
    id's sum starts from its first occurrence (exact, as ``0 + x == x``); only
    later occurrences are added, with a flat 1-D ``np.add.at`` (2-3x faster than
    ``np.add.at`` over the rows of a 2-D array), in chunks so that the flat index
    array stays small. The sums equal adding the rows one by one in order.
    """
    rows, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    values = dpre[first]
    later = np.ones(len(ids), dtype=bool)
    later[first] = False
    later = np.flatnonzero(later)
    n_hidden = W_xh.shape[1]
    flat_values = values.reshape(-1)
    columns = np.arange(n_hidden)
    for start in range(0, len(later), chunk_rows):
        chunk = later[start : start + chunk_rows]
        flat = (inverse[chunk, np.newaxis] * n_hidden + columns).ravel()
        np.add.at(flat_values, flat, dpre[chunk].ravel())
    return RowSparseGradient(rows, values, W_xh)


class RowSparseGradient:
    """The gradient of an embedding-like weight matrix, without its zero rows.

    It stands for the dense array ``scale * (G + decay * base)``, where ``G`` is
    zero except ``G[rows] = values``: a batch reads a few thousand of the
    vocabulary's rows, so the dense form would be mostly zeros, costly to allocate,
    fill and stream through the optimizer. ``decay * base`` is the L2 penalty's
    part and ``scale`` the clipping factor, applied in that order, so every dense
    slice equals, bit for bit, the same slice of the dense gradient computed the
    straightforward way.
    """

    __slots__ = ("rows", "values", "base", "decay", "scale")

    def __init__(self, rows, values, base):
        self.rows = rows
        self.values = values
        self.base = base
        self.decay = 0.0
        self.scale = 1.0

    @property
    def shape(self):
        return self.base.shape

    @property
    def dtype(self):
        return self.values.dtype

    def dense_rows(self, start, stop):
        """Rows ``start:stop`` of the dense gradient, as a new array."""
        out = np.zeros((stop - start, self.base.shape[1]), dtype=self.values.dtype)
        first, last = np.searchsorted(self.rows, [start, stop])
        out[self.rows[first:last] - start] = self.values[first:last]
        if self.decay:
            out += self.decay * self.base[start:stop]
        if self.scale != 1.0:
            out *= self.scale
        return out

    def row_slices(self, rows_per_slice):
        """Yield (start, stop, dense rows) covering the whole matrix."""
        n_rows = self.base.shape[0]
        for start in range(0, n_rows, rows_per_slice):
            stop = min(start + rows_per_slice, n_rows)
            yield start, stop, self.dense_rows(start, stop)

    def squared_norm(self, rows_per_slice=256):
        if not self.decay:
            return float(np.vdot(self.values, self.values)) * self.scale**2
        return float(sum(np.vdot(g, g) for _, _, g in self.row_slices(rows_per_slice)))

    def __array__(self, dtype=None, copy=None):
        dense = self.dense_rows(0, self.base.shape[0])
        return dense if dtype is None else dense.astype(dtype, copy=False)


def log_softmax(logits):
    """Numerically stable log-softmax over the last axis."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits, *, overwrite=False):
    """Numerically stable softmax over the last axis (no overflow for large logits).

    With ``overwrite=True`` the result is computed in ``logits`` itself (a float
    array the caller no longer needs), with no second array of its size.
    """
    if overwrite:
        shifted = logits
        shifted -= logits.max(axis=-1, keepdims=True)
    else:
        shifted = logits - logits.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


def _add_scaled(out, scale, x, slice_size=65536):
    """``out += scale * x`` through a small temporary, one slice at a time.

    A temporary the size of an embedding-sized ``W_xh`` costs fresh, page-faulting
    memory on every batch (measured: 40% of a float64 epoch at V=5,000, H=64).
    """
    flat_out, flat_x = out.reshape(-1), x.reshape(-1)
    for start in range(0, flat_x.size, slice_size):
        flat_out[start : start + slice_size] += (
            scale * flat_x[start : start + slice_size]
        )


# ---------------------------------------------------------------- output losses
class LogLoss:
    """Softmax cross-entropy: the classifier's loss. Targets are class indices."""

    name = "log_loss"

    @staticmethod
    def per_sample(logits, y):
        """Each sample's loss (no weights, no penalty)."""
        return -log_softmax(logits)[np.arange(len(y)), y]

    @staticmethod
    def unit_gradient(logits, y):
        """The mean loss's value over the unit weights ``u`` (``w / sum(w)``), its
        gradient with respect to the logits, and the outputs (probabilities)."""
        log_p = log_softmax(logits)
        rows = np.arange(len(y))
        proba = np.exp(log_p)
        dlogits = proba.copy()
        dlogits[rows, y] -= 1.0
        return -log_p[rows, y], dlogits, proba


class SquaredError:
    """Half the squared error, averaged over the outputs: the regressor's loss
    (as in scikit-learn's MLP). Targets are an (n, n_outputs) float array."""

    name = "squared_error"

    @staticmethod
    def per_sample(logits, y):
        return 0.5 * np.mean((logits - y) ** 2, axis=1)

    @staticmethod
    def unit_gradient(logits, y):
        diff = logits - y
        losses = 0.5 * np.mean(diff**2, axis=1)
        diff /= logits.shape[1]
        return losses, diff, logits


LOSSES = {loss.name: loss for loss in (LogLoss, SquaredError)}

# The matrices the L2 penalty applies to (biases are not penalized).
_PENALIZED = WEIGHT_NAMES + ("W_emb",)


def penalty(params, alpha, total_weight):
    """The L2 penalty ``alpha / 2 * ||W||^2 / total_weight`` of the loss."""
    if not alpha:
        return 0.0
    squares = sum(np.vdot(params[n], params[n]) for n in _PENALIZED if n in params)
    return float(0.5 * alpha * squares / total_weight)


def loss_and_gradients(
    params,
    batch,
    y,
    sample_weight=None,
    alpha=0.0,
    *,
    loss="log_loss",
    sparse=False,
    pooling="last",
    input_dropout=0.0,
    output_dropout=0.0,
    rng=None,
):
    """Weighted mean loss plus L2 penalty, and its gradient.

    ``loss = sum_i w_i * l_i / sum(w) + alpha / 2 * ||W||^2 / sum(w)`` where ``l_i``
    is sample ``i``'s loss (``-log p_i[y_i]`` for "log_loss", half its mean
    squared error for "squared_error") and ``||W||^2`` sums the squares of the
    weight matrices (``W_xh``, ``W_hh``, ``W_hy`` and ``W_emb`` if present).
    Dividing the penalty by the total weight follows scikit-learn's MLP, so
    ``alpha`` means the same thing for any batch size.

    Parameters
    ----------
    params : dict of ndarray
    batch : PackedBatch
    y : ndarray of shape (n_sequences,) or (n_sequences, n_outputs)
        Class indices in ``0 .. n_outputs - 1`` ("log_loss") or target values
        ("squared_error"), in the caller's order.
    sample_weight : ndarray of shape (n_sequences,), default=None
        Non-negative weights with a positive sum; None means all ones.
    alpha : float, default=0.0
    loss : {"log_loss", "squared_error"}, default="log_loss"
    sparse : bool, default=False
        For token input, return the gradient of the token matrix as a
        :class:`RowSparseGradient` (what training uses; the optimizers and
        :func:`~sklearn_rnn._optimizers.clip_gradients` accept it).
    pooling, input_dropout, output_dropout, rng
        As in :func:`forward`. With dropout, the loss and gradients are those of
        the network with the masks drawn from ``rng``.

    Returns
    -------
    loss : float
    grads : dict of ndarray (and RowSparseGradient)
    outputs : ndarray of shape (n_sequences, n_outputs)
        Class probabilities ("log_loss") or predictions ("squared_error")
        computed on the way (before any update).
    """
    logits, state = forward(
        params,
        batch,
        pooling=pooling,
        input_dropout=input_dropout,
        output_dropout=output_dropout,
        rng=rng,
    )
    w = np.ones(len(y), dtype=logits.dtype) if sample_weight is None else sample_weight
    total = w.sum()
    losses, dlogits, outputs = LOSSES[loss].unit_gradient(logits, y)
    value = (w * losses).sum() / total
    dlogits *= (w / total)[:, None]
    grads = backward(params, batch, state, dlogits, sparse=sparse)

    if alpha:
        value += penalty(params, alpha, total)
        # A Python float keeps float32 weights float32.
        decay = float(alpha / total)
        for name in _PENALIZED:
            if name not in params:
                continue
            if isinstance(grads[name], RowSparseGradient):
                grads[name].decay = decay
            else:
                _add_scaled(grads[name], decay, params[name])
    return float(value), grads, outputs


# ---------------------------------------------------------------- prediction
# Hidden-state elements below which prediction keeps them all (2 MiB in float64).
_SMALL_STATES = 2**18


def _chunks(offsets, chunk_size):
    n = len(offsets) - 1
    for start in range(0, n, chunk_size):
        yield np.arange(start, min(start + chunk_size, n))


def predict_logits(params, values, offsets, chunk_size=1024, *, pooling="last"):
    """Logits for every stored sequence, ``chunk_size`` sequences at a time."""
    pooled = predict_pooled(params, values, offsets, chunk_size, pooling=pooling)
    # In place: the summaries are this call's own array.
    logits = pooled @ params["W_hy"]
    logits += params["b_y"]
    return logits


def predict_pooled(params, values, offsets, chunk_size=1024, *, pooling="last"):
    """The summary each stored sequence gives the output layer (its last, mean or
    max hidden state), ``chunk_size`` sequences at a time.

    Unlike :func:`forward`, which keeps every hidden state for backpropagation,
    this keeps one hidden state per sequence, so memory is bounded by the chunk
    (its inputs and ``chunk_size x hidden_size`` states) however long the
    sequences are. Chunks whose states would all fit in ``_SMALL_STATES``
    elements keep them all, which makes fewer calls per step. Both run the same
    step function, operation for operation.
    """
    n_hidden = params["W_hh"].shape[0]
    out = np.empty((len(offsets) - 1, n_hidden), dtype=params["b_h"].dtype)
    for idx in _chunks(offsets, chunk_size):
        batch = pack(values, offsets, idx)
        hidden = None
        if len(batch.inputs) * n_hidden <= _SMALL_STATES:
            hidden = _step_inputs(params, batch)[0]
        pool = _scan(params, batch, pooling, hidden)
        out[idx[batch.order]] = pool.result(batch.lengths)
    return out


def predict_prefix_logits(params, values, offsets, chunk_size=1024, *, pooling="last"):
    """Logits of every prefix of every stored sequence: what the model would output
    if the sequence ended at each of its steps.

    Returns a list with one array of shape (length, n_outputs) per sequence. The
    summary of a prefix is its last state, or the mean or maximum of its states,
    as ``pooling`` says, so the last row equals :func:`predict_logits`.
    """
    out = []
    for idx in _chunks(offsets, chunk_size):
        batch = pack(values, offsets, idx)
        hidden = _step_inputs(params, batch)[0]
        summaries = np.empty_like(hidden)
        _scan(params, batch, pooling, hidden, prefix_out=summaries)
        logits = summaries @ params["W_hy"] + params["b_y"]
        unsorted = [None] * batch.n_sequences
        for i, (j, length) in enumerate(zip(batch.order, batch.lengths, strict=True)):
            unsorted[j] = logits[batch.step_offsets[:length] + i]
        out += unsorted
    return out
