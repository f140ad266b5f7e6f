"""Tests for TextTokenizer and check_documents."""

import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import sklearn_rnn
from sklearn_rnn import TextTokenizer
from sklearn_rnn._tokenizer import check_documents

PAD = TextTokenizer.PAD_ID
UNK = TextTokenizer.UNK_ID

CORPUS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "A cat and a dog are friends.",
    "I am good",
]


def test_reserved_ids():
    assert (PAD, UNK) == (0, 1)
    assert (TextTokenizer.PAD_TOKEN, TextTokenizer.UNK_TOKEN) == ("<pad>", "<unk>")


def test_one_letter_words_are_tokens():
    tokenizer = TextTokenizer().fit(["i am good", "a b"])
    assert {"i", "a", "b"} <= set(tokenizer.vocabulary_)
    token_ids, offsets = tokenizer.transform_ragged(["i am good"])
    assert offsets.tolist() == [0, 3]
    assert UNK not in token_ids


def test_fitted_attributes_are_consistent():
    tokenizer = TextTokenizer().fit(CORPUS)
    assert tokenizer.tokens_.dtype == object
    assert tokenizer.tokens_[PAD] == "<pad>"
    assert tokenizer.tokens_[UNK] == "<unk>"
    assert tokenizer.vocabulary_size_ == len(tokenizer.tokens_)
    assert tokenizer.vocabulary_size_ == len(tokenizer.vocabulary_) + 2
    assert sorted(tokenizer.vocabulary_.values()) == list(
        range(2, tokenizer.vocabulary_size_)
    )
    for token, token_id in tokenizer.vocabulary_.items():
        assert tokenizer.tokens_[token_id] == token
        assert type(token_id) is int


def test_ids_ordered_by_count_then_token():
    docs = ["b b b c", "a a c", "d"]
    # counts: b=3, c=2, a=2, d=1; c is seen first but a and c tie, so they
    # are ordered as strings.
    tokenizer = TextTokenizer().fit(docs)
    assert tokenizer.vocabulary_ == {"b": 2, "a": 3, "c": 4, "d": 5}
    assert list(tokenizer.tokens_) == ["<pad>", "<unk>", "b", "a", "c", "d"]


def test_ordering_uses_total_count_not_document_frequency():
    # "x" is in one document but occurs 5 times, "y" is in 3 documents.
    tokenizer = TextTokenizer().fit(["x x x x x y", "y", "y"])
    assert tokenizer.vocabulary_ == {"x": 2, "y": 3}


def test_vocabulary_independent_of_document_order():
    docs = [f"w{i % 7} w{i % 5} tie{i}" for i in range(40)]
    reference = TextTokenizer().fit(docs).vocabulary_
    rng = np.random.default_rng(0)
    for _ in range(3):
        shuffled = [docs[i] for i in rng.permutation(len(docs))]
        assert TextTokenizer().fit(shuffled).vocabulary_ == reference
        assert list(TextTokenizer().fit(shuffled).vocabulary_) == list(reference)


def test_vocabulary_identical_across_processes_and_hash_seeds():
    script = (
        "import json\n"
        "from sklearn_rnn._tokenizer import TextTokenizer\n"
        "docs = [f'tok{i % 13} word{i % 17} w{i}' for i in range(60)]\n"
        "docs += ['zeta alpha mu', 'mu alpha zeta']\n"
        "t = TextTokenizer().fit(docs)\n"
        "print(json.dumps(list(t.vocabulary_.items())))\n"
    )
    package_parent = str(Path(sklearn_rnn.__file__).resolve().parents[1])
    outputs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [package_parent, env.get("PYTHONPATH")])
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert '"alpha"' in outputs[0]


@pytest.mark.parametrize("lowercase", [True, False])
def test_lowercase(lowercase):
    tokenizer = TextTokenizer(lowercase=lowercase).fit(["Hello hello HELLO"])
    if lowercase:
        assert tokenizer.vocabulary_ == {"hello": 2}
        assert tokenizer.transform(["HeLLo"]).tolist() == [[2]]
    else:
        assert set(tokenizer.vocabulary_) == {"Hello", "hello", "HELLO"}
        assert tokenizer.transform(["HeLLo"]).tolist() == [[UNK]]


def test_custom_token_pattern():
    tokenizer = TextTokenizer(token_pattern=r"[a-z]+").fit(["ab-cd 12"])
    assert set(tokenizer.vocabulary_) == {"ab", "cd"}


def test_char_analyzer():
    tokenizer = TextTokenizer(analyzer="char").fit(["abca", "Bc"])
    # a=2, b=2, c=2 tie (lowercased), so ids follow string order.
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3, "c": 4}
    assert tokenizer.transform(["cab", "az"]).tolist() == [[4, 2, 3], [2, UNK, PAD]]


def test_char_analyzer_keeps_and_normalises_whitespace():
    tokenizer = TextTokenizer(analyzer="char").fit(["a  b\n\tc"])
    assert " " in tokenizer.vocabulary_
    assert "\n" not in tokenizer.vocabulary_
    assert tokenizer.inverse_transform(tokenizer.transform(["a \n b"])) == [
        ["a", " ", "b"]
    ]


def test_char_analyzer_warns_about_ignored_stop_words():
    with pytest.warns(UserWarning, match="stop_words will not be used"):
        TextTokenizer(analyzer="char", stop_words="english").fit(["abc"])


def test_char_analyzer_default_token_pattern_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TextTokenizer(analyzer="char").fit(["abc"])


def test_stop_words_english():
    tokenizer = TextTokenizer(stop_words="english").fit(["the cat and the hat"])
    assert set(tokenizer.vocabulary_) == {"cat", "hat"}
    assert tokenizer.transform(["the cat"]).tolist() == [[tokenizer.vocabulary_["cat"]]]


def test_stop_words_list():
    tokenizer = TextTokenizer(stop_words=["cat"]).fit(["the cat and the hat"])
    assert set(tokenizer.vocabulary_) == {"the", "and", "hat"}


@pytest.mark.parametrize("strip_accents", ["unicode", "ascii"])
def test_strip_accents(strip_accents):
    tokenizer = TextTokenizer(strip_accents=strip_accents).fit(["café naïve"])
    assert set(tokenizer.vocabulary_) == {"cafe", "naive"}
    assert tokenizer.transform(["cafe café"]).tolist() == [[2, 2]]


def test_accents_kept_by_default():
    tokenizer = TextTokenizer().fit(["café"])
    assert tokenizer.transform(["cafe"]).tolist() == [[UNK]]


def test_min_df_int():
    docs = ["a b c", "a b", "a"]
    assert set(TextTokenizer(min_df=2).fit(docs).vocabulary_) == {"a", "b"}
    assert set(TextTokenizer(min_df=3).fit(docs).vocabulary_) == {"a"}


def test_min_df_uses_document_frequency_not_count():
    tokenizer = TextTokenizer(min_df=2).fit(["x x x x", "y", "y"])
    assert set(tokenizer.vocabulary_) == {"y"}


def test_min_df_float():
    docs = ["a b c", "a b", "a", "a"]
    assert set(TextTokenizer(min_df=0.5).fit(docs).vocabulary_) == {"a", "b"}
    assert set(TextTokenizer(min_df=0.75).fit(docs).vocabulary_) == {"a"}


def test_max_df_int_and_float():
    docs = ["a b c", "a b", "a", "a"]
    assert set(TextTokenizer(max_df=2).fit(docs).vocabulary_) == {"b", "c"}
    assert set(TextTokenizer(max_df=0.5).fit(docs).vocabulary_) == {"b", "c"}
    assert set(TextTokenizer(max_df=0.25).fit(docs).vocabulary_) == {"c"}
    # An int 1 is an absolute count (one document), not the proportion 1.0.
    assert set(TextTokenizer(max_df=1).fit(docs).vocabulary_) == {"c"}


def test_max_features_keeps_most_frequent_with_deterministic_ties():
    docs = ["a a a b b c d", "c d e"]
    # counts: a=3, b=2, c=2, d=2, e=1
    tokenizer = TextTokenizer(max_features=3).fit(docs)
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3, "c": 4}
    assert tokenizer.vocabulary_size_ == 5
    assert tokenizer.transform(["d a"]).tolist() == [[UNK, 2]]


def test_max_features_applied_after_document_frequency_filter():
    docs = ["a a a a b", "b c", "c"]
    tokenizer = TextTokenizer(min_df=2, max_features=1).fit(docs)
    # "a" is the most frequent token but is in a single document.
    assert tokenizer.vocabulary_ == {"b": 2}


def test_unseen_tokens_map_to_unk():
    tokenizer = TextTokenizer().fit(["known words only"])
    X = tokenizer.transform(["never seen known"])
    assert X.tolist() == [[UNK, UNK, tokenizer.vocabulary_["known"]]]


def test_transform_shape_dtype_and_padding():
    tokenizer = TextTokenizer().fit(CORPUS)
    X = tokenizer.transform(["cat", "the cat sat", ""])
    assert X.dtype == np.int64
    assert X.shape == (3, 3)
    assert X[0, 1:].tolist() == [PAD, PAD]
    assert X[2].tolist() == [PAD, PAD, PAD]
    assert PAD not in X[1]


def test_empty_documents():
    tokenizer = TextTokenizer().fit(["a b", ""])
    token_ids, offsets = tokenizer.transform_ragged(["", "a", "  ", "!!"])
    assert offsets.tolist() == [0, 0, 1, 1, 1]
    assert token_ids.tolist() == [tokenizer.vocabulary_["a"]]
    X = tokenizer.transform(["", "", "?"])
    assert X.shape == (3, 0)
    assert X.dtype == np.int64


def test_transform_zero_documents():
    tokenizer = TextTokenizer().fit(CORPUS)
    X = tokenizer.transform([])
    assert X.shape == (0, 0)
    assert X.dtype == np.int64
    token_ids, offsets = tokenizer.transform_ragged([])
    assert token_ids.shape == (0,)
    assert offsets.tolist() == [0]
    assert token_ids.dtype == offsets.dtype == np.int64


def test_max_len_truncates_to_first_tokens():
    tokenizer = TextTokenizer(max_len=2).fit(["a b c d e"])
    X = tokenizer.transform(["a b c d", "e", "d c b a"])
    v = tokenizer.vocabulary_
    assert X.tolist() == [[v["a"], v["b"]], [v["e"], PAD], [v["d"], v["c"]]]
    token_ids, offsets = tokenizer.transform_ragged(["a b c d", "e"])
    assert offsets.tolist() == [0, 2, 3]
    assert token_ids.tolist() == [v["a"], v["b"], v["e"]]


def test_max_len_does_not_change_vocabulary():
    # Truncation happens in transform, so tokens late in a document count.
    tokenizer = TextTokenizer(max_len=1).fit(["a b c"])
    assert set(tokenizer.vocabulary_) == {"a", "b", "c"}


def test_transform_matches_transform_ragged():
    tokenizer = TextTokenizer().fit(CORPUS)
    docs = CORPUS + ["", "unknown cat words here and there", "i"]
    X = tokenizer.transform(docs)
    token_ids, offsets = tokenizer.transform_ragged(docs)
    assert len(offsets) == len(docs) + 1
    assert offsets[0] == 0
    assert X.shape[1] == np.diff(offsets).max()
    for i, row in enumerate(X):
        document_ids = token_ids[offsets[i] : offsets[i + 1]]
        assert row[: len(document_ids)].tolist() == document_ids.tolist()
        assert (row[len(document_ids) :] == PAD).all()


def test_fit_transform_matches_fit_then_transform():
    fitted = TextTokenizer(max_len=4, min_df=1).fit(CORPUS)
    X = TextTokenizer(max_len=4, min_df=1).fit_transform(CORPUS)
    np.testing.assert_array_equal(X, fitted.transform(CORPUS))


def test_ragged_size_equals_token_count():
    docs = ["a b c", "", "d e", "f"]
    tokenizer = TextTokenizer().fit(docs)
    token_ids, offsets = tokenizer.transform_ragged(docs)
    assert token_ids.shape == (6,)
    assert offsets.shape == (len(docs) + 1,)
    assert offsets[-1] == token_ids.size
    # One long document must not make the output grow with n_docs * length.
    many = ["x"] * 1000 + ["x " * 500]
    token_ids, offsets = tokenizer.transform_ragged(many)
    assert token_ids.size == 1500
    assert offsets.size == 1002


def test_inverse_transform_round_trip():
    tokenizer = TextTokenizer().fit(["the cat sat on the mat"])
    docs = ["The cat sat", "the dog sat on a mat", ""]
    result = tokenizer.inverse_transform(tokenizer.transform(docs))
    assert result == [
        ["the", "cat", "sat"],
        ["the", "<unk>", "sat", "on", "<unk>", "mat"],
        [],
    ]
    assert all(type(token) is str for tokens in result for token in tokens)


def test_inverse_transform_accepts_lists_and_drops_padding():
    tokenizer = TextTokenizer().fit(["a b"])
    assert tokenizer.inverse_transform([[2, 0, 3, 0], [1, 0, 0, 0]]) == [
        ["a", "b"],
        ["<unk>"],
    ]
    assert tokenizer.inverse_transform(np.zeros((0, 0), dtype=np.int64)) == []


@pytest.mark.parametrize("bad_id", [4, 100, -1])
def test_inverse_transform_rejects_out_of_range_ids(bad_id):
    tokenizer = TextTokenizer().fit(["a b"])  # ids 0..3
    with pytest.raises(ValueError, match=rf"Token id {bad_id} at row 1, column 0"):
        tokenizer.inverse_transform([[2, 3], [bad_id, 0]])


def test_inverse_transform_rejects_bad_shape_and_dtype():
    tokenizer = TextTokenizer().fit(["a b"])
    with pytest.raises(ValueError, match=r"2-D array .* shape \(2,\)"):
        tokenizer.inverse_transform([2, 3])
    with pytest.raises(ValueError, match="must be integers"):
        tokenizer.inverse_transform([[2.5, 3.0]])
    with pytest.raises(ValueError, match="must be integers"):
        tokenizer.inverse_transform([["a", "b"]])


@pytest.mark.parametrize(
    "method", ["transform", "transform_ragged", "inverse_transform"]
)
def test_not_fitted(method):
    arg = [[2, 3]] if method == "inverse_transform" else ["a b"]
    with pytest.raises(NotFittedError):
        getattr(TextTokenizer(), method)(arg)


def test_fit_returns_self_and_ignores_y():
    tokenizer = TextTokenizer()
    assert tokenizer.fit(["a b"], y=[1]) is tokenizer


def test_fit_zero_documents():
    with pytest.raises(ValueError, match="0 documents"):
        TextTokenizer().fit([])


@pytest.mark.parametrize(
    "docs, params",
    [
        (["", "   ", "?!"], {}),
        (["the and of", ""], {"stop_words": "english"}),
    ],
)
def test_fit_without_any_token(docs, params):
    with pytest.raises(ValueError, match="No tokens found.*empty or contain only stop"):
        TextTokenizer(**params).fit(docs)


@pytest.mark.parametrize(
    "params",
    [{"min_df": 3}, {"max_df": 0.1}, {"min_df": 0.9, "max_df": 0.2}],
)
def test_fit_filter_removes_everything(params):
    with pytest.raises(
        ValueError, match="no tokens remain.*lower min_df.*higher max_df"
    ):
        TextTokenizer(**params).fit(["a b", "b c"])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"analyzer": "char_wb"}, "analyzer"),
        ({"lowercase": "yes"}, "lowercase"),
        ({"token_pattern": None}, "token_pattern"),
        ({"strip_accents": "latin"}, "strip_accents"),
        ({"stop_words": "french"}, "stop_words"),
        ({"min_df": 1.5}, "min_df"),
        ({"min_df": 0}, "min_df"),
        ({"max_df": -0.1}, "max_df"),
        ({"max_features": 0}, "max_features"),
        ({"max_len": 0}, "max_len"),
        ({"max_len": 2.0}, "max_len"),
    ],
)
def test_invalid_parameters_rejected_at_fit(params, match):
    tokenizer = TextTokenizer(**params)  # __init__ does not validate
    with pytest.raises(ValueError, match=match):
        tokenizer.fit(["a b"])


def test_clone_get_params_set_params():
    tokenizer = TextTokenizer(analyzer="char", max_len=5, min_df=2)
    params = tokenizer.get_params()
    assert params == {
        "analyzer": "char",
        "lowercase": True,
        "token_pattern": r"(?u)\b\w+\b",
        "strip_accents": None,
        "stop_words": None,
        "min_df": 2,
        "max_df": 1.0,
        "max_features": None,
        "max_len": 5,
    }
    cloned = clone(tokenizer.fit(["aa bb", "ab"]))
    assert cloned.get_params() == params
    assert not hasattr(cloned, "vocabulary_")
    assert cloned.set_params(max_len=3, analyzer="word", min_df=1) is cloned
    assert cloned.get_params()["max_len"] == 3
    cloned.fit(["one two three four"])
    assert cloned.transform(["one two three four"]).shape == (1, 3)


def test_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        TextTokenizer("char")


def test_in_pipeline():
    pipeline = Pipeline(
        [
            ("tokens", TextTokenizer(max_len=3)),
            ("lengths", FunctionTransformer(lambda X: (X != PAD).sum(axis=1))),
        ]
    )
    lengths = pipeline.fit_transform(["a b c d", "a", ""])
    assert lengths.tolist() == [3, 1, 0]
    assert pipeline.transform(["b b b b b", "zzz"]).tolist() == [3, 1]


def test_pickle_round_trip():
    tokenizer = TextTokenizer(stop_words="english", strip_accents="unicode").fit(CORPUS)
    restored = pickle.loads(pickle.dumps(tokenizer))
    docs = CORPUS + ["brand new words", "Café cat"]
    np.testing.assert_array_equal(restored.transform(docs), tokenizer.transform(docs))
    assert restored.vocabulary_ == tokenizer.vocabulary_


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_pandas_series_input(dtype):
    series = pd.Series(["the cat", "a dog", ""], index=[10, 20, 30], dtype=dtype)
    tokenizer = TextTokenizer().fit(series)
    expected = TextTokenizer().fit(list(series)).transform(list(series))
    np.testing.assert_array_equal(tokenizer.transform(series), expected)


def test_numpy_and_other_containers():
    docs = ["the cat", "a dog"]
    expected = TextTokenizer().fit(docs).transform(docs)
    for container in (
        np.array(docs),
        np.array(docs, dtype=object),
        tuple(docs),
        (doc for doc in docs),
    ):
        tokenizer = TextTokenizer().fit(docs)
        np.testing.assert_array_equal(tokenizer.transform(container), expected)
    assert TextTokenizer().fit(np.array(docs)).vocabulary_ == (
        TextTokenizer().fit(docs).vocabulary_
    )


def test_check_documents_returns_list_of_str():
    assert check_documents(("x", "y")) == ["x", "y"]
    assert check_documents([]) == []
    result = check_documents(np.array(["x", "y"]))
    assert result == ["x", "y"]
    assert all(isinstance(doc, str) for doc in result)
    assert check_documents(pd.Series(["x"], index=[5])) == ["x"]


@pytest.mark.parametrize("single", ["one document", b"one document"])
def test_single_string_rejected(single):
    message = r"Iterable over raw text documents expected, \w+ object received"
    with pytest.raises(ValueError, match=message):
        check_documents(single)
    with pytest.raises(ValueError, match=message):
        TextTokenizer().fit(single)
    with pytest.raises(ValueError, match=r"in a list"):
        TextTokenizer().fit(["a"]).transform(single)


def test_none_rejected():
    with pytest.raises(TypeError, match="documents are required"):
        check_documents(None)
    with pytest.raises(TypeError, match="documents are required"):
        TextTokenizer().fit(None)


def test_unordered_and_non_iterable_rejected():
    with pytest.raises(TypeError, match="no fixed order"):
        check_documents({"a", "b"})
    with pytest.raises(TypeError, match="Iterable over raw text documents"):
        check_documents(42)


@pytest.mark.parametrize(
    "X, shape",
    [
        (np.array([["a", "b"], ["c", "d"]]), r"\(2, 2\)"),
        (pd.DataFrame({"text": ["a", "b"]}), r"\(2, 1\)"),
        (np.array("a b"), r"\(\)"),
    ],
)
def test_non_1d_array_rejected(X, shape):
    with pytest.raises(ValueError, match=rf"1-D sequence of documents.*{shape}"):
        TextTokenizer().fit(X)


@pytest.mark.parametrize(
    "bad, type_name, hint",
    [
        (None, "NoneType", "empty string ''"),
        (float("nan"), "float", "empty string ''"),
        (pd.NA, "NAType", "empty string ''"),
        (3, "int", "not str"),
        (b"bytes doc", "bytes", "decode"),
        (["a", "b"], "list", "join"),
    ],
)
def test_non_string_document_rejected(bad, type_name, hint):
    docs = ["ok", "fine", "good", bad]
    match = rf"position 3 .* {type_name} .*{hint}"
    with pytest.raises(ValueError, match=match):
        check_documents(docs)
    with pytest.raises(ValueError, match=match):
        TextTokenizer().fit(docs)
    with pytest.raises(ValueError, match=match):
        TextTokenizer().fit(["ok"]).transform(docs)


def test_missing_value_in_pandas_series_rejected():
    series = pd.Series(["ok", None, "good"], dtype="string")
    with pytest.raises(ValueError, match="position 1 .*empty string"):
        TextTokenizer().fit(series)


def test_check_documents_uses_name_in_messages():
    with pytest.raises(ValueError, match="position 0 in docs_val"):
        check_documents([None], name="docs_val")


def test_tags():
    tags = TextTokenizer().__sklearn_tags__()
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.requires_fit is True
