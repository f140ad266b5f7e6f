"""Sequences in ragged storage: truncation (one rule) and packing into batches.

A set of variable-length sequences is stored as ``values`` (every step of every
sequence, end to end) and ``offsets`` (sequence ``j`` is
``values[offsets[j]:offsets[j + 1]]``): token ids for text, feature vectors for
numeric input. Nothing is ever padded: the NaN padding of numeric input is left
out when it is stored.
"""

from typing import NamedTuple

import numpy as np

from ._validation import NumericSequences, padded_sequences


class Ragged(NamedTuple):
    """Variable-length sequences without padding (see the module docstring)."""

    values: np.ndarray
    offsets: np.ndarray

    def __len__(self):
        return len(self.offsets) - 1

    @property
    def lengths(self):
        return np.diff(self.offsets)

    def truncate(self, max_len, keep="head"):
        """These sequences cut to at most ``max_len`` steps (see :func:`truncate`)."""
        return Ragged(*truncate(self.values, self.offsets, max_len, keep))

    @classmethod
    def from_numeric(cls, X, dtype, start=0):
        """Ragged storage of numeric sequences, as ``dtype``, without padding.

        ``X`` is :class:`~sklearn_rnn._validation.NumericSequences` (checked
        input), or an (n, T) or (n, T, F) array, read as ``fit`` reads one: a
        sequence ends where its trailing NaN padding begins. Converted here, a
        chunk at a time for prediction, so that the whole input is never
        copied; a value the conversion makes infinite is refused, named by its
        position in the caller's input (``X[0]`` being its sample ``start``).
        """
        if not isinstance(X, NumericSequences):
            X = padded_sequences(X)
        return cls(*X.steps(dtype, start))


def take(data, indices):
    """Select samples of a document list, an array or NumericSequences."""
    if isinstance(data, list):
        return [data[i] for i in indices]
    return data[indices]


TRUNCATIONS = ("head", "tail", "head+tail")


def truncate(values, offsets, max_len, keep="head"):
    """Cut every stored sequence longer than ``max_len`` down to ``max_len`` steps.

    ``keep`` says which: the first steps ("head"), the last ("tail"), or the first
    ``max_len - max_len // 2`` and the last ``max_len // 2`` ("head+tail"), in
    order. Returns new ``(values, offsets)``; the inputs are returned as they are
    when nothing is longer than ``max_len`` (or ``max_len`` is None).
    """
    lengths = np.diff(offsets)
    if max_len is None or not len(lengths) or lengths.max() <= max_len:
        return values, offsets
    kept = np.minimum(lengths, max_len)
    new_offsets = np.zeros_like(offsets)
    np.cumsum(kept, out=new_offsets[1:])
    # Position of every kept step within its new sequence, and its sequence.
    seq = np.repeat(np.arange(len(kept)), kept)
    pos = np.arange(new_offsets[-1]) - new_offsets[seq]
    n_head = {"head": max_len, "tail": 0}.get(keep, max_len - max_len // 2)
    # Steps past the head count come from the end of the original sequence.
    from_end = pos >= n_head
    source = offsets[seq] + pos
    source[from_end] += (lengths - kept)[seq[from_end]]
    return np.take(values, source, axis=0), new_offsets


class PackedBatch:
    """A batch of variable-length sequences laid out time-major without padding.

    Sequences are sorted by decreasing length, so the sequences still running at
    step ``t`` are always the first ``batch_sizes[t]`` of them. Row
    ``step_offsets[t] + i`` of ``inputs`` is step ``t`` of the ``i``-th longest
    sequence. A padded position never exists, so it can never leak into a hidden
    state, and each sequence's output and gradient are exactly what it would get
    alone.

    Attributes
    ----------
    inputs : ndarray of shape (n_steps_total,) int or (n_steps_total, n_features) float
        Token ids or feature vectors of every step of every sequence.
    batch_sizes : ndarray of shape (max_length,)
        Number of sequences active at each step (non-increasing).
    step_offsets : ndarray of shape (max_length + 1,)
        Where each step's block of rows starts in ``inputs``.
    order : ndarray of shape (n_sequences,)
        ``order[i]`` is the position in the caller's batch of the ``i``-th longest
        sequence.
    lengths : ndarray of shape (n_sequences,)
        Sequence lengths in sorted (decreasing) order; zero-length sequences are allowed
        and keep ``h = h_0 = 0``.
    prev_rows : ndarray of shape (n_steps_total - batch_sizes[0],)
        For every row after step 0, the row holding the same sequence's previous step.
    last_rows : ndarray of shape (n_sequences,)
        The row of each sorted sequence's last step (-1 for empty sequences).
    reverse_rows : ndarray of shape (n_steps_total,)
        The same batch read backwards: row ``step_offsets[t] + i`` of
        ``inputs[reverse_rows]`` is step ``lengths[i] - 1 - t`` of the ``i``-th
        longest sequence. Every sequence keeps its length, so the layout (and
        ``batch_sizes``, ``step_offsets``, ``prev_rows``) is the same, and the
        permutation is its own inverse. Made when first asked for.
    """

    __slots__ = (
        "inputs",
        "batch_sizes",
        "step_offsets",
        "order",
        "lengths",
        "prev_rows",
        "last_rows",
        "_reverse_rows",
    )

    @property
    def reverse_rows(self):
        if self._reverse_rows is None:
            steps, seqs = _steps_and_sequences(self.batch_sizes, self.step_offsets)
            last = self.lengths[seqs] - 1
            self._reverse_rows = self.step_offsets[last - steps] + seqs
        return self._reverse_rows

    @property
    def n_sequences(self):
        return len(self.order)

    @property
    def is_tokens(self):
        return self.inputs.ndim == 1


def pack(values, offsets, indices):
    """Gather sequences from ragged storage into a :class:`PackedBatch`.

    Parameters
    ----------
    values : ndarray of shape (n_steps_total,) int or (n_steps_total, n_features)
        All steps of all stored sequences, concatenated.
    offsets : ndarray of shape (n_stored + 1,)
        Sequence ``j`` is ``values[offsets[j]:offsets[j + 1]]``.
    indices : ndarray of shape (n_sequences,)
        Which stored sequences form the batch, in the caller's order.

    Returns
    -------
    batch : PackedBatch
    """
    indices = np.asarray(indices, dtype=np.intp)
    starts = offsets[indices]
    lengths = offsets[indices + 1] - starts
    # A stable sort keeps equal-length sequences in the caller's order, so packing is
    # deterministic.
    order = np.argsort(-lengths, kind="stable")
    lengths = lengths[order]
    starts = starts[order]
    max_length = int(lengths[0]) if len(lengths) else 0
    # batch_sizes[t] = number of sequences longer than t (lengths is decreasing).
    batch_sizes = np.searchsorted(-lengths, -np.arange(max_length), side="left")
    step_offsets = np.zeros(max_length + 1, dtype=np.intp)
    np.cumsum(batch_sizes, out=step_offsets[1:])

    step_of_row, seq_of_row = _steps_and_sequences(batch_sizes, step_offsets)

    batch = PackedBatch()
    batch.inputs = np.take(values, starts[seq_of_row] + step_of_row, axis=0)
    batch.batch_sizes = batch_sizes
    batch.step_offsets = step_offsets
    batch.order = order
    batch.lengths = lengths
    first = batch_sizes[0] if max_length else 0
    batch.prev_rows = (
        step_offsets[step_of_row[first:] - 1] + seq_of_row[first:]
    ).astype(np.intp)
    batch._reverse_rows = None
    batch.last_rows = np.where(
        lengths > 0,
        step_offsets[np.maximum(lengths - 1, 0)] + np.arange(len(lengths)),
        -1,
    )
    return batch


def _steps_and_sequences(batch_sizes, step_offsets):
    """For every row of a packed batch, its step and its sorted sequence."""
    step_of_row = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    return step_of_row, np.arange(step_offsets[-1]) - step_offsets[step_of_row]
