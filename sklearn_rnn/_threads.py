"""BLAS thread limits shared safely by concurrent calls."""

import contextlib
import threading

from sklearn.utils.parallel import _get_threadpool_controller

# blas_threads="auto" uses one BLAS thread below this hidden size. Measured on 2
# cores (benchmarks/performance.py, section 7): one thread is faster at H=64 and
# H=128, where the matrices are too small to share; two are faster at H=256.
AUTO_THREADED_HIDDEN_SIZE = 256


class _SharedBlasLimit:
    """Limit BLAS threads while any call needs it; restore once the last one ends.

    A plain threadpoolctl ``limit`` context saves the setting it finds and restores
    it on exit. Two threads predicting at once would interleave those saves, and
    the one leaving last would "restore" the other's limit, leaving the whole
    process on one BLAS thread. Here the first call in saves and limits, and the
    last call out restores. Calls that want another limit while one is active run
    under the active one.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._context = None

    @contextlib.contextmanager
    def __call__(self, threads):
        with self._lock:
            if self._users == 0:
                self._context = _get_threadpool_controller().limit(
                    limits=threads, user_api="blas"
                )
                self._context.__enter__()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    context, self._context = self._context, None
                    context.__exit__(None, None, None)


_shared_limit = _SharedBlasLimit()


def blas_threads(setting, hidden_size):
    """Context limiting BLAS threads as a ``blas_threads`` parameter says.

    ``setting`` is "auto" (one thread below ``AUTO_THREADED_HIDDEN_SIZE``, the
    library's own setting above), an int, or None (never change the setting).
    """
    if setting == "auto":
        setting = 1 if hidden_size < AUTO_THREADED_HIDDEN_SIZE else None
    if setting is None:
        return contextlib.nullcontext()
    return _shared_limit(setting)
