"""Tests for ``sklearn_rnn._threads``: BLAS thread limits under threads and interrupts.

The session runs with one BLAS thread (the root conftest.py); the tests here allow
two, so that a limit to one is visible, and check what is in force inside and after
the contexts, on the real BLAS library through threadpoolctl. Where the estimators
apply the limit (fit, predict) is in test_base.py.

With threadpoolctl 3.8 and later, the first thread that sets OpenBLAS's (pthreads)
setting controls it until its last ``limit`` context ends, and limits asked for from
other threads meanwhile are silently ignored. ``two_blas_threads`` therefore sets
two threads and leaves no thread in control, as a program that set its limit once
does; ``user_limits_two`` is a user's ``threadpool_limits`` context around the calls
instead, which keeps the main thread in control.
"""

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.utils.parallel import _get_threadpool_controller
from threadpoolctl import threadpool_limits

import sklearn_rnn._threads as threads_module
from sklearn_rnn import _rnn
from sklearn_rnn._threads import AUTO_THREADED_HIDDEN_SIZE, blas_threads

WAIT = 10  # seconds; a wait that runs out fails its test instead of hanging it


def blas_thread_counts():
    """The thread counts of the BLAS libraries loaded, read through scikit-learn's
    cached controller (``threadpool_info()`` finds the libraries anew: too slow for
    the thousands of checks below)."""
    blas = _get_threadpool_controller().select(user_api="blas")
    return {lib.num_threads for lib in blas.lib_controllers}


def allow_blas_threads(n):
    """Set the process's BLAS threads to ``n``, leaving no thread in control: the
    limiter pair with no limit ends this thread's claim (threadpoolctl >= 3.8)."""
    threadpool_limits(limits=n, user_api="blas")
    with threadpool_limits(limits=None, user_api="blas"):
        pass


def assert_left_as_it_was():
    """Two BLAS threads, and the next call, from another thread, completes and
    limits again: no lock and no claim on the setting was left held."""
    assert blas_thread_counts() == {2}
    seen = {}

    def call():
        with blas_threads(1, 8):
            seen["inside"] = blas_thread_counts()
        seen["after"] = blas_thread_counts()

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the next call hangs"
    assert seen == {"inside": {1}, "after": {2}}


@pytest.fixture
def two_blas_threads():
    allow_blas_threads(2)
    assert blas_thread_counts() == {2}
    try:
        yield
        # Every context of the test has restored the setting it found.
        assert_left_as_it_was()
    finally:
        allow_blas_threads(1)  # the session's setting


@pytest.fixture
def user_limits_two():
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_thread_counts() == {2}
        yield
        assert blas_thread_counts() == {2}


def run_in_thread(function, name=None):
    """Start ``function`` in a new thread; the returned join() re-raises its
    exception or returns its result."""
    outcome = {}

    def target():
        try:
            outcome["result"] = function()
        except BaseException as exc:  # noqa: BLE001 (re-raised by join)
            outcome["error"] = exc

    thread = threading.Thread(target=target, name=name)
    thread.start()

    def join():
        thread.join(WAIT)
        assert not thread.is_alive(), "the thread hangs"
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    return join


@pytest.mark.parametrize(
    "setting, hidden_size, inside",
    [
        ("auto", 8, {1}),
        ("auto", AUTO_THREADED_HIDDEN_SIZE - 1, {1}),
        ("auto", AUTO_THREADED_HIDDEN_SIZE, {2}),
        (None, 8, {2}),
        (1, AUTO_THREADED_HIDDEN_SIZE, {1}),
        (2, 8, {2}),
    ],
)
def test_setting_decides_the_threads_in_force(
    two_blas_threads, setting, hidden_size, inside
):
    with blas_threads(setting, hidden_size):
        assert blas_thread_counts() == inside
    assert blas_thread_counts() == {2}


def test_no_limit_neither_sets_nor_restores(two_blas_threads):
    for setting, hidden_size in ((None, 8), ("auto", AUTO_THREADED_HIDDEN_SIZE)):
        with threadpool_limits(limits=1, user_api="blas"):
            with blas_threads(setting, hidden_size):
                assert blas_thread_counts() == {1}
            # Nothing was saved, so nothing is "restored" on leaving.
            assert blas_thread_counts() == {1}


def test_nested_limits_run_under_the_outer_one(two_blas_threads):
    with blas_threads(1, 8):
        with blas_threads(2, 8):
            assert blas_thread_counts() == {1}
        # Leaving the inner call does not restore while the outer one runs.
        assert blas_thread_counts() == {1}
    assert blas_thread_counts() == {2}


def test_a_failing_call_still_restores(two_blas_threads):
    with pytest.raises(RuntimeError), blas_threads(1, 8):
        raise RuntimeError
    assert blas_thread_counts() == {2}
    with blas_threads(1, 8):  # and the next call limits again
        assert blas_thread_counts() == {1}


def test_a_worker_thread_leaving_last_restores_the_setting(user_limits_two):
    entered, may_leave = threading.Event(), threading.Event()

    def worker():
        with blas_threads(1, 8):
            entered.set()
            assert may_leave.wait(WAIT)

    with blas_threads(1, 8):
        join = run_in_thread(worker)
        assert entered.wait(WAIT)
    may_leave.set()
    join()
    assert blas_thread_counts() == {2}


# ---------------------------------------------------------------- interleavings
@pytest.mark.parametrize(
    "first, second", [("main", "worker"), ("worker", "main"), ("worker", "worker")]
)
def test_the_first_in_leaving_first_restores_the_setting(
    two_blas_threads, first, second
):
    """A enters, B enters, A leaves, B leaves last: the order that, with one limit
    shared by reference count, made B restore a setting that threadpoolctl lets
    only A's thread change (ignored), leaving the process on one thread. B runs
    under A's limit, then under the restored setting."""
    a_inside, b_inside, a_left = (threading.Event() for _ in range(3))
    seen = {}

    def a():
        with blas_threads(1, 8):
            seen["a inside"] = blas_thread_counts()
            a_inside.set()
            assert b_inside.wait(WAIT)
        seen["after a"] = blas_thread_counts()
        a_left.set()

    def b():
        assert a_inside.wait(WAIT)
        with blas_threads(3, 8):  # another limit: runs under A's
            seen["b inside"] = blas_thread_counts()
            b_inside.set()
            assert a_left.wait(WAIT)
            seen["b after a"] = blas_thread_counts()

    roles = {a: first, b: second}
    joins = [run_in_thread(call) for call, role in roles.items() if role == "worker"]
    for call, role in roles.items():
        if role == "main":
            call()
    for join in joins:
        join()
    assert seen == {
        "a inside": {1},
        "b inside": {1},
        "after a": {2},
        "b after a": {2},
    }


def test_concurrent_predictions_leave_the_setting_as_it_was(
    two_blas_threads, monkeypatch, models
):
    """Two predictions from a thread pool, forced to overlap with the first one in
    leaving first; the results equal serial ones."""
    model, X = models["text"]
    expected = model.predict_proba(X)
    arrived, lock = [], threading.Lock()
    b_inside, a_left = threading.Event(), threading.Event()
    scan = _rnn._scan

    def overlapping_scan(*args, **kwargs):
        me = threading.current_thread()
        with lock:
            first_time = me not in arrived
            if first_time:
                arrived.append(me)
        if first_time and arrived[0] is me:
            assert b_inside.wait(WAIT)  # A stays inside until B is inside
        elif first_time:
            b_inside.set()
            assert a_left.wait(WAIT)  # B leaves last
        return scan(*args, **kwargs)

    def predict():
        proba = model.predict_proba(X)
        if arrived[0] is threading.current_thread():
            a_left.set()
        return proba

    monkeypatch.setattr(_rnn, "_scan", overlapping_scan)
    with ThreadPoolExecutor(2) as pool:
        results = [f.result(WAIT) for f in [pool.submit(predict) for _ in range(2)]]
    assert len(arrived) == 2
    for proba in results:
        np.testing.assert_array_equal(proba, expected)
    assert blas_thread_counts() == {2}


def test_a_call_whose_thread_ended_inside_it_is_undone(two_blas_threads):
    """A thread that ends inside a limit (a fork copies only the forking thread, so
    in the child every other thread has ended) does not leave it for good: the next
    call restores it, then limits as usual."""
    context = blas_threads(1, 8)
    run_in_thread(context.__enter__)()
    assert blas_thread_counts() == {1}
    with blas_threads(1, 8):
        assert blas_thread_counts() == {1}
    assert blas_thread_counts() == {2}
    del context


# ---------------------------------------------------------------- interrupts
# The tracer also enters a generator that threadpoolctl's ``select`` drops
# half-consumed, while Python closes it; an exception raised there is printed and
# dropped by Python (the call then goes on uninterrupted), which pytest reports.
dropped_in_a_finalizer = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)


class Interrupter:
    """Raises KeyboardInterrupt at the k-th event it sees (k=0: never); counts them.

    As a profile function it sees every function start and every return from C,
    the points where CPython delivers an asynchronous interrupt (Ctrl-C,
    ``PyThreadState_SetAsyncExc``); as a trace function, every line of
    ``_threads.py``, which covers more points than an interrupt can hit."""

    def __init__(self, k):
        self.k, self.count = k, 0

    def event(self, event):
        if event in ("call", "c_return", "line"):
            self.count += 1
            if self.count == self.k:
                self.stop()
                raise KeyboardInterrupt

    def profile(self, frame, event, arg):
        self.event(event)

    def trace(self, frame, event, arg):
        if event == "line":
            self.event(event)
        if frame.f_code.co_filename == threads_module.__file__:
            return self.trace  # line events in this module only
        return None

    def start(self):
        sys.setprofile(self.profile)
        sys.settrace(self.trace)

    def stop(self):
        sys.setprofile(None)
        sys.settrace(None)


def limited_call(body=None):
    with blas_threads(1, 8):
        assert blas_thread_counts() == {1}
        if body is not None:
            body()


def interrupted_call(k, body=None):
    """``limited_call`` with an interrupt at the k-th event (if it comes)."""
    interrupter = Interrupter(k)
    try:
        interrupter.start()
        limited_call(body)
    except KeyboardInterrupt:
        pass
    finally:
        sys.setprofile(None)  # first: interrupter.stop() would be an event itself
        sys.settrace(None)
    return interrupter.count


@dropped_in_a_finalizer
@pytest.mark.parametrize("thread", ["main", "worker"])
def test_an_interrupt_at_any_point_leaves_the_setting_and_no_lock(
    two_blas_threads, thread
):
    """Entering and leaving, interrupted at each of their steps in turn, in the
    thread that owns the setting."""
    run = (
        interrupted_call
        if thread == "main"
        else lambda k: run_in_thread(lambda: interrupted_call(k))()
    )
    n_points = run(0)
    assert n_points > 30
    for k in range(1, n_points + 1):
        run(k)
        assert_left_as_it_was()


@dropped_in_a_finalizer
@pytest.mark.parametrize("first", ["interrupted", "other"])
def test_an_interrupt_while_another_thread_runs_under_the_limit(
    two_blas_threads, first
):
    """A call interrupted at each step while a call in another thread overlaps it:
    the interrupted call entered first (it owns the setting; the other one leaves
    last) or second (it must restore nothing under the owner)."""

    def run(k):
        interrupted_inside, other_inside, may_leave = (
            threading.Event() for _ in range(3)
        )

        def other():
            if first == "interrupted":
                interrupted_inside.wait(WAIT)
            with blas_threads(1, 8):
                other_inside.set()
                assert may_leave.wait(WAIT)

        def body():  # untraced: an interrupt inside Event.wait can break the Event
            profiler, tracer = sys.getprofile(), sys.gettrace()
            sys.setprofile(None)
            sys.settrace(None)
            try:
                interrupted_inside.set()
                assert other_inside.wait(WAIT)
            finally:
                sys.setprofile(profiler)
                sys.settrace(tracer)

        join = run_in_thread(other, name="other")
        if first == "other":
            assert other_inside.wait(WAIT)
        count = interrupted_call(k, body)
        # The other thread, which owns the setting if it came first, still runs
        # and is seen to (were it seen as ended, a third call would undo its limit).
        assert [t for t in threading.enumerate() if t.name == "other"]
        assert all(t.is_alive() for t in threading.enumerate() if t.name == "other")
        interrupted_inside.set()  # if the interrupt came before the body
        may_leave.set()
        join()
        return count

    n_points = run(0)
    for k in range(1, n_points + 1):
        run(k)
        assert_left_as_it_was()
