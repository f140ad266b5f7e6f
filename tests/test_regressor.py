"""TextRNNRegressor: numeric targets, their scaling, multi-output, R^2."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_rnn import TextRNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def running_sums(n=120, steps=8, seed=0):
    """Sequences whose target is their sum: learnable only by reading every step."""
    X = np.random.default_rng(seed).normal(size=(n, steps))
    return X, X.sum(axis=1)


def scored_sentences():
    """Short texts whose target counts their positive minus negative words."""
    words = {"good": 1.0, "great": 2.0, "bad": -1.0, "awful": -2.0, "the": 0.0}
    rng = np.random.default_rng(0)
    docs, y = [], []
    for _ in range(150):
        chosen = rng.choice(list(words), size=rng.integers(1, 6))
        docs.append(" ".join(chosen))
        y.append(sum(words[w] for w in chosen))
    return docs, np.array(y)


def test_learns_a_running_sum_of_numeric_sequences():
    X, y = running_sums()
    reg = TextRNNRegressor(hidden_size=16, pooling="mean", random_state=0)
    reg.fit(X[:100], y[:100])
    assert reg.score(X[:100], y[:100]) > 0.95
    assert reg.score(X[100:], y[100:]) > 0.9
    assert reg.predict(X).shape == (120,)


def test_learns_a_score_of_raw_text():
    docs, y = scored_sentences()
    reg = TextRNNRegressor(hidden_size=16, random_state=0).fit(docs, y)
    assert reg.input_mode_ == "text"
    assert reg.score(docs, y) > 0.95
    great, awful = reg.predict(["great great", "awful awful"])
    assert great > 2.5 and awful < -2.5


@pytest.mark.parametrize("shape", [(120,), (120, 1), (120, 3)])
def test_predictions_are_shaped_like_the_targets(shape):
    X, total = running_sums()
    y = np.stack([total, -total, 2 * total], axis=1)[
        :, : shape[1] if len(shape) > 1 else 1
    ]
    y = y.reshape(shape)
    reg = TextRNNRegressor(hidden_size=8, max_iter=5, random_state=0).fit(X, y)
    assert reg.n_outputs_ == (shape[1] if len(shape) > 1 else 1)
    assert reg.predict(X[:4]).shape == (4, *shape[1:])
    assert reg.predict(X[:4]).dtype == np.float64
    per_step = reg.predict_per_step(X[:2])
    assert [p.shape for p in per_step] == [(8, *shape[1:])] * 2


def test_per_step_predictions_end_with_predict_and_empty_documents_have_none():
    docs, y = scored_sentences()
    reg = TextRNNRegressor(hidden_size=8, max_iter=5, random_state=0).fit(docs, y)
    per_step = reg.predict_per_step(["good bad great", ""])
    assert per_step[0].shape == (3,) and per_step[1].shape == (0,)
    np.testing.assert_allclose(per_step[0][-1], reg.predict(["good bad great"])[0])


def test_standard_scaling_makes_predictions_follow_an_affine_change_of_targets():
    X, y = running_sums()
    params = dict(hidden_size=8, max_iter=20, random_state=0)
    small = TextRNNRegressor(**params).fit(X, y)
    large = TextRNNRegressor(**params).fit(X, 1000.0 * y + 5e4)
    np.testing.assert_allclose(large.target_mean_, 1000.0 * small.target_mean_ + 5e4)
    np.testing.assert_allclose(large.target_scale_, 1000.0 * small.target_scale_)
    np.testing.assert_allclose(
        large.predict(X), 1000.0 * small.predict(X) + 5e4, rtol=1e-6
    )
    assert large.score(X, 1000.0 * y + 5e4) == pytest.approx(small.score(X, y))


def test_scaling_is_what_makes_large_targets_trainable():
    X, y = running_sums()
    y = 1000.0 * y + 5e4
    params = dict(hidden_size=8, max_iter=50, random_state=0)
    scaled = TextRNNRegressor(**params).fit(X, y)
    raw = TextRNNRegressor(target_scaling=None, **params).fit(X, y)
    assert raw.target_mean_.tolist() == [0.0] and raw.target_scale_.tolist() == [1.0]
    # In the same epochs the raw model has barely moved its output towards 5e4.
    assert scaled.score(X, y) > 0.8
    assert raw.score(X, y) < 0.0


def test_a_constant_target_is_shifted_not_divided():
    X, _ = running_sums()
    y = np.stack([np.full(len(X), 7.0), X.sum(axis=1)], axis=1)
    reg = TextRNNRegressor(hidden_size=8, max_iter=20, random_state=0).fit(X, y)
    assert reg.target_scale_[0] == 1.0 and reg.target_mean_[0] == 7.0
    np.testing.assert_allclose(reg.predict(X)[:, 0], 7.0, atol=0.5)


def test_zero_weight_samples_shape_neither_the_scaling_nor_the_fit():
    X, y = running_sums()
    y = y.copy()
    y[:10] = 1e6  # outliers that weigh nothing
    weights = np.r_[np.zeros(10), np.ones(len(y) - 10)]
    weighted = TextRNNRegressor(hidden_size=8, max_iter=10, random_state=0)
    weighted.fit(X, y, sample_weight=weights)
    dropped = TextRNNRegressor(hidden_size=8, max_iter=10, random_state=0)
    dropped.fit(X[10:], y[10:])
    assert weighted.target_mean_ == dropped.target_mean_
    np.testing.assert_array_equal(weighted.predict(X), dropped.predict(X))


def test_partial_fit_keeps_the_scaling_of_its_first_call():
    X, y = running_sums()
    reg = TextRNNRegressor(hidden_size=8, random_state=0)
    reg.partial_fit(X[:60], y[:60])
    mean, scale = reg.target_mean_.copy(), reg.target_scale_.copy()
    before = reg.predict(X[60:]).mean()
    for _ in range(50):
        reg.partial_fit(X[60:], y[60:] + 10.0)
    assert reg.target_mean_ == mean and reg.target_scale_ == scale
    assert reg.n_iter_ == 51
    # It learns the shifted targets through the fixed scaling.
    assert reg.predict(X[60:]).mean() > before + 3.0


def test_continuing_with_other_targets_fails_and_keeps_the_model():
    X, y = running_sums()
    reg = TextRNNRegressor(hidden_size=8, max_iter=5, random_state=0).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(ValueError, match=r"n_outputs=1"):
        reg.partial_fit(X, np.stack([y, y], axis=1))
    with pytest.raises(ValueError, match=r"shape \(n_samples,\)"):
        reg.set_params(warm_start=True).fit(X, y[:, np.newaxis])
    np.testing.assert_array_equal(reg.predict(X), before)
    assert reg.n_iter_ == 5


def test_early_stopping_watches_validation_r2():
    X, y = running_sums(n=300)
    reg = TextRNNRegressor(
        hidden_size=8, early_stopping=True, n_iter_no_change=3, random_state=0
    ).fit(X, y)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert all(score <= 1.0 for score in reg.validation_scores_)
    best = int(np.argmin(reg.validation_loss_curve_))
    assert reg.best_epoch_ == best + 1
    assert reg.best_validation_score_ == reg.validation_scores_[best] > 0.5
    assert "train_accuracy" not in reg.history_[0]


def test_warm_start_continues_from_the_fitted_weights():
    X, y = running_sums()
    reg = TextRNNRegressor(hidden_size=8, max_iter=5, random_state=0).fit(X, y)
    first = reg.score(X, y)
    reg.set_params(warm_start=True, max_iter=30).fit(X, y)
    assert reg.n_iter_ == 35 and len(reg.loss_curve_) == 35
    assert reg.score(X, y) > first


def test_float32_trains_in_float32_and_predicts_float64():
    X, y = running_sums()
    params = dict(hidden_size=8, max_iter=20, random_state=0)
    reg = TextRNNRegressor(dtype="float32", **params).fit(X, y)
    assert reg.recurrent_weights_.dtype == np.float32
    assert reg.transform(X).dtype == np.float32
    assert reg.predict(X).dtype == np.float64
    reference = TextRNNRegressor(**params).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), reference.predict(X), atol=1e-3)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.r_[np.nan, np.ones(119)], "NaN"),
        (np.array(["a"] * 120, dtype=object), "convert|numeric|float"),
        (None, "requires y"),
    ],
)
def test_invalid_targets_are_refused_with_the_reason(y, match):
    X, _ = running_sums()
    with pytest.raises(ValueError, match=match):
        TextRNNRegressor(max_iter=1).fit(X, y)


def test_pickled_model_predicts_the_same():
    docs, y = scored_sentences()
    reg = TextRNNRegressor(hidden_size=8, max_iter=5, random_state=0).fit(docs, y)
    loaded = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(loaded.predict(docs), reg.predict(docs))


def test_works_in_pipeline_grid_search_and_cross_validation():
    X, y = running_sums()
    pipe = make_pipeline(FunctionTransformer(lambda Z: Z * 2.0), TextRNNRegressor())
    search = GridSearchCV(
        pipe,
        {"textrnnregressor__hidden_size": [4, 8], "textrnnregressor__max_iter": [20]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
        scores = cross_val_score(
            TextRNNRegressor(hidden_size=8, max_iter=30, random_state=0), X, y, cv=3
        )
    assert search.best_params_["textrnnregressor__hidden_size"] in (4, 8)
    assert scores.shape == (3,) and scores.min() > 0.5


@pytest.mark.parametrize(
    "y, params, words",
    [
        ([1.0, None, 2.0, 3.0], {}, "missing target (None) at position 1"),
        (np.array([1.0, 2.0, None, 3.0], dtype=object), {}, "at position 2"),
        (["1", "2", "3", "4"], {}, "y holds text ('1' at position 0)"),
        (
            [1.0, 2.0, 1e39, 3.0],
            {"dtype": "float32", "target_scaling": None},
            "y[2] = 1e+39 is out of the range of float32",
        ),
        ([1.0, 2.0, 1e308, -1e308], {}, "too large to standardize"),
    ],
)
def test_targets_that_cannot_train_are_named_not_diverged(y, params, words):
    """Missing, textual or out-of-range targets used to end in "Training
    diverged" (or silently become numbers); each is an input problem."""
    X = np.random.RandomState(0).randn(4, 5)
    model = TextRNNRegressor(max_iter=2, **params)
    with pytest.raises(ValueError) as excinfo:
        model.fit(X, y)
    assert words in str(excinfo.value)
    assert "diverged" not in str(excinfo.value)
    assert not hasattr(model, "n_iter_")
