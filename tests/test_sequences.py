"""Tests for ``sklearn_rnn._sequences``: ragged storage, truncation, packing."""

import numpy as np
import pytest

from conftest import LENGTHS, N_FEATURES, make_ragged
from sklearn_rnn._sequences import Ragged, pack, take, truncate
from sklearn_rnn._validation import sequence_list

SEQUENCES = [[0, 1, 2, 3, 4, 5], [10, 11], [], [20, 21, 22, 23]]


def ragged(sequences):
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sequences])])
    return np.array(sum(sequences, []), dtype=np.int64), offsets.astype(np.intp)


def unpack(values, offsets):
    return [
        values[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:], strict=True)
    ]


@pytest.fixture(params=["tokens", "numeric"])
def kind(request):
    return request.param


# ---------------------------------------------------------------- Ragged
def test_ragged_counts_sequences_and_their_lengths():
    sequences = Ragged(*ragged(SEQUENCES))
    assert len(sequences) == 4
    np.testing.assert_array_equal(sequences.lengths, [6, 2, 0, 4])
    values, offsets = sequences  # a named pair, as the math takes it
    assert values is sequences.values and offsets is sequences.offsets
    empty = Ragged(np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.intp))
    assert len(empty) == 0 and empty.lengths.shape == (0,)


@pytest.mark.parametrize("keep", ["head", "tail", "head+tail"])
def test_ragged_truncate_is_truncate(keep):
    sequences = Ragged(*ragged(SEQUENCES))
    cut = sequences.truncate(3, keep)
    assert isinstance(cut, Ragged)
    expected = truncate(*ragged(SEQUENCES), 3, keep)
    np.testing.assert_array_equal(cut.values, expected[0])
    np.testing.assert_array_equal(cut.offsets, expected[1])
    np.testing.assert_array_equal(cut.lengths, [3, 2, 0, 3])
    # Nothing to cut: the same storage back.
    same = sequences.truncate(None, keep)
    assert same.values is sequences.values and same.offsets is sequences.offsets


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ragged_from_numeric_stores_every_step_of_every_sequence(dtype):
    X = np.random.default_rng(0).normal(size=(4, 5, 3))
    sequences = Ragged.from_numeric(X, dtype)
    assert len(sequences) == 4
    np.testing.assert_array_equal(sequences.offsets, [0, 5, 10, 15, 20])
    assert sequences.offsets.dtype == np.intp
    assert sequences.values.shape == (20, 3) and sequences.values.dtype == dtype
    for j in range(4):
        np.testing.assert_array_equal(
            sequences.values[sequences.offsets[j] : sequences.offsets[j + 1]],
            X[j].astype(dtype),
        )
    # A non-contiguous view is stored in order too.
    view = X[:, ::-1]
    np.testing.assert_array_equal(
        Ragged.from_numeric(view, np.float64).values, view.reshape(20, 3)
    )


def test_ragged_from_numeric_reads_2d_input_as_one_feature_per_step():
    X = np.arange(12.0).reshape(4, 3)
    sequences = Ragged.from_numeric(X, np.float64)
    np.testing.assert_array_equal(sequences.offsets, [0, 3, 6, 9, 12])
    np.testing.assert_array_equal(sequences.values, X.reshape(12, 1))
    assert np.shares_memory(sequences.values, X)  # same dtype, C-ordered: no copy
    empty = Ragged.from_numeric(np.zeros((0, 3), dtype=np.float32), np.float64)
    assert len(empty) == 0 and empty.values.shape == (0, 1)


def test_ragged_from_numeric_refuses_values_its_dtype_cannot_hold():
    """A chunk of prediction input converted to float32 names the out-of-range
    value by its position in the whole input (``start``): it would otherwise
    become infinite and the prediction NaN."""
    X = np.zeros((4, 5, 2))
    X[2, 3, 1] = 1e39
    with pytest.raises(
        ValueError, match=r"X\[1026, 3, 1\] = 1e\+39 is out of the range of float32"
    ):
        Ragged.from_numeric(X, np.float32, start=1024)
    with pytest.raises(ValueError, match=r"X\[2, 3\] = 1e\+39 is out of the range"):
        Ragged.from_numeric(X[:, :, 1], np.float32)
    assert Ragged.from_numeric(X, np.float64).values.max() == 1e39


def test_ragged_from_numeric_leaves_the_nan_padding_out():
    X = np.arange(24.0).reshape(4, 3, 2)
    X[0, 1:], X[2, :], X[3, 2:] = np.nan, np.nan, np.nan
    sequences = Ragged.from_numeric(X, np.float32)
    np.testing.assert_array_equal(sequences.offsets, [0, 1, 4, 4, 6])
    np.testing.assert_array_equal(
        sequences.values, np.concatenate([X[0, :1], X[1], X[3, :2]]).astype(np.float32)
    )
    # A list of the same sequences is stored alike, and a chunk of a longer
    # input names a value out of range by its position in that input.
    listed = Ragged.from_numeric(
        sequence_list([X[0, :1], X[1], [], X[3, :2]]), np.float32
    )
    np.testing.assert_array_equal(listed.values, sequences.values)
    np.testing.assert_array_equal(listed.offsets, sequences.offsets)
    big = sequence_list([[0.0], [0.0, 1e39]])
    with pytest.raises(ValueError, match=r"X\[1025\]\[1\] = 1e\+39 is out of"):
        Ragged.from_numeric(big, np.float32, start=1024)


# ---------------------------------------------------------------- truncate
@pytest.mark.parametrize(
    "keep, expected",
    [
        ("head", [[0, 1, 2], [10, 11], [], [20, 21, 22]]),
        ("tail", [[3, 4, 5], [10, 11], [], [21, 22, 23]]),
        ("head+tail", [[0, 1, 5], [10, 11], [], [20, 21, 23]]),
    ],
)
def test_truncate_ragged_sequences(keep, expected):
    values, offsets = ragged(SEQUENCES)
    new_values, new_offsets = truncate(values, offsets, 3, keep)
    assert unpack(new_values, new_offsets) == expected
    # Rows of numeric steps are kept whole.
    rows = np.stack([values, -values], axis=1).astype(float)
    new_rows, _ = truncate(rows, offsets, 3, keep)
    np.testing.assert_array_equal(new_rows[:, 1], -new_rows[:, 0])
    # Nothing to cut: the same arrays back.
    same = truncate(values, offsets, 6, keep)
    assert same[0] is values and same[1] is offsets
    assert truncate(values, offsets, None, keep)[0] is values


@pytest.mark.parametrize(
    "max_len, expected", [(1, [[0], [10]]), (2, [[0, 5], [10, 11]]), (3, [[0, 1, 5]])]
)
def test_head_plus_tail_gives_the_odd_step_to_the_head(max_len, expected):
    values, offsets = ragged([[0, 1, 2, 3, 4, 5], [10, 11]])
    got = unpack(*truncate(values, offsets, max_len, "head+tail"))
    assert got[: len(expected)] == expected


def test_truncate_of_no_sequences():
    values, offsets = np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.intp)
    assert truncate(values, offsets, 2)[0] is values


# ---------------------------------------------------------------- pack
@pytest.mark.parametrize(
    "indices",
    [np.arange(len(LENGTHS)), np.array([6, 1, 0, 3]), np.array([2]), np.array([5, 3])],
)
def test_pack_layout(kind, indices):
    values, offsets = make_ragged(np.random.default_rng(0), LENGTHS, kind)
    batch = pack(values, offsets, indices)
    lengths = np.diff(offsets)[indices]
    total = int(lengths.sum())
    n = len(indices)

    sizes = batch.batch_sizes
    assert np.all(np.diff(sizes) <= 0)
    assert sizes.sum() == total
    assert len(sizes) == lengths.max()
    np.testing.assert_array_equal(np.sort(batch.order), np.arange(n))
    np.testing.assert_array_equal(batch.lengths, lengths[batch.order])
    assert np.all(np.diff(batch.lengths) <= 0)
    # Stable: ties keep the caller's order.
    for a, b in zip(batch.order[:-1], batch.order[1:], strict=True):
        if lengths[a] == lengths[b]:
            assert a < b
    np.testing.assert_array_equal(batch.step_offsets, np.r_[0, np.cumsum(sizes)])
    assert batch.n_sequences == n
    assert batch.is_tokens == (kind == "tokens")

    # No padding: exactly one row per real step.
    assert batch.inputs.shape[0] == total
    row_bytes = values.itemsize * (1 if kind == "tokens" else N_FEATURES)
    assert batch.inputs.nbytes == total * row_bytes

    # Every row holds the right step of the right sequence.
    for i, j in enumerate(batch.order):
        seq = values[offsets[indices[j]] : offsets[indices[j] + 1]]
        rows = batch.step_offsets[: len(seq)] + i
        np.testing.assert_array_equal(batch.inputs[rows], seq)
        if len(seq):
            assert batch.last_rows[i] == rows[-1]
            np.testing.assert_array_equal(
                batch.prev_rows[rows[1:] - sizes[0]], rows[:-1]
            )
        else:
            assert batch.last_rows[i] == -1
    assert len(batch.prev_rows) == total - sizes[0]


def test_pack_ties_are_stable():
    offsets = np.array([0, 2, 4, 6, 7])
    values = np.arange(7)
    batch = pack(values, offsets, [3, 2, 0, 1])
    np.testing.assert_array_equal(batch.order, [1, 2, 3, 0])
    np.testing.assert_array_equal(batch.batch_sizes, [4, 3])
    np.testing.assert_array_equal(batch.inputs, [4, 0, 2, 6, 5, 1, 3])


def test_pack_of_only_empty_sequences(kind):
    values, offsets = make_ragged(np.random.default_rng(1), (0, 0, 0), kind)
    batch = pack(values, offsets, [0, 1, 2])
    assert len(batch.batch_sizes) == 0 and batch.inputs.shape[0] == 0
    assert batch.n_sequences == 3 and batch.is_tokens == (kind == "tokens")
    np.testing.assert_array_equal(batch.lengths, [0, 0, 0])
    np.testing.assert_array_equal(batch.last_rows, [-1, -1, -1])
    assert len(batch.prev_rows) == 0


# ---------------------------------------------------------------- take
def test_take_selects_from_documents_and_arrays():
    assert take(["a", "b", "c"], np.array([2, 0, 2])) == ["c", "a", "c"]
    X = np.arange(12).reshape(4, 3)
    np.testing.assert_array_equal(take(X, np.array([3, 1])), X[[3, 1]])
    assert take(["a"], np.array([], dtype=int)) == []
