"""Looking inside a fitted model: per-step probabilities and ``transform``."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_rnn import TextRNNClassifier
from sklearn_rnn._rnn import softmax
from sklearn_rnn.datasets import load_sentiment

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

POOLINGS = ["last", "mean", "max"]


@pytest.fixture(scope="module")
def sentiment():
    return load_sentiment(return_X_y=True)


@pytest.fixture(scope="module", params=POOLINGS)
def text_model(request, sentiment):
    clf = TextRNNClassifier(
        hidden_size=12, max_iter=40, pooling=request.param, random_state=0
    )
    return clf.fit(*sentiment)


@pytest.fixture(scope="module")
def numeric():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 2))
    return X, (X[:, 2, 0] > 0).astype(int)


@pytest.mark.parametrize(
    "doc", ["this is not at all bad", "good", "i am not very happy today"]
)
def test_each_step_equals_the_prediction_for_the_prefix(text_model, doc):
    steps = text_model.predict_proba_per_step([doc])[0]
    words = doc.split()
    assert steps.shape == (len(words), 2)
    prefixes = [" ".join(words[: t + 1]) for t in range(len(words))]
    np.testing.assert_allclose(
        steps, text_model.predict_proba(prefixes), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(steps.sum(axis=1), 1.0, rtol=1e-12)


def test_last_step_is_the_prediction(text_model, sentiment):
    X = [*sentiment[0][:20], "", "zzz unseen qqq"]
    steps = text_model.predict_proba_per_step(X)
    proba = text_model.predict_proba(X)
    assert len(steps) == len(X)
    assert steps[len(X) - 2].shape == (0, 2)  # an empty document has no steps
    for i, s in enumerate(steps):
        if len(s):
            np.testing.assert_allclose(s[-1], proba[i], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_numeric_steps_and_max_len(pooling, numeric):
    X, y = numeric
    clf = TextRNNClassifier(
        hidden_size=8, max_iter=20, max_len=4, pooling=pooling, random_state=0
    ).fit(X, y)
    steps = clf.predict_proba_per_step(X[:5])
    assert [s.shape for s in steps] == [(4, 2)] * 5  # max_len steps are read
    for s, p in zip(steps, clf.predict_proba(X[:5]), strict=True):
        np.testing.assert_allclose(s[-1], p, rtol=1e-12)


def test_transform_is_what_the_output_layer_reads(text_model, sentiment):
    X = [*sentiment[0][:10], ""]
    H = text_model.transform(X)
    assert H.shape == (len(X), 12)
    assert np.all(np.abs(H) <= 1)
    np.testing.assert_array_equal(H[-1], 0.0)  # empty: h_0 = 0
    logits = H @ text_model.output_weights_ + text_model.output_bias_
    np.testing.assert_allclose(
        softmax(logits), text_model.predict_proba(X), rtol=1e-12, atol=1e-14
    )


def test_transform_of_last_pooling_is_the_final_hidden_state(sentiment):
    clf = TextRNNClassifier(hidden_size=6, max_iter=10, pooling="last", random_state=0)
    clf.fit(*sentiment)
    doc = "not at all bad"
    ids = clf.tokenizer_.transform([doc])[0]
    h = np.zeros(6)
    for i in ids:
        h = np.tanh(
            clf.input_weights_[i] + h @ clf.recurrent_weights_ + clf.hidden_bias_
        )
    np.testing.assert_allclose(clf.transform([doc])[0], h, rtol=1e-12)


def test_rnn_features_feed_another_estimator(sentiment):
    X, y = sentiment
    pipe = make_pipeline(
        TextRNNClassifier(hidden_size=16, random_state=0), LogisticRegression()
    ).fit(X, y)
    assert pipe.score(X, y) >= 0.9
    assert pipe[0].transform(X).shape == (len(X), 16)


def test_transform_dtype_follows_the_model(numeric):
    X, y = numeric
    clf = TextRNNClassifier(hidden_size=4, max_iter=3, dtype="float32").fit(X, y)
    assert clf.transform(X).dtype == np.float32
    assert clf.predict_proba_per_step(X[:2])[0].dtype == np.float32


def test_unfitted_and_wrong_input(numeric, text_model):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TextRNNClassifier().transform(["good"])
    with pytest.raises(NotFittedError):
        TextRNNClassifier().predict_proba_per_step(["good"])
    with pytest.raises(ValueError, match="fitted on text"):
        text_model.predict_proba_per_step(numeric[0])
