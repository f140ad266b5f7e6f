"""Tests for ``sklearn_rnn._base``: what both estimators do alike.

Parameters, the dispatch between text and numeric input, fit / partial_fit / warm
start, early stopping as seen on the estimator, sample weights, the guarantee that
a failed call leaves the estimator as it was, chunked prediction and ``transform``,
BLAS threads, concurrent and hostile callers, and the scikit-learn tooling (clone,
Pipeline, cross-validation, searches). TextRNNClassifier stands for both where a
test needs fitted models; cheap tests run on both estimators. What only the
classifier does (labels, class weights, probabilities) is in test_classifier.py.

scikit-learn's common checks (test_common.py) run on numeric input only; the text
path is tested here.
"""

import copy
import pickle
import threading
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

import sklearn_rnn._base as base_module
import sklearn_rnn._training as training_module
from conftest import (
    DOCUMENT,
    ES_PARAMS,
    ESTIMATORS,
    HYPOTHESIS,
    NOT_A_DOCUMENT,
    PREDICT_METHODS,
    UNK,
    WEIGHT_ATTRIBUTES,
    assert_clear_error,
    assert_same_state,
    assert_same_weights,
    blas_thread_counts,
    fit_quietly,
    ignore_convergence,
    interrupt_on_call,
    interrupt_once,
    small_rnn,
    snapshot,
    targets_for,
)
from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, TextTokenizer, _rnn

# Short fits keep the file fast; they are not meant to converge.
pytestmark = ignore_convergence

DOCS4 = ["good", "bad", "not good", "not bad"]
Y4 = [1, 0, 0, 1]
NUM4 = np.arange(12.0).reshape(4, 3)
# Divergence that is verified to happen on the seed data: within the first epoch of
# a fresh fit and within one partial_fit epoch (several mini-batches per epoch).
DIVERGING = {
    "solver": "sgd",
    "learning_rate_init": 1e100,
    "clip_norm": None,
    "batch_size": 4,
}


def partial_fit(model, X, y, **kwargs):
    """``partial_fit``, with the classes a classifier needs on its first call."""
    if isinstance(model, TextRNNClassifier) and not hasattr(model, "classes_"):
        kwargs.setdefault("classes", np.unique(y))
    return model.partial_fit(X, y, **kwargs)


def normalise(documents):
    """Module-level (picklable) text preprocessing for the Pipeline test."""
    return [document.lower().strip() for document in documents]


# ================================================================ parameters
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_parameters_have_their_documented_defaults(estimator):
    params = estimator().get_params()
    assert params["tokenizer"] is None
    assert params["hidden_size"] == 64
    assert params["pooling"] == "auto"
    assert params["solver"] == "adam"
    assert params["learning_rate"] == "constant"
    assert params["learning_rate_init"] == 0.01
    assert params["plateau_factor"] == 0.2
    assert params["plateau_patience"] == 3
    assert params["batch_size"] == "auto"
    assert params["max_iter"] == 200
    assert params["early_stopping"] == "auto"
    assert params["validation_fraction"] == 0.1
    assert params["clip_norm"] == 5.0 and params["clip_value"] is None
    assert params["length_bucketing"] is True
    assert params["max_len"] == "auto"
    assert params["blas_threads"] == "auto"
    assert params["n_jobs"] is None
    assert params["dtype"] == "float64"
    assert params["warm_start"] is False


OPTIONS = {
    "pooling": ["last", "mean", "max"],
    "embedding_size": [None, 4],
    "recurrent_init": ["uniform", "orthogonal"],
    "input_dropout": [0.0, 0.2],
    "dropout": [0.0, 0.3],
    "learning_rate": ["constant", "plateau"],
    "plateau_factor": [0.2, 0.5],
    "plateau_patience": [3, 2],
    "early_stopping": [False, True],
    "validation_fraction": [0.1, 0.3],
    "warm_start": [False, True],
}


@pytest.mark.parametrize("name", OPTIONS)
def test_option_is_a_searchable_parameter(name, seed_train):
    values = OPTIONS[name]
    clf = small_rnn(max_iter=15)
    assert name in clf.get_params()
    assert clf.set_params(**{name: values[-1]}).get_params()[name] == values[-1]
    assert clone(clf).get_params()[name] == values[-1]
    search = GridSearchCV(small_rnn(max_iter=15), {name: values}, cv=2)
    search.fit(*seed_train)
    assert [p[name] for p in search.cv_results_["params"]] == values


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, match",
    [
        ({"pooling": "attention"}, "pooling"),
        ({"embedding_size": 0}, "embedding_size"),
        ({"recurrent_init": "identity"}, "recurrent_init"),
        ({"input_dropout": 1.0}, "input_dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"learning_rate": "adaptive"}, "learning_rate"),
        ({"plateau_factor": 1.0}, "plateau_factor"),
        ({"plateau_factor": 0.0}, "plateau_factor"),
        ({"plateau_patience": 0}, "plateau_patience"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"early_stopping": "yes"}, "early_stopping"),
        ({"warm_start": 2}, "warm_start"),
        ({"dtype": np.float16}, "dtype"),
        ({"dtype": "int32"}, "dtype"),
        ({"dtype": "float128x"}, "dtype"),
    ],
)
def test_invalid_parameters_are_rejected(estimator, params, match):
    model = small_rnn(estimator, **params)
    y = targets_for(estimator, Y4)
    with pytest.raises(ValueError, match=match):
        model.fit(DOCS4, y)
    with pytest.raises(ValueError, match=match):
        partial_fit(model, DOCS4, y)
    assert not hasattr(model, "n_iter_")


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_rate_init": -0.01}, "learning_rate_init"),
        ({"clip_norm": -1}, "clip_norm"),
        ({"max_len": 0}, "max_len"),
        ({"batch_size": -5}, "batch_size"),
        ({"pooling": "bogus"}, "pooling"),
        ({"dropout": 1.0}, "dropout"),
        ({"hidden_size": True}, "'hidden_size' parameter .* does not take a bool"),
    ],
)
def test_partial_fit_on_a_fitted_model_validates_parameters_set_since(
    estimator, params, match, seed_train
):
    """scikit-learn validates partial_fit's parameters on the first call only; a
    parameter set_params changed since must not train in the wrong direction."""
    X, y = seed_train[0][:8], targets_for(estimator, seed_train[1][:8])
    model = partial_fit(small_rnn(estimator), X, y)
    model.set_params(**params)
    before = snapshot(model)
    with pytest.raises(ValueError, match=match):
        partial_fit(model, X, y)
    assert_same_state(before, snapshot(model))


@pytest.mark.parametrize("name", ["hidden_size", "max_iter", "batch_size", "max_len"])
def test_a_bool_is_not_taken_for_a_number(name):
    with pytest.raises(ValueError) as excinfo:
        small_rnn(**{name: True}).fit(DOCS4, Y4)
    assert_clear_error(
        excinfo, f"The '{name}' parameter", "does not take a bool", "would silently"
    )


def test_dtype_takes_numpy_dtype_objects(seed_train):
    model = fit_quietly(small_rnn(max_iter=2, dtype=np.dtype("float32")), *seed_train)
    assert model.recurrent_weights_.dtype == np.float32
    assert clone(model).get_params()["dtype"] == np.dtype("float32")


def test_warm_start_refuses_a_changed_tokenizer(seed_train):
    """Continuing keeps the fitted vocabulary: a new tokenizer would be ignored."""
    X, y = seed_train
    model = fit_quietly(small_rnn(max_iter=2, warm_start=True), X, y)
    for changed in (TextTokenizer(min_df=2), TextTokenizer(n_buckets=64)):
        model.set_params(tokenizer=changed)
        before = snapshot(model)
        for call in (model.fit, model.partial_fit):
            with pytest.raises(ValueError) as excinfo:
                call(X, y)
            assert_clear_error(
                excinfo,
                "tokenizer has changed since this model was fitted",
                "fit a new model (warm_start=False)",
            )
            assert_same_state(before, snapshot(model))
    # The same tokenizer, given explicitly, is no change.
    model.set_params(tokenizer=TextTokenizer())
    fit_quietly(model, X, y)
    assert model.n_iter_ == 4
    # A fresh fit learns the new vocabulary.
    model.set_params(tokenizer=TextTokenizer(min_df=2), warm_start=False)
    fit_quietly(model, X, y)
    assert model.tokenizer_.min_df == 2


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_clone_gives_unfitted_estimator_with_equal_params(estimator):
    model = small_rnn(estimator, tokenizer=TextTokenizer(min_df=2), max_iter=17)
    model.fit(["good", "bad", "good day", "bad day"], targets_for(estimator, Y4))
    cloned = clone(model)
    assert cloned.get_params()["tokenizer__min_df"] == 2
    params, cloned_params = model.get_params(), cloned.get_params()
    # The tokenizer parameter is cloned too: a different but equivalent object.
    assert cloned_params.pop("tokenizer") is not params.pop("tokenizer")
    assert params == cloned_params
    for attr in ("tokenizer_", "input_weights_", "n_iter_", "input_mode_"):
        assert not hasattr(cloned, attr)
    with pytest.raises(NotFittedError):
        cloned.predict(["good"])


# ================================================================ input
def test_text_containers_are_equivalent(text_model, seed_test):
    documents = seed_test[0]
    expected = text_model.predict_proba(documents)
    for container in (
        tuple(documents),
        np.array(documents),
        np.array(documents, dtype=object),
        pd.Series(documents),
        pd.Series(documents, dtype="string"),
        (doc for doc in documents),
    ):
        np.testing.assert_array_equal(text_model.predict_proba(container), expected)


def test_generator_of_documents_is_accepted_by_fit():
    fitted = small_rnn().fit((d for d in DOCS4), Y4)
    assert fitted.tokenizer_.vocabulary_size_ == 2 + 3
    np.testing.assert_array_equal(
        fitted.predict_proba(d for d in DOCS4), fitted.predict_proba(DOCS4)
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_score_reads_generators_once(estimator):
    model = fit_quietly(small_rnn(estimator, max_iter=2), DOCS4, Y4)
    weights = [1.0, 2.0, 1.0, 0.5]
    expected = model.score(DOCS4, Y4, sample_weight=weights)
    got = model.score(
        (d for d in DOCS4), (y for y in Y4), sample_weight=(w for w in weights)
    )
    assert got == expected


@pytest.mark.parametrize(
    "kind, n_features_in, n_step_features", [("numeric", 6, 1), ("numeric_3d", 5, 3)]
)
def test_numeric_fit_and_predict(
    models, numeric_2d, numeric_3d, kind, n_features_in, n_step_features
):
    model = models[kind][0]
    X, y = numeric_2d if kind == "numeric" else numeric_3d
    assert model.input_mode_ == "numeric"
    assert model.n_features_in_ == n_features_in
    assert model.n_step_features_ == n_step_features
    assert not hasattr(model, "tokenizer_")
    assert not hasattr(model, "feature_names_in_")
    assert model.input_weights_.shape == (n_step_features, 8)
    pred = model.predict(X)
    assert pred.shape == (40,)
    assert set(pred) <= {0, 1}
    assert model.predict_proba(X).shape == (40, 2)
    # The rule (the sign of a last-step value) is easy: far better than chance.
    assert model.score(X, y) >= 0.85


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


def test_dataframe_input(numeric_model, numeric_2d):
    X, y = numeric_2d
    df = pd.DataFrame(X, columns=[f"t{i}" for i in range(6)])
    estimator = small_rnn(max_iter=60).fit(df, y)
    np.testing.assert_array_equal(estimator.feature_names_in_, df.columns)
    assert estimator.n_features_in_ == 6
    np.testing.assert_array_equal(
        estimator.predict_proba(df), numeric_model.predict_proba(X)
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_switching_input_kind_on_refit(estimator, numeric_2d, seed_train):
    X, y = numeric_2d[0], targets_for(estimator, numeric_2d[1])
    model = small_rnn(estimator, max_iter=10)
    model.fit(pd.DataFrame(X, columns=[f"t{i}" for i in range(6)]), y)
    assert model.n_features_in_ == 6
    assert hasattr(model, "feature_names_in_")

    model.fit(seed_train[0], targets_for(estimator, seed_train[1]))
    assert model.input_mode_ == "text"
    assert not hasattr(model, "n_features_in_")
    assert not hasattr(model, "feature_names_in_")
    assert model.n_step_features_ == model.tokenizer_.vocabulary_size_
    with pytest.raises(ValueError, match="fitted on text"):
        model.predict(X)

    model.fit(X[:, :4], y)
    assert model.input_mode_ == "numeric"
    assert not hasattr(model, "tokenizer_")
    assert model.n_features_in_ == 4
    assert model.predict(X[:, :4]).shape == (40,)
    with pytest.raises(ValueError, match="fitted on numeric"):
        model.predict(seed_train[0])


def test_default_tokenizer_is_used_when_none(text_model, seed_train):
    assert text_model.tokenizer is None
    assert isinstance(text_model.tokenizer_, TextTokenizer)
    assert (
        text_model.tokenizer_.vocabulary_
        == TextTokenizer().fit(seed_train[0]).vocabulary_
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_default_tokenizer_parameters_are_listed_and_settable(estimator):
    model = estimator()
    deep = model.get_params(deep=True)
    for name, value in TextTokenizer().get_params().items():
        assert deep[f"tokenizer__{name}"] == value
    assert model.get_params(deep=False)["tokenizer"] is None
    model.set_params(tokenizer__min_df=2, tokenizer__stop_words=["a"])
    assert isinstance(model.tokenizer, TextTokenizer)
    assert (
        model.tokenizer.get_params()
        == TextTokenizer(min_df=2, stop_words=["a"]).get_params()
    )
    # tokenizer=None in the same call still means the default tokenizer.
    other = estimator().set_params(tokenizer=None, tokenizer__max_len=3)
    assert other.tokenizer.max_len == 3


@ignore_convergence
def test_grid_search_reaches_the_default_tokenizer(seed_train):
    search = GridSearchCV(
        small_rnn(max_iter=3), {"tokenizer__min_df": [1, 2]}, cv=2
    ).fit(*seed_train)
    assert [p["tokenizer__min_df"] for p in search.cv_results_["params"]] == [1, 2]
    assert (
        search.best_estimator_.tokenizer_.min_df
        == search.best_params_["tokenizer__min_df"]
    )
    # The searched estimator itself keeps its default.
    assert search.estimator.tokenizer is None


def test_fit_does_not_fit_or_mutate_the_given_tokenizer(seed_train):
    tokenizer = TextTokenizer(min_df=2)
    params = tokenizer.get_params()
    estimator = small_rnn(tokenizer=tokenizer, max_iter=30).fit(*seed_train)
    assert not hasattr(tokenizer, "vocabulary_")
    assert tokenizer.get_params() == params
    assert estimator.tokenizer is tokenizer
    assert estimator.tokenizer_ is not tokenizer
    assert estimator.tokenizer_.min_df == 2
    assert hasattr(estimator.tokenizer_, "vocabulary_")


def test_fit_tokenizes_the_training_documents_once(monkeypatch, seed_train):
    X, y = seed_train
    analysed = []
    original = TextTokenizer._iter_tokens

    def counting(self, documents):
        documents = list(documents)
        analysed.append(len(documents))
        return original(self, documents)

    monkeypatch.setattr(TextTokenizer, "_iter_tokens", counting)
    small_rnn(max_iter=2).fit(X, y)
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


class _SizelessTokenizer(_SpaceTokenizer):
    """Forgets to say how many ids it produces."""

    def fit(self, X, y=None):
        super().fit(X)
        del self.vocabulary_size_
        return self


def test_a_tokenizer_that_sets_no_vocabulary_size_is_named(seed_train):
    clf = TextRNNClassifier(_SizelessTokenizer())
    with pytest.raises(TypeError) as excinfo:
        clf.fit(*seed_train)
    assert_clear_error(
        excinfo, "_SizelessTokenizer did not set vocabulary_size_ in fit"
    )
    assert not hasattr(clf, "n_iter_")


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


def test_hashing_tokenizer_trains_without_a_vocabulary(hashing_model, seed_train):
    clf = hashing_model
    assert clf.tokenizer_.vocabulary_ is None
    assert clf.input_weights_.shape == (64 + 2, clf.hidden_size)
    assert clf.n_step_features_ == 64 + 2
    assert clf.score(*seed_train) == 1.0
    # Words never seen still hash to a bucket, and the model predicts.
    unseen = ["zyzzyva quokka", "not flibbertigibbet", ""]
    ids, _ = clf.tokenizer_.transform_ragged(unseen[:1])
    assert np.all(ids >= 2)
    proba = clf.predict_proba(unseen)
    assert proba.shape == (3, 2) and np.all(np.isfinite(proba))
    assert set(clf.predict(unseen)) <= {0, 1}


# ================================================================ model options
def test_embedding_shapes_and_attributes(seed_train, seed_test):
    X, y = seed_train
    clf = small_rnn(embedding_size=4, max_iter=15).fit(X, y)
    n_ids = clf.tokenizer_.vocabulary_size_
    assert clf.embedding_weights_.shape == (n_ids, 4)
    assert clf.input_weights_.shape == (4, 8)
    # Unknown and padding ids stay neutral at init (zero rows of the embedding).
    assert np.all(np.isfinite(clf.predict_proba(["zzzz qqqq"])))
    # A refit without an embedding drops the old one.
    clf.set_params(embedding_size=None).fit(X, y)
    assert not hasattr(clf, "embedding_weights_")
    assert clf.input_weights_.shape == (n_ids, 8)
    assert clf.predict_proba(seed_test[0]).shape == (len(seed_test[0]), 2)


def test_embedding_size_is_ignored_for_numeric_input(numeric_3d):
    X, y = numeric_3d
    with_embedding = small_rnn(embedding_size=3, max_iter=15).fit(X, y)
    without = small_rnn(max_iter=15).fit(X, y)
    assert not hasattr(with_embedding, "embedding_weights_")
    np.testing.assert_array_equal(
        with_embedding.predict_proba(X), without.predict_proba(X)
    )


@pytest.fixture(scope="module")
def plain_proba(seed_train, seed_test):
    """Test-set probabilities of the model the option tests change."""
    return small_rnn(max_iter=15).fit(*seed_train).predict_proba(seed_test[0])


@pytest.mark.parametrize(
    "params",
    [
        {"pooling": "max"},
        {"embedding_size": 4},
        {"recurrent_init": "orthogonal"},
        {"input_dropout": 0.2},
        {"dropout": 0.3},
        # Length bucketing (the default) regroups mini-batches; one full
        # batch has none.
        {"length_bucketing": False, "batch_size": 10},
    ],
    ids=str,
)
def test_each_option_changes_the_model(params, plain_proba, seed_train, seed_test):
    other = small_rnn(max_iter=15, **params).fit(*seed_train)
    assert not np.allclose(other.predict_proba(seed_test[0]), plain_proba)
    if "length_bucketing" in params:
        bucketed = small_rnn(max_iter=15, batch_size=10).fit(*seed_train)
        assert not np.allclose(
            other.predict_proba(seed_test[0]), bucketed.predict_proba(seed_test[0])
        )


def test_auto_pooling_is_mean_for_text_and_all_three_for_numeric(
    seed_train, numeric_3d
):
    auto = small_rnn(pooling="auto", max_iter=15).fit(*seed_train)
    mean = small_rnn(pooling="mean", max_iter=15).fit(*seed_train)
    np.testing.assert_array_equal(
        auto.predict_proba(seed_train[0]), mean.predict_proba(seed_train[0])
    )
    X, y = numeric_3d

    def proba(pooling):
        return small_rnn(pooling=pooling, max_iter=15).fit(X, y).predict_proba(X)

    np.testing.assert_array_equal(proba("auto"), proba("last+mean+max"))
    assert not np.allclose(proba("auto"), proba("max"))


def test_parameters_set_after_fit_wait_for_the_next_fit(seed_train, seed_test):
    """As for any scikit-learn estimator, a parameter changed after fit does not
    change the fitted model's predictions until it is refitted."""
    X, y = seed_train
    clf = small_rnn(max_iter=15).fit(X, y)
    before = clf.predict_proba(seed_test[0])
    clf.set_params(pooling="max", max_len=1, truncation="tail")
    np.testing.assert_array_equal(clf.predict_proba(seed_test[0]), before)
    clf.fit(X, y)
    assert not np.allclose(clf.predict_proba(seed_test[0]), before)


@pytest.mark.parametrize(
    "truncation, same_as", [("head", "a b"), ("tail", "c d"), ("head+tail", "a d")]
)
def test_max_len_cuts_documents_in_fit_and_predict(truncation, same_as, seed_train):
    clf = small_rnn(max_len=2, truncation=truncation, max_iter=15).fit(*seed_train)
    long, short = clf.predict_proba(["a b c d"]), clf.predict_proba([same_as])
    np.testing.assert_array_equal(long, short)
    # A parameter changed after fit waits for the next fit.
    clf.set_params(max_len=None)
    np.testing.assert_array_equal(clf.predict_proba(["a b c d"]), long)


@pytest.mark.parametrize("truncation", ["head", "tail"])
def test_max_len_cuts_numeric_sequences(truncation):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 2))
    y = (X[:, 0, 0] > 0).astype(int)
    kept = slice(0, 4) if truncation == "head" else slice(2, 6)
    clf = small_rnn(max_len=4, truncation=truncation, max_iter=15).fit(X, y)
    cut = small_rnn(max_iter=15).fit(X[:, kept], y)
    np.testing.assert_allclose(clf.predict_proba(X), cut.predict_proba(X[:, kept]))
    # The model still expects (and checks) the fitted number of time steps.
    with pytest.raises(ValueError, match="6"):
        clf.predict_proba(X[:, :4])


def test_dropout_is_reproducible_and_off_at_prediction(seed_train, seed_test):
    X, y = seed_train
    a = small_rnn(dropout=0.3, input_dropout=0.2, max_iter=15).fit(X, y)
    b = small_rnn(dropout=0.3, input_dropout=0.2, max_iter=15).fit(X, y)
    np.testing.assert_array_equal(a.input_weights_, b.input_weights_)
    p1, p2 = a.predict_proba(seed_test[0]), a.predict_proba(seed_test[0])
    np.testing.assert_array_equal(p1, p2)
    # Prediction uses the full network: equal to a dropout-free model with the same
    # weights.
    plain = small_rnn(max_iter=15).fit(X[:10], y[:10])
    for attr in (*WEIGHT_ATTRIBUTES, "tokenizer_"):
        setattr(plain, attr, getattr(a, attr))
    np.testing.assert_array_equal(plain.predict_proba(seed_test[0]), p1)


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
        assert model.transform(data).dtype == np.float32
        assert model.predict_proba_per_step(data[:2])[0].dtype == np.float32


def test_float32_follows_float64_to_float32_precision(numeric_2d):
    X, y = numeric_2d
    f64 = small_rnn(max_iter=3).fit(X, y)
    f32 = small_rnn(max_iter=3, dtype="float32").fit(X, y)
    np.testing.assert_allclose(
        f32.predict_proba(X), f64.predict_proba(X), rtol=0, atol=1e-5
    )


# ================================================================ fit
def test_refit_with_same_random_state_is_identical(seed_train, seed_test):
    estimator = small_rnn(max_iter=300)
    first = estimator.fit(*seed_train).predict_proba(seed_test[0])
    weights = {attr: getattr(estimator, attr).copy() for attr in WEIGHT_ATTRIBUTES}
    second = estimator.fit(*seed_train).predict_proba(seed_test[0])
    np.testing.assert_array_equal(first, second)
    for attr, value in weights.items():
        np.testing.assert_array_equal(getattr(estimator, attr), value)
    # A separate instance with the same seed learns the same model too, and one
    # with another seed another model.
    np.testing.assert_array_equal(
        small_rnn(max_iter=300).fit(*seed_train).predict_proba(seed_test[0]), first
    )
    other = small_rnn(max_iter=300, random_state=1).fit(*seed_train)
    for attr in ("input_weights_", "recurrent_weights_", "output_weights_"):
        assert getattr(other, attr).shape == weights[attr].shape
        assert not np.array_equal(getattr(other, attr), weights[attr])


def test_fitted_attributes(text_model, seed_train):
    n_samples = len(seed_train[0])
    curve = text_model.loss_curve_
    assert len(curve) == len(text_model.history_) == text_model.n_iter_
    assert text_model.best_loss_ == min(curve)
    assert text_model.t_ == text_model.n_iter_ * n_samples
    assert np.all(np.isfinite(curve))
    # Converged before max_iter, and learnt: the loss fell a lot overall.
    assert text_model.n_iter_ < text_model.max_iter
    assert curve[-1] < 0.25 * curve[0]
    assert text_model.score(*seed_train) == 1.0
    H = text_model.hidden_size
    vocabulary_size = text_model.tokenizer_.vocabulary_size_
    assert vocabulary_size == len(text_model.tokenizer_.vocabulary_) + 2
    assert text_model.input_mode_ == "text"
    assert text_model.n_step_features_ == vocabulary_size
    assert text_model.input_weights_.shape == (vocabulary_size, H)
    assert text_model.recurrent_weights_.shape == (H, H)
    assert text_model.hidden_bias_.shape == (H,)
    assert text_model.output_weights_.shape == (H, 2)
    assert text_model.output_bias_.shape == (2,)
    for attr in WEIGHT_ATTRIBUTES:
        assert getattr(text_model, attr).dtype == np.float64
        assert np.all(np.isfinite(getattr(text_model, attr)))


def test_without_early_stopping_no_validation_attributes(seed_train):
    clf = small_rnn(max_iter=4).fit(*seed_train)
    assert clf.validation_loss_curve_ is None
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.best_epoch_ == clf.n_iter_ == 4
    for record in clf.history_:
        assert not {"valid_loss", "valid_score", "best"} & record.keys()
        keys = {"epoch", "train_loss", "train_accuracy", "learning_rate", "seconds"}
        assert keys <= record.keys()


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_early_stopping_auto_depends_on_the_number_of_samples(estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3, 1))
    y = targets_for(estimator, (X[:, -1, 0] > 0).astype(int))
    model = small_rnn(estimator, early_stopping="auto", max_iter=2)
    assert model.fit(X[:999], y[:999]).validation_scores_ is None
    assert len(model.fit(X, y).validation_scores_) == 2
    # Zero-weight samples do not count.
    weights = np.ones(1000)
    weights[0] = 0.0
    assert model.fit(X, y, sample_weight=weights).validation_scores_ is None


def test_early_stopping_attributes_describe_the_kept_epoch(es_model, noisy_numeric):
    clf = es_model
    # The case is one where the validation loss rose at the end.
    assert 1 < clf.best_epoch_ < clf.n_iter_ < clf.max_iter
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_)
    assert len(clf.validation_loss_curve_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_loss_ == min(clf.validation_loss_curve_)
    assert clf.best_loss_ == clf.validation_loss_curve_[clf.best_epoch_ - 1]
    assert clf.best_validation_score_ == clf.validation_scores_[clf.best_epoch_ - 1]
    # The stopping rule: n_iter_no_change epochs after the last tol improvement.
    assert clf.n_iter_ - clf.best_epoch_ <= clf.n_iter_no_change
    # t_ counts the training samples only.
    n_train = len(noisy_numeric[1]) - int(np.ceil(0.25 * len(noisy_numeric[1])))
    assert clf.t_ == clf.n_iter_ * n_train


def test_early_stopping_history_records(es_model):
    history = es_model.history_
    assert [r["epoch"] for r in history] == list(range(1, es_model.n_iter_ + 1))
    for record in history:
        assert {
            "epoch",
            "train_loss",
            "train_accuracy",
            "learning_rate",
            "seconds",
            "valid_loss",
            "valid_score",
            "best",
        } <= record.keys()
        assert 0.0 <= record["valid_score"] <= 1.0
        assert record["seconds"] >= 0.0
    assert [r["valid_loss"] for r in history] == es_model.validation_loss_curve_
    assert [r["valid_score"] for r in history] == es_model.validation_scores_
    assert [r["train_loss"] for r in history] == es_model.loss_curve_
    assert max(r["epoch"] for r in history if r["best"]) == es_model.best_epoch_


def test_early_stopping_ends_with_the_weights_of_the_best_epoch(
    es_model, noisy_numeric
):
    best = es_model.best_epoch_
    # Same params and seed: same split, same shuffles, same trajectory, cut after
    # the best epoch (that train() keeps the best epoch's weights and undoes the
    # later ones is tested in test_training.py).
    cut = TextRNNClassifier(
        **{**ES_PARAMS, "max_iter": best, "n_iter_no_change": 10_000}
    ).fit(*noisy_numeric)
    assert cut.n_iter_ == cut.best_epoch_ == best
    np.testing.assert_array_equal(cut.loss_curve_, es_model.loss_curve_[:best])
    assert_same_weights(es_model, cut)


# ================================================================ continuing
def test_warm_start_continues_training(seed_train):
    clf = small_rnn(warm_start=True, max_iter=20).fit(*seed_train)
    old_curve, old_history = list(clf.loss_curve_), list(clf.history_)
    old_t = clf.t_
    old_output_weights = clf.output_weights_.copy()
    clf.set_params(max_iter=5).fit(*seed_train)

    assert clf.n_iter_ == 25
    assert clf.t_ == old_t + 5 * len(seed_train[1])
    assert len(clf.loss_curve_) == 25 and len(clf.history_) == 25
    assert clf.loss_curve_[:20] == old_curve
    assert clf.history_[:20] == old_history
    assert [r["epoch"] for r in clf.history_] == list(range(1, 26))
    # No jump: it continues below where it left off, far below a cold start.
    assert clf.loss_curve_[20] < old_curve[-1]
    assert clf.loss_curve_[20] < old_curve[0] - 0.1
    assert not np.array_equal(clf.output_weights_, old_output_weights)
    assert clf.best_epoch_ == 25
    # With full batches and a constant rate (the optimizer state is kept), 20 + 5
    # epochs are 25 uninterrupted ones.
    straight = small_rnn(max_iter=25).fit(*seed_train)
    np.testing.assert_allclose(clf.loss_curve_, straight.loss_curve_, rtol=1e-10)
    for attr in WEIGHT_ATTRIBUTES:
        np.testing.assert_allclose(
            getattr(clf, attr), getattr(straight, attr), rtol=1e-9, atol=1e-12
        )


def test_warm_start_keeps_vocabulary_and_classes(fitted_text):
    clf = copy.deepcopy(fitted_text).set_params(warm_start=True, max_iter=3)
    vocabulary = dict(clf.tokenizer_.vocabulary_)
    shape = clf.input_weights_.shape
    clf.fit(["excellent movie", "terrible movie", "not excellent", "good"], Y4)
    # The new words were trained as the unknown id, like any other unseen word.
    other = copy.deepcopy(fitted_text).set_params(warm_start=True, max_iter=3)
    other.fit(["xyz xyz", "xyz xyz", "not xyz", "good"], Y4)
    assert_same_weights(clf, other)
    assert clf.tokenizer_.vocabulary_ == vocabulary
    assert "excellent" not in clf.tokenizer_.vocabulary_
    assert clf.input_weights_.shape == shape
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_iter_ == fitted_text.n_iter_ + 3


def test_warm_start_with_early_stopping_never_worsens_validation_loss(
    es_model, noisy_numeric
):
    clf = fit_quietly(
        copy.deepcopy(es_model).set_params(warm_start=True, max_iter=10),
        *noisy_numeric,
    )
    assert clf.n_iter_ == es_model.n_iter_ + 10
    # The validation curves are those of the last fit only.
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == 10
    new_records = clf.history_[es_model.n_iter_ :]
    assert [r["epoch"] for r in new_records] == list(
        range(es_model.n_iter_ + 1, es_model.n_iter_ + 11)
    )
    # Same seed, same split: the incoming model competes for the best epoch. In
    # this case (verified) the 10 new epochs only overfit further: none beats the
    # incoming weights, which are kept, with the epoch that made them.
    assert not any(r["best"] for r in new_records)
    assert clf.best_loss_ == es_model.best_loss_
    assert clf.best_validation_score_ == es_model.best_validation_score_
    assert clf.best_epoch_ == es_model.best_epoch_
    assert_same_weights(clf, es_model)


def _warm_start_refusals():
    numeric = np.random.RandomState(0).randn(10, 4)
    return {
        "new-label": ("text", ["good", "bad", "meh"], [0, 1, 2], {}, "not among"),
        "hidden-size": ("text", DOCS4, Y4, {"hidden_size": 9}, "hidden_size=9"),
        "embedding-size": (
            "embedded",
            DOCS4,
            Y4,
            {"embedding_size": 5},
            "embedding_size=5.*fitted model has an embedding of 4",
        ),
        "dtype": (
            "numeric",
            numeric,
            [0, 1] * 5,
            {"dtype": "float32"},
            "dtype='float32'.*fitted model has dtype",
        ),
        "numeric-after-text": ("text", numeric, [0, 1] * 5, {}, "fitted on text"),
        "text-after-numeric": ("numeric", DOCS4, Y4, {}, "fitted on numeric"),
    }


@pytest.fixture(scope="module")
def warm_start_models(fitted_text, noisy_numeric, seed_train):
    return {
        "text": fitted_text,
        "embedded": small_rnn(embedding_size=4, max_iter=3).fit(*seed_train),
        "numeric": small_rnn(max_iter=3).fit(noisy_numeric[0][:, :4], noisy_numeric[1]),
    }


@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
@pytest.mark.parametrize("case", list(_warm_start_refusals()))
def test_continuing_refuses_changes_and_leaves_the_model_as_it_was(
    warm_start_models, case, method
):
    kind, X, y, params, match = _warm_start_refusals()[case]
    clf = copy.deepcopy(warm_start_models[kind])
    clf.set_params(warm_start=method == "warm_start", **params)
    before = snapshot(clf)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y) if method == "warm_start" else clf.partial_fit(X, y)
    assert_same_state(before, vars(clf))


def test_warm_start_false_refits_from_scratch(noisy_numeric, seed_train, seed_test):
    clf = small_rnn(max_iter=5).fit(*noisy_numeric)
    clf.fit(["good day", "bad day", "odd"], [1, 0, 1])
    clf.fit(*seed_train)
    fresh = small_rnn(max_iter=5).fit(*seed_train)
    assert_same_weights(clf, fresh)
    assert clf.loss_curve_ == fresh.loss_curve_
    assert clf.n_iter_ == fresh.n_iter_ == 5
    assert clf.t_ == fresh.t_
    assert [r["epoch"] for r in clf.history_] == [1, 2, 3, 4, 5]
    assert clf.tokenizer_.vocabulary_ == fresh.tokenizer_.vocabulary_
    assert not hasattr(clf, "n_features_in_")
    np.testing.assert_array_equal(
        clf.predict_proba(seed_test[0]), fresh.predict_proba(seed_test[0])
    )


def test_warm_start_and_partial_fit_restart_at_learning_rate_init(noisy_numeric):
    clf = small_rnn(
        learning_rate="plateau",
        plateau_patience=1,
        tol=10.0,
        n_iter_no_change=1000,
        max_iter=4,
        warm_start=True,
    ).fit(*noisy_numeric)
    assert clf.history_[-1]["learning_rate"] < 1e-2
    clf.fit(*noisy_numeric)
    assert clf.history_[4]["learning_rate"] == 1e-2
    clf.partial_fit(*noisy_numeric)
    assert clf.history_[-1]["learning_rate"] == 1e-2


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_partial_fit_runs_one_epoch_per_call_without_warning(estimator, seed_train):
    X, y = seed_train[0][:20], targets_for(estimator, seed_train[1][:20])
    model = small_rnn(estimator, max_iter=1)
    for call in range(1, 4):
        partial_fit(model, X, y)
        assert model.n_iter_ == len(model.loss_curve_) == len(model.history_) == call
        assert model.t_ == 20 * call
        assert model.history_[-1]["epoch"] == call
        assert model.best_epoch_ == call
        assert model.best_loss_ == min(model.loss_curve_)
    assert model.predict(["good"]).shape == (1,)


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_continues_a_fitted_model(fitted_text, seed_train):
    clf = copy.deepcopy(fitted_text)
    n_iter, curve = clf.n_iter_, list(clf.loss_curve_)
    clf.partial_fit(*seed_train)
    assert clf.n_iter_ == n_iter + 1
    assert clf.loss_curve_[:-1] == curve
    assert clf.history_[-1]["epoch"] == n_iter + 1
    # Continues smoothly: one more full-batch epoch of the same training.
    assert clf.loss_curve_[-1] < curve[-1]
    one_more = fit_quietly(small_rnn(max_iter=n_iter + 1, pooling="auto"), *seed_train)
    np.testing.assert_allclose(
        clf.loss_curve_[:-1], one_more.loss_curve_[:-1], rtol=1e-10
    )
    # partial_fit records the loss of the weights it keeps, after its update: the
    # loss a full-batch fit computes at the start of the following epoch.
    two_more = fit_quietly(small_rnn(max_iter=n_iter + 2, pooling="auto"), *seed_train)
    np.testing.assert_allclose(clf.loss_curve_[-1], two_more.loss_curve_[-1], rtol=1e-9)
    for attr in WEIGHT_ATTRIBUTES:
        np.testing.assert_allclose(
            getattr(clf, attr), getattr(one_more, attr), rtol=1e-9, atol=1e-12
        )


def test_partial_fit_freezes_the_vocabulary_of_the_first_call():
    clf = small_rnn()
    clf.partial_fit(["good day", "bad day"], [1, 0], classes=[0, 1])
    tokenizer = clf.tokenizer_
    vocabulary = dict(tokenizer.vocabulary_)
    shape = clf.input_weights_.shape
    clf.partial_fit(["excellent day", "terrible day"], [1, 0])
    assert clf.tokenizer_ is tokenizer
    assert clf.tokenizer_.vocabulary_ == vocabulary
    assert clf.input_weights_.shape == shape
    ids, _ = clf.tokenizer_.transform_ragged(["excellent"])
    np.testing.assert_array_equal(ids, [UNK])
    # The new words were trained as the unknown id: any other unseen word in their
    # place trains the same model.
    other = small_rnn()
    other.partial_fit(["good day", "bad day"], [1, 0], classes=[0, 1])
    other.partial_fit(["xyz day", "xyz day"], [1, 0])
    assert_same_weights(clf, other)


@pytest.mark.parametrize(
    "first, later",
    [((6, 5), (6, 4)), ((6, 5, 2), (6, 5, 3)), ((6, 5, 2), (6, 5))],
    ids=["timesteps", "features-per-step", "2d-after-3d"],
)
def test_partial_fit_numeric_shape_mismatch_raises(first, later):
    rng = np.random.RandomState(0)
    clf = small_rnn().partial_fit(rng.randn(*first), [0, 1] * 3, classes=[0, 1])
    before = snapshot(clf)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(rng.randn(*later), [0, 1] * 3)
    assert_same_state(before, vars(clf))


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_stream_with_hashing_reaches_fit_accuracy(seed_train, seed_test):
    X, y = seed_train
    # The tutorial's model (last state) converges within the default max_iter at
    # this small size; mean pooling needs more epochs.
    fitted = small_rnn(hidden_size=16, max_iter=200).fit(X, y)
    assert fitted.score(*seed_test) == 1.0

    clf = small_rnn(tokenizer=TextTokenizer(n_buckets=256), hidden_size=16)
    chunks = np.array_split(np.arange(len(y)), 4)
    for _ in range(60):
        for chunk in chunks:
            clf.partial_fit([X[i] for i in chunk], y[chunk], classes=[0, 1])
    assert clf.n_iter_ == 240
    assert clf.tokenizer_.vocabulary_ is None
    assert clf.score(*seed_test) == fitted.score(*seed_test)


# ================================================================ sample weights
@pytest.mark.parametrize("weights", ["integers", 2], ids=["array", "scalar"])
def test_integer_sample_weight_equals_repeated_documents(
    seed_train, seed_test, weights
):
    X, y = seed_train
    if weights == "integers":
        weights = np.random.RandomState(0).randint(1, 4, size=len(y))
    repeated = np.repeat(np.arange(len(y)), np.broadcast_to(weights, len(y)))
    assert len(repeated) <= 200  # full batch for both fits
    weighted = small_rnn(max_iter=30).fit(X, y, sample_weight=weights)
    copies = small_rnn(max_iter=30).fit([X[i] for i in repeated], y[repeated])
    assert weighted.tokenizer_.vocabulary_ == copies.tokenizer_.vocabulary_
    np.testing.assert_allclose(
        weighted.predict_proba(seed_test[0]),
        copies.predict_proba(seed_test[0]),
        rtol=1e-6,
        atol=1e-9,
    )
    np.testing.assert_allclose(weighted.loss_curve_, copies.loss_curve_, rtol=1e-9)
    # And the weights matter: unweighted training differs (the penalty alpha is
    # divided by the total weight).
    plain = small_rnn(max_iter=30).fit(X, y)
    assert not np.allclose(
        plain.predict_proba(seed_test[0]), weighted.predict_proba(seed_test[0])
    )


@pytest.mark.parametrize("early_stopping", [False, True])
def test_zero_weight_equals_dropped_document(seed_train, early_stopping):
    X, y = seed_train
    X = [*X, "fantastic wonderful", "dreadful", "not fantastic"]
    y = np.r_[y, 1, 0, 0]
    weights = np.ones(len(y))
    weights[[3, 10, 20]] = 0.0
    weights[-3:] = 0.0
    keep = weights > 0
    params = {"max_iter": 15, "early_stopping": early_stopping}
    weighted = small_rnn(**params).fit(X, y, sample_weight=weights)
    dropped = small_rnn(**params).fit(
        [doc for doc, k in zip(X, keep, strict=True) if k], y[keep]
    )
    for word in ("fantastic", "wonderful", "dreadful"):
        assert word not in weighted.tokenizer_.vocabulary_
    assert weighted.tokenizer_.vocabulary_ == dropped.tokenizer_.vocabulary_
    assert_same_weights(weighted, dropped)
    assert weighted.loss_curve_ == dropped.loss_curve_
    assert weighted.t_ == dropped.t_
    if early_stopping:
        assert weighted.validation_loss_curve_ == dropped.validation_loss_curve_
        assert weighted.best_epoch_ == dropped.best_epoch_


@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(58), "non-negative"),
        (np.r_[np.ones(57), -1.0], "non-negative, got -1.0 at position 57"),
        (-1.0, "non-negative, got -1.0"),
        (np.ones(57), "57 values but X has 58 samples"),
        (np.ones(59), "59 values but X has 58 samples"),
        (np.zeros(58), "zero for every sample"),
        (np.r_[np.ones(57), np.nan], "finite .*got nan at position 57"),
        (np.r_[np.ones(57), np.inf], "finite .*got inf at position 57"),
        (np.ones((58, 2)), "scalar or 1-D"),
    ],
    ids=[
        "negative",
        "one-negative",
        "negative-scalar",
        "short",
        "long",
        "all-zero",
        "nan",
        "inf",
        "2d",
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_sample_weight_errors(seed_train, fitted_text, weights, match, method):
    X, y = seed_train
    assert len(y) == 58
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    fresh = small_rnn(max_iter=2)
    with pytest.raises(ValueError, match=match):
        getattr(fresh, method)(X, y, sample_weight=weights, **kwargs)
    assert not hasattr(fresh, "classes_")
    fitted = copy.deepcopy(fitted_text)
    before = snapshot(fitted)
    with pytest.raises(ValueError, match=match):
        getattr(fitted, method)(X, y, sample_weight=weights, **kwargs)
    assert_same_state(before, vars(fitted))


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.float32])
def test_callers_sample_weight_is_not_modified(seed_train, dtype):
    X, y = seed_train
    weights = np.arange(len(y)).astype(dtype) % 3
    original = weights.copy()
    small_rnn(max_iter=2, class_weight={0: 5.0}, early_stopping=True).fit(
        X, y, sample_weight=weights
    )
    small_rnn(class_weight={1: 2.0}).partial_fit(
        X, y, classes=[0, 1], sample_weight=weights
    )
    small_rnn(TextRNNRegressor, max_iter=2).fit(
        X, y.astype(float), sample_weight=weights
    )
    assert weights.dtype == dtype
    np.testing.assert_array_equal(weights, original)


# ================================================================ failed calls
def _fit_errors():
    def with_value(value):
        X = NUM4.copy()
        X[1, 1] = value
        return X

    return {
        "bare-string": ("not good at all", [1], ValueError, "string object received"),
        "None-document": (["good", "bad", None, "sad"], Y4, ValueError, "position 2"),
        "NaN-document": (["good", "bad", np.nan, "sad"], Y4, ValueError, "position 2"),
        "int-document": (["good", "bad", 3, "sad"], Y4, ValueError, "position 2"),
        "all-None": ([None] * 4, Y4, ValueError, "position 0"),
        "all-bytes": ([b"good", b"bad"] * 2, Y4, ValueError, "position 0.*[Dd]ecode"),
        "set": ({"good", "bad", "not good", "not bad"}, Y4, TypeError, "fixed order"),
        "no-tokens": (["", "!!", " ", "?"], Y4, ValueError, "No tokens found"),
        "one-class-text": (DOCS4, [1, 1, 1, 1], ValueError, "at least 2 classes"),
        "one-class-numeric": (NUM4, ["a"] * 4, ValueError, "only one class"),
        "length-mismatch-text": (DOCS4, [1, 0, 1], ValueError, r"\[4, 3\]"),
        "length-mismatch-numeric": (NUM4, [1, 0], ValueError, r"\[4, 2\]"),
        "y-None-text": (DOCS4, None, ValueError, "requires y"),
        "y-None-numeric": (NUM4, None, ValueError, "requires y"),
        "empty-list": ([], [], ValueError, "0 samples"),
        "NaN-numeric": (with_value(np.nan), Y4, ValueError, "NaN"),
        "inf-numeric": (with_value(np.inf), Y4, ValueError, "infinity"),
        "4-D-numeric": (np.zeros((4, 3, 2, 2)), Y4, ValueError, "4-D"),
        "strings-in-2-D": (np.array([["a", "b"]] * 4), Y4, ValueError, "not 1-D text"),
        "continuous-y": (DOCS4, [0.1, 0.2, 0.3, 0.4], ValueError, "Unknown label"),
    }


FIT_ERRORS = _fit_errors()


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


def _predict_errors():
    rng = np.random.RandomState(2)
    nan, inf = rng.randn(3, 6), rng.randn(3, 6)
    nan[1, 2], inf[2, 0] = np.nan, -np.inf
    steps = r"expecting 6 .*6 time steps"
    return {
        "text": {
            "bare-string": ("not good", ValueError, "string object received"),
            "bytes": (b"not good", ValueError, "bytes object received"),
            "None-document": (["good", "bad", None], ValueError, "position 2"),
            "NaN-document": (["good", "bad", float("nan")], ValueError, "position 2"),
            "NA-in-Series": (pd.Series(["good", "bad", pd.NA]), ValueError, "pos.* 2"),
            "int-document": (["good", "bad", 5], ValueError, "position 2"),
            "all-None": ([None, None], ValueError, "position 0"),
            "all-bytes": ([b"good"], ValueError, "position 0.*[Dd]ecode"),
            "numeric-2-D": (np.zeros((3, 4)), ValueError, "fitted on text"),
            "numeric-3-D": (np.ones((2, 4, 2)), ValueError, "fitted on text"),
            "2-D-text": (
                np.array([["good", "film"], ["bad", "film"]]),
                ValueError,
                "fitted on text",
            ),
            "empty-list": ([], ValueError, "0 documents"),
            "dict": ({"a": "good"}, TypeError, "dict"),
            "None": (None, TypeError, "None"),
        },
        "numeric": {
            "text": (["good", "bad"], ValueError, "fitted on numeric sequences"),
            "bare-string": ("good", ValueError, "string object received"),
            "longer-2-D": (rng.randn(3, 8), ValueError, steps),
            "shorter-2-D": (rng.randn(3, 4), ValueError, steps),
            "longer-3-D": (rng.randn(3, 8, 1), ValueError, steps),
            "2-step-features": (rng.randn(3, 6, 2), ValueError, "2 features per time"),
            "NaN": (nan, ValueError, "NaN"),
            "inf": (inf, ValueError, "infinity"),
            "4-D": (rng.randn(3, 6, 1, 1), ValueError, "4-D"),
            "no-samples": (np.empty((0, 6)), ValueError, "0 sample"),
        },
        "numeric_3d": {
            "2-features": (np.zeros((3, 5, 2)), ValueError, "2 features .* on 3"),
            "2-D": (np.zeros((3, 5)), ValueError, "1 features per time step, .* on 3"),
            "4-steps": (np.zeros((3, 4, 3)), ValueError, r"expecting 5 .*5 time steps"),
        },
    }


PREDICT_ERRORS = {
    (kind, case): value
    for kind, cases in _predict_errors().items()
    for case, value in cases.items()
}


@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize(
    "kind, case", PREDICT_ERRORS, ids=[f"{k}-{c}" for k, c in PREDICT_ERRORS]
)
def test_prediction_errors_name_the_problem_and_change_nothing(
    models, kind, case, method
):
    model, X_ok = models[kind]
    X, error, match = PREDICT_ERRORS[kind, case]
    proba = model.predict_proba(X_ok)
    before = snapshot(model)
    with pytest.raises(error, match=match):
        getattr(model, method)(X)
    assert_same_state(before, vars(model))
    np.testing.assert_array_equal(model.predict_proba(X_ok), proba)


METHODS_NEEDING_A_FIT = [
    (TextRNNClassifier, "predict"),
    (TextRNNClassifier, "predict_proba"),
    (TextRNNClassifier, "predict_log_proba"),
    (TextRNNClassifier, "decision_function"),
    (TextRNNClassifier, "predict_proba_per_step"),
    (TextRNNClassifier, "transform"),
    (TextRNNClassifier, "score"),
    (TextRNNRegressor, "predict"),
    (TextRNNRegressor, "predict_per_step"),
    (TextRNNRegressor, "transform"),
    (TextRNNRegressor, "score"),
]


@pytest.mark.parametrize(
    "estimator, method",
    METHODS_NEEDING_A_FIT,
    ids=[f"{e.__name__}.{m}" for e, m in METHODS_NEEDING_A_FIT],
)
@pytest.mark.parametrize("X", [["good", "bad"], np.zeros((2, 3))], ids=["text", "num"])
def test_predict_before_fit_raises_not_fitted(estimator, method, X):
    args = (X, targets_for(estimator, [1, 0])) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(estimator(), method)(*args)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("how", ["refit", "warm_start", "partial_fit"])
def test_divergence_leaves_a_fitted_model_unchanged(
    fitted_text, seed_train, seed_test, how
):
    clf = copy.deepcopy(fitted_text).set_params(
        **DIVERGING, warm_start=how == "warm_start"
    )
    proba = clf.predict_proba(seed_test[0])
    before = snapshot(clf)
    method = clf.partial_fit if how == "partial_fit" else clf.fit
    with pytest.raises(ValueError, match="learning_rate_init") as info:
        method(*seed_train)
    assert "clip" in str(info.value)
    assert "left as it was before this call" in str(info.value)
    assert_same_state(before, vars(clf))
    np.testing.assert_array_equal(clf.predict_proba(seed_test[0]), proba)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_divergence_leaves_an_unfitted_model_unfitted(seed_train, method):
    clf = small_rnn(**DIVERGING)
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match="learning_rate_init"):
        getattr(clf, method)(*seed_train, **kwargs)
    with pytest.raises(NotFittedError):
        clf.predict(["good"])
    assert vars(clf).keys() == vars(small_rnn(**DIVERGING)).keys()


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit", "later_partial"])
def test_interrupt_in_the_first_epoch_propagates_and_changes_nothing(
    fitted_text, seed_train, monkeypatch, how
):
    if how == "later_partial":
        # partial_fit is one epoch: any interrupt loses it, so nothing changes.
        clf = small_rnn().partial_fit(*seed_train, classes=[0, 1])
        clf.partial_fit(*seed_train)
    else:
        clf = copy.deepcopy(fitted_text).set_params(warm_start=how == "warm_start")
    before = snapshot(clf)
    interrupt_on_call(monkeypatch, 1)
    method = clf.fit if how in ("fit", "warm_start") else clf.partial_fit
    with pytest.raises(KeyboardInterrupt):
        method(*seed_train)
    assert_same_state(before, vars(clf))


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_interrupt_before_any_epoch_leaves_an_unfitted_model_unfitted(
    seed_train, monkeypatch, method
):
    clf = small_rnn()
    interrupt_on_call(monkeypatch, 1)
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    with pytest.raises(KeyboardInterrupt):
        getattr(clf, method)(*seed_train, **kwargs)
    with pytest.raises(NotFittedError):
        clf.predict(["good"])
    assert vars(clf).keys() == vars(small_rnn()).keys()


def test_batch_size_larger_than_n_samples_warns_and_fits(seed_train, seed_test):
    n_samples = len(seed_train[0])
    with pytest.warns(UserWarning, match="batch_size=1000"):
        big = small_rnn(batch_size=1000, max_iter=20).fit(*seed_train)
    whole = small_rnn(batch_size=n_samples, max_iter=20).fit(*seed_train)
    np.testing.assert_array_equal(
        big.predict_proba(seed_test[0]), whole.predict_proba(seed_test[0])
    )


# ================================================================ prediction
@pytest.mark.parametrize("kind", ["text", "numeric", "numeric_3d"])
def test_prediction_does_not_write_to_the_estimator(models, kind):
    """Predicting caches nothing: the state, and the pickle, are the same after."""
    model, X = models[kind]
    before, blob = snapshot(model), pickle.dumps(model)
    model.predict(X)
    model.predict_proba(X)
    model.predict_log_proba(X)
    model.decision_function(X)
    model.transform(X)
    model.predict_proba_per_step(X)
    model.score(X, model.predict(X))
    assert_same_state(before, vars(model))
    assert pickle.dumps(model) == blob


@pytest.mark.parametrize("kind", ["text", "numeric_3d"])
def test_prediction_in_chunks_equals_prediction_at_once(models, kind, monkeypatch):
    """Prediction tokenizes and runs a chunk of samples at a time (bounded memory
    for any number of samples); the chunks change no result."""
    model, X = models[kind]
    X = [*X, "", "unseen words"] if kind == "text" else X
    at_once = {
        "proba": model.predict_proba(X),
        "H": model.transform(X),
        "steps": model.predict_proba_per_step(X),
    }
    monkeypatch.setattr(base_module, "PREDICT_CHUNK", 3)
    # Equal to rounding: BLAS may sum a product of another shape in another order.
    tolerance = {"rtol": 1e-12, "atol": 1e-15}
    np.testing.assert_allclose(model.predict_proba(X), at_once["proba"], **tolerance)
    np.testing.assert_allclose(model.transform(X), at_once["H"], **tolerance)
    steps = model.predict_proba_per_step(X)
    assert len(steps) == len(at_once["steps"])
    for got, expected in zip(steps, at_once["steps"], strict=True):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, **tolerance)


def test_transform_is_what_the_output_layer_reads(pooled_model, seed_train):
    from sklearn_rnn._rnn import softmax

    X = [*seed_train[0][:10], ""]
    H = pooled_model.transform(X)
    assert H.shape == (len(X), pooled_model.hidden_size)
    assert np.all(np.abs(H) <= 1)
    np.testing.assert_array_equal(H[-1], 0.0)  # empty: h_0 = 0
    logits = H @ pooled_model.output_weights_ + pooled_model.output_bias_
    np.testing.assert_allclose(
        softmax(logits), pooled_model.predict_proba(X), rtol=1e-12, atol=1e-14
    )


def test_transform_of_last_pooling_is_the_final_hidden_state(text_model):
    doc = "not at all bad"
    ids, _ = text_model.tokenizer_.transform_ragged([doc])
    h = np.zeros(text_model.hidden_size)
    for i in ids:
        h = np.tanh(
            text_model.input_weights_[i]
            + h @ text_model.recurrent_weights_
            + text_model.hidden_bias_
        )
    np.testing.assert_allclose(text_model.transform([doc])[0], h, rtol=1e-12)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_rnn_features_feed_another_estimator(estimator, seed_train):
    X, y = seed_train
    pipe = make_pipeline(
        estimator(hidden_size=16, random_state=0), LogisticRegression()
    )
    pipe.fit(X, y)  # the regressor learns the labels as numbers
    assert pipe.score(X, y) >= 0.9
    assert pipe[0].transform(X).shape == (len(X), 16)


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_set_output_names_the_hidden_units(text_model, seed_train, container):
    lib = pytest.importorskip(container)
    names = [f"textrnnclassifier{i}" for i in range(text_model.hidden_size)]
    assert text_model.get_feature_names_out().tolist() == names
    model = copy.deepcopy(text_model).set_output(transform=container)
    frame = model.transform(seed_train[0])
    assert isinstance(frame, lib.DataFrame)
    assert list(frame.columns) == names
    np.testing.assert_array_equal(
        np.asarray(frame), text_model.transform(seed_train[0])
    )
    with pytest.raises(NotFittedError):
        TextRNNRegressor().get_feature_names_out()
    assert len(text_model.get_feature_names_out(["review"])) == len(names)
    with pytest.raises(ValueError, match="one column of documents"):
        text_model.get_feature_names_out(["a", "b"])


@ignore_convergence
def test_transform_output_config_gives_named_columns_in_a_column_transformer(
    seed_train,
):
    from sklearn import config_context
    from sklearn.compose import ColumnTransformer

    X, y = seed_train
    table = pd.DataFrame({"text": X, "length": [len(doc) for doc in X]})
    features = ColumnTransformer(
        [("rnn", small_rnn(max_iter=3), "text"), ("num", "passthrough", ["length"])]
    )
    with config_context(transform_output="pandas"):
        out = features.fit_transform(table, y)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"rnn__textrnnclassifier{i}" for i in range(8)] + [
        "num__length"
    ]


@ignore_convergence
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_one_column_of_documents_is_read_as_the_documents(estimator, seed_train):
    X, y = seed_train
    series = fit_quietly(small_rnn(estimator, max_iter=3), X, y)
    for column in (
        pd.DataFrame({"text": X}),
        np.array(X, dtype=object).reshape(-1, 1),
        np.array(X).reshape(-1, 1),
    ):
        model = small_rnn(estimator, max_iter=3).fit(column, y)
        assert model.input_mode_ == "text"
        np.testing.assert_array_equal(model.predict(column), series.predict(X))
        np.testing.assert_array_equal(series.predict(column), series.predict(X))


@ignore_convergence
def test_pre_tokenised_documents_with_a_list_analyzer(seed_train):
    X, y = seed_train
    tokens = [doc.split() for doc in X]
    model = small_rnn(tokenizer=TextTokenizer(analyzer=list), max_iter=5)
    model.fit(tokens, y)
    reference = small_rnn(max_iter=5).fit(X, y)
    # The default analyzer splits these sentences into the same tokens.
    np.testing.assert_allclose(
        model.predict_proba(tokens), reference.predict_proba(X), rtol=1e-12
    )
    with pytest.raises(ValueError, match=r"analyzer=list"):
        small_rnn().fit(tokens, y)


def test_english_stop_words_keep_the_negations_the_model_needs(seed_train, seed_test):
    """scikit-learn's English list holds "not", "no" and "never": dropping them
    turned "not good" into "good" (test accuracy 0.6 on the tutorial)."""
    model = TextRNNClassifier(
        tokenizer=TextTokenizer(stop_words="english"), random_state=0
    ).fit(*seed_train)
    assert "not" in model.tokenizer_.vocabulary_
    assert model.score(*seed_test) == 1.0
    assert model.predict(["not good", "good"]).tolist() == [0, 1]


# ---------------------------------------------------------------- precomputed ids
def test_precomputed_ids_from_a_tokenizer_step_equal_the_built_in_tokenizer(
    seed_train, seed_test
):
    pipe = make_pipeline(
        TextTokenizer(max_len=100), small_rnn(tokenizer="precomputed", max_iter=30)
    ).fit(*seed_train)
    whole = small_rnn(max_len=100, max_iter=30).fit(*seed_train)
    np.testing.assert_allclose(
        pipe.predict_proba(seed_test[0]), whole.predict_proba(seed_test[0]), rtol=1e-12
    )
    # One document, or a batch narrower than the training set, predicts the same.
    np.testing.assert_allclose(
        pipe.predict_proba(seed_test[0][:1]), whole.predict_proba(seed_test[0][:1])
    )
    assert pipe[-1].input_mode_ == "text"
    assert pickle.loads(pickle.dumps(pipe)).score(*seed_test) == pipe.score(*seed_test)


def test_precomputed_ids_beyond_the_vocabulary_are_unknown():
    X = np.array([[2, 3, 0], [4, 0, 0], [3, 2, 4]])
    model = small_rnn(tokenizer="precomputed", max_iter=2).fit(X, [0, 1, 0])
    assert model.tokenizer_.vocabulary_size_ == 5
    np.testing.assert_array_equal(
        model.predict_proba([[99, 0, 0, 0]]), model.predict_proba([[1]])
    )
    # Padding anywhere is padding: an all-zero row is an empty document.
    np.testing.assert_array_equal(
        model.predict_proba([[0, 0]]), model.predict_proba([[0]])
    )


@pytest.mark.parametrize(
    "X, match",
    [
        (["good film"], "2-D array of token ids"),
        ([[2, 3, 4], [2]], "rows of different lengths. Pad each row with 0"),
        ([[1.5, 2.0]], r"X\[0, 0\] = 1.5 is not a token id"),
        ([[2.0, np.nan]], r"X\[0, 1\] = nan is not a token id"),
        ([[2, -1]], r"Token id -1 at row 0, column 1 is negative"),
        (np.array([[True, False]]), "integer token ids"),
    ],
)
def test_precomputed_refuses_what_is_not_token_ids(X, match):
    with pytest.raises(ValueError, match=match):
        small_rnn(tokenizer="precomputed").fit(X, [0] * len(X))
    model = small_rnn(tokenizer="precomputed", max_iter=2).fit([[2, 3], [3, 0]], [0, 1])
    with pytest.raises(ValueError, match=match):
        model.predict(X)
    with pytest.raises(ValueError, match="has no parameters to set"):
        small_rnn(tokenizer="precomputed").set_params(tokenizer__min_df=2)


def test_token_ids_read_as_numbers_warn_with_the_fix(seed_train):
    ids = TextTokenizer().fit_transform(seed_train[0])
    with pytest.warns(UserWarning, match="tokenizer='precomputed'"):
        fit_quietly(small_rnn(max_iter=2), ids, seed_train[1])
    # Integer sequences that are not padded ids (zeros inside) do not warn.
    counts = np.array([[3, 0, 2, 1], [0, 1, 1, 0]] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fit_quietly(small_rnn(max_iter=2), counts, [0, 1] * 5)


@ignore_convergence
def test_a_tokenizer_step_with_a_fixed_width_feeds_any_estimator(seed_train, seed_test):
    pipe = make_pipeline(TextTokenizer(max_len=6), LogisticRegression()).fit(
        *seed_train
    )
    assert pipe.predict(seed_test[0][:1]).shape == (1,)
    assert pipe.predict(
        ["a document much longer than any of the training ones"]
    ).shape == (1,)


# ================================================================ threads
@pytest.mark.parametrize("value", ["many", 0, 1.5])
def test_blas_threads_set_after_fit_is_validated_at_prediction(text_model, value):
    model = copy.deepcopy(text_model).set_params(blas_threads=value)
    for method in PREDICT_METHODS:
        with pytest.raises(ValueError, match="'blas_threads' parameter"):
            getattr(model, method)(["good"])


@pytest.mark.parametrize(
    "estimator, blas_threads, hidden_size, expected",
    [
        (TextRNNClassifier, "auto", 8, {1}),
        (TextRNNClassifier, "auto", 256, {2}),
        (TextRNNClassifier, None, 8, {2}),
        (TextRNNClassifier, 1, 256, {1}),
        (TextRNNRegressor, "auto", 8, {1}),
    ],
)
def test_blas_threads_limit_during_fit_and_predict(
    monkeypatch, numeric_2d, estimator, blas_threads, hidden_size, expected
):
    X, y = numeric_2d[0], targets_for(estimator, numeric_2d[1])
    model = small_rnn(
        estimator, max_iter=2, hidden_size=hidden_size, blas_threads=blas_threads
    )

    def threads_seen(call, *args):
        """The BLAS thread counts in effect whenever the recurrence ran."""
        seen, scan = set(), _rnn._scan

        def recording_scan(*scan_args, **kwargs):
            seen.update(blas_thread_counts())
            return scan(*scan_args, **kwargs)

        with monkeypatch.context() as patch:
            patch.setattr(_rnn, "_scan", recording_scan)
            call(*args)
        return seen

    # The test suite runs with one BLAS thread; allow two here.
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_thread_counts() == {2}
        assert threads_seen(model.fit, X, y) == expected
        assert threads_seen(model.predict, X) == expected
        assert threads_seen(model.transform, X) == expected
        # The setting is restored after each call.
        assert blas_thread_counts() == {2}


@pytest.mark.parametrize("kind", ["text", "numeric_3d"])
def test_concurrent_prediction_matches_serial(models, kind):
    model, X = models[kind]
    # Long inputs make the threads overlap inside prediction.
    X = list(X) * 50 + ["", "unseen words"] if kind == "text" else np.repeat(X, 50, 0)
    with threadpool_limits(limits=2, user_api="blas"):
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
        # The BLAS setting is as it was.
        assert blas_thread_counts() == {2}
    assert not errors
    for result in results:
        np.testing.assert_array_equal(result, expected)
    assert pickle.dumps(model) == before


class Pause:
    """Wraps ``module.name`` so that its call number ``k`` waits until released.

    Lets a test stop one thread inside a fit or a prediction at a chosen point,
    act from another thread, and then let the first one finish: the
    interleavings that matter, every run, with no timing left to chance.
    """

    def __init__(self, monkeypatch, module, name, k=1):
        self.reached, self.release = threading.Event(), threading.Event()
        real, calls = getattr(module, name), {"n": 0}

        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == k:
                self.reached.set()
                assert self.release.wait(30), "the test never released the pause"
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    def run(self, call, *args, **kwargs):
        """Start ``call`` in a thread; return once it reaches the pause."""
        box = {}

        def target():
            try:
                box["result"] = call(*args, **kwargs)
            except BaseException as exc:  # re-raised by join()
                box["error"] = exc

        thread = threading.Thread(target=target)
        thread.start()
        assert self.reached.wait(30), "the call never reached the pause"

        def join():
            self.release.set()
            thread.join(30)
            assert not thread.is_alive()
            if "error" in box:
                raise box["error"]
            return box.get("result")

        return join


def text_data_with_labels(seed_train, labels):
    X, _ = seed_train
    return X, [labels[i % len(labels)] for i in range(len(X))]


def test_predict_during_a_refit_uses_the_old_model_whole(monkeypatch, seed_train):
    X, y_old = text_data_with_labels(seed_train, ["neg", "pos"])
    _, y_new = text_data_with_labels(seed_train, ["a", "b", "c"])
    clf = fit_quietly(small_rnn(max_iter=5), X, y_old)
    expected, proba, pickled = clf.predict(X), clf.predict_proba(X), pickle.dumps(clf)
    # The refit stops inside its second epoch: its classes and vocabulary exist.
    pause = Pause(monkeypatch, _rnn, "loss_and_gradients", k=2)
    join = pause.run(fit_quietly, clf, X, y_new)
    np.testing.assert_array_equal(clf.predict(X), expected)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert pickle.dumps(clf) == pickled  # a pickle taken now is the old model
    join()
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_a_refit_during_predict_does_not_mix_into_its_result(monkeypatch, seed_train):
    X, y_old = text_data_with_labels(seed_train, ["neg", "pos"])
    _, y_new = text_data_with_labels(seed_train, ["a", "b", "c"])
    clf = fit_quietly(small_rnn(max_iter=5), X, y_old)
    expected = clf.predict(X)
    # predict stops after its weights have given logits, before reading classes_.
    pause = Pause(monkeypatch, _rnn, "predict_logits")
    join = pause.run(clf.predict, X)
    monkeypatch.undo()
    fit_quietly(clf, X, y_new)  # published while the prediction is under way
    np.testing.assert_array_equal(join(), expected)


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_a_continued_fit_racing_a_refit_ends_with_one_whole_model(
    monkeypatch, seed_train, how
):
    X, y = seed_train
    params = {"max_iter": 3, "warm_start": how == "warm_start"}
    clf = fit_quietly(small_rnn(**params), X, y)
    reference = copy.deepcopy(clf)
    method = "partial_fit" if how == "partial_fit" else "fit"
    getattr(reference, method)(X, y)
    pause = Pause(monkeypatch, _rnn, "loss_and_gradients")
    join = pause.run(getattr(clf, method), X, y)
    monkeypatch.undo()
    # Another thread fits the same object from scratch on other documents (another
    # vocabulary) while the first call is paused; the paused call ends last.
    clf.set_params(warm_start=False, max_iter=2)
    fit_quietly(clf, ["x y z w", "y z"] * 5, [0, 1] * 5)
    join()
    # The last call to finish published its own model, whole: the continued one.
    assert clf.tokenizer_.vocabulary_ == reference.tokenizer_.vocabulary_
    assert clf.input_weights_.shape[0] == clf.tokenizer_.vocabulary_size_
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))
    assert clf.n_iter_ == reference.n_iter_
    assert clf.get_params() == reference.get_params()


# ================================================================ hostile input
def assert_probabilities(proba, n):
    assert proba.shape == (n, 2)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@HYPOTHESIS
@given(docs=st.lists(DOCUMENT, min_size=1, max_size=6))
@pytest.mark.parametrize("model", ["text_model", "hashing_model"])
def test_any_documents_get_probabilities(model, docs, request):
    clf = request.getfixturevalue(model)
    before = pickle.dumps(clf)
    assert_probabilities(clf.predict_proba(docs), len(docs))
    assert clf.predict(docs).shape == (len(docs),)
    assert pickle.dumps(clf) == before


@HYPOTHESIS
@given(docs=st.lists(st.one_of(DOCUMENT, NOT_A_DOCUMENT), min_size=1, max_size=6))
def test_mixed_types_among_documents_are_named(text_model, docs):
    before = pickle.dumps(text_model)
    if all(isinstance(d, str) for d in docs):
        assert_probabilities(text_model.predict_proba(docs), len(docs))
    else:
        with pytest.raises((ValueError, TypeError)) as excinfo:
            text_model.predict_proba(docs)
        bad = next(i for i, d in enumerate(docs) if not isinstance(d, str))
        # A list with no str at all may be numbers: then the model says it wants
        # text.
        assert_clear_error(excinfo, f"position {bad}", "not str", "fitted on text")
    assert pickle.dumps(text_model) == before


def test_very_long_document(text_model):
    doc = " ".join(["not", "good", "😀"] * 34_000)  # 102,000 tokens
    assert_probabilities(text_model.predict_proba([doc, ""]), 2)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    docs=st.lists(DOCUMENT, min_size=2, max_size=8),
    labels=st.lists(st.sampled_from(["spam", "ham"]), min_size=8, max_size=8),
)
def test_fit_on_any_text(docs, labels):
    y = labels[: len(docs)]
    clf = TextRNNClassifier(hidden_size=4, max_iter=2, random_state=0)
    if len(set(y)) < 2:
        with pytest.raises(ValueError) as excinfo:
            clf.fit(docs, y)
        assert_clear_error(excinfo, "2 classes")
        return
    try:
        clf.fit(docs, y)
    except ValueError as exc:
        assert "No tokens found" in str(exc), str(exc)
        assert not hasattr(clf, "classes_")  # nothing half-fitted is left
        return
    assert_probabilities(clf.predict_proba(docs), len(docs))


ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    elements={"allow_nan": True, "allow_infinity": True},
)


def padded_at_most(X):
    """Whether X holds numbers, except for padding: whole steps of NaN that only
    such steps follow."""
    if X.dtype.kind == "i":
        return True
    nan = np.isnan(X)
    blank = nan.all(axis=-1)
    # A step is padding if it and every later step are blank.
    padding = np.logical_and.accumulate(blank[..., ::-1], axis=-1)[..., ::-1]
    return not np.isinf(X).any() and np.array_equal(nan.any(axis=-1), padding)


@HYPOTHESIS
@given(X=ARRAYS)
def test_numeric_model_on_any_array(numeric_3d_model, X):
    model = numeric_3d_model
    before = pickle.dumps(model)
    fits = X.ndim == 3 and X.shape[0] > 0 and X.shape[1:] == (5, 3)
    if fits and padded_at_most(X):
        assert_probabilities(model.predict_proba(X), len(X))
    else:
        with pytest.raises((ValueError, TypeError)) as excinfo:
            model.predict_proba(X)
        assert_clear_error(
            excinfo,
            "NaN",
            "infinity",
            "features",
            "time step",
            "0 sample",
            "empty",
            "2-D or 3-D",
            "dimension",
            "Expected 2D",
            "fitted on numeric",
        )
    assert pickle.dumps(model) == before


# Parameter values set between calls: valid ones, and the ones scikit-learn's
# partial_fit would not validate again (wrong sign, zero, a bool, unknown names).
PARAMETER_CHANGES = st.sampled_from(
    [
        ("learning_rate_init", 0.05),
        ("learning_rate_init", -0.01),
        ("learning_rate_init", 1e6),
        ("clip_norm", None),
        ("clip_norm", -1),
        ("max_len", 2),
        ("max_len", 0),
        ("batch_size", 3),
        ("batch_size", -5),
        ("pooling", "max"),
        ("pooling", "bogus"),
        ("dropout", 0.3),
        ("dropout", 1.0),
        ("hidden_size", 6),
        ("hidden_size", True),
        ("dtype", "float32"),
        ("solver", "sgd"),
        ("alpha", -1.0),
        ("max_iter", 2),
        ("max_iter", 0),
        ("warm_start", True),
        ("warm_start", False),
        ("tokenizer", TextTokenizer(min_df=2)),
        ("tokenizer", None),
    ]
)
CALLS = st.sampled_from(["fit", "partial_fit", "predict_proba"])


def assert_whole_model(model, X):
    """A fitted model whose attributes agree with each other, and that predicts."""
    assert model.n_iter_ == len(model.loss_curve_) == len(model.history_)
    assert 0 <= model.best_epoch_ <= model.n_iter_
    n_inputs = model.tokenizer_.vocabulary_size_ if model.input_mode_ == "text" else 1
    assert model.n_step_features_ == n_inputs
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)  # float32 too


@HYPOTHESIS
@given(steps=st.lists(st.tuples(PARAMETER_CHANGES, CALLS), min_size=1, max_size=5))
def test_any_parameters_set_between_calls(seed_train, steps):
    """Each call validates what set_params changed: it ends in a whole model, or
    raises a ValueError that names the parameter and leaves the model as it was."""
    X, y = seed_train[0][:12], seed_train[1][:12]
    model = small_rnn(max_iter=2)
    for (name, value), call in steps:
        model.set_params(**{name: value})
        before = snapshot(model)
        try:
            if call == "partial_fit":
                partial_fit(model, X, y)
            else:
                getattr(model, call)(*((X, y) if call == "fit" else (X,)))
        except ValueError as exc:  # InvalidParameterError and NotFittedError too
            assert_same_state(before, snapshot(model))
            assert_clear_error(
                pytest.ExceptionInfo.from_exception(exc),
                "The '[a-z_]+' parameter",  # this one, or one set before
                "not fitted",
                "diverged",
                "has changed since",
                "fitted model has",
            )
        else:
            assert_whole_model(model, X)


# Where an interrupt can land in a fit: inside an epoch, between epochs, in the
# checks after the last one, while the result is published and reported.
INTERRUPT_POINTS = st.sampled_from(
    [
        (_rnn, "loss_and_gradients"),
        (_rnn, "predict_logits"),
        (training_module, "evaluate"),
        (training_module._Progress, "report"),
        (training_module.Run, "finish"),
        (base_module.BaseTextRNN, "_fitted_state"),
        (base_module.BaseTextRNN, "_sequences"),
        (base_module, "warn"),
    ]
)


@HYPOTHESIS
@given(
    point=INTERRUPT_POINTS,
    k=st.integers(1, 6),
    call=st.sampled_from(["fit", "warm_start", "partial_fit"]),
    early_stopping=st.booleans(),
)
def test_an_interrupt_anywhere_loses_nothing_and_tears_nothing(
    fitted_text, seed_train, point, k, call, early_stopping
):
    """Wherever a KeyboardInterrupt lands, either it propagates and the estimator
    is as it was, or the call returns a whole model with a warning saying which
    epoch's weights it kept."""
    X, y = seed_train
    model = copy.deepcopy(fitted_text)
    model.set_params(
        max_iter=4,
        warm_start=call == "warm_start",
        early_stopping=early_stopping,
        validation_fraction=0.3,
        verbose=False,
    )
    before = snapshot(model)
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(record=True):
        calls = interrupt_once(mp, *point, k)
        warnings.simplefilter("always")
        try:
            (model.partial_fit if call == "partial_fit" else model.fit)(X, y)
        except KeyboardInterrupt:
            assert_same_state(before, snapshot(model))
            return
    assert_whole_model(model, X)
    if calls["n"] >= k:  # it was interrupted, and kept what it had
        assert model.n_iter_ > before["n_iter_"] or call == "fit"


@settings(max_examples=30, deadline=None, derandomize=True)
@given(k=st.integers(1, 4), where=st.sampled_from(["fit", "predict"]))
def test_threads_refitting_while_others_predict(seed_train, k, where):
    """Predictions made while another thread refits (or a refit published while
    one predicts) come wholly from the old model or wholly from the new one."""
    X, y_old = text_data_with_labels(seed_train, ["neg", "pos"])
    _, y_new = text_data_with_labels(seed_train, ["a", "b", "c"])
    clf = fit_quietly(small_rnn(max_iter=5), X, y_old)
    old = clf.predict(X)
    new = fit_quietly(small_rnn(max_iter=5), X, y_new).predict(X)
    with pytest.MonkeyPatch.context() as mp:
        if where == "fit":
            pause = Pause(mp, _rnn, "loss_and_gradients", k=k)
            join = pause.run(fit_quietly, clf, X, y_new)
            during = [clf.predict(X) for _ in range(k)]
            join()
        else:
            pause = Pause(mp, _rnn, "predict_logits")
            joins = [pause.run(clf.predict, X)]
            mp.undo()
            fit_quietly(clf, X, y_new)
            during = [join() for join in joins]
    for prediction in during:
        assert np.array_equal(prediction, old) or np.array_equal(prediction, new)
    np.testing.assert_array_equal(clf.predict(X), new)


# ================================================================ tooling
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


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_cross_val_score_on_text(estimator, seed_train):
    X, y = seed_train[0], targets_for(estimator, seed_train[1])
    scores = cross_val_score(small_rnn(estimator, max_iter=30), X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(np.isfinite(scores))
    assert np.all(scores <= 1)
    if estimator is TextRNNClassifier:
        assert np.all(scores >= 0)


GRID = {"hidden_size": [8, 16], "tokenizer__min_df": [1, 3]}


def grid_search(tokenizer=None, n_jobs=None):
    estimator = TextRNNClassifier(
        tokenizer or TextTokenizer(), max_iter=20, random_state=0
    )
    return GridSearchCV(estimator, GRID, cv=3, n_jobs=n_jobs, error_score="raise")


def randomized_search():
    return RandomizedSearchCV(
        TextRNNClassifier(max_iter=20, random_state=0),
        {"hidden_size": [4, 8, 16], "pooling": ["mean", "last", "max"]},
        n_iter=4,
        cv=3,
        random_state=0,
    )


def assert_same_search(a, b):
    assert list(a.cv_results_["params"]) == list(b.cv_results_["params"])
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key])
    assert a.best_params_ == b.best_params_
    for attr in ("input_weights_", "recurrent_weights_"):
        np.testing.assert_array_equal(
            getattr(a.best_estimator_, attr), getattr(b.best_estimator_, attr)
        )


@pytest.fixture(scope="module")
def sequential_search(seed_train):
    """The grid search run in this process, and the tokenizer it was given."""
    tokenizer = TextTokenizer()
    return tokenizer, grid_search(tokenizer).fit(*seed_train)


def test_grid_search_reaches_nested_tokenizer_params(sequential_search, seed_train):
    X_train = seed_train[0]
    tokenizer, search = sequential_search
    tried = {
        (p["hidden_size"], p["tokenizer__min_df"]) for p in search.cv_results_["params"]
    }
    assert tried == {(8, 1), (8, 3), (16, 1), (16, 3)}
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


def test_search_in_parallel_processes_equals_sequential(sequential_search, seed_train):
    parallel = grid_search(n_jobs=2).fit(*seed_train)
    assert_same_search(sequential_search[1], parallel)


def test_search_on_a_dask_cluster_equals_sequential(sequential_search, seed_train):
    distributed = pytest.importorskip("distributed")
    X, y = seed_train
    sequential = [sequential_search[1], randomized_search().fit(X, y)]
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as stream,
        joblib.parallel_backend("dask"),
    ):
        on_dask = [grid_search().fit(X, y), randomized_search().fit(X, y)]
    # The fits really ran as tasks on the cluster's two workers.
    workers = {task["worker"] for task in stream.data}
    assert stream.data and len(workers) == 2
    for seq, par in zip(sequential, on_dask, strict=True):
        assert_same_search(seq, par)


@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_fit_transform_reads_a_generator_once(seed_train, numeric_2d, kind):
    X, y = seed_train if kind == "text" else numeric_2d
    expected = fit_quietly(small_rnn(max_iter=3), X, y).transform(X)
    model = small_rnn(max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = model.fit_transform((x for x in X), y)
    np.testing.assert_array_equal(features, expected)


def test_a_frozen_tokenizer_keeps_the_vocabulary_it_was_fitted_with():
    """A TextTokenizer fitted beforehand on more text and wrapped in
    FrozenEstimator is not refitted: words absent from the training documents
    keep their ids, and their pretrained vectors reach the embedding."""
    from sklearn.frozen import FrozenEstimator

    corpus = ["an excellent film", "a dreadful film", "good", "bad"]
    vocabulary = TextTokenizer().fit(corpus)
    vectors = {"excellent": np.full(3, 0.5), "good": np.full(3, -0.25)}
    model = TextRNNClassifier(
        FrozenEstimator(vocabulary),
        embedding_init=vectors,
        freeze_embedding=True,
        hidden_size=4,
        max_iter=2,
        random_state=0,
    ).fit(["good", "bad", "good film", "bad film"], [1, 0, 1, 0])
    tokens = list(model.tokenizer_.tokens_)
    assert tokens == list(vocabulary.tokens_)
    np.testing.assert_array_equal(
        model.embedding_weights_[tokens.index("excellent")], vectors["excellent"]
    )
    assert model.predict(["an excellent film"]).shape == (1,)


def test_feature_names_say_the_summary_and_direction_of_each_column():
    X, y = ["good", "not good", "bad", "not bad"], [1, 0, 0, 1]
    plain = TextRNNClassifier(hidden_size=2, max_iter=1, pooling="max").fit(X, y)
    assert list(plain.get_feature_names_out()) == [
        "textrnnclassifier0",
        "textrnnclassifier1",
    ]
    model = TextRNNClassifier(
        hidden_size=2, max_iter=1, pooling="last+max", bidirectional=True
    ).fit(X, y)
    names = model.get_feature_names_out()
    assert len(names) == model.transform(X).shape[1] == 8
    assert list(names[:3]) == [
        "textrnnclassifier_forward_last0",
        "textrnnclassifier_forward_last1",
        "textrnnclassifier_forward_max0",
    ]
    assert names[-1] == "textrnnclassifier_backward_max1"
