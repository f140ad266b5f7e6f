"""Tests for ``sklearn_rnn._persistence``: saved models load and predict the same,
in this process and in a fresh one; pickles carry the package version and warn
when another version loads them; skops files trust only this package's classes.

The fresh-process checks share one interpreter, started once for the module.
"""

import json
import pickle
import warnings

import joblib
import numpy as np
import pytest

import sklearn_rnn
import sklearn_rnn._persistence as persistence
from conftest import (
    WEIGHT_ATTRIBUTES,
    assert_same_state,
    fit_quietly,
    ignore_convergence,
    other_hash_seed,
    run_python,
    small_rnn,
    snapshot,
)
from sklearn_rnn import (
    InconsistentVersionWarning,
    TextRNNClassifier,
    TextRNNRegressor,
    TextTokenizer,
)

pytestmark = ignore_convergence

SEEDS = (3, 4)
FRESH_PROCESS = """
    import json, sys, warnings
    import joblib, numpy as np

    cases = json.loads(sys.argv[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: no warning at all
        for model_path, data_path, out_path in cases:
            model = joblib.load(model_path)
            np.save(out_path, model.predict_proba(joblib.load(data_path)))

    from sklearn_rnn import TextRNNClassifier
    from sklearn_rnn.datasets import load_sentiment

    X, y = load_sentiment(return_X_y=True)
    hashes = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in json.loads(sys.argv[2]):
            clf = TextRNNClassifier(hidden_size=16, max_iter=20, random_state=seed)
            clf.fit(X, y)
            hashes[seed] = joblib.hash([getattr(clf, a) for a in sys.argv[3:]])
    print(json.dumps(hashes))
"""


@pytest.fixture(scope="module")
def inputs(models):
    text, numeric = models["text"][1], models["numeric_3d"][1]
    return {
        "text": [*text, "", "completely unseen words", "NOT GOOD!!"],
        "numeric": numeric,
    }


@pytest.fixture(scope="module")
def fresh_process(tmp_path_factory, models, inputs):
    """Models saved here, loaded and run in a new interpreter (with another str
    hash seed), which also fits a model for each of ``SEEDS``."""
    folder = tmp_path_factory.mktemp("fresh_process")
    cases, outputs = [], {}
    for kind, model in (
        ("text", models["text"][0]),
        ("numeric", models["numeric_3d"][0]),
    ):
        data_path = folder / f"{kind}.pkl"
        joblib.dump(inputs[kind], data_path)
        for compress in (0, 3):
            model_path = folder / f"{kind}-{compress}.joblib"
            joblib.dump(model, model_path, compress=compress)
            outputs[kind, compress] = folder / f"{kind}-{compress}.npy"
            cases.append(
                [str(model_path), str(data_path), str(outputs[kind, compress])]
            )
    stdout = run_python(
        FRESH_PROCESS,
        json.dumps(cases),
        json.dumps(SEEDS),
        *WEIGHT_ATTRIBUTES,
        hash_seed=other_hash_seed(),
    )
    hashes = {int(seed): value for seed, value in json.loads(stdout).items()}
    proba = {case: np.load(path) for case, path in outputs.items()}
    return proba, hashes


def test_pickle_round_trip(text_model, seed_test):
    restored = pickle.loads(pickle.dumps(text_model))
    np.testing.assert_array_equal(
        restored.predict_proba(seed_test[0]), text_model.predict_proba(seed_test[0])
    )
    np.testing.assert_array_equal(restored.classes_, text_model.classes_)
    assert restored.tokenizer_.vocabulary_ == text_model.tokenizer_.vocabulary_
    assert_same_state(snapshot(text_model), vars(restored))


@pytest.mark.parametrize("compress", [0, 3])
@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_round_trip_in_a_fresh_process(fresh_process, models, inputs, kind, compress):
    model = models["text" if kind == "text" else "numeric_3d"][0]
    proba, _ = fresh_process
    np.testing.assert_array_equal(
        proba[kind, compress], model.predict_proba(inputs[kind])
    )


def test_same_seed_gives_identical_weights_in_separate_processes(
    fresh_process, seed_train
):
    _, hashes = fresh_process
    here = {}
    for seed in SEEDS:
        clf = TextRNNClassifier(hidden_size=16, max_iter=20, random_state=seed)
        fit_quietly(clf, *seed_train)
        here[seed] = joblib.hash([getattr(clf, a) for a in WEIGHT_ATTRIBUTES])
    assert hashes == here
    assert hashes[3] != hashes[4]


def test_pickle_holds_no_training_data(seed_train):
    X, y = seed_train
    # A document (not its words: the vocabulary needs those) must not be stored.
    document = "the quick brown zebra was not at all slow"
    text = small_rnn(max_iter=3)
    blob = pickle.dumps(text.fit([*X, document], [*y, 1]))
    assert b"zebra" in blob  # in the vocabulary
    assert document.encode() not in blob
    Xn = np.random.default_rng(0).normal(size=(60, 7, 3))
    yn = (Xn[:, -1, 0] > 0).astype(int)
    blob = pickle.dumps(small_rnn(max_iter=3).fit(Xn, yn))
    for row in Xn[:5]:
        assert row.tobytes() not in blob
    assert len(blob) < Xn.nbytes


# ----------------------------------------------------------------- versions
@pytest.fixture(scope="module")
def saved_objects(text_model, numeric_2d):
    X, y = numeric_2d
    return {
        "classifier": text_model,
        "tokenizer": text_model.tokenizer_,
        "regressor": small_rnn(TextRNNRegressor, max_iter=2).fit(X, y.astype(float)),
    }


@pytest.mark.parametrize("name", ["classifier", "tokenizer", "regressor"])
def test_loading_another_version_warns(name, saved_objects, monkeypatch):
    obj = saved_objects[name]
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
    cls = type(obj).__name__
    assert any(
        cls in m and sklearn_rnn.__version__ in m and "99.0" in m for m in messages
    )
    warning = next(w.message for w in record if cls in str(w.message))
    assert warning.estimator_name == cls
    assert warning.original_version == sklearn_rnn.__version__
    assert warning.current_version == "99.0"
    # The model still loads and predicts.
    if name != "tokenizer":
        assert loaded.predict(["not bad"] if name == "classifier" else np.zeros((1, 6)))


def test_pickle_without_version_stamp_warns(text_model):
    state = dict(text_model.__dict__)
    clone = TextRNNClassifier.__new__(TextRNNClassifier)
    with pytest.warns(InconsistentVersionWarning, match="unknown"):
        clone.__setstate__(state)


# -------------------------------------------------------------------- skops
SKOPS_CASES = {
    "text": ({}, "text"),
    "hashing": ({"tokenizer": TextTokenizer(n_buckets=64)}, "text"),
    "embedding+sgd": ({"embedding_size": 4, "solver": "sgd"}, "text"),
    "numeric float32": ({"dtype": "float32"}, "numeric"),
}


@pytest.mark.parametrize("case", SKOPS_CASES)
def test_skops_round_trip_trusts_only_this_package(
    case, seed_train, numeric_3d, tmp_path
):
    sio = pytest.importorskip("skops.io")
    params, kind = SKOPS_CASES[case]
    X, y = seed_train if kind == "text" else numeric_3d
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

    assert "SKOPS_TRUSTED_TYPES" in sklearn_rnn.__all__
    for name in sklearn_rnn.SKOPS_TRUSTED_TYPES:
        module, _, qualname = name.rpartition(".")
        assert module.startswith("sklearn_rnn.")
        assert isinstance(getattr(importlib.import_module(module), qualname), type)
