"""Tests for ``sklearn_rnn._validation``: every input check, called directly.

How the estimators react to bad input (and that a failed call changes nothing) is
in test_base.py; here are the checks themselves and the messages they give.
"""

import numpy as np
import pandas as pd
import pytest

from sklearn_rnn import TextTokenizer
from sklearn_rnn._validation import (
    as_3d,
    as_documents,
    check_documents,
    check_label_types,
    check_sample_weight,
)


# ---------------------------------------------------------------- documents
def test_check_documents_returns_list_of_str():
    assert check_documents(("x", "y")) == ["x", "y"]
    assert check_documents([]) == []
    result = check_documents(np.array(["x", "y"]))
    assert result == ["x", "y"]
    assert all(isinstance(doc, str) for doc in result)
    assert check_documents(pd.Series(["x"], index=[5])) == ["x"]


NOT_DOCUMENTS = {
    "str": ("one document", ValueError, r"expected, string object received.*in a list"),
    "bytes": (b"doc", ValueError, r"expected, bytes object received.*in a list"),
    "None": (None, TypeError, "X is None; documents are required"),
    "set": ({"a", "b"}, TypeError, "set, which has no fixed order"),
    "dict": ({"a": 1}, TypeError, "dict, which has no fixed order"),
    "int": (42, TypeError, "Iterable over raw text documents expected, got int"),
    "2-D": (np.array([["a", "b"], ["c", "d"]]), ValueError, r"1-D .*\(2, 2\)"),
    "DataFrame": (pd.DataFrame({"text": ["a", "b"]}), ValueError, r"1-D .*\(2, 1\)"),
    "0-D": (np.array("a b"), ValueError, r"1-D sequence of documents.*\(\)"),
    "missing-in-Series": (
        pd.Series(["ok", None, "good"], dtype="string"),
        ValueError,
        "position 1 .*empty string",
    ),
}
# A document that is not a str, after three that are: its position, its type and
# the fix are named.
for bad, type_name, hint in [
    (None, "NoneType", "empty string ''"),
    (float("nan"), "float", "empty string ''"),
    (pd.NA, "NAType", "empty string ''"),
    (3, "int", "Convert documents to str"),
    (b"bytes doc", "bytes", "decode"),
    (["a", "b"], "list", "join"),
]:
    NOT_DOCUMENTS[f"{type_name}-document"] = (
        ["ok", "fine", "good", bad],
        ValueError,
        rf"Document at position 3 in X is {type_name} .*not str; .*{hint}",
    )


@pytest.mark.parametrize("case", NOT_DOCUMENTS)
def test_what_is_not_a_collection_of_documents_is_refused(case):
    """check_documents says what is wrong; the tokenizer, which runs it, says the
    same in fit and in transform."""
    X, error, match = NOT_DOCUMENTS[case]
    with pytest.raises(error, match=match):
        check_documents(X)
    with pytest.raises(error, match=match):
        TextTokenizer().fit(X)
    with pytest.raises(error, match=match):
        TextTokenizer().fit(["a"]).transform(X)


def test_check_documents_uses_name_in_messages():
    with pytest.raises(ValueError, match="position 0 in docs_val"):
        check_documents([None], name="docs_val")


# ---------------------------------------------------------------- text or numbers
@pytest.mark.parametrize(
    "X",
    [
        ["a", "b"],
        ("a", "b"),
        np.array(["a", "b"]),
        np.array(["a", "b"], dtype=object),
        pd.Series(["a", "b"]),
        pd.Series(["a", "b"], dtype="string"),
        (doc for doc in ["a", "b"]),
    ],
    ids=[
        "list",
        "tuple",
        "str-array",
        "object-array",
        "Series",
        "string-Series",
        "gen",
    ],
)
def test_as_documents_returns_text_as_a_list(X):
    assert as_documents(X) == ["a", "b"]


@pytest.mark.parametrize(
    "X",
    [
        np.zeros((2, 3)),
        np.zeros((2, 3, 2), dtype=np.float32),
        np.arange(4),
        [[1.0, 2.0], [3.0, 4.0]],
        [1, 2, 3],
        [],
        np.array([]),
        pd.DataFrame({"t0": [1.0, 2.0], "t1": [3.0, 4.0]}),
        pd.DataFrame({"text": ["a", "b"]}),  # 2-D: the numeric path explains
    ],
    ids=[
        "2-D",
        "3-D",
        "1-D-ints",
        "nested-list",
        "list-of-ints",
        "empty-list",
        "empty-array",
        "DataFrame",
        "text-DataFrame",
    ],
)
def test_as_documents_leaves_everything_else_to_the_numeric_checks(X):
    assert as_documents(X) is None


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("a b", ValueError, "string object received"),
        (b"a b", ValueError, "bytes object received"),
        ([None, None], ValueError, "position 0 .*NoneType"),
        ([b"a", b"b"], ValueError, "position 0 .*[Dd]ecode"),
        (["a", 1], ValueError, "position 1 .*int"),
        ([1, "a"], ValueError, "position 0 .*int"),
        ({"a", "b"}, TypeError, "no fixed order"),
    ],
    ids=[
        "str",
        "bytes",
        "all-None",
        "all-bytes",
        "str-then-int",
        "int-then-str",
        "set",
    ],
)
def test_as_documents_names_text_gone_wrong(X, error, match):
    """Numbers never come as None, bytes or str: such input is bad text, and the
    document checker's message (with the position) is the one to give."""
    with pytest.raises(error, match=match):
        as_documents(X)


def test_as_3d_views_2d_input_as_one_feature_per_step():
    X = np.arange(6.0).reshape(2, 3)
    X3 = as_3d(X)
    assert X3.shape == (2, 3, 1)
    assert np.shares_memory(X3, X)
    np.testing.assert_array_equal(X3[..., 0], X)
    X = np.zeros((2, 3, 4))
    assert as_3d(X) is X


@pytest.mark.parametrize(
    "shape, match",
    [
        ((2, 3, 1, 1), "2-D .* or 3-D .*got 4-D"),
        ((2, 0), "at least 1 time step"),
        ((2, 3, 0), "at least 1 time step and 1 feature"),
    ],
)
def test_as_3d_rejects_shapes_that_are_not_sequences(shape, match):
    with pytest.raises(ValueError, match=match):
        as_3d(np.zeros(shape))


# ---------------------------------------------------------------- labels
@pytest.mark.parametrize(
    "y",
    [
        ["a", 1, "b"],
        np.array(["a", 2.5], dtype=object),
        ["yes", True],
        [np.int64(3), "three"],
    ],
)
def test_label_types_mixing_strings_and_numbers_are_refused(y):
    with pytest.raises(ValueError, match="mixes label types.*str\\(label\\)"):
        check_label_types(y)


@pytest.mark.parametrize(
    "y",
    [
        ["a", "b"],
        [1, 2.5, True],
        np.array([1, 2]),
        np.array(["a", "1"]),  # one dtype: all strings
        pd.Series(["a", "b"]),
        None,
        "ab",
        5,
    ],
)
def test_label_types_of_one_kind_pass(y):
    assert check_label_types(y) is None


# ---------------------------------------------------------------- weights
def test_sample_weight_none_is_none():
    assert check_sample_weight(None, 3) is None


@pytest.mark.parametrize("scalar", [2, 2.0, np.float32(2.0), np.int64(2)])
def test_scalar_sample_weight_weighs_every_sample_alike(scalar):
    weights = check_sample_weight(scalar, 4)
    assert weights.dtype == np.float64
    np.testing.assert_array_equal(weights, [2.0, 2.0, 2.0, 2.0])
    assert check_sample_weight(scalar, 0).shape == (0,)


@pytest.mark.parametrize(
    "sample_weight",
    [[1, 0, 2.5], np.array([1, 0, 2.5], dtype=np.float32), pd.Series([1, 0, 2.5])],
    ids=["list", "float32", "Series"],
)
def test_sample_weight_becomes_float64(sample_weight):
    weights = check_sample_weight(sample_weight, 3)
    assert weights.dtype == np.float64
    np.testing.assert_array_equal(weights, [1.0, 0.0, 2.5])


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.float32])
def test_callers_sample_weight_is_not_modified(dtype):
    original = np.array([2, 0, 1], dtype=dtype)
    weights = original.copy()
    checked = check_sample_weight(weights, 3)
    assert not np.shares_memory(checked, weights)
    checked *= 10.0  # a caller combining weights in place
    assert weights.dtype == dtype
    np.testing.assert_array_equal(weights, original)
    series = pd.Series([3, 0, 1], index=[7, 8, 9])
    check_sample_weight(series, 3)[:] = -1.0
    assert series.tolist() == [3, 0, 1]
    assert series.index.tolist() == [7, 8, 9]


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        ([1, -1, 1], r"non-negative, got -1\.0 at position 1\."),
        (-2.0, r"non-negative, got -2\.0\.$"),
        ([1, 1], r"2 values but X has 3 samples"),
        ([1, 1, 1, 1], r"4 values but X has 3 samples"),
        ([[1], [1], [1]], r"scalar or 1-D .* shape \(3, 1\)"),
        ([1, np.nan, 1], r"finite .*, got nan at position 1"),
        ([1, 1, np.inf], r"finite .*, got inf at position 2"),
        (np.nan, r"finite .*, got nan\.$"),
        ([1, None, 1], r"finite .*, got nan at position 1"),
        ([0, 0, 0], r"zero for every sample.*at least one weight must be positive"),
        (0.0, r"zero for every sample"),
        (["a", "b", "c"], r"must contain numbers"),
        ([1, "a", 1], r"must contain numbers"),
        ([1e308, 1e308, 1e308], r"sum of sample_weight overflows"),
    ],
    ids=[
        "negative",
        "negative-scalar",
        "short",
        "long",
        "2-D",
        "nan",
        "inf",
        "nan-scalar",
        "None",
        "all-zero",
        "zero-scalar",
        "strings",
        "a-string",
        "overflowing-sum",
    ],
)
def test_invalid_sample_weight_is_named(sample_weight, match):
    with pytest.raises(ValueError, match=match):
        check_sample_weight(sample_weight, 3)
