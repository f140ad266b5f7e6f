"""Tests for ``sklearn_rnn._warnings``: a warning from inside the package points at
the line of the caller, whatever the depth of the call that raised it.

``record[0].filename == __file__`` checks the attribution: the warning names this
test file, not a module of the package or of scikit-learn.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from conftest import interrupt_on_call, small_rnn, targets_for
from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, TextTokenizer
from sklearn_rnn._warnings import warn

DOCS = ["good film", "bad film", "not good", "not bad"]
LABELS = [1, 0, 0, 1]


def test_warn_from_outside_the_package_names_the_caller():
    with pytest.warns(UserWarning, match="plain") as record:
        warn("plain")
    assert record[0].filename == __file__
    with pytest.warns(ConvergenceWarning, match="typed"):
        warn("typed", ConvergenceWarning)


@pytest.mark.parametrize("method", ["fit", "fit_transform", "fit_transform_ragged"])
@pytest.mark.parametrize("n_buckets", [None, 10])
@pytest.mark.parametrize(
    "params, ignored",
    [
        ({"stop_words": "english"}, "stop_words"),
        ({"token_pattern": r"\w+"}, "token_pattern"),
        ({"stop_words": ["a"], "token_pattern": "."}, "stop_words, token_pattern"),
    ],
)
def test_tokenizer_warning_points_at_the_caller(method, n_buckets, params, ignored):
    tokenizer = TextTokenizer(analyzer="char", n_buckets=n_buckets, **params)
    match = rf"parameter\(s\) {ignored} will not be used since analyzer='char'"
    with pytest.warns(UserWarning, match=match) as record:
        getattr(tokenizer, method)(["abc"])
    # Past scikit-learn's _fit_context wrapper and the tokenizer's own calls.
    assert record[0].filename == __file__


def test_warning_inside_a_pipeline_points_at_the_caller():
    pipe = make_pipeline(TextTokenizer(analyzer="char", stop_words="english"))
    with pytest.warns(UserWarning, match="stop_words will not be used") as record:
        pipe.fit(["abc"])
    assert record[0].filename == __file__


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_batch_size_warning_points_at_the_caller(method):
    clf = small_rnn(batch_size=100, max_iter=2)
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        getattr(clf, method)(DOCS, LABELS, **kwargs)
    user = [w for w in record if w.category is UserWarning]
    assert len(user) == 1
    assert "batch_size=100 is larger than the number of samples (4)" in str(
        user[0].message
    )
    assert user[0].filename == __file__


@pytest.mark.parametrize(
    "estimator, X",
    [
        (TextRNNClassifier, DOCS),
        (TextRNNRegressor, np.arange(12.0).reshape(4, 3)),
    ],
)
def test_convergence_warning_points_at_the_caller(estimator, X):
    model = small_rnn(estimator, max_iter=2)
    match = f"{estimator.__name__} reached max_iter=2"
    with pytest.warns(ConvergenceWarning, match=match) as record:
        model.fit(X, targets_for(estimator, LABELS))
    assert record[0].filename == __file__


def test_interrupt_warning_points_at_the_caller(monkeypatch):
    interrupt_on_call(monkeypatch, 3)
    with pytest.warns(UserWarning, match="interrupted by the user after 2") as record:
        small_rnn(max_iter=10).fit(DOCS, LABELS)
    assert record[0].filename == __file__
