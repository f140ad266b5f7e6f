"""Mini-batches split into shards, computed by worker processes at once.

A batch of sequences is cut into shards by a rule that looks at the batch
alone (:func:`shard_count`, :func:`split`), never at the number of workers;
every shard's loss and gradients are computed alike wherever they run, and
summed in one fixed order (:func:`reduce`; a token matrix's row-sparse
gradients keep their shards' parts in shard order, and the optimizer adds them
slice by slice). Any number of workers thus gives the same updates, bit for
bit.

Why processes. One shard's step is a dozen NumPy calls on small arrays, and
the Python work between them holds the GIL, so threads computing shards gained
little where steps are small. The workers are started once and kept for later
fits (:class:`_Pool`); the weights and the training data live in shared memory
that the workers map, and each worker writes its token-matrix gradients to
shared outboxes, so each batch sends sample indices one way and small arrays
and places the other.
"""

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from multiprocessing.connection import Connection

import numpy as np

from . import _rnn
from ._optimizers import Threads
from ._sequences import pack

# A shard holds at least this many sequences x hidden units, so that its steps
# stay arithmetic rather than call overhead: at hidden size 64, batches of 128
# or more sequences are split; at 256, of 32 or more.
SHARD_WORK = 4096
# At most this many shards per batch (so at most this many workers are used).
MAX_SHARDS = 4
# Workers are started with a socket passed as an inherited file descriptor.
WORKERS_SUPPORTED = os.name == "posix"


def shard_count(n_sequences, n_hidden):
    """How many shards a batch of ``n_sequences`` is cut into: a function of
    the batch and the network only, and a power of two (see :func:`reduce`)."""
    most = min(max(n_sequences * n_hidden // SHARD_WORK, 1), MAX_SHARDS)
    return 1 << (int(most).bit_length() - 1)


def reduce(shares):
    """The sum of shards' ``(loss, grads)`` shares, as a fixed binary tree: the
    first half's sum plus the second half's. A process that computes an aligned
    block of shards (a subtree) sums it alike, so whatever the number of
    processes, every addition is the same one, in the same order."""
    if len(shares) == 1:
        return shares[0]
    half = len(shares) // 2
    return _rnn.combine([reduce(shares[:half]), reduce(shares[half:])])


def split(lengths, n_shards):
    """The shards of a batch whose sequences have ``lengths``: positions in the
    batch, dealt round-robin by decreasing length so that every shard gets a
    like share of the work, each in the batch's order."""
    order = np.argsort(-lengths, kind="stable")
    return [np.sort(order[k::n_shards]) for k in range(n_shards)]


def shard_share(params, values, offsets, indices, targets, weights, total, spec, rng):
    """One shard's share of its batch's loss and gradients (no penalty), and its
    outputs: what a worker computes, and what one process computes for every
    shard in turn."""
    batch = pack(values, offsets, indices)
    return _rnn.loss_and_gradients(
        params,
        batch,
        targets,
        sample_weight=weights,
        sparse=True,
        total_weight=total,
        rng=rng,
        **spec,
    )


class Shards:
    """Loss and gradients of training batches, computed shard by shard, by this
    process and ``n_workers - 1`` worker processes.

    Used as a context manager around a training run: on entry the weights in
    ``params`` (a dict updated in place by the optimizer) and the training
    sequences move to shared memory; on exit the weights move back to private
    arrays, holding the values they have then.
    """

    def __init__(self, params, sequences, spec, n_workers, batch_size=None):
        self.params = params
        self.sequences = sequences
        self.spec = dict(spec)  # loss_and_gradients' keywords but weights and rng
        if batch_size is not None:
            # No batch has more shards than a full one: more workers would idle.
            n_hidden = params["W_hh"].shape[0]
            n_workers = min(n_workers, shard_count(batch_size, n_hidden))
        self.n_workers = n_workers
        # Why fewer processes than asked for train, if so: for a warning.
        self.notice = None
        self.workers = []
        self.outboxes = []
        self._files = None
        # Threads for the optimizer's step, whose large slices release the GIL.
        self.threads = None

    def __enter__(self):
        if self.n_workers > 1:
            self.threads = Threads(self.n_workers)
            try:
                self._share()
            except BaseException:
                self.__exit__(*sys.exc_info())
                raise
        return self

    def __exit__(self, *exc_info):
        workers, self.workers = self.workers, []
        if self.threads is not None:
            self.threads.shutdown()
            self.threads = None
        try:
            for worker in workers:
                # A worker interrupted mid-shard would answer late: stop it.
                _POOL.give_back(worker, broken=worker.busy > 0)
        finally:
            if self._files is not None:
                for name, value in list(self.params.items()):
                    self.params[name] = np.array(value)
                self._files.close()
                self._files = None

    def _share(self):
        n_others = self.n_workers - 1
        needed = sum(a.nbytes for a in (*self.params.values(), *self.sequences))
        needed += n_others * sum(
            rows.nbytes + values.nbytes
            for rows, values in self._outbox_shapes().values()
        )
        try:
            files = self._files = _SharedFiles(needed)
        except _NoRoom as error:
            self.notice = (
                f"n_jobs={self.n_workers} trained in one process: the worker "
                f"processes share the weights and the data through files, which "
                f"need {needed / 2**20:.0f} MiB, and {error}. Free some space "
                "there (a container's /dev/shm is often 64 MiB: docker run "
                "--shm-size), or set n_jobs=1 to silence this warning."
            )
            self.n_workers = 1
            return
        # The workers first: files exist only while they are mapped.
        self.workers = _POOL.take(n_others)
        for name, value in self.params.items():
            self.params[name] = files.add(name, value)
        values, offsets = self.sequences
        self.sequences = (files.add("values", values), files.add("offsets", offsets))
        shared = files.layout()
        for k, worker in enumerate(self.workers):
            boxes, layout = self._outboxes(files, k)
            self.outboxes.append(boxes)
            worker.ask(("attach", {**shared, **layout}, self.spec, sorted(boxes)))
        for worker in self.workers:
            worker.answer()
        # Every worker has mapped the files: they can go (the memory stays
        # until the last process unmaps it).
        files.unlink()

    def _outbox_shapes(self):
        """{name: (rows, values)} shapes of one worker's outboxes, one per token
        matrix trained (none for numeric input, whose gradients are all small
        and dense): room for every row of the matrix in each shard a worker may
        compute (at most half of a batch's, as this process computes some)."""
        if self.sequences[0].ndim != 1:
            return {}
        names = ["W_emb"] if "W_emb" in self.params else ["W_xh", "W_xh_r"]
        frozen = self.spec.get("frozen", ())
        names = [n for n in names if n in self.params and n not in frozen]
        shapes = {}
        for name in names:
            n_rows, width = self.params[name].shape
            room = max(MAX_SHARDS // 2, 1) * n_rows
            dtype = self.params[name].dtype
            shapes[name] = (
                _Shape((room,), np.intp),
                _Shape((room, width), dtype),
            )
        return shapes

    def _outboxes(self, files, k):
        """Worker ``k``'s outboxes, shared arrays it writes its token-matrix
        gradients to (rows and values of each shard), so that they reach this
        process uncopied. Returns {name: (rows, values)} and the worker's
        layout of them."""
        boxes, layout = {}, {}
        for name, (rows, values) in self._outbox_shapes().items():
            keys = (f"{k}.{name}.rows", f"{k}.{name}.values")
            boxes[name] = (
                files.empty(keys[0], rows.shape, rows.dtype),
                files.empty(keys[1], values.shape, values.dtype),
            )
            layout[f"outbox {name}"] = tuple(files.place(key) for key in keys)
        return boxes, layout

    def batch(self, indices):
        """The batch of the training sequences at ``indices``: packed, if it
        makes one shard; else a :class:`ShardedBatch`."""
        values, offsets = self.sequences
        n_shards = shard_count(len(indices), self.params["W_hh"].shape[0])
        if n_shards == 1:
            return pack(values, offsets, indices)
        lengths = offsets[indices + 1] - offsets[indices]
        return ShardedBatch(self, indices, split(lengths, n_shards))

    def compute(self, tasks, total):
        """The batch's (loss, grads) summed over the tasks (shards) by
        :func:`reduce`, and every shard's outputs. Each process (this one
        first) takes an aligned block of shards and sums it."""
        n_procs = 1 << (min(len(self.workers) + 1, len(tasks)).bit_length() - 1)
        size = len(tasks) // n_procs
        blocks = [tasks[k * size : (k + 1) * size] for k in range(n_procs)]
        for worker, block in zip(self.workers, blocks[1:], strict=False):
            worker.ask(("shards", block, total))
        results = [_block(self.params, self.sequences, self.spec, blocks[0], total)]
        for k, (worker, _) in enumerate(zip(self.workers, blocks[1:], strict=False)):
            loss, grads, outputs = worker.answer()
            results.append((loss, self._restore(grads, self.outboxes[k]), outputs))
        loss, grads = reduce([result[:2] for result in results])
        return loss, grads, [o for result in results for o in result[2]]

    def _restore(self, grads, outboxes):
        """A worker's gradients as it sent them: token-matrix gradients as their
        parts' places in the worker's outbox (or, if they did not fit, the parts
        themselves)."""
        for name, grad in grads.items():
            if not isinstance(grad, tuple):
                continue
            kind, parts = grad
            if kind == "outbox":
                rows, values = outboxes[name]
                parts = [(rows[a:b], values[a:b]) for a, b in parts]
            first, *more = parts
            grads[name] = _rnn.RowSparseGradient(*first, self.params[name], more)
        return grads


class ShardedBatch:
    """A batch whose loss and gradients :class:`Shards` computes shard by
    shard: ``parts`` are positions in ``indices``, one array per shard."""

    def __init__(self, shards, indices, parts):
        self.shards = shards
        self.indices = indices
        self.parts = parts

    def loss_and_gradients(self, targets, weights, alpha, rng):
        """The batch's (loss, grads, outputs), as ``_rnn.loss_and_gradients``
        gives them for the whole batch (penalty included), outputs in the order
        of ``indices``."""
        shards = self.shards
        total = len(self.indices) if weights is None else weights.sum()
        # Dropout draws masks: each shard from a generator of its own, seeded
        # from the run's, so the masks do not depend on where a shard runs.
        seeds = None
        if _needs_rng(shards.spec):
            seeds = rng.randint(2**31 - 1, size=len(self.parts))
        tasks = [
            (
                self.indices[part],
                targets[part],
                None if weights is None else weights[part],
                None if seeds is None else seeds[k],
            )
            for k, part in enumerate(self.parts)
        ]
        loss, grads, outputs = shards.compute(tasks, total)
        frozen = shards.spec.get("frozen", ())
        loss = _rnn.add_penalty(loss, grads, shards.params, alpha, total, frozen)
        first = outputs[0]
        combined = np.empty((len(self.indices), first.shape[1]), first.dtype)
        for part_outputs, part in zip(outputs, self.parts, strict=True):
            combined[part] = part_outputs
        return loss, grads, combined


class _Shape:
    """The shape, dtype and size of an array not made yet."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, np.dtype(dtype)
        self.nbytes = int(np.prod(shape)) * self.dtype.itemsize


def _needs_rng(spec):
    return any(
        spec.get(rate) for rate in ("input_dropout", "layer_dropout", "output_dropout")
    )


def _block(params, sequences, spec, block, total):
    """A block of shards' summed (loss, grads), and each shard's outputs."""
    shares = [_share_of(params, sequences, spec, task, total) for task in block]
    loss, grads = reduce([share[:2] for share in shares])
    return loss, grads, [share[2] for share in shares]


def _share_of(params, sequences, spec, task, total):
    indices, targets, weights, seed = task
    rng = None if seed is None else np.random.RandomState(seed)
    return shard_share(params, *sequences, indices, targets, weights, total, spec, rng)


# ---------------------------------------------------------------- shared memory
class _NoRoom(Exception):
    """No folder for shared files has the room a run needs."""


class _SharedFiles:
    """Arrays in files of shared memory (``/dev/shm`` where there is one, else
    the temporary folder) that other processes map by name.

    A write to a file on a full ``/dev/shm`` kills the process (SIGBUS), so
    the folder must have ``needed`` bytes free; the first of ``/dev/shm`` and
    the temporary folder that has them is used, or :class:`_NoRoom` is raised.
    Folders are named by this process's id, so that one left by a process
    that was killed can be recognised and removed.
    """

    def __init__(self, needed):
        self.arrays = {}
        candidates = [
            f for f in ("/dev/shm", tempfile.gettempdir()) if os.path.isdir(f)
        ]
        free = {}
        for folder in candidates:
            _remove_stale(folder)
            try:
                stats = os.statvfs(folder)
                free[folder] = stats.f_bavail * stats.f_frsize
            except (AttributeError, OSError):
                free[folder] = 0
            # Some room to spare: others may write there meanwhile.
            if free[folder] >= needed * 1.1 + 2**20:
                prefix = f"{_PREFIX}{os.getpid()}_"
                self.folder = tempfile.mkdtemp(prefix=prefix, dir=folder)
                return
        raise _NoRoom(
            " and ".join(f"{f} has {free[f] / 2**20:.0f} MiB free" for f in free)
        )

    def add(self, name, value):
        value = np.ascontiguousarray(value)
        path = os.path.join(self.folder, f"{len(self.arrays)}.bin")
        if value.size:
            shared = np.memmap(path, dtype=value.dtype, mode="w+", shape=value.shape)
            shared[...] = value
        else:
            shared = value.copy()
        self.arrays[name] = (path, shared)
        return shared.view(np.ndarray) if value.size else shared

    def empty(self, name, shape, dtype):
        """A new shared array, its memory unused until written (a sparse file)."""
        path = os.path.join(self.folder, f"{len(self.arrays)}.bin")
        shared = np.memmap(path, dtype=dtype, mode="w+", shape=shape)
        self.arrays[name] = (path, shared)
        return shared.view(np.ndarray)

    def place(self, name):
        """Where another process finds array ``name``: (path, dtype, shape)."""
        path, shared = self.arrays[name]
        return path, shared.dtype.str, shared.shape

    def layout(self):
        """What every worker maps, read-only: the weights and the data."""
        return {
            name: (path if shared.size else None, shared.dtype.str, shared.shape, "r")
            for name, (path, shared) in self.arrays.items()
        }

    def unlink(self):
        for path, _ in self.arrays.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)

    def close(self):
        self.unlink()
        self.arrays.clear()


_PREFIX = "sklearn_rnn_"


def _remove_stale(folder):
    """Remove the shared-file folders of processes that no longer run."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not name.startswith(_PREFIX):
            continue
        pid = name[len(_PREFIX) :].split("_")[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def _attach(layout):
    arrays = {}
    for name, entry in layout.items():
        if name.startswith("outbox "):
            arrays[name] = tuple(
                np.memmap(path, dtype=dtype, mode="r+", shape=shape).view(np.ndarray)
                for path, dtype, shape in entry
            )
            continue
        path, dtype, shape, mode = entry
        if path is None:
            arrays[name] = np.empty(shape, dtype=dtype)
        else:
            arrays[name] = np.memmap(path, dtype=dtype, mode=mode, shape=shape).view(
                np.ndarray
            )
    return arrays


# ---------------------------------------------------------------- the workers
def _serve(connection):
    """A worker's life: attach to a run's shared arrays, compute shards, until
    its connection closes."""
    # Started in a session of its own, but a Ctrl-C sent to it all the same is
    # the parent's to act on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    arrays = spec = None
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        try:
            if kind == "attach":
                arrays, spec = _attach(message[1]), message[2]
                outboxes = {n: arrays.pop(f"outbox {n}") for n in message[3]}
                params = {
                    n: a for n, a in arrays.items() if n not in ("values", "offsets")
                }
                sequences = arrays["values"], arrays["offsets"]
                reply = None
            elif kind == "detach":
                arrays = spec = params = sequences = outboxes = None
                reply = None
            else:
                _, block, total = message
                share = _block(params, sequences, spec, block, total)
                reply = _portable(share, outboxes)
            message = ("ok", reply)
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            message = ("error", f"{type(error).__name__}: {error}", _trace())
        try:
            connection.send(message)
        except OSError:  # the parent stopped waiting (it was interrupted)
            return


def _trace():
    return traceback.format_exc()


def _portable(share, outboxes):
    """A share as it travels to the parent: each token-matrix gradient's parts
    written to the outbox for it, and sent as their places there (or, if they
    do not fit, as arrays), without their base (the parent has the weights)."""
    loss, grads, outputs = share
    light = {}
    for name, grad in grads.items():
        if not isinstance(grad, _rnn.RowSparseGradient):
            light[name] = grad
            continue
        parts = grad.parts()
        box = outboxes.get(name)
        if box is None or sum(len(r) for r, _ in parts) > len(box[0]):
            light[name] = ("arrays", parts)
            continue
        places, start = [], 0
        for rows, values in parts:
            stop = start + len(rows)
            box[0][start:stop] = rows
            box[1][start:stop] = values
            places.append((start, stop))
            start = stop
        light[name] = ("outbox", places)
    return loss, light, outputs


class _Worker:
    """A worker process and the connection to it.

    Started as a fresh interpreter that imports this module and serves on one
    end of a socket pair: unlike multiprocessing's spawn or forkserver, it never
    imports the user's ``__main__``, so a script without an
    ``if __name__ == "__main__":`` guard still works; unlike fork, it copies no
    threads. It imports the package from the same path as this process.
    """

    def __init__(self):
        parent, child = socket.socketpair()
        command = [
            sys.executable,
            "-c",
            "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
            "from sklearn_rnn._parallel import _serve_socket; "
            "_serve_socket(int(sys.argv[2]))",
            json.dumps(_package_path()),
            str(child.fileno()),
        ]
        # One BLAS thread per worker, set before NumPy loads it.
        env = dict(os.environ, **dict.fromkeys(_THREAD_VARIABLES, "1"))
        try:
            # A session of its own: Ctrl-C in the terminal reaches this
            # process only, which decides what stops.
            self.process = subprocess.Popen(
                command,
                pass_fds=(child.fileno(),),
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            child.close()
        self.connection = Connection(parent.detach())
        self.busy = 0

    def ask(self, message):
        self.busy += 1
        try:
            self.connection.send(message)
        except OSError as error:
            raise self._ended() from error

    def answer(self):
        try:
            status, *reply = self.connection.recv()
        except (EOFError, OSError) as error:
            raise self._ended() from error
        self.busy -= 1
        if status == "error":
            message, trace = reply
            raise RuntimeError(
                f"A worker process failed while computing a shard: {message}\n"
                f"Its traceback:\n{trace}"
            )
        return reply[0]

    def _ended(self):
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        return RuntimeError(
            "A worker process of n_jobs ended unexpectedly"
            + ("" if code is None else f" (exit code {code})")
            + ". Set n_jobs=1 to train without worker processes."
        )

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        with contextlib.suppress(OSError):
            self.connection.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def _package_path():
    """The folder this package was imported from, first, then this process's
    path."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [here] + [p for p in sys.path if p and p != here]


def _serve_socket(fd):
    _serve(Connection(fd))


class _Pool:
    """Worker processes kept between fits: starting one costs an interpreter
    and the imports, more than a small fit takes."""

    def __init__(self):
        self.idle = []
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def take(self, n):
        with self.lock:
            if os.getpid() != self.pid:
                # A forked child: the idle workers are its parent's to use.
                self.idle, self.pid = [], os.getpid()
            workers, self.idle = self.idle[:n], self.idle[n:]
        workers = [w for w in workers if w.alive() or w.stop()]
        while len(workers) < n:
            workers.append(_Worker())
        return workers

    def give_back(self, worker, broken=False):
        if broken or not worker.alive():
            worker.stop()
            return
        try:
            worker.ask(("detach",))
            worker.answer()
        except BaseException:
            worker.stop()
            raise
        with self.lock:
            self.idle.append(worker)

    def close(self):
        with self.lock:
            workers, self.idle = self.idle, []
        for worker in workers:
            worker.stop()

    def forget(self):
        """In a forked child: drop the parent's workers, closing this copy of
        their connections, so that they still end when the parent lets go."""
        for worker in self.idle:
            with contextlib.suppress(OSError):
                worker.connection.close()
        self.idle, self.pid = [], os.getpid()
        self.lock = threading.Lock()


_POOL = _Pool()
atexit.register(_POOL.close)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.forget)
