"""Tests for the recurrent math in ``sklearn_rnn._rnn``: forward pass, pooling,
dropout, losses, backpropagation through time, initialisation and prediction.

Everything runs in float64 on tiny models so the whole file stays fast. Gradient
checks use finite differences; a dropout network is a deterministic function once
its masks are drawn, so every loss evaluation draws them from a fresh generator with
the same seed. The PyTorch comparison is skipped when torch is not installed.
"""

import tracemalloc

import numpy as np
import pytest

import sklearn_rnn._rnn as rnn
from conftest import (
    LENGTHS,
    N_FEATURES,
    N_VOCAB,
    make_ragged,
    numerical_gradient,
    sparse_token_problem,
)
from sklearn_rnn._rnn import (
    PARAM_NAMES,
    RowSparseGradient,
    backward,
    dropout_mask,
    forward,
    init_params,
    log_softmax,
    loss_and_gradients,
    predict_logits,
    predict_pooled,
    predict_prefix_logits,
    softmax,
)
from sklearn_rnn._sequences import pack

HIDDEN = 5
N_CLASSES = 3
EMBED = 2
INPUT_KINDS = ("tokens", "numeric")
POOLINGS = ("last", "mean", "max")
# L2 regularisation applies to the weight matrices only, never to the biases.
WEIGHT_NAMES = ("W_xh", "W_hh", "W_hy")

# name: (kind, init keywords, loss keywords)
CONFIGS = {
    "last-tokens": ("tokens", {}, {}),
    "last-numeric": ("numeric", {}, {}),
    "mean-tokens": ("tokens", {}, {"pooling": "mean"}),
    "mean-numeric": ("numeric", {}, {"pooling": "mean"}),
    "max-tokens": ("tokens", {}, {"pooling": "max"}),
    "max-numeric": ("numeric", {}, {"pooling": "max"}),
    "input-dropout-tokens": ("tokens", {}, {"input_dropout": 0.4}),
    "input-dropout-numeric": ("numeric", {}, {"input_dropout": 0.4}),
    "output-dropout": ("tokens", {}, {"output_dropout": 0.5}),
    "max-output-dropout": ("numeric", {}, {"pooling": "max", "output_dropout": 0.5}),
    "embedding": ("tokens", {"embedding_size": EMBED}, {}),
    "embedding-dropout-mean": (
        "tokens",
        {"embedding_size": EMBED},
        {"pooling": "mean", "input_dropout": 0.3, "output_dropout": 0.3},
    ),
    "squared-error-tokens": ("tokens", {}, {"loss": "squared_error"}),
    "squared-error-max-numeric": (
        "numeric",
        {},
        {"loss": "squared_error", "pooling": "max"},
    ),
}


# --------------------------------------------------------------------------- helpers
def n_inputs(kind):
    return N_VOCAB if kind == "tokens" else N_FEATURES


def make_params(rng, kind, scale=0.5, hidden=HIDDEN, **init_kw):
    """Initial parameters moved away from init so that tanh is far from linear."""
    params = init_params(
        rng, n_inputs(kind), hidden, N_CLASSES, token_input=kind == "tokens", **init_kw
    )
    return {
        name: value + scale * rng.normal(size=value.shape)
        for name, value in params.items()
    }


def make_problem(config, seed=0):
    """Sequences, parameters, targets and weights for a configuration."""
    kind, init_kw, loss_kw = CONFIGS[config]
    rng = np.random.default_rng(seed)
    values, offsets = make_ragged(rng, LENGTHS, kind)
    params = make_params(rng, kind, **init_kw)
    n = len(LENGTHS)
    if loss_kw.get("loss") == "squared_error":
        y = rng.normal(size=(n, N_CLASSES))
    else:
        y = rng.integers(0, N_CLASSES, size=n)
    sw = rng.uniform(0.2, 3.0, size=n)
    return values, offsets, params, y, sw, loss_kw


def sequence(values, offsets, j):
    return values[offsets[j] : offsets[j + 1]]


def reference_states(params, seq):
    """Straightforward per-sequence recurrence, one step at a time."""
    h, states = np.zeros(params["W_hh"].shape[0]), []
    for x in seq:
        # One-hot row vector for a token, a feature vector otherwise.
        if np.ndim(x) == 0:
            x = np.eye(params["W_xh"].shape[0])[x]
        h = np.tanh(x @ params["W_xh"] + h @ params["W_hh"] + params["b_h"])
        states.append(h)
    return states


def reference_logits(params, seq, pooling="last"):
    """The output for one sequence: its last, mean or max state (zero if empty)."""
    states = reference_states(params, seq)
    if not states:
        summary = np.zeros(params["W_hh"].shape[0])
    elif pooling == "last":
        summary = states[-1]
    else:
        summary = getattr(np, pooling)(states, axis=0)
    return summary @ params["W_hy"] + params["b_y"]


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
@pytest.mark.parametrize("config", CONFIGS)
def test_gradient_matches_finite_differences(config):
    values, offsets, params, y, sw, loss_kw = make_problem(config)
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    assert 0 in batch.lengths and 1 in batch.lengths

    def run():
        return loss_and_gradients(
            params, batch, y, sw, 0.3, rng=np.random.default_rng(7), **loss_kw
        )

    _, grads, _ = run()
    assert set(grads) == set(params)
    for name, value in params.items():
        assert grads[name].shape == value.shape, name
        numerical = numerical_gradient(lambda: run()[0], value)
        assert np.max(np.abs(numerical)) > 1e-4, name
        error = relative_error(numerical, grads[name])
        assert error < 1e-6, (name, error)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_gradient_of_large_batch_code_paths(problem, pooling, monkeypatch):
    """Large batches take other routes (tanh' block by block, token gradient summed
    by id instead of a one-hot product): the same gradient, to rounding."""
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    y, sw = problem["y"], problem["sample_weight"]
    batch = pack(values, offsets, problem["indices"])

    def grads():
        return loss_and_gradients(params, batch, y, sw, 0.3, pooling=pooling)[1]

    small = grads()
    monkeypatch.setattr(rnn, "_SMALL_STATES", 0)
    monkeypatch.setattr(rnn, "_SMALL_ONE_HOT", 0)
    large = grads()
    for name in PARAM_NAMES:
        np.testing.assert_allclose(large[name], small[name], rtol=1e-12, atol=1e-15)
        assert np.max(np.abs(large[name])) > 1e-4, name


def test_gradient_keys_and_dtypes(problem):
    batch = pack(problem["values"], problem["offsets"], problem["indices"])
    _, grads, proba = loss_and_gradients(problem["params"], batch, problem["y"])
    assert set(grads) == set(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert grads[name].shape == problem["params"][name].shape
        assert grads[name].dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_float32_gradient_matches_finite_differences(problem):
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
    assert proba32.dtype == np.float32

    def loss():
        return loss_and_gradients(params64, batch64, y, sample_weight=sw, alpha=0.3)[0]

    for name in PARAM_NAMES:
        assert grads32[name].dtype == np.float32, name
        numerical = numerical_gradient(loss, params64[name])
        assert np.max(np.abs(numerical)) > 1e-4, name
        assert relative_error(numerical, grads32[name]) < 1e-4, name
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


def test_max_pooling_gradient_goes_to_one_step_on_ties():
    """A repeated state (a tie for the maximum) gets the gradient once, not twice:
    the gradient equals that of the same network where the tie cannot happen."""
    rng = np.random.default_rng(0)
    params = init_params(rng, 4, HIDDEN, 2, token_input=True)
    params["W_hh"][:] = 0.0  # h_t depends on the token only: repeats tie exactly
    values = np.array([2, 3, 2])  # token 2 twice: h_1 == h_3
    batch = pack(values, np.array([0, 3]), [0])
    tied = loss_and_gradients(params, batch, np.array([1]), pooling="max")[1]
    once = pack(np.array([2, 3]), np.array([0, 2]), [0])
    single = loss_and_gradients(params, once, np.array([1]), pooling="max")[1]
    np.testing.assert_allclose(tied["W_xh"], single["W_xh"], rtol=1e-12)
    np.testing.assert_allclose(tied["b_h"], single["b_h"], rtol=1e-12)


# ------------------------------------------------------------- reference and loss
@pytest.mark.parametrize("pooling", POOLINGS)
def test_forward_matches_step_by_step_reference(problem, pooling):
    """The pooled summary is the last, mean or max of each sequence's own states
    (computed one sequence at a time), and zero for an empty sequence."""
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    batch = pack(values, offsets, problem["indices"])
    logits, state = forward(params, batch, pooling=pooling)
    assert logits.shape == (len(LENGTHS), N_CLASSES)
    assert state.hidden.shape == (sum(LENGTHS), HIDDEN)
    for j in range(len(LENGTHS)):
        expected = reference_logits(params, sequence(values, offsets, j), pooling)
        np.testing.assert_allclose(logits[j], expected, rtol=1e-12, atol=1e-14)


def test_pooling_options_give_different_models(problem):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    batch = pack(values, offsets, problem["indices"])
    outs = [forward(params, batch, pooling=p)[0] for p in POOLINGS]
    longer = np.array(LENGTHS) > 1
    for a in range(3):
        for b in range(a + 1, 3):
            assert not np.allclose(outs[a][longer], outs[b][longer])


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


def test_squared_error_is_half_the_mean_squared_error(problem):
    values, offsets, params = problem["values"], problem["offsets"], problem["params"]
    sw, alpha = problem["sample_weight"], 0.7
    y = np.random.default_rng(3).normal(size=(len(LENGTHS), N_CLASSES))
    batch = pack(values, offsets, problem["indices"])
    loss, _, outputs = loss_and_gradients(
        params, batch, y, sw, alpha, loss="squared_error"
    )
    logits = np.array(
        [reference_logits(params, sequence(values, offsets, j)) for j in range(len(y))]
    )
    # The outputs are the predictions themselves.
    np.testing.assert_allclose(outputs, logits, rtol=1e-12, atol=1e-14)
    per_sample = 0.5 * ((logits - y) ** 2).mean(axis=1)
    np.testing.assert_allclose(
        rnn.LOSSES["squared_error"].per_sample(logits, y), per_sample, rtol=1e-14
    )
    penalty = 0.5 * alpha * sum(np.sum(params[w] ** 2) for w in WEIGHT_NAMES)
    expected = ((sw * per_sample).sum() + penalty) / sw.sum()
    assert loss == pytest.approx(expected, rel=1e-12)


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
    values, offsets = make_ragged(np.random.default_rng(1), (0, 0, 0), problem["kind"])
    batch = pack(values, offsets, [0, 1, 2])
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
        np.random.RandomState(0), 6, HIDDEN, N_CLASSES, token_input=True, dtype="f4"
    )
    for name in PARAM_NAMES:
        assert f32[name].dtype == np.float32
        np.testing.assert_array_equal(f32[name], tok[name].astype(np.float32))


def test_uniform_init_draws_are_unchanged_by_the_options():
    """The core initialisation (uniform W_hh, no embedding) draws the same numbers
    as before the options existed: W_xh, W_hh, W_hy in that order."""
    params = init_params(np.random.RandomState(3), 5, 4, 2, token_input=True)
    rng = np.random.RandomState(3)
    b_xh, b_hh, b_hy = np.sqrt(6 / 5), 1 / 2, np.sqrt(6 / 6)
    np.testing.assert_array_equal(params["W_xh"], rng.uniform(-b_xh, b_xh, (5, 4)))
    np.testing.assert_array_equal(params["W_hh"], rng.uniform(-b_hh, b_hh, (4, 4)))
    np.testing.assert_array_equal(params["W_hy"], rng.uniform(-b_hy, b_hy, (4, 2)))


def test_init_params_hidden_states_not_saturated(rng):
    """At init, hidden states are neither vanishing nor saturated (tanh' not ~0)."""
    values, offsets = make_ragged(rng, [30] * 20, "tokens")
    params = init_params(
        np.random.RandomState(0), N_VOCAB, 32, N_CLASSES, token_input=True
    )
    _, state = forward(params, pack(values, offsets, np.arange(20)))
    mean_abs = np.abs(state.hidden).mean()
    assert 0.1 < mean_abs < 0.9


@pytest.mark.parametrize("hidden", [1, 5, 64])
def test_orthogonal_recurrent_init(hidden):
    def draw():
        return init_params(
            np.random.RandomState(0),
            3,
            hidden,
            2,
            token_input=False,
            recurrent_init="orthogonal",
        )["W_hh"]

    W = draw()
    np.testing.assert_allclose(W @ W.T, np.eye(hidden), atol=1e-12)
    np.testing.assert_array_equal(draw(), W)


def test_embedding_parameters():
    rng = np.random.default_rng(0)
    params = init_params(rng, 50, 6, 2, token_input=True, embedding_size=3)
    assert params["W_emb"].shape == (50, 3)
    assert params["W_xh"].shape == (3, 6)
    # Numeric input has no embedding, whatever is asked.
    numeric = init_params(rng, 4, 6, 2, token_input=False, embedding_size=3)
    assert "W_emb" not in numeric and numeric["W_xh"].shape == (4, 6)


# ------------------------------------------------------------------ dropout
@pytest.mark.parametrize("which", ["input_dropout", "output_dropout"])
def test_dropout_changes_training_pass_only_as_asked(problem, which):
    params, y = problem["params"], problem["y"]
    batch = pack(problem["values"], problem["offsets"], problem["indices"])
    plain = loss_and_gradients(params, batch, y)[0]
    zero = loss_and_gradients(params, batch, y, **{which: 0.0})[0]
    assert zero == plain

    def dropped(seed):
        return loss_and_gradients(
            params, batch, y, rng=np.random.default_rng(seed), **{which: 0.5}
        )[0]

    assert dropped(1) == dropped(1)  # the masks come from the generator alone
    assert dropped(1) != dropped(2)
    assert dropped(1) != plain


def test_dropout_masks_keep_the_expected_value():
    mask = dropout_mask(np.random.default_rng(0), (400, 500), 0.3, np.float64)
    kept = mask > 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(mask[kept], 1 / 0.7)
    assert abs(mask.mean() - 1.0) < 0.01
    assert dropout_mask(np.random.default_rng(0), (3,), 0.3, np.float32).dtype == (
        np.float32
    )


# ------------------------------------------------------------------ sparse gradients
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("embedding_size", [None, 3], ids=["W_xh", "W_emb"])
def test_sparse_token_gradient_is_the_dense_one(alpha, embedding_size):
    params, sparse, dense = sparse_token_problem(alpha, embedding_size)
    name = "W_xh" if embedding_size is None else "W_emb"
    assert params[name].size > rnn._SMALL_DENSE
    assert isinstance(sparse[name], RowSparseGradient)
    assert isinstance(dense[name], np.ndarray)
    assert len(sparse[name].rows) < sparse[name].shape[0] / 3
    for key in dense:
        np.testing.assert_array_equal(np.asarray(sparse[key]), dense[key])


def test_small_token_matrices_get_dense_gradients():
    params = init_params(np.random.default_rng(0), 20, 8, 2, token_input=True)
    batch = pack(np.array([2, 3, 2, 5]), np.array([0, 3, 4]), np.arange(2))
    _, grads, _ = loss_and_gradients(params, batch, np.array([0, 1]), sparse=True)
    assert isinstance(grads["W_xh"], np.ndarray)


# --------------------------------------------------------------- prediction
@pytest.mark.parametrize("config", [c for c in CONFIGS if not c.startswith("squared")])
def test_prediction_paths_equal_forward(config, monkeypatch):
    """Prediction runs the recurrence without keeping every state (when a chunk is
    large) and without dropout, one chunk at a time: forward()'s logits whatever
    the route, for every pooling and with an embedding, empty and length-1
    sequences included."""
    values, offsets, params, _, _, loss_kw = make_problem(config)
    pooling = loss_kw.get("pooling", "last")
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    expected, state = forward(params, batch, pooling=pooling)
    # The state-only scan, straight.
    pool = rnn.make_pooling(pooling, batch.n_sequences, HIDDEN, np.float64)
    lookup = rnn._Lookup(params, batch, reverse=False)
    rnn._scan(params["W_hh"], batch, pool, relu=False, lookup=lookup)
    sorted_logits = pool.result(batch.lengths) @ params["W_hy"] + params["b_y"]
    np.testing.assert_allclose(
        sorted_logits[np.argsort(batch.order)], expected, rtol=1e-12, atol=1e-14
    )
    pooled_forward = state.pooled[np.argsort(batch.order)]
    for small_states in (rnn._SMALL_STATES, 0):  # all states kept, or none
        monkeypatch.setattr(rnn, "_SMALL_STATES", small_states)
        for chunk_size in (1, 3, 1024):
            got = predict_logits(params, values, offsets, chunk_size, pooling=pooling)
            assert got.shape == expected.shape
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
            pooled = predict_pooled(
                params, values, offsets, chunk_size, pooling=pooling
            )
            np.testing.assert_allclose(pooled, pooled_forward, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_prefix_logits_are_the_logits_of_each_prefix(kind, pooling):
    """Row t of a sequence's prefix logits is what the model outputs for the
    sequence cut after step t + 1; the last row is the sequence's own output."""
    values, offsets = make_ragged(np.random.default_rng(0), LENGTHS, kind)
    params = make_params(np.random.default_rng(1), kind)
    full = predict_logits(params, values, offsets, pooling=pooling)
    prefixes = predict_prefix_logits(params, values, offsets, 3, pooling=pooling)
    assert [len(p) for p in prefixes] == list(LENGTHS)
    for j, steps in enumerate(prefixes):
        assert steps.shape == (LENGTHS[j], N_CLASSES)
        seq = sequence(values, offsets, j)
        for t in range(len(seq)):
            expected = reference_logits(params, seq[: t + 1], pooling)
            np.testing.assert_allclose(steps[t], expected, rtol=1e-12, atol=1e-14)
        if len(seq):
            np.testing.assert_allclose(steps[-1], full[j], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_predict_logits_keeps_no_per_step_hidden_states(kind):
    """Prediction memory does not grow with length x hidden size, as training's does."""
    rng = np.random.default_rng(0)
    hidden_size, length = 256, 8_000
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


def test_predict_logits_no_sequences(problem):
    params = problem["params"]
    values = problem["values"][:0]
    no_offsets = np.zeros(1, dtype=np.intp)
    assert predict_logits(params, values, no_offsets).shape == (0, N_CLASSES)
    assert predict_pooled(params, values, no_offsets).shape == (0, HIDDEN)
    assert predict_prefix_logits(params, values, no_offsets) == []


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


# ------------------------------------------- stacked, bidirectional and ReLU networks
# Smaller than HIDDEN: a three-layer bidirectional network then has ~250 parameters
# for the finite differences to perturb one at a time.
DEEP_HIDDEN = 3
# (num_layers, bidirectional, nonlinearity): every combination.
ARCHS = [
    (layers, bidirectional, nonlinearity)
    for layers in (1, 2, 3)
    for bidirectional in (False, True)
    for nonlinearity in ("tanh", "relu")
]
DROPOUT_SEED = 7
ALPHA = 0.3
FORWARD_OPTIONS = (
    "pooling",
    "nonlinearity",
    "input_dropout",
    "layer_dropout",
    "output_dropout",
)

# name: (kind, init keywords, keywords of loss_and_gradients but the nonlinearity)
DEEP_SETUPS = {
    "tokens-last+mean+max-dropout": (
        "tokens",
        {},
        {
            "pooling": "last+mean+max",
            "input_dropout": 0.3,
            "layer_dropout": 0.3,
            "output_dropout": 0.3,
        },
    ),
    "embedding-mean+max-squared-error": (
        "tokens",
        {"embedding_size": EMBED},
        {"pooling": "mean+max", "layer_dropout": 0.4, "loss": "squared_error"},
    ),
    "embedding-frozen-last": (
        "tokens",
        {"embedding_size": EMBED},
        {"pooling": "last", "input_dropout": 0.3, "frozen": ("W_emb",)},
    ),
    "numeric-max-dropout": (
        "numeric",
        {},
        {
            "pooling": "max",
            "input_dropout": 0.2,
            "layer_dropout": 0.2,
            "output_dropout": 0.2,
        },
    ),
    "numeric-mean-squared-error": (
        "numeric",
        {},
        {"pooling": "mean", "loss": "squared_error"},
    ),
}


def arch_id(arch):
    layers, bidirectional, nonlinearity = arch
    return f"{layers}-layer{'-bi' if bidirectional else ''}-{nonlinearity}"


def deep_problem(arch, setup, seed=0):
    """Sequences, parameters, targets, weights and options of one architecture in
    one setup (the options hold the nonlinearity)."""
    layers, bidirectional, nonlinearity = arch
    kind, init_kw, opts = DEEP_SETUPS[setup]
    rng = np.random.default_rng(seed)
    values, offsets = make_ragged(rng, LENGTHS, kind)
    params = make_params(
        rng,
        kind,
        hidden=DEEP_HIDDEN,
        num_layers=layers,
        bidirectional=bidirectional,
        pooling=opts["pooling"],
        **init_kw,
    )
    n = len(LENGTHS)
    if opts.get("loss") == "squared_error":
        y = rng.normal(size=(n, N_CLASSES))
    else:
        y = rng.integers(0, N_CLASSES, size=n)
    sw = rng.uniform(0.2, 3.0, size=n)
    return values, offsets, params, y, sw, {**opts, "nonlinearity": nonlinearity}


def forward_options(opts):
    return {k: v for k, v in opts.items() if k in FORWARD_OPTIONS}


def kinks(state, batch, pooling):
    """Where the network is not differentiable: which ReLU units are on, and which
    step holds each maximum of max pooling. Two nearby points with the same pattern
    lie on one smooth piece of the loss."""
    parts = []
    if state.relu:
        parts += [h > 0 for layer in state.layers for h in layer.hidden]
    if "max" in pooling.split("+"):
        for h in state.layers[-1].hidden:
            for i, length in enumerate(batch.lengths):
                if length:
                    rows = batch.step_offsets[:length] + i
                    parts.append(np.argmax(h[rows], axis=0))
    if not parts:
        return np.zeros(0, dtype=np.intp)
    return np.concatenate([p.ravel().astype(np.intp) for p in parts])


def deep_loss(params, batch, y, sw, opts):
    """The loss written out from forward() (weighted mean, L2 penalty on every
    weight matrix not frozen), with the masks drawn from the same seed at every
    call, and its kinks."""
    logits, state = forward(
        params, batch, rng=np.random.default_rng(DROPOUT_SEED), **forward_options(opts)
    )
    if opts.get("loss") == "squared_error":
        losses = 0.5 * ((logits - y) ** 2).mean(axis=1)
    else:
        losses = -log_softmax(logits)[np.arange(len(y)), y]
    frozen = opts.get("frozen", ())
    squares = sum(
        np.sum(value**2)
        for name, value in params.items()
        if name.startswith("W_") and name not in frozen
    )
    value = ((sw * losses).sum() + 0.5 * ALPHA * squares) / sw.sum()
    return value, kinks(state, batch, opts["pooling"])


def checked_numerical_gradient(f, x, eps=1e-6):
    """Central differences of ``f() -> (value, kinks)`` with respect to ``x``, and
    the elements of ``x`` they hold for: those whose perturbations cross no kink."""
    grad = np.empty_like(x)
    valid = np.empty(x.shape, dtype=bool)
    _, base = f()
    flat, gflat, vflat = x.reshape(-1), grad.reshape(-1), valid.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        f_plus, kinks_plus = f()
        flat[i] = orig - eps
        f_minus, kinks_minus = f()
        flat[i] = orig
        gflat[i] = (f_plus - f_minus) / (2 * eps)
        vflat[i] = np.array_equal(kinks_plus, base) and np.array_equal(
            kinks_minus, base
        )
    return grad, valid


def test_checked_numerical_gradient_flags_a_relu_kink():
    """A coordinate whose perturbation switches a ReLU unit is left unchecked, and
    only that one: the finite-difference checks skip no smooth coordinate."""
    values, offsets, params, y, sw, opts = deep_problem(
        (1, False, "relu"), "tokens-last+mean+max-dropout"
    )
    opts = {"pooling": opts["pooling"], "nonlinearity": "relu"}
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    # Step 0 of the longest sequence: its pre-activation is W_xh[token] + b_h.
    params["b_h"][0] = -params["W_xh"][batch.inputs[0], 0]
    _, valid = checked_numerical_gradient(
        lambda: deep_loss(params, batch, y, sw, opts), params["b_h"]
    )
    np.testing.assert_array_equal(valid, [False, True, True])


def reference_deep_summary(params, seq, pooling="last", nonlinearity="tanh"):
    """One sequence's summary written out: every layer and direction a plain loop
    over the steps, the backward direction over the sequence reversed."""
    hidden = params["W_hh"].shape[0]

    def f(a):
        return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)

    if np.ndim(seq) == 1:  # token ids
        x = (
            params["W_emb"][seq]
            if "W_emb" in params
            else np.eye(params["W_xh"].shape[0])[seq]
        )
    else:
        x = seq
    suffixes = ("", "_r") if "W_hh_r" in params else ("",)
    layer = 0
    while True:
        by_position = []
        for suffix in suffixes:
            tag = (f"_l{layer}" if layer else "") + suffix
            W_xh, W_hh, b_h = (params[name + tag] for name in ("W_xh", "W_hh", "b_h"))
            h, states = np.zeros(hidden), []
            for x_t in x[::-1] if suffix else x:
                h = f(x_t @ W_xh + h @ W_hh + b_h)
                states.append(h)
            states = np.reshape(states, (len(x), hidden))
            by_position.append(states[::-1] if suffix else states)
        if f"W_hh_l{layer + 1}" not in params:
            break
        x = np.hstack(by_position)
        layer += 1
    summary = []
    for suffix, states in zip(suffixes, by_position, strict=True):
        for kind in pooling.split("+"):
            if not len(states):
                summary.append(np.zeros(hidden))
            elif kind == "last":
                # The backward direction ends at the first position.
                summary.append(states[0] if suffix else states[-1])
            else:
                summary.append(getattr(np, kind)(states, axis=0))
    return np.concatenate(summary)


def covering_cases():
    """(arch, setup) pairs in which every setup meets each number of layers, both
    directions and both nonlinearities, and every architecture occurs (the whole
    product would take several seconds of finite differences)."""
    by_layers = [ARCHS[i : i + 4] for i in range(0, len(ARCHS), 4)]
    return [
        (by_layers[layers - 1][(k + layers) % 4], setup)
        for k, setup in enumerate(DEEP_SETUPS)
        for layers in (1, 2, 3)
    ]


def test_covering_cases_cover_every_pair():
    cases = covering_cases()
    assert {arch for arch, _ in cases} == set(ARCHS)
    for factor in range(3):
        values = {arch[factor] for arch in ARCHS}
        for setup in DEEP_SETUPS:
            assert {a[factor] for a, s in cases if s == setup} == values


@pytest.mark.parametrize(
    ("arch", "setup"),
    covering_cases(),
    ids=[f"{arch_id(a)}-{s}" for a, s in covering_cases()],
)
def test_deep_gradient_matches_finite_differences(arch, setup):
    values, offsets, params, y, sw, opts = deep_problem(arch, setup)
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    assert 0 in batch.lengths and 1 in batch.lengths
    loss, grads, _ = loss_and_gradients(
        params, batch, y, sw, ALPHA, rng=np.random.default_rng(DROPOUT_SEED), **opts
    )
    trained = {name for name in params if name not in opts.get("frozen", ())}
    assert set(grads) == trained
    assert loss == pytest.approx(deep_loss(params, batch, y, sw, opts)[0], rel=1e-12)

    n_checked = n_total = 0
    for name in sorted(trained):
        assert grads[name].shape == params[name].shape, name
        numerical, valid = checked_numerical_gradient(
            lambda: deep_loss(params, batch, y, sw, opts), params[name]
        )
        n_checked += valid.sum()
        n_total += valid.size
        assert np.max(np.abs(numerical[valid])) > 1e-4, name
        error = relative_error(numerical[valid], np.asarray(grads[name])[valid])
        assert error < 1e-6, (name, error)
    # Only a kink within a perturbation's reach leaves a coordinate unchecked.
    if arch[2] == "tanh" and "max" not in opts["pooling"]:
        assert n_checked == n_total
    assert n_checked >= 0.97 * n_total


@pytest.mark.parametrize("arch", [(1, False, "tanh"), (2, True, "relu")], ids=arch_id)
def test_frozen_embedding_has_no_gradient_and_no_penalty(arch):
    values, offsets, params, y, sw, opts = deep_problem(arch, "embedding-frozen-last")
    del opts["frozen"]
    batch = pack(values, offsets, np.arange(len(LENGTHS)))

    def run(**kw):
        rng = np.random.default_rng(DROPOUT_SEED)
        return loss_and_gradients(params, batch, y, sw, ALPHA, rng=rng, **opts, **kw)

    loss, grads, _ = run(frozen=("W_emb",))
    loss_all, grads_all, _ = run()
    assert set(grads_all) - set(grads) == {"W_emb"}
    assert np.max(np.abs(grads_all["W_emb"])) > 1e-3
    penalty = 0.5 * ALPHA * np.sum(params["W_emb"] ** 2) / sw.sum()
    assert loss_all - loss == pytest.approx(penalty, rel=1e-10)
    for name in grads:
        np.testing.assert_allclose(grads[name], grads_all[name], rtol=1e-13, atol=0)


@pytest.mark.parametrize("input_kind", ["tokens", "embedding", "numeric"])
@pytest.mark.parametrize("arch", ARCHS, ids=arch_id)
def test_deep_forward_matches_step_by_step_reference(arch, input_kind):
    """Each layer reads the one below (both directions side by side), the backward
    direction reads the sequence from its end, and the summary is the forward
    direction's kinds, then the backward direction's."""
    layers, bidirectional, nonlinearity = arch
    kind = "numeric" if input_kind == "numeric" else "tokens"
    init_kw = {"embedding_size": EMBED} if input_kind == "embedding" else {}
    values, offsets = make_ragged(np.random.default_rng(0), LENGTHS, kind)
    for pooling in ("last", "last+mean+max", "max+last"):
        params = make_params(
            np.random.default_rng(1),
            kind,
            hidden=DEEP_HIDDEN,
            num_layers=layers,
            bidirectional=bidirectional,
            pooling=pooling,
            **init_kw,
        )
        assert rnn.n_layers(params) == layers
        batch = pack(values, offsets, np.arange(len(LENGTHS)))
        logits, state = forward(
            params, batch, pooling=pooling, nonlinearity=nonlinearity
        )
        width = rnn.summary_width(DEEP_HIDDEN, pooling, bidirectional)
        assert state.pooled.shape == (len(LENGTHS), width)
        pooled = state.pooled[np.argsort(batch.order)]
        for j in range(len(LENGTHS)):
            seq = sequence(values, offsets, j)
            expected = reference_deep_summary(params, seq, pooling, nonlinearity)
            np.testing.assert_allclose(pooled[j], expected, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(
                logits[j],
                expected @ params["W_hy"] + params["b_y"],
                rtol=1e-12,
                atol=1e-14,
            )


def test_relu_networks_differ_from_tanh_ones():
    """The nonlinearity reaches every layer and direction: ReLU states are never
    negative, and some are exactly zero."""
    values, offsets, params, *_ = deep_problem((2, True, "relu"), "numeric-max-dropout")
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    relu = forward(params, batch, pooling="max", nonlinearity="relu")
    tanh = forward(params, batch, pooling="max", nonlinearity="tanh")
    assert not np.allclose(relu[0], tanh[0])
    for layer in relu[1].layers:
        for h in layer.hidden:
            assert h.min() == 0.0 and h.max() > 0.5


@pytest.mark.parametrize(
    "setup", ["tokens-last+mean+max-dropout", "numeric-max-dropout"]
)
@pytest.mark.parametrize("arch", ARCHS, ids=arch_id)
def test_deep_backward_is_linear_and_spares_a_copied_state(arch, setup):
    values, offsets, params, _, _, opts = deep_problem(arch, setup)
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    for layer_dropout in (0.0, opts["layer_dropout"]):
        fwd = {**forward_options(opts), "layer_dropout": layer_dropout}
        _, state = forward(params, batch, rng=np.random.default_rng(1), **fwd)
        before = [[h.copy() for h in layer.hidden] for layer in state.layers]
        rng = np.random.default_rng(2)
        d1 = rng.normal(size=(len(LENGTHS), N_CLASSES))
        d2 = rng.normal(size=(len(LENGTHS), N_CLASSES))
        g1 = backward(params, batch, state.copy(), d1)
        g1_again = backward(params, batch, state.copy(), d1)
        g2 = backward(params, batch, state.copy(), d2)
        g12 = backward(params, batch, state.copy(), 2.0 * d1 - d2)
        for layer, hidden in zip(state.layers, before, strict=True):
            for h, h_before in zip(layer.hidden, hidden, strict=True):
                np.testing.assert_array_equal(h, h_before)
        assert set(g1) == set(params)
        for name in params:
            np.testing.assert_array_equal(g1_again[name], g1[name])
            np.testing.assert_allclose(
                g12[name], 2.0 * g1[name] - g2[name], rtol=1e-10, atol=1e-13
            )
            assert np.max(np.abs(g1[name])) > 1e-4, name


@pytest.mark.parametrize("arch", ARCHS, ids=arch_id)
def test_deep_gradient_of_large_batch_code_paths(arch, monkeypatch):
    """Block-by-block derivatives and token gradients summed by id (the reverse
    direction's ids included): the same gradients, to rounding."""

    def grads(params, batch, y, sw, opts):
        rng = np.random.default_rng(DROPOUT_SEED)
        return loss_and_gradients(params, batch, y, sw, ALPHA, rng=rng, **opts)[1]

    for setup in ("tokens-last+mean+max-dropout", "embedding-mean+max-squared-error"):
        values, offsets, params, y, sw, opts = deep_problem(arch, setup)
        batch = pack(values, offsets, np.arange(len(LENGTHS)))
        small = grads(params, batch, y, sw, opts)
        with monkeypatch.context() as patch:
            patch.setattr(rnn, "_SMALL_STATES", 0)
            patch.setattr(rnn, "_SMALL_ONE_HOT", 0)
            large = grads(params, batch, y, sw, opts)
        assert set(large) == set(params)
        for name in params:
            np.testing.assert_allclose(
                large[name], small[name], rtol=1e-12, atol=1e-15, err_msg=name
            )


@pytest.mark.parametrize(
    "setup",
    [
        "tokens-last+mean+max-dropout",
        "embedding-mean+max-squared-error",
        "numeric-max-dropout",
    ],
)
@pytest.mark.parametrize("arch", ARCHS, ids=arch_id)
def test_deep_prediction_paths_equal_forward(arch, setup, monkeypatch):
    """predict_logits and predict_pooled give forward()'s outputs whatever the
    route: chunks of any size, the bounded-memory scan of a one-layer network,
    and a stacked network's chunks cut by their number of steps."""
    values, offsets, params, _, _, opts = deep_problem(arch, setup)
    options = {"pooling": opts["pooling"], "nonlinearity": opts["nonlinearity"]}
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    expected, state = forward(params, batch, **options)
    pooled_forward = state.pooled[np.argsort(batch.order)]

    # Spies: the chunks packed, and the steps of those that kept all their states.
    real_pack, real_forward, chunks, kept_states = rnn.pack, rnn.forward, [], []

    def spy_pack(values, offsets, indices):
        chunks.append(np.diff(offsets)[indices])
        return real_pack(values, offsets, indices)

    def spy_forward(params, batch, **kwargs):
        kept_states.append(len(batch.inputs))
        return real_forward(params, batch, **kwargs)

    monkeypatch.setattr(rnn, "pack", spy_pack)
    monkeypatch.setattr(rnn, "forward", spy_forward)
    states, steps = rnn._SMALL_STATES, rnn._STACKED_CHUNK_STEPS
    # (_SMALL_STATES, _STACKED_CHUNK_STEPS, chunk size): each chunk size with all
    # states kept or none (one layer), and chunks cut by their steps (stacked).
    routes = [(s, steps, size) for s in (states, 0) for size in (1, 3, 1024)]
    routes += [(states, m, size) for m in (1, 4) for size in (3, 1024)]
    for small_states, max_steps, chunk_size in routes:
        monkeypatch.setattr(rnn, "_SMALL_STATES", small_states)
        monkeypatch.setattr(rnn, "_STACKED_CHUNK_STEPS", max_steps)
        chunks.clear()
        kept_states.clear()
        got = predict_logits(params, values, offsets, chunk_size, **options)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
        kept_all = arch[0] > 1 or small_states > 0
        assert sum(kept_states) == (sum(LENGTHS) if kept_all else 0)
        if arch[0] > 1:
            # Every chunk within the step budget, or a single sequence.
            assert all(c.sum() <= max_steps or len(c) == 1 for c in chunks)
            assert len(chunks) > 1 or max_steps > sum(LENGTHS)
        pooled = predict_pooled(params, values, offsets, chunk_size, **options)
        np.testing.assert_allclose(pooled, pooled_forward, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "arch", [a for a in ARCHS if a[0] > 1 and not a[1]], ids=arch_id
)
def test_deep_prefix_logits_are_the_logits_of_each_prefix(arch, monkeypatch):
    layers, _, nonlinearity = arch
    values, offsets = make_ragged(np.random.default_rng(0), LENGTHS, "tokens")
    monkeypatch.setattr(rnn, "_STACKED_CHUNK_STEPS", 4)
    for pooling in ("last", "mean", "max", "last+mean+max"):
        params = make_params(
            np.random.default_rng(1),
            "tokens",
            hidden=DEEP_HIDDEN,
            num_layers=layers,
            pooling=pooling,
        )
        options = {"pooling": pooling, "nonlinearity": nonlinearity}
        full = predict_logits(params, values, offsets, **options)
        prefixes = predict_prefix_logits(params, values, offsets, 3, **options)
        assert [len(p) for p in prefixes] == list(LENGTHS)
        for j, steps in enumerate(prefixes):
            seq = sequence(values, offsets, j)
            for t in range(len(seq)):
                summary = reference_deep_summary(
                    params, seq[: t + 1], pooling, nonlinearity
                )
                np.testing.assert_allclose(
                    steps[t],
                    summary @ params["W_hy"] + params["b_y"],
                    rtol=1e-12,
                    atol=1e-14,
                )
            if len(seq):
                np.testing.assert_allclose(steps[-1], full[j], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_prefix_logits_refuse_a_bidirectional_network(num_layers):
    values, offsets = make_ragged(np.random.default_rng(0), LENGTHS, "tokens")
    params = make_params(
        np.random.default_rng(1),
        "tokens",
        hidden=DEEP_HIDDEN,
        num_layers=num_layers,
        bidirectional=True,
    )
    with pytest.raises(ValueError, match="bidirectional"):
        predict_prefix_logits(params, values, offsets)


@pytest.mark.parametrize(
    "indices",
    [np.arange(len(LENGTHS)), np.array([3, 1, 5, 3, 6, 2]), np.array([4]), [1, 1]],
    ids=["all", "subset-with-repeats", "one", "only-empty"],
)
def test_reverse_rows_read_each_sequence_backwards(indices):
    offsets = np.concatenate([[0], np.cumsum(LENGTHS)])
    values = np.arange(offsets[-1])  # every step names its own position
    batch = pack(values, offsets, indices)
    rows = batch.reverse_rows
    identity = np.arange(len(batch.inputs))
    np.testing.assert_array_equal(np.sort(rows), identity)
    np.testing.assert_array_equal(rows[rows], identity)
    backwards = batch.inputs[rows]
    for i, (j, length) in enumerate(zip(batch.order, batch.lengths, strict=True)):
        start = offsets[np.asarray(indices)[j]]
        for t in range(length):
            row = batch.step_offsets[t] + i
            assert backwards[row] == values[start + length - 1 - t]


@pytest.mark.parametrize("make_rng", [np.random.RandomState, np.random.default_rng])
@pytest.mark.parametrize("case", ["tokens", "embedding", "numeric"])
def test_default_init_draws_exactly_the_classic_arrays(make_rng, case):
    """A one-layer forward network with "last" pooling draws W_xh, W_hh, W_hy (and
    W_emb) in that order, with the classic bounds, and nothing else."""
    n_in, hidden, n_out = 6, 4, 3
    token_input = case != "numeric"
    embed = EMBED if case == "embedding" else None
    rng = make_rng(5)
    params = init_params(
        rng, n_in, hidden, n_out, token_input=token_input, embedding_size=embed
    )
    explicit = init_params(
        make_rng(5),
        n_in,
        hidden,
        n_out,
        token_input=token_input,
        embedding_size=embed,
        num_layers=1,
        bidirectional=False,
        pooling="last",
    )
    draw = make_rng(5)
    rows = embed or n_in
    fan_in = embed or (1 if token_input else n_in)
    b_xh, b_hh = np.sqrt(6 / (fan_in + hidden)), 1 / np.sqrt(hidden)
    b_hy = np.sqrt(6 / (hidden + n_out))
    expected = {
        "W_xh": draw.uniform(-b_xh, b_xh, (rows, hidden)),
        "W_hh": draw.uniform(-b_hh, b_hh, (hidden, hidden)),
        "b_h": np.zeros(hidden),
        "W_hy": draw.uniform(-b_hy, b_hy, (hidden, n_out)),
        "b_y": np.zeros(n_out),
    }
    if embed:
        b_emb = np.sqrt(6 / (1 + embed))
        expected["W_emb"] = draw.uniform(-b_emb, b_emb, (n_in, embed))
    assert list(params) == list(expected)
    assert list(explicit) == list(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(params[name], value, err_msg=name)
        np.testing.assert_array_equal(explicit[name], value, err_msg=name)
    # No draw more than these.
    assert rng.uniform() == draw.uniform()


def test_stacked_bidirectional_init_shapes_and_first_draws():
    n_in, hidden, n_out = 6, 4, 3
    params = init_params(
        np.random.RandomState(5),
        n_in,
        hidden,
        n_out,
        token_input=False,
        num_layers=3,
        bidirectional=True,
        pooling="last+max",
    )
    shapes = {"W_hy": (hidden * 2 * 2, n_out), "b_y": (n_out,)}
    for layer in range(3):
        for suffix in ("", "_r"):
            tag = (f"_l{layer}" if layer else "") + suffix
            shapes["W_xh" + tag] = (2 * hidden if layer else n_in, hidden)
            shapes["W_hh" + tag] = (hidden, hidden)
            shapes["b_h" + tag] = (hidden,)
    assert {name: value.shape for name, value in params.items()} == shapes
    for name, value in params.items():
        if name.startswith("b_"):
            np.testing.assert_array_equal(value, 0.0)
    # Every recurrent matrix is a draw of its own.
    recurrent = [params[n] for n in params if n.startswith("W_hh")]
    assert len({v.tobytes() for v in recurrent}) == len(recurrent) == 6

    # Layer 0 and the output layer come first, as a one-layer network draws them.
    classic = init_params(
        np.random.RandomState(5), n_in, hidden, n_out, token_input=False
    )
    stacked = init_params(
        np.random.RandomState(5), n_in, hidden, n_out, token_input=False, num_layers=2
    )
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(stacked[name], classic[name], err_msg=name)
    assert stacked["W_xh_l1"].shape == (hidden, hidden)


# --------------------------------------------- stacked and bidirectional: PyTorch
# (num_layers, bidirectional, nonlinearity) compared with torch.nn.RNN.
TORCH_ARCHS = [
    (2, False, "tanh"),
    (1, True, "tanh"),
    (1, False, "relu"),
    (2, True, "relu"),
    (3, True, "relu"),
]


def _torch_deep_loss_and_grads(torch, params, values, offsets, y, sw, options):
    """The same network from torch.nn.RNN over a PackedSequence of the non-empty
    sequences: "last" from h_n (per direction), mean and max from the padded
    output under the length mask; an empty sequence's summary is zero."""
    f64 = torch.float64
    pooling, nonlinearity = options["pooling"], options["nonlinearity"]
    hidden, layers = params["W_hh"].shape[0], rnn.n_layers(params)
    bidirectional = "W_hh_r" in params
    n_dirs = 2 if bidirectional else 1
    module = torch.nn.RNN(
        params["W_xh"].shape[0],
        hidden,
        num_layers=layers,
        nonlinearity=nonlinearity,
        bidirectional=bidirectional,
        dtype=f64,
    )
    # Our name -> torch's suffix.
    cells = {
        (f"_l{layer}" if layer else "") + ("_r" if reverse else ""): (
            f"_l{layer}" + ("_reverse" if reverse else "")
        )
        for layer in range(layers)
        for reverse in (False, True)[:n_dirs]
    }
    with torch.no_grad():
        for ours, theirs in cells.items():
            weight_ih = getattr(module, "weight_ih" + theirs)
            weight_ih.copy_(torch.from_numpy(params["W_xh" + ours].T))
            weight_hh = getattr(module, "weight_hh" + theirs)
            weight_hh.copy_(torch.from_numpy(params["W_hh" + ours].T))
            getattr(module, "bias_ih" + theirs).copy_(
                torch.from_numpy(params["b_h" + ours])
            )
            getattr(module, "bias_hh" + theirs).zero_()
    W_hy = torch.tensor(params["W_hy"], requires_grad=True)
    b_y = torch.tensor(params["b_y"], requires_grad=True)
    W_emb = None
    if "W_emb" in params:
        W_emb = torch.tensor(params["W_emb"], requires_grad=True)

    lengths = np.diff(offsets)
    nonempty = np.flatnonzero(lengths)
    inputs = []
    for j in nonempty:
        seq = torch.from_numpy(np.asarray(sequence(values, offsets, j)))
        if W_emb is not None:
            inputs.append(W_emb[seq])
        elif values.ndim == 1:
            inputs.append(torch.nn.functional.one_hot(seq, N_VOCAB).to(f64))
        else:
            inputs.append(seq)
    packed = torch.nn.utils.rnn.pack_sequence(inputs, enforce_sorted=False)
    output, h_n = module(packed)
    padded, lens = torch.nn.utils.rnn.pad_packed_sequence(output, batch_first=True)
    np.testing.assert_array_equal(lens.numpy(), lengths[nonempty])
    final = h_n.view(layers, n_dirs, len(nonempty), hidden)[-1]
    mask = (torch.arange(padded.shape[1])[None, :] < lens[:, None])[..., None]
    parts = []
    for d in range(n_dirs):
        states = padded[..., d * hidden : (d + 1) * hidden]
        for kind in pooling.split("+"):
            if kind == "last":
                parts.append(final[d])
            elif kind == "mean":
                parts.append((states * mask).sum(dim=1) / lens[:, None].to(f64))
            else:
                parts.append(states.masked_fill(~mask, -torch.inf).amax(dim=1))
    summary = torch.zeros(len(lengths), W_hy.shape[0], dtype=f64).index_copy(
        0, torch.from_numpy(nonempty), torch.cat(parts, dim=1)
    )
    logits = summary @ W_hy + b_y

    w = torch.from_numpy(sw)
    ce = torch.nn.functional.cross_entropy(
        logits, torch.from_numpy(y), reduction="none"
    )
    weights = [W_hy] + [p for n, p in module.named_parameters() if n[0] == "w"]
    if W_emb is not None:
        weights.append(W_emb)
    penalty = sum((p**2).sum() for p in weights)
    loss = ((w * ce).sum() + 0.5 * ALPHA * penalty) / w.sum()
    loss.backward()

    grads = {"W_hy": W_hy.grad, "b_y": b_y.grad}
    if W_emb is not None:
        grads["W_emb"] = W_emb.grad
    for ours, theirs in cells.items():
        bias_ih, bias_hh = (getattr(module, b + theirs) for b in ("bias_ih", "bias_hh"))
        # b_ih and b_hh enter identically, so either gradient is ours for b_h.
        torch.testing.assert_close(bias_hh.grad, bias_ih.grad)
        grads["W_xh" + ours] = getattr(module, "weight_ih" + theirs).grad.T
        grads["W_hh" + ours] = getattr(module, "weight_hh" + theirs).grad.T
        grads["b_h" + ours] = bias_ih.grad
    return (
        loss.item(),
        logits.detach().numpy(),
        {name: grad.numpy() for name, grad in grads.items()},
    )


@pytest.mark.parametrize("pooling", ["last", "last+mean+max"])
@pytest.mark.parametrize("input_kind", ["tokens", "embedding", "numeric"])
@pytest.mark.parametrize("arch", TORCH_ARCHS, ids=arch_id)
def test_deep_networks_match_torch_rnn(arch, input_kind, pooling):
    torch = pytest.importorskip("torch")
    layers, bidirectional, nonlinearity = arch
    kind = "numeric" if input_kind == "numeric" else "tokens"
    init_kw = {"embedding_size": EMBED} if input_kind == "embedding" else {}
    rng = np.random.default_rng(0)
    values, offsets = make_ragged(rng, LENGTHS, kind)
    params = make_params(
        rng,
        kind,
        hidden=DEEP_HIDDEN,
        num_layers=layers,
        bidirectional=bidirectional,
        pooling=pooling,
        **init_kw,
    )
    y = rng.integers(0, N_CLASSES, size=len(LENGTHS))
    sw = rng.uniform(0.2, 3.0, size=len(LENGTHS))
    options = {"pooling": pooling, "nonlinearity": nonlinearity}
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    logits, _ = forward(params, batch, **options)
    loss, grads, _ = loss_and_gradients(params, batch, y, sw, ALPHA, **options)

    t_loss, t_logits, t_grads = _torch_deep_loss_and_grads(
        torch, params, values, offsets, y, sw, options
    )
    assert set(t_grads) == set(grads) == set(params)
    np.testing.assert_allclose(logits, t_logits, rtol=1e-10, atol=1e-13)
    assert loss == pytest.approx(t_loss, rel=1e-10)
    for name in params:
        assert np.max(np.abs(t_grads[name])) > 1e-4, name
        np.testing.assert_allclose(
            grads[name], t_grads[name], rtol=1e-10, atol=1e-13, err_msg=name
        )
