"""Tests for the model options of ``sklearn_rnn._rnn``: pooling, dropout, embedding
and recurrent initialisation.

Gradient checks use tiny float64 models; a dropout network is a deterministic
function once its masks are drawn, so every loss evaluation below draws them from a
fresh generator with the same seed.
"""

import numpy as np
import pytest

from sklearn_rnn._rnn import (
    _forward_final,
    forward,
    init_params,
    loss_and_gradients,
    pack,
    predict_logits,
)

N_VOCAB, N_FEATURES, HIDDEN, N_CLASSES, EMBED = 9, 3, 4, 3, 2
LENGTHS = (3, 0, 1, 5, 2, 5, 4)

# name: (kind, init keywords, loss keywords)
CONFIGS = {
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
}


def make_problem(kind, init_kw, seed=0):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(LENGTHS)]).astype(np.intp)
    if kind == "tokens":
        values = rng.integers(0, N_VOCAB, size=offsets[-1])
    else:
        values = rng.normal(size=(offsets[-1], N_FEATURES))
    n_in = N_VOCAB if kind == "tokens" else N_FEATURES
    params = init_params(
        rng, n_in, HIDDEN, N_CLASSES, token_input=kind == "tokens", **init_kw
    )
    # Away from init, so that tanh is far from linear.
    params = {k: v + 0.5 * rng.normal(size=v.shape) for k, v in params.items()}
    y = rng.integers(0, N_CLASSES, size=len(LENGTHS))
    sw = rng.uniform(0.2, 3.0, size=len(LENGTHS))
    return values, offsets, params, y, sw


def numerical_gradient(f, x, eps=1e-6):
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


@pytest.mark.parametrize("config", CONFIGS)
def test_gradient_matches_finite_differences(config):
    kind, init_kw, loss_kw = CONFIGS[config]
    values, offsets, params, y, sw = make_problem(kind, init_kw)
    batch = pack(values, offsets, np.arange(len(LENGTHS)))

    def run():
        return loss_and_gradients(
            params, batch, y, sw, 0.3, rng=np.random.default_rng(7), **loss_kw
        )

    _, grads, _ = run()
    assert set(grads) == set(params)
    for name, value in params.items():
        numerical = numerical_gradient(lambda: run()[0], value)
        assert np.max(np.abs(numerical)) > 1e-4, name
        error = np.max(np.abs(numerical - grads[name])) / np.max(np.abs(numerical))
        assert error < 1e-6, (name, error)


@pytest.mark.parametrize("kind", ["tokens", "numeric"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_pooling_matches_reference(kind, pooling):
    """The pooled summary is the last, mean or max of each sequence's own states
    (computed one sequence at a time), and zero for an empty sequence."""
    values, offsets, params, _, _ = make_problem(kind, {})
    logits, _ = forward(params, pack(values, offsets, np.arange(len(LENGTHS))))
    logits, _ = forward(
        params, pack(values, offsets, np.arange(len(LENGTHS))), pooling=pooling
    )
    for j, length in enumerate(LENGTHS):
        h, states = np.zeros(HIDDEN), []
        for x in values[offsets[j] : offsets[j + 1]]:
            if kind == "tokens":
                x = np.eye(N_VOCAB)[x]
            h = np.tanh(x @ params["W_xh"] + h @ params["W_hh"] + params["b_h"])
            states.append(h)
        if not length:
            summary = np.zeros(HIDDEN)
        elif pooling == "last":
            summary = states[-1]
        else:
            summary = getattr(np, pooling)(states, axis=0)
        expected = summary @ params["W_hy"] + params["b_y"]
        np.testing.assert_allclose(logits[j], expected, rtol=1e-12, atol=1e-14)


def test_pooling_options_give_different_models():
    values, offsets, params, _, _ = make_problem("tokens", {})
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    outs = [forward(params, batch, pooling=p)[0] for p in ("last", "mean", "max")]
    nonempty = np.array(LENGTHS) > 1
    for a in range(3):
        for b in range(a + 1, 3):
            assert not np.allclose(outs[a][nonempty], outs[b][nonempty])


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


@pytest.mark.parametrize("config", CONFIGS)
def test_state_only_prediction_equals_forward(config):
    """Prediction's bounded-memory path supports every pooling and the embedding,
    and never applies dropout."""
    kind, init_kw, loss_kw = CONFIGS[config]
    pooling = loss_kw.get("pooling", "last")
    values, offsets, params, _, _ = make_problem(kind, init_kw)
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
    expected, _ = forward(params, batch, pooling=pooling)
    got = _forward_final(params, batch, pooling)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    chunked = predict_logits(params, values, offsets, chunk_size=3, pooling=pooling)
    np.testing.assert_allclose(chunked, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("which", ["input_dropout", "output_dropout"])
def test_dropout_changes_training_pass_only_as_asked(which):
    values, offsets, params, y, _ = make_problem("tokens", {})
    batch = pack(values, offsets, np.arange(len(LENGTHS)))
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
    from sklearn_rnn._rnn import dropout_mask

    mask = dropout_mask(np.random.default_rng(0), (400, 500), 0.3, np.float64)
    kept = mask > 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(mask[kept], 1 / 0.7)
    assert abs(mask.mean() - 1.0) < 0.01
    assert dropout_mask(np.random.default_rng(0), (3,), 0.3, np.float32).dtype == (
        np.float32
    )


def test_embedding_parameters():
    rng = np.random.default_rng(0)
    params = init_params(rng, 50, 6, 2, token_input=True, embedding_size=3)
    assert params["W_emb"].shape == (50, 3)
    assert params["W_xh"].shape == (3, 6)
    # Numeric input has no embedding, whatever is asked.
    numeric = init_params(rng, 4, 6, 2, token_input=False, embedding_size=3)
    assert "W_emb" not in numeric and numeric["W_xh"].shape == (4, 6)


def test_embedding_gradient_is_row_sparse_when_large():
    from sklearn_rnn._rnn import RowSparseGradient

    rng = np.random.default_rng(0)
    params = init_params(rng, 40_000, 4, 2, token_input=True, embedding_size=3)
    values = rng.integers(0, 40_000, size=30)
    batch = pack(values, np.array([0, 10, 30]), [0, 1])
    y = np.array([0, 1])
    _, sparse, _ = loss_and_gradients(params, batch, y, alpha=0.1, sparse=True)
    _, dense, _ = loss_and_gradients(params, batch, y, alpha=0.1)
    assert isinstance(sparse["W_emb"], RowSparseGradient)
    np.testing.assert_array_equal(np.asarray(sparse["W_emb"]), dense["W_emb"])


@pytest.mark.parametrize("hidden", [1, 5, 64])
def test_orthogonal_recurrent_init(hidden):
    rng = np.random.RandomState(0)
    params = init_params(
        rng, 3, hidden, 2, token_input=False, recurrent_init="orthogonal"
    )
    W = params["W_hh"]
    np.testing.assert_allclose(W @ W.T, np.eye(hidden), atol=1e-12)
    again = init_params(
        np.random.RandomState(0),
        3,
        hidden,
        2,
        token_input=False,
        recurrent_init="orthogonal",
    )
    np.testing.assert_array_equal(again["W_hh"], W)


def test_uniform_init_draws_are_unchanged_by_the_options():
    """The core initialisation (uniform W_hh, no embedding) draws the same numbers
    as before the options existed: W_xh, W_hh, W_hy in that order."""
    params = init_params(np.random.RandomState(3), 5, 4, 2, token_input=True)
    rng = np.random.RandomState(3)
    b_xh, b_hh, b_hy = np.sqrt(6 / 5), 1 / 2, np.sqrt(6 / 6)
    np.testing.assert_array_equal(params["W_xh"], rng.uniform(-b_xh, b_xh, (5, 4)))
    np.testing.assert_array_equal(params["W_hh"], rng.uniform(-b_hh, b_hh, (4, 4)))
    np.testing.assert_array_equal(params["W_hy"], rng.uniform(-b_hy, b_hy, (4, 2)))
