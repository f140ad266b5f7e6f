"""Tests for the recurrent math in ``sklearn_rnn._rnn``.

Everything runs in float64 on tiny models so the whole file stays fast; the PyTorch
comparison is skipped when torch is not installed.
"""

import tracemalloc

import numpy as np
import pytest

from sklearn_rnn._rnn import (
    PARAM_NAMES,
    backward,
    forward,
    init_params,
    log_softmax,
    loss_and_gradients,
    pack,
    predict_logits,
    softmax,
)

N_VOCAB = 7
N_FEATURES = 4
HIDDEN = 5
N_CLASSES = 3
# Variable lengths in one batch, with an empty sequence, a length-1 sequence and ties.
LENGTHS = (3, 0, 1, 5, 2, 5, 4)
INPUT_KINDS = ("tokens", "numeric")
# L2 regularisation applies to the weight matrices only, never to the biases.
WEIGHT_NAMES = ("W_xh", "W_hh", "W_hy")


# --------------------------------------------------------------------------- helpers


def make_ragged(rng, lengths, kind):
    """Ragged storage (values, offsets) of sequences with the given lengths."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.intp)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if kind == "tokens":
        values = rng.integers(0, N_VOCAB, size=total)
    else:
        values = rng.normal(size=(total, N_FEATURES))
    return values, offsets


def n_inputs(kind):
    return N_VOCAB if kind == "tokens" else N_FEATURES


def make_params(rng, kind, scale=0.5):
    """Initial parameters moved away from init so that tanh is far from linear."""
    params = init_params(
        rng, n_inputs(kind), HIDDEN, N_CLASSES, token_input=kind == "tokens"
    )
    return {
        name: value + scale * rng.normal(size=value.shape)
        for name, value in params.items()
    }


def sequence(values, offsets, j):
    return values[offsets[j] : offsets[j + 1]]


def reference_logits(params, seq):
    """Straightforward per-sequence recurrence, one step at a time, for comparison."""
    h = np.zeros(params["W_hh"].shape[0])
    for x in seq:
        # One-hot row vector for a token, a feature vector otherwise.
        if np.ndim(x) == 0:
            x = np.eye(params["W_xh"].shape[0])[x]
        h = np.tanh(x @ params["W_xh"] + h @ params["W_hh"] + params["b_h"])
    return h @ params["W_hy"] + params["b_y"]


def numerical_gradient(f, x, eps=1e-6):
    """Central finite differences of the scalar function ``f()`` w.r.t. array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored afterwards.
    """
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        f_plus = f()
        flat[i] = orig - eps
        f_minus = f()
        flat[i] = orig
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(numerical, analytic):
    return np.max(np.abs(numerical - analytic)) / np.max(np.abs(numerical))


# -------------------------------------------------------------------------- fixtures


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=INPUT_KINDS)
def kind(request):
    return request.param


@pytest.fixture
def problem(rng, kind):
    """A batch of variable-length sequences, parameters, targets and weights."""
    values, offsets = make_ragged(rng, LENGTHS, kind)
    params = make_params(rng, kind)
    n = len(LENGTHS)
    y = rng.integers(0, N_CLASSES, size=n)
    sample_weight = rng.uniform(0.2, 3.0, size=n)
    indices = np.arange(n)
    return {
        "values": values,
        "offsets": offsets,
        "params": params,
        "y": y,
        "sample_weight": sample_weight,
        "indices": indices,
        "kind": kind,
    }


# ------------------------------------------------------------------ gradient checks


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_gradient_matches_finite_differences(problem, name):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    y, sw = problem["y"], problem["sample_weight"]
    alpha = 0.3
    batch = pack(values, offsets, problem["indices"])
    assert 0 in batch.lengths and 1 in batch.lengths

    def loss():
        return loss_and_gradients(params, batch, y, sample_weight=sw, alpha=alpha)[0]

    _, grads, _ = loss_and_gradients(params, batch, y, sample_weight=sw, alpha=alpha)
    assert grads[name].shape == params[name].shape
    numerical = numerical_gradient(loss, params[name])
    assert np.max(np.abs(numerical)) > 1e-4
    assert relative_error(numerical, grads[name]) < 1e-6


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_gradient_of_large_batch_code_paths(problem, name, monkeypatch):
    """Large batches take other routes (tanh' block by block, token gradient summed
    by id instead of a one-hot product): the same gradient, to rounding."""
    import sklearn_rnn._rnn as rnn

    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    y, sw = problem["y"], problem["sample_weight"]
    batch = pack(values, offsets, problem["indices"])
    small = loss_and_gradients(params, batch, y, sample_weight=sw, alpha=0.3)[1]
    monkeypatch.setattr(rnn, "_SMALL_STATES", 0)
    monkeypatch.setattr(rnn, "_SMALL_ONE_HOT", 0)
    large = loss_and_gradients(params, batch, y, sample_weight=sw, alpha=0.3)[1]
    np.testing.assert_allclose(large[name], small[name], rtol=1e-12, atol=1e-15)
    assert np.max(np.abs(large[name])) > 1e-4


def test_gradient_keys_and_dtypes(problem):
    batch = pack(problem["values"], problem["offsets"], problem["indices"])
    _, grads, proba = loss_and_gradients(problem["params"], batch, problem["y"])
    assert set(grads) == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert grads[name].shape == problem["params"][name].shape
        assert grads[name].dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_float32_gradient_matches_finite_differences(problem, name):
    """The float32 path: analytic gradients against float64 finite differences.

    float32 rounding (about 6e-8 relative) bounds the agreement, so the tolerance
    is 1e-4 instead of float64's 1e-6.
    """
    values, offsets = problem["values"], problem["offsets"]
    params32 = {k: v.astype(np.float32) for k, v in problem["params"].items()}
    # The float64 reference uses exactly the float32 parameter values.
    params64 = {k: v.astype(np.float64) for k, v in params32.items()}
    if problem["kind"] == "numeric":
        values32 = values.astype(np.float32)
        values = values32.astype(np.float64)
    else:
        values32 = values
    y, sw = problem["y"], problem["sample_weight"]
    batch32 = pack(values32, offsets, problem["indices"])
    batch64 = pack(values, offsets, problem["indices"])
    loss32, grads32, proba32 = loss_and_gradients(
        params32, batch32, y, sample_weight=sw, alpha=0.3
    )
    assert grads32[name].dtype == np.float32 and proba32.dtype == np.float32

    def loss():
        return loss_and_gradients(params64, batch64, y, sample_weight=sw, alpha=0.3)[0]

    numerical = numerical_gradient(loss, params64[name])
    assert np.max(np.abs(numerical)) > 1e-4
    assert relative_error(numerical, grads32[name]) < 1e-4
    assert loss32 == pytest.approx(loss(), rel=1e-5)


def test_float32_step_flushes_subnormals():
    """Vanishing values become exact zeros instead of subnormals (slow on x86)."""
    rng = np.random.default_rng(0)
    params = init_params(rng, 3, 8, 2, token_input=True, dtype=np.float32)
    params["W_xh"][:2] = 0.0  # the pad and unknown rows, as the classifier sets them
    params["W_xh"][2] = 1.0
    params["W_hh"] *= 0.1  # strongly contracting: h_t decays by ~10x per step
    # One informative token, then 200 unknown (zero-row) tokens.
    values = np.array([2] + [0] * 200)
    offsets = np.array([0, len(values)])
    batch = pack(values, offsets, [0])
    _, state = forward(params, batch)
    tiny = np.finfo(np.float32).tiny
    magnitude = np.abs(state.hidden)
    assert magnitude[0].max() > 0.1
    assert not ((magnitude > 0) & (magnitude < tiny)).any()
    assert (magnitude[-1] == 0).all()
    dh = np.abs(backward(params, batch, state, np.ones((1, 2), np.float32))["b_h"])
    assert np.isfinite(dh).all()


# ------------------------------------------------------------- reference and loss


def test_forward_matches_step_by_step_reference(problem):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    logits, state = forward(params, pack(values, offsets, problem["indices"]))
    hidden = state.hidden
    assert logits.shape == (len(LENGTHS), N_CLASSES)
    assert hidden.shape == (sum(LENGTHS), HIDDEN)
    for j in range(len(LENGTHS)):
        expected = reference_logits(params, sequence(values, offsets, j))
        np.testing.assert_allclose(logits[j], expected, rtol=1e-12, atol=1e-14)


def test_loss_matches_weighted_mean_formula(problem):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    y, sw = problem["y"], problem["sample_weight"]
    alpha = 0.7
    batch = pack(values, offsets, problem["indices"])
    loss, _, proba = loss_and_gradients(params, batch, y, sample_weight=sw, alpha=alpha)

    logits = np.array(
        [reference_logits(params, sequence(values, offsets, j)) for j in range(len(y))]
    )
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    penalty = 0.5 * alpha * sum(np.sum(params[w] ** 2) for w in WEIGHT_NAMES)
    expected = (-(sw * np.log(p[np.arange(len(y)), y])).sum() + penalty) / sw.sum()
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(proba, p, rtol=1e-12)

    # No sample_weight means unit weights.
    unweighted = loss_and_gradients(params, batch, y, alpha=alpha)[0]
    ones = loss_and_gradients(
        params, batch, y, sample_weight=np.ones(len(y)), alpha=alpha
    )[0]
    assert unweighted == pytest.approx(ones, rel=1e-14)
    assert unweighted != pytest.approx(loss, rel=1e-3)


def test_loss_and_gradients_do_not_modify_params(problem):
    params = problem["params"]
    before = {k: v.copy() for k, v in params.items()}
    batch = pack(problem["values"], problem["offsets"], problem["indices"])
    loss_and_gradients(params, batch, problem["y"], problem["sample_weight"], 0.5)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(params[name], before[name])


# ------------------------------------------------------ batching is per-sequence


def test_batch_equals_sequences_alone(problem):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    y, sw = problem["y"], problem["sample_weight"]
    alpha = 0.4
    n = len(y)
    batch = pack(values, offsets, problem["indices"])
    logits, _ = forward(params, batch)
    loss, grads, _ = loss_and_gradients(params, batch, y, sample_weight=sw, alpha=alpha)

    total = sw.sum()
    expected_loss = 0.0
    expected_grads = {k: np.zeros_like(v) for k, v in params.items()}
    for j in range(n):
        single = pack(values, offsets, [j])
        single_logits, _ = forward(params, single)
        np.testing.assert_allclose(logits[j], single_logits[0], rtol=1e-12, atol=1e-14)
        # Each sequence alone, unregularised and unweighted (mean over one sample).
        loss_j, grads_j, _ = loss_and_gradients(params, single, y[j : j + 1])
        expected_loss += sw[j] * loss_j / total
        for name in PARAM_NAMES:
            expected_grads[name] += sw[j] / total * grads_j[name]
    for name in WEIGHT_NAMES:
        expected_loss += 0.5 * alpha * np.sum(params[name] ** 2) / total
        expected_grads[name] += alpha / total * params[name]

    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(
            grads[name], expected_grads[name], rtol=1e-10, atol=1e-14, err_msg=name
        )


def test_batch_order_does_not_matter(problem, rng):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    y, sw, indices = problem["y"], problem["sample_weight"], problem["indices"]
    batch = pack(values, offsets, indices)
    logits, _ = forward(params, batch)
    loss, grads, proba = loss_and_gradients(params, batch, y, sw, alpha=0.2)

    perm = rng.permutation(len(indices))
    assert not np.array_equal(perm, np.arange(len(indices)))
    batch_p = pack(values, offsets, indices[perm])
    logits_p, _ = forward(params, batch_p)
    np.testing.assert_allclose(logits_p, logits[perm], rtol=1e-12, atol=1e-14)

    loss_p, grads_p, proba_p = loss_and_gradients(
        params, batch_p, y[perm], sw[perm], alpha=0.2
    )
    assert loss_p == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(proba_p, proba[perm], rtol=1e-12)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(grads_p[name], grads[name], rtol=1e-10, atol=1e-14)


def test_repeated_and_subset_indices(problem):
    """A batch may hold any subset of the stored sequences, repeats included."""
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    full, _ = forward(params, pack(values, offsets, problem["indices"]))
    indices = np.array([3, 1, 3, 6, 2, 3])
    logits, _ = forward(params, pack(values, offsets, indices))
    np.testing.assert_allclose(logits, full[indices], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("target", range(len(LENGTHS)))
def test_padding_never_leaks(rng, kind, target):
    values, offsets = make_ragged(rng, LENGTHS, kind)
    params = make_params(rng, kind)
    indices = np.arange(len(LENGTHS))
    logits, _ = forward(params, pack(values, offsets, indices))

    # Lengthen every other sequence by 1..6 extra steps (the empty one included).
    extra = rng.integers(1, 7, size=len(LENGTHS))
    extra[target] = 0
    new_lengths = np.array(LENGTHS) + extra
    new_values, new_offsets = make_ragged(rng, new_lengths, kind)
    for j, length in enumerate(LENGTHS):
        start = new_offsets[j]
        new_values[start : start + length] = sequence(values, offsets, j)
    batch = pack(new_values, new_offsets, indices)
    assert batch.lengths[0] > max(LENGTHS)
    new_logits, _ = forward(params, batch)
    np.testing.assert_allclose(
        new_logits[target], logits[target], rtol=1e-12, atol=1e-14
    )

    # Its gradient does not see the other sequences either, once they weigh nothing.
    y = rng.integers(0, N_CLASSES, size=len(LENGTHS))
    sw = np.zeros(len(LENGTHS))
    sw[target] = 1.0
    _, grads, _ = loss_and_gradients(params, batch, y, sample_weight=sw)
    _, single, _ = loss_and_gradients(
        params, pack(values, offsets, [target]), y[target : target + 1]
    )
    for name in PARAM_NAMES:
        np.testing.assert_allclose(grads[name], single[name], rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------- softmax stability


HUGE_LOGITS = np.array(
    [
        [1000.0, -1000.0, 0.0],
        [1e308, 0.0, -5.0],
        [-1000.0, -1000.0, -1000.0],
        [1e300, 1e300, -1e300],
        [0.5, -0.25, 2.0],
    ]
)


def test_softmax_stable_for_huge_logits():
    before = HUGE_LOGITS.copy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(HUGE_LOGITS)
        log_p = log_softmax(HUGE_LOGITS)
    np.testing.assert_array_equal(HUGE_LOGITS, before)  # inputs left untouched
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(log_p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    assert np.all(p >= 0) and np.all(log_p <= 0)
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(p[1], [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(p[2], [1 / 3] * 3, rtol=1e-15)
    np.testing.assert_allclose(p[3], [0.5, 0.5, 0.0], rtol=1e-15)
    np.testing.assert_allclose(log_p[0], [0.0, -2000.0, -1000.0], rtol=1e-15)
    np.testing.assert_allclose(log_p[1], [0.0, -1e308, -1e308], rtol=1e-15)

    # log_softmax agrees with log(softmax) wherever the latter does not underflow.
    with np.errstate(divide="ignore"):
        log_of_p = np.log(p)
    finite = np.isfinite(log_of_p)
    assert finite.sum() >= 8
    np.testing.assert_allclose(log_p[finite], log_of_p[finite], rtol=1e-12, atol=1e-15)
    # ... and with the textbook formula for moderate logits.
    row = HUGE_LOGITS[4]
    np.testing.assert_allclose(
        log_p[4], row - np.log(np.exp(row).sum()), rtol=1e-14, atol=0
    )


def test_softmax_in_place_equals_a_copy():
    z = HUGE_LOGITS.copy()
    expected = softmax(z)
    out = softmax(z, overwrite=True)
    assert out is z
    np.testing.assert_array_equal(out, expected)


def test_softmax_last_axis_of_1d_and_3d_arrays(rng):
    z = rng.normal(size=(2, 3, 4)) * 50
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(softmax(z[0, 0]), p[0, 0], rtol=1e-15)
    np.testing.assert_allclose(np.exp(log_softmax(z)), p, rtol=1e-12)


@pytest.mark.parametrize("correct", [True, False])
def test_loss_finite_for_confident_predictions(rng, correct):
    kind = "tokens"
    values, offsets = make_ragged(rng, LENGTHS, kind)
    params = make_params(rng, kind)
    params["W_hy"][:] = 0.0
    params["b_y"][:] = [1000.0, -1000.0, 0.0]
    y = np.full(len(LENGTHS), 0 if correct else 1)
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grads, proba = loss_and_gradients(params, batch, y, alpha=0.0)
    assert np.isfinite(loss)
    assert loss == pytest.approx(0.0 if correct else 2000.0, abs=1e-12)
    assert np.all(np.isfinite(proba))
    for name in PARAM_NAMES:
        assert np.all(np.isfinite(grads[name])), name


# --------------------------------------------------------------- empty sequences


def test_empty_sequence_logits_equal_output_bias(problem):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    empty = LENGTHS.index(0)
    logits, _ = forward(params, pack(values, offsets, problem["indices"]))
    np.testing.assert_array_equal(logits[empty], params["b_y"])
    alone, state = forward(params, pack(values, offsets, [empty]))
    np.testing.assert_array_equal(alone, params["b_y"][None, :])
    assert state.hidden.shape == (0, HIDDEN)


def test_batch_of_only_empty_sequences(problem):
    params = problem["params"]
    kind = problem["kind"]
    values, offsets = make_ragged(np.random.default_rng(1), (0, 0, 0), kind)
    batch = pack(values, offsets, [0, 1, 2])
    assert len(batch.batch_sizes) == 0 and batch.inputs.shape[0] == 0
    np.testing.assert_array_equal(batch.last_rows, [-1, -1, -1])
    logits, _ = forward(params, batch)
    np.testing.assert_array_equal(logits, np.tile(params["b_y"], (3, 1)))

    y = np.array([0, 2, 2])
    loss, grads, _ = loss_and_gradients(params, batch, y)
    # Only the output bias can be learnt from empty sequences.
    for name in ("W_xh", "W_hh", "b_h", "W_hy"):
        np.testing.assert_array_equal(grads[name], 0.0)
    p = softmax(params["b_y"])
    expected_b_y = p - np.bincount(y, minlength=N_CLASSES) / 3
    np.testing.assert_allclose(grads["b_y"], expected_b_y, rtol=1e-12)
    assert loss == pytest.approx(-np.log(p[y]).mean(), rel=1e-12)


# ------------------------------------------------------------------------ pack()


@pytest.mark.parametrize(
    "indices",
    [np.arange(len(LENGTHS)), np.array([6, 1, 0, 3]), np.array([2]), np.array([5, 3])],
)
def test_pack_layout(rng, kind, indices):
    values, offsets = make_ragged(rng, LENGTHS, kind)
    batch = pack(values, offsets, indices)
    lengths = np.diff(offsets)[indices]
    total = int(lengths.sum())
    n = len(indices)

    sizes = batch.batch_sizes
    assert np.all(np.diff(sizes) <= 0)
    assert sizes.sum() == total
    assert len(sizes) == lengths.max()
    np.testing.assert_array_equal(np.sort(batch.order), np.arange(n))
    np.testing.assert_array_equal(batch.lengths, lengths[batch.order])
    assert np.all(np.diff(batch.lengths) <= 0)
    # Stable: ties keep the caller's order.
    for a, b in zip(batch.order[:-1], batch.order[1:], strict=True):
        if lengths[a] == lengths[b]:
            assert a < b
    np.testing.assert_array_equal(batch.step_offsets, np.r_[0, np.cumsum(sizes)])
    assert batch.n_sequences == n
    assert batch.is_tokens == (kind == "tokens")

    # No padding: exactly one row per real step.
    assert batch.inputs.shape[0] == total
    row_bytes = values.itemsize * (1 if kind == "tokens" else N_FEATURES)
    assert batch.inputs.nbytes == total * row_bytes

    # Every row holds the right step of the right sequence.
    for i, j in enumerate(batch.order):
        seq = sequence(values, offsets, indices[j])
        rows = batch.step_offsets[: len(seq)] + i
        np.testing.assert_array_equal(batch.inputs[rows], seq)
        if len(seq):
            assert batch.last_rows[i] == rows[-1]
            np.testing.assert_array_equal(
                batch.prev_rows[rows[1:] - sizes[0]], rows[:-1]
            )
        else:
            assert batch.last_rows[i] == -1
    assert len(batch.prev_rows) == total - sizes[0]


def test_pack_ties_are_stable():
    offsets = np.array([0, 2, 4, 6, 7])
    values = np.arange(7)
    batch = pack(values, offsets, [3, 2, 0, 1])
    np.testing.assert_array_equal(batch.order, [1, 2, 3, 0])
    np.testing.assert_array_equal(batch.batch_sizes, [4, 3])
    np.testing.assert_array_equal(batch.inputs, [4, 0, 2, 6, 5, 1, 3])


# ------------------------------------------------------------------ init_params


@pytest.mark.parametrize("make_rng", [np.random.RandomState, np.random.default_rng])
@pytest.mark.parametrize("token_input", [True, False])
def test_init_params_deterministic_and_shaped(make_rng, token_input):
    a = init_params(make_rng(42), 6, HIDDEN, N_CLASSES, token_input=token_input)
    b = init_params(make_rng(42), 6, HIDDEN, N_CLASSES, token_input=token_input)
    c = init_params(make_rng(43), 6, HIDDEN, N_CLASSES, token_input=token_input)
    shapes = {
        "W_xh": (6, HIDDEN),
        "W_hh": (HIDDEN, HIDDEN),
        "b_h": (HIDDEN,),
        "W_hy": (HIDDEN, N_CLASSES),
        "b_y": (N_CLASSES,),
    }
    assert tuple(a) == PARAM_NAMES
    for name in PARAM_NAMES:
        assert a[name].shape == shapes[name]
        assert a[name].dtype == np.float64
        np.testing.assert_array_equal(a[name], b[name])
    for name in WEIGHT_NAMES:
        assert not np.array_equal(a[name], c[name])
    np.testing.assert_array_equal(a["b_h"], 0.0)
    np.testing.assert_array_equal(a["b_y"], 0.0)

    fan_in = 1 if token_input else 6
    assert np.abs(a["W_xh"]).max() <= np.sqrt(6 / (fan_in + HIDDEN))
    assert np.abs(a["W_hh"]).max() <= 1 / np.sqrt(HIDDEN)
    assert np.abs(a["W_hy"]).max() <= np.sqrt(6 / (HIDDEN + N_CLASSES))


def test_init_params_draws_depend_only_on_sizes():
    """Token and numeric input use the same random stream; only the scale differs."""
    rng_tok, rng_num = np.random.RandomState(0), np.random.RandomState(0)
    tok = init_params(rng_tok, 6, HIDDEN, N_CLASSES, token_input=True)
    num = init_params(rng_num, 6, HIDDEN, N_CLASSES, token_input=False)
    np.testing.assert_array_equal(tok["W_hh"], num["W_hh"])
    np.testing.assert_array_equal(tok["W_hy"], num["W_hy"])
    ratio = np.sqrt(6 / (1 + HIDDEN)) / np.sqrt(6 / (6 + HIDDEN))
    np.testing.assert_allclose(tok["W_xh"], ratio * num["W_xh"], rtol=1e-14)
    # Both consumed the same number of draws.
    assert rng_tok.uniform() == rng_num.uniform()

    # The dtype only casts: same values, rounded.
    f32 = init_params(
        np.random.RandomState(0),
        6,
        HIDDEN,
        N_CLASSES,
        token_input=True,
        dtype=np.float32,
    )
    for name in PARAM_NAMES:
        assert f32[name].dtype == np.float32
        np.testing.assert_array_equal(f32[name], tok[name].astype(np.float32))


def test_init_params_hidden_states_not_saturated(rng):
    """At init, hidden states are neither vanishing nor saturated (tanh' not ~0)."""
    values, offsets = make_ragged(rng, [30] * 20, "tokens")
    params = init_params(
        np.random.RandomState(0), N_VOCAB, 32, N_CLASSES, token_input=True
    )
    _, state = forward(params, pack(values, offsets, np.arange(20)))
    mean_abs = np.abs(state.hidden).mean()
    assert 0.1 < mean_abs < 0.9


# --------------------------------------------------------------- predict_logits


@pytest.mark.parametrize("chunk_size", [1, 3, 1024])
def test_predict_logits_chunking(problem, chunk_size):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    expected, _ = forward(params, pack(values, offsets, problem["indices"]))
    got = predict_logits(params, values, offsets, chunk_size=chunk_size)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_predict_logits_keeps_no_per_step_hidden_states(kind):
    """Prediction memory does not grow with length x hidden size, as training's does."""
    rng = np.random.default_rng(0)
    hidden_size, length = 512, 10_000
    params = init_params(
        rng, n_inputs(kind), hidden_size, 2, token_input=kind == "tokens"
    )
    values, offsets = make_ragged(rng, [length, 3, length // 2], kind)
    per_step_states = length * hidden_size * 8  # what forward() would allocate
    tracemalloc.start()
    try:
        logits = predict_logits(params, values, offsets)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    input_bytes = values.nbytes
    assert peak < input_bytes * 8 + 10**6
    assert peak < per_step_states / 4
    expected = forward(params, pack(values, offsets, np.arange(3)))[0]
    np.testing.assert_allclose(logits, expected, rtol=1e-12, atol=1e-14)


def test_state_only_forward_equals_forward(problem):
    """The bounded-memory prediction path (used for long chunks) gives forward()'s
    logits, empty and length-1 sequences included."""
    from sklearn_rnn._rnn import _forward_final

    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    batch = pack(values, offsets, problem["indices"])
    expected, _ = forward(params, batch)
    np.testing.assert_allclose(
        _forward_final(params, batch), expected, rtol=1e-12, atol=1e-14
    )


def test_predict_logits_no_sequences(problem):
    params = problem["params"]
    values = problem["values"][:0]
    got = predict_logits(params, values, np.zeros(1, dtype=np.intp))
    assert got.shape == (0, N_CLASSES)


# ---------------------------------------------------------------- backward alone


def test_backward_is_linear_in_dlogits(problem, rng):
    """backward() is the transpose Jacobian: linear in the upstream gradient."""
    params = problem["params"]
    batch = pack(problem["values"], problem["offsets"], problem["indices"])
    _, state = forward(params, batch)
    hidden_copy = state.hidden.copy()
    d1 = rng.normal(size=(len(LENGTHS), N_CLASSES))
    d2 = rng.normal(size=(len(LENGTHS), N_CLASSES))
    # backward() consumes the hidden states, so each call gets its own copy.
    g1 = backward(params, batch, state.copy(), d1)
    g2 = backward(params, batch, state.copy(), d2)
    g12 = backward(params, batch, state.copy(), 2.0 * d1 - d2)
    # state.copy() leaves the original hidden states alone.
    np.testing.assert_array_equal(state.hidden, hidden_copy)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(
            g12[name], 2.0 * g1[name] - g2[name], rtol=1e-10, atol=1e-13
        )


# --------------------------------------------------------------------- PyTorch


def _torch_loss_and_grads(torch, params, values, offsets, y, sw, alpha, kind):
    """The same model built from torch.nn.RNN, run one sequence at a time."""
    f64 = torch.float64
    n_in = params["W_xh"].shape[0]
    rnn = torch.nn.RNN(n_in, HIDDEN, nonlinearity="tanh", batch_first=True, dtype=f64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params["W_xh"].T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params["W_hh"].T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params["b_h"]))
        rnn.bias_hh_l0.zero_()
    W_hy = torch.tensor(params["W_hy"], dtype=f64, requires_grad=True)
    b_y = torch.tensor(params["b_y"], dtype=f64, requires_grad=True)

    finals = []
    for j in range(len(offsets) - 1):
        seq = torch.from_numpy(np.asarray(sequence(values, offsets, j)))
        if len(seq) == 0:
            finals.append(torch.zeros(HIDDEN, dtype=f64))
            continue
        if kind == "tokens":
            x = torch.nn.functional.one_hot(seq, n_in).to(f64)
        else:
            x = seq.to(f64)
        _, h_n = rnn(x[None])  # h_n: (num_layers, batch, hidden)
        finals.append(h_n[0, 0])
    logits = torch.stack(finals) @ W_hy + b_y

    w = torch.from_numpy(sw)
    ce = torch.nn.functional.cross_entropy(
        logits, torch.from_numpy(y), reduction="none"
    )
    penalty = sum((p**2).sum() for p in (rnn.weight_ih_l0, rnn.weight_hh_l0, W_hy))
    loss = ((w * ce).sum() + 0.5 * alpha * penalty) / w.sum()
    loss.backward()
    # b_ih and b_hh enter identically, so either gradient is ours for b_h.
    torch.testing.assert_close(rnn.bias_hh_l0.grad, rnn.bias_ih_l0.grad)
    grads = {
        "W_xh": rnn.weight_ih_l0.grad.T,
        "W_hh": rnn.weight_hh_l0.grad.T,
        "b_h": rnn.bias_ih_l0.grad,
        "W_hy": W_hy.grad,
        "b_y": b_y.grad,
    }
    return (
        loss.item(),
        logits.detach().numpy(),
        {k: v.detach().numpy() for k, v in grads.items()},
    )


def test_matches_pytorch_autograd(problem):
    torch = pytest.importorskip("torch")
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    y, sw, kind = problem["y"], problem["sample_weight"], problem["kind"]
    alpha = 0.3
    batch = pack(values, offsets, problem["indices"])
    loss, grads, _ = loss_and_gradients(params, batch, y, sample_weight=sw, alpha=alpha)
    logits, _ = forward(params, batch)

    t_loss, t_logits, t_grads = _torch_loss_and_grads(
        torch, params, values, offsets, y, sw, alpha, kind
    )
    np.testing.assert_allclose(logits, t_logits, rtol=1e-8, atol=1e-12)
    assert loss == pytest.approx(t_loss, rel=1e-8)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(
            grads[name], t_grads[name], rtol=1e-8, atol=1e-12, err_msg=name
        )
