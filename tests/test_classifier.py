"""Tests for ``sklearn_rnn._classifier``: what only TextRNNClassifier does.

Labels of any type, class weights, the classes of partial_fit, the stratified
validation split, probabilities and decision scores, per-step probabilities, and
the result of the tutorial this project started from. Behaviour shared with the
regressor is in test_base.py.
"""

import copy
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.utils.class_weight import compute_class_weight

from conftest import (
    HYPOTHESIS,
    UNK,
    assert_clear_error,
    assert_same_state,
    fit_quietly,
    ignore_convergence,
    small_rnn,
    snapshot,
)
from sklearn_rnn import TextRNNClassifier, TextTokenizer

# Short fits keep the file fast; they are not meant to converge.
pytestmark = ignore_convergence


# ---------------------------------------------------------------- labels
@pytest.mark.parametrize(
    "label_values",
    [
        np.array([False, True]),
        np.array(["sad", "happy"]),  # sorted order is the reverse of target order
        np.array([7, -3]),
        np.array([0.0, 1.0]),
    ],
    ids=["bool", "str", "int", "float"],
)
def test_binary_label_types(seed_train, label_values):
    X_train, target = seed_train
    y = label_values[target]
    estimator = small_rnn(max_iter=300).fit(X_train, list(y))
    np.testing.assert_array_equal(estimator.classes_, np.sort(label_values))
    pred = estimator.predict(X_train)
    assert pred.dtype.kind == label_values.dtype.kind
    # Labels map back to the right classes: the seed data is learnt exactly.
    np.testing.assert_array_equal(pred, y)
    assert estimator.score(X_train, y) == 1.0


THREE_CLASS_DOCS = [
    "good", "very good", "happy", "so happy",
    "bad", "very bad", "sad", "so sad",
    "table", "a chair", "the door", "window",
]  # fmt: skip
THREE_CLASS_LABELS = ["pos"] * 4 + ["neg"] * 4 + ["neutral"] * 4


def test_three_string_classes():
    estimator = small_rnn(max_iter=300).fit(THREE_CLASS_DOCS, THREE_CLASS_LABELS)
    np.testing.assert_array_equal(estimator.classes_, ["neg", "neutral", "pos"])
    pred = estimator.predict(THREE_CLASS_DOCS)
    assert pred.dtype.kind == "U"
    np.testing.assert_array_equal(pred, THREE_CLASS_LABELS)
    proba = estimator.predict_proba(THREE_CLASS_DOCS)
    assert proba.shape == (12, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    scores = estimator.decision_function(THREE_CLASS_DOCS)
    assert scores.shape == (12, 3)
    np.testing.assert_array_equal(estimator.classes_[scores.argmax(axis=1)], pred)
    assert estimator.output_weights_.shape == (8, 3)
    assert estimator.output_bias_.shape == (3,)


@HYPOTHESIS
@given(
    labels=st.lists(
        st.one_of(st.sampled_from(["a", "b"]), st.integers(0, 2), st.floats(0, 1)),
        min_size=4,
        max_size=4,
    )
)
def test_any_labels_fit_or_are_refused_with_the_reason(labels):
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


@pytest.mark.parametrize(
    "y",
    [
        np.array([0, 1, 0, 1], dtype=object),
        np.array([7, -3, 7, -3], dtype=object),
        pd.Series([0, 1, 0, 1], dtype=object),
        [np.int64(0), 1, np.int32(0), 1],
        np.array([True, False, True, False], dtype=object),
    ],
    ids=["object-ints", "object-negative-ints", "object-Series", "mixed-ints", "bool"],
)
def test_object_arrays_of_numbers_are_numeric_labels(y):
    """An object array of ints used to fail with "Unknown label type: unknown" (as
    LogisticRegression does): its labels are numbers, and the classes too."""
    docs = ["good", "bad", "great", "awful"]
    clf = small_rnn(max_iter=2).fit(docs, y)
    expected = np.unique(np.asarray(list(y)))
    np.testing.assert_array_equal(clf.classes_, expected)
    assert clf.classes_.dtype.kind in "bi"
    assert set(clf.predict(docs).tolist()) <= set(expected.tolist())


@pytest.mark.parametrize(
    "y, position, shown",
    [
        ([1, 2, None, 1], 2, "None"),
        (np.array([None, 1, 2, 1], dtype=object), 0, "None"),
        (np.array(["a", "b", None, "a"], dtype=object), 2, "None"),
        (["a", None, "b", "a"], 1, "None"),
        (pd.Series(["a", "b", "a", None], dtype=object), 3, "None"),
        (pd.Series(["a", "b", pd.NA, "a"], dtype="string"), 2, "<NA>"),
        (pd.Series([1, pd.NA, 0, 1], dtype="Int64"), 1, "<NA>"),
        (np.array([0.0, 1.0, np.nan, 1.0]), 2, "nan"),
        ([0, 1, float("nan"), 1], 2, "nan"),
    ],
    ids=[
        "None-in-list",
        "None-first",
        "None-among-str",
        "None-in-str-list",
        "None-in-Series",
        "NA-in-string-Series",
        "NA-in-Int64-Series",
        "NaN-in-floats",
        "NaN-in-list",
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_missing_labels_are_named_with_the_fix(y, position, shown, method):
    """A missing label used to give "Unknown label type: unknown", or a TypeError
    from sorting None with the other labels, depending on where it was."""
    clf = small_rnn(max_iter=2)
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    match = (
        rf"y has a missing label \({re.escape(shown)}\) at position {position}; every "
        r"sample needs a class label\. Drop the samples without one, or fill them"
    )
    with pytest.raises(ValueError, match=match):
        getattr(clf, method)(["good", "bad", "great", "awful"], y, **kwargs)
    assert not hasattr(clf, "classes_")


def test_missing_class_in_partial_fit_classes_is_named():
    clf = small_rnn()
    with pytest.raises(ValueError, match="classes has a missing label"):
        clf.partial_fit(["good", "bad"], [0, 1], classes=[0, 1, None])


@HYPOTHESIS
@given(
    labels=st.lists(
        st.one_of(
            st.none(),
            st.just(float("nan")),
            st.integers(0, 2),
            st.sampled_from(["a", "b"]),
        ),
        min_size=4,
        max_size=4,
    ),
    as_object=st.booleans(),
)
def test_labels_with_missing_ones_fit_or_are_refused_with_the_reason(labels, as_object):
    """Any mix of missing labels, ints and strings, as a list or an object array:
    the first missing label is named, then mixed types, then a single class;
    anything else fits, ints as ints."""
    docs = ["good", "bad", "not good", "not bad"]
    y = np.array(labels, dtype=object) if as_object else labels
    clf = TextRNNClassifier(hidden_size=4, max_iter=2, random_state=0)
    missing = [i for i, v in enumerate(labels) if v is None or v != v]
    kinds = {isinstance(v, str) for v in labels}
    if missing:
        with pytest.raises(
            ValueError, match=rf"missing label .* position {missing[0]};"
        ):
            clf.fit(docs, y)
    elif len(kinds) > 1:
        with pytest.raises(ValueError, match="mixes label types"):
            clf.fit(docs, y)
    elif len(set(labels)) < 2:
        with pytest.raises(ValueError, match="only one class"):
            clf.fit(docs, y)
    else:
        clf.fit(docs, y)
        assert clf.classes_.tolist() == sorted(set(labels))
        assert clf.classes_.dtype.kind == ("U" if kinds == {True} else "i")


@HYPOTHESIS
@given(
    keys=st.lists(
        st.one_of(st.integers(-1, 4), st.sampled_from(["0", "a"]), st.floats(0, 3)),
        max_size=3,
    )
)
def test_any_class_weight_keys_for_int_labels(keys):
    """Keys that can be int labels (present or not) are taken, others refused."""
    class_weight = dict.fromkeys(keys, 2.0)
    foreign = [
        k for k in class_weight if isinstance(k, str) or not float(k).is_integer()
    ]
    clf = TextRNNClassifier(
        hidden_size=4, max_iter=2, random_state=0, class_weight=class_weight
    )
    if foreign:
        with pytest.raises(ValueError, match="cannot be labels of y"):
            clf.fit(["good", "bad", "fine"], [0, 1, 2])
    else:
        clf.fit(["good", "bad", "fine"], [0, 1, 2])


# ---------------------------------------------------------------- probabilities
def test_prediction_methods_agree(text_model, seed_test):
    documents = [*seed_test[0], "", "unseen words only"]
    proba = text_model.predict_proba(documents)
    assert proba.shape == (len(documents), 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(text_model.predict_log_proba(documents), np.log(proba))
    pred = text_model.predict(documents)
    np.testing.assert_array_equal(pred, text_model.classes_[proba.argmax(axis=1)])
    scores = text_model.decision_function(documents)
    assert scores.shape == (len(documents),)
    np.testing.assert_array_equal(scores > 0, pred == text_model.classes_[1])
    assert text_model.score(*seed_test) == np.mean(
        text_model.predict(seed_test[0]) == seed_test[1]
    )


@pytest.mark.parametrize(
    "doc", ["this is not at all bad", "good", "i am not very happy today"]
)
def test_each_step_equals_the_prediction_for_the_prefix(pooled_model, doc):
    steps = pooled_model.predict_proba_per_step([doc])[0]
    words = doc.split()
    assert steps.shape == (len(words), 2)
    prefixes = [" ".join(words[: t + 1]) for t in range(len(words))]
    np.testing.assert_allclose(
        steps, pooled_model.predict_proba(prefixes), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(steps.sum(axis=1), 1.0, rtol=1e-12)


def test_last_step_is_the_prediction(pooled_model, seed_train):
    X = [*seed_train[0][:20], "", "zzz unseen qqq"]
    steps = pooled_model.predict_proba_per_step(X)
    proba = pooled_model.predict_proba(X)
    assert len(steps) == len(X)
    assert steps[len(X) - 2].shape == (0, 2)  # an empty document has no steps
    for i, s in enumerate(steps):
        if len(s):
            np.testing.assert_allclose(s[-1], proba[i], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_numeric_steps_and_max_len(pooling, numeric_3d):
    X, y = numeric_3d
    clf = small_rnn(max_iter=20, max_len=4, pooling=pooling).fit(X, y)
    steps = clf.predict_proba_per_step(X[:5])
    assert [s.shape for s in steps] == [(4, 2)] * 5  # max_len steps are read
    for s, p in zip(steps, clf.predict_proba(X[:5]), strict=True):
        np.testing.assert_allclose(s[-1], p, rtol=1e-12)


# ---------------------------------------------------------------- class weights
def test_class_weight_is_a_searchable_parameter(seed_train):
    X, y = seed_train
    assert TextRNNClassifier().get_params()["class_weight"] is None
    clf = small_rnn().set_params(class_weight={0: 2.0})
    assert clone(clf).get_params()["class_weight"] == {0: 2.0}
    search = GridSearchCV(
        small_rnn(max_iter=10, tol=1.0, plateau_patience=1, n_iter_no_change=1000),
        {"class_weight": [None, "balanced"], "learning_rate": ["constant", "plateau"]},
        cv=2,
        error_score="raise",
    )
    search.fit(X, y)
    tried = {
        (p["class_weight"], p["learning_rate"]) for p in search.cv_results_["params"]
    }
    assert tried == {
        (None, "constant"),
        (None, "plateau"),
        ("balanced", "constant"),
        ("balanced", "plateau"),
    }
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.class_weight == search.best_params_["class_weight"]
    rates = {r["learning_rate"] for r in best.history_}
    # tol=1.0 and plateau_patience=1: the plateau schedule reduces at once.
    assert (len(rates) > 1) == (search.best_params_["learning_rate"] == "plateau")


def test_class_weight_shifts_predictions_toward_the_weighted_class(noisy_numeric):
    X, y = noisy_numeric
    X_new = np.random.RandomState(5).randn(200, 5)
    fractions = {}
    for weight in (0.1, 1.0, 10.0):
        clf = small_rnn(max_iter=40, pooling="auto", class_weight={1: weight})
        fractions[weight] = np.mean(clf.fit(X, y).predict(X_new) == 1)
    assert fractions[0.1] < fractions[1.0] < fractions[10.0]
    assert fractions[10.0] > 0.9 and fractions[0.1] < 0.1


@pytest.mark.parametrize("kind", ["numeric", "hashed-text"])
def test_balanced_equals_the_equivalent_sample_weight(seed_train, noisy_numeric, kind):
    if kind == "numeric":
        X, y = noisy_numeric
        keep = np.r_[np.flatnonzero(y == 1)[:10], np.flatnonzero(y == 0)]
        X, y = X[keep], y[keep]
        params = {}
    else:
        X, y = seed_train
        keep = np.r_[np.flatnonzero(y == 1)[:8], np.flatnonzero(y == 0)]
        X, y = [X[i] for i in keep], y[keep]
        params = {"tokenizer": TextTokenizer(n_buckets=128)}
    assert np.bincount(y).min() < 0.5 * np.bincount(y).max()  # imbalanced
    class_weights = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    balanced = small_rnn(class_weight="balanced", max_iter=20, **params).fit(X, y)
    by_sample = small_rnn(max_iter=20, **params).fit(
        X, y, sample_weight=class_weights[y]
    )
    plain = small_rnn(max_iter=20, **params).fit(X, y)
    np.testing.assert_allclose(
        balanced.predict_proba(X), by_sample.predict_proba(X), rtol=1e-12
    )
    np.testing.assert_allclose(balanced.loss_curve_, by_sample.loss_curve_, rtol=1e-12)
    assert not np.allclose(balanced.predict_proba(X), plain.predict_proba(X))


def test_balanced_counts_classes_with_sample_weight(noisy_numeric):
    X, y = noisy_numeric
    sample_weight = np.where(y == 1, 3.0, 1.0)
    counts = np.bincount(y, weights=sample_weight)
    class_weights = counts.sum() / (2 * counts)
    balanced = small_rnn(class_weight="balanced", max_iter=10).fit(
        X, y, sample_weight=sample_weight
    )
    by_sample = small_rnn(max_iter=10).fit(
        X, y, sample_weight=sample_weight * class_weights[y]
    )
    np.testing.assert_allclose(
        balanced.predict_proba(X), by_sample.predict_proba(X), rtol=1e-12
    )


@pytest.mark.parametrize(
    "class_weight, error, match",
    [
        (
            {"pos": 2.0, 1: 1.0},
            ValueError,
            r"class_weight has keys \[1\] that cannot be labels of y, whose labels "
            r"are of another type \(\['neg', 'pos'\]\); use the class labels "
            "themselves as keys",
        ),
        ({"neg": 0.0, "pos": 0.0}, ValueError, "zero weight"),
        ({"neg": -1.0}, ValueError, "finite non-negative numbers; got -1.0 for"),
        ({"neg": float("nan")}, ValueError, "finite non-negative numbers; got nan"),
        ({"neg": "heavy"}, ValueError, "finite non-negative numbers; got 'heavy'"),
        ("auto", ValueError, "class_weight"),
    ],
    ids=[
        "key-of-another-type",
        "all-zero",
        "negative",
        "nan",
        "not-a-number",
        "invalid",
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_invalid_class_weight_is_refused(class_weight, error, match, method):
    clf = small_rnn(class_weight=class_weight, max_iter=2)
    kwargs = {"classes": ["neg", "pos"]} if method == "partial_fit" else {}
    if method == "partial_fit" and "cannot be labels" in match:
        # All the classes are known: a key outside them is refused as such.
        match = r"keys \[1\] that are not among the classes \['neg', 'pos'\]"
    with pytest.raises(error, match=match):
        getattr(clf, method)(["good", "bad"], ["pos", "neg"], **kwargs)
    assert not hasattr(clf, "classes_")


@pytest.mark.parametrize(
    "key, labels",
    [(1, ["neg", "pos"]), ("1", [0, 1]), (2.5, [0, 1]), (2, [False, True])],
    ids=["int-for-str", "str-for-int", "fraction-for-int", "2-for-bool"],
)
def test_class_weight_key_that_cannot_be_a_label_is_refused(key, labels):
    clf = small_rnn(class_weight={key: 2.0}, max_iter=2)
    with pytest.raises(ValueError, match=r"keys \[.*\] that cannot be labels of y"):
        clf.fit(["good", "bad"], labels)


def test_class_weight_naming_a_class_absent_from_a_fold_is_ignored(noisy_numeric):
    """A dict naming every class of a data set: a cross-validation training fold
    without class 2 used to fail ("class_weight has keys [2] that are not classes
    of y"), where LogisticRegression accepts it. The absent class weighs nothing
    there; the others weigh what the dict says."""
    X, y = noisy_numeric
    y = y.copy()
    y[-6:] = 2  # class 2 only at the end: the first fold's training set lacks it
    class_weight = {0: 1.0, 1: 3.0, 2: 5.0}
    clf = small_rnn(class_weight=class_weight, max_iter=3)
    scores = cross_val_score(clf, X, y, cv=KFold(2), error_score="raise")
    assert np.isfinite(scores).all()
    assert np.isfinite(
        cross_val_score(
            LogisticRegression(class_weight=class_weight), X, y, cv=KFold(2)
        )
    ).all()
    # In a fit without class 2, the dict weighs as the dict without that key.
    half = len(y) // 2
    with_absent = small_rnn(class_weight=class_weight, max_iter=3).fit(
        X[:half], y[:half]
    )
    without = small_rnn(class_weight={0: 1.0, 1: 3.0}, max_iter=3).fit(
        X[:half], y[:half]
    )
    np.testing.assert_array_equal(with_absent.classes_, [0, 1])
    np.testing.assert_array_equal(
        with_absent.predict_proba(X), without.predict_proba(X)
    )


def test_class_weight_keys_outside_known_classes_are_refused(noisy_numeric):
    """Where all classes are known (partial_fit's classes, a fitted model that
    continues), a key outside them cannot be a class of any later data."""
    X, y = noisy_numeric
    match = r"class_weight has keys \[2\] that are not among the classes \[0, 1\]"
    clf = small_rnn(class_weight={1: 2.0, 2: 5.0})
    with pytest.raises(ValueError, match=match):
        clf.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(clf, "classes_")
    fitted = small_rnn(max_iter=2).fit(X, y)
    fitted.set_params(class_weight={1: 2.0, 2: 5.0})
    for how in ("partial_fit", "warm_start"):
        model = copy.deepcopy(fitted).set_params(warm_start=how == "warm_start")
        before = snapshot(model)
        with pytest.raises(ValueError, match=match):
            getattr(model, "fit" if how == "warm_start" else how)(X, y)
        assert_same_state(before, vars(model))


def test_class_and_sample_weights_too_large_together_are_refused(noisy_numeric):
    X, y = noisy_numeric
    clf = small_rnn(class_weight={1: 1e200}, max_iter=2)
    with pytest.raises(
        ValueError, match=r"sample_weight times class_weight sums to inf.*Scale"
    ):
        clf.fit(X, y, sample_weight=np.full(len(y), 1e200))
    assert not hasattr(clf, "classes_")


def test_a_class_with_only_zero_weights_is_not_a_class():
    X = ["good", "great", "bad", "awful", "meh", "so so"]
    y = ["pos", "pos", "neg", "neg", "mid", "mid"]
    # Two classes, one all zero: one class left, which cannot be fitted.
    clf = small_rnn(max_iter=2)
    with pytest.raises(ValueError, match="only one class: 'pos'"):
        clf.fit(X[:4], y[:4], sample_weight=[1, 1, 0, 0])
    assert not hasattr(clf, "classes_")
    # Three classes, one all zero: a binary model.
    fit_quietly(clf, X, y, sample_weight=[1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(clf.classes_, ["neg", "pos"])
    assert clf.output_weights_.shape[1] == 2
    assert "meh" not in clf.tokenizer_.vocabulary_


# ---------------------------------------------------------------- partial_fit
def test_partial_fit_requires_classes_on_the_first_call(seed_train):
    clf = small_rnn()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(*seed_train)
    assert not hasattr(clf, "classes_")
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.partial_fit(*seed_train, classes=[1])
    clf.partial_fit(*seed_train, classes=[0, 1, 2])  # a class not in this batch
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


@pytest.mark.parametrize(
    "classes, y, match",
    [
        ([0, 1, 2], [0, 1], "differs from the classes"),
        (None, [0, 2], "not among the classes"),
        ([0, 1], [0, 2], "not among the classes"),
    ],
    ids=["other-classes", "unknown-label", "unknown-label-with-classes"],
)
def test_partial_fit_class_errors_leave_the_model_as_it_was(
    fitted_text, classes, y, match
):
    clf = copy.deepcopy(fitted_text)
    before = snapshot(clf)
    with pytest.raises(ValueError, match=match):
        clf.partial_fit(["good", "bad"], y, classes=classes)
    assert_same_state(before, vars(clf))
    # classes equal to classes_ (in any order) are accepted.
    clf.partial_fit(["good", "bad"], [1, 0], classes=[1, 0])
    assert clf.n_iter_ == fitted_text.n_iter_ + 1


def test_partial_fit_first_call_labels_outside_classes_raise():
    clf = small_rnn()
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(["good", "bad"], ["pos", "other"], classes=["neg", "pos"])
    assert not hasattr(clf, "classes_")


def test_partial_fit_refuses_balanced_and_takes_a_class_weight_dict(noisy_numeric):
    X, y = noisy_numeric
    clf = small_rnn(class_weight="balanced")
    with pytest.raises(ValueError, match="compute_class_weight"):
        clf.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(clf, "classes_")
    plain = small_rnn().partial_fit(X, y, classes=[0, 1])
    weighted = small_rnn(class_weight={1: 3.0}).partial_fit(X, y, classes=[0, 1])
    by_sample = small_rnn().partial_fit(
        X, y, classes=[0, 1], sample_weight=np.where(y == 1, 3.0, 1.0)
    )
    np.testing.assert_array_equal(weighted.predict_proba(X), by_sample.predict_proba(X))
    assert not np.array_equal(weighted.predict_proba(X), plain.predict_proba(X))


# ---------------------------------------------------------------- validation split
THREE_CLASS_WORDS = {"pos": "good great", "neg": "bad awful", "mid": "fine okay"}
# 30 documents of 3 imbalanced classes.
IMBALANCED = np.array(["pos"] * 18 + ["neg"] * 8 + ["mid"] * 4)


def tagged(documents):
    """Append a unique token to each document, to tell which ones fit the vocabulary.

    A document whose tag is missing from the fitted vocabulary was held out for
    validation.
    """
    return [f"{doc} tag{i}" for i, doc in enumerate(documents)]


def held_out(estimator, documents):
    vocabulary = estimator.tokenizer_.vocabulary_
    return np.array([f"tag{i}" not in vocabulary for i in range(len(documents))])


@pytest.mark.parametrize("random_state", [0, 1, 2, 3, 4])
def test_early_stopping_split_is_stratified_and_vocabulary_is_train_only(
    random_state,
):
    labels = IMBALANCED
    docs = tagged([THREE_CLASS_WORDS[label] for label in labels])
    clf = small_rnn(
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=5,
        random_state=random_state,
    ).fit(docs, labels)

    # 6 validation documents, in the proportions of the classes (a random split
    # misses the 4 "mid" documents 39% of the time).
    valid = held_out(clf, docs)
    assert valid.sum() == 6
    for label in ("pos", "neg", "mid"):
        count = np.sum(labels[valid] == label)
        assert count >= 1
        assert abs(count - 6 * np.mean(labels == label)) < 1
    # The vocabulary is exactly the one of the training part.
    train_docs = [doc for doc, v in zip(docs, valid, strict=True) if not v]
    assert clf.tokenizer_.vocabulary_ == TextTokenizer().fit(train_docs).vocabulary_
    # Validation documents meet their tag as an unknown word, as new documents do.
    valid_docs = [doc for doc, v in zip(docs, valid, strict=True) if v]
    ids, _ = clf.tokenizer_.transform_ragged(valid_docs)
    assert (ids == UNK).sum() == 6

    # The reported validation loss and accuracy are those of the weights held.
    proba = clf.predict_proba(valid_docs)
    y_valid = np.searchsorted(clf.classes_, labels[valid])
    nll = -np.log(proba[np.arange(6), y_valid]).mean()
    np.testing.assert_allclose(clf.best_loss_, nll, rtol=1e-10)
    assert clf.best_validation_score_ == clf.score(valid_docs, labels[valid])


@pytest.mark.parametrize(
    "labels, fraction",
    [
        # 3 validation documents for 3 classes: the rare one gets none.
        (IMBALANCED, 0.1),
        # 20 samples, validation_fraction=0.1: 2 validation samples for 3 classes.
        (np.repeat([0, 1, 2], [7, 7, 6]), 0.1),
        # A class of a single sample cannot be in both parts.
        (np.repeat([0, 1], [19, 1]), 0.1),
    ],
    ids=["rare-class", "fraction-too-small", "singleton-class"],
)
def test_validation_set_must_hold_every_class(labels, fraction):
    X = np.random.RandomState(0).randn(len(labels), 4)
    clf = small_rnn(early_stopping=True, validation_fraction=fraction, max_iter=3)
    with pytest.raises(ValueError, match="validation_fraction") as info:
        clf.fit(X, labels)
    assert "every class" in str(info.value)
    assert not hasattr(clf, "classes_")


def test_a_larger_validation_fraction_gives_the_rare_class_a_sample():
    docs = tagged([THREE_CLASS_WORDS[label] for label in IMBALANCED])
    clf = small_rnn(early_stopping=True, validation_fraction=0.3, max_iter=3)
    clf.fit(docs, IMBALANCED)
    assert set(IMBALANCED[held_out(clf, docs)]) == {"pos", "neg", "mid"}


# ---------------------------------------------------------------- float32
def test_float32_weighted_fit_equals_repeated_rows_after_one_epoch():
    """The one-epoch equivalence of weights and repeated rows in float32 (the
    common check of test_common.py compares to 1e-7 after many epochs, which
    float32 rounding cannot meet)."""
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 30), rng.randint(0, 3, size=15)
    weights = rng.randint(0, 5, size=15)
    params = dict(dtype="float32", max_iter=1, random_state=0)
    repeated = TextRNNClassifier(**params).fit(
        X.repeat(weights, axis=0), y.repeat(weights)
    )
    weighted = TextRNNClassifier(**params).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=0, atol=5e-7
    )


# ---------------------------------------------------------------- the tutorial
@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_defaults_reproduce_the_tutorial_result(seed_train, seed_test):
    """The issue's bar: test accuracy 1.000 for at least 9 of random_state 0..9,
    and for each of 0, 1 and 2 (converging within max_iter)."""
    scores = [
        TextRNNClassifier(random_state=seed).fit(*seed_train).score(*seed_test)
        for seed in range(10)
    ]
    assert scores[:3] == [1.0, 1.0, 1.0], scores
    assert sum(score == 1.0 for score in scores) >= 9, scores


# The tutorial's model at hidden size 16 learns the training sentences exactly.
LAST_16 = {"hidden_size": 16, "pooling": "last"}


@pytest.mark.parametrize(
    "params, subset, accuracy",
    [
        ({"pooling": "max"}, "test", 0.9),
        ({**LAST_16, "solver": "sgd", "learning_rate_init": 0.1}, "train", 1.0),
        ({**LAST_16, "clip_value": 1.0}, "train", 1.0),
        ({**LAST_16, "clip_value": 1.0, "clip_norm": None}, "train", 1.0),
    ],
    ids=["max-pooling", "sgd", "clip_value+clip_norm", "clip_value"],
)
def test_other_options_learn_the_tutorial_data(
    seed_train, seed_test, params, subset, accuracy
):
    clf = TextRNNClassifier(random_state=0, **params).fit(*seed_train)
    data = seed_train if subset == "train" else seed_test
    assert clf.score(*data) >= accuracy
