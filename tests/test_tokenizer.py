"""Tests for ``sklearn_rnn._tokenizer``: TextTokenizer, with and without a
vocabulary (hashing). The document checks it runs are in test_validation.py."""

import json
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import murmurhash3_32
from sklearn.utils.validation import check_is_fitted

import sklearn_rnn._tokenizer as tokenizer_module
from conftest import DOCUMENT, HYPOTHESIS, PAD, UNK, other_hash_seed, run_python
from sklearn_rnn import TextTokenizer

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


PROCESS_DOCS = [f"tok{i % 13} word{i % 17} w{i}" for i in range(60)]
PROCESS_DOCS += ["zeta alpha mu", "mu alpha zeta alpha", "Café naïve 日本"]
IDS_IN_A_PROCESS = """
    import json, sys
    from sklearn_rnn import TextTokenizer
    docs = json.loads(sys.argv[1])
    vocabulary = TextTokenizer().fit(docs).vocabulary_
    hashed = TextTokenizer(n_buckets=100003).transform(docs)
    print(json.dumps([list(vocabulary.items()), hashed.tolist()]))
"""


def test_ids_identical_across_processes_and_hash_seeds():
    """Neither the vocabulary (its order included) nor the hashed ids depend on
    the process or its str hash seed."""
    output = run_python(
        IDS_IN_A_PROCESS, json.dumps(PROCESS_DOCS), hash_seed=other_hash_seed()
    )
    vocabulary, hashed = json.loads(output)
    assert vocabulary == [
        list(item) for item in TextTokenizer().fit(PROCESS_DOCS).vocabulary_.items()
    ]
    assert "alpha" in dict(vocabulary)
    in_process = TextTokenizer(n_buckets=100003).transform(PROCESS_DOCS)
    assert hashed == in_process.tolist()


@pytest.mark.parametrize("lowercase", [True, False])
def test_lowercase(lowercase):
    tokenizer = TextTokenizer(lowercase=lowercase).fit(["Hello hello HELLO"])
    if lowercase:
        assert tokenizer.vocabulary_ == {"hello": 2}
        assert tokenizer.transform(["HeLLo"]).tolist() == [[2, PAD, PAD]]
    else:
        assert set(tokenizer.vocabulary_) == {"Hello", "hello", "HELLO"}
        assert tokenizer.transform(["HeLLo"]).tolist() == [[UNK, PAD, PAD]]


def test_custom_token_pattern():
    tokenizer = TextTokenizer(token_pattern=r"[a-z]+").fit(["ab-cd 12"])
    assert set(tokenizer.vocabulary_) == {"ab", "cd"}


def test_char_analyzer():
    tokenizer = TextTokenizer(analyzer="char").fit(["abca", "Bc"])
    # a=2, b=2, c=2 tie (lowercased), so ids follow string order.
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3, "c": 4}
    assert tokenizer.transform(["cab", "az"]).tolist() == [
        [4, 2, 3, PAD],
        [2, UNK, PAD, PAD],
    ]


def test_char_analyzer_keeps_and_normalises_whitespace():
    tokenizer = TextTokenizer(analyzer="char").fit(["a  b\n\tc"])
    assert " " in tokenizer.vocabulary_
    assert "\n" not in tokenizer.vocabulary_
    assert tokenizer.inverse_transform(tokenizer.transform(["a \n b"])) == [
        ["a", " ", "b"]
    ]


def test_char_analyzer_default_token_pattern_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TextTokenizer(analyzer="char").fit(["abc"])


def test_stop_words_english():
    tokenizer = TextTokenizer(stop_words="english").fit(["the cat and the hat"])
    assert set(tokenizer.vocabulary_) == {"cat", "hat"}
    assert tokenizer.transform(["the cat"]).tolist() == [
        [tokenizer.vocabulary_["cat"], PAD]
    ]


def test_stop_words_english_keeps_negations_and_contrasts():
    docs = ["this is not good", "never the worst but no fun", "i am without hope"]
    vocabulary = TextTokenizer(stop_words="english").fit(docs).vocabulary_
    assert {"not", "never", "but", "no", "without"} <= set(vocabulary)
    assert not {"this", "is", "the", "i", "am"} & set(vocabulary)
    assert TextTokenizer.KEPT_STOP_WORDS <= ENGLISH_STOP_WORDS
    # A list is used as given, negations included.
    listed = TextTokenizer(stop_words=["not", "is"]).fit(docs).vocabulary_
    assert "not" not in listed and "never" in listed


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
    assert tokenizer.transform(["d a"]).tolist() == [[UNK, 2] + [PAD] * 5]


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
    width = max(len(doc.split()) for doc in CORPUS)
    assert tokenizer.output_length_ == width
    assert X.dtype == np.int64
    assert X.shape == (3, width)
    assert X[0, 1:].tolist() == [PAD] * (width - 1)
    assert X[2].tolist() == [PAD] * width
    assert PAD not in X[1, :3]


def test_empty_documents():
    tokenizer = TextTokenizer().fit(["a b", ""])
    token_ids, offsets = tokenizer.transform_ragged(["", "a", "  ", "!!"])
    assert offsets.tolist() == [0, 0, 1, 1, 1]
    assert token_ids.tolist() == [tokenizer.vocabulary_["a"]]
    X = tokenizer.transform(["", "", "?"])
    assert X.tolist() == [[PAD, PAD]] * 3
    assert X.dtype == np.int64


def test_transform_zero_documents():
    tokenizer = TextTokenizer().fit(CORPUS)
    X = tokenizer.transform([])
    assert X.shape == (0, tokenizer.output_length_)
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


@pytest.mark.parametrize(
    "max_len, truncation, expected",
    [
        (4, "head", ["a", "b", "c", "d"]),
        (4, "tail", ["d", "e", "f", "g"]),
        (4, "head+tail", ["a", "b", "f", "g"]),
        # An odd max_len gives the extra token to the head.
        (3, "head+tail", ["a", "b", "g"]),
        (1, "head+tail", ["a"]),
    ],
)
def test_truncation_keeps_the_chosen_end(max_len, truncation, expected):
    tok = TextTokenizer(max_len=max_len, truncation=truncation).fit(["a b c d e f g"])
    ids, offsets = tok.transform_ragged(["a b c d e f g", "a"])
    assert [tok.tokens_[i] for i in ids[: offsets[1]]] == expected
    # Documents no longer than max_len are untouched.
    assert [tok.tokens_[i] for i in ids[offsets[1] :]] == ["a"]
    padded = tok.transform(["a b c d e f g"])[0]
    assert [tok.tokens_[i] for i in padded] == expected


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
        ({"truncation": "middle"}, "truncation"),
        ({"n_buckets": 0}, "n_buckets"),
        ({"n_buckets": 10.0}, "n_buckets"),
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
        "tokenizer": None,
        "stop_words": None,
        "min_df": 2,
        "max_df": 1.0,
        "max_features": None,
        "max_len": 5,
        "truncation": "head",
        "n_buckets": None,
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


def test_tags():
    tags = TextTokenizer().__sklearn_tags__()
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.requires_fit is True


# Hashing mode (n_buckets)


def _hashed_id(token, n_buckets):
    return 2 + murmurhash3_32(token, seed=0, positive=True) % n_buckets


def test_hashing_ids_follow_murmurhash_and_stay_in_range():
    n_buckets = 7
    docs = [f"w{i} x{i % 3}" for i in range(50)] + CORPUS
    token_ids, offsets = TextTokenizer(n_buckets=n_buckets).transform_ragged(docs)
    assert token_ids.dtype == offsets.dtype == np.int64
    assert token_ids.min() >= 2
    assert token_ids.max() < n_buckets + 2
    assert len(np.unique(token_ids)) == n_buckets  # 50+ tokens fill 7 buckets
    analyzer = TextTokenizer()._build_analyzer()
    expected = [_hashed_id(token, n_buckets) for doc in docs for token in analyzer(doc)]
    assert token_ids.tolist() == expected


def test_hashing_same_token_same_id_across_documents_and_instances():
    first = TextTokenizer(n_buckets=1000).fit(["cat dog", "bird"])
    second = TextTokenizer(n_buckets=1000)  # never fitted, different corpus
    X = first.transform(["cat", "the cat", "a dog and a cat"])
    cat = _hashed_id("cat", 1000)
    assert X[0, 0] == X[1, 1] == X[2, 4] == cat
    np.testing.assert_array_equal(
        second.transform(["a dog and a cat", "cat"]),
        first.transform(["a dog and a cat", "cat"]),
    )


def test_hashing_transform_without_fit():
    tokenizer = TextTokenizer(n_buckets=50)
    check_is_fitted(tokenizer)  # does not raise
    assert tokenizer.__sklearn_is_fitted__() is True
    assert tokenizer.__sklearn_tags__().requires_fit is False
    X = tokenizer.transform(["a b c", "d"])
    assert X.shape == (2, 3)
    token_ids, offsets = tokenizer.transform_ragged(["a b c", "d"])
    assert offsets.tolist() == [0, 3, 4]
    assert not hasattr(tokenizer, "vocabulary_size_")  # transform learns nothing


def test_hashing_fit_sets_attributes_and_matches_unfitted_transform():
    docs = CORPUS + ["unseen words"]
    tokenizer = TextTokenizer(n_buckets=20)
    assert tokenizer.fit(CORPUS) is tokenizer
    assert tokenizer.vocabulary_size_ == 22
    assert tokenizer.vocabulary_ is None
    assert tokenizer.tokens_ is None
    expected = TextTokenizer(n_buckets=20).transform(docs)
    np.testing.assert_array_equal(tokenizer.transform(docs), expected)
    X = TextTokenizer(n_buckets=20).fit_transform(docs)
    np.testing.assert_array_equal(X, expected)
    assert X.max() < 22
    assert UNK not in X


@pytest.mark.parametrize(
    "docs, params",
    [
        (["", "   ", "?!"], {}),
        (["the and of", ""], {"stop_words": "english"}),
        ([], {}),
    ],
)
def test_hashing_fit_without_any_token(docs, params):
    # There is no vocabulary to learn, so documents without tokens are fine.
    tokenizer = TextTokenizer(n_buckets=10, **params).fit(docs)
    assert tokenizer.vocabulary_size_ == 12
    assert TextTokenizer(n_buckets=10, **params).fit_transform(docs).shape == (
        len(docs),
        0,
    )


def test_hashing_applies_max_len_and_text_analysis():
    tokenizer = TextTokenizer(n_buckets=1000, max_len=2, stop_words="english")
    X = tokenizer.transform(["The CAT and the dog sat", "Cat"])
    cat, dog = _hashed_id("cat", 1000), _hashed_id("dog", 1000)
    assert X.tolist() == [[cat, dog], [cat, PAD]]
    accents = TextTokenizer(n_buckets=1000, strip_accents="unicode")
    assert accents.transform(["café"]).tolist() == [[_hashed_id("cafe", 1000)]]
    chars = TextTokenizer(n_buckets=1000, analyzer="char")
    assert chars.transform(["ab a"]).tolist() == [[_hashed_id(c, 1000) for c in "ab a"]]


def test_hashing_collisions_share_an_id():
    tokenizer = TextTokenizer(n_buckets=1).fit(CORPUS)
    assert tokenizer.vocabulary_size_ == 3
    X = tokenizer.transform(["every token here", "x"])
    assert X.tolist() == [[2, 2, 2], [2, PAD, PAD]]


def test_hashing_hashes_each_distinct_token_once_per_call(monkeypatch):
    calls = []

    def counting_hash(key, seed=0, positive=False):
        calls.append(key)
        return murmurhash3_32(key, seed=seed, positive=positive)

    monkeypatch.setattr(tokenizer_module, "murmurhash3_32", counting_hash)
    docs = ["a b a b a", "b c", "a"] * 100
    token_ids, _ = TextTokenizer(n_buckets=1000).transform_ragged(docs)
    assert token_ids.size == 800
    assert sorted(calls) == [b"a", b"b", b"c"]


def test_hashing_accepts_lone_surrogates():
    # Such str values come from os.fsdecode and "surrogateescape" decoding.
    token_ids, _ = TextTokenizer(n_buckets=1000).transform_ragged(["x\udcff y"])
    assert token_ids.size == 2
    assert token_ids[1] == _hashed_id("y", 1000)


def test_hashing_inverse_transform_raises():
    with pytest.raises(ValueError, match=r"hashed ids cannot be mapped back.*n_b"):
        TextTokenizer(n_buckets=10).inverse_transform([[2, 3]])
    fitted = TextTokenizer(n_buckets=10).fit(CORPUS)
    with pytest.raises(ValueError, match="not available in hashing mode"):
        fitted.inverse_transform(fitted.transform(CORPUS))


@pytest.mark.parametrize(
    "params",
    [
        {"min_df": 2},
        {"min_df": 0.5},
        {"min_df": 1.0},  # the float 1.0 is not the default int 1
        {"max_df": 0.9},
        {"max_df": 1},  # the int 1 is not the default float 1.0
        {"max_features": 100},
    ],
)
def test_hashing_rejects_vocabulary_parameters(params):
    ((param, value),) = params.items()
    match = rf"{param}={value!r} cannot be used with n_buckets=10.*n_buckets=None"
    with pytest.raises(ValueError, match=match):
        TextTokenizer(n_buckets=10, **params).fit(CORPUS)
    with pytest.raises(ValueError, match=match):
        TextTokenizer(n_buckets=10, **params).fit_transform(CORPUS)
    with pytest.raises(ValueError, match=match):
        TextTokenizer(n_buckets=10, **params).transform(CORPUS)


def test_hashing_accepts_default_vocabulary_parameters():
    TextTokenizer(n_buckets=10, min_df=1, max_df=1.0, max_features=None).fit(CORPUS)


@pytest.mark.parametrize("n_buckets", [0, -5, 2.5, "100"])
def test_invalid_n_buckets_rejected_at_transform_without_fit(n_buckets):
    with pytest.raises(ValueError, match="n_buckets"):
        TextTokenizer(n_buckets=n_buckets).transform(["a b"])


def test_hashing_clone_get_params_set_params():
    tokenizer = TextTokenizer(n_buckets=64, max_len=3).fit(CORPUS)
    assert tokenizer.get_params()["n_buckets"] == 64
    cloned = clone(tokenizer)
    assert cloned.get_params() == tokenizer.get_params()
    assert not hasattr(cloned, "vocabulary_size_")
    np.testing.assert_array_equal(cloned.transform(CORPUS), tokenizer.transform(CORPUS))
    # Leaving hashing mode needs a fit: the hashing fit learnt no vocabulary.
    tokenizer.set_params(n_buckets=None)
    assert tokenizer.__sklearn_tags__().requires_fit is True
    with pytest.raises(NotFittedError):
        tokenizer.transform(CORPUS)
    assert tokenizer.fit(CORPUS).vocabulary_["the"] == 2


def test_hashing_pickle_round_trip():
    tokenizer = TextTokenizer(n_buckets=128).fit(CORPUS)
    restored = pickle.loads(pickle.dumps(tokenizer))
    np.testing.assert_array_equal(
        restored.transform(CORPUS), tokenizer.transform(CORPUS)
    )
    assert restored.vocabulary_size_ == 130


# Weighted vocabulary (sample_weight)

WEIGHT_DOCS = ["b b b c", "a a c", "d", "e e e e e e", "c a"]


@pytest.mark.parametrize(
    "params",
    [{}, {"min_df": 0.0}, {"min_df": 2}, {"min_df": 0.5}, {"max_df": 0.5}],
)
def test_zero_weight_same_as_dropping_document(params):
    weights = [1, 1, 1, 0, 1]
    weighted = TextTokenizer(**params).fit(WEIGHT_DOCS, sample_weight=weights)
    kept = [doc for doc, weight in zip(WEIGHT_DOCS, weights, strict=True) if weight]
    dropped = TextTokenizer(**params).fit(kept)
    assert weighted.vocabulary_ == dropped.vocabulary_
    assert "e" not in weighted.vocabulary_  # only in the weight-0 document
    assert list(weighted.tokens_) == list(dropped.tokens_)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"min_df": 2},
        {"min_df": 0.3},
        {"max_df": 3},
        {"max_df": 0.4},
        {"max_features": 3},
    ],
)
@pytest.mark.parametrize("weights", [[1, 3, 2, 0, 1], 3], ids=["array", "scalar"])
def test_integer_weight_same_as_repeating_documents(params, weights):
    repeats = np.broadcast_to(weights, len(WEIGHT_DOCS))
    repeated = [
        doc
        for doc, weight in zip(WEIGHT_DOCS, repeats, strict=True)
        for _ in range(weight)
    ]
    weighted = TextTokenizer(**params).fit(WEIGHT_DOCS, sample_weight=weights)
    reference = TextTokenizer(**params).fit(repeated)
    assert weighted.vocabulary_ == reference.vocabulary_
    assert list(weighted.vocabulary_) == list(reference.vocabulary_)
    assert weighted.vocabulary_size_ == reference.vocabulary_size_
    ragged = TextTokenizer(**params).fit_transform_ragged(
        WEIGHT_DOCS, sample_weight=weights
    )
    expected_ragged = reference.transform_ragged(WEIGHT_DOCS)
    for got, expected in zip(ragged, expected_ragged, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_weights_change_id_order():
    weights = np.array([1, 3, 2, 0, 1])
    unweighted = TextTokenizer().fit(WEIGHT_DOCS)
    weighted = TextTokenizer().fit(WEIGHT_DOCS, sample_weight=weights)
    # Unweighted: e=6, b=3, a=3, c=3, d=1. Weighted: a=7, c=6, b=3, d=2.
    assert unweighted.vocabulary_ == {"e": 2, "a": 3, "b": 4, "c": 5, "d": 6}
    assert weighted.vocabulary_ == {"a": 2, "c": 3, "b": 4, "d": 5}
    # Fractional weights scale counts too: with weight 0.5, "b" counts 1.5.
    halved = TextTokenizer().fit(["b b b", "a a"], sample_weight=[0.5, 1.0])
    assert halved.vocabulary_ == {"a": 2, "b": 3}


@pytest.mark.parametrize("params", [{}, {"min_df": 0.3}, {"max_features": 2}])
def test_no_weights_same_as_unit_weights(params):
    unweighted = TextTokenizer(**params).fit(WEIGHT_DOCS)
    for ones in ([1] * 5, np.ones(5), np.ones(5, dtype=np.float32)):
        weighted = TextTokenizer(**params).fit(WEIGHT_DOCS, sample_weight=ones)
        assert list(weighted.vocabulary_.items()) == list(
            unweighted.vocabulary_.items()
        )
        assert list(weighted.tokens_) == list(unweighted.tokens_)


def test_float_min_df_and_max_df_use_sum_of_weights():
    docs = ["a b", "b", "c"]
    # Document frequencies: a=1, b=2, c=3 (weighted); the weights sum to 5.
    weights = [1, 1, 3]
    # 0.5 * 5 = 2.5; with the number of documents, 0.5 * 3 = 1.5 would keep b.
    assert set(TextTokenizer(min_df=0.5).fit(docs).vocabulary_) == {"b"}
    tokenizer = TextTokenizer(min_df=0.5).fit(docs, sample_weight=weights)
    assert set(tokenizer.vocabulary_) == {"c"}
    # 0.4 * 5 = 2; with the number of documents, 0.4 * 3 = 1.2 would drop b.
    tokenizer = TextTokenizer(max_df=0.4).fit(docs, sample_weight=weights)
    assert set(tokenizer.vocabulary_) == {"a", "b"}


def test_int_min_df_is_a_total_weight():
    docs = ["a", "b", "b c"]
    tokenizer = TextTokenizer(min_df=2).fit(docs, sample_weight=[2.5, 1, 0.5])
    assert tokenizer.vocabulary_ == {"a": 2}


def test_float_weights_ties_independent_of_document_order():
    # In floats, (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1 == 0.6, so a float
    # running sum would make "z" tie with "b" or beat it depending on the
    # order of the documents.
    docs = ["z", "z", "z", "b"]
    weights = [0.1, 0.2, 0.3, 0.6]
    reference = TextTokenizer().fit(docs, sample_weight=weights).vocabulary_
    for order in ([0, 1, 2, 3], [2, 1, 0, 3], [3, 0, 2, 1]):
        vocabulary = (
            TextTokenizer()
            .fit([docs[i] for i in order], sample_weight=[weights[i] for i in order])
            .vocabulary_
        )
        assert list(vocabulary.items()) == list(reference.items())


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        ([1, -1, 1], r"non-negative, got -1\.0 at position 1"),
        ([1, 1], r"2 values but X has 3 samples"),
        ([1, np.nan, 1], r"finite .*, got nan at position 1"),
        ([0, 0, 0], r"at least one weight must be positive"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "fit_transform", "fit_transform_ragged"])
@pytest.mark.parametrize("n_buckets", [None, 10])
def test_invalid_sample_weight_rejected(sample_weight, match, method, n_buckets):
    """Every fitting method, hashing or not, checks the weights (the full set of
    rules is tested on check_sample_weight, in test_validation.py)."""
    tokenizer = TextTokenizer(n_buckets=n_buckets)
    with pytest.raises(ValueError, match=match):
        getattr(tokenizer, method)(["a b", "b", "c"], sample_weight=sample_weight)
    assert not hasattr(tokenizer, "vocabulary_size_")


def test_only_zero_weight_documents_have_tokens():
    with pytest.raises(
        ValueError, match=r"No tokens found in the 1 document .*1 document with sample"
    ):
        TextTokenizer().fit(["", "a b"], sample_weight=[1, 0])


def test_sample_weight_ignored_in_hashing_mode():
    hashing = TextTokenizer(n_buckets=10).fit(CORPUS, sample_weight=[0, 0, 5, 1])
    assert hashing.vocabulary_size_ == 12
    assert hashing.vocabulary_ is None


@pytest.mark.parametrize("n_buckets", [None, 64])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_transform_ragged_equals_fit_then_transform_ragged(n_buckets, weighted):
    docs = ["the cat sat", "the dog", "", "a cat and a dog", "dog dog dog"]
    weights = [1.0, 0.0, 2.0, 3.0, 0.5] if weighted else None
    one = TextTokenizer(n_buckets=n_buckets)
    ids, offsets = one.fit_transform_ragged(docs, sample_weight=weights)
    two = TextTokenizer(n_buckets=n_buckets).fit(docs, sample_weight=weights)
    expected_ids, expected_offsets = two.transform_ragged(docs)
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_array_equal(offsets, expected_offsets)
    assert one.vocabulary_ == two.vocabulary_
    assert one.vocabulary_size_ == two.vocabulary_size_


# One-shot iterables
@pytest.mark.parametrize("n_buckets", [None, 16])
def test_every_method_reads_a_generator_once_as_the_list(n_buckets):
    """Each method reads its documents once, so a generator gives what the list
    gives: fit_transform must not return a (0, k) array by fitting on the
    generator first and transforming what is left of it (nothing)."""
    docs = ["the cat sat", "the dog", "", "a cat and a dog"]
    weights = [1.0, 0.0, 2.0, 3.0]

    def gen(items):
        return (item for item in items)

    fitted = TextTokenizer(n_buckets=n_buckets).fit(docs, sample_weight=weights)
    from_generator = TextTokenizer(n_buckets=n_buckets).fit(
        gen(docs), sample_weight=gen(weights)
    )
    assert from_generator.vocabulary_ == fitted.vocabulary_
    expected = fitted.transform(docs)
    assert expected.shape == (4, 5)
    np.testing.assert_array_equal(
        TextTokenizer(n_buckets=n_buckets).fit_transform(
            gen(docs), sample_weight=gen(weights)
        ),
        expected,
    )
    np.testing.assert_array_equal(fitted.transform(gen(docs)), expected)
    for got, want in zip(
        TextTokenizer(n_buckets=n_buckets).fit_transform_ragged(
            gen(docs), sample_weight=weights
        ),
        fitted.transform_ragged(docs),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(
        fitted.transform_ragged(gen(docs)), fitted.transform_ragged(docs), strict=True
    ):
        np.testing.assert_array_equal(got, want)
    if n_buckets is None:
        assert fitted.inverse_transform(gen(expected)) == fitted.inverse_transform(
            expected
        )


# Any text


@HYPOTHESIS
@given(docs=st.lists(DOCUMENT, max_size=6))
def test_tokenizer_maps_any_text_to_valid_ids(docs):
    tok = TextTokenizer().fit(["good bad not", "😀 happy"])
    before = pickle.dumps(tok)
    ids, offsets = tok.transform_ragged(docs)
    assert len(offsets) == len(docs) + 1 and offsets[0] == 0
    assert np.all(np.diff(offsets) >= 0) and offsets[-1] == len(ids)
    assert np.all((ids >= 1) & (ids < tok.vocabulary_size_))  # never padding
    again, _ = tok.transform_ragged(docs)
    np.testing.assert_array_equal(ids, again)
    assert pickle.dumps(tok) == before
    # Learning a vocabulary from such text works too, and maps it to known ids,
    # unless there is no word in it at all, which is said.
    try:
        fitted = TextTokenizer().fit(docs)
    except ValueError as exc:
        assert re.search("0 documents|No tokens found", str(exc)), str(exc)
    else:
        own, _ = fitted.transform_ragged(docs)
        assert np.all((own >= 2) & (own < fitted.vocabulary_size_))


@HYPOTHESIS
@given(docs=st.lists(DOCUMENT, max_size=6))
def test_hashing_tokenizer_maps_any_text_to_valid_ids(docs):
    tok = TextTokenizer(n_buckets=32)
    ids, offsets = tok.transform_ragged(docs)
    assert offsets[-1] == len(ids)
    assert np.all((ids >= 2) & (ids < 34))


# ------------------------------------------------------------ fixed output width
def test_transform_width_is_fixed_by_fit():
    tokenizer = TextTokenizer().fit(CORPUS)
    width = tokenizer.output_length_
    for batch in (["cat"], ["the cat sat", ""], CORPUS):
        assert tokenizer.transform(batch).shape == (len(batch), width)
    assert TextTokenizer(max_len=9).fit(CORPUS).transform(["cat"]).shape == (1, 9)
    assert TextTokenizer(max_len=2).fit(CORPUS).output_length_ == 2


def test_a_document_longer_than_the_width_is_cut_with_a_warning():
    tokenizer = TextTokenizer(truncation="tail").fit(["a b", "c"])
    with pytest.warns(UserWarning, match=r"1 of 2 documents .* cut to 2 tokens"):
        X = tokenizer.transform(["a b c a", "a"])
    ids = tokenizer.vocabulary_
    assert X.tolist() == [[ids["c"], ids["a"]], [ids["a"], PAD]]
    # transform_ragged never cuts without max_len.
    assert len(tokenizer.transform_ragged(["a b c a"])[0]) == 4


def test_hashing_width_is_max_len_or_the_batch():
    hashing = TextTokenizer(n_buckets=50)
    assert hashing.transform(["a b c", "a"]).shape == (2, 3)
    assert hashing.fit(["a"]).transform(["a b c"]).shape == (1, 3)
    assert TextTokenizer(n_buckets=50, max_len=4).transform(["a"]).shape == (1, 4)
    with pytest.raises(ValueError, match="Set max_len to fix it"):
        hashing.get_feature_names_out()


# ------------------------------------------------------------ feature names, set_output
def test_feature_names_name_the_token_positions():
    tokenizer = TextTokenizer(max_len=3).fit(CORPUS)
    assert tokenizer.get_feature_names_out().tolist() == [
        "token_0",
        "token_1",
        "token_2",
    ]
    assert len(tokenizer.get_feature_names_out(["text"])) == 3
    with pytest.raises(ValueError, match="one column of documents"):
        tokenizer.get_feature_names_out(["a", "b"])
    with pytest.raises(NotFittedError):
        TextTokenizer().get_feature_names_out()


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_set_output_gives_a_frame_with_named_columns(container):
    lib = pytest.importorskip(container)
    tokenizer = TextTokenizer(max_len=4).set_output(transform=container)
    frame = tokenizer.fit_transform(CORPUS)
    assert isinstance(frame, lib.DataFrame)
    assert list(frame.columns) == ["token_0", "token_1", "token_2", "token_3"]
    np.testing.assert_array_equal(
        np.asarray(tokenizer.transform(CORPUS)),
        TextTokenizer(max_len=4).fit(CORPUS).transform(CORPUS),
    )


def test_integer_output_preserves_no_float_dtype():
    tags = TextTokenizer().__sklearn_tags__()
    assert tags.transformer_tags.preserves_dtype == []


# ------------------------------------------------------------ callables, pre-tokenised
def test_analyzer_list_reads_pre_tokenised_documents():
    token_lists = [["Not", "good"], ("good",), ["not", "at", "all", "bad"], []]
    tokenizer = TextTokenizer(analyzer=list).fit(token_lists)
    # Tokens are used as given: no lowercasing, nothing dropped.
    assert set(tokenizer.vocabulary_) == {"Not", "good", "not", "at", "all", "bad"}
    ids = tokenizer.transform_ragged([["good", "unseen"]])[0]
    assert ids.tolist() == [tokenizer.vocabulary_["good"], UNK]
    # Equal-length token lists are documents too, not a 2-D array of strings.
    assert (
        TextTokenizer(analyzer=list).fit([["a", "b"], ["c", "d"]]).output_length_ == 2
    )
    # list is a builtin, so the tokenizer pickles.
    restored = pickle.loads(pickle.dumps(tokenizer))
    assert restored.vocabulary_ == tokenizer.vocabulary_


def test_callable_tokenizer_splits_after_preprocessing():
    tokenizer = TextTokenizer(tokenizer=str.split, stop_words=["the"]).fit(
        ["The don't-stop", "the end"]
    )
    assert set(tokenizer.vocabulary_) == {"don't-stop", "end"}


def test_an_invalid_token_pattern_is_named():
    for call in (
        lambda t: t.fit(["ab"]),
        lambda t: t.set_params(n_buckets=10).transform(["ab"]),
    ):
        with pytest.raises(ValueError, match=r"token_pattern='\(a' is not a valid"):
            call(TextTokenizer(token_pattern="(a"))


def test_callable_analyzer_must_give_str_tokens():
    with pytest.raises(TypeError, match="Tokens must be str, got int"):
        TextTokenizer(analyzer=lambda doc: [len(doc)]).fit(["ab", "c"])


def test_settings_a_callable_analyzer_ignores_are_named():
    with pytest.warns(UserWarning, match=r"stop_words.*analyzer is a callable"):
        TextTokenizer(analyzer=list, stop_words="english").fit([["a"]])
    with pytest.warns(UserWarning, match="token_pattern will not be used"):
        TextTokenizer(tokenizer=str.split, token_pattern=r"\w").fit(["a"])


def test_pre_tokenised_input_to_the_default_analyzer_names_the_fix():
    with pytest.raises(ValueError, match=r"' '.join\(tokens\)"):
        TextTokenizer().fit([["not", "good"], ["bad"]])


# ------------------------------------------------------------ one column of documents
@pytest.mark.parametrize(
    "as_column",
    [
        lambda docs: pd.DataFrame({"text": docs}),
        lambda docs: np.array(docs, dtype=object).reshape(-1, 1),
        lambda docs: np.array(docs).reshape(-1, 1),
    ],
    ids=["dataframe", "object-column", "str-column"],
)
def test_one_column_of_documents_is_documents(as_column):
    expected = TextTokenizer().fit(CORPUS).transform(CORPUS)
    tokenizer = TextTokenizer().fit(as_column(CORPUS))
    np.testing.assert_array_equal(tokenizer.transform(as_column(CORPUS)), expected)
    with pytest.raises(ValueError, match="Expected a 1-D sequence of documents"):
        tokenizer.transform(pd.DataFrame({"a": CORPUS, "b": CORPUS}))


def test_analyzer_list_refuses_a_string_it_would_split_into_characters():
    with pytest.raises(ValueError, match=r"document 1 is a str \('good movie'\)"):
        TextTokenizer(analyzer=list).fit([["a"], "good movie"])
    fitted = TextTokenizer(analyzer=list).fit([["not", "bad"]])
    with pytest.raises(ValueError, match="which it would split into characters"):
        fitted.transform(["not bad"])


@pytest.mark.parametrize("param", ["analyzer", "tokenizer"])
def test_a_callable_may_return_any_iterable_of_tokens(param):
    def generator(doc):
        return (word for word in doc.split())

    tokenizer = TextTokenizer(**{param: generator}).fit(["a b", "b c"])
    assert set(tokenizer.vocabulary_) == {"a", "b", "c"}
    assert tokenizer.transform(["c a"]).shape == (1, 2)
    with pytest.raises(TypeError, match=f"The {param} returned NoneType"):
        TextTokenizer(**{param: lambda doc: None}).fit(["a b"])


class SynonymTokenizer(TextTokenizer):
    """A subclass that reads "great" as "good", through its public methods."""

    def _same(self, X):
        return [doc.replace("great", "good") for doc in X]

    def fit(self, X, y=None, sample_weight=None):
        return super().fit(self._same(X), y, sample_weight)

    def transform_ragged(self, X):
        return super().transform_ragged(self._same(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_estimator_calls_a_subclass_through_its_own_methods():
    from sklearn_rnn import TextRNNClassifier

    docs, y = ["good film", "bad film", "great fun", "not good"], [1, 0, 1, 0]
    clf = TextRNNClassifier(
        tokenizer=SynonymTokenizer(), hidden_size=4, max_iter=3, random_state=0
    ).fit(docs, y)
    assert "great" not in clf.tokenizer_.vocabulary_
    assert np.array_equal(
        clf.predict_proba(["great film"]), clf.predict_proba(["good film"])
    )
