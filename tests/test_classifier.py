"""Behaviour of TextRNNClassifier that scikit-learn's common checks cannot see.

test_common.py runs ``check_estimator`` on numeric input only. These tests cover the
text path (raw documents, tokenizer, unknown words), the scikit-learn tooling around it
(clone, Pipeline, cross-validation, grid search, persistence), labels, error messages,
the guarantee that failed calls leave a fitted model as it was, and training itself.
"""

import copy
import json
import os
import pickle
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_rnn import TextRNNClassifier, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

WEIGHT_ATTRIBUTES = (
    "input_weights_",
    "recurrent_weights_",
    "hidden_bias_",
    "output_weights_",
    "output_bias_",
)
UNK = TextTokenizer.UNK_ID
# Subprocesses get one BLAS thread too, like this process (see conftest.py).
SINGLE_THREAD_ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


# ---------------------------------------------------------------- data
@pytest.fixture(scope="module")
def seed_train():
    return load_sentiment(subset="train", return_X_y=True)


@pytest.fixture(scope="module")
def seed_test():
    return load_sentiment(subset="test", return_X_y=True)


@pytest.fixture(scope="module")
def numeric_2d():
    """Univariate sequences (40, 6); the class is the sign of the last step."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 6)
    return X, (X[:, -1] > 0).astype(int)


@pytest.fixture(scope="module")
def numeric_3d():
    """Multivariate sequences (40, 5, 3); the class is the sign of a last-step value."""
    rng = np.random.RandomState(1)
    X = rng.randn(40, 5, 3)
    return X, (X[:, -1, 0] > 0).astype(int)


def small_rnn(**params):
    # The tutorial's model (last hidden state): at hidden size 8 it learns these
    # small tasks in the fewest epochs. The default pooling is tested in
    # test_classifier_options.py and by check_estimator.
    params = {"hidden_size": 8, "pooling": "last", "random_state": 0, **params}
    return TextRNNClassifier(**params)


def fit_quietly(estimator, X, y):
    """Fit a shared fixture model; running out of max_iter is deliberate there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.fixture(scope="module")
def text_model(seed_train):
    # Converges (early stopping) before max_iter on the seed data.
    return small_rnn(max_iter=300).fit(*seed_train)


@pytest.fixture(scope="module")
def numeric_model(numeric_2d):
    return fit_quietly(small_rnn(max_iter=60), *numeric_2d)


@pytest.fixture(scope="module")
def numeric_3d_model(numeric_3d):
    return fit_quietly(small_rnn(max_iter=40), *numeric_3d)


@pytest.fixture(scope="module")
def models(
    text_model, numeric_model, numeric_3d_model, seed_test, numeric_2d, numeric_3d
):
    """Fitted model and matching prediction input, by kind."""
    return {
        "text": (text_model, seed_test[0]),
        "numeric": (numeric_model, numeric_2d[0][:10]),
        "numeric_3d": (numeric_3d_model, numeric_3d[0][:10]),
    }


# ---------------------------------------------------------------- helpers
def assert_same_state(before, after, path="estimator"):
    """Deep comparison of estimator state: same keys, same types, arrays equal."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray), path
        assert before.dtype == after.dtype and before.shape == after.shape, path
        np.testing.assert_array_equal(before, after, err_msg=path)
    elif isinstance(before, BaseEstimator) or hasattr(before, "__dict__"):
        # Estimators, and plain objects such as the stored optimizer.
        assert type(before) is type(after), path
        assert_same_state(vars(before), vars(after), path)
    elif isinstance(before, dict):
        assert isinstance(after, dict), path
        assert before.keys() == after.keys(), path
        for key in before:
            assert_same_state(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, list | tuple):
        assert type(before) is type(after) and len(before) == len(after), path
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            assert_same_state(b, a, f"{path}[{i}]")
    else:
        assert type(before) is type(after), path
        assert before == after or (before != before and after != after), path


def snapshot(estimator):
    return copy.deepcopy(vars(estimator))


def normalise(documents):
    """Module-level (picklable) text preprocessing for the Pipeline test."""
    return [document.lower().strip() for document in documents]


# ---------------------------------------------------------------- 1. API
@ignore_convergence
def test_clone_gives_unfitted_estimator_with_equal_params():
    estimator = small_rnn(tokenizer=TextTokenizer(min_df=2), max_iter=17).fit(
        ["good", "bad", "good day", "bad day"], [1, 0, 1, 0]
    )
    cloned = clone(estimator)
    assert cloned.get_params()["tokenizer__min_df"] == 2
    params, cloned_params = estimator.get_params(), cloned.get_params()
    # The tokenizer parameter is cloned too: a different but equivalent object.
    assert cloned_params.pop("tokenizer") is not params.pop("tokenizer")
    assert params == cloned_params
    for attr in ("classes_", "tokenizer_", "input_weights_", "n_iter_"):
        assert not hasattr(cloned, attr)
    with pytest.raises(NotFittedError):
        cloned.predict(["good"])


def test_refit_with_same_random_state_is_identical(seed_train, seed_test):
    estimator = small_rnn(max_iter=300)
    first = estimator.fit(*seed_train).predict_proba(seed_test[0])
    weights = {attr: getattr(estimator, attr).copy() for attr in WEIGHT_ATTRIBUTES}
    second = estimator.fit(*seed_train).predict_proba(seed_test[0])
    np.testing.assert_array_equal(first, second)
    for attr, value in weights.items():
        np.testing.assert_array_equal(getattr(estimator, attr), value)
    # A separate instance with the same seed learns the same model too.
    np.testing.assert_array_equal(
        small_rnn(max_iter=300).fit(*seed_train).predict_proba(seed_test[0]), first
    )


@ignore_convergence
def test_different_random_state_gives_different_weights(seed_train):
    a = small_rnn(max_iter=5, random_state=0).fit(*seed_train)
    b = small_rnn(max_iter=5, random_state=1).fit(*seed_train)
    for attr in ("input_weights_", "recurrent_weights_", "output_weights_"):
        assert getattr(a, attr).shape == getattr(b, attr).shape
        assert not np.array_equal(getattr(a, attr), getattr(b, attr))


def test_pipeline_predicts_like_bare_classifier(seed_train, seed_test):
    X_train, y_train = seed_train
    shouting = [f"  {doc.upper()} " for doc in X_train]
    pipe = make_pipeline(FunctionTransformer(normalise), small_rnn(max_iter=300))
    pipe.fit(shouting, y_train)
    bare = small_rnn(max_iter=300).fit(normalise(shouting), y_train)
    test_shouting = [f"{doc.upper()}\t" for doc in seed_test[0]]
    np.testing.assert_array_equal(
        pipe.predict_proba(test_shouting), bare.predict_proba(normalise(test_shouting))
    )
    np.testing.assert_array_equal(
        pipe.predict(test_shouting), bare.predict(seed_test[0])
    )
    assert pipe.score(test_shouting, seed_test[1]) == bare.score(
        seed_test[0], seed_test[1]
    )


@ignore_convergence
def test_cross_val_score_on_text(seed_train):
    scores = cross_val_score(small_rnn(max_iter=30), *seed_train, cv=3)
    assert scores.shape == (3,)
    assert np.all(np.isfinite(scores))
    assert np.all((scores >= 0) & (scores <= 1))


@ignore_convergence
def test_grid_search_reaches_nested_tokenizer_params(seed_train):
    X_train, y_train = seed_train
    tokenizer = TextTokenizer()
    search = GridSearchCV(
        small_rnn(tokenizer=tokenizer, max_iter=30),
        {"hidden_size": [8, 12], "tokenizer__min_df": [1, 3]},
        cv=2,
        n_jobs=2,
        error_score="raise",
    )
    search.fit(X_train, y_train)
    tried = {
        (p["hidden_size"], p["tokenizer__min_df"]) for p in search.cv_results_["params"]
    }
    assert tried == {(8, 1), (8, 3), (12, 1), (12, 3)}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))

    best = search.best_estimator_
    chosen = search.best_params_["tokenizer__min_df"]
    assert best.hidden_size == search.best_params_["hidden_size"]
    assert best.tokenizer_.min_df == chosen
    # The chosen min_df really shaped the fitted vocabulary (the two values differ).
    expected = TextTokenizer(min_df=chosen).fit(X_train).vocabulary_
    assert best.tokenizer_.vocabulary_ == expected
    assert len(TextTokenizer(min_df=1).fit(X_train).vocabulary_) != len(
        TextTokenizer(min_df=3).fit(X_train).vocabulary_
    )
    assert best.recurrent_weights_.shape == (best.hidden_size, best.hidden_size)
    # The user's tokenizer object is left alone.
    assert not hasattr(tokenizer, "vocabulary_")
    assert tokenizer.min_df == 1


def test_fit_does_not_fit_or_mutate_the_given_tokenizer(seed_train):
    tokenizer = TextTokenizer(min_df=2)
    params = tokenizer.get_params()
    estimator = small_rnn(tokenizer=tokenizer, max_iter=300).fit(*seed_train)
    assert not hasattr(tokenizer, "vocabulary_")
    assert tokenizer.get_params() == params
    assert estimator.tokenizer is tokenizer
    assert estimator.tokenizer_ is not tokenizer
    assert estimator.tokenizer_.min_df == 2
    assert hasattr(estimator.tokenizer_, "vocabulary_")


def test_default_tokenizer_is_used_when_none(text_model, seed_train):
    assert text_model.tokenizer is None
    assert isinstance(text_model.tokenizer_, TextTokenizer)
    assert (
        text_model.tokenizer_.vocabulary_
        == TextTokenizer().fit(seed_train[0]).vocabulary_
    )


def test_pickle_round_trip(text_model, seed_test):
    restored = pickle.loads(pickle.dumps(text_model))
    np.testing.assert_array_equal(
        restored.predict_proba(seed_test[0]), text_model.predict_proba(seed_test[0])
    )
    np.testing.assert_array_equal(restored.classes_, text_model.classes_)
    assert restored.tokenizer_.vocabulary_ == text_model.tokenizer_.vocabulary_
    assert_same_state(snapshot(text_model), vars(restored))


def test_joblib_dump_loads_in_a_fresh_process(text_model, seed_test, tmp_path):
    documents = [*seed_test[0], "", "completely unseen words", "NOT GOOD!!"]
    model_path = tmp_path / "model.joblib"
    docs_path = tmp_path / "docs.json"
    out_path = tmp_path / "proba.npy"
    joblib.dump(text_model, model_path)
    docs_path.write_text(json.dumps(documents), encoding="utf-8")
    script = (
        "import json, sys\n"
        "import joblib, numpy as np\n"
        "model = joblib.load(sys.argv[1])\n"
        "with open(sys.argv[2], encoding='utf-8') as f:\n"
        "    docs = json.load(f)\n"
        "np.save(sys.argv[3], model.predict_proba(docs))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(model_path), str(docs_path), str(out_path)],
        capture_output=True,
        text=True,
        env=SINGLE_THREAD_ENV,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(
        np.load(out_path), text_model.predict_proba(documents)
    )


# ---------------------------------------------------------------- 2. text
def test_unseen_words_map_to_unknown_and_predict(text_model):
    documents = ["not xyzzy good", "not plugh good", "frobnicate", "i am quux"]
    token_ids, offsets = text_model.tokenizer_.transform_ragged(documents)
    assert token_ids[offsets[0] + 1] == UNK
    assert token_ids[offsets[2]] == UNK
    proba = text_model.predict_proba(documents)
    assert proba.shape == (4, 2)
    assert np.all(np.isfinite(proba))
    assert text_model.predict(documents).shape == (4,)
    # Two unknown words are the same unknown token: same prediction.
    np.testing.assert_array_equal(proba[0], proba[1])


def test_documents_without_known_tokens_get_a_prediction(text_model):
    documents = ["", "!!! ... ???", "   ", "xyzzy plugh", "foo bar", "good"]
    proba = text_model.predict_proba(documents)
    assert proba.shape == (6, 2)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = text_model.predict(documents)
    assert pred.shape == (6,)
    assert set(pred) <= set(text_model.classes_)
    # Empty (no tokens at all): h stays 0, so the output bias alone decides.
    bias = text_model.output_bias_
    expected = np.exp(bias - bias.max()) / np.exp(bias - bias.max()).sum()
    for row in proba[:3]:
        np.testing.assert_allclose(row, expected)
    # All-unknown documents of equal length are indistinguishable.
    np.testing.assert_array_equal(proba[3], proba[4])


def test_prediction_methods_agree(text_model, seed_test):
    documents = [*seed_test[0], "", "unseen words only"]
    proba = text_model.predict_proba(documents)
    assert proba.shape == (len(documents), 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(text_model.predict_log_proba(documents), np.log(proba))
    pred = text_model.predict(documents)
    np.testing.assert_array_equal(pred, text_model.classes_[proba.argmax(axis=1)])
    scores = text_model.decision_function(documents)
    assert scores.shape == (len(documents),)
    np.testing.assert_array_equal(scores > 0, pred == text_model.classes_[1])
    assert text_model.score(*seed_test) == np.mean(
        text_model.predict(seed_test[0]) == seed_test[1]
    )


def test_text_containers_are_equivalent(text_model, seed_test):
    documents = seed_test[0]
    expected = text_model.predict_proba(documents)
    for container in (
        tuple(documents),
        np.array(documents),
        np.array(documents, dtype=object),
        pd.Series(documents),
        pd.Series(documents, dtype="string"),
    ):
        np.testing.assert_array_equal(text_model.predict_proba(container), expected)


# ---------------------------------------------------------------- 3. labels
THREE_CLASS_DOCS = [
    "good", "very good", "happy", "so happy",
    "bad", "very bad", "sad", "so sad",
    "table", "a chair", "the door", "window",
]  # fmt: skip
THREE_CLASS_LABELS = ["pos"] * 4 + ["neg"] * 4 + ["neutral"] * 4


@pytest.mark.parametrize(
    "label_values",
    [
        np.array([False, True]),
        np.array(["sad", "happy"]),  # sorted order is the reverse of target order
        np.array([7, -3]),
        np.array([0.0, 1.0]),
    ],
    ids=["bool", "str", "int", "float"],
)
def test_binary_label_types(seed_train, label_values):
    X_train, target = seed_train
    y = label_values[target]
    estimator = small_rnn(max_iter=300).fit(X_train, list(y))
    np.testing.assert_array_equal(estimator.classes_, np.sort(label_values))
    pred = estimator.predict(X_train)
    assert pred.dtype.kind == label_values.dtype.kind
    # Labels map back to the right classes: the seed data is learnt exactly.
    np.testing.assert_array_equal(pred, y)
    assert estimator.score(X_train, y) == 1.0


def test_three_string_classes():
    estimator = small_rnn(max_iter=300).fit(THREE_CLASS_DOCS, THREE_CLASS_LABELS)
    np.testing.assert_array_equal(estimator.classes_, ["neg", "neutral", "pos"])
    pred = estimator.predict(THREE_CLASS_DOCS)
    assert pred.dtype.kind == "U"
    np.testing.assert_array_equal(pred, THREE_CLASS_LABELS)
    proba = estimator.predict_proba(THREE_CLASS_DOCS)
    assert proba.shape == (12, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    scores = estimator.decision_function(THREE_CLASS_DOCS)
    assert scores.shape == (12, 3)
    np.testing.assert_array_equal(estimator.classes_[scores.argmax(axis=1)], pred)
    assert estimator.output_weights_.shape == (8, 3)
    assert estimator.output_bias_.shape == (3,)


# ---------------------------------------------------------------- 4. errors
DOCS4 = ["good", "bad", "not good", "not bad"]
Y4 = [1, 0, 0, 1]
NUM4 = np.arange(12.0).reshape(4, 3)


def _with(value, index=(1, 1)):
    X = NUM4.copy()
    X[index] = value
    return X


FIT_ERRORS = {
    "bare-string": ("not good at all", [1], ValueError, "string object received"),
    "None-document": (["good", "bad", None, "sad"], Y4, ValueError, "position 2"),
    "NaN-document": (["good", "bad", np.nan, "sad"], Y4, ValueError, "position 2"),
    "int-document": (["good", "bad", 3, "sad"], Y4, ValueError, "position 2"),
    "no-tokens": (["", "!!", " ", "?"], Y4, ValueError, "No tokens found"),
    "one-class-text": (DOCS4, [1, 1, 1, 1], ValueError, "at least 2 classes"),
    "one-class-numeric": (NUM4, ["a"] * 4, ValueError, "only one class"),
    "length-mismatch-text": (DOCS4, [1, 0, 1], ValueError, r"inconsistent.*\[4, 3\]"),
    "length-mismatch-numeric": (NUM4, [1, 0], ValueError, r"inconsistent.*\[4, 2\]"),
    "y-None-text": (DOCS4, None, ValueError, "requires y"),
    "y-None-numeric": (NUM4, None, ValueError, "requires y"),
    "empty-list": ([], [], ValueError, "0 samples"),
    "NaN-numeric": (_with(np.nan), Y4, ValueError, "NaN"),
    "inf-numeric": (_with(np.inf), Y4, ValueError, "infinity"),
    "4-D-numeric": (np.zeros((4, 3, 2, 2)), Y4, ValueError, "4-D"),
    "continuous-y": (DOCS4, [0.1, 0.2, 0.3, 0.4], ValueError, "Unknown label type"),
}


@pytest.mark.parametrize("fitted", [None, "text", "numeric"])
@pytest.mark.parametrize("case", FIT_ERRORS, ids=str)
def test_fit_errors_leave_the_model_as_it_was(case, fitted, models):
    X, y, error, match = FIT_ERRORS[case]
    if fitted is None:
        estimator = small_rnn()
    else:
        estimator = copy.deepcopy(models[fitted][0])
        X_pred = models[fitted][1]
        proba = estimator.predict_proba(X_pred)
    before = snapshot(estimator)
    with pytest.raises(error, match=match):
        estimator.fit(X, y)
    assert_same_state(before, vars(estimator))
    if fitted is None:
        assert not hasattr(estimator, "classes_")
    else:
        np.testing.assert_array_equal(estimator.predict_proba(X_pred), proba)


TEXT_PREDICT_ERRORS = {
    "bare-string": ("not good", ValueError, "string object received"),
    "None-document": (["good", "bad", None], ValueError, "position 2"),
    "NaN-document": (["good", "bad", float("nan")], ValueError, "position 2"),
    "NA-in-Series": (pd.Series(["good", "bad", pd.NA]), ValueError, "position 2"),
    "int-document": (["good", "bad", 5], ValueError, "position 2"),
    "numeric-2-D": (np.zeros((3, 4)), ValueError, "fitted on text"),
    "numeric-3-D": (np.zeros((3, 4, 2)), ValueError, "fitted on text"),
    "2-D-text": (np.array([["good"], ["bad"]]), ValueError, "fitted on text"),
    "empty-list": ([], ValueError, "0 documents"),
}


@pytest.mark.parametrize("case", TEXT_PREDICT_ERRORS, ids=str)
@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_text_predict_errors(text_model, seed_test, case, method):
    X, error, match = TEXT_PREDICT_ERRORS[case]
    proba = text_model.predict_proba(seed_test[0])
    before = snapshot(text_model)
    with pytest.raises(error, match=match):
        getattr(text_model, method)(X)
    assert_same_state(before, vars(text_model))
    np.testing.assert_array_equal(text_model.predict_proba(seed_test[0]), proba)


def _numeric_predict_errors():
    rng = np.random.RandomState(2)
    nan, inf = rng.randn(3, 6), rng.randn(3, 6)
    nan[1, 2], inf[2, 0] = np.nan, -np.inf
    return {
        "text": (["good", "bad"], ValueError, "fitted on numeric"),
        "bare-string": ("good", ValueError, "string object received"),
        "longer-2-D": (rng.randn(3, 8), ValueError, r"expecting 6 .*6 time steps"),
        "shorter-2-D": (rng.randn(3, 4), ValueError, r"expecting 6 .*6 time steps"),
        "longer-3-D": (rng.randn(3, 8, 1), ValueError, r"expecting 6 .*6 time steps"),
        "2-step-features": (rng.randn(3, 6, 2), ValueError, "2 features per time step"),
        "NaN": (nan, ValueError, "NaN"),
        "inf": (inf, ValueError, "infinity"),
        "4-D": (rng.randn(3, 6, 1, 1), ValueError, "4-D"),
        "no-samples": (np.empty((0, 6)), ValueError, "0 sample"),
    }


NUMERIC_PREDICT_ERRORS = _numeric_predict_errors()


@pytest.mark.parametrize("case", NUMERIC_PREDICT_ERRORS, ids=str)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_numeric_predict_errors(numeric_model, numeric_2d, case, method):
    X, error, match = NUMERIC_PREDICT_ERRORS[case]
    X_ok = numeric_2d[0][:10]
    proba = numeric_model.predict_proba(X_ok)
    before = snapshot(numeric_model)
    with pytest.raises(error, match=match):
        getattr(numeric_model, method)(X)
    assert_same_state(before, vars(numeric_model))
    np.testing.assert_array_equal(numeric_model.predict_proba(X_ok), proba)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((3, 5, 2)), "2 features per time step, but .* fitted on 3"),
        (np.zeros((3, 5)), "1 features per time step, but .* fitted on 3"),
        (np.zeros((3, 4, 3)), r"expecting 5 .*5 time steps"),
    ],
    ids=["2-features", "2-D", "4-steps"],
)
def test_3d_predict_shape_errors(numeric_3d_model, numeric_3d, X, match):
    X_ok = numeric_3d[0][:10]
    proba = numeric_3d_model.predict_proba(X_ok)
    before = snapshot(numeric_3d_model)
    with pytest.raises(ValueError, match=match):
        numeric_3d_model.predict(X)
    assert_same_state(before, vars(numeric_3d_model))
    np.testing.assert_array_equal(numeric_3d_model.predict_proba(X_ok), proba)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
@pytest.mark.parametrize("X", [["good"], np.zeros((2, 3))], ids=["text", "numeric"])
def test_predict_before_fit_raises_not_fitted(method, X):
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(small_rnn(), method)(X)


def test_score_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        small_rnn().score(["good", "bad"], [1, 0])


# Documents with no str at all must still reach the document checker, whose messages
# name the position and the fix, rather than a numeric-array message.
@pytest.mark.parametrize(
    "X, match",
    [
        ([None, None, None, None], "position 0"),
        ([b"good", b"bad", b"good", b"bad"], "position 0.*[Dd]ecode"),
    ],
    ids=["all-None", "all-bytes"],
)
def test_fit_on_documents_without_any_str_names_the_problem(X, match):
    with pytest.raises(ValueError, match=match):
        small_rnn().fit(X, Y4)


@pytest.mark.parametrize(
    "X, match",
    [([None, None], "position 0"), ([b"good"], "position 0.*[Dd]ecode")],
    ids=["all-None", "all-bytes"],
)
def test_predict_on_documents_without_any_str_names_the_problem(text_model, X, match):
    with pytest.raises(ValueError, match=match):
        text_model.predict(X)


def test_generator_of_documents_is_accepted(text_model):
    docs = ["good", "not good", "very bad"]
    expected = text_model.predict_proba(docs)
    np.testing.assert_array_equal(text_model.predict_proba(d for d in docs), expected)
    fitted = small_rnn().fit((d for d in ["good", "bad", "not good", "not bad"]), Y4)
    assert fitted.tokenizer_.vocabulary_size_ == 2 + 3


def test_set_of_documents_is_refused_for_its_missing_order():
    with pytest.raises(TypeError, match="no fixed order"):
        small_rnn().fit({"good", "bad", "not good", "not bad"}, Y4)


# ---------------------------------------------------------------- 5. numeric
def test_numeric_2d_fit_and_predict(numeric_model, numeric_2d):
    X, y = numeric_2d
    assert numeric_model.input_mode_ == "numeric"
    assert numeric_model.n_features_in_ == 6
    assert numeric_model.n_step_features_ == 1
    assert not hasattr(numeric_model, "tokenizer_")
    assert not hasattr(numeric_model, "feature_names_in_")
    assert numeric_model.input_weights_.shape == (1, 8)
    pred = numeric_model.predict(X)
    assert pred.shape == (40,)
    assert set(pred) <= {0, 1}
    assert numeric_model.predict_proba(X).shape == (40, 2)
    # The rule (sign of the last step) is easy: the model is far better than chance.
    assert numeric_model.score(X, y) >= 0.85


def test_numeric_3d_fit_and_predict(numeric_3d_model, numeric_3d):
    X, y = numeric_3d
    assert numeric_3d_model.n_features_in_ == 5
    assert numeric_3d_model.n_step_features_ == 3
    assert numeric_3d_model.input_weights_.shape == (3, 8)
    assert numeric_3d_model.predict_proba(X).shape == (40, 2)
    assert numeric_3d_model.score(X, y) >= 0.85


@ignore_convergence
def test_3d_with_one_feature_is_the_2d_sequence(numeric_model, numeric_2d):
    X, y = numeric_2d
    np.testing.assert_array_equal(
        numeric_model.predict_proba(X[:, :, np.newaxis]), numeric_model.predict_proba(X)
    )
    fitted_3d = small_rnn(max_iter=60).fit(X[:, :, np.newaxis], y)
    assert fitted_3d.n_features_in_ == 6 and fitted_3d.n_step_features_ == 1
    np.testing.assert_array_equal(
        fitted_3d.predict_proba(X), numeric_model.predict_proba(X)
    )


@ignore_convergence
def test_dataframe_input(numeric_model, numeric_2d):
    X, y = numeric_2d
    df = pd.DataFrame(X, columns=[f"t{i}" for i in range(6)])
    estimator = small_rnn(max_iter=60).fit(df, y)
    np.testing.assert_array_equal(estimator.feature_names_in_, df.columns)
    assert estimator.n_features_in_ == 6
    np.testing.assert_array_equal(
        estimator.predict_proba(df), numeric_model.predict_proba(X)
    )


@ignore_convergence
def test_switching_input_kind_on_refit(numeric_2d, seed_train):
    X, y = numeric_2d
    estimator = small_rnn(max_iter=10)
    estimator.fit(pd.DataFrame(X, columns=[f"t{i}" for i in range(6)]), y)
    assert estimator.n_features_in_ == 6
    assert hasattr(estimator, "feature_names_in_")

    estimator.fit(*seed_train)
    assert estimator.input_mode_ == "text"
    assert not hasattr(estimator, "n_features_in_")
    assert not hasattr(estimator, "feature_names_in_")
    assert estimator.n_step_features_ == estimator.tokenizer_.vocabulary_size_
    with pytest.raises(ValueError, match="fitted on text"):
        estimator.predict(X)

    estimator.fit(X[:, :4], y)
    assert estimator.input_mode_ == "numeric"
    assert not hasattr(estimator, "tokenizer_")
    assert estimator.n_features_in_ == 4
    assert estimator.predict(X[:, :4]).shape == (40,)
    with pytest.raises(ValueError, match="fitted on numeric"):
        estimator.predict(seed_train[0])


# ---------------------------------------------------------------- 6. no writes
@pytest.mark.parametrize("kind", ["text", "numeric", "numeric_3d"])
def test_prediction_does_not_write_to_the_estimator(models, kind):
    model, X = models[kind]
    before = snapshot(model)
    model.predict(X)
    model.predict_proba(X)
    model.predict_log_proba(X)
    model.decision_function(X)
    model.score(X, model.predict(X))
    assert_same_state(before, vars(model))


def test_concurrent_predict_proba_matches_serial(text_model, seed_test):
    documents = seed_test[0] * 25 + ["", "unseen words here"]
    expected = text_model.predict_proba(documents)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(text_model.predict_proba, documents) for _ in range(16)]
        results = [future.result() for future in futures]
    for result in results:
        np.testing.assert_array_equal(result, expected)


# ---------------------------------------------------------------- 7. training
def test_loss_curve_and_fitted_attributes(text_model, seed_train):
    n_samples = len(seed_train[0])
    curve = text_model.loss_curve_
    assert len(curve) == text_model.n_iter_
    assert text_model.best_loss_ == min(curve)
    assert text_model.t_ == text_model.n_iter_ * n_samples
    assert np.all(np.isfinite(curve))
    # Converged before max_iter, and learnt: the loss fell a lot overall.
    assert text_model.n_iter_ < text_model.max_iter
    assert curve[-1] < 0.25 * curve[0]
    assert text_model.score(*seed_train) == 1.0


def test_fitted_weight_shapes(text_model):
    H = text_model.hidden_size
    vocabulary_size = text_model.tokenizer_.vocabulary_size_
    assert vocabulary_size == len(text_model.tokenizer_.vocabulary_) + 2
    assert text_model.n_step_features_ == vocabulary_size
    assert text_model.input_weights_.shape == (vocabulary_size, H)
    assert text_model.recurrent_weights_.shape == (H, H)
    assert text_model.hidden_bias_.shape == (H,)
    assert text_model.output_weights_.shape == (H, 2)
    assert text_model.output_bias_.shape == (2,)
    for attr in WEIGHT_ATTRIBUTES:
        assert getattr(text_model, attr).dtype == np.float64
        assert np.all(np.isfinite(getattr(text_model, attr)))


def test_convergence_warning_when_max_iter_too_small(seed_train):
    estimator = small_rnn(max_iter=2)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        estimator.fit(*seed_train)
    assert estimator.n_iter_ == 2
    assert len(estimator.loss_curve_) == 2


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_after_n_iter_no_change(seed_train):
    # No epoch improves the loss by tol=10: training stops after the first epoch plus
    # n_iter_no_change epochs without improvement, silently.
    estimator = small_rnn(tol=10.0, n_iter_no_change=3, max_iter=50).fit(*seed_train)
    assert estimator.n_iter_ == 4


@ignore_convergence
def test_verbose_prints_one_line_per_epoch(seed_train, capsys):
    small_rnn(max_iter=5, verbose=1).fit(*seed_train)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {epoch}/5")
        assert "loss" in line and "accuracy" in line


@ignore_convergence
def test_verbose_every_k_epochs_and_the_last(seed_train, capsys):
    small_rnn(max_iter=7, verbose=3).fit(*seed_train)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Epoch 3/7",
        "Epoch 6/7",
        "Epoch 7/7",
    ]


@ignore_convergence
def test_verbose_zero_prints_nothing(seed_train, capsys):
    small_rnn(max_iter=5, verbose=0).fit(*seed_train)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_reports_early_stop(seed_train, capsys):
    small_rnn(tol=10.0, n_iter_no_change=2, verbose=1).fit(*seed_train)
    lines = capsys.readouterr().out.splitlines()
    assert [line.startswith("Epoch") for line in lines] == [True] * 3 + [False]
    assert "Stopped" in lines[-1]


@ignore_convergence
def test_batch_size_larger_than_n_samples_warns_and_fits(seed_train, seed_test):
    n_samples = len(seed_train[0])
    with pytest.warns(UserWarning, match="batch_size=1000"):
        big = small_rnn(batch_size=1000, max_iter=20).fit(*seed_train)
    whole = small_rnn(batch_size=n_samples, max_iter=20).fit(*seed_train)
    np.testing.assert_array_equal(
        big.predict_proba(seed_test[0]), whole.predict_proba(seed_test[0])
    )


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "learning_rate_init": 0.1},
        {"clip_value": 1.0, "clip_norm": None},
        {"clip_value": 1.0},
    ],
    ids=["sgd", "clip_value", "clip_value+clip_norm"],
)
def test_other_solvers_and_clipping_learn_the_seed_data(seed_train, params):
    estimator = small_rnn(hidden_size=16, **params).fit(*seed_train)
    assert estimator.score(*seed_train) == 1.0


def _fit_outcome(estimator, X, y):
    """Fit; return None on success or the ValueError raised."""
    try:
        estimator.fit(X, y)
    except ValueError as error:
        return error
    return None


@ignore_convergence
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("learning_rate", [1e6, 1e100, 1e300])
def test_huge_learning_rate_never_leaves_nan(
    text_model, seed_train, solver, learning_rate
):
    params = {
        "solver": solver,
        "learning_rate_init": learning_rate,
        "clip_norm": None,
        "max_iter": 20,
    }
    # On a fresh estimator: trains to finite weights, or raises and stays unfitted.
    fresh = small_rnn(**params)
    error = _fit_outcome(fresh, *seed_train)
    if error is None:
        for attr in WEIGHT_ATTRIBUTES:
            assert np.all(np.isfinite(getattr(fresh, attr))), attr
        assert np.all(np.isfinite(fresh.predict_proba(seed_train[0])))
    else:
        assert "learning_rate" in str(error)
        assert not hasattr(fresh, "classes_")

    # On a fitted model: if the refit fails, the old model is intact.
    fitted = copy.deepcopy(text_model).set_params(**params)
    proba = fitted.predict_proba(seed_train[0])
    before = snapshot(fitted)
    error = _fit_outcome(fitted, *seed_train)
    if error is None:
        for attr in WEIGHT_ATTRIBUTES:
            assert np.all(np.isfinite(getattr(fitted, attr))), attr
    else:
        assert "learning_rate" in str(error)
        assert_same_state(before, vars(fitted))
        np.testing.assert_array_equal(fitted.predict_proba(seed_train[0]), proba)


# The last update of a fit has no loss computed after it; it must be checked too.
@ignore_convergence
def test_last_update_cannot_leave_nan_probabilities(seed_train):
    estimator = small_rnn(learning_rate_init=1e308, clip_norm=None, max_iter=1)
    error = _fit_outcome(estimator, *seed_train)
    if error is None:
        assert np.all(np.isfinite(estimator.predict_proba(seed_train[0])))
    else:
        assert "learning_rate" in str(error)


# ---------------------------------------------------------------- 8. tutorial
@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_default_parameters_reach_the_tutorial_result(
    seed_train, seed_test, random_state
):
    estimator = TextRNNClassifier(random_state=random_state).fit(*seed_train)
    assert estimator.score(*seed_test) == 1.0


def test_demo_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_rnn"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=SINGLE_THREAD_ENV,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Test accuracy:  1.000" in result.stdout
    assert "Train accuracy: 1.000" in result.stdout


# ---------------------------------------------------------------- float32
def test_float32_model_computes_in_float32(seed_train, seed_test, numeric_2d):
    text = TextRNNClassifier(dtype="float32", random_state=0).fit(*seed_train)
    assert text.score(*seed_test) == 1.0
    X, y = numeric_2d
    numeric = small_rnn(dtype="float32").fit(X, y)
    for model, data in ((text, seed_test[0]), (numeric, X)):
        for name in ("input_weights_", "recurrent_weights_", "output_weights_"):
            assert getattr(model, name).dtype == np.float32
        assert model.predict_proba(data).dtype == np.float32
        assert model.decision_function(data).dtype == np.float32


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_follows_float64_to_float32_precision(numeric_2d):
    X, y = numeric_2d
    f64 = small_rnn(max_iter=3).fit(X, y)
    f32 = small_rnn(max_iter=3, dtype="float32").fit(X, y)
    np.testing.assert_allclose(
        f32.predict_proba(X), f64.predict_proba(X), rtol=0, atol=1e-5
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_weighted_fit_equals_repeated_rows_after_one_epoch():
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 30), rng.randint(0, 3, size=15)
    weights = rng.randint(0, 5, size=15)
    params = dict(dtype="float32", max_iter=1, random_state=0)
    repeated = TextRNNClassifier(**params).fit(
        X.repeat(weights, axis=0), y.repeat(weights)
    )
    weighted = TextRNNClassifier(**params).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=0, atol=5e-7
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_cannot_change_dtype(numeric_2d):
    X, y = numeric_2d
    model = small_rnn(max_iter=2).fit(X, y)
    before = snapshot(model)
    with pytest.raises(ValueError, match="dtype='float32'.*fitted model has dtype"):
        model.set_params(warm_start=True, dtype="float32").fit(X, y)
    model.set_params(warm_start=False, dtype="float64")
    assert_same_state(before, vars(model))


@pytest.mark.parametrize("dtype", [np.float16, "int32", "float128x"])
def test_invalid_dtype_is_rejected(numeric_2d, dtype):
    with pytest.raises((ValueError, TypeError), match="dtype"):
        small_rnn(dtype=dtype).fit(*numeric_2d)


# ---------------------------------------------------------------- BLAS threads
def _blas_threads_seen(monkeypatch, estimator, method, *args):
    """Run ``estimator.method(*args)`` and return the BLAS thread counts in effect
    whenever the recurrent math ran."""
    from threadpoolctl import threadpool_info

    from sklearn_rnn import _rnn

    seen = set()
    original = _rnn.pack

    def recording_pack(*args, **kwargs):
        seen.update(
            info["num_threads"]
            for info in threadpool_info()
            if info["user_api"] == "blas"
        )
        return original(*args, **kwargs)

    monkeypatch.setattr(_rnn, "pack", recording_pack)
    getattr(estimator, method)(*args)
    monkeypatch.undo()
    return seen


@pytest.mark.parametrize(
    "blas_threads, hidden_size, expected",
    [("auto", 8, {1}), ("auto", 256, {2}), (None, 8, {2}), (1, 256, {1})],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_blas_threads_limit_during_fit_and_predict(
    monkeypatch, numeric_2d, blas_threads, hidden_size, expected
):
    from threadpoolctl import threadpool_info, threadpool_limits

    X, y = numeric_2d
    clf = small_rnn(max_iter=2, hidden_size=hidden_size, blas_threads=blas_threads)
    # The test suite runs with one BLAS thread; allow two here.
    with threadpool_limits(limits=2, user_api="blas"):
        outside = {
            i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
        }
        assert outside == {2}
        assert _blas_threads_seen(monkeypatch, clf, "fit", X, y) == expected
        assert _blas_threads_seen(monkeypatch, clf, "predict_proba", X) == expected
        # The setting is restored after each call.
        after = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
        assert after == {2}


# ---------------------------------------------------------------- tokenizing
def test_fit_tokenizes_the_training_documents_once(monkeypatch, seed_train):
    X, y = seed_train
    analysed = []
    original = TextTokenizer._iter_tokens

    def counting(self, documents):
        documents = list(documents)
        analysed.append(len(documents))
        return original(self, documents)

    monkeypatch.setattr(TextTokenizer, "_iter_tokens", counting)
    fit_quietly(small_rnn(max_iter=2), X, y)
    assert analysed == [len(X)]


class _SpaceTokenizer(BaseEstimator):
    """A third-party tokenizer with only fit and transform_ragged."""

    def fit(self, X, y=None):
        words = sorted({w for doc in X for w in doc.split()})
        self.vocabulary_ = {w: i + 2 for i, w in enumerate(words)}
        self.vocabulary_size_ = len(words) + 2
        return self

    def transform_ragged(self, X):
        ids = [[self.vocabulary_.get(w, 1) for w in doc.split()] for doc in X]
        offsets = np.cumsum([0] + [len(d) for d in ids])
        return np.array([i for d in ids for i in d], dtype=np.int64), offsets


def test_tokenizer_without_fit_transform_ragged(seed_train, seed_test):
    clf = TextRNNClassifier(_SpaceTokenizer(), random_state=0).fit(*seed_train)
    assert clf.score(*seed_test) == 1.0
    assert clf.n_step_features_ == clf.tokenizer_.vocabulary_size_


def test_concurrent_predictions_leave_the_blas_setting_as_it_was(text_model, seed_test):
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    docs = seed_test[0] * 20
    expected = text_model.predict_proba(docs)
    with threadpool_limits(limits=2, user_api="blas"):
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(
                pool.map(lambda _: text_model.predict_proba(docs), range(32))
            )
        assert blas_threads() == {2}
    for result in results:
        np.testing.assert_array_equal(result, expected)
