"""Interrupt fit, predict and the BLAS limiter at every kind of point; count damage.

Usage::

    python benchmarks/reliability.py            # --n 300 trials per section
    python benchmarks/reliability.py --n 2000 --seed 1 --timeout 10

Each trial runs one call in a worker thread and raises ``KeyboardInterrupt`` in it
at one point drawn uniformly from the points where CPython delivers an
asynchronous exception (a Ctrl-C, or ``PyThreadState_SetAsyncExc``): the start of
every Python function, and the return of every C function (NumPy included). A
profile function (``sys.setprofile``, in the worker thread only) counts these
events, as ``call`` and ``c_return``, and raises at the k-th; k is drawn from 1 to
the number the same call makes uninterrupted (counted first). Why not a timer:
an interrupt after a random delay lands where the call spends its time, almost
always inside the matrix products of an epoch, and seldom in the short steps
(publishing the model, the warnings, the limiter) where a wrong state would hide;
drawn by event, every step is as likely as any other. Why not ``sys.settrace``
line events: a line can start where no asynchronous exception can arrive (between
``__exit__``'s arguments and its call, say), so it would report damage that no
interrupt can do. Loop back-edges, where CPython also checks, are not covered.

The process runs with 2 BLAS threads, set so that no thread holds threadpoolctl's
control of the setting (a ``threadpool_limits`` context in the main thread would
make the workers' limits, and so their leaks, invisible); the models (hidden size
8) limit to 1 thread inside each call, so a limit left behind shows.

Sections and what a trial must leave:

1. ``fit`` of a fresh ``TextRNNClassifier(hidden_size=8, max_iter=5,
   random_state=0)`` on the tutorial's data: the interrupt propagates and the
   estimator is as unfitted as before (no fitted attribute), or the call returns
   (with a ``UserWarning`` saying what was kept, if the interrupt was taken) and the
   model is complete: ``n_iter_ == len(loss_curve_)``, finite weights, ``predict``
   gives labels from ``classes_``, probabilities finite and summing to 1; a warning
   naming the epoch whose weights were kept names the model's ``best_epoch_``.
2. ``fit`` with ``warm_start=True``, and ``partial_fit``, on a fitted model: the
   interrupt propagates and the model is exactly the previous one (same
   ``predict_proba``, same pickle), or the call returns a complete model.
3. ``predict_proba``: the model is unchanged (same pickle, same probabilities).
4. The BLAS limiter: ``blas_threads(1, 8)`` entered and left in a loop by three
   other threads while the interrupted thread enters and leaves it too.

Counted per section: trials; points (events of the uninterrupted call, from which k
is drawn); interrupted (the interrupt was raised); dropped (raised in a finalizer
that the call's code set off, such as a generator that ``any()`` leaves unfinished,
where Python prints and drops it, so the call never sees it: a profile event that an
asynchronous interrupt cannot hit, since a generator being closed is not checked for
one, but a signal handler running in a finalizer can be); kept (the call returned
with the warning of an interrupted fit that kept its epochs); models lost (a fitted
model that no longer predicts as before and is not a complete newer model); wrong
states (a propagated interrupt that changed the estimator, a mixture or an
incomplete model returned, an exception other than the interrupt); outside
sklearn_rnn (models lost and wrong states when no function of the package was
running as the interrupt arrived: scikit-learn's ``fit`` wrapper after the method
had returned, or this script's worker); hangs (a call, or the limiter call that
follows each trial in a fresh thread, still running ``--timeout`` seconds after it
started); BLAS setting changed (not 2 threads after the trial; put back to 2 so that
it is counted once). ``--verbose`` prints each failing trial's point and outcome.
"""

import argparse
import copy
import pickle
import re
import sys
import threading
import time
import warnings

import numpy as np
from sklearn.utils.parallel import _get_threadpool_controller
from threadpoolctl import threadpool_limits

from sklearn_rnn import TextRNNClassifier
from sklearn_rnn._threads import blas_threads
from sklearn_rnn.datasets import load_sentiment

FITTED_ATTRIBUTES = ("classes_", "n_iter_", "loss_curve_", "recurrent_weights_")
WEIGHTS = (
    "input_weights_",
    "recurrent_weights_",
    "hidden_bias_",
    "output_weights_",
    "output_bias_",
)


# ---------------------------------------------------------------- BLAS setting
def blas_setting():
    """The thread counts of the loaded BLAS libraries."""
    blas = _get_threadpool_controller().select(user_api="blas")
    return {lib.num_threads for lib in blas.lib_controllers}


def allow_two_blas_threads():
    """2 BLAS threads, with no thread holding threadpoolctl's control of the
    setting: the limiter pair with no limit ends this thread's claim."""
    threadpool_limits(limits=2, user_api="blas")
    with threadpool_limits(limits=None, user_api="blas"):
        pass


# ---------------------------------------------------------------- injection
class Interrupter:
    """A profile function raising KeyboardInterrupt at its k-th event (k=0: never)."""

    def __init__(self, k):
        self.k, self.count, self.fired, self.dropped = k, 0, False, False
        self.in_package = False  # whether a frame of sklearn_rnn was running

    def __call__(self, frame, event, arg):
        if event in ("call", "c_return"):
            self.count += 1
            if self.count == self.k:
                self.fired = True
                sys.setprofile(None)
                while frame is not None and not self.in_package:
                    self.in_package = frame.f_globals.get("__name__", "").startswith(
                        "sklearn_rnn"
                    )
                    frame = frame.f_back
                raise KeyboardInterrupt


def run_interrupted(call, k, timeout):
    """Run ``call`` in a new thread, interrupted at its k-th event. Returns
    (outcome, Interrupter, warnings caught); outcome is "returned", "interrupted",
    "hang" or "error: ...". The warnings filter is set around the thread, since
    ``catch_warnings`` changes process-wide state."""
    interrupter, box = Interrupter(k), {}

    def target():
        try:
            sys.setprofile(interrupter)
            call()
            box["outcome"] = "returned"
        except KeyboardInterrupt:
            box["outcome"] = "interrupted"
        except Exception as exc:  # a wrong state, reported by the caller
            box["outcome"] = f"error: {type(exc).__name__}: {exc}"
        finally:
            sys.setprofile(None)

    def unraisable(report, previous=sys.unraisablehook):
        if interrupter.fired and report.exc_type is KeyboardInterrupt:
            interrupter.dropped = True
        else:
            previous(report)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.unraisablehook, previous = unraisable, sys.unraisablehook
        try:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            thread.join(timeout)
        finally:
            sys.unraisablehook = previous
    if thread.is_alive():
        return "hang", interrupter, []
    return box["outcome"], interrupter, list(caught)


def next_call_hangs(timeout):
    """Whether a limiter call in a fresh thread fails to end within ``timeout``."""
    thread = threading.Thread(target=limited_step, daemon=True)
    thread.start()
    thread.join(timeout)
    return thread.is_alive()


def limited_step():
    with blas_threads(1, 8):
        pass


# ---------------------------------------------------------------- model checks
def is_fitted(model):
    return any(hasattr(model, name) for name in FITTED_ATTRIBUTES)


def complete(model, X):
    """Whether a model's fitted attributes agree and it predicts sensibly."""
    try:
        if model.n_iter_ != len(model.loss_curve_):
            return False
        if not all(np.all(np.isfinite(getattr(model, w))) for w in WEIGHTS):
            return False
        labels = model.predict(X)
        proba = model.predict_proba(X)
    except Exception:
        return False
    return (
        bool(np.isin(labels, model.classes_).all())
        and bool(np.all(np.isfinite(proba)))
        and bool(np.allclose(proba.sum(axis=1), 1.0))
    )


def interrupt_warnings(caught):
    return [w for w in caught if "interrupt" in str(w.message).lower()]


def judge(kind, outcome, interrupter, caught, model, before, X):
    """A trial's verdict: "ok", "lost", "wrong" or "hang".

    ``before``: (pickle, predict_proba on X) of the model before the call, or None
    for a fresh estimator."""
    if outcome == "hang":
        return "hang"
    if outcome.startswith("error"):
        return "wrong"
    if before is None:  # a fresh fit
        if outcome == "interrupted":
            return "wrong" if is_fitted(model) else "ok"
        if not complete(model, X):
            return "wrong"
    else:
        state, proba = before
        unchanged = pickle.dumps(model) == state
        if kind == "predict_proba" or outcome == "interrupted":
            if unchanged:
                return "ok"
            try:
                same = np.array_equal(model.predict_proba(X), proba)
            except Exception:
                same = False
            if same or complete(model, X):
                return "wrong"  # changed, though whole
            return "lost"
        if not complete(model, X):
            return "lost"
    # Returned normally: an interrupt taken must be said, as a UserWarning.
    said = interrupt_warnings(caught)
    for message in map(str, (w.message for w in said)):
        kept = re.search(r"weights of epoch (\d+)", message)
        if kept and int(kept.group(1)) != getattr(model, "best_epoch_", None):
            return "wrong"  # the warning names other weights than the model's
    taken = interrupter.fired and not interrupter.dropped
    if taken and kind != "predict_proba" and not said:
        return "wrong"
    if any(not issubclass(w.category, UserWarning) for w in said):
        return "wrong"
    return "ok"


# ---------------------------------------------------------------- sections
def section_calls(X, y, X_test, fitted):
    """name -> function returning (call, model, before) for one trial."""

    def fresh_fit():
        model = TextRNNClassifier(hidden_size=8, max_iter=5, random_state=0)
        return lambda: model.fit(X, y), model, None

    def continued(method, **params):
        def make():
            model = copy.deepcopy(fitted).set_params(**params)
            before = (pickle.dumps(model), model.predict_proba(X_test))
            return lambda: getattr(model, method)(X, y), model, before

        return make

    def predict():
        model = copy.deepcopy(fitted)
        before = (pickle.dumps(model), model.predict_proba(X_test))
        return lambda: model.predict_proba(X_test), model, before

    return {
        "fit": fresh_fit,
        "fit warm_start": continued("fit", warm_start=True, max_iter=5),
        "partial_fit": continued("partial_fit"),
        "predict_proba": predict,
    }


def limiter_trial(k, timeout):
    """Three threads loop through the limiter while a fourth, interrupted at its
    k-th event, enters and leaves it 20 times. Returns (outcome, Interrupter)."""
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            limited_step()

    others = [threading.Thread(target=loop, daemon=True) for _ in range(3)]
    for thread in others:
        thread.start()
    outcome, interrupter, _ = run_interrupted(
        lambda: [limited_step() for _ in range(20)], k, timeout
    )
    stop.set()
    for thread in others:
        thread.join(timeout)
    if any(thread.is_alive() for thread in others):
        outcome = "hang"
    return outcome, interrupter


def run_section(name, trial, n_events, args, rng):
    """Run ``args.n`` trials; ``trial(k)`` returns a verdict and an Interrupter."""
    counts = dict.fromkeys(
        ["interrupted", "dropped", "kept", "lost", "wrong", "outside", "hang", "blas"],
        0,
    )
    for _ in range(args.n):
        k = int(rng.integers(1, n_events + 1))
        verdict, interrupter, kept = trial(k)
        counts["interrupted"] += interrupter.fired
        counts["dropped"] += interrupter.dropped
        counts["kept"] += kept
        if verdict in ("lost", "wrong"):
            outside = interrupter.fired and not interrupter.in_package
            counts["outside" if outside else verdict] += 1
        hung = verdict == "hang" or next_call_hangs(args.timeout)
        counts["hang"] += hung
        moved = blas_setting() != {2}
        if moved:
            counts["blas"] += 1
            allow_two_blas_threads()
        if args.verbose and (moved or hung or verdict in ("lost", "wrong")):
            print(f"  {name}: k={k} {verdict}{' hang' * hung}{' BLAS' * moved}")
    return [
        name,
        args.n,
        n_events,
        counts["interrupted"],
        counts["dropped"],
        counts["kept"],
        counts["lost"],
        counts["wrong"],
        counts["outside"],
        counts["hang"],
        counts["blas"],
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="trials per section")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a hang"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print each failing trial's point"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    X, y = load_sentiment(subset="train", return_X_y=True)
    X_test, _ = load_sentiment(subset="test", return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = TextRNNClassifier(hidden_size=8, max_iter=20, random_state=0)
        fitted.fit(X, y)
    allow_two_blas_threads()
    assert blas_setting() == {2}, blas_setting()

    start = time.perf_counter()
    header = [
        "section",
        "trials",
        "points",
        "interrupted",
        "dropped",
        "kept",
        "models lost",
        "wrong states",
        "outside sklearn_rnn",
        "hangs",
        "BLAS setting changed",
    ]
    rows = []
    for name, make in section_calls(X, y, X_test, fitted).items():
        call, _, _ = make()
        n_events = run_interrupted(call, 0, args.timeout)[1].count

        def trial(k, make=make, name=name):
            call, model, before = make()
            outcome, interrupter, caught = run_interrupted(call, k, args.timeout)
            verdict = judge(name, outcome, interrupter, caught, model, before, X_test)
            kept = outcome == "returned" and bool(interrupt_warnings(caught))
            if args.verbose and verdict in ("lost", "wrong"):
                said = "; ".join(str(w.message)[:120] for w in caught)
                print(f"  {name}: k={k} {outcome} (fitted: {is_fitted(model)}) {said}")
            return verdict, interrupter, kept

        rows.append(run_section(name, trial, n_events, args, rng))
        if name == "fit":
            rows[-1][6] = "-"  # no model to lose
        print_row(header, rows[-1], first=len(rows) == 1)

    n_events = limiter_trial(0, args.timeout)[1].count
    rows.append(
        run_section(
            "BLAS limiter",
            lambda k: (*limiter_trial(k, args.timeout), False),
            n_events,
            args,
            rng,
        )
    )
    rows[-1][5] = rows[-1][6] = "-"
    print_row(header, rows[-1], first=False)
    print(
        f"({time.perf_counter() - start:.0f} s; points: the call's function starts "
        "and C returns, from which each trial's interrupt point is drawn)"
    )


def print_row(header, row, first):
    widths = [max(14, len(h)) if i == 0 else len(h) for i, h in enumerate(header)]
    if first:
        print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        print("-|-".join("-" * w for w in widths))
    cells = [str(row[0]).ljust(widths[0])]
    cells += [str(v).rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
    print(" | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
