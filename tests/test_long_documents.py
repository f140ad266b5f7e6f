"""Long documents: batches of similar lengths that keep the class mix, and the
reading length max_len="auto"."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_rnn import TextRNNClassifier, TextRNNRegressor
from sklearn_rnn._base import AUTO_MAX_LEN
from sklearn_rnn._training import Settings, _epoch_batches, _strata

# Short fits are not meant to converge. (The mark is written here rather than
# imported from conftest: joblib's workers import this module, where the
# name conftest is the root one.)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def batches(lengths, strata, **changes):
    settings = Settings(
        loss="log_loss", pooling="mean", batch_size=20, length_bucketing=True
    )
    for name, value in changes.items():
        setattr(settings, name, value)
    return _epoch_batches(lengths, settings, np.random.RandomState(0), strata)


def test_length_buckets_keep_the_class_mix_where_length_goes_with_the_class():
    rng = np.random.default_rng(0)
    y = (np.arange(400) % 4 == 0).astype(int)  # a quarter of class 1
    # Class 1 documents are all longer than class 0 ones.
    lengths = np.where(y == 1, rng.integers(300, 900, 400), rng.integers(5, 200, 400))
    mixed = batches(lengths, y)
    plain = batches(lengths, None)
    for epoch in (mixed, plain):
        assert sorted(np.concatenate(epoch)) == list(range(400))
    # Sorting by length alone gives batches of one class.
    assert any(y[b].mean() in (0.0, 1.0) for b in plain)
    # By rank within the class: every batch holds about its pool's share of
    # class 1 (a quarter, give or take the draw of the pool).
    for b in mixed:
        if len(b) == 20:
            assert 2 <= y[b].sum() <= 8
    # And lengths are still grouped within each class.
    spread = np.mean([np.ptp(lengths[b][y[b] == 0]) for b in mixed])
    random_spread = np.mean(
        [
            np.ptp(lengths[b][y[b] == 0])
            for b in batches(lengths, y, shuffle=True, length_bucketing=False)
        ]
    )
    assert spread < random_spread / 3


def test_equal_lengths_batch_as_without_bucketing():
    lengths = np.full(100, 12)
    y = np.arange(100) % 2
    np.testing.assert_array_equal(
        np.concatenate(batches(lengths, y)),
        np.concatenate(batches(lengths, y, length_bucketing=False)),
    )


def test_regression_strata_are_target_quintiles():
    targets = np.linspace(0, 1, 100)[:, np.newaxis]
    strata = _strata(targets)
    assert sorted(set(strata)) == [0, 1, 2, 3, 4]
    assert np.all(np.diff(strata) >= 0)
    assert np.bincount(strata).tolist() == [20] * 5
    np.testing.assert_array_equal(_strata(np.array([2, 0, 1])), [2, 0, 1])


def long_documents():
    X = ["good " * 300, "bad " * 10, "good day", "bad " * 500 + "good"] * 3
    y = ["pos", "neg", "pos", "neg"] * 3
    return X, y


def test_auto_reading_length_cuts_text_with_a_warning_that_says_how_much():
    X, y = long_documents()
    clf = TextRNNClassifier(hidden_size=4, max_iter=2, random_state=0)
    with pytest.warns(UserWarning, match="max_len='auto' read 6 of 12") as record:
        clf.fit(X, y)
    message = str(record[0].message)
    assert f"its first {AUTO_MAX_LEN} tokens" in message
    # Documents of 300, 10, 2 and 501 tokens: 44 + 245 of 813 are left out.
    assert "leaving out 36% of all training tokens" in message
    assert "max_len=None" in message
    # Prediction reads as fit did: the rest of a long document changes nothing.
    assert clf._reading == (AUTO_MAX_LEN, "head")
    longer = ["good " * 300 + "bad " * 100]
    np.testing.assert_array_equal(
        clf.predict_proba(longer), clf.predict_proba(["good " * 300])
    )


@pytest.mark.parametrize("max_len", [None, 1000, 50])
def test_a_chosen_reading_length_is_silent(max_len):
    X, y = long_documents()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TextRNNClassifier(
            hidden_size=4, max_iter=2, random_state=0, max_len=max_len
        ).fit(X, y)
    assert clf._reading == (max_len, "head")


def test_short_documents_and_numeric_sequences_are_read_whole():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TextRNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(
            ["good day", "bad day"] * 3, [1, 0] * 3
        )
        X = np.random.default_rng(0).normal(size=(8, 600))
        reg = TextRNNRegressor(hidden_size=4, max_iter=2, random_state=0).fit(
            X, X.sum(axis=1)
        )
    assert clf._reading == (AUTO_MAX_LEN, "head")
    assert reg._reading == (None, "head")


@pytest.mark.parametrize(
    ("truncation", "kept"),
    [
        ("head", "its first 256 tokens"),
        ("tail", "its last 256 tokens"),
        ("head+tail", "its first 128 and last 128 tokens"),
    ],
)
def test_the_warning_says_which_tokens_are_kept(truncation, kept):
    X, y = long_documents()
    clf = TextRNNClassifier(hidden_size=4, max_iter=1, truncation=truncation)
    with pytest.warns(UserWarning, match=kept):
        clf.fit(X, y)


def test_a_continued_fit_that_cuts_documents_warns_too():
    X, y = long_documents()
    short = ["good day", "bad day"] * 3
    clf = TextRNNClassifier(hidden_size=4, max_iter=1, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(short, ["pos", "neg"] * 3)
        with pytest.warns(UserWarning, match="max_len='auto' read 6 of 12"):
            clf.fit(X, y)
        with pytest.warns(UserWarning, match="max_len='auto' read 6 of 12"):
            clf.partial_fit(X, y)
