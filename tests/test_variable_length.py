"""Numeric sequences of different lengths: NaN padding and lists of arrays.

The same sequences given as a list of arrays, or as one array padded at the end
with NaN (of any width, 2-D or 3-D, or a DataFrame), train the same model and
give exactly the same outputs in every method that reads X; NaN that is not
padding is refused with its position. The rules are those of the input page of
the user guide ("Sequences of different lengths").
"""

import copy

import numpy as np
import pandas as pd
import pytest

from conftest import (
    PREDICT_METHODS,
    assert_same_state,
    assert_same_weights,
    fit_quietly,
    ignore_convergence,
    small_rnn,
    snapshot,
)
from sklearn_rnn import TextRNNClassifier, TextRNNRegressor

pytestmark = ignore_convergence


def make_sequences(seed, n=50, n_features=None, max_len=8):
    """``n`` random sequences of 1 to ``max_len`` steps, univariate (1-D arrays)
    or of ``n_features`` a step, and a label: the sign of their last step."""
    rng = np.random.RandomState(seed)
    shape = (lambda k: (k,)) if n_features is None else (lambda k: (k, n_features))
    X = [rng.randn(*shape(k)) for k in rng.randint(1, max_len + 1, size=n)]
    return X, np.array([int(np.sum(x[-1]) > 0) for x in X])


def pad(sequences, width=None):
    """The sequences as one array padded at the end with NaN, ``width`` steps
    wide (the longest sequence's length by default)."""
    arrays = [np.asarray(s, dtype=float) for s in sequences]
    step_shape = next((a.shape[1:] for a in arrays if a.ndim == 2), ())
    width = max(len(a) for a in arrays) if width is None else width
    out = np.full((len(arrays), width, *step_shape), np.nan)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a.reshape(len(a), *step_shape)
    return out


def outputs(model, method, X):
    result = getattr(model, method)(X)
    return result if isinstance(result, list) else [result]


def assert_same_outputs(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def univariate():
    return make_sequences(0)


@pytest.fixture(scope="module")
def multivariate():
    return make_sequences(1, n_features=3)


@pytest.fixture(scope="module")
def list_model(univariate):
    """Fitted on a list of 1-D arrays of different lengths."""
    return fit_quietly(small_rnn(max_iter=30), *univariate)


@pytest.fixture(scope="module")
def padded_model(univariate):
    """Fitted on the same sequences padded with NaN: 8 steps wide."""
    X, y = univariate
    return fit_quietly(small_rnn(max_iter=30), pad(X), y)


# ---------------------------------------------------------------- one model
@pytest.mark.parametrize("estimator", [TextRNNClassifier, TextRNNRegressor])
@pytest.mark.parametrize("n_features", [None, 3], ids=["1-D", "2-D"])
def test_a_list_and_any_padding_of_it_train_the_same_model(estimator, n_features):
    X, y = make_sequences(2, n_features=n_features)
    y = y.astype(float) if estimator is TextRNNRegressor else y
    fitted = [
        fit_quietly(small_rnn(estimator, max_iter=15), X_form, y)
        for X_form in (X, pad(X), pad(X, width=13))
    ]
    for model in fitted[1:]:
        assert_same_weights(fitted[0], model)
        assert model.loss_curve_ == fitted[0].loss_curve_
        assert_same_outputs(
            outputs(model, "predict", X), outputs(fitted[0], "predict", X)
        )
    assert fitted[1].n_features_in_ == 8 and fitted[2].n_features_in_ == 13
    assert not hasattr(fitted[0], "n_features_in_")
    assert fitted[0].n_step_features_ == (n_features or 1)


@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_padding_never_changes_outputs(list_model, univariate, method):
    """Whatever the width of the padding, the outputs are those of the list."""
    X, _ = univariate
    expected = outputs(list_model, method, X)
    for width in (8, 9, 20):
        assert_same_outputs(outputs(list_model, method, pad(X, width)), expected)


@pytest.mark.parametrize("method", ["predict", "transform", "predict_per_step"])
def test_padding_never_changes_the_regressors_outputs(multivariate, method):
    X, y = multivariate
    model = fit_quietly(small_rnn(TextRNNRegressor, max_iter=15), X, y.astype(float))
    expected = outputs(model, method, X)
    for width in (8, 11):
        assert_same_outputs(outputs(model, method, pad(X, width)), expected)


def test_per_step_outputs_stop_where_the_padding_begins(list_model, univariate):
    X, _ = univariate
    per_step = list_model.predict_proba_per_step(pad(X, 12))
    assert [len(p) for p in per_step] == [len(x) for x in X]
    last = np.array([p[-1] for p in per_step])
    np.testing.assert_array_equal(last, list_model.predict_proba(X))


def test_max_len_keeps_the_last_real_steps_not_padding(univariate):
    X, y = univariate
    model = fit_quietly(small_rnn(max_len=2, truncation="tail", max_iter=10), pad(X), y)
    np.testing.assert_array_equal(
        model.predict_proba(pad(X)), model.predict_proba([x[-2:] for x in X])
    )


def test_prediction_in_chunks_matches_one_sequence_at_a_time(list_model):
    """More samples than one chunk of prediction (1024), empty ones among them:
    the padded array gives what the list gives, and each output is the one its
    sequence gets alone (up to the rounding of a product over other rows)."""
    X, _ = make_sequences(3, n=2100)
    X[1500], X[2099] = np.array([]), np.array([])
    padded = pad(X)
    proba = list_model.predict_proba(padded)
    np.testing.assert_array_equal(proba, list_model.predict_proba(X))
    for i in (0, 1023, 1024, 1500, 2099):
        alone = list_model.predict_proba(padded[[i]])[0]
        np.testing.assert_allclose(proba[i], alone, rtol=1e-12)
    np.testing.assert_array_equal(proba[2099], proba[1500])


# ---------------------------------------------------------------- lengths
def test_an_array_has_the_fitted_width_and_a_list_any_lengths(padded_model, univariate):
    X, y = univariate
    longer = [*X[:3], np.arange(12.0) / 10]  # longer than any sequence of fit
    assert padded_model.predict(longer).shape == (4,)
    with pytest.raises(
        ValueError,
        match=r"X has 9 features, but TextRNNClassifier is expecting 8 features as "
        r"input: .* Pad shorter sequences at the end with NaN to 8 steps, or pass "
        r"the sequences as a list of arrays",
    ):
        padded_model.predict(pad(X, 9))
    model = copy.deepcopy(padded_model)
    with pytest.raises(ValueError, match="X has 9 features, but"):
        model.partial_fit(pad(X, 9), y)
    model.partial_fit(longer, y[:4])
    assert model.n_features_in_ == 8


def test_a_list_of_equal_lengths_is_one_array_to_fit():
    """scikit-learn reads a nested list whose rows have one length as a table:
    it fixes the width (``n_features_in_``) as that table would."""
    rng = np.random.RandomState(0)
    X, y = [rng.randn(5) for _ in range(20)], np.arange(20) % 2
    model = small_rnn(max_iter=2).fit(X, y)
    assert model.n_features_in_ == 5
    assert model.predict([x[:2] for x in X]).shape == (20,)  # a list: any length
    with pytest.raises(ValueError, match="expecting 5 features"):
        model.predict(pad(X, 6))


def test_a_new_fit_on_a_list_forgets_the_width_of_an_earlier_one(
    padded_model, univariate
):
    """A model refitted on a list of different lengths takes arrays of any width,
    its validation data included: the earlier fit's width sets no rule."""
    X, y = univariate
    model = copy.deepcopy(padded_model)
    model.fit(X[:40], y[:40], validation_data=(pad(X[40:], 11), y[40:]))
    assert not hasattr(model, "n_features_in_")
    assert model.predict(pad(X, 11)).shape == (50,)


# ---------------------------------------------------------------- training
def test_partial_fit_and_warm_start_on_lists(univariate):
    X, y = univariate
    more, y_more = make_sequences(4, n=30, max_len=12)  # longer ones too
    width = 12
    by_list, by_array = small_rnn(), small_rnn()
    by_list.partial_fit(X, y, classes=[0, 1]).partial_fit(more, y_more)
    by_array.partial_fit(pad(X, width), y, classes=[0, 1])
    by_array.partial_fit(pad(more, width), y_more)
    assert_same_weights(by_list, by_array)

    warm_list = fit_quietly(small_rnn(max_iter=5, warm_start=True), X, y)
    warm_array = fit_quietly(small_rnn(max_iter=5, warm_start=True), pad(X, width), y)
    fit_quietly(warm_list, more, y_more)
    fit_quietly(warm_array, pad(more, width), y_more)
    assert_same_weights(warm_list, warm_array)
    assert warm_list.n_iter_ == warm_array.n_iter_ == 10


def test_zero_weights_drop_sequences_of_a_list(univariate):
    X, y = univariate
    weights = np.where(np.arange(50) % 5 == 0, 0.0, 2.0)
    kept = np.flatnonzero(weights)
    weighted = fit_quietly(small_rnn(max_iter=10), X, y, sample_weight=weights)
    dropped = fit_quietly(
        small_rnn(max_iter=10),
        [X[i] for i in kept],
        y[kept],
        sample_weight=weights[kept],
    )
    assert_same_weights(weighted, dropped)


def test_early_stopping_and_validation_data_read_every_form(univariate):
    X, y = univariate
    params = {"max_iter": 8, "early_stopping": True, "validation_fraction": 0.3}
    split = [fit_quietly(small_rnn(**params), X_form, y) for X_form in (X, pad(X))]
    assert_same_weights(*split)
    assert split[0].validation_scores_ == split[1].validation_scores_
    X_val, y_val = make_sequences(5, n=20, max_len=10)
    given = [
        fit_quietly(small_rnn(max_iter=8), X, y, validation_data=(form, y_val))
        for form in (X_val, pad(X_val), tuple(X_val))
    ]
    for model in given[1:]:
        assert model.validation_scores_ == given[0].validation_scores_


def test_float32_model_reads_padding_as_the_float64_one_does(univariate):
    X, y = univariate
    as_float32 = [x.astype(np.float32) for x in X]
    models = [
        fit_quietly(small_rnn(max_iter=10, dtype="float32"), X_form, y)
        for X_form in (X, pad(X), pad(as_float32).astype(np.float32))
    ]
    for model in models[1:]:
        assert_same_weights(models[0], model)
    proba = models[0].predict_proba(pad(as_float32).astype(np.float32))
    assert proba.dtype == np.float32
    np.testing.assert_array_equal(proba, models[0].predict_proba(X))


def test_a_float32_model_names_a_value_out_of_its_range_in_a_list(univariate):
    X, y = univariate
    model = fit_quietly(small_rnn(max_iter=2, dtype="float32"), X, y)
    big = [*[np.zeros(3)] * 2000, np.array([0.0, 1e39])]
    with pytest.raises(ValueError, match=r"X\[2000\]\[1\] = 1e\+39 is out of the"):
        model.predict(big)
    padded = pad(big, 4)
    with pytest.raises(ValueError, match=r"X\[2000, 1\] = 1e\+39 is out of the"):
        model.predict(padded)


# ---------------------------------------------------------------- empty
def test_an_empty_sequence_gives_the_output_of_an_empty_document(
    list_model, univariate
):
    X, _ = univariate
    bias = list_model.output_bias_
    empty_output = np.exp(bias) / np.exp(bias).sum()  # h stays 0: the bias alone
    mixed = [X[0], np.array([]), [], X[1]]
    proba = list_model.predict_proba(mixed)
    np.testing.assert_allclose(proba[1], empty_output, rtol=1e-12)
    np.testing.assert_array_equal(proba[2], proba[1])
    np.testing.assert_array_equal(proba[[0, 3]], list_model.predict_proba([X[0], X[1]]))
    padded = pad(mixed)
    np.testing.assert_array_equal(list_model.predict_proba(padded), proba)
    np.testing.assert_array_equal(list_model.transform(padded)[1:3], 0.0)
    per_step = list_model.predict_proba_per_step(padded)
    assert [p.shape for p in per_step] == [
        (len(X[0]), 2),
        (0, 2),
        (0, 2),
        (len(X[1]), 2),
    ]


def test_fit_refuses_sequences_that_are_all_empty():
    for X in (np.full((4, 3), np.nan), [[], np.array([]), np.full(2, np.nan), []]):
        model = small_rnn()
        with pytest.raises(ValueError, match="Every sequence of X is empty"):
            model.fit(X, [0, 1, 0, 1])
        assert not hasattr(model, "input_mode_")


def test_empty_sequences_train_beside_others(univariate):
    X, y = univariate
    with_empty = [*X, np.array([]), np.array([])]
    model = fit_quietly(small_rnn(max_iter=5), with_empty, [*y, 0, 1])
    assert_same_weights(
        model, fit_quietly(small_rnn(max_iter=5), pad(with_empty), [*y, 0, 1])
    )


# ---------------------------------------------------------------- refused
def _with_nan(X, *index):
    X = X.copy()
    X[index] = np.nan
    return X


def _misplaced_nan():
    rng = np.random.RandomState(0)
    X2, X3 = rng.randn(6, 6), rng.randn(6, 5, 3)  # the fitted models' widths
    listed = [rng.randn(k) for k in (4, 5, 3, 4, 6, 2)]
    gap = r"is NaN \(sample 2, time step 1\), but sample 2 has numbers after it, "
    partial = r"is NaN \(sample 3, time step {}, feature 1\), but other features"
    return {
        "2-D gap": (_with_nan(X2, 2, 1), "2-D", r"X\[2, 1\] " + gap),
        "2-D at the start": (_with_nan(X2, 0, 0), "2-D", r"X\[0, 0\] is NaN"),
        "3-D gap": (_with_nan(X3, 2, 1), "3-D", r"X\[2, 1, 0\] " + gap),
        "3-D partial step": (
            _with_nan(X3, 3, 0, 1),
            "3-D",
            r"X\[3, 0, 1\] " + partial.format(0),
        ),
        "3-D partial last step": (
            _with_nan(X3, 3, 4, 1),
            "3-D",
            r"X\[3, 4, 1\] " + partial.format(4),
        ),
        "list gap": (
            [*listed[:2], np.array([1.0, np.nan, np.nan, 2.0]), *listed[3:]],
            "2-D",
            r"X\[2\]\[1\] " + gap,
        ),
        "list partial step": (
            [*(x.reshape(-1, 1).repeat(3, 1) for x in listed[:3]), np.ones((2, 3))]
            + [np.array([[1.0, 1.0, 1.0], [1.0, np.nan, 2.0]]), np.ones((1, 3))],
            "3-D",
            r"X\[4\]\[1, 1\] is NaN \(sample 4, time step 1, feature 1\)",
        ),
    }


MISPLACED_NAN = _misplaced_nan()


@pytest.mark.parametrize("case", MISPLACED_NAN)
def test_nan_that_is_not_padding_is_refused_with_its_position(case, models):
    X, kind, match = MISPLACED_NAN[case]
    model = small_rnn()
    with pytest.raises(ValueError, match=match) as excinfo:
        model.fit(X, [0, 1] * 3)
    assert "Impute missing values first" in str(excinfo.value)
    assert not hasattr(model, "input_mode_")
    fitted = models["numeric" if kind == "2-D" else "numeric_3d"][0]
    fitted = copy.deepcopy(fitted)
    before = snapshot(fitted)
    with pytest.raises(ValueError, match=match):
        fitted.predict(X)
    assert_same_state(before, vars(fitted))


def test_infinity_is_refused_in_a_list(list_model):
    with pytest.raises(ValueError, match=r"X\[1\]\[2\] is inf; numeric sequences"):
        list_model.predict([np.zeros(3), np.array([0.0, 1.0, np.inf, np.nan])])
    with pytest.raises(ValueError, match="infinity"):
        list_model.predict(np.array([[0.0, np.inf, np.nan]]))


def test_sequences_of_a_list_have_one_number_of_features(list_model):
    with pytest.raises(
        ValueError, match=r"X\[1\] has 3 feature\(s\) per time step, but X\[0\] has 2"
    ):
        small_rnn().fit([np.zeros((3, 2)), np.zeros((2, 3))], [0, 1])
    with pytest.raises(
        ValueError, match=r"X\[1\] has 2 features per time step, but this model was "
    ):
        list_model.predict([np.zeros(3), np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"X\[0\] has shape \(2, 2, 2\): each"):
        list_model.predict([np.zeros((2, 2, 2))])
    with pytest.raises(ValueError, match=r"X\[1\] holds strings"):
        list_model.predict([np.zeros(3), ["1", "2"]])


# ---------------------------------------------------------------- containers
def test_inputs_are_never_modified(univariate):
    X, y = univariate
    listed = [x.copy() for x in X]
    padded = pad(X)
    for array in (*listed, padded):
        array.setflags(write=False)  # a write would raise
    originals = [x.copy() for x in listed], padded.copy()
    model = fit_quietly(
        small_rnn(max_iter=3, early_stopping=True), listed, y, sample_weight=None
    )
    model.partial_fit(padded, y)
    fit_quietly(model, padded, y, validation_data=(listed, y))
    for method in PREDICT_METHODS:
        getattr(model, method)(listed)
        getattr(model, method)(padded)
    for x, original in zip(listed, originals[0], strict=True):
        np.testing.assert_array_equal(x, original)
    np.testing.assert_array_equal(padded, originals[1])


def test_pandas_and_nested_lists_are_read_as_the_list_of_arrays(list_model, univariate):
    X, _ = univariate
    expected = list_model.predict_proba(X)
    forms = {
        "DataFrame": pd.DataFrame(pad(X)),
        "list of Series": [pd.Series(x) for x in X],
        "Series of arrays": pd.Series(X),
        "object array": np.array(X + [None], dtype=object)[:-1],
        "nested lists": [list(x) for x in X],
        "tuple": tuple(X),
        "generator": (x for x in X),
    }
    for name, X_form in forms.items():
        np.testing.assert_array_equal(
            list_model.predict_proba(X_form), expected, err_msg=name
        )
