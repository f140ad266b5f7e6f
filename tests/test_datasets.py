"""Tests for the bundled tutorial sentiment data."""

from collections import Counter

import numpy as np
import pytest

from sklearn_rnn.datasets import load_sentiment

SIZES = {"train": 58, "test": 20, "all": 78}


@pytest.mark.parametrize("subset", SIZES)
def test_subset_sizes_and_targets(subset):
    bunch = load_sentiment(subset=subset)
    assert len(bunch.data) == SIZES[subset]
    assert all(isinstance(sentence, str) and sentence for sentence in bunch.data)
    assert isinstance(bunch.target, np.ndarray)
    assert bunch.target.shape == (SIZES[subset],)
    assert bunch.target.dtype.kind == "i"
    # Binary, with both classes in every split.
    assert set(bunch.target.tolist()) == {0, 1}
    assert list(bunch.target_names) == ["negative", "positive"]
    assert isinstance(bunch.DESCR, str) and bunch.DESCR


def test_default_subset_is_train():
    default = load_sentiment()
    train = load_sentiment(subset="train")
    assert default.data == train.data
    np.testing.assert_array_equal(default.target, train.target)


@pytest.mark.parametrize("subset", SIZES)
def test_return_X_y_matches_the_bunch(subset):
    bunch = load_sentiment(subset=subset)
    result = load_sentiment(subset=subset, return_X_y=True)
    assert isinstance(result, tuple) and len(result) == 2
    X, y = result
    assert bunch.data == X
    np.testing.assert_array_equal(y, bunch.target)


def test_train_and_test_are_disjoint_and_make_up_all():
    X_train, y_train = load_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_sentiment(subset="test", return_X_y=True)
    X_all, y_all = load_sentiment(subset="all", return_X_y=True)
    assert not set(X_train) & set(X_test)
    assert len(set(X_train)) == len(X_train)
    assert len(set(X_test)) == len(X_test)
    assert Counter(X_all) == Counter(X_train + X_test)
    # Each sentence keeps its label whichever subset it is loaded from.
    labels = dict(zip(X_all, y_all.tolist(), strict=True))
    assert all(labels[x] == t for x, t in zip(X_train, y_train.tolist(), strict=True))
    assert all(labels[x] == t for x, t in zip(X_test, y_test.tolist(), strict=True))


def test_labels_follow_the_sentiment():
    X, y = load_sentiment(subset="all", return_X_y=True)
    labels = dict(zip(X, y.tolist(), strict=True))
    # Spot checks of the tutorial's labels, including a negation.
    assert labels["good"] == labels["happy"] == 1
    assert labels["bad"] == labels["sad"] == 0
    assert labels["this is not happy"] == 0


@pytest.mark.parametrize("subset", ["Train", "validation", "", None])
def test_bad_subset_raises(subset):
    with pytest.raises(ValueError, match="subset must be"):
        load_sentiment(subset=subset)


def test_vocabulary_has_negation_and_one_letter_words():
    X, _ = load_sentiment(subset="all", return_X_y=True)
    words = {word for sentence in X for word in sentence.lower().split()}
    assert "not" in words
    assert "i" in words
