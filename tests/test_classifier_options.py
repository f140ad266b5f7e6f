"""The model options as estimator parameters: pooling, embedding_size,
recurrent_init, input_dropout, dropout, and the tokenizer's truncation."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklearn_rnn import TextRNNClassifier
from sklearn_rnn.datasets import load_sentiment

# Short fits keep the file fast; they are not meant to converge.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

OPTIONS = {
    "pooling": ["last", "mean", "max"],
    "embedding_size": [None, 4],
    "recurrent_init": ["uniform", "orthogonal"],
    "input_dropout": [0.0, 0.2],
    "dropout": [0.0, 0.3],
}


@pytest.fixture(scope="module")
def sentiment():
    X, y = load_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_sentiment(subset="test", return_X_y=True)
    return X, y, X_test, y_test


def small(**kw):
    return TextRNNClassifier(
        **{"hidden_size": 8, "max_iter": 15, "random_state": 0, **kw}
    )


@pytest.mark.parametrize("name", OPTIONS)
def test_option_is_a_searchable_parameter(name, sentiment):
    X, y, _, _ = sentiment
    values = OPTIONS[name]
    clf = small()
    assert name in clf.get_params()
    assert clf.set_params(**{name: values[-1]}).get_params()[name] == values[-1]
    assert clone(clf).get_params()[name] == values[-1]
    search = GridSearchCV(small(), {name: values}, cv=2).fit(X, y)
    assert [p[name] for p in search.cv_results_["params"]] == values


@pytest.mark.parametrize(
    "params, match",
    [
        ({"pooling": "attention"}, "pooling"),
        ({"embedding_size": 0}, "embedding_size"),
        ({"recurrent_init": "identity"}, "recurrent_init"),
        ({"input_dropout": 1.0}, "input_dropout"),
        ({"dropout": -0.1}, "dropout"),
    ],
)
def test_invalid_option_values_are_rejected(params, match, sentiment):
    X, y, _, _ = sentiment
    with pytest.raises(ValueError, match=match):
        small(**params).fit(X, y)


@pytest.mark.parametrize("name", OPTIONS)
def test_each_option_changes_the_model(name, sentiment):
    X, y, X_test, _ = sentiment
    base = small().fit(X, y).predict_proba(X_test)
    other = small(**{name: OPTIONS[name][-1]}).fit(X, y).predict_proba(X_test)
    assert not np.allclose(base, other)


def test_embedding_shapes_and_attributes(sentiment):
    X, y, X_test, _ = sentiment
    clf = small(embedding_size=4).fit(X, y)
    n_ids = clf.tokenizer_.vocabulary_size_
    assert clf.embedding_weights_.shape == (n_ids, 4)
    assert clf.input_weights_.shape == (4, 8)
    # Unknown and padding ids stay neutral at init (zero rows of the embedding).
    unseen = clf.predict_proba(["zzzz qqqq"])
    assert np.all(np.isfinite(unseen))
    # A refit without an embedding drops the old one.
    clf.set_params(embedding_size=None).fit(X, y)
    assert not hasattr(clf, "embedding_weights_")
    assert clf.input_weights_.shape == (n_ids, 8)
    assert clf.predict_proba(X_test).shape == (len(X_test), 2)


def test_embedding_size_is_ignored_for_numeric_input():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5, 2))
    y = (X[:, -1, 0] > 0).astype(int)
    with_embedding = small(embedding_size=3).fit(X, y)
    without = small().fit(X, y)
    assert not hasattr(with_embedding, "embedding_weights_")
    np.testing.assert_array_equal(
        with_embedding.predict_proba(X), without.predict_proba(X)
    )


def test_warm_start_refuses_a_changed_embedding_size(sentiment):
    X, y, X_test, _ = sentiment
    clf = small(embedding_size=4, warm_start=True).fit(X, y)
    before = clf.predict_proba(X_test)
    clf.set_params(embedding_size=5)
    with pytest.raises(ValueError, match="embedding_size"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X_test), before)


def test_pooling_set_after_fit_waits_for_the_next_fit(sentiment):
    """As for any scikit-learn estimator, a parameter changed after fit does not
    change the fitted model's predictions until it is refitted."""
    X, y, X_test, _ = sentiment
    clf = small().fit(X, y)
    before = clf.predict_proba(X_test)
    clf.set_params(pooling="max")
    np.testing.assert_array_equal(clf.predict_proba(X_test), before)
    clf.fit(X, y)
    assert not np.allclose(clf.predict_proba(X_test), before)


def test_dropout_is_reproducible_and_off_at_prediction(sentiment):
    X, y, X_test, _ = sentiment
    a = small(dropout=0.3, input_dropout=0.2).fit(X, y)
    b = small(dropout=0.3, input_dropout=0.2).fit(X, y)
    np.testing.assert_array_equal(a.input_weights_, b.input_weights_)
    p1, p2 = a.predict_proba(X_test), a.predict_proba(X_test)
    np.testing.assert_array_equal(p1, p2)
    # Prediction uses the full network: equal to a dropout-free model with the same
    # weights.
    plain = small().fit(X[:10], y[:10])
    for attr in ("input_weights_", "recurrent_weights_", "hidden_bias_"):
        setattr(plain, attr, getattr(a, attr))
    plain.output_weights_, plain.output_bias_ = a.output_weights_, a.output_bias_
    plain.tokenizer_ = a.tokenizer_
    np.testing.assert_array_equal(plain.predict_proba(X_test), p1)


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_pooled_models_learn_the_seed_task(pooling, sentiment):
    X, y, X_test, y_test = sentiment
    clf = TextRNNClassifier(pooling=pooling, random_state=0).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.9


@pytest.mark.parametrize(
    "truncation, same_as", [("head", "a b"), ("tail", "c d"), ("head+tail", "a d")]
)
def test_max_len_cuts_documents_in_fit_and_predict(truncation, same_as, sentiment):
    X, y, _, _ = sentiment
    clf = small(max_len=2, truncation=truncation).fit(X, y)
    long, short = clf.predict_proba(["a b c d"]), clf.predict_proba([same_as])
    np.testing.assert_array_equal(long, short)
    # A parameter changed after fit waits for the next fit.
    clf.set_params(max_len=None)
    np.testing.assert_array_equal(clf.predict_proba(["a b c d"]), long)


def test_max_len_cuts_numeric_sequences():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 2))
    y = (X[:, 0, 0] > 0).astype(int)
    clf = small(max_len=4).fit(X, y)
    cut = small().fit(X[:, :4], y)
    np.testing.assert_allclose(clf.predict_proba(X), cut.predict_proba(X[:, :4]))
    # The model still expects (and checks) the fitted number of time steps.
    with pytest.raises(ValueError, match="6"):
        clf.predict_proba(X[:, :4])


def test_early_stopping_auto_depends_on_the_number_of_samples():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3, 1))
    y = (X[:, -1, 0] > 0).astype(int)
    few = small(early_stopping="auto", max_iter=2).fit(X[:999], y[:999])
    assert few.validation_scores_ is None
    many = small(early_stopping="auto", max_iter=2).fit(X, y)
    assert len(many.validation_scores_) == 2
    # Zero-weight samples do not count.
    weights = np.ones(1000)
    weights[0] = 0.0
    weighted = small(early_stopping="auto", max_iter=2).fit(X, y, sample_weight=weights)
    assert weighted.validation_scores_ is None


def test_auto_pooling_is_mean_for_text_and_max_for_numeric(sentiment):
    X, y, X_test, _ = sentiment
    auto = small().fit(X, y).predict_proba(X_test)
    mean = small(pooling="mean").fit(X, y).predict_proba(X_test)
    np.testing.assert_array_equal(auto, mean)
    rng = np.random.default_rng(0)
    Xn = rng.normal(size=(30, 5, 2))
    yn = (Xn[:, -1, 0] > 0).astype(int)
    auto = small().fit(Xn, yn).predict_proba(Xn)
    np.testing.assert_array_equal(
        auto, small(pooling="max").fit(Xn, yn).predict_proba(Xn)
    )
    assert not np.allclose(auto, small(pooling="mean").fit(Xn, yn).predict_proba(Xn))


def test_defaults_reproduce_the_tutorial_result(sentiment):
    """The issue's bar: test accuracy 1.000 for at least 9 of random_state 0..9."""
    X, y, X_test, y_test = sentiment
    scores = [
        TextRNNClassifier(random_state=seed).fit(X, y).score(X_test, y_test)
        for seed in range(10)
    ]
    assert sum(score == 1.0 for score in scores) >= 9, scores
