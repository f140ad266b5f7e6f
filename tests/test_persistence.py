"""Tests for ``sklearn_rnn._persistence``: saved models load and predict the same,
in this process and in a fresh one; pickles carry the package version and warn
when another version loads them; skops files trust only this package's classes.

The fresh-process checks share one interpreter, started once for the module.
``load_skops`` refuses files whose types or values cannot be trusted: each test
builds such a file the way an attacker would, by editing a genuine model.
"""

import io
import json
import pickle
import sys
import warnings
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import sklearn_rnn
import sklearn_rnn._persistence as persistence
from conftest import (
    WEIGHT_ATTRIBUTES,
    assert_same_state,
    fit_quietly,
    ignore_convergence,
    other_hash_seed,
    run_python,
    saved_state,
    small_rnn,
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
    assert_same_state(saved_state(text_model), vars(restored))


@pytest.mark.parametrize("early_stopping", [False, True])
def test_identical_fits_hash_identically(seed_train, early_stopping):
    """joblib.Memory and deduplication key on joblib.hash: the wall-clock seconds
    in history_ must not make two identical fits two different models."""
    X, y = list(seed_train[0]) * 2, np.tile(seed_train[1], 2)
    params = {"max_iter": 5, "early_stopping": early_stopping}
    first = small_rnn(**params).fit(X, y)
    second = small_rnn(**params).fit(X, y)
    assert first.history_[0]["seconds"] != second.history_[0]["seconds"]
    assert joblib.hash(first) == joblib.hash(second)
    # Pickling drops the timings without touching the fitted model.
    assert "seconds" in first.history_[-1]
    assert "seconds" not in pickle.loads(pickle.dumps(first)).history_[-1]
    other = small_rnn(**params, random_state=1).fit(X, y)
    assert joblib.hash(first) != joblib.hash(other)


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
        assert module.startswith(("sklearn_rnn.", "sklearn.frozen."))
        assert isinstance(getattr(importlib.import_module(module), qualname), type)


# ------------------------------------------------------------- load_skops
TINY = {"hidden_size": 4, "max_iter": 2, "random_state": 0}
CATASTROPHIC = r"(a+)+$"  # each extra letter of a word doubles the time


class WordLengths(BaseEstimator):
    """A tokenizer of the user's own: fit, transform_ragged and vocabulary_size_."""

    def fit(self, X, y=None):
        self.vocabulary_size_ = 10
        return self

    def transform_ragged(self, X):
        ids = [min(len(word), 9) for doc in X for word in doc.split()]
        lengths = [len(doc.split()) for doc in X]
        return np.array(ids), np.concatenate([[0], np.cumsum(lengths)])


def tiny_fit(X, y, estimator=TextRNNClassifier, **params):
    return fit_quietly(estimator(**TINY, **params), X, y)


def dump(sio, model, tmp_path):
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    return path


def passes_the_type_check(sio, path):
    """What the README used to recommend: trust the file if its types are ours."""
    return set(sio.get_untrusted_types(file=path)) <= set(
        sklearn_rnn.SKOPS_TRUSTED_TYPES
    )


def test_load_skops_refuses_a_catastrophic_token_pattern_unless_allowed(
    seed_train, tmp_path
):
    sio = pytest.importorskip("skops.io")
    model = tiny_fit(*seed_train)
    model.tokenizer_.set_params(token_pattern=CATASTROPHIC)
    model.set_params(tokenizer=TextTokenizer(token_pattern=CATASTROPHIC))
    path = dump(sio, model, tmp_path)
    assert passes_the_type_check(sio, path)  # types alone do not catch it

    with pytest.raises(sklearn_rnn.UntrustedModelError) as excinfo:
        sklearn_rnn.load_skops(path)
    message = str(excinfo.value)
    assert "model.tokenizer_.token_pattern" in message
    assert "model.tokenizer.token_pattern" in message
    assert f"allowed_token_patterns=[{CATASTROPHIC!r}]" in message
    assert len(excinfo.value.problems) == 2

    loaded = sklearn_rnn.load_skops(path, allowed_token_patterns=[CATASTROPHIC])
    assert loaded.tokenizer_.token_pattern == CATASTROPHIC
    assert loaded.tokenizer_.vocabulary_ == model.tokenizer_.vocabulary_


LOAD_CASES = {
    "text": ("text", TextRNNClassifier, {}),
    "hashing": ("text", TextRNNClassifier, {"tokenizer": TextTokenizer(n_buckets=64)}),
    "embedding+sgd": (
        "text",
        TextRNNClassifier,
        {"embedding_size": 3, "solver": "sgd"},
    ),
    "stop words+accents": (
        "text",
        TextRNNClassifier,
        {"tokenizer": TextTokenizer(stop_words=["the"], strip_accents="unicode")},
    ),
    "numeric float32": ("numeric", TextRNNClassifier, {"dtype": "float32"}),
    "text regressor": ("text", TextRNNRegressor, {}),
    "numeric regressor, 2 targets": ("numeric", TextRNNRegressor, {}),
}


@pytest.mark.parametrize("case", LOAD_CASES)
def test_load_skops_loads_genuine_models_unchanged(
    case, seed_train, numeric_3d, tmp_path
):
    sio = pytest.importorskip("skops.io")
    kind, estimator, params = LOAD_CASES[case]
    X, y = seed_train if kind == "text" else numeric_3d
    y = np.asarray(y, dtype=float) if estimator is TextRNNRegressor else y
    if case.endswith("2 targets"):
        y = np.column_stack([y, -y])
    model = tiny_fit(X, y, estimator, **params)
    path = dump(sio, model, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sklearn_rnn.load_skops(path)
        with open(path, "rb") as file:
            from_file = sklearn_rnn.load_skops(file)
    for restored in (loaded, from_file):
        assert type(restored) is type(model)
        np.testing.assert_array_equal(restored.predict(X), model.predict(X))
        assert_same_state(saved_state(model), vars(restored))


def test_load_skops_loads_an_unfitted_model_and_a_pipeline(seed_train, tmp_path):
    sio = pytest.importorskip("skops.io")
    unfitted = TextRNNClassifier(tokenizer=TextTokenizer(min_df=2), hidden_size=4)
    loaded = sklearn_rnn.load_skops(dump(sio, unfitted, tmp_path))
    assert loaded.get_params()["tokenizer__min_df"] == 2

    X, y = seed_train
    pipe = make_pipeline(TextRNNClassifier(**TINY), LogisticRegression())
    fit_quietly(pipe, X, y)
    loaded = sklearn_rnn.load_skops(dump(sio, pipe, tmp_path))
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


def test_load_skops_checks_tokenizers_inside_pipelines(seed_train, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = seed_train
    pipe = make_pipeline(TextRNNClassifier(**TINY), LogisticRegression())
    fit_quietly(pipe, X, y)
    pipe[0].tokenizer_.token_pattern = r"(\w+)*x"
    with pytest.raises(sklearn_rnn.UntrustedModelError, match="token_pattern"):
        sklearn_rnn.load_skops(dump(sio, pipe, tmp_path))
    # scikit-learn's vectorizers, which skops trusts by default, are checked too.
    vectorizer = make_pipeline(CountVectorizer(token_pattern=r"(a|aa)+$"))
    path = dump(sio, vectorizer, tmp_path)
    assert sio.get_untrusted_types(file=path) == []
    with pytest.raises(sklearn_rnn.UntrustedModelError) as excinfo:
        sklearn_rnn.load_skops(path)
    assert excinfo.value.problems[0].startswith("model.steps[0][1].token_pattern")


@pytest.mark.parametrize("kind", ["custom tokenizer", "function"])
def test_load_skops_refuses_types_outside_the_trusted_list(kind, seed_train, tmp_path):
    sio = pytest.importorskip("skops.io")
    if kind == "custom tokenizer":
        model = tiny_fit(*seed_train, tokenizer=WordLengths())
        expected = f"{__name__}.WordLengths"
    else:
        model = FunctionTransformer(func=len)
        expected = "builtins.len"
    with pytest.raises(sklearn_rnn.UntrustedModelError) as excinfo:
        sklearn_rnn.load_skops(dump(sio, model, tmp_path))
    assert excinfo.value.problems == [expected]
    assert expected in str(excinfo.value)
    assert "skops.io.load" in str(excinfo.value)


@pytest.mark.parametrize("function", [str, np.negative], ids=["type", "ufunc"])
def test_load_skops_refuses_callables_that_skops_trusts(function, seed_train, tmp_path):
    # skops loads Python's built-in types and NumPy's ufuncs without asking.
    sio = pytest.importorskip("skops.io")
    model = tiny_fit(*seed_train)
    model.tokenizer_.set_params(strip_accents=function)
    path = dump(sio, model, tmp_path)
    assert passes_the_type_check(sio, path)
    with pytest.raises(sklearn_rnn.UntrustedModelError) as excinfo:
        sklearn_rnn.load_skops(path)
    assert excinfo.value.problems[0].startswith("model.tokenizer_.strip_accents is a")
    assert "callable" in str(excinfo.value)


def _set(obj, attr, value):
    setattr(obj, attr, value)


def _swap_two_ids(model):
    vocabulary = model.tokenizer_.vocabulary_
    first, second = list(vocabulary)[:2]
    vocabulary[first], vocabulary[second] = vocabulary[second], vocabulary[first]


# Each edit of a fitted text classifier, and the attribute the refusal must name.
TAMPERING = {
    "vocabulary id out of range": (
        lambda m: m.tokenizer_.vocabulary_.update(good=10**6),
        "model.tokenizer_.vocabulary_['good']",
    ),
    "ids of two tokens swapped": (_swap_two_ids, "model.tokenizer_.vocabulary_["),
    "token that is not a str": (
        lambda m: m.tokenizer_.tokens_.__setitem__(3, 7),
        "model.tokenizer_.tokens_",
    ),
    "vocabulary size": (
        lambda m: _set(m.tokenizer_, "vocabulary_size_", 10**9),
        "model.tokenizer_.tokens_",
    ),
    "invalid parameter": (
        lambda m: _set(m.tokenizer_, "analyzer", "sentence"),
        "model.tokenizer_ has an invalid parameter",
    ),
    "weights of another shape": (
        lambda m: _set(m, "recurrent_weights_", np.zeros((5, 5))),
        "model has weights whose shapes disagree",
    ),
    "fewer rows than ids": (
        lambda m: _set(m, "input_weights_", m.input_weights_[:3]),
        "model.n_step_features_",
    ),
    "NaN weights": (
        lambda m: m.output_bias_.__setitem__(0, np.nan),
        "model.output_bias_",
    ),
    "integer weights": (
        lambda m: _set(m, "hidden_bias_", np.zeros(4, dtype=np.int64)),
        "model.hidden_bias_",
    ),
    "classes": (
        lambda m: _set(m, "classes_", np.array([0, 1, 2])),
        "model.classes_",
    ),
    "pooling": (lambda m: _set(m, "_pooling", "median"), "model._pooling"),
    "optimizer state": (
        lambda m: _set(m._optimizer._m, "flat", np.zeros(3)),
        "model._optimizer",
    ),
    "another class's attribute": (
        lambda m: _set(m, "_loss", "squared_error"),
        "model._loss stands in for",
    ),
    "a method replaced": (
        lambda m: _set(m.tokenizer_, "_transform_documents", np.negative),
        "model.tokenizer_._transform_documents stands in for",
    ),
    "tokenizer_ of another kind": (
        lambda m: _set(m, "tokenizer_", CountVectorizer()),
        "model.tokenizer_ is a CountVectorizer",
    ),
    "classes out of order": (
        lambda m: _set(m, "classes_", m.classes_[::-1].copy()),
        "model.classes_ is not sorted",
    ),
    "a class twice": (
        lambda m: _set(m, "classes_", np.array([1, 1])),
        "model.classes_ is not sorted",
    ),
    "NaN among the classes": (
        lambda m: _set(m, "classes_", np.array([0.0, np.nan])),
        "model.classes_ is not sorted",
    ),
    "an unbounded transform width": (
        lambda m: _set(m.tokenizer_, "output_length_", 10**12),
        "model.tokenizer_.output_length_",
    ),
    "a callable analyzer": (
        lambda m: _set(m.tokenizer_, "analyzer", np.negative),
        "model.tokenizer_.analyzer is a callable",
    ),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_load_skops_refuses_inconsistent_values(case, tmp_path):
    sio = pytest.importorskip("skops.io")
    tamper, named = TAMPERING[case]
    model = tiny_fit(["good", "not good", "bad", "not bad"], [1, 0, 0, 1])
    tamper(model)
    path = dump(sio, model, tmp_path)
    assert passes_the_type_check(sio, path)
    with pytest.raises(sklearn_rnn.UntrustedModelError) as excinfo:
        sklearn_rnn.load_skops(path)
    assert any(problem.startswith(named) for problem in excinfo.value.problems), (
        excinfo.value.problems
    )


def test_load_skops_without_skops_says_how_to_install_it(monkeypatch, tmp_path):
    # A None entry in sys.modules makes the import fail, as if skops were absent.
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match="pip install skops"):
        sklearn_rnn.load_skops(tmp_path / "model.skops")


def test_load_skops_takes_a_list_of_patterns(tmp_path):
    with pytest.raises(TypeError, match=r"allowed_token_patterns=\[pattern\]"):
        sklearn_rnn.load_skops(tmp_path / "model.skops", allowed_token_patterns=r"\w+")


def test_the_only_object_array_in_a_skops_file_is_tokens_as_json_strings(
    seed_train, tmp_path
):
    # What SKOPS_TRUSTED_TYPES and the persistence page say a file holds.
    sio = pytest.importorskip("skops.io")
    path = dump(sio, tiny_fit(*seed_train), tmp_path)
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
        arrays = [
            np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
            for name in archive.namelist()
            if name.endswith(".npy")
        ]
    assert arrays and all(array.dtype != object for array in arrays)

    json_arrays, stack = {}, [("model", schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            if node.get("__loader__") == "NdArrayNode" and node.get("type") == "json":
                json_arrays[where] = node["content"]
            stack.extend((f"{where}.{k}", v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((where, v) for v in node)
    assert list(json_arrays) == [
        "model.content.content.tokenizer_.content.content.tokens_"
    ]
    (items,) = json_arrays.values()
    assert {item["__class__"] for item in items} == {"str"}
    assert all(isinstance(json.loads(item["content"]), str) for item in items)
    # ... and load_skops checks, and returns, an object array of str.
    tokens = sklearn_rnn.load_skops(path).tokenizer_.tokens_
    assert tokens.dtype == object
    assert [json.loads(item["content"]) for item in items] == tokens.tolist()


def test_load_skops_refuses_a_regressor_scale_that_is_not_positive(tmp_path):
    sio = pytest.importorskip("skops.io")
    model = tiny_fit(["good", "not good", "bad"], [1.0, 0.0, 2.0], TextRNNRegressor)
    model.target_scale_ = -model.target_scale_
    with pytest.raises(sklearn_rnn.UntrustedModelError, match="target_scale_ is not"):
        sklearn_rnn.load_skops(dump(sio, model, tmp_path))


def test_load_skops_loads_a_model_of_precomputed_ids(tmp_path):
    sio = pytest.importorskip("skops.io")
    X = np.array([[2, 3, 0], [4, 0, 0], [3, 2, 4], [5, 0, 0]])
    model = tiny_fit(X, [0, 1, 0, 1], tokenizer="precomputed")
    path = dump(sio, model, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sklearn_rnn.load_skops(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # Its tokenizer_ must be what "precomputed" fits, with the weights' size.
    model.tokenizer_.vocabulary_size_ = 99
    with pytest.raises(sklearn_rnn.UntrustedModelError, match="vocabulary_size_"):
        sklearn_rnn.load_skops(dump(sio, model, tmp_path))
