"""Training control of TextRNNClassifier: what a user relies on when steering fit.

Early stopping with the best weights restored, warm_start, partial_fit, hashing
tokenizers for streams, sample and class weights, the plateau schedule, safety
against divergence and KeyboardInterrupt, convergence warnings, verbose progress
and the reachability of the new parameters from scikit-learn's tooling.

Interrupts are simulated by replacing ``sklearn_rnn._rnn.loss_and_gradients`` (the
classifier calls it through the module) with a wrapper that raises on its k-th
call; with full-batch training (the seed data is below the automatic batch size of
200) one call is one epoch.
"""

import copy
import re
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils.class_weight import compute_class_weight

from sklearn_rnn import TextRNNClassifier, TextTokenizer, _rnn
from sklearn_rnn.datasets import load_sentiment

WEIGHT_ATTRIBUTES = (
    "input_weights_",
    "recurrent_weights_",
    "hidden_bias_",
    "output_weights_",
    "output_bias_",
)
PARAM_TO_ATTRIBUTE = {
    "W_xh": "input_weights_",
    "W_hh": "recurrent_weights_",
    "b_h": "hidden_bias_",
    "W_hy": "output_weights_",
    "b_y": "output_bias_",
}
UNK = TextTokenizer.UNK_ID
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
# Divergence that is verified to happen on the seed data: within the first epoch of
# a fresh fit and within one partial_fit epoch (several mini-batches per epoch).
DIVERGING = {
    "solver": "sgd",
    "learning_rate_init": 1e100,
    "clip_norm": None,
    "batch_size": 4,
}


# ---------------------------------------------------------------- data
@pytest.fixture(scope="module")
def seed_train():
    return load_sentiment(subset="train", return_X_y=True)


@pytest.fixture(scope="module")
def seed_test():
    return load_sentiment(subset="test", return_X_y=True)


@pytest.fixture(scope="module")
def noisy_numeric():
    """Univariate sequences (80, 5), class = sign of the last step, 20% flipped.

    With ``ES_PARAMS`` the validation loss falls, bottoms out and rises again
    (overfitting the flipped labels), so early stopping restores an epoch well
    before the last one.
    """
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    y = (X[:, -1] > 0).astype(int)
    flip = rng.rand(80) < 0.2
    y[flip] = 1 - y[flip]
    return X, y


ES_PARAMS = {
    "hidden_size": 16,
    "random_state": 0,
    "early_stopping": True,
    "validation_fraction": 0.25,
    "max_iter": 300,
}


@pytest.fixture(scope="module")
def es_model(noisy_numeric):
    return TextRNNClassifier(**ES_PARAMS).fit(*noisy_numeric)


def small_rnn(**params):
    params = {"hidden_size": 8, "random_state": 0, **params}
    return TextRNNClassifier(**params)


def fit_quietly(estimator, X, y, **fit_params):
    """Fit where running out of max_iter is deliberate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


@pytest.fixture(scope="module")
def fitted_text(seed_train):
    """A text model fitted for 20 epochs (not converged: it can still move)."""
    return fit_quietly(small_rnn(max_iter=20), *seed_train)


def tagged(documents):
    """Append a unique token to each document, to tell which ones fit the vocabulary.

    A document whose tag is missing from the fitted vocabulary was held out for
    validation.
    """
    return [f"{doc} tag{i}" for i, doc in enumerate(documents)]


def held_out(estimator, documents):
    vocabulary = estimator.tokenizer_.vocabulary_
    return np.array([f"tag{i}" not in vocabulary for i in range(len(documents))])


# ---------------------------------------------------------------- helpers
def assert_same_state(before, after, path="estimator"):
    """Deep comparison of estimator state: same keys, same types, arrays equal."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray), path
        assert before.dtype == after.dtype and before.shape == after.shape, path
        np.testing.assert_array_equal(before, after, err_msg=path)
    elif isinstance(before, BaseEstimator) or hasattr(before, "__dict__"):
        # Estimators, and plain objects such as the stored optimizer.
        assert type(before) is type(after), path
        assert_same_state(vars(before), vars(after), path)
    elif isinstance(before, dict):
        assert isinstance(after, dict), path
        assert before.keys() == after.keys(), path
        for key in before:
            assert_same_state(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, list | tuple):
        assert type(before) is type(after) and len(before) == len(after), path
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            assert_same_state(b, a, f"{path}[{i}]")
    else:
        assert type(before) is type(after), path
        assert before == after or (before != before and after != after), path


def snapshot(estimator):
    return copy.deepcopy(vars(estimator))


def weights_of(estimator):
    return {attr: getattr(estimator, attr).copy() for attr in WEIGHT_ATTRIBUTES}


def assert_same_weights(a, b):
    for attr in WEIGHT_ATTRIBUTES:
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)


def interrupt_on_call(monkeypatch, k):
    """Make the k-th call of loss_and_gradients raise KeyboardInterrupt."""
    real = _rnn.loss_and_gradients
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == k:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_rnn, "loss_and_gradients", wrapper)
    return calls


def no_escape(call, *args, **kwargs):
    """Run call; an escaping KeyboardInterrupt fails the test, not the session."""
    try:
        return call(*args, **kwargs)
    except KeyboardInterrupt:
        pytest.fail("the simulated KeyboardInterrupt escaped after complete epochs")


def record_weights(monkeypatch):
    """Record the weights each loss_and_gradients call starts from.

    With full-batch training, entry ``k`` holds the weights after epoch ``k``.
    """
    real = _rnn.loss_and_gradients
    seen = []

    def wrapper(params, *args, **kwargs):
        seen.append({name: value.copy() for name, value in params.items()})
        return real(params, *args, **kwargs)

    monkeypatch.setattr(_rnn, "loss_and_gradients", wrapper)
    return seen


def expected_learning_rates(watched, lr0, factor, patience, tol):
    """Learning rate of each epoch under the documented plateau rule."""
    rates, rate, best, wait = [], lr0, np.inf, 0
    for value in watched:
        rates.append(rate)
        wait = 0 if value < best - tol else wait + 1
        best = min(best, value)
        if wait >= patience:
            rate *= factor
            wait = 0
    return rates


# ---------------------------------------------------------------- 1. early stopping
def test_early_stopping_attributes_describe_the_kept_epoch(es_model):
    clf = es_model
    # The case is one where the validation loss rose at the end.
    assert clf.best_epoch_ < clf.n_iter_ < clf.max_iter
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_)
    assert len(clf.validation_loss_curve_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_loss_ == min(clf.validation_loss_curve_)
    assert clf.best_loss_ == clf.validation_loss_curve_[clf.best_epoch_ - 1]
    assert clf.best_validation_score_ == clf.validation_scores_[clf.best_epoch_ - 1]
    # The stopping rule: n_iter_no_change epochs after the last tol improvement.
    assert clf.n_iter_ - clf.best_epoch_ <= clf.n_iter_no_change


@ignore_convergence
def test_early_stopping_ends_with_the_weights_of_the_best_epoch(
    es_model, noisy_numeric, monkeypatch
):
    best, n_iter = es_model.best_epoch_, es_model.n_iter_
    assert 1 < best < n_iter
    # Same params and seed: same split, same shuffles, same trajectory, cut after
    # the best epoch.
    cut = TextRNNClassifier(
        **{**ES_PARAMS, "max_iter": best, "n_iter_no_change": 10_000}
    ).fit(*noisy_numeric)
    assert cut.n_iter_ == cut.best_epoch_ == best
    np.testing.assert_array_equal(cut.loss_curve_, es_model.loss_curve_[:best])
    assert_same_weights(es_model, cut)

    # Directly: the weights entering epoch best + 1 are the final ones, and those
    # reached later differ (the last epochs were really undone).
    seen = record_weights(monkeypatch)
    refit = TextRNNClassifier(**ES_PARAMS).fit(*noisy_numeric)
    assert refit.best_epoch_ == best and len(seen) == n_iter
    for name, attr in PARAM_TO_ATTRIBUTE.items():
        np.testing.assert_array_equal(getattr(refit, attr), seen[best][name])
    assert not np.array_equal(refit.output_weights_, seen[n_iter - 1]["W_hy"])


THREE_CLASS_WORDS = {"pos": "good great", "neg": "bad awful", "mid": "fine okay"}
# 30 documents of 3 imbalanced classes.
THREE_CLASS_LABELS = np.array(["pos"] * 18 + ["neg"] * 8 + ["mid"] * 4)


@ignore_convergence
@pytest.mark.parametrize("random_state", [0, 1, 2, 3, 4])
def test_early_stopping_split_is_stratified_and_vocabulary_is_train_only(
    random_state,
):
    labels = THREE_CLASS_LABELS
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


@ignore_convergence
def test_validation_set_holds_every_class_or_fit_raises():
    # validation_fraction=0.1 of 30 documents: 3 validation documents for 3 classes.
    # Proportional allocation gives pos 1.8, neg 0.8, mid 0.4 -> 2, 1, 0.
    labels = THREE_CLASS_LABELS
    docs = tagged([THREE_CLASS_WORDS[label] for label in labels])
    clf = small_rnn(early_stopping=True, validation_fraction=0.1, max_iter=3)
    with pytest.raises(ValueError, match="1 class.*no validation sample"):
        clf.fit(docs, labels)
    # A larger fraction gives the rare class a validation sample.
    clf.set_params(validation_fraction=0.3).fit(docs, labels)
    assert set(labels[held_out(clf, docs)]) == {"pos", "neg", "mid"}


@pytest.mark.parametrize(
    "labels",
    [
        # 20 samples, validation_fraction=0.1: 2 validation samples for 3 classes.
        np.repeat([0, 1, 2], [7, 7, 6]),
        # A class of a single sample cannot be in both parts.
        np.repeat([0, 1], [19, 1]),
    ],
    ids=["fraction-too-small", "singleton-class"],
)
def test_validation_split_impossible_raises_clearly(labels):
    X = np.random.RandomState(0).randn(len(labels), 4)
    clf = small_rnn(early_stopping=True, validation_fraction=0.1, max_iter=3)
    with pytest.raises(ValueError, match="validation_fraction") as info:
        clf.fit(X, labels)
    assert "classes" in str(info.value)
    assert not hasattr(clf, "classes_")


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
    # "best" marks each new lowest validation loss; the kept epoch is the last one.
    running_min = np.minimum.accumulate(es_model.validation_loss_curve_)
    expected = [True] + list(running_min[1:] < running_min[:-1])
    assert [r["best"] for r in history] == expected
    assert max(r["epoch"] for r in history if r["best"]) == es_model.best_epoch_


@ignore_convergence
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


def test_early_stopping_excludes_validation_from_t(es_model, noisy_numeric):
    n_train = len(noisy_numeric[1]) - int(np.ceil(0.25 * len(noisy_numeric[1])))
    assert es_model.t_ == es_model.n_iter_ * n_train


# ---------------------------------------------------------------- 2. warm start
@ignore_convergence
def test_warm_start_continues_training(seed_train):
    clf = small_rnn(warm_start=True, max_iter=20).fit(*seed_train)
    old_curve, old_history = list(clf.loss_curve_), list(clf.history_)
    old_t = clf.t_
    weights = weights_of(clf)
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
    assert not np.array_equal(clf.output_weights_, weights["output_weights_"])
    assert clf.best_epoch_ == 25
    # With full batches and a constant rate (the optimizer state is kept), 20 + 5
    # epochs are 25 uninterrupted ones.
    straight = small_rnn(max_iter=25).fit(*seed_train)
    np.testing.assert_allclose(clf.loss_curve_, straight.loss_curve_, rtol=1e-10)
    for attr in WEIGHT_ATTRIBUTES:
        np.testing.assert_allclose(
            getattr(clf, attr), getattr(straight, attr), rtol=1e-9, atol=1e-12
        )


@ignore_convergence
def test_warm_start_keeps_vocabulary_and_classes(fitted_text, seed_train):
    clf = copy.deepcopy(fitted_text).set_params(warm_start=True, max_iter=3)
    vocabulary = dict(clf.tokenizer_.vocabulary_)
    shape = clf.input_weights_.shape
    new_docs = ["excellent movie", "terrible movie", "not excellent", "good"]
    clf.fit(new_docs, [1, 0, 0, 1])
    # The new words were trained as the unknown id, like any other unseen word.
    other = copy.deepcopy(fitted_text).set_params(warm_start=True, max_iter=3)
    other.fit(["xyz xyz", "xyz xyz", "not xyz", "good"], [1, 0, 0, 1])
    assert_same_weights(clf, other)
    assert clf.tokenizer_.vocabulary_ == vocabulary
    assert "excellent" not in clf.tokenizer_.vocabulary_
    assert clf.input_weights_.shape == shape
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_iter_ == fitted_text.n_iter_ + 3


@pytest.fixture(scope="module")
def es_model_warm(es_model, noisy_numeric):
    """es_model continued for 10 epochs with warm_start, same data and split."""
    return fit_quietly(
        copy.deepcopy(es_model).set_params(warm_start=True, max_iter=10),
        *noisy_numeric,
    )


def test_warm_start_with_early_stopping_never_worsens_validation_loss(
    es_model, es_model_warm
):
    clf = es_model_warm
    assert clf.n_iter_ == es_model.n_iter_ + 10
    # The validation curves are those of the last fit only.
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == 10
    # Same seed, same split: the incoming model competes for the best epoch.
    assert clf.best_loss_ <= es_model.best_loss_
    new_records = clf.history_[es_model.n_iter_ :]
    assert [r["epoch"] for r in new_records] == list(
        range(es_model.n_iter_ + 1, es_model.n_iter_ + 11)
    )
    # In this case (verified) the 10 new epochs only overfit further: none beats
    # the incoming weights, which are kept.
    assert not any(r["best"] for r in new_records)
    assert clf.best_loss_ == es_model.best_loss_
    assert clf.best_validation_score_ == es_model.best_validation_score_
    assert_same_weights(clf, es_model)


def test_warm_start_best_epoch_names_the_epoch_of_the_kept_weights(
    es_model, es_model_warm
):
    assert not any(r["best"] for r in es_model_warm.history_[es_model.n_iter_ :])
    assert_same_weights(es_model_warm, es_model)
    assert es_model_warm.best_epoch_ == es_model.best_epoch_


def _warm_error_cases():
    numeric = np.random.RandomState(0).randn(10, 4)
    return {
        "new-label": (["good", "bad", "meh"], [0, 1, 2], {}, "not among the classes"),
        "hidden-size": (["good", "bad"], [1, 0], {"hidden_size": 9}, "hidden_size"),
        "numeric-after-text": (numeric, [0, 1] * 5, {}, "fitted on text"),
    }


@pytest.mark.parametrize("case", list(_warm_error_cases()))
def test_warm_start_errors_leave_the_model_as_it_was(fitted_text, case):
    X, y, params, match = _warm_error_cases()[case]
    clf = copy.deepcopy(fitted_text).set_params(warm_start=True, **params)
    before = snapshot(clf)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert_same_state(before, vars(clf))


@ignore_convergence
def test_warm_start_text_after_numeric_raises(noisy_numeric):
    clf = small_rnn(max_iter=3).fit(*noisy_numeric).set_params(warm_start=True)
    before = snapshot(clf)
    with pytest.raises(ValueError, match="fitted on numeric"):
        clf.fit(["good", "bad"], [1, 0])
    assert_same_state(before, vars(clf))


@ignore_convergence
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


# ---------------------------------------------------------------- 3. partial_fit
def test_partial_fit_requires_classes_on_the_first_call(seed_train):
    clf = small_rnn()
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(*seed_train)
    with pytest.raises(NotFittedError):
        clf.predict(["good"])


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_runs_one_epoch_per_call(seed_train):
    X, y = seed_train
    clf = small_rnn()
    for call in range(1, 4):
        clf.partial_fit(X[:20], y[:20], classes=[0, 1])
        assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_) == call
        assert clf.t_ == 20 * call
        assert clf.history_[-1]["epoch"] == call
        assert clf.best_loss_ == min(clf.loss_curve_)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.predict(["good"]).shape == (1,)


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_continues_a_fitted_model_without_classes(fitted_text, seed_train):
    clf = copy.deepcopy(fitted_text)
    n_iter, curve = clf.n_iter_, list(clf.loss_curve_)
    clf.partial_fit(*seed_train)
    assert clf.n_iter_ == n_iter + 1
    assert clf.loss_curve_[:-1] == curve
    assert clf.history_[-1]["epoch"] == n_iter + 1
    # Continues smoothly: one more full-batch epoch of the same training.
    assert clf.loss_curve_[-1] < curve[-1]
    one_more = fit_quietly(small_rnn(max_iter=n_iter + 1), *seed_train)
    np.testing.assert_allclose(clf.loss_curve_, one_more.loss_curve_, rtol=1e-10)
    for attr in WEIGHT_ATTRIBUTES:
        np.testing.assert_allclose(
            getattr(clf, attr), getattr(one_more, attr), rtol=1e-9, atol=1e-12
        )
    # classes equal to classes_ are accepted too.
    clf.partial_fit(*seed_train, classes=[1, 0])
    assert clf.n_iter_ == n_iter + 2


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


def test_partial_fit_first_call_labels_outside_classes_raise():
    clf = small_rnn()
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(["good", "bad"], ["pos", "other"], classes=["neg", "pos"])
    assert not hasattr(clf, "classes_")


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
    fitted = TextRNNClassifier(hidden_size=16, pooling="last", random_state=0)
    fitted.fit(X, y)
    assert fitted.score(*seed_test) == 1.0

    clf = TextRNNClassifier(
        TextTokenizer(n_buckets=256), hidden_size=16, pooling="last", random_state=0
    )
    chunks = np.array_split(np.arange(len(y)), 4)
    for _ in range(60):
        for chunk in chunks:
            clf.partial_fit([X[i] for i in chunk], y[chunk], classes=[0, 1])
    assert clf.n_iter_ == 240
    assert clf.tokenizer_.vocabulary_ is None
    assert clf.score(*seed_test) == fitted.score(*seed_test)


def test_partial_fit_balanced_class_weight_points_to_compute_class_weight():
    clf = small_rnn(class_weight="balanced")
    with pytest.raises(ValueError, match="compute_class_weight"):
        clf.partial_fit(["good", "bad"], [1, 0], classes=[0, 1])
    assert not hasattr(clf, "classes_")


def test_partial_fit_accepts_a_class_weight_dict(noisy_numeric):
    X, y = noisy_numeric
    plain = small_rnn().partial_fit(X, y, classes=[0, 1])
    weighted = small_rnn(class_weight={1: 3.0}).partial_fit(X, y, classes=[0, 1])
    by_sample = small_rnn().partial_fit(
        X, y, classes=[0, 1], sample_weight=np.where(y == 1, 3.0, 1.0)
    )
    np.testing.assert_array_equal(weighted.predict_proba(X), by_sample.predict_proba(X))
    assert not np.array_equal(weighted.predict_proba(X), plain.predict_proba(X))


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_never_warns_about_convergence(seed_train):
    clf = small_rnn(max_iter=1)
    for _ in range(3):
        clf.partial_fit(*seed_train, classes=[0, 1])
    assert clf.n_iter_ == 3


# ---------------------------------------------------------------- 4. hashing
@ignore_convergence
def test_hashing_tokenizer_trains_without_a_vocabulary(seed_train):
    n_buckets = 64
    clf = small_rnn(tokenizer=TextTokenizer(n_buckets=n_buckets), max_iter=150)
    clf.fit(*seed_train)
    assert clf.tokenizer_.vocabulary_ is None
    assert clf.input_weights_.shape == (n_buckets + 2, clf.hidden_size)
    assert clf.n_step_features_ == n_buckets + 2
    assert clf.score(*seed_train) == 1.0
    # Words never seen still hash to a bucket, and the model predicts.
    unseen = ["zyzzyva quokka", "not flibbertigibbet", ""]
    ids, _ = clf.tokenizer_.transform_ragged(unseen[:1])
    assert np.all(ids >= 2)
    proba = clf.predict_proba(unseen)
    assert proba.shape == (3, 2) and np.all(np.isfinite(proba))
    assert set(clf.predict(unseen)) <= {0, 1}


# ---------------------------------------------------------------- 5. sample_weight
@ignore_convergence
def test_integer_sample_weight_equals_repeated_documents(seed_train, seed_test):
    X, y = seed_train
    weights = np.random.RandomState(0).randint(1, 4, size=len(y))
    repeated = np.repeat(np.arange(len(y)), weights)
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
    # And the weights matter: unweighted training differs.
    plain = small_rnn(max_iter=30).fit(X, y)
    assert not np.allclose(
        plain.predict_proba(seed_test[0]), weighted.predict_proba(seed_test[0])
    )


@ignore_convergence
@pytest.mark.parametrize("early_stopping", [False, True])
def test_zero_weight_equals_dropped_document(seed_train, seed_test, early_stopping):
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
        (-np.ones(58), "negative"),
        (np.r_[np.ones(57), -1.0], "negative"),
        (np.ones(57), "58 samples"),
        (np.ones(59), "58 samples"),
        (np.zeros(58), "weight.*zero"),
        (np.r_[np.ones(57), np.nan], "NaN"),
        (np.r_[np.ones(57), np.inf], "infinity"),
        (np.ones((58, 2)), "1-D"),
    ],
    ids=["negative", "one-negative", "short", "long", "all-zero", "nan", "inf", "2d"],
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


@ignore_convergence
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
    assert weights.dtype == dtype
    np.testing.assert_array_equal(weights, original)


def test_a_class_with_only_zero_weights_is_not_a_class():
    X = ["good", "great", "bad", "awful", "meh", "so so"]
    y = ["pos", "pos", "neg", "neg", "mid", "mid"]
    # Two classes, one all zero: one class left, which cannot be fitted.
    clf = small_rnn(max_iter=2)
    with pytest.raises(ValueError, match="class"):
        clf.fit(X[:4], y[:4], sample_weight=[1, 1, 0, 0])
    assert not hasattr(clf, "classes_")
    # Three classes, one all zero: a binary model.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, sample_weight=[1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(clf.classes_, ["neg", "pos"])
    assert clf.output_weights_.shape[1] == 2
    assert "meh" not in clf.tokenizer_.vocabulary_


# ---------------------------------------------------------------- 6. class_weight
@ignore_convergence
def test_class_weight_shifts_predictions_toward_the_weighted_class(noisy_numeric):
    X, y = noisy_numeric
    X_new = np.random.RandomState(5).randn(200, 5)
    fractions = {}
    for weight in (0.1, 1.0, 10.0):
        clf = small_rnn(max_iter=40, class_weight={1: weight}).fit(X, y)
        fractions[weight] = np.mean(clf.predict(X_new) == 1)
    assert fractions[0.1] < fractions[1.0] < fractions[10.0]
    assert fractions[10.0] > 0.9 and fractions[0.1] < 0.1


@ignore_convergence
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


@ignore_convergence
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


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_class_weight_keys_must_be_classes(method):
    clf = small_rnn(class_weight={"pos": 2.0, "positive": 1.0}, max_iter=2)
    kwargs = {"classes": ["neg", "pos"]} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match="positive"):
        getattr(clf, method)(["good", "bad"], ["pos", "neg"], **kwargs)
    assert not hasattr(clf, "classes_")


@pytest.mark.parametrize(
    "class_weight, match",
    [({0: 0.0, 1: 0.0}, "zero weight"), ({0: -1.0}, "non-negative")],
    ids=["all-zero", "negative"],
)
def test_class_weight_values_are_checked(class_weight, match):
    clf = small_rnn(class_weight=class_weight, max_iter=2)
    with pytest.raises(ValueError, match=match):
        clf.fit(["good", "bad"], [1, 0])
    assert not hasattr(clf, "classes_")


# ---------------------------------------------------------------- 7. plateau
@ignore_convergence
@pytest.mark.parametrize("early_stopping", [False, True])
def test_plateau_schedule_reduces_the_rate_after_plateaus(
    noisy_numeric, early_stopping
):
    params = {
        "learning_rate": "plateau",
        "learning_rate_init": 0.02,
        "plateau_factor": 0.5,
        "plateau_patience": 2,
        "n_iter_no_change": 1000,
        "tol": 1e-2,
        "max_iter": 40,
        "early_stopping": early_stopping,
        "validation_fraction": 0.25,
    }
    clf = small_rnn(**params).fit(*noisy_numeric)
    rates = [r["learning_rate"] for r in clf.history_]
    watched = clf.validation_loss_curve_ if early_stopping else clf.loss_curve_
    expected = expected_learning_rates(watched, 0.02, 0.5, 2, 1e-2)
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    # The case does reduce the rate, several times, by factor steps only.
    steps = np.unique(np.round(np.log(np.array(rates) / 0.02) / np.log(0.5), 9))
    assert len(steps) >= 3
    np.testing.assert_array_equal(steps, np.arange(len(steps)))
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))


@ignore_convergence
def test_constant_schedule_never_changes_the_rate(noisy_numeric):
    clf = small_rnn(tol=1e-2, n_iter_no_change=1000, max_iter=30).fit(*noisy_numeric)
    assert clf.learning_rate == "constant"
    assert [r["learning_rate"] for r in clf.history_] == [1e-2] * 30


@ignore_convergence
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


# ---------------------------------------------------------------- 8. divergence
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
    assert_same_state(before, vars(clf))
    np.testing.assert_array_equal(clf.predict_proba(seed_test[0]), proba)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_divergence_leaves_an_unfitted_model_unfitted(seed_train, method):
    clf = small_rnn(**DIVERGING)
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match="learning_rate_init"):
        getattr(clf, method)(*seed_train, **kwargs)
    with pytest.raises(NotFittedError):
        clf.predict(["good"])
    assert vars(clf).keys() == vars(small_rnn(**DIVERGING)).keys()


# ---------------------------------------------------------------- 9. interrupt
def test_interrupt_after_epochs_keeps_a_usable_model(seed_train, monkeypatch):
    X, y = seed_train
    interrupt_on_call(monkeypatch, 4)
    clf = small_rnn(max_iter=50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert no_escape(clf.fit, X, y) is clf
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert len(messages) == 1 and "interrupted" in messages[0]
    # An interrupt is not a failure to converge.
    assert not [w for w in caught if w.category is ConvergenceWarning]
    assert clf.n_iter_ == clf.best_epoch_ == 3
    assert len(clf.loss_curve_) == len(clf.history_) == 3
    assert clf.predict(["good", "not good"]).shape == (2,)
    # The model is the one of three complete epochs.
    monkeypatch.undo()
    three = fit_quietly(small_rnn(max_iter=3), X, y)
    assert_same_weights(clf, three)
    assert clf.loss_curve_ == three.loss_curve_


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_interrupt_in_the_first_epoch_propagates_and_changes_nothing(
    fitted_text, seed_train, monkeypatch, how
):
    clf = copy.deepcopy(fitted_text).set_params(warm_start=how == "warm_start")
    before = snapshot(clf)
    interrupt_on_call(monkeypatch, 1)
    method = clf.partial_fit if how == "partial_fit" else clf.fit
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


def test_interrupt_in_a_later_partial_fit_propagates(seed_train, monkeypatch):
    # partial_fit is one epoch: any interrupt loses it, so nothing changes.
    clf = small_rnn().partial_fit(*seed_train, classes=[0, 1])
    clf.partial_fit(*seed_train)
    before = snapshot(clf)
    interrupt_on_call(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        clf.partial_fit(*seed_train)
    assert_same_state(before, vars(clf))


@ignore_convergence
def test_interrupt_with_early_stopping_keeps_the_best_epoch(
    es_model, noisy_numeric, monkeypatch
):
    # Interrupt after more epochs than the best one but before the natural stop.
    completed = es_model.best_epoch_ + 3
    assert completed < es_model.n_iter_
    interrupt_on_call(monkeypatch, completed + 1)
    with pytest.warns(UserWarning, match="interrupted"):
        clf = no_escape(TextRNNClassifier(**ES_PARAMS).fit, *noisy_numeric)
    assert clf.n_iter_ == completed
    assert clf.best_epoch_ == es_model.best_epoch_
    assert clf.best_loss_ == es_model.best_loss_
    assert clf.best_validation_score_ == es_model.best_validation_score_
    assert clf.validation_loss_curve_ == es_model.validation_loss_curve_[:completed]
    assert_same_weights(clf, es_model)


# ---------------------------------------------------------------- 10. convergence
@pytest.mark.parametrize("early_stopping", [False, True])
def test_max_iter_exhausted_warns(noisy_numeric, early_stopping):
    clf = small_rnn(max_iter=3, early_stopping=early_stopping)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        clf.fit(*noisy_numeric)
    assert clf.n_iter_ == 3


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_stopping_early_does_not_warn(es_model, noisy_numeric):
    clf = TextRNNClassifier(**ES_PARAMS).fit(*noisy_numeric)
    assert clf.n_iter_ == es_model.n_iter_ < clf.max_iter


# ---------------------------------------------------------------- 11. verbose
@ignore_convergence
def test_verbose_shows_elapsed_time_and_time_left(seed_train, capsys):
    small_rnn(max_iter=4, verbose=1).fit(*seed_train)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    number = r"\d+\.\d+"
    for line in lines[:-1]:
        assert re.search(rf", {number} s, at most {number} s left$", line), line
        assert "valid" not in line
    # Nothing is left after the last epoch.
    assert re.search(rf", {number} s$", lines[-1]), lines[-1]
    assert "left" not in lines[-1]


@ignore_convergence
def test_verbose_with_early_stopping_and_plateau(noisy_numeric, capsys):
    small_rnn(max_iter=4, verbose=1, early_stopping=True, learning_rate="plateau").fit(
        *noisy_numeric
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    for line in lines:
        assert re.search(r"valid loss \d+\.\d+", line), line
        assert re.search(r"valid accuracy \d\.\d+", line), line
        assert re.search(r"lr \d", line), line
        assert re.search(r"\d+\.\d+ s", line), line
    # The first epoch is always a new best and is marked.
    assert re.search(r"valid loss \d+\.\d+ \*", lines[0]), lines[0]


# ---------------------------------------------------------------- 12. tooling
NEW_PARAMS = {
    "learning_rate": "plateau",
    "plateau_factor": 0.5,
    "plateau_patience": 2,
    "early_stopping": True,
    "validation_fraction": 0.3,
    "class_weight": {0: 2.0},
    "warm_start": True,
}


def test_new_parameters_have_their_documented_defaults():
    params = TextRNNClassifier().get_params()
    assert params["learning_rate"] == "constant"
    assert params["plateau_factor"] == 0.2
    assert params["plateau_patience"] == 3
    assert params["early_stopping"] == "auto"
    assert params["validation_fraction"] == 0.1
    assert params["class_weight"] is None
    assert params["warm_start"] is False


@ignore_convergence
def test_new_parameters_are_reachable_by_set_params_and_clone(noisy_numeric):
    clf = small_rnn(max_iter=3).set_params(**NEW_PARAMS)
    for name, value in NEW_PARAMS.items():
        assert clf.get_params()[name] == value
        assert clone(clf).get_params()[name] == value
    clf.fit(*noisy_numeric)
    # They took effect.
    assert clf.validation_loss_curve_ is not None
    assert len(clf.validation_loss_curve_) == 3


@pytest.mark.parametrize(
    "param, value",
    [
        ("learning_rate", "adaptive"),
        ("plateau_factor", 1.0),
        ("plateau_factor", 0.0),
        ("plateau_patience", 0),
        ("validation_fraction", 1.0),
        ("validation_fraction", 0.0),
        ("class_weight", "auto"),
        ("early_stopping", "yes"),
        ("warm_start", 2),
    ],
)
def test_invalid_new_parameters_are_rejected(param, value):
    clf = small_rnn(**{param: value})
    with pytest.raises(ValueError, match=param):
        clf.fit(["good", "bad"], [1, 0])
    with pytest.raises(ValueError, match=param):
        clf.partial_fit(["good", "bad"], [1, 0], classes=[0, 1])


@ignore_convergence
def test_grid_search_over_class_weight_and_learning_rate(seed_train):
    X, y = seed_train
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


# ---------------------------------------------------------------- length bucketing
def _lengths_of_batches(clf, monkeypatch, X, y):
    """Fit and return the sequence lengths of every packed training batch."""
    seen = []
    original = _rnn.pack

    def recording_pack(values, offsets, indices):
        batch = original(values, offsets, indices)
        seen.append(batch.lengths.copy())
        return batch

    monkeypatch.setattr(_rnn, "pack", recording_pack)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    monkeypatch.undo()
    return seen


def test_length_bucketing_groups_similar_lengths(monkeypatch):
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 60, size=160)
    X = [" ".join(["w"] * k) for k in lengths]
    y = (lengths > 30).astype(int)
    params = dict(hidden_size=4, batch_size=10, max_iter=2, random_state=0)
    plain = _lengths_of_batches(TextRNNClassifier(**params), monkeypatch, X, y)
    bucketed = _lengths_of_batches(
        TextRNNClassifier(length_bucketing=True, **params), monkeypatch, X, y
    )
    # Every sample is used once per epoch either way.
    assert sorted(np.concatenate(plain)) == sorted(np.concatenate(bucketed))
    spread = [np.mean([b.max() - b.min() for b in run]) for run in (plain, bucketed)]
    assert spread[1] < spread[0] / 3
    # The batches of one epoch do not come sorted by length.
    firsts = [b.max() for b in bucketed[:16]]
    assert firsts != sorted(firsts) and firsts != sorted(firsts, reverse=True)


def test_length_bucketing_changes_nothing_in_full_batch(seed_train):
    X, y = seed_train
    a = TextRNNClassifier(hidden_size=8, random_state=0).fit(X, y)
    b = TextRNNClassifier(hidden_size=8, random_state=0, length_bucketing=True).fit(
        X, y
    )
    np.testing.assert_array_equal(a.input_weights_, b.input_weights_)
