"""Property-based tests: whatever arrives, a fitted model answers with a prediction
or a ValueError/TypeError that names the problem, and is never changed by a call.

Text is drawn from all of Unicode, lone surrogates included; documents are mixed
with None, NaN, numbers and bytes; numeric input gets every shape and NaN/inf.
"""

import pickle
import re

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from sklearn_rnn import TextRNNClassifier, TextTokenizer  # noqa: E402
from sklearn_rnn.datasets import load_sentiment  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same cases on every run, so CI never flakes
)

# Any code point. Hypothesis leaves out lone surrogates (category Cs) unless asked,
# so they are drawn explicitly, with NUL, right-to-left marks and a combining mark.
ANY_CHAR = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.characters(categories=["Cs"]),
    st.sampled_from(["\x00", "\u200f", "\u202e", "\u0301", "\ufeff"]),
)
WORDS = st.sampled_from(["good", "bad", "not", "very", "happy", "😀", "e\u0301"])
DOCUMENT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.lists(WORDS, max_size=12).map(" ".join),
    st.text(" \t\n\r\x0b\x0c\u00a0\u2028", max_size=5),  # whitespace only
)
NOT_A_DOCUMENT = st.one_of(
    st.none(),
    st.floats(allow_nan=True),
    st.integers(),
    st.binary(max_size=10),
    st.booleans(),
)


@pytest.fixture(scope="module")
def text_model():
    X, y = load_sentiment(return_X_y=True)
    return TextRNNClassifier(hidden_size=8, max_iter=20, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def hashing_model():
    X, y = load_sentiment(return_X_y=True)
    clf = TextRNNClassifier(
        TextTokenizer(n_buckets=64), hidden_size=8, max_iter=20, random_state=0
    )
    return clf.fit(X, y)


@pytest.fixture(scope="module")
def numeric_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4, 2))
    y = (X[:, -1, 0] > 0).astype(int)
    return TextRNNClassifier(hidden_size=8, max_iter=20, random_state=0).fit(X, y)


def assert_probabilities(proba, n):
    assert proba.shape == (n, 2)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def assert_clear_error(excinfo, *words):
    """A ValueError or TypeError whose message names the problem."""
    assert isinstance(excinfo.value, (ValueError, TypeError)), repr(excinfo.value)
    message = str(excinfo.value)
    assert any(re.search(w, message, re.IGNORECASE) for w in words), message


# ------------------------------------------------------------ text models
@SETTINGS
@given(docs=st.lists(DOCUMENT, min_size=1, max_size=6))
@pytest.mark.parametrize("model", ["text_model", "hashing_model"])
def test_any_documents_get_probabilities(model, docs, request):
    clf = request.getfixturevalue(model)
    before = pickle.dumps(clf)
    assert_probabilities(clf.predict_proba(docs), len(docs))
    assert clf.predict(docs).shape == (len(docs),)
    assert pickle.dumps(clf) == before


@SETTINGS
@given(
    docs=st.lists(st.one_of(DOCUMENT, NOT_A_DOCUMENT), min_size=1, max_size=6),
)
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


@pytest.mark.parametrize(
    "X, words",
    [
        ([], ["0 documents", "empty"]),
        ("not good", ["string object", "list"]),
        (b"not good", ["bytes"]),
        (np.zeros((3, 4)), ["fitted on text"]),
        ({"a": "good"}, ["dict"]),
        (None, ["None"]),
    ],
)
def test_wrong_kinds_of_input_to_a_text_model(text_model, X, words):
    before = pickle.dumps(text_model)
    with pytest.raises((ValueError, TypeError)) as excinfo:
        text_model.predict_proba(X)
    assert_clear_error(excinfo, *words)
    assert pickle.dumps(text_model) == before


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


@SETTINGS
@given(
    labels=st.lists(
        st.one_of(st.sampled_from(["a", "b"]), st.integers(0, 2), st.floats(0, 1)),
        min_size=4,
        max_size=4,
    )
)
def test_label_types(labels):
    docs = ["good", "bad", "not good", "not bad"]
    clf = TextRNNClassifier(hidden_size=4, max_iter=2, random_state=0)
    kinds = {isinstance(label, str) for label in labels}
    if len(kinds) > 1:
        with pytest.raises(ValueError) as excinfo:
            clf.fit(docs, labels)
        assert_clear_error(excinfo, "mixes label types")
    elif len(set(labels)) < 2:
        with pytest.raises(ValueError) as excinfo:
            clf.fit(docs, labels)
        assert_clear_error(excinfo, "2 classes", "continuous", "Unknown label")
    else:
        try:
            clf.fit(docs, labels)
        except ValueError as exc:  # float labels that are not class-like
            assert re.search("continuous|Unknown label", str(exc)), str(exc)
        else:
            assert set(clf.predict(docs)) <= set(labels)


# ----------------------------------------------------------- numeric models
ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
    elements={"allow_nan": True, "allow_infinity": True},
)


@SETTINGS
@given(X=ARRAYS)
def test_numeric_model_on_any_array(numeric_model, X):
    before = pickle.dumps(numeric_model)
    fits = X.ndim == 3 and X.shape[0] > 0 and X.shape[1:] == (4, 2)
    finite = X.dtype.kind == "i" or np.all(np.isfinite(X))
    if fits and finite:
        assert_probabilities(numeric_model.predict_proba(X), len(X))
    else:
        with pytest.raises((ValueError, TypeError)) as excinfo:
            numeric_model.predict_proba(X)
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
    assert pickle.dumps(numeric_model) == before


def test_text_to_a_numeric_model_and_back(numeric_model, text_model):
    with pytest.raises(ValueError) as excinfo:
        numeric_model.predict_proba(["good"])
    assert_clear_error(excinfo, "numeric sequences")
    with pytest.raises(ValueError) as excinfo:
        text_model.predict_proba(np.ones((2, 4, 2)))
    assert_clear_error(excinfo, "fitted on text")
