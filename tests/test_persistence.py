"""Persistence, concurrency and determinism of fitted models.

Fresh-process round trips and cross-process determinism run ``sys.executable`` on
small scripts; every model here trains in well under a second.
"""

import pickle
import subprocess
import sys
import textwrap
import threading
import warnings

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

import sklearn_rnn
import sklearn_rnn._persistence as persistence
from sklearn_rnn import InconsistentVersionWarning, TextRNNClassifier, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def sentiment():
    X, y = load_sentiment(subset="train", return_X_y=True)
    X_test, _ = load_sentiment(subset="test", return_X_y=True)
    return list(X), y, list(X_test)


@pytest.fixture(scope="module")
def numeric():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 7, 3))
    return X, (X[:, -1, 0] > 0).astype(int)


@pytest.fixture(scope="module")
def text_model(sentiment):
    X, y, _ = sentiment
    return TextRNNClassifier(hidden_size=16, max_iter=30, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def numeric_model(numeric):
    X, y = numeric
    return TextRNNClassifier(hidden_size=16, max_iter=30, random_state=0).fit(X, y)


def run_python(code, *args):
    """Run ``code`` in a fresh interpreter; return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# ------------------------------------------------------------------- joblib
@pytest.mark.parametrize("compress", [0, 3])
@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_round_trip_in_a_fresh_process(
    kind, compress, tmp_path, text_model, numeric_model, sentiment, numeric
):
    model = text_model if kind == "text" else numeric_model
    X = sentiment[2] if kind == "text" else numeric[0]
    model_path, data_path, out_path = (
        tmp_path / "model.joblib",
        tmp_path / "X.pkl",
        tmp_path / "proba.npy",
    )
    joblib.dump(model, model_path, compress=compress)
    joblib.dump(X, data_path)
    run_python(
        """
        import sys, warnings, joblib, numpy as np
        warnings.simplefilter("error")  # same version: no warning at all
        model = joblib.load(sys.argv[1])
        np.save(sys.argv[3], model.predict_proba(joblib.load(sys.argv[2])))
        """,
        model_path,
        data_path,
        out_path,
    )
    np.testing.assert_array_equal(np.load(out_path), model.predict_proba(X))


def test_pickle_holds_no_training_data(sentiment, numeric):
    X, y, _ = sentiment
    # A document (not its words: the vocabulary needs those) must not be stored.
    document = "the quick brown zebra was not at all slow"
    text = TextRNNClassifier(hidden_size=8, max_iter=3, random_state=0)
    blob = pickle.dumps(text.fit([*X, document], [*y, 1]))
    assert b"zebra" in blob  # in the vocabulary
    assert document.encode() not in blob
    Xn, yn = numeric
    blob = pickle.dumps(TextRNNClassifier(hidden_size=8, max_iter=3).fit(Xn, yn))
    for row in Xn[:5]:
        assert row.tobytes() not in blob
    assert len(blob) < Xn.nbytes


@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_prediction_adds_no_state(kind, text_model, numeric_model, sentiment, numeric):
    """Predicting caches nothing: the pickle is the same before and after."""
    model = text_model if kind == "text" else numeric_model
    X = sentiment[2] if kind == "text" else numeric[0]
    before = pickle.dumps(model)
    keys = set(model.__dict__)
    model.predict_proba(X)
    model.predict(X)
    model.decision_function(X)
    model.score(X, model.predict(X))
    assert set(model.__dict__) == keys
    assert pickle.dumps(model) == before


# ----------------------------------------------------------------- versions
@pytest.mark.parametrize("estimator", ["classifier", "tokenizer"])
def test_loading_another_version_warns(estimator, text_model, monkeypatch):
    obj = text_model if estimator == "classifier" else text_model.tokenizer_
    blob = pickle.dumps(obj)
    assert "_sklearn_rnn_version" not in obj.__dict__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(blob)  # same version: silent
    assert "_sklearn_rnn_version" not in loaded.__dict__
    monkeypatch.setattr(persistence, "__version__", "99.0")
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = pickle.loads(blob)
    messages = [str(w.message) for w in record]
    name = type(obj).__name__
    assert any(
        name in m and sklearn_rnn.__version__ in m and "99.0" in m for m in messages
    )
    warning = next(w.message for w in record if name in str(w.message))
    assert warning.original_version == sklearn_rnn.__version__
    assert warning.current_version == "99.0"
    # The model still loads and predicts.
    if estimator == "classifier":
        assert loaded.predict(["not bad"]).shape == (1,)


def test_pickle_without_version_stamp_warns(text_model):
    state = dict(text_model.__dict__)
    clone = TextRNNClassifier.__new__(TextRNNClassifier)
    with pytest.warns(InconsistentVersionWarning, match="unknown"):
        clone.__setstate__(state)


# -------------------------------------------------------------- concurrency
@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_concurrent_prediction_matches_serial(
    kind, text_model, numeric_model, sentiment, numeric
):
    model = text_model if kind == "text" else numeric_model
    X = sentiment[2] if kind == "text" else numeric[0]
    # Long inputs make the threads overlap inside prediction.
    X = X * 50 if kind == "text" else np.concatenate([X] * 50)
    expected = model.predict_proba(X)
    before = pickle.dumps(model)
    results, errors = [None] * 8, []
    barrier = threading.Barrier(8)

    def work(i):
        try:
            barrier.wait()
            for _ in range(3):
                results[i] = model.predict_proba(X)
        except Exception as exc:  # reported below, with the thread's index
            errors.append((i, exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for result in results:
        np.testing.assert_array_equal(result, expected)
    assert pickle.dumps(model) == before


# -------------------------------------------------------------- determinism
FIT_AND_HASH = """
    import sys, joblib
    from sklearn_rnn import TextRNNClassifier
    from sklearn_rnn.datasets import load_sentiment
    X, y = load_sentiment(return_X_y=True)
    clf = TextRNNClassifier(hidden_size=16, max_iter=20, random_state=int(sys.argv[1]))
    clf.fit(X, y)
    print(joblib.hash([clf.input_weights_, clf.recurrent_weights_,
                       clf.output_weights_, clf.hidden_bias_, clf.output_bias_]))
"""


def test_same_seed_gives_identical_weights_in_separate_processes():
    first = run_python(FIT_AND_HASH, 3)
    second = run_python(FIT_AND_HASH, 3)
    other = run_python(FIT_AND_HASH, 4)
    assert first == second
    assert first != other


def test_grid_search_in_parallel_equals_sequential(sentiment):
    X, y, _ = sentiment
    grid = {"hidden_size": [8, 16], "tokenizer__min_df": [1, 2]}

    def search(n_jobs):
        estimator = TextRNNClassifier(TextTokenizer(), max_iter=20, random_state=0)
        return GridSearchCV(estimator, grid, cv=3, n_jobs=n_jobs).fit(X, y)

    sequential, parallel = search(1), search(2)
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(
            sequential.cv_results_[key], parallel.cv_results_[key]
        )
    assert sequential.best_params_ == parallel.best_params_
    np.testing.assert_array_equal(
        sequential.best_estimator_.input_weights_,
        parallel.best_estimator_.input_weights_,
    )


# -------------------------------------------------------------------- skops
SKOPS_CASES = {
    "text": ({}, "text"),
    "hashing": ({"tokenizer": TextTokenizer(n_buckets=64)}, "text"),
    "embedding+sgd": ({"embedding_size": 4, "solver": "sgd"}, "text"),
    "numeric float32": ({"dtype": "float32"}, "numeric"),
}


@pytest.mark.parametrize("case", SKOPS_CASES)
def test_skops_round_trip_trusts_only_this_package(case, sentiment, numeric, tmp_path):
    sio = pytest.importorskip("skops.io")
    params, kind = SKOPS_CASES[case]
    X, y = (sentiment[0], sentiment[1]) if kind == "text" else numeric
    model = TextRNNClassifier(hidden_size=8, max_iter=5, random_state=0, **params)
    model.fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted
    assert set(untrusted) <= set(sklearn_rnn.SKOPS_TRUSTED_TYPES)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        loaded = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.get_params().keys() == model.get_params().keys()


def test_skops_trusted_types_name_real_classes():
    import importlib

    for name in sklearn_rnn.SKOPS_TRUSTED_TYPES:
        module, _, qualname = name.rpartition(".")
        assert module.startswith("sklearn_rnn.")
        assert isinstance(getattr(importlib.import_module(module), qualname), type)
