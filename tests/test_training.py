"""Tests for ``sklearn_rnn._training``: the epoch loop.

``train`` is called on arrays directly (no estimator): what it returns, the best
epoch's weights, the stopping rule, one-epoch increments, divergence. Then the
pieces it is made of (mini-batches, length bucketing, validation scores, the
validation split), and what a user sees of the loop through ``fit``: progress
lines, the plateau schedule, the convergence warning, interrupts. How the
estimators publish a run's result (warm start, atomic failure) is in test_base.py.
"""

import copy
import io
import re
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score

import sklearn_rnn._base as base_module
import sklearn_rnn._training as training_module
from conftest import (
    ES_PARAMS,
    WEIGHT_ATTRIBUTES,
    assert_same_state,
    assert_same_weights,
    fit_quietly,
    ignore_convergence,
    interrupt_on_call,
    interrupt_once,
    small_rnn,
    targets_for,
)
from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, _rnn
from sklearn_rnn._optimizers import SGD, Adam, Plateau
from sklearn_rnn._sequences import Ragged
from sklearn_rnn._training import (
    DataSet,
    Run,
    Settings,
    _epoch_batches,
    evaluate,
    train,
    validation_split,
)

RECORD_KEYS = {"epoch", "learning_rate", "train_loss", "train_accuracy", "seconds"}
VALID_KEYS = {"valid_loss", "valid_score", "best"}


# ---------------------------------------------------------------- train()
def data_set(X, y, idx):
    return DataSet(Ragged.from_numeric(X[idx][:, :, np.newaxis], np.float64), y[idx])


def start(seed=0, hidden_size=16):
    """Fresh parameters and an Adam optimizer for univariate sequences."""
    rng = np.random.RandomState(seed)
    params = _rnn.init_params(rng, 1, hidden_size, 2, token_input=False)
    return params, Adam(params, 0.01), rng


def settings(**changes):
    kw = {"loss": "log_loss", "pooling": "last", "batch_size": 60, "clip_norm": 5.0}
    return Settings(**{**kw, "alpha": 1e-4, **changes})


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


@pytest.fixture
def split(noisy_numeric):
    """60 training and 20 validation sequences of the noisy task: the validation
    loss bottoms out at epoch 5 and training stops at epoch 15."""
    X, y = noisy_numeric
    return data_set(X, y, np.arange(60)), data_set(X, y, np.arange(60, 80))


@pytest.mark.parametrize("first_epoch", [0, 7])
def test_train_without_validation_ends_with_the_last_epoch(split, first_epoch):
    params, optimizer, rng = start()
    result = train(
        params,
        optimizer,
        split[0],
        settings(max_iter=5),
        rng,
        first_epoch=first_epoch,
    )
    # Warnings are the caller's to issue, once it has kept the result.
    ((message, category),) = result.warnings
    assert category is ConvergenceWarning
    assert message.startswith("The estimator reached max_iter=5")
    epochs = list(range(first_epoch + 1, first_epoch + 6))
    assert [r["epoch"] for r in result.records] == epochs
    for record in result.records:
        assert set(record) == RECORD_KEYS
        assert 0.0 <= record["train_accuracy"] <= 1.0
        assert record["learning_rate"] == 0.01 and record["seconds"] >= 0.0
    losses = [r["train_loss"] for r in result.records]
    assert losses[-1] < losses[0]
    assert result.best_epoch == epochs[-1]
    assert result.best_loss == min(losses)
    assert result.best_score is None
    # The kept weights are those trained, as a separate copy.
    for name, value in params.items():
        np.testing.assert_array_equal(result.params[name], value)
        assert result.params[name] is not value
    assert optimizer.t == 5  # one full batch a epoch


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_train_with_validation_keeps_the_weights_of_the_best_epoch(split, monkeypatch):
    params, optimizer, rng = start()
    seen = record_weights(monkeypatch)
    result = train(params, optimizer, split[0], settings(), rng, valid=split[1])
    best, n_epochs = result.best_epoch, len(result.records)
    assert 1 < best < n_epochs < 300  # stopped early, after the best epoch
    assert n_epochs - best == 10  # n_iter_no_change epochs after it
    for record in result.records:
        assert set(record) == RECORD_KEYS | VALID_KEYS
    valid_losses = [r["valid_loss"] for r in result.records]
    # "best" marks each new lowest validation loss; the kept epoch is the last.
    running_min = np.minimum.accumulate(valid_losses)
    assert [r["best"] for r in result.records] == [True] + list(
        running_min[1:] < running_min[:-1]
    )
    assert result.best_loss == min(valid_losses) == valid_losses[best - 1]
    assert result.best_score == result.records[best - 1]["valid_score"]
    # The kept weights are those entering the epoch after the best one, and
    # those reached later differ (the last epochs were really undone).
    for name in params:
        np.testing.assert_array_equal(result.params[name], seen[best][name])
    assert not np.array_equal(result.params["W_hy"], params["W_hy"])
    # The reported score is the one of the kept weights.
    loss, score = evaluate(result.params, split[1], settings())
    assert (loss, score) == (result.best_loss, result.best_score)


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("validate", [False, True])
def test_no_improvement_by_tol_stops_after_n_iter_no_change_epochs(split, validate):
    params, optimizer, rng = start()
    valid = split[1] if validate else None
    run = settings(tol=10.0, n_iter_no_change=3, max_iter=50)
    result = train(params, optimizer, split[0], run, rng, valid=valid)
    # The first epoch improves on infinity; no later one by tol.
    assert len(result.records) == 4


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_incremental_training_runs_one_epoch_without_rules(split):
    params, optimizer, rng = start()
    schedule = Plateau(factor=0.5, patience=1)
    run = settings(
        incremental=True, max_iter=50, tol=10.0, n_iter_no_change=1, schedule=schedule
    )
    before = {name: value.copy() for name, value in params.items()}
    result = train(params, optimizer, split[0], run, rng, first_epoch=4)
    assert [r["epoch"] for r in result.records] == [5]
    assert result.best_epoch == 5
    # No copy is kept: the weights trained in place are the result.
    assert result.params is params
    assert not np.array_equal(params["W_hy"], before["W_hy"])
    # No schedule either: the rate stays.
    assert optimizer.learning_rate == 0.01 and schedule.wait == 0


def test_competing_incoming_weights_are_kept_when_no_epoch_beats_them(split):
    params, optimizer, rng = start()
    first = train(params, optimizer, split[0], settings(), rng, valid=split[1])
    incoming = {name: value.copy() for name, value in first.params.items()}
    more = settings(max_iter=5)
    result = train(
        incoming,
        optimizer,
        split[0],
        more,
        rng,
        valid=split[1],
        first_epoch=len(first.records),
        start_epoch=first.best_epoch,
        compete=True,
    )
    assert [category for _, category in result.warnings] == [ConvergenceWarning]
    # The incoming weights had the lowest validation loss; 5 more epochs from
    # them (overfitting further) do not beat it, so they stay.
    assert not any(r["best"] for r in result.records)
    assert result.best_epoch == first.best_epoch
    assert (result.best_loss, result.best_score) == (first.best_loss, first.best_score)
    for name, value in first.params.items():
        np.testing.assert_array_equal(result.params[name], value)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize(
    "batch_size, what",
    [
        (60, "the weights overflowed"),  # found after the epoch's last update
        (4, "the loss is (inf|nan)"),  # found before an update
    ],
)
def test_a_diverging_run_raises_and_names_the_remedies(split, batch_size, what):
    params, _, rng = start()
    optimizer = SGD(params, learning_rate=1e308)
    run = settings(clip_norm=None, batch_size=batch_size)
    with pytest.raises(ValueError, match=f"diverged at epoch 1: {what}") as info:
        train(params, optimizer, split[0], run, rng)
    assert "Lower learning_rate_init, or set clip_norm" in str(info.value)


# ---------------------------------------------------------------- batches
def batch_settings(**changes):
    return Settings(loss="log_loss", pooling="last", batch_size=10, **changes)


def test_mini_batches_cover_every_sample_once_per_epoch():
    lengths = np.arange(1, 36)
    rng = np.random.RandomState(0)
    batches = _epoch_batches(lengths, batch_settings(), rng)
    assert [len(b) for b in batches] == [10, 10, 10, 5]
    order = np.concatenate(batches)
    assert sorted(order) == list(range(35))
    assert not np.array_equal(order, np.arange(35))  # shuffled
    again = np.concatenate(_epoch_batches(lengths, batch_settings(), rng))
    assert not np.array_equal(order, again)  # a new order each epoch
    in_order = _epoch_batches(lengths, batch_settings(shuffle=False), rng)
    np.testing.assert_array_equal(np.concatenate(in_order), np.arange(35))


@pytest.mark.parametrize("length_bucketing", [False, True])
def test_one_full_batch_is_never_shuffled_or_bucketed(length_bucketing):
    rng = np.random.RandomState(0)
    state = rng.get_state()[1].copy()
    run = Settings(
        loss="log_loss",
        pooling="last",
        batch_size=50,
        length_bucketing=length_bucketing,
    )
    batches = _epoch_batches(np.arange(50, 0, -1), run, rng)
    assert len(batches) == 1
    np.testing.assert_array_equal(batches[0], np.arange(50))
    # Nothing is drawn: the fit's random stream is that of plain training.
    np.testing.assert_array_equal(rng.get_state()[1], state)


def test_length_bucketing_groups_similar_lengths():
    lengths = np.random.RandomState(0).randint(1, 60, size=160)

    def epoch(**changes):
        return _epoch_batches(
            lengths, batch_settings(**changes), np.random.RandomState(1)
        )

    plain, bucketed = epoch(), epoch(length_bucketing=True)
    # Every sample is used once per epoch either way.
    assert sorted(np.concatenate(plain)) == sorted(np.concatenate(bucketed))
    assert sorted(np.concatenate(bucketed)) == list(range(160))
    spread = [
        np.mean([np.ptp(lengths[b]) for b in batches]) for batches in (plain, bucketed)
    ]
    assert spread[1] < spread[0] / 3
    # The batches of one epoch do not come sorted by length.
    firsts = [lengths[b].max() for b in bucketed]
    assert firsts != sorted(firsts) and firsts != sorted(firsts, reverse=True)
    # Without shuffling there is nothing to bucket.
    unshuffled = epoch(length_bucketing=True, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(unshuffled), np.arange(160))


# ---------------------------------------------------------------- scores and split
@pytest.mark.parametrize("weighted", [False, True])
def test_evaluate_gives_the_weighted_loss_and_score(weighted):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    sequences = Ragged.from_numeric(X[:, :, np.newaxis], np.float64)
    weights = rng.uniform(0.5, 2.0, size=30) if weighted else None
    params = _rnn.init_params(rng, 1, 5, 3, token_input=False)
    logits = _rnn.predict_logits(params, *sequences, pooling="mean")

    y = rng.integers(0, 3, size=30)
    data = DataSet(sequences, y, weights, weights)
    loss, score = evaluate(params, data, settings(pooling="mean"))
    expected = _rnn.LOSSES["log_loss"].per_sample(logits, y)
    assert loss == pytest.approx(np.average(expected, weights=weights), rel=1e-12)
    assert score == pytest.approx(
        accuracy_score(y, logits.argmax(axis=1), sample_weight=weights)
    )

    targets = rng.normal(size=(30, 3))
    data = DataSet(sequences, targets, weights, weights)
    loss, score = evaluate(params, data, settings(pooling="mean", loss="squared_error"))
    expected = 0.5 * ((logits - targets) ** 2).mean(axis=1)
    assert loss == pytest.approx(np.average(expected, weights=weights), rel=1e-12)
    assert score == pytest.approx(r2_score(targets, logits, sample_weight=weights))


def test_validation_split_is_stratified_by_class():
    labels = np.repeat([0, 1, 2], [18, 8, 4])
    for seed in range(5):
        train_idx, valid_idx = validation_split(
            30, 0.2, np.random.RandomState(seed), labels
        )
        assert sorted(np.r_[train_idx, valid_idx]) == list(range(30))
        counts = np.bincount(labels[valid_idx], minlength=3)
        assert counts.sum() == 6 and counts.min() >= 1
        np.testing.assert_allclose(counts, 6 * np.bincount(labels) / 30, atol=1)
    train_idx, valid_idx = validation_split(30, 0.2, np.random.RandomState(0))
    assert len(valid_idx) == 6 and len(train_idx) == 24


@pytest.mark.parametrize(
    "labels, problem",
    [
        # 3 validation samples for 3 classes; proportional allocation gives the
        # rare class none.
        (np.repeat([0, 1, 2], [18, 8, 4]), "1 class.*no validation sample"),
        # 2 validation samples for 3 classes.
        (np.repeat([0, 1, 2], [7, 7, 3]), "test_size"),
        # A class of a single sample cannot be in both parts.
        (np.repeat([0, 1], [19, 1]), "least populated class"),
    ],
    ids=["rare-class", "fraction-too-small", "singleton-class"],
)
def test_impossible_validation_split_says_what_to_change(labels, problem):
    with pytest.raises(ValueError, match=problem) as info:
        validation_split(len(labels), 0.1, np.random.RandomState(0), labels)
    message = str(info.value)
    assert f"validation_fraction=0.1 of {len(labels)} samples" in message
    assert "holding every class" in message
    assert "Raise validation_fraction" in message and "early_stopping=False" in message


# ---------------------------------------------------------------- through fit
@ignore_convergence
def test_verbose_prints_each_epoch_with_the_time_spent_and_left(seed_train, capsys):
    small_rnn(max_iter=5, verbose=1).fit(*seed_train)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    number = r"\d+\.\d+"
    for epoch, line in enumerate(lines[:5], start=1):
        assert re.match(rf"Epoch {epoch}/5: loss {number}, accuracy {number}", line)
        assert "valid" not in line and "lr" not in line
    # Patience (10 epochs) outlasts max_iter: max_iter alone bounds what is left.
    for line in lines[:4]:
        assert re.search(rf", {number} s, {number} s left$", line), line
    # Nothing is left after the last epoch.
    assert re.search(rf", {number} s$", lines[4]), lines[4]
    assert lines[5] == (
        "Reached max_iter=5 epochs; the model keeps the weights of this last epoch."
    )


@ignore_convergence
def test_the_time_left_counts_the_patience_of_the_stopping_rule(seed_train, capsys):
    small_rnn(max_iter=50, n_iter_no_change=3, tol=10.0, verbose=1).fit(*seed_train)
    lines = capsys.readouterr().out.splitlines()
    # Epoch 1 is the first improvement; epoch 2 does not improve by tol.
    assert re.search(
        r", (\d+\.\d+) s left if no better epoch comes, at most \d+\.\d+ s$", lines[1]
    ), lines[1]


@ignore_convergence
@pytest.mark.parametrize(
    "verbose, epochs", [(0, []), (False, []), (3, [1, 3, 6, 7]), (True, range(1, 8))]
)
def test_verbose_prints_every_kth_epoch_and_the_last(
    seed_train, capsys, verbose, epochs
):
    small_rnn(max_iter=7, verbose=verbose).fit(*seed_train)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("Epoch")] == [
        f"Epoch {epoch}/7" for epoch in epochs
    ]
    assert len(lines) == (len(epochs) + 1 if epochs else 0)
    assert captured.err == ""


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@ignore_convergence
def test_verbose_in_a_terminal_redraws_one_line_with_a_bar(seed_train, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "300")
    small_rnn(max_iter=4, verbose=1).fit(*seed_train)
    out = terminal.getvalue()
    # Each epoch redraws the same line; only the last epoch ends it: the bar,
    # the values (first, so that a narrow terminal still shows them), then the
    # time spent and left.
    drawn = out.split("\n")[0].split("\r")[1:]
    number = r"\d+\.\d+"
    for k, line in enumerate(drawn, start=1):
        bar = re.escape(f"Epoch {k}/4 [{'#' * (5 * k)}{'.' * (20 - 5 * k)}]")
        left = rf", {number} s left" if k < 4 else ""
        values = rf"loss {number}, accuracy {number}"
        assert re.fullmatch(rf"{bar} {values} \| {number} s{left}\033\[K", line)
    assert len(drawn) == 4
    assert out.split("\n")[1].startswith("Reached max_iter=4 epochs")


@ignore_convergence
def test_the_line_in_a_terminal_never_wraps(seed_train, monkeypatch):
    """A carriage return goes back to the start of a wrapped line's last row
    only: a line wider than the terminal would leave a trail of rows."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "40")
    small_rnn(max_iter=3, verbose=1).fit(*seed_train)
    drawn = terminal.getvalue().split("\n")[0].split("\r")[1:]
    assert [len(d.removesuffix("\033[K")) for d in drawn] == [39] * 3
    assert drawn[0] == "Epoch 1/3 [#######.............] los...\033[K"
    # At 80 columns the loss and the accuracy are on screen.
    monkeypatch.setenv("COLUMNS", "80")
    terminal.seek(0)
    terminal.truncate()
    small_rnn(max_iter=3, verbose=1).fit(*seed_train)
    drawn = terminal.getvalue().split("\n")[0].split("\r")[1:]
    assert all(re.search(r"loss \d\.\d{4}, accuracy \d\.\d{3}", d) for d in drawn)


@pytest.mark.parametrize(
    "early_stopping, watched", [(False, "training"), (True, "validation")]
)
def test_verbose_reports_an_early_stop(noisy_numeric, capsys, early_stopping, watched):
    clf = small_rnn(
        tol=10.0, n_iter_no_change=2, verbose=1, early_stopping=early_stopping
    )
    clf.fit(*noisy_numeric)
    lines = capsys.readouterr().out.splitlines()
    if early_stopping:
        assert lines.pop(0) == (
            "Watching the validation loss: * marks an epoch that improves it; the "
            "model keeps the weights of the last epoch marked."
        )
    assert [line.startswith("Epoch") for line in lines] == [True] * 3 + [False]
    assert lines[-1].startswith(
        f"Stopped at epoch 3: the {watched} loss did not improve by tol=10.0 "
        "for 2 epochs; the model keeps the "
    )
    kept = (
        "weights of this last epoch."
        if clf.best_epoch_ == 3
        else f"weights of epoch {clf.best_epoch_}, its best."
    )
    assert lines[-1].endswith(kept)


@ignore_convergence
@pytest.mark.parametrize(
    "estimator, score", [(TextRNNClassifier, "accuracy"), (TextRNNRegressor, "R2")]
)
def test_verbose_with_early_stopping_and_plateau(
    noisy_numeric, capsys, estimator, score
):
    X, y = noisy_numeric
    model = small_rnn(
        estimator, max_iter=4, verbose=1, early_stopping=True, learning_rate="plateau"
    )
    model.fit(X, targets_for(estimator, y))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("Watching the validation loss: * marks")
    assert "keeps the weights of" in lines[-1]
    lines = lines[1:-1]
    for line in lines:
        assert re.search(r"valid loss \d+\.\d+", line), line
        assert re.search(rf"valid {score} -?\d\.\d+", line), line
        assert re.search(r"lr \d", line), line
        assert re.search(r"\d+\.\d+ s", line), line
        assert ("accuracy" in line.split("valid")[0]) == (score == "accuracy")
    # The first epoch is always a new best and is marked.
    assert re.search(rf"valid {score} -?\d\.\d+ \*", lines[0]), lines[0]


def test_verbose_names_the_kept_epoch_when_it_is_not_the_last(noisy_numeric, capsys):
    model = TextRNNClassifier(**ES_PARAMS, verbose=10).fit(*noisy_numeric)
    assert model.best_epoch_ < model.n_iter_
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == (
        f"Stopped at epoch {model.n_iter_}: the validation loss did not improve by "
        f"tol=0.0001 for 10 epochs; the model keeps the weights of epoch "
        f"{model.best_epoch_}, its best."
    )


def test_verbose_after_warm_start_counts_the_epochs_of_this_fit(noisy_numeric, capsys):
    model = TextRNNClassifier(**ES_PARAMS, warm_start=True).fit(*noisy_numeric)
    before = model.n_iter_
    model.set_params(verbose=1, max_iter=40).fit(*noisy_numeric)
    lines = capsys.readouterr().out.splitlines()
    ran = model.n_iter_ - before
    # The lines and the ending count this fit's epochs alike; the kept epoch is
    # also named as best_epoch_ counts it, over all fits.
    assert lines[-2].startswith(f"Epoch {ran}/40: ")
    kept = model.best_epoch_ - before
    keeps = (
        "this last epoch"
        if kept == ran
        else f"epoch {kept}, its best"
        if kept > 0
        else "the model this fit started from: no epoch of this fit beat it"
    )
    assert lines[-1].endswith(
        f"the model keeps the weights of {keeps} "
        f"(best_epoch_={model.best_epoch_}, counting earlier fits)."
    )


@pytest.mark.parametrize(
    "kept, keeps",
    [
        (33, "this last epoch"),
        (31, "epoch 1, its best"),
        (30, "the model this fit started from: no epoch of this fit beat it"),
        (12, "the model this fit started from: no epoch of this fit beat it"),
    ],
)
def test_the_ending_of_a_continued_fit_names_the_kept_weights(kept, keeps):
    progress = training_module._Progress(settings(verbose=1), 200, True, 30)
    assert progress._ending(3, True, kept) == (
        "Stopped at epoch 3: the validation loss did not improve by tol=0.0001 for "
        f"10 epochs; the model keeps the weights of {keeps} (best_epoch_={kept}, "
        "counting earlier fits)."
    )


@pytest.mark.parametrize("error", [KeyboardInterrupt, ValueError])
def test_an_error_ends_the_line_a_terminal_shows(split, monkeypatch, error):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    real, calls = training_module._run_epoch, []

    def failing(*args):
        calls.append(None)
        if len(calls) == 3:
            raise error("stop")
        return real(*args)

    monkeypatch.setattr(training_module, "_run_epoch", failing)
    params, optimizer, rng = start()
    with pytest.raises(error):
        train(params, optimizer, split[0], settings(verbose=1, max_iter=5), rng)
    # Two epochs drawn on one line, which the error ends: what is printed next
    # (the traceback, the interrupt's warning) starts on a line of its own.
    out = terminal.getvalue()
    assert out.count("\r") == 2 and out.endswith("\033[K\n")


# ---------------------------------------------------------------- monitor="score"
@pytest.mark.parametrize("estimator", [TextRNNClassifier, TextRNNRegressor])
def test_monitoring_the_score_keeps_the_epoch_of_the_best_score(
    noisy_numeric, estimator
):
    X, y = noisy_numeric
    y = targets_for(estimator, y)
    by_score = estimator(**ES_PARAMS, monitor="score").fit(X, y)
    scores = by_score.validation_scores_
    best = int(np.argmax(scores))  # the first epoch of the best score
    assert by_score.best_epoch_ == best + 1
    assert by_score.best_validation_score_ == max(scores)
    assert by_score.best_loss_ == by_score.validation_loss_curve_[best]
    # It stops n_iter_no_change epochs after the score last improved by tol.
    improved = [
        i for i, s in enumerate(scores) if s > max(scores[:i], default=-np.inf) + 1e-4
    ]
    assert by_score.n_iter_ == min(improved[-1] + 1 + 10, ES_PARAMS["max_iter"])
    # Predictions are those of the kept epoch's weights: the score is reproduced.
    by_loss = estimator(**ES_PARAMS).fit(X, y)
    assert by_loss.best_epoch_ == int(np.argmin(by_loss.validation_loss_curve_)) + 1


def test_monitor_is_validated():
    with pytest.raises(ValueError, match="'monitor' parameter"):
        small_rnn(monitor="accuracy").fit(["a", "b"], [0, 1])


# ---------------------------------------------------------------- validation_data
def _split_in_order(X, y, n_valid=20):
    return (X[:-n_valid], y[:-n_valid]), (X[-n_valid:], y[-n_valid:])


@ignore_convergence
@pytest.mark.parametrize("estimator", [TextRNNClassifier, TextRNNRegressor])
def test_validation_data_replaces_the_random_split(noisy_numeric, estimator):
    X, y = noisy_numeric
    y = targets_for(estimator, y)
    (X_train, y_train), (X_val, y_val) = _split_in_order(X, y)
    model = estimator(hidden_size=8, random_state=0, max_iter=30)
    model.fit(X_train, y_train, validation_data=(X_val, y_val))
    # The records are of this validation set: the kept weights reproduce them.
    kept = model.best_epoch_ - 1
    assert model.validation_scores_[kept] == pytest.approx(
        model.score(X_val, y_val), rel=1e-9
    )
    assert model.best_validation_score_ == model.validation_scores_[kept]
    assert model.t_ == model.n_iter_ * len(y_train)  # no sample was set aside
    # Weights of the validation samples weigh the score; zero drops a sample.
    w = np.ones(len(y_val))
    w[:5] = 0
    weighted = estimator(hidden_size=8, random_state=0, max_iter=3)
    weighted.fit(X_train, y_train, validation_data=(X_val, y_val, w))
    assert weighted.validation_scores_[-1] == pytest.approx(
        weighted.score(X_val[5:], y_val[5:]), rel=1e-9
    )


@ignore_convergence
def test_validation_data_without_early_stopping_is_only_recorded(noisy_numeric):
    (X_train, y_train), (X_val, y_val) = _split_in_order(*noisy_numeric)
    params = {"hidden_size": 8, "random_state": 0, "max_iter": 15}
    recorded = TextRNNClassifier(**params, early_stopping=False).fit(
        X_train, y_train, validation_data=(X_val, y_val)
    )
    plain = TextRNNClassifier(**params, early_stopping=False).fit(X_train, y_train)
    assert_same_weights(recorded, plain)  # the training itself is the same
    assert recorded.best_epoch_ == recorded.n_iter_ == 15
    assert len(recorded.validation_scores_) == 15
    assert recorded.best_validation_score_ == recorded.validation_scores_[-1]
    assert plain.validation_scores_ is None


@ignore_convergence
def test_validation_data_through_a_pipeline(seed_train, seed_test):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = make_pipeline(
        FunctionTransformer(lambda docs: [d.lower() for d in docs]),
        small_rnn(max_iter=5),
    )
    pipe.fit(*seed_train, textrnnclassifier__validation_data=seed_test)
    assert len(pipe[-1].validation_scores_) == pipe[-1].n_iter_


@pytest.mark.parametrize(
    "validation_data, match",
    [
        ("not a tuple", "must be a tuple .* got str"),
        ((["good"],), "got a tuple of 1 items"),
        (
            ([[1.0, 2.0]], [0]),
            r"does not match the training data: X_val is numeric \(list\), but X "
            "is text: the validation samples must be the same kind of input",
        ),
        (
            (["good", "bad", "ok"], ["pos", "maybe", "no"]),
            r"does not match .*y_val holds labels \['maybe', 'no'\] that y does "
            r"not: the classes are \['neg', 'pos'\], learnt from y\. Validate",
        ),
        ((["good", "bad"], ["pos"]), "does not match .*inconsistent numbers"),
        ((["good", "bad"], ["pos", "neg"], [0, 0]), "does not match .*zero for every"),
        ((["good", "bad"], ["pos", "neg"], [1, -1]), "does not match .*non-negative"),
        (([], []), "does not match .*0 samples"),
        ((["good", "bad"], None), "does not match .*y_val is None: pass the targets"),
    ],
)
def test_validation_data_that_does_not_fit_is_named(validation_data, match):
    X, y = ["good", "not good", "bad", "fine"], ["pos", "neg", "neg", "pos"]
    model = small_rnn(max_iter=2)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y, validation_data=validation_data)
    assert not hasattr(model, "input_mode_")


@pytest.mark.parametrize(
    "X_val, match",
    [
        (
            ["a text"] * 20,
            r"X_val is text, but X is numeric sequences: the validation samples",
        ),
        (
            np.zeros((20, 4)),
            "X_val is an array of 4 time steps, but X was one of 5: an array is "
            "read at the width fit saw, as in predict. Pad X_val at the end with "
            "NaN to 5 steps, or pass its sequences as a list of arrays",
        ),
        (
            np.zeros((20, 5, 2)),
            r"X_val has 2 feature\(s\) per time step, but X has 1\.",
        ),
    ],
)
def test_numeric_validation_data_is_read_as_predict_reads(noisy_numeric, X_val, match):
    model = small_rnn(max_iter=2)
    with pytest.raises(ValueError, match=match):
        model.fit(*noisy_numeric, validation_data=(X_val, np.zeros(20, dtype=int)))


@ignore_convergence
def test_the_targets_of_validation_data_are_those_of_y(noisy_numeric):
    X, y = noisy_numeric
    (X_train, y_train), (X_val, y_val) = _split_in_order(X, y.astype(float))
    model = small_rnn(TextRNNRegressor, max_iter=3, early_stopping=False)
    # One target per sample: (n,) and (n, 1) are the same targets.
    as_column = model.fit(X_train, y_train, validation_data=(X_val, y_val[:, None]))
    scores = as_column.validation_scores_
    assert scores == (
        model.fit(X_train, y_train, validation_data=(X_val, y_val)).validation_scores_
    )
    assert (
        scores
        == model.fit(
            X_train, y_train[:, None], validation_data=(X_val, y_val)
        ).validation_scores_
    )
    two = np.c_[y_train, -y_train]
    with pytest.raises(ValueError, match=r"y_val has shape \(20,\), but y has 2 t"):
        model.fit(X_train, two, validation_data=(X_val, y_val))
    # Generators are read once, as fit reads them.
    model.fit(X_train, y_train, validation_data=(iter(X_val), iter(y_val)))
    assert model.validation_scores_ == scores


def test_validation_data_learns_no_words(seed_train):
    X, y = seed_train
    model = small_rnn(max_iter=2, early_stopping=False)
    validation_data = (["zebra quokka"] * 2, [y[0], y[1]])
    vocabulary = fit_quietly(model, X, y, validation_data=validation_data).tokenizer_
    assert "zebra" not in vocabulary.vocabulary_
    assert vocabulary.vocabulary_ == fit_quietly(model, X, y).tokenizer_.vocabulary_


def test_partial_fit_takes_no_validation_data(seed_train):
    X, y = seed_train
    with pytest.raises(TypeError, match="unexpected keyword argument 'validation_"):
        small_rnn().partial_fit(X, y, classes=sorted(set(y)), validation_data=(X, y))


@ignore_convergence
def test_validation_data_with_metadata_routing(noisy_numeric):
    from sklearn import config_context
    from sklearn.pipeline import make_pipeline

    (X_train, y_train), validation_data = _split_in_order(*noisy_numeric)
    with config_context(enable_metadata_routing=True):
        model = small_rnn(max_iter=3).set_fit_request(validation_data=True)
        make_pipeline(model).fit(X_train, y_train, validation_data=validation_data)
    assert len(model.validation_scores_) == 3


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
    clf = small_rnn(pooling="auto", **params).fit(*noisy_numeric)
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


@pytest.mark.parametrize("early_stopping", [False, True])
def test_max_iter_exhausted_warns(noisy_numeric, early_stopping):
    clf = small_rnn(max_iter=3, early_stopping=early_stopping)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        clf.fit(*noisy_numeric)
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_) == 3


@ignore_convergence
@pytest.mark.parametrize(
    "solver, learning_rate, max_iter",
    [
        ("adam", 1e6, 20),
        ("adam", 1e100, 20),
        ("adam", 1e300, 20),
        ("sgd", 1e6, 20),
        ("sgd", 1e100, 20),
        ("sgd", 1e300, 20),
        # The last update of a fit has no loss computed after it.
        ("adam", 1e308, 1),
    ],
)
def test_huge_learning_rate_never_leaves_nan(
    seed_train, solver, learning_rate, max_iter
):
    """A fit ends with finite weights or raises, naming the learning rate, and then
    leaves the estimator unfitted (that a fitted one stays as it was is tested in
    test_base.py)."""
    clf = small_rnn(
        solver=solver,
        learning_rate_init=learning_rate,
        clip_norm=None,
        max_iter=max_iter,
    )
    try:
        clf.fit(*seed_train)
    except ValueError as error:
        assert "learning_rate_init" in str(error)
        assert not hasattr(clf, "classes_")
    else:
        for attr in WEIGHT_ATTRIBUTES:
            assert np.all(np.isfinite(getattr(clf, attr))), attr
        assert np.all(np.isfinite(clf.predict_proba(seed_train[0])))


def no_escape(call, *args, **kwargs):
    """Run call; an escaping KeyboardInterrupt fails the test, not the session."""
    try:
        return call(*args, **kwargs)
    except KeyboardInterrupt:
        pytest.fail("the simulated KeyboardInterrupt escaped after complete epochs")


def test_interrupt_after_epochs_keeps_a_usable_model(seed_train, monkeypatch):
    X, y = seed_train
    interrupt_on_call(monkeypatch, 4)
    clf = small_rnn(max_iter=50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert no_escape(clf.fit, X, y) is clf
    messages = [str(w.message) for w in caught if w.category is UserWarning]
    assert messages == [
        "Training interrupted by the user after 3 epochs; the model keeps the "
        "weights of epoch 3."
    ]
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


def test_interrupt_with_early_stopping_keeps_the_best_epoch(
    es_model, noisy_numeric, monkeypatch
):
    # Interrupt after more epochs than the best one but before the natural stop.
    completed = es_model.best_epoch_ + 3
    assert completed < es_model.n_iter_
    interrupt_on_call(monkeypatch, completed + 1)
    with pytest.warns(UserWarning, match="interrupted") as record:
        clf = no_escape(TextRNNClassifier(**ES_PARAMS).fit, *noisy_numeric)
    assert f"keeps the weights of epoch {es_model.best_epoch_}" in str(
        record[0].message
    )
    assert clf.n_iter_ == completed
    assert clf.best_epoch_ == es_model.best_epoch_
    assert clf.best_loss_ == es_model.best_loss_
    assert clf.best_validation_score_ == es_model.best_validation_score_
    assert clf.validation_loss_curve_ == es_model.validation_loss_curve_[:completed]
    assert_same_weights(clf, es_model)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_a_blow_up_with_a_finite_loss_raises_and_keeps_the_model(
    fitted_text, seed_train, seed_test, how
):
    """A huge learning rate can wreck a fitted model while its loss stays finite:
    the loss rising far above where the call started is divergence too."""
    clf = copy.deepcopy(fitted_text)
    clf.set_params(learning_rate_init=1e6, warm_start=how == "warm_start")
    before, proba = copy.deepcopy(vars(clf)), clf.predict_proba(seed_test[0])
    with pytest.raises(ValueError, match="diverged at epoch") as excinfo:
        (clf.fit if how == "warm_start" else clf.partial_fit)(*seed_train)
    message = str(excinfo.value)
    assert re.search(
        r"the loss (rose to \S+, more than 100 times|of the final)", message
    )
    assert "Lower learning_rate_init" in message
    assert "left as it was before this call" in message
    assert_same_state(before, vars(clf))
    np.testing.assert_array_equal(clf.predict_proba(seed_test[0]), proba)


def test_a_last_update_that_blows_up_is_caught_from_the_kept_weights(split):
    """The last update's loss is never computed during training (one full batch:
    one update); the kept weights' own loss is checked."""
    params, _, rng = start()
    optimizer = SGD(params, learning_rate=1e4)
    run = settings(clip_norm=None, batch_size=60, incremental=True)
    with pytest.raises(ValueError, match="diverged at epoch 1: the loss of the final"):
        train(params, optimizer, split[0], run, rng)


def test_a_learning_rate_too_small_to_change_anything_warns(seed_train):
    clf = small_rnn(learning_rate_init=1e-300)
    with pytest.warns(ConvergenceWarning) as record:
        clf.fit(*seed_train)
    (message,) = [str(w.message) for w in record]
    assert message.startswith(
        f"Training did not change the model in {clf.n_iter_} epochs: the training "
        "loss stayed at"
    )
    assert "Raise learning_rate_init (the learning rate was 1e-300)" in message


def test_warnings_as_errors_keep_the_trained_model(seed_train):
    """A warning turned into an error is raised after the model is published: the
    training it reports on is not thrown away."""
    clf = small_rnn(max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConvergenceWarning, match="max_iter=3"):
            clf.fit(*seed_train)
    assert clf.n_iter_ == 3
    assert_same_weights(clf, fit_quietly(small_rnn(max_iter=3), *seed_train))


def test_an_interrupt_under_warnings_as_errors_keeps_what_it_says(
    seed_train, monkeypatch
):
    interrupt_on_call(monkeypatch, 4)
    clf = small_rnn(max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="keeps the weights of epoch 3"):
            no_escape(clf.fit, *seed_train)
    assert clf.n_iter_ == clf.best_epoch_ == 3
    monkeypatch.undo()
    assert_same_weights(clf, fit_quietly(small_rnn(max_iter=3), *seed_train))


@ignore_convergence  # the run had reached max_iter when interrupted
@pytest.mark.parametrize(
    "owner, name, k",
    [
        # After the last epoch, inside train: the last progress report, the
        # result's final check.
        (training_module._Progress, "report", 3),
        (Run, "finish", 1),
        # In the estimator, building the fitted state and issuing the warning.
        (base_module.BaseTextRNN, "_fitted_state", 1),
        (base_module, "warn", 1),
    ],
)
def test_an_interrupt_after_the_last_epoch_keeps_the_training(
    seed_train, monkeypatch, owner, name, k
):
    expected = fit_quietly(small_rnn(max_iter=3), *seed_train)
    interrupt_once(monkeypatch, owner, name, k)
    clf = small_rnn(max_iter=3)
    with pytest.warns(UserWarning, match="interrupted by the user") as record:
        no_escape(clf.fit, *seed_train)
    messages = [str(w.message) for w in record if "interrupted" in str(w.message)]
    assert messages and all(
        m.endswith("the model keeps the weights of epoch 3.") for m in messages
    )
    assert clf.n_iter_ == clf.best_epoch_ == 3
    assert_same_weights(clf, expected)
    assert clf.loss_curve_ == expected.loss_curve_


def test_a_near_perfect_fit_of_constant_targets_is_not_divergence():
    """Constant targets make the constant model's loss zero; the reference has a
    floor, so Adam's jitter around a near-zero loss is not taken for a blow-up."""
    X = np.random.RandomState(0).randn(60, 5, 2)
    model = TextRNNRegressor(
        alpha=0,
        random_state=0,
        hidden_size=8,
        max_iter=300,
        tol=0,
        n_iter_no_change=1000,
        learning_rate_init=0.05,
        warm_start=True,
    )
    for _ in range(4):
        fit_quietly(model, X, np.zeros(60))
    assert model.n_iter_ == 1200


def test_an_unchanged_model_is_not_said_to_be_still_improving(seed_train):
    with pytest.warns(ConvergenceWarning) as record:
        small_rnn(max_iter=3, learning_rate_init=1e-300).fit(*seed_train)
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and messages[0].startswith("Training did not change")


@pytest.mark.parametrize("fraction, change", [(0.99, "Lower"), (0.1, "Raise")])
def test_a_split_that_cannot_be_made_says_which_way_to_move_the_fraction(
    fraction, change
):
    with pytest.raises(ValueError) as info:
        validation_split(4, fraction, np.random.RandomState(0), np.array([0, 1] * 2))
    message = str(info.value)
    assert f". {change} validation_fraction, provide more samples" in message
    assert ".." not in message


@ignore_convergence
@pytest.mark.parametrize(
    "params", [{}, {"early_stopping": False}], ids=["auto-small", "early-stopping-off"]
)
def test_monitoring_the_score_without_a_validation_set_says_it_did_nothing(
    seed_train, params
):
    with pytest.warns(UserWarning, match="monitor='score' had no effect"):
        model = small_rnn(monitor="score", max_iter=3, **params).fit(*seed_train)
    assert model.best_validation_score_ is None
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="monitor=")
        small_rnn(monitor="score", max_iter=3, early_stopping=True).fit(*seed_train)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_a_diverging_run_with_clipping_on_names_only_the_remedy_left(
    split, nonlinearity
):
    """Clipping already bounds the gradients: the message does not suggest it
    again, and a ReLU network is told it needs a smaller rate."""
    params, _, rng = start()
    optimizer = SGD(params, learning_rate=1e308)
    run = settings(clip_norm=5.0, nonlinearity=nonlinearity)
    with pytest.raises(ValueError, match="diverged at epoch 1") as info:
        train(params, optimizer, split[0], run, rng)
    message = str(info.value)
    assert "clip_norm=5.0 already bounds the gradients" in message
    assert "set clip_norm" not in message
    assert ("ReLU states are unbounded" in message) == (nonlinearity == "relu")
