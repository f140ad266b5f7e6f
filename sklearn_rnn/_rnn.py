"""The recurrent math: packing, forward pass, loss and backpropagation through time.

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


class PackedBatch:
    """A batch of variable-length sequences laid out time-major without padding.

    Sequences are sorted by decreasing length, so the sequences still running at
    step ``t`` are always the first ``batch_sizes[t]`` of them. Row
    ``step_offsets[t] + i`` of ``inputs`` is step ``t`` of the ``i``-th longest
    sequence. A padded position never exists, so it can never leak into a hidden
    state, and each sequence's output and gradient are exactly what it would get
    alone.

    Attributes
    ----------
    inputs : ndarray of shape (n_steps_total,) int or (n_steps_total, n_features) float
        Token ids or feature vectors of every step of every sequence.
    batch_sizes : ndarray of shape (max_length,)
        Number of sequences active at each step (non-increasing).
    step_offsets : ndarray of shape (max_length + 1,)
        Where each step's block of rows starts in ``inputs``.
    order : ndarray of shape (n_sequences,)
        ``order[i]`` is the position in the caller's batch of the ``i``-th longest
        sequence.
    lengths : ndarray of shape (n_sequences,)
        Sequence lengths in sorted (decreasing) order; zero-length sequences are allowed
        and keep ``h = h_0 = 0``.
    prev_rows : ndarray of shape (n_steps_total - batch_sizes[0],)
        For every row after step 0, the row holding the same sequence's previous step.
    last_rows : ndarray of shape (n_sequences,)
        The row of each sorted sequence's last step (-1 for empty sequences).
    """

    __slots__ = (
        "inputs",
        "batch_sizes",
        "step_offsets",
        "order",
        "lengths",
        "prev_rows",
        "last_rows",
    )

    @property
    def n_sequences(self):
        return len(self.order)

    @property
    def is_tokens(self):
        return self.inputs.ndim == 1


def pack(values, offsets, indices):
    """Gather sequences from ragged storage into a :class:`PackedBatch`.

    Parameters
    ----------
    values : ndarray of shape (n_steps_total,) int or (n_steps_total, n_features)
        All steps of all stored sequences, concatenated.
    offsets : ndarray of shape (n_stored + 1,)
        Sequence ``j`` is ``values[offsets[j]:offsets[j + 1]]``.
    indices : ndarray of shape (n_sequences,)
        Which stored sequences form the batch, in the caller's order.

    Returns
    -------
    batch : PackedBatch
    """
    indices = np.asarray(indices, dtype=np.intp)
    starts = offsets[indices]
    lengths = offsets[indices + 1] - starts
    # A stable sort keeps equal-length sequences in the caller's order, so packing is
    # deterministic.
    order = np.argsort(-lengths, kind="stable")
    lengths = lengths[order]
    starts = starts[order]
    max_length = int(lengths[0]) if len(lengths) else 0
    # batch_sizes[t] = number of sequences longer than t (lengths is decreasing).
    batch_sizes = np.searchsorted(-lengths, -np.arange(max_length), side="left")
    step_offsets = np.zeros(max_length + 1, dtype=np.intp)
    np.cumsum(batch_sizes, out=step_offsets[1:])

    step_of_row = np.repeat(np.arange(max_length), batch_sizes)
    seq_of_row = np.arange(step_offsets[-1]) - step_offsets[step_of_row]

    batch = PackedBatch()
    batch.inputs = np.take(values, starts[seq_of_row] + step_of_row, axis=0)
    batch.batch_sizes = batch_sizes
    batch.step_offsets = step_offsets
    batch.order = order
    batch.lengths = lengths
    first = batch_sizes[0] if max_length else 0
    batch.prev_rows = (
        step_offsets[step_of_row[first:] - 1] + seq_of_row[first:]
    ).astype(np.intp)
    batch.last_rows = np.where(
        lengths > 0,
        step_offsets[np.maximum(lengths - 1, 0)] + np.arange(len(lengths)),
        -1,
    )
    return batch


def init_params(
    rng, n_inputs, hidden_size, n_outputs, *, token_input, dtype=np.float64
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

    The shapes drawn depend only on the model size, never on the number of samples, so
    the same ``rng`` state gives the same initial model for any training set.
    """
    fan_in = 1 if token_input else n_inputs
    bound_xh = np.sqrt(6.0 / (fan_in + hidden_size))
    bound_hh = 1.0 / np.sqrt(hidden_size)
    bound_hy = np.sqrt(6.0 / (hidden_size + n_outputs))
    params = {
        "W_xh": rng.uniform(-bound_xh, bound_xh, (n_inputs, hidden_size)),
        "W_hh": rng.uniform(-bound_hh, bound_hh, (hidden_size, hidden_size)),
        "b_h": np.zeros(hidden_size),
        "W_hy": rng.uniform(-bound_hy, bound_hy, (hidden_size, n_outputs)),
        "b_y": np.zeros(n_outputs),
    }
    return {name: value.astype(dtype, copy=False) for name, value in params.items()}


def forward(params, batch):
    """Run the recurrence over a packed batch.

    Returns
    -------
    logits : ndarray of shape (n_sequences, n_outputs)
        In the caller's order (``batch.order`` undone).
    hidden : ndarray of shape (n_steps_total, hidden_size)
        Every hidden state, packed like ``batch.inputs``; needed by :func:`backward`.
    """
    hidden, final = _recurrence(params, batch)
    logits = final @ params["W_hy"] + params["b_y"]
    return _unsort(logits, batch.order), hidden


def _recurrence(params, batch):
    """Every hidden state of a packed batch, and each sorted sequence's last one."""
    W_hh = params["W_hh"]
    # The input contribution of every step at once: one gather (tokens) or one matrix
    # product (numeric), instead of one per step.
    if batch.is_tokens:
        hidden = np.take(params["W_xh"], batch.inputs, axis=0)
    else:
        hidden = batch.inputs @ params["W_xh"]
    hidden += params["b_h"]

    # ``hidden`` holds pre-activations and is overwritten step by step with
    # h_t = tanh(pre_t + h_{t-1} @ W_hh); only the batch's active prefix is touched.
    offsets, sizes = batch.step_offsets, batch.batch_sizes
    recurrent = np.empty((batch.n_sequences, W_hh.shape[1]), dtype=hidden.dtype)
    for t in range(len(sizes)):
        start, n = offsets[t], sizes[t]
        block = hidden[start : start + n]
        if t:
            prev = offsets[t - 1]
            np.matmul(hidden[prev : prev + n], W_hh, out=recurrent[:n])
            block += recurrent[:n]
        np.tanh(block, out=block)
        _flush_subnormals(block, t)
    return hidden, _final_states(hidden, batch)


def _final_states(hidden, batch):
    """Last hidden state of each sorted sequence; h_0 = 0 for empty sequences."""
    final = np.zeros((batch.n_sequences, hidden.shape[1]), dtype=hidden.dtype)
    nonempty = batch.last_rows >= 0
    final[nonempty] = hidden[batch.last_rows[nonempty]]
    return final


def _unsort(sorted_rows, order):
    out = np.empty_like(sorted_rows)
    out[order] = sorted_rows
    return out


def backward(params, batch, hidden, dlogits, *, sparse=False, final=None):
    """Backpropagation through time.

    Parameters
    ----------
    params : dict of ndarray
    batch : PackedBatch
    hidden : ndarray
        The hidden states returned by :func:`forward` for this batch. They are
        overwritten (with the gradients of the pre-activations): pass a copy to
        keep them.
    dlogits : ndarray of shape (n_sequences, n_outputs)
        Gradient of the loss with respect to the logits, in the caller's order.
    sparse : bool, default=False
        For token input, return the gradient of ``W_xh`` as a
        :class:`RowSparseGradient` (only the rows of the ids read) instead of a
        dense array.
    final : ndarray of shape (n_sequences, hidden_size), default=None
        The last hidden state of each sequence in sorted order, if already known.

    Returns
    -------
    grads : dict of ndarray
        Same keys and shapes as ``params``.
    """
    # dh @ W_hh.T at every step: contiguous, it multiplies ~25% faster at H=64.
    W_hh_T = np.ascontiguousarray(params["W_hh"].T)
    dz = dlogits[batch.order]
    if final is None:
        final = _final_states(hidden, batch)
    grads = {"W_hy": final.T @ dz, "b_y": dz.sum(axis=0)}
    dh_out = dz @ params["W_hy"].T

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
    whole = hidden.size <= _SMALL_STATES
    if whole:
        np.multiply(hidden, hidden, out=hidden)
        np.subtract(1.0, hidden, out=hidden)
    # dh[i] is dL/dh_t of sorted sequence i at the current step.
    dh = np.zeros_like(dh_out)
    for t in range(n_steps - 1, -1, -1):
        start, n = offsets[t], sizes[t]
        n_next = sizes[t + 1] if t + 1 < n_steps else 0
        # Sequences whose last step is t receive the output gradient here; the others
        # receive only what flows back from step t + 1.
        dh[n_next:n] = dh_out[n_next:n]
        block = dpre[start : start + n]
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
    if batch.is_tokens:
        W_xh = params["W_xh"]
        if W_xh.shape[0] * len(batch.inputs) <= _SMALL_ONE_HOT:
            # A tiny vocabulary: one matrix product with the one-hot inputs costs
            # less than the handful of calls that sum the rows by id.
            one_hot = np.zeros((W_xh.shape[0], len(batch.inputs)), dtype=dpre.dtype)
            one_hot[batch.inputs, np.arange(len(batch.inputs))] = 1.0
            grads["W_xh"] = one_hot @ dpre
        else:
            grad = _token_gradient(W_xh, batch.inputs, dpre)
            # A small matrix gains nothing from sparsity, only extra calls.
            small = W_xh.size <= _SMALL_DENSE
            grads["W_xh"] = grad if sparse and not small else np.asarray(grad)
    else:
        grads["W_xh"] = batch.inputs.T @ dpre
    return grads


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


def softmax(logits):
    """Numerically stable softmax over the last axis (no overflow for large logits)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


def loss_and_gradients(
    params, batch, y, sample_weight=None, alpha=0.0, *, sparse=False
):
    """Weighted mean cross-entropy plus L2 penalty, and its gradient.

    ``loss = sum_i w_i * -log p_i[y_i] / sum(w) + alpha / 2 * ||W||^2 / sum(w)`` where
    ``||W||^2`` sums the squares of ``W_xh``, ``W_hh`` and ``W_hy``. Dividing the
    penalty by the total weight follows scikit-learn's MLP, so ``alpha`` means the same
    thing for any batch size.

    Parameters
    ----------
    params : dict of ndarray
    batch : PackedBatch
    y : ndarray of shape (n_sequences,)
        Class indices in ``0 .. n_outputs - 1``, in the caller's order.
    sample_weight : ndarray of shape (n_sequences,), default=None
        Non-negative weights with a positive sum; None means all ones.
    alpha : float, default=0.0
    sparse : bool, default=False
        For token input, return the gradient of ``W_xh`` as a
        :class:`RowSparseGradient` (what training uses; the optimizers and
        :func:`~sklearn_rnn._optimizers.clip_gradients` accept it).

    Returns
    -------
    loss : float
    grads : dict of ndarray (and RowSparseGradient)
    proba : ndarray of shape (n_sequences, n_outputs)
        Class probabilities computed on the way (before any update).
    """
    hidden, final = _recurrence(params, batch)
    logits = _unsort(final @ params["W_hy"] + params["b_y"], batch.order)
    n = len(y)
    w = np.ones(n, dtype=logits.dtype) if sample_weight is None else sample_weight
    total = w.sum()
    log_p = log_softmax(logits)
    rows = np.arange(n)
    loss = -(w * log_p[rows, y]).sum() / total

    proba = np.exp(log_p)
    dlogits = proba.copy()
    dlogits[rows, y] -= 1.0
    dlogits *= (w / total)[:, None]
    grads = backward(params, batch, hidden, dlogits, sparse=sparse, final=final)

    if alpha:
        # A Python float keeps float32 weights float32.
        decay = float(alpha / total)
        for name in WEIGHT_NAMES:
            loss += 0.5 * alpha * np.vdot(params[name], params[name]) / total
            if isinstance(grads[name], RowSparseGradient):
                grads[name].decay = decay
            else:
                _add_scaled(grads[name], decay, params[name])
    return float(loss), grads, proba


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


def predict_logits(params, values, offsets, chunk_size=1024):
    """Logits for every stored sequence, ``chunk_size`` sequences at a time.

    Unlike :func:`forward`, which keeps every hidden state for backpropagation,
    this keeps one hidden state per sequence, so memory is bounded by the chunk
    (its inputs and ``chunk_size x hidden_size`` states) however long the
    sequences are. The arithmetic is that of :func:`forward`, operation for
    operation. Chunks whose states would all fit in ``_SMALL_STATES`` elements
    go through :func:`forward` itself, which makes fewer calls per step.
    """
    n = len(offsets) - 1
    n_hidden = params["W_hh"].shape[0]
    out = np.empty((n, params["b_y"].shape[0]), dtype=params["b_y"].dtype)
    for start in range(0, n, chunk_size):
        idx = np.arange(start, min(start + chunk_size, n))
        batch = pack(values, offsets, idx)
        if len(batch.inputs) * n_hidden <= _SMALL_STATES:
            out[idx] = forward(params, batch)[0]
        else:
            out[idx] = _forward_final(params, batch)
    return out


# Hidden-state elements below which prediction keeps them all (2 MiB in float64).
_SMALL_STATES = 2**18


def _forward_final(params, batch):
    """Logits of a packed batch, keeping only the current hidden states."""
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    h = np.empty((batch.n_sequences, W_hh.shape[0]), dtype=b_h.dtype)
    pre = np.empty_like(h)
    recurrent = np.empty_like(h)
    final = np.zeros_like(h)  # empty sequences keep h_0 = 0
    offsets, sizes = batch.step_offsets, batch.batch_sizes
    n_steps = len(sizes)
    for t in range(n_steps):
        start, n = offsets[t], sizes[t]
        inputs = batch.inputs[start : start + n]
        if batch.is_tokens:
            # Ids come from the tokenizer, so clipping never changes one; it lets
            # take write straight into ``pre`` instead of through a buffer.
            np.take(W_xh, inputs, axis=0, out=pre[:n], mode="clip")
        else:
            np.matmul(inputs, W_xh, out=pre[:n])
        pre[:n] += b_h
        if t:
            np.matmul(h[:n], W_hh, out=recurrent[:n])
            pre[:n] += recurrent[:n]
        np.tanh(pre[:n], out=h[:n])
        _flush_subnormals(h[:n], t)
        # Sorted by length: the sequences past the next step's count end here.
        n_next = sizes[t + 1] if t + 1 < n_steps else 0
        final[n_next:n] = h[n_next:n]
    logits = final @ params["W_hy"] + params["b_y"]
    return _unsort(logits, batch.order)
