"""BLAS thread limits that concurrent calls and interrupts cannot leave behind.

``blas_threads="auto"`` runs the small per-step products of a recurrent network on
one BLAS thread (below ``AUTO_THREADED_HIDDEN_SIZE``), where one thread is faster
than two (``benchmarks/performance.py`` measures it).

Why one owner at a time. Measured with the OpenBLAS 0.3.31 of NumPy's wheel (pthreads
threading layer) and threadpoolctl 3.8:

- The setting is process-wide. ``openblas_set_num_threads`` called from any thread
  changes what every thread reads and uses, and so does
  ``openblas_set_num_threads_local`` (per-thread only in OpenMP builds), so there
  is no per-thread limit to use.
- threadpoolctl (3.8 and later) lets one thread at a time change OpenBLAS's
  setting: the first to set it controls it until its last ``limit`` context ends,
  and a limit or a restore asked for from any other thread meanwhile is silently
  ignored. The former design (the first call in limits, the last call out
  restores, in whatever thread) therefore left the whole process on one BLAS
  thread whenever the last call out ran in another thread than the first one in.

So a limit is set and restored by one call, in its own thread: the owner. One call
owns the setting at a time, the first to enter while none does; it saves the
setting, limits it and restores it when it ends. Calls in other threads meanwhile
run under its limit and never touch the setting, and so do calls nested in the
owning thread. When the owner ends while others still run, they finish under the
restored setting, and the next call to start becomes the owner. The owners'
windows never overlap and no other call of this package changes the setting
inside one, so each owner restores exactly the setting it found, whatever the
interleaving. Concurrent predictions thus run on one BLAS thread most of the time,
not always. (A caller of threadpoolctl in another thread during a window is beyond
this: it saves and restores a setting of its own.)

Interrupts (``KeyboardInterrupt`` from Ctrl-C, or raised in a thread with
``PyThreadState_SetAsyncExc``) arrive where a function starts or a call returns.
Wherever one arrives, the setting is restored and the owner's place freed:

- No lock is held. The place is claimed with ``dict.setdefault``, one step, and
  who owns it is read back from it (``_owner.get("call") is own``), never from a
  local flag that an interrupt could separate from it.
- The setting is saved (by a threadpoolctl limiter that changes nothing) before
  it is changed. An interrupt while limiting restores at once, then propagates.
- Restoring is repeated until it completes: an interrupt inside it restores again
  (restoring twice is harmless), then propagates.
- An interrupt on the very entry of ``__exit__``, before any of it runs, is the one
  step that Python gives no way to protect. The context object is then freed
  without having restored, and a weak-reference callback restores when it is
  (as soon as the interrupt has been handled, in the thread that handled it). A
  call that ended normally has removed the callback, so an interrupt cannot be
  swallowed by it.

Limits: one interrupt at a time (an interrupt of the handling of another one can
still leave the limit in force, as ``docs/user_guide/reliability.md`` says of
fits); and an interrupted owner whose traceback is freed in another thread keeps
its limit until its own thread ends, when the next call undoes it.
"""

import contextlib
import functools
import threading
import weakref

from sklearn.utils.parallel import _get_threadpool_controller

# blas_threads="auto" uses one BLAS thread below this hidden size. Measured on 2
# cores (benchmarks/performance.py, section 7): one thread is faster at H=64 and
# H=128, where the matrices are too small to share; two are faster at H=256.
AUTO_THREADED_HIDDEN_SIZE = 256

# {"call": the _Owner record of the call that owns the setting}; empty while none
# does. Only the owner removes its record (or, once its thread has ended, _adopt).
_owner = {}
_adopt_lock = threading.Lock()  # only while freeing the place of an ended thread


class _Owner:
    """A call's thread; the limiter that saved the setting, if the call changed it;
    and, while it owns, the weak reference whose callback restores the setting
    should the context object be freed without ``__exit__`` having run."""

    __slots__ = ("thread", "guard", "watch")

    def __init__(self):
        self.thread = self.guard = self.watch = None


def _release(own):
    """Restore the setting ``own`` saved and free its place; repeated if
    interrupted, and the interrupt propagated afterwards."""
    error = None
    while _owner.get("call") is own:  # only the owner frees its place
        try:
            if own.guard is not None:
                own.guard.__exit__(None, None, None)
                own.guard = None
            own.watch = None
            _owner.pop("call", None)
        except Exception as failure:  # cannot restore: free the place anyway
            own.guard = own.watch = None
            _owner.pop("call", None)
            error = failure
        except BaseException as interrupt:  # restore again, then propagate
            error = interrupt
    if error is not None:
        raise error


def _freed_while_owning(own, _):
    # threadpoolctl ignores a restore from a thread other than the owner's.
    if _owner.get("call") is own and own.thread is threading.current_thread():
        with contextlib.suppress(BaseException):  # a callback's error is lost anyway
            _release(own)


def _adopt(owner):
    """Undo the limit of an owner whose thread ended inside its call (a fork copies
    only the forking thread into the child), then free its place. An interrupt
    before the place is freed leaves this to the next call."""
    if owner.guard is not None:
        # The thread that controlled the setting has ended, so this one may
        # restore it; the limiter pair with no limit then ends this thread's
        # claim on the setting, which restoring gave it.
        owner.guard.restore_original_limits()
        with _get_threadpool_controller().select(user_api="blas").limit(limits=None):
            pass
    with _adopt_lock:  # two threads adopting must not free a third one's place
        if _owner.get("call") is owner:
            del _owner["call"]


class _Limit:
    """One call's BLAS thread limit; see the module docstring."""

    __slots__ = ("_threads", "_own", "__weakref__")

    def __init__(self, threads):
        self._threads = threads
        self._own = _Owner()

    def __enter__(self):
        own = self._own
        me = own.thread = threading.current_thread()
        owner = _owner.get("call")
        if owner is not None and owner.thread is me:
            return self  # nested in the owning call: run under its limit
        # Not owner.thread.is_alive(): interrupted, it can mark a running thread as
        # ended for good (https://github.com/python/cpython/issues/90882).
        if owner is not None and owner.thread not in threading.enumerate():
            _adopt(owner)
        try:
            _owner.setdefault("call", own)  # claims the place if it is free
            if _owner.get("call") is own:
                restore = functools.partial(_freed_while_owning, own)
                own.watch = weakref.ref(self, restore)
                self._limit()
        except BaseException:
            _release(own)  # if this call owns the place
            raise
        return self

    def _limit(self):
        blas = _get_threadpool_controller().select(user_api="blas")
        if {lib.num_threads for lib in blas.lib_controllers} <= {self._threads}:
            return  # nothing to change, so nothing to restore
        # A limiter with no limit saves the setting and changes nothing; on exit it
        # restores the setting (and ends threadpoolctl's claim of this thread).
        self._own.guard = blas.limit(limits=None)
        self._own.guard.__enter__()
        blas.limit(limits=self._threads)

    def __exit__(self, *exc_info):
        _release(self._own)


def blas_threads(setting, hidden_size):
    """Context limiting BLAS threads as a ``blas_threads`` parameter says.

    ``setting`` is "auto" (one thread below ``AUTO_THREADED_HIDDEN_SIZE``, the
    library's own setting above), an int, or None (never change the setting).
    """
    if setting == "auto":
        setting = 1 if hidden_size < AUTO_THREADED_HIDDEN_SIZE else None
    if setting is None:
        return contextlib.nullcontext()
    return _Limit(setting)
