"""The epoch loop over arrays: batches, stopping rules, best weights, progress.

Nothing here knows an estimator: :func:`train` takes parameters, an optimizer,
named data sets and a :class:`Settings`, and returns a :class:`Result`. The
estimators turn their parameters into settings and the result into fitted
attributes.
"""

import shutil
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from . import _rnn
from ._optimizers import clip_gradients
from ._parallel import ShardedBatch, Shards
from ._sequences import take

# Sequences run together when the validation set is evaluated: bounds memory for
# any number of samples.
PREDICT_CHUNK = 1024

# Batches per pool sorted by length when ``length_bucketing`` is on: enough for
# similar lengths within a batch, few enough that batches still change each epoch.
_BUCKET_POOL = 8


@dataclass
class DataSet:
    """Sequences with their targets and weights.

    ``sequences`` are :class:`~._sequences.Ragged` for training; before that, the
    estimators keep raw samples here (a list of documents or an (n, T, F) array),
    which ``take`` selects alike. ``weights`` weigh each sample's loss (sample and
    class weights); None weighs all alike. ``score_weights`` are the caller's
    sample weights: they weigh the validation score.
    """

    sequences: object
    targets: np.ndarray
    weights: np.ndarray | None = None
    score_weights: np.ndarray | None = None

    def __len__(self):
        return len(self.targets)

    def take(self, indices):
        """The samples at ``indices`` (raw sequences only)."""

        def pick(a):
            return None if a is None else a[indices]

        return DataSet(
            take(self.sequences, indices),
            self.targets[indices],
            pick(self.weights),
            pick(self.score_weights),
        )

    def positive(self, weights):
        """These samples without those of zero ``weights``: a zero weight must act
        exactly as an absent sample."""
        if weights is None or (weights > 0).all():
            return self
        return self.take(np.flatnonzero(weights > 0))


@dataclass
class Settings:
    """How to train: the estimator's parameters, resolved."""

    loss: str
    pooling: str
    batch_size: int
    nonlinearity: str = "tanh"
    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10
    alpha: float = 0.0
    input_dropout: float = 0.0
    layer_dropout: float = 0.0
    dropout: float = 0.0
    # Parameters held fixed (a frozen pretrained embedding): no update, no penalty.
    frozen: tuple = ()
    clip_norm: float | None = None
    clip_value: float | None = None
    shuffle: bool = True
    length_bucketing: bool = False
    schedule: object = None  # a learning-rate schedule, e.g. _optimizers.Plateau
    verbose: int = 0
    incremental: bool = False  # one epoch, no stopping rule, no schedule
    name: str = "The estimator"  # for messages
    # What the stopping rule and the kept weights follow on a validation set: its
    # "loss" (lower is better) or its "score" (accuracy or R^2, higher is better).
    monitor: str = "loss"
    # False: a validation set is only evaluated and recorded; the training loss
    # stops training and the last epoch's weights are kept.
    watch_validation: bool = True
    # Processes computing the shards of each batch (see _parallel).
    n_workers: int = 1

    def shard_spec(self):
        """What every shard's loss and gradients are computed with, but the
        weights and the random draws."""
        return {"loss": self.loss, "frozen": self.frozen, **self.network()}

    def network(self):
        """The network's own options, as the recurrent math's ``forward`` takes
        them."""
        return {
            "pooling": self.pooling,
            "nonlinearity": self.nonlinearity,
            "input_dropout": self.input_dropout,
            "layer_dropout": self.layer_dropout,
            "output_dropout": self.dropout,
        }


@dataclass
class Result:
    """What a training run produced.

    ``params`` are the weights to keep: the best epoch's with validation, the
    last epoch's otherwise. ``records`` hold one dict per epoch. ``best_loss`` is
    the validation loss of the kept weights (the lowest one, unless the score is
    monitored), or without a watched validation set the lowest training loss;
    ``best_score`` is the validation score of the kept weights.
    ``warnings`` are (message, category) pairs for the caller to issue once it
    has kept the result: issued inside the run, a warning turned into an error
    would throw the trained model away.
    """

    params: dict
    records: list
    best_epoch: int
    best_loss: float
    best_score: float | None
    warnings: list = field(default_factory=list)


# A loss this many times above its reference (see Run.limit) means the updates
# are blowing the model up, even while the loss is still finite.
DIVERGENCE_FACTOR = 100
# The smallest reference, of the order of a constant model's loss on standardised
# targets (0.5) or of a two-class guess (ln 2). A near-perfect fit from the start
# (one sample, or near-constant targets) has a loss near zero, and Adam's first,
# sign-sized steps take a large network to losses of 10-30 and back: transient,
# not divergence.
_LOSS_FLOOR = 1.0


def epochs(n):
    """``n`` epochs, in words: "1 epoch", "3 epochs"."""
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def raise_diverged(epoch, what, settings):
    if settings.clip_norm is None and settings.clip_value is None:
        remedy = "Lower learning_rate_init, or set clip_norm (or clip_value) to "
        remedy += "bound the updates."
    else:
        # Clipping is on already: only a smaller step helps.
        bound = (
            f"clip_norm={settings.clip_norm}"
            if settings.clip_norm is not None
            else f"clip_value={settings.clip_value}"
        )
        remedy = f"Lower learning_rate_init ({bound} already bounds the gradients)."
    if settings.nonlinearity == "relu":
        remedy += (
            " ReLU states are unbounded and usually need a smaller rate, e.g. 1e-3."
        )
    raise ValueError(
        f"Training diverged at epoch {epoch}: {what}. {remedy} The estimator was "
        "left as it was before this call, so a previously fitted model is still "
        "usable."
    )


def train_step(
    params,
    optimizer,
    batch,
    targets,
    weights,
    settings,
    rng,
    epoch=0,
    limit=np.inf,
    threads=None,
):
    """One update on one batch (packed, or sharded): loss and gradients,
    clipping, the optimizer's step, which ``threads`` (a
    :class:`~._optimizers.Threads`) share.
    Returns the batch's loss (before the update) and outputs.

    A loss that is not finite, or above ``limit``, raises the divergence error
    before the update."""
    if isinstance(batch, ShardedBatch):
        loss, grads, outputs = batch.loss_and_gradients(
            targets, weights, settings.alpha, rng
        )
    else:
        loss, grads, outputs = _rnn.loss_and_gradients(
            params,
            batch,
            targets,
            sample_weight=weights,
            alpha=settings.alpha,
            sparse=True,
            rng=rng,
            **settings.shard_spec(),
        )
    if not np.isfinite(loss):
        raise_diverged(epoch, f"the loss is {loss}", settings)
    if loss > limit:
        raise_diverged(epoch, _blown_up(loss, limit), settings)
    clip_gradients(grads, clip_value=settings.clip_value, clip_norm=settings.clip_norm)
    optimizer.step(params, grads, threads=threads)
    return loss, outputs


def _blown_up(loss, limit, what="the loss"):
    return (
        f"{what} rose to {loss:.3g}, more than {DIVERGENCE_FACTOR} times the "
        f"larger of its value when this call started and the loss of a constant "
        f"model ({limit / DIVERGENCE_FACTOR:.3g})"
    )


class _Snapshot:
    """The weights a training run will end with, safe from an interrupt.

    ``take`` copies into a spare buffer and then publishes it with one assignment,
    so a ``KeyboardInterrupt`` arriving mid-copy never leaves a torn mix of two
    epochs in ``state``. Two buffers are reused, so no epoch allocates.
    """

    def __init__(self, params, epoch, score=None, *, enabled=True):
        self.enabled = enabled
        if enabled:
            self._spare = _copy(params)
            self.state = (_copy(params), epoch, score)
        else:
            self.state = (None, epoch, score)

    def take(self, params, epoch, score=None):
        if not self.enabled:
            return
        spare = self._spare
        for name, value in params.items():
            np.copyto(spare[name], value)
        previous = self.state[0]
        self.state = (spare, epoch, score)
        self._spare = previous


def _copy(params):
    return {name: value.copy() for name, value in params.items()}


def evaluate(params, data, settings):
    """Validation (loss, score) of ``params``: the weighted mean loss (no
    penalty) and the weighted accuracy (log loss) or R^2 (squared error)."""
    logits = _rnn.predict_logits(
        params,
        *data.sequences,
        PREDICT_CHUNK,
        pooling=settings.pooling,
        nonlinearity=settings.nonlinearity,
    )
    losses = _rnn.LOSSES[settings.loss].per_sample(logits, data.targets)
    score = _SCORES[settings.loss](logits, data.targets, data.score_weights)
    return float(np.average(losses, weights=data.weights)), score


def constant_model_loss(data, loss, n_outputs):
    """The loss of a model that ignores its input: the reference a diverging
    model's loss is compared with. For the log loss, the uniform prediction
    (``log(n_classes)``); for the squared error, predicting zero (the mean, for
    standardized targets)."""
    if loss == "log_loss":
        return float(np.log(n_outputs))
    per_sample = 0.5 * np.mean(np.square(data.targets), axis=1)
    return float(np.average(per_sample, weights=data.weights))


def _accuracy(logits, y, weights):
    return float(np.average(logits.argmax(axis=1) == y, weights=weights))


def _r2(predictions, y, weights):
    """R^2 averaged uniformly over the outputs (scikit-learn's default)."""
    w = np.ones(len(y)) if weights is None else weights
    mean = np.average(y, axis=0, weights=w)
    residual = np.average((y - predictions) ** 2, axis=0, weights=w)
    total = np.average((y - mean) ** 2, axis=0, weights=w)
    # A constant target is explained perfectly or not at all.
    r2 = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), 0.0)
    r2[(total == 0) & (residual == 0)] = 1.0
    return float(r2.mean())


_SCORES = {"log_loss": _accuracy, "squared_error": _r2}


class Run:
    """A training run's progress, complete at every moment.

    :func:`train` keeps it up to date epoch by epoch, so that when an interrupt
    arrives, wherever it lands, the caller can still :meth:`finish` with the
    epochs completed so far.
    """

    def __init__(self):
        self.records = []
        self.kept = None  # a _Snapshot
        self.best_loss = np.inf  # the lowest loss the stopping rule has seen
        # What the stopping rule compares, lower is better: the watched loss, or
        # minus the validation score.
        self.best_watched = np.inf
        self.kept_loss = np.inf  # the validation loss of the kept weights
        self.baseline = 0.0  # the loss of a constant model on the training data
        # The divergence threshold: DIVERGENCE_FACTOR times the larger of the
        # baseline and the loss of the call's first batch (set by that batch).
        self.limit = np.inf
        self.stopped = False
        self.unchanged = False

    def gained(self):
        """Whether an interrupted run has anything to keep: a completed epoch."""
        return bool(self.records) and self.kept is not None and self.kept.enabled

    def finish(self, data, valid, settings, *, interrupted=False):
        """The result: the kept weights (checked for a blow-up the last update may
        have caused), the records, and the warnings to issue."""
        params, best_epoch, score = self.kept.state
        warnings = []
        if interrupted:
            warnings.append(
                (
                    f"Training interrupted by the user after "
                    f"{epochs(len(self.records))}; the model keeps the weights of "
                    f"epoch {best_epoch}.",
                    UserWarning,
                )
            )
        elif not self.stopped and not settings.incremental and not self.unchanged:
            warnings.append(
                (
                    f"{settings.name} reached max_iter={settings.max_iter} epochs "
                    "and the loss is still improving. Raise max_iter or "
                    "learning_rate_init for a closer fit.",
                    ConvergenceWarning,
                )
            )
        if self.unchanged and not interrupted:
            warnings.append(
                (
                    f"Training did not change the model in "
                    f"{epochs(len(self.records))}: the training loss stayed at "
                    f"{self.records[-1]['train_loss']:.6g}. The updates are too "
                    "small to matter, or the gradients are zero. Raise "
                    f"learning_rate_init (the learning rate was "
                    f"{self.records[-1]['learning_rate']:g}).",
                    ConvergenceWarning,
                )
            )
        # The last update's loss is never computed during training: check the
        # kept weights' own loss. Without validation that is one more pass over
        # the training data; with it, the validation loss is known already.
        watched = valid is not None and settings.watch_validation
        if not watched:
            kept_loss = evaluate(params, data, settings)[0]
            if self.records and settings.incremental:
                total = len(data) if data.weights is None else data.weights.sum()
                self.records[-1]["train_loss"] = kept_loss + _rnn.penalty(
                    params, settings.alpha, total, settings.frozen
                )
        else:
            kept_loss = self.kept_loss
        if not np.isfinite(kept_loss):
            raise_diverged(
                best_epoch, f"the loss of the final weights is {kept_loss}", settings
            )
        if kept_loss > self.limit:
            raise_diverged(
                best_epoch,
                _blown_up(kept_loss, self.limit, "the loss of the final weights"),
                settings,
            )
        best_loss = self.kept_loss if watched else self.best_loss
        return Result(params, self.records, best_epoch, best_loss, score, warnings)


def train(
    params,
    optimizer,
    data,
    settings,
    rng,
    *,
    valid=None,
    first_epoch=0,
    start_epoch=None,
    compete=False,
    run=None,
):
    """Train ``params`` (updated in place) and return a :class:`Result`.

    Epochs are numbered from ``first_epoch + 1``; ``start_epoch`` is the epoch
    whose weights ``params`` hold on entry (default ``first_epoch``). With
    ``valid`` and ``compete``, the incoming weights compete with the new epochs
    for the lowest validation loss, so continuing a model never makes it worse.

    ``run`` (a :class:`Run`) receives the progress as it is made: a caller that
    catches an interrupt can still finish it. A loss that becomes non-finite or
    rises more than ``DIVERGENCE_FACTOR`` times above its reference raises the
    divergence error.
    """
    run = Run() if run is None else run
    n_epochs = 1 if settings.incremental else settings.max_iter
    watch = valid is not None and settings.watch_validation

    def watched(loss, score):
        return -score if watch and settings.monitor == "score" else loss

    best_score = None
    if watch and compete:
        run.kept_loss, best_score = evaluate(params, valid, settings)
        run.best_loss = run.kept_loss
        run.best_watched = watched(run.kept_loss, best_score)
    start = first_epoch if start_epoch is None else start_epoch
    run.kept = _Snapshot(params, start, best_score, enabled=not settings.incremental)
    run.baseline = constant_model_loss(data, settings.loss, params["b_y"].shape[0])
    progress = _Progress(settings, n_epochs, watch, first_epoch)
    no_improvement = 0
    cache = {}
    shards = Shards(
        params,
        data.sequences,
        settings.shard_spec(),
        settings.n_workers,
        settings.batch_size,
    )
    # An error or an interrupt ends the progress line a terminal may show.
    with progress, shards:
        for epoch in range(1, n_epochs + 1):
            number = first_epoch + epoch
            epoch_start = time.perf_counter()
            record = {"epoch": number, "learning_rate": optimizer.learning_rate}
            record.update(
                _run_epoch(shards, optimizer, data, settings, rng, number, cache, run)
            )
            loss, score = record["train_loss"], None
            if valid is not None:
                valid_loss, score = evaluate(params, valid, settings)
                record["valid_loss"], record["valid_score"] = valid_loss, score
                if watch:
                    loss = valid_loss
            value = watched(loss, score)
            best = bool(value < run.best_watched)
            if watch:
                record["best"] = best
            record["seconds"] = time.perf_counter() - epoch_start
            improved = value < run.best_watched - settings.tol
            # The record first: an interrupt between the two lines leaves the
            # previous epoch's weights kept, which the run then reports as kept.
            run.records.append(record)
            if not watch:
                run.kept.take(params, number, score)
            elif best:
                run.kept.take(params, number, score)
                run.kept_loss = loss
            run.best_watched = min(run.best_watched, value)
            run.best_loss = min(run.best_loss, loss)

            no_improvement = 0 if improved else no_improvement + 1
            run.stopped = (
                not settings.incremental and no_improvement >= settings.n_iter_no_change
            )
            progress.report(
                record, epoch, run.stopped, no_improvement, run.kept.state[1]
            )
            if run.stopped:
                break
            if settings.schedule is not None and not settings.incremental:
                settings.schedule.observe(improved)
                settings.schedule.adjust(optimizer)
    # Unchanged weights give the same loss every epoch, up to the order in which
    # shuffled mini-batches are summed: a spread of 1e-12 is nothing but that.
    losses = [r["train_loss"] for r in run.records]
    run.unchanged = len(losses) > 1 and max(losses) - min(losses) <= 1e-12 * max(losses)
    if not run.kept.enabled:
        run.kept.state = (params, first_epoch + len(run.records), None)
    result = run.finish(data, valid, settings)
    if shards.notice is not None:
        result.warnings.append((shards.notice, UserWarning))
    return result


def _run_epoch(shards, optimizer, data, settings, rng, epoch, cache, run):
    """One pass over the training data; returns the epoch's record entries: the
    mean training loss, and for classification the running accuracy.

    ``shards`` (:class:`~._parallel.Shards`) holds the weights and makes the
    batches. ``cache`` keeps the batch of full-batch training between epochs.
    ``run`` holds the divergence threshold, which the call's first batch sets.
    """
    params = shards.params
    targets, weights = data.targets, data.weights
    n_samples = len(data)
    classify = settings.loss == "log_loss"
    epoch_loss, n_correct = 0.0, 0
    strata = _strata(targets) if settings.length_bucketing else None
    for idx in _epoch_batches(data.sequences.lengths, settings, rng, strata):
        if len(idx) == n_samples:
            if "full" not in cache:
                cache["full"] = shards.batch(idx)
            batch = cache["full"]
        else:
            batch = shards.batch(idx)
        loss, outputs = train_step(
            params,
            optimizer,
            batch,
            targets[idx],
            None if weights is None else weights[idx],
            settings,
            rng,
            epoch,
            run.limit,
            shards.threads,
        )
        if run.limit == np.inf:
            # The call's first batch sets the reference of the divergence check.
            run.limit = DIVERGENCE_FACTOR * max(loss, run.baseline, _LOSS_FLOOR)
        epoch_loss += loss * len(idx)
        if classify:
            n_correct += int((outputs.argmax(axis=1) == targets[idx]).sum())
    # |h| <= 1, so finite sums of absolute weights bound every pre-activation and
    # output: this also catches an epoch's last update, whose loss is never
    # computed, before it leaves a model that predicts NaN.
    with np.errstate(over="ignore"):
        bounded = all(np.isfinite(np.abs(p).sum()) for p in params.values())
    if not bounded:
        raise_diverged(epoch, "the weights overflowed", settings)
    record = {"train_loss": epoch_loss / n_samples}
    if classify:
        record["train_accuracy"] = n_correct / n_samples
    return record


def _strata(targets, n_bins=5):
    """What length-bucketed batches keep mixed: the class of each sample, or for
    regression the quintile of its (first) target."""
    if targets.ndim == 1:
        return targets
    first = targets[:, 0]
    edges = np.quantile(first, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.searchsorted(edges, first, side="right")


def _epoch_batches(lengths, settings, rng, strata=None):
    """The sample indices of each mini-batch of one epoch, in training order.

    ``strata`` (one label per sample, e.g. its class) keeps every stratum's share
    of each length-bucketed batch close to its share of the data."""
    n_samples, batch_size = len(lengths), settings.batch_size
    if n_samples <= batch_size:
        # One batch: its gradient does not depend on the order, so there is
        # nothing to shuffle (and it can be packed once for all epochs).
        return [np.arange(n_samples)]
    order = rng.permutation(n_samples) if settings.shuffle else np.arange(n_samples)
    bucket = settings.length_bucketing and settings.shuffle
    if not bucket or lengths.min() == lengths.max():
        return [order[s : s + batch_size] for s in range(0, n_samples, batch_size)]
    # Sort each pool of a few shuffled batches by length and cut it again, so
    # that a batch holds sequences of similar length: a long sequence no longer
    # runs its last steps alone, one small matrix product per step. Sorting by
    # length alone would give batches of one class where length goes with the
    # class, so the pool is sorted by each sample's rank among the lengths of
    # its own stratum: every batch takes the same slice of ranks from each
    # stratum. The batches are then shuffled, so lengths do not come in order.
    pool = batch_size * _BUCKET_POOL
    batches = []
    for start in range(0, n_samples, pool):
        part = order[start : start + pool]
        part = part[
            np.argsort(_stratum_rank(lengths[part], strata, part), kind="stable")
        ]
        batches += [part[s : s + batch_size] for s in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _stratum_rank(lengths, strata, part):
    """Each sample's rank by length within its stratum, as a fraction in (0, 1);
    equal lengths keep their (shuffled) order."""
    groups = np.zeros(len(part), dtype=np.intp) if strata is None else strata[part]
    rank = np.empty(len(part))
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        by_length = members[np.argsort(lengths[members], kind="stable")]
        rank[by_length] = (np.arange(len(members)) + 0.5) / len(members)
    return rank


class _Progress:
    """Progress as ``settings.verbose`` asks.

    In a terminal, one line redrawn in place every epoch, with a bar; elsewhere
    (a log file, a notebook) a line every ``verbose``-th epoch, the first and the
    last. Either way the end says why training stopped and which epoch's weights
    the model keeps. Epochs are counted within the call; a continued fit
    (``warm_start``) also names the kept epoch as ``best_epoch_`` counts it.
    Used as a context manager: an error or an interrupt ends a line left open.
    """

    _BAR = 20

    def __init__(self, settings, n_epochs, watch, first_epoch=0):
        self.settings = settings
        self.every = int(settings.verbose)
        self.n_epochs = n_epochs
        self.watch = watch
        self.first_epoch = first_epoch
        self.start = time.perf_counter()
        self.live = bool(self.every) and _is_terminal(sys.stdout)
        self.open = False  # a redrawn line awaits its end
        if self.every and watch:
            what = "score" if settings.monitor == "score" else "loss"
            print(
                f"Watching the validation {what}: * marks an epoch that improves "
                "it; the model keeps the weights of the last epoch marked."
            )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.open:
            self.open = False
            print(flush=True)

    def report(self, record, epoch, stopped, no_improvement, kept_epoch):
        if not self.every:
            return
        last = epoch == self.n_epochs or stopped
        line = self._line(record, epoch, no_improvement, last)
        if self.live:
            print("\r" + line + "\033[K", end="\n" if last else "", flush=True)
            self.open = not last
        elif epoch == 1 or epoch % self.every == 0 or last:
            print(line)
        if last and self.n_epochs > 1:
            print(self._ending(epoch, stopped, kept_epoch))

    def _line(self, record, epoch, no_improvement, last):
        """The epoch's line: in a terminal, the bar, the values, then the times
        in short (so that an 80-column terminal still shows the loss), cut to the
        terminal's width so that the line never wraps (a carriage return only
        goes back to its last row)."""
        settings = self.settings
        values = [f"loss {record['train_loss']:.4f}"]
        if "train_accuracy" in record:
            values.append(f"accuracy {record['train_accuracy']:.3f}")
        if "valid_loss" in record:
            name = "accuracy" if settings.loss == "log_loss" else "R2"
            best = " *" if record.get("best") else ""
            values.append(
                f"valid loss {record['valid_loss']:.4f}, "
                f"valid {name} {record['valid_score']:.3f}{best}"
            )
        if settings.schedule is not None:
            values.append(f"lr {record['learning_rate']:.3g}")
        elapsed = time.perf_counter() - self.start
        times = [f"{elapsed:.2f} s"]
        short = f"{elapsed:.1f} s"
        if not last:
            per_epoch = elapsed / epoch
            left = self.n_epochs - epoch
            # Without improvement, the stopping rule ends training after the rest
            # of its patience; with improvement, max_iter does.
            patience = max(self.settings.n_iter_no_change - no_improvement, 0)
            if patience < left:
                times.append(
                    f"{per_epoch * patience:.1f} s left if no better epoch comes, "
                    f"at most {per_epoch * left:.1f} s"
                )
                short += (
                    f", {per_epoch * patience:.1f} to {per_epoch * left:.1f} s left"
                )
            else:
                times.append(f"{per_epoch * left:.1f} s left")
                short += f", {per_epoch * left:.1f} s left"
        head = f"Epoch {epoch}/{self.n_epochs}"
        if not self.live:
            return f"{head}: " + ", ".join(values + times)
        done = round(self._BAR * epoch / self.n_epochs)
        bar = "#" * done + "." * (self._BAR - done)
        line = f"{head} [{bar}] " + ", ".join(values) + " | " + short
        width = shutil.get_terminal_size().columns - 1
        return line if len(line) <= width else line[: max(width - 3, 0)] + "..."

    def _ending(self, epoch, stopped, kept_epoch):
        """Why training ended (``epoch`` counted within this call) and which
        weights the model keeps (``kept_epoch`` counted like ``best_epoch_``)."""
        settings = self.settings
        if stopped:
            watched = "training loss"
            if self.watch:
                what = "score" if settings.monitor == "score" else "loss"
                watched = f"validation {what}"
            why = (
                f"Stopped at epoch {epoch}: the {watched} did not improve by "
                f"tol={settings.tol} for {settings.n_iter_no_change} epochs"
            )
        else:
            why = f"Reached max_iter={settings.max_iter} epochs"
        first = self.first_epoch
        kept = kept_epoch - first  # within this call; <= 0: from an earlier call
        if kept == epoch:
            keeps = "this last epoch"
        elif kept > 0:
            keeps = f"epoch {kept}, its best"
        else:
            keeps = "the model this fit started from: no epoch of this fit beat it"
        if first:
            keeps += f" (best_epoch_={kept_epoch}, counting earlier fits)"
        return f"{why}; the model keeps the weights of {keeps}."


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def validation_split(n_samples, fraction, rng, stratify=None):
    """Indices of the training and the validation part of ``n_samples`` samples.

    ``stratify`` (class indices) keeps the class proportions in both parts and
    requires every class in the validation part. Raises a ValueError that says
    what to change when the split cannot be made.
    """
    rule = (
        ", stratified by class and holding every class" if stratify is not None else ""
    )

    n_classes = 1 if stratify is None else len(np.unique(stratify))
    # Too large a fraction leaves too little to train on; too small a one, too
    # little to validate on.
    n_train = n_samples - int(np.ceil(fraction * n_samples))
    change = "Lower" if n_train < n_classes else "Raise"

    def fail(problem):
        raise ValueError(
            f"early_stopping could not set aside a validation set of "
            f"validation_fraction={fraction} of {n_samples} samples{rule}: "
            f"{problem.rstrip('.')}. {change} validation_fraction, provide more "
            "samples, or set early_stopping=False."
        )

    try:
        train_idx, valid_idx = train_test_split(
            np.arange(n_samples),
            test_size=fraction,
            stratify=stratify,
            random_state=rng,
        )
    except ValueError as exc:
        fail(str(exc))
    if stratify is not None:
        # Stratifying keeps proportions, so a rare class can still get no
        # validation sample; its loss would then never be watched.
        missing = len(np.unique(stratify)) - len(np.unique(stratify[valid_idx]))
        if missing:
            fail(f"{missing} class(es) would have no validation sample")
    return train_idx, valid_idx
