"""Tests for ``sklearn_rnn._optimizers``: gradient clipping, the SGD and Adam
update rules (dense and row-sparse gradients), the plateau schedule, and how an
optimizer is made or continued."""

import numpy as np
import pytest

from conftest import sparse_token_problem
from sklearn_rnn._optimizers import SGD, Adam, Plateau, clip_gradients, make_optimizer

# --------------------------------------------------------------------------- helpers


def global_norm(grads):
    return np.sqrt(sum(np.sum(g**2) for g in grads.values()))


class Quadratic:
    """f(p) = 1/2 sum_k sum a_k (p_k - c_k)^2, a convex quadratic over a params dict."""

    def __init__(self, rng):
        self.curvature = {
            "W": rng.uniform(0.5, 2.0, size=(3, 2)),
            "b": rng.uniform(0.5, 2.0, size=4),
        }
        self.optimum = {
            "W": rng.normal(size=(3, 2)),
            "b": rng.normal(size=4),
        }

    def start(self, rng):
        return {k: c + 3.0 * rng.normal(size=c.shape) for k, c in self.optimum.items()}

    def loss(self, params):
        return sum(
            0.5 * np.sum(self.curvature[k] * (params[k] - self.optimum[k]) ** 2)
            for k in params
        )

    def gradient(self, params):
        return {k: self.curvature[k] * (params[k] - self.optimum[k]) for k in params}


# -------------------------------------------------------------------------- fixtures


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def grads(rng):
    return {
        "W_xh": rng.normal(scale=3.0, size=(5, 4)),
        "W_hh": rng.normal(scale=3.0, size=(4, 4)),
        "b_h": rng.normal(scale=3.0, size=4),
    }


# ------------------------------------------------------------------ clip_gradients


@pytest.mark.parametrize("clip_value", [0.5, 1.0, 2.5])
def test_clip_value_bounds_every_element(grads, clip_value):
    before = {k: g.copy() for k, g in grads.items()}
    arrays = {k: id(g) for k, g in grads.items()}
    norm = clip_gradients(grads, clip_value=clip_value)
    for name, g in grads.items():
        assert id(g) == arrays[name]  # clipped in place
        assert np.all(np.abs(g) <= clip_value)
        np.testing.assert_array_equal(g, np.clip(before[name], -clip_value, clip_value))
        # Some elements really were clipped, the others left exactly as they were.
        inside = np.abs(before[name]) <= clip_value
        assert not inside.all()
        np.testing.assert_array_equal(g[inside], before[name][inside])
    # The returned norm is the one after value clipping.
    assert norm == pytest.approx(global_norm(grads), rel=1e-14)


@pytest.mark.parametrize("clip_norm", [0.1, 1.0, 5.0])
def test_clip_norm_rescales_to_clip_norm_and_keeps_direction(grads, clip_norm):
    before = {k: g.copy() for k, g in grads.items()}
    pre_norm = global_norm(before)
    assert pre_norm > clip_norm
    norm = clip_gradients(grads, clip_norm=clip_norm)
    assert norm == pytest.approx(pre_norm, rel=1e-14)  # the pre-clip norm
    assert global_norm(grads) == pytest.approx(clip_norm, rel=1e-12)
    # Same direction: every array scaled by one common positive factor.
    for name, g in grads.items():
        np.testing.assert_allclose(g, before[name] * (clip_norm / pre_norm), rtol=1e-13)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"clip_norm": 1e3}, {"clip_value": 1e3}, "clip_norm=norm"],
    ids=["none", "large-norm", "large-value", "norm-exactly"],
)
def test_clip_is_noop_up_to_the_threshold(grads, kwargs):
    before = {k: g.copy() for k, g in grads.items()}
    if kwargs == "clip_norm=norm":
        # At exactly the threshold nothing is rescaled.
        kwargs = {"clip_norm": clip_gradients({k: g.copy() for k, g in grads.items()})}
    norm = clip_gradients(grads, **kwargs)
    for name, g in grads.items():
        np.testing.assert_array_equal(g, before[name])
    assert norm == pytest.approx(global_norm(before), rel=1e-14)


def test_clip_value_then_norm(grads):
    clip_value, clip_norm = 1.0, 2.0
    value_clipped = {k: np.clip(g, -clip_value, clip_value) for k, g in grads.items()}
    mid_norm = global_norm(value_clipped)
    assert mid_norm > clip_norm
    norm = clip_gradients(grads, clip_value=clip_value, clip_norm=clip_norm)
    # Norm is measured after value clipping and before norm clipping.
    assert norm == pytest.approx(mid_norm, rel=1e-14)
    assert global_norm(grads) == pytest.approx(clip_norm, rel=1e-12)
    for name, g in grads.items():
        assert np.all(np.abs(g) <= clip_value)
        np.testing.assert_allclose(
            g, value_clipped[name] * (clip_norm / mid_norm), rtol=1e-13
        )


def test_clip_zero_gradients():
    grads = {"a": np.zeros(3), "b": np.zeros((2, 2))}
    assert clip_gradients(grads, clip_value=1.0, clip_norm=1.0) == 0.0
    for g in grads.values():
        np.testing.assert_array_equal(g, 0.0)


# ----------------------------------------------------------- convergence on a bowl


OPTIMIZERS = {
    "sgd": lambda p: SGD(p, learning_rate=0.1, momentum=0.0),
    "sgd-momentum": lambda p: SGD(p, learning_rate=0.05, momentum=0.9, nesterov=False),
    "sgd-nesterov": lambda p: SGD(p, learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: Adam(p, learning_rate=0.1),
}


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_optimizer_converges_on_quadratic(rng, make_optimizer):
    problem = Quadratic(rng)
    params = problem.start(rng)
    arrays = {k: id(v) for k, v in params.items()}
    optimizer = make_optimizer(params)
    losses = [problem.loss(params)]
    for _ in range(1000):
        optimizer.step(params, problem.gradient(params))
        losses.append(problem.loss(params))
    # Parameters are updated in place.
    assert {k: id(v) for k, v in params.items()} == arrays
    assert losses[10] < losses[0]
    assert losses[-1] < 1e-6 * losses[0]
    for name in params:
        np.testing.assert_allclose(params[name], problem.optimum[name], atol=1e-3)


def test_plain_sgd_decreases_loss_monotonically(rng):
    problem = Quadratic(rng)
    params = problem.start(rng)
    optimizer = SGD(params, learning_rate=0.1, momentum=0.0)
    losses = [problem.loss(params)]
    for _ in range(50):
        optimizer.step(params, problem.gradient(params))
        losses.append(problem.loss(params))
    assert np.all(np.diff(losses) < 0)


# --------------------------------------------------------------------------- SGD


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_without_momentum_is_plain_gradient_step(rng, nesterov):
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    optimizer = SGD(params, learning_rate=0.3, momentum=0.0, nesterov=nesterov)
    for _ in range(3):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        expected = {k: params[k] - 0.3 * grads[k] for k in params}
        optimizer.step(params, {k: g.copy() for k, g in grads.items()})
        for name in params:
            np.testing.assert_array_equal(params[name], expected[name])


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_momentum_state_persists(rng, nesterov):
    lr, mu = 0.1, 0.9
    params = {"W": rng.normal(size=(3, 2))}
    p0 = params["W"].copy()
    g1, g2 = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    optimizer = SGD(params, learning_rate=lr, momentum=mu, nesterov=nesterov)
    # Copies: a step uses the gradient arrays as scratch space.
    optimizer.step(params, {"W": g1.copy()})
    optimizer.step(params, {"W": g2.copy()})

    # Textbook (Nesterov) momentum, written out by hand.
    v1 = -lr * g1
    v2 = mu * v1 - lr * g2
    if nesterov:
        p1 = p0 + mu * v1 - lr * g1
        p2 = p1 + mu * v2 - lr * g2
    else:
        p2 = p0 + v1 + v2
    np.testing.assert_allclose(optimizer.velocities["W"], v2, rtol=1e-14)
    np.testing.assert_allclose(params["W"], p2, rtol=1e-14)

    # A fresh optimizer's step on g2 alone would differ: the velocity carried over.
    fresh = {"W": p0.copy()}
    SGD(fresh, learning_rate=lr, momentum=mu, nesterov=nesterov).step(fresh, {"W": g2})
    assert not np.allclose(params["W"] - p0, fresh["W"] - p0)


# -------------------------------------------------------------------------- Adam


def test_adam_first_step_moves_by_learning_rate(rng):
    lr = 0.01
    # Gradient magnitudes over five orders of magnitude, both signs.
    magnitudes = 10.0 ** rng.uniform(-2, 3, size=(4, 3))
    grads = {"W": magnitudes * rng.choice([-1.0, 1.0], size=(4, 3))}
    params = {"W": rng.normal(size=(4, 3))}
    before = params["W"].copy()
    optimizer = Adam(params, learning_rate=lr)
    optimizer.step(params, {"W": grads["W"].copy()})
    # Bias correction makes the first step lr * sign(g), whatever |g|.
    np.testing.assert_allclose(
        params["W"] - before, -lr * np.sign(grads["W"]), rtol=1e-4
    )


def test_adam_state_persists_and_matches_textbook(rng):
    lr, b1, b2 = 0.05, 0.8, 0.99
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}
    # epsilon=0 makes the update exactly lr * m_hat / sqrt(v_hat).
    optimizer = Adam(params, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=0.0)
    assert optimizer.t == 0
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    for t in range(1, 5):
        grads = {k: rng.normal(size=p.shape) for k, p in params.items()}
        expected = {}
        for name in params:
            m[name] = b1 * m[name] + (1 - b1) * grads[name]
            v[name] = b2 * v[name] + (1 - b2) * grads[name] ** 2
            m_hat = m[name] / (1 - b1**t)
            v_hat = v[name] / (1 - b2**t)
            expected[name] = params[name] - lr * m_hat / np.sqrt(v_hat)
        optimizer.step(params, {k: g.copy() for k, g in grads.items()})
        assert optimizer.t == t
        for name in params:
            np.testing.assert_allclose(optimizer.m[name], m[name], rtol=1e-13)
            np.testing.assert_allclose(optimizer.v[name], v[name], rtol=1e-13)
            np.testing.assert_allclose(params[name], expected[name], rtol=1e-12)


# ------------------------------------------------- row-sparse embedding gradients
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize(
    "make", [lambda p: Adam(p, 0.01), lambda p: SGD(p, 0.1, momentum=0.9)]
)
@pytest.mark.parametrize(
    "clip", [{"clip_norm": 1e-3}, {"clip_norm": 1e3}, {"clip_value": 1e-3}]
)
def test_updates_with_sparse_gradients_equal_dense_updates(alpha, make, clip):
    """Clipping and both optimizers give bit-identical parameters either way."""
    params, sparse, dense = sparse_token_problem(alpha)
    with_sparse = {k: v.copy() for k, v in params.items()}
    with_dense = {k: v.copy() for k, v in params.items()}
    norms = (clip_gradients(sparse, **clip), clip_gradients(dense, **clip))
    np.testing.assert_allclose(norms[0], norms[1], rtol=1e-12)
    make(with_sparse).step(with_sparse, sparse)
    make(with_dense).step(with_dense, dense)
    for name in params:
        if "clip_norm" in clip and clip["clip_norm"] < norms[1]:
            # The scale comes from a norm summed in another order: last-bit noise.
            np.testing.assert_allclose(
                with_sparse[name], with_dense[name], rtol=1e-13, atol=1e-15
            )
        else:
            np.testing.assert_array_equal(with_sparse[name], with_dense[name])
    assert not np.array_equal(with_dense["W_xh"], params["W_xh"])


def _adam_run(params, grads_seq, monkeypatch=None):
    optimizer = Adam(params, learning_rate=0.01)
    for grads in grads_seq:
        optimizer.step(params, {k: g.copy() for k, g in grads.items()})
    return optimizer


def test_adam_small_model_fast_path_is_bit_identical(rng, monkeypatch):
    """Small models update all parameters end to end in one flat pass; per-slice
    updates of the same arrays must give the same bits."""
    import sklearn_rnn._optimizers as optimizers

    shapes = {"W": (7, 5), "U": (5, 5), "b": (5,)}
    start = {k: rng.normal(size=s) for k, s in shapes.items()}
    grads_seq = [{k: rng.normal(size=s) for k, s in shapes.items()} for _ in range(4)]
    flat = {k: v.copy() for k, v in start.items()}
    flat_opt = _adam_run(flat, grads_seq)
    monkeypatch.setattr(optimizers, "_SLICE", 8)  # forces the sliced path
    sliced = {k: v.copy() for k, v in start.items()}
    sliced_opt = _adam_run(sliced, grads_seq)
    for name in shapes:
        np.testing.assert_array_equal(flat[name], sliced[name])
        np.testing.assert_array_equal(flat_opt.m[name], sliced_opt.m[name])
        np.testing.assert_array_equal(flat_opt.v[name], sliced_opt.v[name])
        assert not np.array_equal(flat[name], start[name])


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_adam_state_survives_copying(rng, how):
    """The moments live in one flat array with per-parameter views; a copy must
    continue exactly like the original (no views left detached)."""
    import copy
    import pickle

    params = {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=3)}
    grads = [{k: rng.normal(size=p.shape) for k, p in params.items()} for _ in range(3)]
    optimizer = _adam_run(params, grads[:2])
    clone = (
        pickle.loads(pickle.dumps(optimizer))
        if how == "pickle"
        else copy.deepcopy(optimizer)
    )
    params_clone = {k: v.copy() for k, v in params.items()}
    optimizer.step(params, {k: g.copy() for k, g in grads[2].items()})
    clone.step(params_clone, {k: g.copy() for k, g in grads[2].items()})
    for name in params:
        np.testing.assert_array_equal(params[name], params_clone[name])
        np.testing.assert_array_equal(optimizer.m[name], clone.m[name])
        # The views see the updated state.
        assert np.shares_memory(clone.m[name], clone._m.flat)


# --------------------------------------------------------------------- Plateau
class _Rate:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


def test_plateau_lowers_the_rate_after_patience_epochs_without_improvement():
    schedule, optimizer = Plateau(factor=0.5, patience=2), _Rate(0.1)
    rates = []
    for improved in [True, False, False, False, True, False, False, False, False]:
        schedule.observe(improved)
        schedule.adjust(optimizer)
        rates.append(optimizer.learning_rate)
    # Lowered on the 2nd epoch in a row without improvement, and the count
    # starts again after each reduction and after each improvement.
    assert rates == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.0125]
    )


def test_plateau_waits_for_adjust_and_never_raises_the_rate():
    schedule, optimizer = Plateau(factor=0.2, patience=1), _Rate(1.0)
    schedule.observe(False)
    assert optimizer.learning_rate == 1.0  # observe alone changes nothing
    assert schedule.wait == 1
    schedule.adjust(optimizer)
    assert optimizer.learning_rate == pytest.approx(0.2) and schedule.wait == 0
    schedule.observe(True)
    schedule.adjust(optimizer)
    assert optimizer.learning_rate == pytest.approx(0.2)


# --------------------------------------------------------------- make_optimizer
HYPERPARAMETERS = {
    "learning_rate": 0.05,
    "momentum": 0.5,
    "nesterov": False,
    "beta_1": 0.8,
    "beta_2": 0.9,
    "epsilon": 1e-6,
}


@pytest.mark.parametrize("solver, cls", [("adam", Adam), ("sgd", SGD)])
def test_make_optimizer_applies_its_solvers_hyperparameters(rng, solver, cls):
    params = {"W": rng.normal(size=(3, 2))}
    optimizer = make_optimizer(solver, params, HYPERPARAMETERS)
    assert type(optimizer) is cls
    for name, value in HYPERPARAMETERS.items():
        if hasattr(optimizer, name):
            assert getattr(optimizer, name) == value
    # Those of the other solver are not added.
    assert not hasattr(optimizer, "momentum" if solver == "adam" else "beta_1")


def test_make_optimizer_continues_a_copy_of_the_previous_state(rng):
    params = {"W": rng.normal(size=(3, 2))}
    previous = Adam(params, learning_rate=0.01)
    previous.step(params, {"W": rng.normal(size=(3, 2))})
    moments = previous.m["W"].copy()
    continued = make_optimizer("adam", params, HYPERPARAMETERS, previous)
    assert continued is not previous and continued.t == 1
    np.testing.assert_array_equal(continued.m["W"], moments)
    assert continued.learning_rate == 0.05 and continued.beta_1 == 0.8
    continued.step(params, {"W": rng.normal(size=(3, 2))})
    # The previous optimizer is intact, to be kept if training fails.
    assert previous.t == 1 and previous.learning_rate == 0.01
    np.testing.assert_array_equal(previous.m["W"], moments)
    # Another kind of solver starts afresh.
    fresh = make_optimizer("sgd", params, HYPERPARAMETERS, previous)
    assert type(fresh) is SGD
    np.testing.assert_array_equal(fresh.velocities["W"], 0.0)
