"""The recurrent math: forward pass, pooling, losses and backpropagation through time.

Everything here is a pure function of arrays (parameters, a packed batch, targets);
nothing imports scikit-learn and nothing keeps state between calls, so the same code
serves fitting, prediction, and the gradient tests.

Notation (row-vector convention, one row per sequence)::

    h_0 = 0
    h_t = f(x_t @ W_xh + h_{t-1} @ W_hh + b_h)           t = 1 .. T_i
    z   = pool(h_1 .. h_{T_i}) @ W_hy + b_y              (logits)
    p   = softmax(z)

``f`` is tanh or ReLU (the ``nonlinearity``). ``W_xh`` has one row per input feature
(numeric input) or per vocabulary entry (token input). For token input ``x_t`` is a
one-hot vector, so ``x_t @ W_xh`` is simply the row of ``W_xh`` for that token: it is
computed as a lookup, never as a matrix product.

Stacked and bidirectional networks: layer ``l > 0`` reads the states of layer
``l - 1`` as its ``x_t``; a bidirectional layer runs a second recurrence over each
sequence read backwards, and the two directions' states, side by side, are the
layer's output. Only the last layer's states are pooled. The parameters of layer
0's forward direction keep the plain names above; the others carry ``_l1``,
``_l2``... for the layer and ``_r`` for the backward direction (see
:func:`cell_name`), so a one-layer model has exactly the five (or six) classic ones.
"""

import itertools
import re

import numpy as np

from ._sequences import pack

# The classic single-layer model's parameter names, in the order the optimizers and
# the estimator use them.
PARAM_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
# Its names that L2 regularisation applies to (biases are not penalised).
WEIGHT_NAMES = ("W_xh", "W_hh", "W_hy")
# The parameters of one recurrent layer in one direction.
CELL_NAMES = ("W_xh", "W_hh", "b_h")
NONLINEARITIES = ("tanh", "relu")
# Every pooling: one summary, or several side by side, always in this order.
POOLING_OPTIONS = tuple(
    "+".join(kinds)
    for n in (1, 2, 3)
    for kinds in itertools.combinations(("last", "mean", "max"), n)
)

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


# ---------------------------------------------------------------- architecture
def cell_name(name, layer=0, reverse=False):
    """The name of parameter ``name`` ("W_xh", "W_hh" or "b_h") of one layer and
    direction: ``W_hh`` for layer 0 read forwards, ``W_hh_r`` backwards,
    ``W_hh_l1`` and ``W_hh_l1_r`` for layer 1, and so on."""
    return name + (f"_l{layer}" if layer else "") + ("_r" if reverse else "")


_CELL_PATTERN = re.compile(r"^(W_xh|W_hh|b_h)(?:_l([1-9][0-9]*))?(_r)?$")


def parse_cell_name(name):
    """``(base name, layer, reverse)`` of a recurrent parameter's name, or None."""
    match = _CELL_PATTERN.match(name)
    if match is None:
        return None
    base, layer, reverse = match.groups()
    return base, int(layer or 0), reverse is not None


def n_layers(params):
    """The number of stacked recurrent layers the parameters hold."""
    layers = 1
    while cell_name("W_hh", layers) in params:
        layers += 1
    return layers


def directions(params):
    """``(False,)`` for a forward-only network, ``(False, True)`` for a
    bidirectional one (True: the direction that reads sequences backwards)."""
    return (False, True) if "W_hh_r" in params else (False,)


def pooling_kinds(pooling):
    """The summaries a pooling string asks for: "last+max" -> ("last", "max")."""
    return tuple(pooling.split("+"))


def summary_width(hidden_size, pooling, bidirectional):
    """The number of values the output layer reads per sequence."""
    return hidden_size * len(pooling_kinds(pooling)) * (2 if bidirectional else 1)


def _recurrent_matrix(rng, hidden_size, recurrent_init):
    if recurrent_init == "orthogonal":
        q, r = np.linalg.qr(rng.standard_normal((hidden_size, hidden_size)))
        # The signs of r's diagonal make q uniformly distributed (Mezzadri, 2007).
        return q * np.where(np.diag(r) < 0, -1.0, 1.0)
    bound = 1.0 / np.sqrt(hidden_size)
    return rng.uniform(-bound, bound, (hidden_size, hidden_size))


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
    num_layers=1,
    bidirectional=False,
    pooling="last",
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

    ``num_layers`` and ``bidirectional`` add the layers and the backward direction
    (see :func:`cell_name`); a layer above the first reads ``hidden_size`` values
    per direction. ``pooling`` sets how many values per sequence ``W_hy`` reads
    (:func:`summary_width`). Layer 0's forward direction and the output layer are
    drawn first, in the same order for every architecture, so a one-layer model
    draws exactly what it always did.

    The shapes drawn depend only on the model size, never on the number of samples, so
    the same ``rng`` state gives the same initial model for any training set.
    """
    embed = token_input and embedding_size is not None
    rows_xh = embedding_size if embed else n_inputs
    fan_in = rows_xh if embed or not token_input else 1
    width = summary_width(hidden_size, pooling, bidirectional)
    bound_xh = np.sqrt(6.0 / (fan_in + hidden_size))
    bound_hy = np.sqrt(6.0 / (width + n_outputs))
    params = {"W_xh": rng.uniform(-bound_xh, bound_xh, (rows_xh, hidden_size))}
    params["W_hh"] = _recurrent_matrix(rng, hidden_size, recurrent_init)
    params["b_h"] = np.zeros(hidden_size)
    params["W_hy"] = rng.uniform(-bound_hy, bound_hy, (width, n_outputs))
    params["b_y"] = np.zeros(n_outputs)
    if embed:
        bound_emb = np.sqrt(6.0 / (1 + embedding_size))
        params["W_emb"] = rng.uniform(-bound_emb, bound_emb, (n_inputs, embedding_size))
    n_directions = 2 if bidirectional else 1
    for layer in range(num_layers):
        if layer:
            rows_xh = fan_in = n_directions * hidden_size
            bound_xh = np.sqrt(6.0 / (fan_in + hidden_size))
        for reverse in (False, True)[:n_directions]:
            if not (layer or reverse):
                continue  # drawn above
            params[cell_name("W_xh", layer, reverse)] = rng.uniform(
                -bound_xh, bound_xh, (rows_xh, hidden_size)
            )
            params[cell_name("W_hh", layer, reverse)] = _recurrent_matrix(
                rng, hidden_size, recurrent_init
            )
            params[cell_name("b_h", layer, reverse)] = np.zeros(hidden_size)
    return {name: value.astype(dtype, copy=False) for name, value in params.items()}


# ---------------------------------------------------------------- pooling
class _Pooling:
    """How a sequence's hidden states become the one summary the output layer reads.

    One object per batch and direction. The forward pass folds in each step's
    states (``add``), can read the summary of every prefix on the way
    (``prefix``), and ends with ``result``; the backward pass is handed the
    summary's gradient (``start_gradient``), then asks, step by step, for the
    share of it that reaches that step's states (``gradient``, which adds it to
    ``dh``). A new kind of summary is a new subclass, with nothing to change
    elsewhere.
    """

    # Whether ``gradient`` compares the states with the summary (it then needs
    # them as they are, not yet turned into the activation's derivative).
    reads_states = False

    def __init__(self, n_sequences, n_hidden, dtype):
        self.pooled = np.zeros((n_sequences, n_hidden), dtype=dtype)

    def result(self, lengths):
        """The summaries of the sorted sequences (zero for an empty one)."""
        return self.pooled

    def start_gradient(self, dh_out, lengths):
        self.dh_out = dh_out


class _LastPooling(_Pooling):
    name = "last"

    def add(self, h, t, n_next):
        # Sorted by length: the sequences past the next step's count end here.
        self.pooled[n_next : len(h)] = h[n_next:]

    def prefix(self, h, t, out):
        out[...] = h

    def gradient(self, dh, h, t, n_next):
        # Sequences ending at t receive the output gradient here; the others only
        # what flows back from step t + 1.
        dh[n_next : len(h)] += self.dh_out[n_next : len(h)]


class _MeanPooling(_Pooling):
    name = "mean"

    def add(self, h, t, n_next):
        self.pooled[: len(h)] += h

    def result(self, lengths):
        self.pooled /= np.maximum(lengths, 1)[:, np.newaxis]
        return self.pooled

    def prefix(self, h, t, out):
        np.divide(self.pooled[: len(h)], t + 1, out=out)

    def start_gradient(self, dh_out, lengths):
        self.dh_out = dh_out / np.maximum(lengths, 1)[:, np.newaxis]

    def gradient(self, dh, h, t, n_next):
        dh[: len(h)] += self.dh_out[: len(h)]


class _MaxPooling(_Pooling):
    name = "max"
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
        self.dh_out = dh_out
        # Each maximum's gradient goes to one step: the last one reaching it.
        self._claimed = np.zeros(dh_out.shape, dtype=bool)
        self._hit = np.empty_like(self._claimed)

    def gradient(self, dh, h, t, n_next):
        n = len(h)
        hit = self._hit[:n]
        np.equal(h, self.pooled[:n], out=hit)
        hit &= ~self._claimed[:n]
        self._claimed[:n] |= hit
        dh[:n] += np.where(hit, self.dh_out[:n], 0.0)


POOLINGS = {cls.name: cls for cls in (_LastPooling, _MeanPooling, _MaxPooling)}


class _Concatenated:
    """Several summaries side by side ("last+mean+max"): each part reads the
    same states, and owns its own block of columns of the result."""

    def __init__(self, parts):
        self.parts = parts
        self.reads_states = any(p.reads_states for p in parts)
        self._width = parts[0].pooled.shape[1]

    def _columns(self, i):
        return slice(i * self._width, (i + 1) * self._width)

    def add(self, h, t, n_next):
        for part in self.parts:
            part.add(h, t, n_next)

    def prefix(self, h, t, out):
        for i, part in enumerate(self.parts):
            part.prefix(h, t, out[:, self._columns(i)])

    def result(self, lengths):
        return np.hstack([part.result(lengths) for part in self.parts])

    def start_gradient(self, dh_out, lengths):
        for i, part in enumerate(self.parts):
            part.start_gradient(dh_out[:, self._columns(i)], lengths)

    def gradient(self, dh, h, t, n_next):
        for part in self.parts:
            part.gradient(dh, h, t, n_next)


def make_pooling(pooling, n_sequences, n_hidden, dtype):
    """The pooling object for a pooling string ("max", "last+mean+max", ...)."""
    parts = [
        POOLINGS[kind](n_sequences, n_hidden, dtype) for kind in pooling_kinds(pooling)
    ]
    return parts[0] if len(parts) == 1 else _Concatenated(parts)


class _FromAbove:
    """The gradient a layer's states receive from the layer above (rather than
    from a pooling), for every row of the packed batch, in the order the
    layer's direction reads them."""

    reads_states = False

    def __init__(self, rows, offsets):
        self.rows, self.offsets = rows, offsets

    def gradient(self, dh, h, t, n_next):
        n, start = len(h), self.offsets[t]
        dh[:n] += self.rows[start : start + n]


# ---------------------------------------------------------------- forward
class _Layer:
    """What :func:`backward` needs from one recurrent layer of :func:`forward`.

    Attributes
    ----------
    hidden : list of ndarray of shape (n_steps_total, hidden_size)
        Every hidden state, one array per direction, each packed in the order its
        direction reads the steps (``batch.reverse_rows`` for the backward one).
    step_inputs : ndarray or None
        The vectors multiplied by ``W_xh`` (embeddings, numeric features or the
        layer below's states, after dropout), in the batch's row order; None when
        tokens select rows of ``W_xh`` directly.
    mask : ndarray or None
        Dropout mask of ``step_inputs`` (already divided by the keep probability).
    lookup_masks : list
        Without ``step_inputs``: one dropout mask (or None) per direction, of the
        rows of ``W_xh`` selected.
    """

    __slots__ = ("hidden", "step_inputs", "mask", "lookup_masks")


class ForwardState:
    """What :func:`backward` needs from :func:`forward` for one batch.

    Attributes
    ----------
    layers : list of _Layer
        Bottom to top.
    poolings : list
        The top layer's pooling objects, one per direction.
    pooled : ndarray of shape (n_sequences, summary width)
        Each sorted sequence's summary after output dropout: the input of the
        output layer.
    output_mask : ndarray or None
        The output dropout mask, or None.
    relu : bool
        Whether the cell's nonlinearity is ReLU (else tanh).
    """

    __slots__ = ("layers", "poolings", "pooled", "output_mask", "relu")

    @property
    def hidden(self):
        """The first layer's forward states (all a one-layer model has)."""
        return self.layers[0].hidden[0]

    def copy(self):
        """A copy whose hidden states can be consumed by :func:`backward`."""
        out = ForwardState()
        for name in self.__slots__:
            setattr(out, name, getattr(self, name))
        out.layers = []
        for layer in self.layers:
            new = _Layer()
            for name in _Layer.__slots__:
                setattr(new, name, getattr(layer, name))
            new.hidden = [h.copy() for h in layer.hidden]
            out.layers.append(new)
        # A layer above reads the copied states, not the originals.
        for i in range(1, len(self.layers)):
            if self.layers[i].step_inputs is self.layers[i - 1].hidden[0]:
                out.layers[i].step_inputs = out.layers[i - 1].hidden[0]
        return out


def dropout_mask(rng, shape, rate, dtype):
    """Inverted-dropout mask: 0 with probability ``rate``, else ``1 / (1 - rate)``."""
    mask = (rng.random(shape) >= rate).astype(dtype)
    mask *= 1.0 / (1.0 - rate)
    return mask


def forward(
    params,
    batch,
    *,
    pooling="last",
    nonlinearity="tanh",
    input_dropout=0.0,
    layer_dropout=0.0,
    output_dropout=0.0,
    rng=None,
    prefix_out=None,
):
    """Run the recurrence over a packed batch.

    Parameters
    ----------
    params : dict of ndarray
        Their names say the architecture (layers, directions; see
        :func:`cell_name`).
    batch : PackedBatch
    pooling : str, default="last"
        What summarises a sequence for the output layer: its last hidden state,
        or the mean or element-wise maximum of all its hidden states ("last",
        "mean", "max"; zero for an empty sequence in every case), or several
        side by side ("last+mean+max"). A bidirectional network's backward
        direction ends at the first step, so its "last" state is the one that
        has read the whole sequence backwards.
    nonlinearity : {"tanh", "relu"}, default="tanh"
    input_dropout, layer_dropout, output_dropout : float, default=0.0
        Dropout rates of the first layer's step input vectors (see
        :class:`_Layer`), of the states a layer passes to the next one, and of
        the pooled summary; ``rng`` draws the masks.
    rng : numpy.random.Generator, default=None
    prefix_out : ndarray, default=None
        Rows like the batch's: receives the summary of every prefix of every
        sequence (forward-only networks).

    Returns
    -------
    logits : ndarray of shape (n_sequences, n_outputs)
        In the caller's order (``batch.order`` undone).
    state : ForwardState
        Needed by :func:`backward`.
    """
    state = ForwardState()
    state.relu = nonlinearity == "relu"
    state.layers = []
    dirs, top = directions(params), n_layers(params) - 1
    below = None
    for layer in range(top + 1):
        record = _Layer()
        rate = layer_dropout if layer else input_dropout
        record.hidden = _pre_activations(params, batch, layer, below, record, rate, rng)
        poolings = []
        for reverse, hidden in zip(dirs, record.hidden, strict=True):
            pool = None
            if layer == top:
                pool = make_pooling(
                    pooling, batch.n_sequences, hidden.shape[1], hidden.dtype
                )
            W_hh = params[cell_name("W_hh", layer, reverse)]
            _scan(W_hh, batch, pool, state.relu, hidden=hidden, prefix_out=prefix_out)
            poolings.append(pool)
        state.layers.append(record)
        if layer < top:
            below = _layer_output(batch, record.hidden)
    state.poolings = poolings
    summaries = [pool.result(batch.lengths) for pool in poolings]
    state.pooled = summaries[0] if len(summaries) == 1 else np.hstack(summaries)
    state.output_mask = None
    if output_dropout:
        state.output_mask = dropout_mask(
            rng, state.pooled.shape, output_dropout, state.pooled.dtype
        )
        state.pooled = state.pooled * state.output_mask
    logits = state.pooled @ params["W_hy"] + params["b_y"]
    return _unsort(logits, batch.order), state


def _pre_activations(params, batch, layer, below, record, rate, rng):
    """The pre-activation ``x_t @ W_xh + b_h`` of every step, one array per
    direction in that direction's row order (one gather or product each); sets
    the fields of ``record`` that backward needs to differentiate it."""
    dirs, dtype = directions(params), params["W_hh"].dtype
    record.step_inputs = record.mask = None
    record.lookup_masks = []
    out = []
    if layer == 0 and batch.is_tokens and "W_emb" not in params:
        for reverse in dirs:
            ids = batch.inputs[batch.reverse_rows] if reverse else batch.inputs
            pre = np.take(params[cell_name("W_xh", 0, reverse)], ids, axis=0)
            mask = None
            if rate:
                mask = dropout_mask(rng, pre.shape, rate, dtype)
                pre *= mask
            record.lookup_masks.append(mask)
            pre += params[cell_name("b_h", 0, reverse)]
            out.append(pre)
        return out
    if layer:
        x = below
    elif batch.is_tokens:
        x = np.take(params["W_emb"], batch.inputs, axis=0)
    else:
        x = batch.inputs
    if rate:
        record.mask = dropout_mask(rng, x.shape, rate, dtype)
        x = x * record.mask
    record.step_inputs = x
    for reverse in dirs:
        pre = x @ params[cell_name("W_xh", layer, reverse)]
        if reverse:
            pre = pre[batch.reverse_rows]
        pre += params[cell_name("b_h", layer, reverse)]
        out.append(pre)
    return out


def _layer_output(batch, hidden):
    """A layer's states as the next layer reads them: in the batch's row order,
    both directions side by side."""
    if len(hidden) == 1:
        return hidden[0]
    n_hidden = hidden[0].shape[1]
    out = np.empty((len(hidden[0]), 2 * n_hidden), dtype=hidden[0].dtype)
    out[:, :n_hidden] = hidden[0]
    out[:, n_hidden:] = hidden[1][batch.reverse_rows]
    return out


def _step(pre, h_prev, W_hh, scratch, t, out, relu):
    """One step of the recurrence for the active sequences:
    ``out = f(pre + h_prev @ W_hh)``, with ``h_0 = 0`` (no product at t = 0).

    The only place the cell is written: training, prediction and per-step
    prediction all run it. ``pre`` is overwritten; ``out`` may be ``pre``.
    """
    if t:
        np.matmul(h_prev, W_hh, out=scratch)
        pre += scratch
    if relu:
        np.maximum(pre, 0.0, out=out)
    else:
        np.tanh(pre, out=out)
    _flush_subnormals(out, t)


def _scan(W_hh, batch, pool, relu, *, hidden=None, lookup=None, prefix_out=None):
    """Run :func:`_step` over every step of a packed batch, feeding ``pool``.

    With ``hidden`` (the pre-activations of every step, in the order the
    direction reads them) every hidden state is kept, overwriting it, as
    backpropagation needs. Otherwise ``lookup`` (a :class:`_Lookup`) gives each
    step's input when it is reached and only the current states are kept: memory
    is then bounded by the batch, not by its length. ``prefix_out`` (rows like
    ``hidden``) receives the summary of every prefix.
    """
    n_seq, n_hidden = batch.n_sequences, W_hh.shape[0]
    scratch = np.empty((n_seq, n_hidden), dtype=W_hh.dtype)
    if hidden is None:
        h, pre = np.empty_like(scratch), np.empty_like(scratch)
    offsets, sizes = batch.step_offsets, batch.batch_sizes
    n_steps = len(sizes)
    for t in range(n_steps):
        start, n = offsets[t], sizes[t]
        if hidden is not None:
            out = step_pre = hidden[start : start + n]
            h_prev = hidden[offsets[t - 1] : offsets[t - 1] + n] if t else None
        else:
            out, step_pre, h_prev = h[:n], pre[:n], h[:n]
            lookup.step(start, n, step_pre)
        _step(step_pre, h_prev, W_hh, scratch[:n], t, out, relu)
        if pool is not None:
            pool.add(out, t, sizes[t + 1] if t + 1 < n_steps else 0)
            if prefix_out is not None:
                pool.prefix(out, t, prefix_out[start : start + n])


class _Lookup:
    """Each step's pre-activation ``x_t @ W_xh + b_h`` of a one-layer network,
    made when the step is reached (for :func:`_scan` without stored states)."""

    def __init__(self, params, batch, reverse):
        self.W_xh = params[cell_name("W_xh", 0, reverse)]
        self.b_h = params[cell_name("b_h", 0, reverse)]
        self.W_emb = params.get("W_emb")
        self.inputs = batch.inputs[batch.reverse_rows] if reverse else batch.inputs
        self.is_tokens = batch.is_tokens
        self.embedded = None
        if self.W_emb is not None:
            self.embedded = np.empty(
                (batch.n_sequences, self.W_emb.shape[1]), dtype=self.b_h.dtype
            )

    def step(self, start, n, out):
        inputs = self.inputs[start : start + n]
        # Ids come from the tokenizer, so clipping never changes one; it lets take
        # write straight into its output instead of through a buffer.
        if self.W_emb is not None:
            np.take(self.W_emb, inputs, axis=0, out=self.embedded[:n], mode="clip")
            np.matmul(self.embedded[:n], self.W_xh, out=out)
        elif self.is_tokens:
            np.take(self.W_xh, inputs, axis=0, out=out, mode="clip")
        else:
            np.matmul(inputs, self.W_xh, out=out)
        out += self.b_h


def _unsort(sorted_rows, order):
    out = np.empty_like(sorted_rows)
    out[order] = sorted_rows
    return out


# ---------------------------------------------------------------- backward
def backward(params, batch, state, dlogits, *, sparse=False, frozen=()):
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
    frozen : collection of str, default=()
        Parameters whose gradient is not wanted (only "W_emb" saves work).

    Returns
    -------
    grads : dict of ndarray
        Same keys and shapes as ``params``, less ``frozen``.
    """
    dirs, layers = directions(params), state.layers
    dz = dlogits[batch.order]
    grads = {"W_hy": state.pooled.T @ dz, "b_y": dz.sum(axis=0)}
    # Gradient of the pooled summary (before output dropout).
    dh_out = dz @ params["W_hy"].T
    if state.output_mask is not None:
        dh_out *= state.output_mask
    width = dh_out.shape[1] // len(dirs)
    for i, pool in enumerate(state.poolings):
        pool.start_gradient(dh_out[:, i * width : (i + 1) * width], batch.lengths)
    first = batch.batch_sizes[0] if len(batch.batch_sizes) else 0
    from_above = None
    for layer in range(len(layers) - 1, -1, -1):
        record = layers[layer]
        d_inputs = None  # dL/d step_inputs, in the batch's row order
        for i, reverse in enumerate(dirs):
            hidden = record.hidden[i]
            n_hidden = hidden.shape[1]
            if from_above is None:
                source = state.poolings[i]
            else:
                rows = from_above[:, i * n_hidden : (i + 1) * n_hidden]
                rows = rows[batch.reverse_rows] if reverse else rows
                source = _FromAbove(np.ascontiguousarray(rows), batch.step_offsets)
            names = {n: cell_name(n, layer, reverse) for n in CELL_NAMES}
            # The previous state of every step after the first, gathered before
            # _through_time overwrites ``hidden``.
            previous = hidden[batch.prev_rows]
            dpre = _through_time(
                hidden, params[names["W_hh"]], batch, source, state.relu
            )
            grads[names["W_hh"]] = previous.T @ dpre[first:]
            grads[names["b_h"]] = dpre.sum(axis=0)
            if record.step_inputs is None:
                # Tokens select rows of W_xh: its gradient is dpre's rows by id.
                ids = batch.inputs[batch.reverse_rows] if reverse else batch.inputs
                mask = record.lookup_masks[i]
                drows = dpre if mask is None else dpre * mask
                grads[names["W_xh"]] = _token_matrix_gradient(
                    params[names["W_xh"]], ids, drows, sparse
                )
                continue
            if reverse:
                dpre = dpre[batch.reverse_rows]
            grads[names["W_xh"]] = record.step_inputs.T @ dpre
            if layer or (batch.is_tokens and "W_emb" not in frozen):
                part = dpre @ params[names["W_xh"]].T
                d_inputs = (
                    part if d_inputs is None else np.add(d_inputs, part, out=part)
                )
        if d_inputs is not None and record.mask is not None:
            d_inputs *= record.mask
        from_above = d_inputs
    if batch.is_tokens and "W_emb" in params and "W_emb" not in frozen:
        grads["W_emb"] = _token_matrix_gradient(
            params["W_emb"], batch.inputs, from_above, sparse
        )
    return grads


def _through_time(hidden, W_hh, batch, source, relu):
    """Turn one direction's states into the gradients of its pre-activations,
    in place, step by step from the last; ``source`` adds each step's gradient
    from outside the recurrence (a pooling, or the layer above)."""
    # dh @ W_hh.T at every step: contiguous, it multiplies ~25% faster at H=64.
    W_hh_T = np.ascontiguousarray(W_hh.T)
    offsets, sizes = batch.step_offsets, batch.batch_sizes
    n_steps = len(sizes)
    # Each step turns its block of h_t into dL/da_t = f'(a_t) * dL/dh_t in place:
    # no second array the size of ``hidden``, and the block is still in cache for
    # the matrix product that follows. Small batches turn every h into f' up
    # front, in two calls instead of two per step; large ones do it block by
    # block while in cache. A source that compares states (max pooling) needs
    # them as they are.
    whole = hidden.size <= _SMALL_STATES and not source.reads_states
    if whole:
        _derivative(hidden, relu)
    # dh[i] is dL/dh_t of sorted sequence i at the current step.
    dh = np.zeros((batch.n_sequences, W_hh.shape[0]), dtype=hidden.dtype)
    for t in range(n_steps - 1, -1, -1):
        start, n = offsets[t], sizes[t]
        block = hidden[start : start + n]
        source.gradient(dh, block, t, sizes[t + 1] if t + 1 < n_steps else 0)
        if not whole:
            _derivative(block, relu)
        block *= dh[:n]
        if t:
            np.matmul(block, W_hh_T, out=dh[:n])
            _flush_subnormals(dh[:n], t)
    return hidden


def _derivative(h, relu):
    """The activation's derivative, from its output, in place: ``1 - h^2`` for
    tanh; for ReLU 1 where ``h > 0`` and 0 where it is 0 (its sign)."""
    if relu:
        np.sign(h, out=h)
    else:
        np.multiply(h, h, out=h)
        np.subtract(1.0, h, out=h)


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

    __slots__ = ("rows", "values", "base", "decay", "scale", "more")

    def __init__(self, rows, values, base, more=()):
        self.rows = rows
        self.values = values
        self.base = base
        self.decay = 0.0
        self.scale = 1.0
        # Further (rows, values) parts added to this one, in order (the shards
        # of a batch, see combine): summed one slice of rows at a time, where
        # they are used, rather than merged into one array first.
        self.more = tuple(more)

    def parts(self):
        return ((self.rows, self.values), *self.more)

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
        for rows, values in self.more:
            # Rows are distinct within a part: += adds each once. A row's sum
            # is its parts' values added in order, as merging them would be.
            first, last = np.searchsorted(rows, [start, stop])
            out[rows[first:last] - start] += values[first:last]
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
        if not self.decay and not self.more:
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


def _penalized(params, frozen=()):
    """The matrices the L2 penalty applies to: every weight matrix the training
    changes (biases are not penalized)."""
    return [n for n in params if n.startswith("W_") and n not in frozen]


def penalty(params, alpha, total_weight, frozen=()):
    """The L2 penalty ``alpha / 2 * ||W||^2 / total_weight`` of the loss."""
    if not alpha:
        return 0.0
    squares = sum(np.vdot(params[n], params[n]) for n in _penalized(params, frozen))
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
    frozen=(),
    total_weight=None,
    **network,
):
    """Weighted mean loss plus L2 penalty, and its gradient.

    ``loss = sum_i w_i * l_i / sum(w) + alpha / 2 * ||W||^2 / sum(w)`` where ``l_i``
    is sample ``i``'s loss (``-log p_i[y_i]`` for "log_loss", half its mean
    squared error for "squared_error") and ``||W||^2`` sums the squares of the
    weight matrices (every ``W_*`` parameter not ``frozen``). Dividing the
    penalty by the total weight follows scikit-learn's MLP, so ``alpha`` means
    the same thing for any batch size.

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
    frozen : collection of str, default=()
        Parameters held fixed: no gradient, no penalty.
    total_weight : float, default=None
        ``sum(w)`` of the whole batch when ``batch`` is one shard of it: the
        loss and gradients are then this shard's share of the batch's (sum
        the shares with :func:`combine`). None: ``sum(sample_weight)``.
    **network
        :func:`forward`'s keyword arguments (pooling, nonlinearity, dropout
        rates, rng). With dropout, the loss and gradients are those of the
        network with the masks drawn from ``rng``.

    Returns
    -------
    loss : float
    grads : dict of ndarray (and RowSparseGradient)
    outputs : ndarray of shape (n_sequences, n_outputs)
        Class probabilities ("log_loss") or predictions ("squared_error")
        computed on the way (before any update).
    """
    logits, state = forward(params, batch, **network)
    w = np.ones(len(y), dtype=logits.dtype) if sample_weight is None else sample_weight
    total = w.sum() if total_weight is None else total_weight
    losses, dlogits, outputs = LOSSES[loss].unit_gradient(logits, y)
    value = (w * losses).sum() / total
    dlogits *= (w / total)[:, None]
    grads = backward(params, batch, state, dlogits, sparse=sparse, frozen=frozen)
    value = add_penalty(float(value), grads, params, alpha, total, frozen)
    return value, grads, outputs


def add_penalty(value, grads, params, alpha, total_weight, frozen=()):
    """The loss ``value`` plus the L2 penalty; its gradient is added to
    ``grads`` (in place)."""
    if not alpha:
        return value
    value += penalty(params, alpha, total_weight, frozen)
    # A Python float keeps float32 weights float32.
    decay = float(alpha / total_weight)
    for name in _penalized(params, frozen):
        if isinstance(grads[name], RowSparseGradient):
            grads[name].decay = decay
        else:
            _add_scaled(grads[name], decay, params[name])
    return float(value)


def combine(shares):
    """The loss and gradients of a batch from those of its shards, given as
    ``(loss, grads)`` pairs in shard order (see ``total_weight`` in
    :func:`loss_and_gradients`). Always summed in that order, so the result
    does not depend on where, or in what order, the shards were computed.
    """
    value = 0.0
    for share, _ in shares:
        value += share
    grads = {}
    for name in shares[0][1]:
        parts = [g[name] for _, g in shares]
        if all(isinstance(p, RowSparseGradient) for p in parts):
            every = [part for p in parts for part in p.parts()]
            grads[name] = RowSparseGradient(*every[0], parts[0].base, every[1:])
            continue
        total = np.array(parts[0], copy=True)
        for part in parts[1:]:
            total += np.asarray(part)
        grads[name] = total
    return value, grads


# ---------------------------------------------------------------- prediction
# Hidden-state elements below which prediction keeps them all (2 MiB in float64).
_SMALL_STATES = 2**18
# A stacked network keeps every state of a chunk: chunks then hold at most this
# many steps (unless one sequence alone is longer).
_STACKED_CHUNK_STEPS = 2**16


def _chunks(offsets, chunk_size, max_steps=None):
    """Consecutive index ranges of at most ``chunk_size`` sequences (and, with
    ``max_steps``, of at most that many steps, or a single sequence)."""
    n = len(offsets) - 1
    start = 0
    while start < n:
        stop = min(start + chunk_size, n)
        if max_steps is not None:
            limit = offsets[start] + max_steps
            stop = min(
                stop, max(start + 1, int(np.searchsorted(offsets, limit, "right")) - 1)
            )
        yield np.arange(start, stop)
        start = stop


def _prediction_chunks(params, values, offsets, chunk_size):
    steps = _STACKED_CHUNK_STEPS if n_layers(params) > 1 else None
    for idx in _chunks(offsets, chunk_size, steps):
        yield idx, pack(values, offsets, idx)


def predict_logits(
    params, values, offsets, chunk_size=1024, *, pooling="last", nonlinearity="tanh"
):
    """Logits for every stored sequence, ``chunk_size`` sequences at a time."""
    pooled = predict_pooled(
        params, values, offsets, chunk_size, pooling=pooling, nonlinearity=nonlinearity
    )
    # In place: the summaries are this call's own array.
    logits = pooled @ params["W_hy"]
    logits += params["b_y"]
    return logits


def predict_pooled(
    params, values, offsets, chunk_size=1024, *, pooling="last", nonlinearity="tanh"
):
    """The summary each stored sequence gives the output layer (see
    :func:`forward`'s ``pooling``), ``chunk_size`` sequences at a time.

    Unlike :func:`forward`, which keeps every hidden state for backpropagation,
    a one-layer network keeps one hidden state per sequence and direction, so
    memory is bounded by the chunk (its inputs and ``chunk_size x hidden_size``
    states) however long the sequences are. Chunks whose states would all fit in
    ``_SMALL_STATES`` elements keep them all, which makes fewer calls per step.
    Both run the same step function, operation for operation. A stacked network
    keeps the states of its chunk, whose steps are then bounded instead.
    """
    relu = nonlinearity == "relu"
    dirs = directions(params)
    out = np.empty(
        (len(offsets) - 1, params["W_hy"].shape[0]), dtype=params["b_h"].dtype
    )
    for idx, batch in _prediction_chunks(params, values, offsets, chunk_size):
        n_hidden = params["W_hh"].shape[0]
        if n_layers(params) > 1 or len(batch.inputs) * n_hidden <= _SMALL_STATES:
            _, state = forward(
                params, batch, pooling=pooling, nonlinearity=nonlinearity
            )
            out[idx[batch.order]] = state.pooled
            continue
        summaries = []
        for reverse in dirs:
            pool = make_pooling(pooling, batch.n_sequences, n_hidden, out.dtype)
            W_hh = params[cell_name("W_hh", 0, reverse)]
            _scan(W_hh, batch, pool, relu, lookup=_Lookup(params, batch, reverse))
            summaries.append(pool.result(batch.lengths))
        out[idx[batch.order]] = summaries[0] if len(dirs) == 1 else np.hstack(summaries)
    return out


def predict_prefix_logits(
    params, values, offsets, chunk_size=1024, *, pooling="last", nonlinearity="tanh"
):
    """Logits of every prefix of every stored sequence: what the model would output
    if the sequence ended at each of its steps.

    Returns a list with one array of shape (length, n_outputs) per sequence. The
    summary of a prefix is its last state, or the mean or maximum of its states,
    as ``pooling`` says, so the last row equals :func:`predict_logits`. A
    bidirectional network has no such outputs (its backward direction starts
    from the end): it raises ValueError.
    """
    if len(directions(params)) > 1:
        raise ValueError(
            "A bidirectional network has no output after each step: its backward "
            "direction reads each sequence from its end."
        )
    out = []
    for _, batch in _prediction_chunks(params, values, offsets, chunk_size):
        summaries = np.empty(
            (len(batch.inputs), params["W_hy"].shape[0]), dtype=params["b_h"].dtype
        )
        forward(
            params,
            batch,
            pooling=pooling,
            nonlinearity=nonlinearity,
            prefix_out=summaries,
        )
        logits = summaries @ params["W_hy"] + params["b_y"]
        unsorted = [None] * batch.n_sequences
        for i, (j, length) in enumerate(zip(batch.order, batch.lengths, strict=True)):
            unsorted[j] = logits[batch.step_offsets[:length] + i]
        out += unsorted
    return out
