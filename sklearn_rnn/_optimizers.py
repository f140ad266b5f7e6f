"""Update rules (SGD, Adam), gradient clipping and the learning-rate schedule.

Parameters and gradients are dicts of arrays with the same keys; optimizers update the
parameter arrays in place and keep their own state (moments, step count) so that
training can continue where it stopped. A step uses the gradient arrays as scratch
space (they are rebuilt for every batch), so it allocates almost nothing: with an
embedding-sized ``W_xh`` each temporary array would cost a page-faulting allocation.
"""

import copy
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._rnn import RowSparseGradient

# Elements per slice of an update. An update makes about a dozen passes over its
# arrays; slices of this size (2 MiB of float64 per array) keep those passes in
# the CPU's caches instead of streaming V x H arrays through memory a dozen
# times, and are long enough that the calls themselves cost little: on the
# 2-core machine of the performance page, Adam on an embedding-sized matrix ran
# faster in slices of this size than in slices of a quarter of it, and two
# threads (n_jobs=2) gain more. An update is element by element, so the slicing
# never changes its result.
_SLICE = 262144


def _pieces(params, grads):
    """The independent pieces of an update, in order: ``(name, start, stop,
    rows)``, a flat slice of ``_SLICE`` elements of parameter ``name``, or with
    ``rows`` a slice of its rows (a :class:`RowSparseGradient`'s dense rows are
    made one slice at a time, a fresh array free to overwrite, never whole)."""
    pieces = []
    for name, grad in grads.items():
        if isinstance(grad, RowSparseGradient):
            n_rows, width = grad.shape
            step = max(1, _SLICE // width)
            pieces += [
                (name, start, min(start + step, n_rows), True)
                for start in range(0, n_rows, step)
            ]
        else:
            size = params[name].size
            pieces += [
                (name, start, min(start + _SLICE, size), False)
                for start in range(0, size, _SLICE)
            ]
    return pieces


def _piece(piece, grads, *states):
    """The arrays of one piece: the slice of each of ``states`` (dicts shaped
    like the parameters), then the gradient's."""
    name, start, stop, rows = piece
    grad = grads[name]
    if rows:
        return [s[name][start:stop].reshape(-1) for s in states] + [
            grad.dense_rows(start, stop).reshape(-1)
        ]
    return [a.reshape(-1)[start:stop] for a in (*(s[name] for s in states), grad)]


class Threads:
    """``size`` threads that share an update's pieces."""

    def __init__(self, size):
        self.size = size
        self._executor = ThreadPoolExecutor(size)

    def run(self, update, pieces):
        """``update`` on interleaved shares of ``pieces``, one per thread, at
        once; returns when all are done (raising the first error)."""
        shares = [pieces[k :: self.size] for k in range(self.size)]
        for done in [self._executor.submit(update, share) for share in shares]:
            done.result()

    def shutdown(self):
        self._executor.shutdown()


def _apply(update, pieces, threads):
    """Run ``update(pieces)`` on all pieces, or shared by ``threads`` (a
    :class:`Threads`): every piece is computed alike, so the result is the
    same. NumPy releases the GIL on slices this large."""
    if threads is None or len(pieces) < 2:
        update(pieces)
    else:
        threads.run(update, pieces)


def clip_gradients(grads, *, clip_value=None, clip_norm=None):
    """Clip gradients in place and return the global norm before norm clipping.

    Parameters
    ----------
    grads : dict of ndarray
    clip_value : float or None
        Clip every element to ``[-clip_value, clip_value]`` (the tutorial's rule, with
        ``clip_value=1``).
    clip_norm : float or None
        Rescale all gradients together so that their joint L2 norm is at most
        ``clip_norm``; the direction of the update is kept.

    Returns
    -------
    norm : float
        Global L2 norm of the gradients after value clipping, before norm clipping.
    """
    if clip_value is not None:
        for name, g in grads.items():
            if isinstance(g, RowSparseGradient):
                # Clipped zeros stay zero, but the penalty part may not: go dense.
                grads[name] = g = np.asarray(g)
            np.clip(g, -clip_value, clip_value, out=g)
    norm = float(np.sqrt(sum(_squared_norm(g) for g in grads.values())))
    if clip_norm is not None and norm > clip_norm:
        scale = clip_norm / norm
        for g in grads.values():
            if isinstance(g, RowSparseGradient):
                g.scale *= scale
            else:
                g *= scale
    return norm


def _squared_norm(grad):
    if isinstance(grad, RowSparseGradient):
        return grad.squared_norm()
    return np.vdot(grad, grad)


class SGD:
    """Stochastic gradient descent with optional (Nesterov) momentum."""

    def __init__(self, params, learning_rate, momentum=0.9, nesterov=True):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocities = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads, threads=None):
        """Update ``params`` in place; ``grads`` are overwritten. ``threads``
        (a :class:`Threads`) share the work."""
        lr, mu = self.learning_rate, self.momentum

        def update(pieces):
            for piece in pieces:
                p, v, g = _piece(piece, grads, params, self.velocities)
                v *= mu
                g *= lr
                v -= g
                if self.nesterov:
                    # p += mu * v - lr * g, in the same rounding order.
                    step = np.multiply(v, mu)
                    step -= g
                    p += step
                else:
                    p += v

        _apply(update, _pieces(params, grads), threads)


class _FlatState:
    """Per-parameter state arrays stored end to end in one flat array.

    ``views()`` gives a dict of arrays shaped like the parameters, sharing memory
    with ``flat``. Only ``flat`` is stored, so a pickled or deep-copied optimizer
    cannot end up with views detached from it.
    """

    def __init__(self, params):
        # name -> (start, stop, shape) of that parameter's part of ``flat``.
        self.layout, stop = {}, 0
        for name, p in params.items():
            start, stop = stop, stop + p.size
            self.layout[name] = (start, stop, p.shape)
        dtype = np.result_type(*(p.dtype for p in params.values()))
        self.flat = np.zeros(stop, dtype=dtype)

    def views(self):
        return {
            name: self.flat[start:stop].reshape(shape)
            for name, (start, stop, shape) in self.layout.items()
        }


class Adam:
    """Adam (Kingma & Ba, 2015) with bias-corrected moment estimates."""

    def __init__(self, params, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self._m = _FlatState(params)
        self._v = _FlatState(params)

    @property
    def m(self):
        """First-moment estimates, a dict shaped like the parameters."""
        return self._m.views()

    @property
    def v(self):
        """Second-moment estimates, a dict shaped like the parameters."""
        return self._v.views()

    def step(self, params, grads, threads=None):
        """Update ``params`` in place; ``grads`` are overwritten. ``threads``
        (a :class:`Threads`) share the work."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # Folding both bias corrections into the step size saves two array passes.
        lr = self.learning_rate * np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        m, v = self._m.views(), self._v.views()
        dense = not any(isinstance(g, RowSparseGradient) for g in grads.values())
        if dense and self._m.flat.size <= _SLICE:
            # A small model: one pass over all parameters end to end makes a
            # dozen calls instead of a dozen per parameter (the per-call cost
            # dominates below a few thousand elements). Element by element the
            # arithmetic is the same as below.
            flat = np.concatenate([grads[name].reshape(-1) for name in m])
            self._update(self._m.flat, self._v.flat, flat, lr, np.empty_like(flat))
            for name, (start, stop, shape) in self._m.layout.items():
                params[name] -= flat[start:stop].reshape(shape)
            return
        dtype = np.result_type(*(g.dtype for g in grads.values()))

        def update(pieces):
            buffer = np.empty(_SLICE, dtype=dtype)
            for piece in pieces:
                p, m_s, v_s, g = _piece(piece, grads, params, m, v)
                self._update(m_s, v_s, g, lr, buffer[: g.size])
                p -= g

        _apply(update, _pieces(params, grads), threads)

    def _update(self, m, v, g, lr, scratch):
        """Update the moments ``m`` and ``v`` in place and turn ``g`` into the step.

        The same operations, in the same order, as
          m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g g;  g = lr m / (sqrt(v) + eps)
        with one scratch array instead of six temporaries.
        """
        b1, b2 = self.beta_1, self.beta_2
        np.multiply(g, 1.0 - b1, out=scratch)
        m *= b1
        m += scratch
        np.multiply(g, 1.0 - b2, out=scratch)
        scratch *= g
        v *= b2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.multiply(m, lr, out=g)
        g /= scratch


def _state_names(optimizer):
    if isinstance(optimizer, SGD):
        return optimizer.velocities.keys()
    return optimizer._m.layout.keys()


class Plateau:
    """Learning-rate schedule: multiply the rate by ``factor`` whenever the watched
    loss has not improved for ``patience`` epochs in a row."""

    def __init__(self, factor, patience):
        self.factor = factor
        self.patience = patience
        self.wait = 0

    def observe(self, improved):
        """Count an epoch that did (or did not) improve the watched loss."""
        self.wait = 0 if improved else self.wait + 1

    def adjust(self, optimizer):
        """Lower ``optimizer.learning_rate`` if the loss has stalled long enough."""
        if self.wait >= self.patience:
            optimizer.learning_rate *= self.factor
            self.wait = 0


def make_optimizer(solver, params, hyperparameters, previous=None):
    """An optimizer for ``params``: a copy of ``previous`` when it is of the kind
    ``solver`` asks for, so that its state (e.g. Adam's moments) continues, or a
    new one. ``hyperparameters`` (learning_rate, momentum, nesterov, beta_1,
    beta_2, epsilon) are applied either way; those of the other solver are
    ignored.

    A fresh Adam takes full-size steps at first, which throws a trained model off
    its minimum; continuing its moments avoids that jolt. The copy keeps
    ``previous`` intact if training then fails.
    """
    cls = SGD if solver == "sgd" else Adam
    # A state for other parameters (an embedding frozen or thawed since) starts
    # afresh.
    if isinstance(previous, cls) and set(_state_names(previous)) == set(params):
        optimizer = copy.deepcopy(previous)
    else:
        optimizer = cls(params, hyperparameters["learning_rate"])
    for name, value in hyperparameters.items():
        if hasattr(optimizer, name):
            setattr(optimizer, name, value)
    return optimizer
