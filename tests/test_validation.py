"""Tests for ``sklearn_rnn._validation``: every input check, and what users see.

The checks are called directly, and through the estimators where the point is the
message a user gets from ``fit`` or ``predict`` (input read once, strings never
read as numbers, values out of the model's dtype, pre-tokenised documents, the
sum of the weights). The rest of how the estimators react to bad input (and that
a failed call changes nothing) is in test_base.py; labels and class weights are
in test_classifier.py.
"""

import copy
import tracemalloc
from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import (
    HYPOTHESIS,
    PREDICT_METHODS,
    WORDS,
    assert_clear_error,
    assert_same_state,
    fit_quietly,
    ignore_convergence,
    small_rnn,
    snapshot,
)
from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, TextTokenizer
from sklearn_rnn._validation import (
    as_3d,
    as_documents,
    check_documents,
    check_label_types,
    check_sample_weight,
    padded_sequences,
    read_once,
    sequence_items,
    sequence_list,
    to_model_dtype,
)

# Short fits keep the file fast; they are not meant to converge.
pytestmark = ignore_convergence


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
    "DataFrame": (
        pd.DataFrame({"text": ["a", "b"], "more": ["c", "d"]}),
        ValueError,
        r"1-D .*\(2, 2\)",
    ),
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
        pd.DataFrame(
            {"text": ["a", "b"], "x": ["c", "d"]}
        ),  # the numeric path explains
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


NAN = np.nan


def test_padded_sequences_end_where_their_trailing_nan_begins():
    X = np.array([[1.0, 2.0, 3.0], [1.0, NAN, NAN], [NAN, NAN, NAN], [1.0, 2.0, NAN]])
    sequences = padded_sequences(X)
    np.testing.assert_array_equal(sequences.lengths, [3, 1, 0, 2])
    assert np.shares_memory(sequences.data, X)  # read as it is, not copied
    X3 = np.ones((2, 4, 2))
    X3[0, 2:], X3[1, 3:] = NAN, NAN
    np.testing.assert_array_equal(padded_sequences(X3).lengths, [2, 3])
    ints = padded_sequences(np.zeros((2, 5), dtype=np.int64))
    np.testing.assert_array_equal(ints.lengths, [5, 5])


def test_padded_sequences_name_misplaced_nan_in_the_whole_input():
    """The padding is looked for a chunk of samples at a time; a NaN that is not
    padding is named by its position in the whole input."""
    X = np.ones((2500, 4, 2))
    X[:, 3:] = NAN
    X[2400, 1, 0] = NAN
    with pytest.raises(
        ValueError, match=r"X\[2400, 1, 0\] is NaN \(sample 2400, time step 1, "
    ):
        padded_sequences(X)
    X[2400, 1] = NAN  # a whole step, with numbers after it
    with pytest.raises(ValueError, match=r"X\[2400, 1, 0\] .*up to time step 2:"):
        padded_sequences(X)
    X[2400, 1] = 1.0
    assert (padded_sequences(X).lengths == 3).all()


def test_sequence_list_reads_sequences_of_any_length():
    sequences = sequence_list([[1.0, 2.0], np.array([]), np.array([3.0, NAN]), []])
    np.testing.assert_array_equal(sequences.lengths, [2, 0, 1, 0])
    assert sequences.n_step_features == 1 and sequences.univariate
    assert [a.shape for a in sequences.data] == [(2, 1), (0, 1), (2, 1), (0, 1)]
    # An empty 1-D item is an empty sequence of any number of features.
    multivariate = sequence_list([np.ones((2, 3)), []], n_step_features=3)
    np.testing.assert_array_equal(multivariate.lengths, [2, 0])
    assert not multivariate.univariate
    assert multivariate.name(4, 1, 2) == "X[4][1, 2]"
    with pytest.raises(ValueError, match=r"X\[0\] has 2 features per time step, "):
        sequence_list([np.ones((2, 2))], n_step_features=3)


@pytest.mark.parametrize(
    "X, at_fit, anywhere",
    [
        ([[1.0, 2.0], [3.0]], True, True),
        ([[1.0, 2.0], [3.0, 4.0]], False, True),  # one table to a first fit
        ((np.zeros(2), np.zeros(3)), True, True),
        (pd.Series([np.zeros(2), np.zeros(2)]), True, True),
        (np.array([np.zeros(2), None], dtype=object)[:1], True, True),
        ([1.0, 2.0], False, False),  # numbers, not sequences
        ([[1.0, 2.0], 3.0], False, False),
        (np.zeros((2, 3)), False, False),
        (pd.DataFrame({"a": [1.0], "b": [2.0]}), False, False),
        ([], False, False),
    ],
)
def test_sequence_items_tells_a_list_of_sequences(X, at_fit, anywhere):
    """A list of sequences may have any lengths, except that a first fit leaves
    one whose sequences have one shape to be read as one array (scikit-learn's
    nested list, which fixes n_features_in_)."""
    assert (sequence_items(X, any_length=False) is not None) == at_fit
    assert (sequence_items(X, any_length=True) is not None) == anywhere


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
        np.array([1, 2]),
        np.array(["a", "1"]),  # one dtype: all strings
        pd.Series(["a", "b"]),
        None,
        "ab",
        5,
    ],
)
def test_label_types_of_one_kind_pass_unchanged(y):
    assert check_label_types(y) is y


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
        ([1e308, 1e308, 1e308], r"sample_weight sums to inf, more than 1e\+300"),
        ([8e307, 8e307, 1], r"sample_weight sums to 1\.6e\+308, more than 1e\+300"),
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
        "sum-near-the-limit",
    ],
)
def test_invalid_sample_weight_is_named(sample_weight, match):
    with pytest.raises(ValueError, match=match):
        check_sample_weight(sample_weight, 3)


# ---------------------------------------------------------------- read once
def test_read_once_lists_iterators_and_leaves_collections_alone():
    assert read_once(doc for doc in ["a", "b"]) == ["a", "b"]
    assert read_once(iter([1, 2])) == [1, 2]
    assert read_once(map(str, [1])) == ["1"]
    for X in (["a"], ("a",), np.array(["a"]), pd.Series(["a"]), {"a"}, None, "ab"):
        assert read_once(X) is X


def _generator(items):
    return (item for item in items)


def test_fit_and_predict_read_generators_once_as_lists(seed_train, numeric_2d):
    """X, y and sample_weight given as generators (one-shot iterables) fit and
    predict as the same lists do, for text and for numbers: each call reads them
    once. A generator of numeric rows used to be read as documents ("Document at
    position 0 in X is ndarray ... not str"), and y as a generator was consumed by
    the label check before being read."""
    for X, y in (seed_train, (list(numeric_2d[0]), list(numeric_2d[1]))):
        weights = np.linspace(0.5, 2.0, len(y))
        from_lists = small_rnn(max_iter=3).fit(X, y, sample_weight=weights)
        from_generators = small_rnn(max_iter=3).fit(
            _generator(X), _generator(y), sample_weight=_generator(weights)
        )
        for method in PREDICT_METHODS:
            expected = getattr(from_lists, method)(X)
            got = getattr(from_generators, method)(_generator(X))
            if method == "predict_proba_per_step":
                for e, g in zip(expected, got, strict=True):
                    np.testing.assert_array_equal(e, g)
            else:
                np.testing.assert_array_equal(expected, got)
        assert from_generators.score(_generator(X), y) == from_lists.score(X, y)
        # Training continued on generators: partial_fit and warm start.
        continued = copy.deepcopy(from_lists).partial_fit(X, y)
        from_generators = copy.deepcopy(from_lists).partial_fit(
            _generator(X), _generator(y)
        )
        np.testing.assert_array_equal(
            continued.predict_proba(X), from_generators.predict_proba(X)
        )
        warm = copy.deepcopy(from_lists).set_params(warm_start=True, max_iter=2)
        assert warm.fit(_generator(X), _generator(y)).n_iter_ == 5


def test_partial_fit_reads_a_generator_of_classes_once(seed_train):
    clf = small_rnn().partial_fit(*seed_train, classes=_generator([0, 1]))
    np.testing.assert_array_equal(clf.classes_, [0, 1])


@pytest.mark.parametrize("X", [{1.0, 2.0}, None], ids=["set", "None"])
def test_numeric_model_speaks_of_numeric_sequences(numeric_model, X):
    """A numeric model given what is neither text nor numbers says what it reads,
    not that "documents" are required."""
    with pytest.raises(TypeError, match="reads numeric sequences: a 2-D or 3-D") as e:
        numeric_model.predict(X)
    assert "document" not in str(e.value)


# ---------------------------------------------------------------- pre-tokenised
JOIN_TOKENS = r'X = \[" "\.join\(tokens\) for tokens in X\]'
TOKEN_LISTS = {
    "unequal-lists": ([["not", "good"], ["bad"]], 0, "list"),
    "equal-lists": ([["not", "good"], ["very", "bad"]], 0, "list"),
    "tuples": ((("not", "good"), ("bad",)), 0, "tuple"),
    "empty-first": ([[], ["bad"]], 1, "list"),
    "arrays": ([np.array(["not", "good"]), np.array(["bad"])], 0, "ndarray"),
    "Series-of-lists": (pd.Series([["not", "good"], ["bad"]]), 0, "list"),
}


@pytest.mark.parametrize("case", TOKEN_LISTS)
def test_pre_tokenised_documents_are_refused_with_the_fix(case, text_model, seed_train):
    """Lists of tokens are not documents: fit used to fail with NumPy's
    "inhomogeneous shape" (or, for equal lengths, "X holds strings but is not 1-D
    text"), and predict with "got list". Each now says the input looks
    pre-tokenised and how to join it."""
    X, position, kind = TOKEN_LISTS[case]
    match = rf"X looks pre-tokenised: sample {position} is a {kind} of tokens"
    with pytest.raises(ValueError, match=match) as excinfo:
        as_documents(X)
    assert_clear_error(excinfo, JOIN_TOKENS)
    with pytest.raises(ValueError, match=JOIN_TOKENS):
        small_rnn(max_iter=2).fit(X, [0, 1])
    before = snapshot(text_model)
    for method in PREDICT_METHODS:
        with pytest.raises(ValueError, match=match):
            getattr(text_model, method)(X)
    assert_same_state(before, vars(text_model))


def test_lists_of_numbers_are_still_numeric_sequences(numeric_model, numeric_2d):
    X = numeric_2d[0][:4]
    assert as_documents(X.tolist()) is None
    np.testing.assert_array_equal(
        numeric_model.predict_proba(X.tolist()), numeric_model.predict_proba(X)
    )


# ---------------------------------------------------------------- strings
@pytest.mark.parametrize(
    "column",
    [
        ["1", "2", "3", "4"],
        pd.array(["1", "2", "3", "4"], dtype="string"),
        ["good", "bad", "fine", "meh"],
        pd.Categorical(["1", "2", "1", "2"]),
    ],
    ids=["numeric-strings", "string-dtype", "words", "categorical"],
)
def test_a_dataframe_column_of_strings_is_documents_never_numbers(column, text_model):
    """A one-column DataFrame of strings (df[["text"]], what a ColumnTransformer
    or a 2-D-only tool passes on) is read as its documents, exactly as the Series:
    numeric-looking strings are never converted to numbers ("1" is a word)."""
    X = pd.DataFrame({"text": column})
    y = [0, 1, 0, 1]
    for estimator in (small_rnn, partial(small_rnn, TextRNNRegressor)):
        from_frame = estimator(max_iter=2).fit(X, y)
        from_series = estimator(max_iter=2).fit(X["text"], y)
        assert from_frame.input_mode_ == "text"
        np.testing.assert_array_equal(
            from_frame.predict(X), from_series.predict(X["text"])
        )
    np.testing.assert_array_equal(
        text_model.predict_proba(X), text_model.predict_proba(list(X["text"]))
    )


@pytest.mark.parametrize(
    "X, where",
    [
        (np.array([["1", "2"], ["3", "4"]] * 2), r"ndarray of shape \(4, 2\)\."),
        (np.array([[1.0, "2"], [3.0, 4.0]] * 2, dtype=object), r"shape \(4, 2\)\."),
        ([[1.0, "2"], [3.0, 4.0]] * 2, r"list\."),
        (pd.DataFrame({"a": [1.0] * 4, "b": ["1", "2", "3", "4"]}), "column 'b'"),
    ],
    ids=["str-array", "object-array", "list", "DataFrame"],
)
def test_strings_in_numeric_input_are_refused(X, where):
    """A 2-D str array of numbers used to become a numeric model silently."""
    with pytest.raises(ValueError, match=r"X holds strings but is not 1-D text") as e:
        small_rnn(max_iter=2).fit(X, [0, 1, 0, 1])
    assert_clear_error(e, where)
    assert_clear_error(e, "strings are never converted to numbers")


# ---------------------------------------------------------------- model dtype
OUT_OF_FLOAT32 = (
    r"X\[{}\] = {} is out of the range of float32 \(the model's dtype, whose "
    r"largest magnitude is 3\.403e\+38\): it would become infinite\. Scale the "
    r"inputs down \(e\.g\. standardise them\) or fit the model with "
    r'dtype="float64"\.'
)


@pytest.fixture(scope="module")
def float32_model(numeric_2d):
    return fit_quietly(small_rnn(max_iter=5, dtype="float32"), *numeric_2d)


def test_to_model_dtype_names_the_first_value_out_of_range():
    X = np.zeros((3, 4, 2))
    X[1, 2, 1], X[2, 0, 0] = 1e39, -1e39
    with pytest.raises(ValueError, match=OUT_OF_FLOAT32.format("1, 2, 1", r"1e\+39")):
        to_model_dtype(X, np.float32)
    # A chunk of a larger input names the position in that input.
    with pytest.raises(ValueError, match=OUT_OF_FLOAT32.format("7, 2, 1", r"1e\+39")):
        to_model_dtype(X, np.float32, start=6)
    with pytest.raises(ValueError, match=OUT_OF_FLOAT32.format("2, 0", r"-1e\+39")):
        to_model_dtype(X[:, :, 0], np.float32)
    # Fine in float64; no copy when the dtype is the model's already.
    assert to_model_dtype(X, np.float64) is X
    big = np.full((2, 3), np.finfo(np.float32).max, dtype=np.float32)
    assert to_model_dtype(big, np.float32) is big  # only its sum overflows


def test_check_range_reads_without_copying_and_names_the_value():
    X = np.zeros((3000, 4))
    padded_sequences(X).check_range(np.float32)
    X[2500, 3] = 5e38
    with np.errstate(over="ignore"):
        narrow = X.astype(np.float32)  # inf: not wider than the model, not checked
    padded_sequences(narrow).check_range(np.float32)
    X[2600, 2:] = np.nan  # padding: never read, never out of range
    with pytest.raises(ValueError, match=OUT_OF_FLOAT32.format("2500, 3", r"5e\+38")):
        padded_sequences(X).check_range(np.float32)
    padded_sequences(X).check_range(np.float64)  # float64 holds it


@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_float32_model_refuses_inputs_out_of_its_range(
    float32_model, numeric_2d, method
):
    """1e39 passes a float64 finiteness check, but is infinite in a float32 model:
    predict_proba used to return NaN while predict returned the first class."""
    X = numeric_2d[0][:8].copy()
    X[3, 5] = 1e39
    before = snapshot(float32_model)
    with pytest.raises(ValueError, match=OUT_OF_FLOAT32.format("3, 5", r"1e\+39")):
        getattr(float32_model, method)(X)
    assert_same_state(before, vars(float32_model))
    X[3, 5] = np.finfo(np.float32).max  # the largest float32 is in range
    assert np.isfinite(float32_model.predict_proba(X)).all()


def test_float32_model_names_the_sample_in_any_chunk(numeric_3d):
    X, y = numeric_3d
    model = fit_quietly(small_rnn(max_iter=2, dtype="float32"), X, y)
    X = np.repeat(X, 60, axis=0)  # 2400 samples: three prediction chunks
    X[2345, 4, 2] = -2e39
    match = OUT_OF_FLOAT32.format("2345, 4, 2", r"-2e\+39")
    with pytest.raises(ValueError, match=match):
        model.predict(X)


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_fit_reports_float32_overflow_as_an_input_problem(
    float32_model, numeric_2d, how
):
    """Training on 1e39 in float32 used to end in "Training diverged at epoch 1:
    the weights overflowed", which blames the learning rate; the input is named."""
    X, y = numeric_2d
    X = X.copy()
    X[7, 0] = 1e39
    match = OUT_OF_FLOAT32.format("7, 0", r"1e\+39")
    if how == "fit":
        fresh = small_rnn(max_iter=2, dtype="float32")
        with pytest.raises(ValueError, match=match) as excinfo:
            fresh.fit(X, y)
        assert "diverged" not in str(excinfo.value)
        assert not hasattr(fresh, "input_mode_")
        return
    model = copy.deepcopy(float32_model).set_params(warm_start=how == "warm_start")
    before = snapshot(model)
    with pytest.raises(ValueError, match=match):
        getattr(model, "fit" if how == "warm_start" else how)(X, y)
    assert_same_state(before, vars(model))


def test_float64_model_refuses_long_doubles_out_of_its_range(numeric_model, numeric_2d):
    X = numeric_2d[0][:4].astype(np.longdouble)
    if np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
        pytest.skip("long double is float64 on this platform")
    X[1, 2] = np.longdouble("1e400")
    with pytest.raises(ValueError, match=r"X\[1, 2\] = 1e\+400 is out of .*float64"):
        numeric_model.predict(X)


@pytest.mark.parametrize("model_dtype", ["float64", "float32"])
def test_numeric_prediction_makes_no_full_size_copy(model_dtype):
    """Prediction converts numeric input to the model's dtype one chunk at a time:
    61 MiB of float32 input used to add 122 MiB (a float64 copy of it all). The
    peak of the allocations during a prediction stays below the input's size."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40_000, 40)).astype(np.float32)  # 6.1 MiB
    y = (X[:50, -1] > 0).astype(int)
    model = fit_quietly(
        small_rnn(hidden_size=4, max_iter=2, dtype=model_dtype), X[:50], y
    )
    for method in ("predict_proba", "transform"):
        tracemalloc.start()
        try:
            getattr(model, method)(X)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < X.nbytes, (method, peak / 2**20, X.nbytes / 2**20)


# ---------------------------------------------------------------- weights, fitted
def test_weights_too_large_for_the_loss_are_refused_before_training(seed_train):
    """Weights summing to 1.6e308 (finite) used to end in "Training diverged at
    epoch 1: the loss is inf": the weighted loss overflowed. Refused up front."""
    X, y = seed_train
    weights = np.ones(len(y))
    weights[:2] = 8e307
    for estimator in (small_rnn(max_iter=2), small_rnn(TextRNNRegressor, max_iter=2)):
        with pytest.raises(ValueError, match=r"sample_weight sums to 1\.6e\+308") as e:
            estimator.fit(X, np.asarray(y, dtype=float), sample_weight=weights)
        assert_clear_error(e, "Scale the weights down")
        assert "diverged" not in str(e.value)
    # The fix the message gives: the same ratios, scaled down, train.
    small_rnn(max_iter=2).fit(X, y, sample_weight=weights / weights.mean())


# ---------------------------------------------------------------- hostile input
FLOAT32_MAX = float(np.finfo(np.float32).max)


@HYPOTHESIS
@given(
    X=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.just(6)),
        elements=st.one_of(
            st.floats(-3, 3),
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from([FLOAT32_MAX, -FLOAT32_MAX, 3.4028236e38, 1e39]),
        ),
    )
)
def test_float32_model_on_any_finite_float64_input(float32_model, X):
    """Any finite float64 input: finite probabilities, or the first value the
    float32 model cannot hold named, with its position."""
    with np.errstate(over="ignore"):
        out = ~np.isfinite(X.astype(np.float32))
    if out.any():
        i, j = np.argwhere(out)[0]
        with pytest.raises(ValueError, match=rf"X\[{i}, {j}\] = .* out of the range"):
            float32_model.predict_proba(X)
    else:
        proba = float32_model.predict_proba(X)
        assert np.isfinite(proba).all() and proba.shape == (len(X), 2)


@HYPOTHESIS
@given(
    X=st.one_of(
        st.lists(st.lists(WORDS, max_size=3), min_size=1, max_size=4),
        st.lists(st.lists(WORDS, min_size=2, max_size=2), min_size=1, max_size=4),
        st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=4),
    ),
    consume=st.booleans(),
)
def test_text_model_on_any_token_lists(text_model, X, consume):
    """Token lists, as lists or read from a generator: refused as pre-tokenised
    (all empty lists have no token to tell, and are not documents either)."""
    given_X = _generator(X) if consume else X
    with pytest.raises((ValueError, TypeError)) as excinfo:
        text_model.predict_proba(given_X)
    if any(len(tokens) for tokens in X):
        assert_clear_error(excinfo, "looks pre-tokenised")
        assert_clear_error(excinfo, JOIN_TOKENS)
    else:
        assert_clear_error(excinfo, "fitted on text", "not str")


@HYPOTHESIS
@given(
    values=st.lists(
        st.one_of(
            st.integers(-3, 3),
            st.sampled_from(["1", "2.5", "a"]),
            st.floats(-3, 3),
        ),
        min_size=4,
        max_size=4,
    ),
    container=st.sampled_from(["object-array", "DataFrame", "list"]),
)
def test_fit_never_reads_strings_as_numbers(values, container):
    """A numeric table holding any strings is refused, whatever the container;
    one without strings trains."""
    rows = [[v, 1.0] for v in values]
    X = {
        "object-array": lambda: np.array(rows, dtype=object),
        "DataFrame": lambda: pd.DataFrame({"a": values, "b": [1.0] * 4}),
        "list": lambda: rows,
    }[container]()
    clf = TextRNNClassifier(hidden_size=4, max_iter=2, random_state=0)
    if any(isinstance(v, str) for v in values):
        with pytest.raises(ValueError) as excinfo:
            clf.fit(X, [0, 1, 0, 1])
        assert_clear_error(excinfo, "strings")
        assert not hasattr(clf, "input_mode_")
    else:
        assert clf.fit(X, [0, 1, 0, 1]).input_mode_ == "numeric"


def test_numbers_that_are_neither_an_array_nor_a_list_of_sequences_are_named():
    """Sequences of different lengths are a list of sequences; numbers beside
    sequences are neither that nor one array."""
    mixed = [[1.0, 2.0], 3.0] * 5
    with pytest.raises(ValueError, match="neither one array of numbers nor a list"):
        small_rnn(max_iter=2).fit(mixed, [0, 1] * 5)
