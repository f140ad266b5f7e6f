"""The ONNX export: ONNX Runtime's outputs equal predict / predict_proba.

Tolerances are the issue's: 1e-5 for float32 models, 1e-9 for float64 ones, on
probabilities (and on regression outputs relative to their scale). Every test
fits a small model for a few epochs: only the export's fidelity is in question,
not what the model learns.
"""

import json
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import ignore_convergence, run_python
from sklearn_rnn import (
    TextRNNClassifier,
    TextRNNRegressor,
    TextTokenizer,
    register_skl2onnx,
    to_onnx,
)
from sklearn_rnn._onnx import _python_class
from sklearn_rnn.datasets import load_sentiment

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

pytestmark = [ignore_convergence, pytest.mark.filterwarnings("ignore:.*max_len")]

TOL = {"float32": 1e-5, "float64": 1e-9}
POOLINGS = ["last", "mean", "max", "last+mean", "last+max", "mean+max", "last+mean+max"]
X_TRAIN, Y_TRAIN = load_sentiment(subset="train", return_X_y=True)
X_TEST, _ = load_sentiment(subset="test", return_X_y=True)
# Besides the tutorial's test sentences: empty and blank documents, punctuation
# only, unseen words, one word, upper case, accents, tabs and newlines, digits, a
# contraction, and a document longer than the default reading length (256).
EDGE_DOCS = [
    "",
    "   ",
    "?!...",
    "zebra quantum velvet",
    "good",
    "NOT Good, NOT bad!",
    "naïve café, très bien",
    "not\tat\nall\n\nbad",
    "2 out of 10, 0.5 stars",
    "i don't like it",
    " ".join(["not", "good", "bad", "happy"] * 80),
]
DOCS = list(X_TEST) + EDGE_DOCS


def session(proto):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def run(proto, X):
    return session(proto).run(None, {"X": X})


def as_strings(docs):
    return np.array(docs, dtype=object)


def fit_classifier(X=X_TRAIN, y=Y_TRAIN, **params):
    params = {"hidden_size": 8, "max_iter": 4, "random_state": 0, **params}
    return TextRNNClassifier(**params).fit(X, y)


def assert_same_classifier(clf, X, feed=None, **export):
    """ONNX Runtime's labels and probabilities are predict's and predict_proba's."""
    label, proba = run(to_onnx(clf, **export), X if feed is None else feed)
    expected = clf.predict_proba(X)
    tol = TOL[expected.dtype.name]
    assert proba.dtype == expected.dtype
    assert_allclose(proba, expected, rtol=0, atol=tol)
    # A label may differ only where two classes tie to the tolerance.
    top2 = np.sort(expected, axis=1)[:, -2:]
    decided = top2[:, 1] - top2[:, 0] > 2 * tol
    assert decided.mean() > 0.5
    assert np.array_equal(label[decided], clf.predict(X)[decided])
    return label, proba


# ---------------------------------------------------------------- text
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (1, True), (2, False), (2, True)]
)
def test_every_architecture_exports_exactly(dtype, pooling, num_layers, bidirectional):
    clf = fit_classifier(
        dtype=dtype, pooling=pooling, num_layers=num_layers, bidirectional=bidirectional
    )
    assert_same_classifier(clf, DOCS, as_strings(DOCS))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("embedding_size", [None, 5])
def test_cell_and_embedding_export_exactly(dtype, nonlinearity, embedding_size):
    clf = fit_classifier(
        dtype=dtype,
        nonlinearity=nonlinearity,
        embedding_size=embedding_size,
        num_layers=2,
        bidirectional=True,
        pooling="last+max",
    )
    assert_same_classifier(clf, DOCS, as_strings(DOCS))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("max_len", [1, 3, None])
@pytest.mark.parametrize("truncation", ["head", "tail", "head+tail"])
def test_reading_rule_is_exported(dtype, max_len, truncation):
    clf = fit_classifier(
        dtype=dtype,
        max_len=max_len,
        truncation=truncation,
        bidirectional=True,
        pooling="last+mean",
    )
    assert_same_classifier(clf, DOCS, as_strings(DOCS))


@pytest.mark.parametrize(
    "tokenizer",
    [
        TextTokenizer(stop_words="english"),
        TextTokenizer(stop_words=["not", "very", "the"]),
        TextTokenizer(analyzer="char"),
        TextTokenizer(analyzer="char", lowercase=False),
        TextTokenizer(lowercase=False),
        TextTokenizer(n_buckets=50),
        TextTokenizer(n_buckets=50, stop_words="english"),
        TextTokenizer(min_df=2, max_features=15),
        TextTokenizer(token_pattern=r"(?u)\b\w\w+\b"),
        TextTokenizer(max_len=3, truncation="tail"),
        TextTokenizer(max_len=4, truncation="head+tail", stop_words="english"),
    ],
    ids=repr,
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tokenizer_options_are_exported(tokenizer, dtype):
    clf = fit_classifier(tokenizer=tokenizer, dtype=dtype, max_len=5, truncation="tail")
    assert_same_classifier(clf, DOCS, as_strings(DOCS))


def test_a_frozen_tokenizer_and_a_batch_of_one_document_export():
    tokenizer = TextTokenizer(min_df=1).fit(list(X_TRAIN) + ["zebra"])
    clf = fit_classifier(tokenizer=FrozenEstimator(tokenizer))
    proto = to_onnx(clf)
    for doc in ["zebra not good", "", "good"]:
        _, proba = run(proto, as_strings([doc]))
        assert_allclose(proba, clf.predict_proba([doc]), rtol=0, atol=1e-9)


def test_a_batch_of_empty_documents_predicts_from_the_biases():
    clf = fit_classifier(pooling="last+mean+max", bidirectional=True)
    docs = ["", "  ", "..."]
    _, proba = assert_same_classifier(clf, docs, as_strings(docs))
    assert np.allclose(proba, proba[0])


def random_documents(rng, n, alphabet, max_len=30):
    lengths = rng.integers(0, max_len, n)
    return ["".join(rng.choice(alphabet, k)) for k in lengths]


# Letters of many scripts, digits, marks, spaces of every kind, punctuation.
ALPHABET = list(
    "abcXYZ  \t\n\r\x0b\x0c\x1c\xa0\u2003\u3000_-'.,;é\u0301ÉßẞǅⅫ٣¹½"
    "日本語のテキストΑαΩωЖжıﬁ😀#@"
) + ["good", "not", "bad", "happy", "sad", "GOOD", "Not "]


@pytest.mark.parametrize(
    "tokenizer",
    [
        TextTokenizer(),
        TextTokenizer(analyzer="char"),
        TextTokenizer(token_pattern=r"(?u)\b\w\w+\b", stop_words="english"),
        TextTokenizer(n_buckets=1000),
    ],
    ids=repr,
)
def test_onnx_tokenizer_matches_on_random_unicode_documents(tokenizer):
    rng = np.random.default_rng(0)
    docs = random_documents(rng, 400, ALPHABET)
    clf = fit_classifier(
        tokenizer=tokenizer, X=list(X_TRAIN) + docs[:100], y=list(Y_TRAIN) + [0, 1] * 50
    )
    assert_same_classifier(clf, docs, as_strings(docs))


def test_python_word_and_space_classes_are_translated_exactly():
    rng = np.random.default_rng(1)
    points = rng.integers(0, 0x110000, 20000)
    chars = [chr(c) for c in points if not 0xD800 <= c < 0xE000]
    for escape in (r"\w", r"\s"):
        cls = _python_class(escape)
        spans = [
            (int(a, 16), int(b or a, 16))
            for a, b in re.findall(r"\\x\{([0-9a-f]+)\}(?:-\\x\{([0-9a-f]+)\})?", cls)
        ]
        for ch in chars + ["_", " ", "\x85", "a", "\u0301"]:
            inside = any(a <= ord(ch) <= b for a, b in spans)
            assert inside == bool(re.match(escape, ch)), (escape, hex(ord(ch)))


@pytest.mark.parametrize(
    "doc, python_tokens",
    [
        # Python lowercases İ to "i" and a combining dot, which is no word
        # character; ONNX Runtime to "i".
        ("İstanbul", ["i", "stanbul"]),
        # Python writes a final capital sigma as ς; ONNX Runtime as σ.
        ("ΟΔΟΣ", ["οδος"]),
    ],
)
def test_the_documented_lowercasing_differences(doc, python_tokens):
    tokenizer = TextTokenizer().fit([doc])
    assert tokenizer.inverse_transform(tokenizer.transform([doc])) == [python_tokens]
    clf = fit_classifier(X=[doc, "x y"], y=[0, 1])
    _, proba = run(to_onnx(clf), as_strings([doc]))
    # The exported tokenizer reads a different token: an unknown word here.
    assert not np.allclose(proba, clf.predict_proba([doc]), atol=1e-9)
    assert_allclose(proba, clf.predict_proba(["zzz"]), atol=1e-9)


# ---------------------------------------------------------------- token ids
def padded(ragged):
    ids, offsets = ragged
    lengths = np.diff(offsets)
    out = np.zeros((len(lengths), max(1, lengths.max(initial=0))), dtype=np.int64)
    for i, (start, n) in enumerate(zip(offsets[:-1], lengths, strict=True)):
        out[i, :n] = ids[start : start + n]
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_text_input_ids_reads_the_tokenizers_ids(dtype):
    clf = fit_classifier(
        tokenizer=TextTokenizer(strip_accents="unicode"), dtype=dtype, max_len=4
    )
    ids = padded(clf.tokenizer_.transform_ragged(DOCS))
    proto = to_onnx(clf, text_input="ids")
    assert_same_classifier(clf, DOCS, ids, text_input="ids")
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["sklearn_rnn.input"] == "ids"
    assert meta["sklearn_rnn.tokens"].startswith('["<pad>", "<unk>", ')
    assert meta["sklearn_rnn.max_len"] == "4"


def test_precomputed_ids_export_with_unknown_ids_and_inner_padding():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 12, (40, 7))
    y = rng.integers(0, 2, 40)
    clf = fit_classifier(X=ids, y=y, tokenizer="precomputed", bidirectional=True)
    test = rng.integers(0, 20, (15, 9))  # ids from 12 on are unknown words
    test[3] = 0
    test[4, :5] = 0
    assert_same_classifier(clf, test, test)


def test_a_negative_id_is_an_error_not_a_row_from_the_end():
    clf = fit_classifier(
        tokenizer="precomputed", X=np.array([[2, 3], [3, 0]]), y=[0, 1]
    )
    with pytest.raises(Exception, match="(?i)out of bounds|invalid|indices"):
        run(to_onnx(clf), np.array([[2, -1]]))


# ---------------------------------------------------------------- numeric
def numeric_data(rng, n=40, steps=9, features=3):
    X = rng.normal(size=(n, steps, features))
    lengths = rng.integers(0, steps + 1, n)
    lengths[:3] = [1, steps, 0]  # length 1, full, and empty
    for i, k in enumerate(lengths):
        X[i, k:] = np.nan
    return X


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("pooling", ["last", "mean+max", "last+mean+max"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("features", [1, 3])
def test_numeric_classifier_exports_exactly(dtype, pooling, bidirectional, features):
    rng = np.random.default_rng(0)
    X = numeric_data(rng, features=features)
    y = rng.integers(0, 3, len(X))
    clf = fit_classifier(
        X=X if features > 1 else X[:, :, 0],
        y=y,
        dtype=dtype,
        pooling=pooling,
        bidirectional=bidirectional,
        num_layers=2,
    )
    test = numeric_data(rng, features=features)
    test = test if features > 1 else test[:, :, 0]
    assert_same_classifier(clf, test, test.astype(dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("y_shape", [(40,), (40, 2)])
@pytest.mark.parametrize("max_len, truncation", [(None, "head"), (4, "head+tail")])
def test_numeric_regressor_exports_exactly(dtype, y_shape, max_len, truncation):
    rng = np.random.default_rng(0)
    X = numeric_data(rng)
    y = rng.normal(100, 30, y_shape)
    reg = TextRNNRegressor(
        hidden_size=8,
        max_iter=4,
        random_state=0,
        dtype=dtype,
        max_len=max_len,
        truncation=truncation,
        pooling="last+mean",
        nonlinearity="relu",
    ).fit(X, y)
    (variable,) = run(to_onnx(reg), X.astype(dtype))
    expected = reg.predict(X)
    assert variable.dtype == np.float64 and variable.shape == expected.shape
    assert_allclose(variable, expected, rtol=TOL[dtype], atol=0)


def test_text_regressor_exports_exactly():
    reg = TextRNNRegressor(hidden_size=8, max_iter=4, random_state=0).fit(
        X_TRAIN, np.arange(len(X_TRAIN), dtype=float)
    )
    (variable,) = run(to_onnx(reg), as_strings(DOCS))
    assert_allclose(variable, reg.predict(DOCS), rtol=1e-9)


def test_a_nan_inside_a_sequence_makes_that_samples_outputs_nan():
    rng = np.random.default_rng(0)
    X = numeric_data(rng)
    clf = fit_classifier(X=X, y=rng.integers(0, 2, len(X)))
    test = X[:4].copy()
    test[1, 0, 0] = np.nan  # predict refuses this
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(test)
    _, proba = run(to_onnx(clf), test)
    assert np.isnan(proba[1]).all()
    assert_allclose(proba[[0, 2, 3]], clf.predict_proba(test[[0, 2, 3]]), atol=1e-9)


# ---------------------------------------------------------------- labels
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["neg", "pos"]),
        np.array(["neg", "pos"], dtype=object),
        np.array([False, True]),
        np.array([-3, 7]),
        np.array([1.0, 3.0]),
        np.array(["a", "b", "c"]),
    ],
    ids=lambda a: f"{a.dtype}-{len(a)}",
)
def test_labels_are_the_classes(labels):
    y = labels[np.arange(len(Y_TRAIN)) % len(labels)]
    clf = fit_classifier(y=y)
    label, _ = assert_same_classifier(clf, DOCS, as_strings(DOCS))
    expected = clf.predict(DOCS)
    assert label.dtype.kind == (
        "O" if expected.dtype.kind in "OU" else expected.dtype.kind
    )


# ---------------------------------------------------------------- skl2onnx
@pytest.fixture(scope="module")
def registered():
    """skl2onnx, with the converters registered, and its data types."""
    skl2onnx = pytest.importorskip("skl2onnx")
    register_skl2onnx()
    from skl2onnx.common import data_types

    return skl2onnx, data_types


def test_skl2onnx_converts_a_text_pipeline_with_zipmap(registered):
    skl2onnx, data_types = registered
    pipe = make_pipeline(fit_classifier(y=np.where(Y_TRAIN == 1, "pos", "neg")))
    proto = skl2onnx.to_onnx(
        pipe, initial_types=[("text", data_types.StringTensorType([None, 1]))]
    )
    label, proba = session(proto).run(None, {"text": as_strings(DOCS).reshape(-1, 1)})
    assert list(label) == list(pipe.predict(DOCS))
    expected = pipe.predict_proba(DOCS)
    # ZipMap takes float32 only: the probabilities are float32 there.
    assert_allclose([[p["neg"], p["pos"]] for p in proba], expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("text_input", ["strings", "ids"])
def test_skl2onnx_without_zipmap_keeps_float64(registered, text_input):
    skl2onnx, data_types = registered
    clf = fit_classifier(bidirectional=True, pooling="mean+max")
    options = {"zipmap": False, "text_input": text_input}
    if text_input == "ids":
        initial = data_types.Int64TensorType([None, None])
        feed = padded(clf.tokenizer_.transform_ragged(DOCS))
    else:
        initial = data_types.StringTensorType([None, 1])
        feed = as_strings(DOCS).reshape(-1, 1)
    proto = skl2onnx.to_onnx(
        make_pipeline(clf), initial_types=[("X", initial)], options={id(clf): options}
    )
    label, proba = session(proto).run(None, {"X": feed})
    assert proba.dtype == np.float64
    assert_allclose(proba, clf.predict_proba(DOCS), rtol=0, atol=1e-9)
    assert np.array_equal(label, clf.predict(DOCS))


def test_skl2onnx_nocl_outputs_class_indices(registered):
    skl2onnx, data_types = registered
    clf = fit_classifier(y=np.where(Y_TRAIN == 1, "pos", "neg"))
    proto = skl2onnx.to_onnx(
        clf,
        initial_types=[("X", data_types.StringTensorType([None, 1]))],
        options={id(clf): {"zipmap": False, "nocl": True}},
    )
    label, _ = session(proto).run(None, {"X": as_strings(DOCS).reshape(-1, 1)})
    assert np.array_equal(label, clf.predict_proba(DOCS).argmax(axis=1))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_skl2onnx_converts_a_numeric_pipeline(registered, dtype):
    skl2onnx, data_types = registered
    rng = np.random.default_rng(0)
    X = numeric_data(rng, features=1)[:, :, 0]
    y = rng.normal(size=len(X))
    pipe = make_pipeline(
        StandardScaler(),
        TextRNNRegressor(hidden_size=8, max_iter=4, random_state=0, dtype=dtype),
    ).fit(X, y)
    tensor = (
        data_types.FloatTensorType
        if dtype == "float32"
        else (data_types.DoubleTensorType)
    )
    proto = skl2onnx.to_onnx(pipe, initial_types=[("X", tensor([None, X.shape[1]]))])
    (variable,) = session(proto).run(None, {"X": X.astype(dtype)})
    # The scaler runs in the input's dtype in ONNX, in float64 in scikit-learn.
    assert_allclose(
        variable.ravel(), pipe.predict(X), rtol=1e-4 if dtype == "float32" else 1e-9
    )


@pytest.mark.parametrize(
    "fitted_on, options, declared, expected",
    [
        (
            "text",
            {},
            ("StringTensorType", [None, 2]),
            r"StringTensorType\(\[None, 1\]\)",
        ),
        ("text", {}, ("DoubleTensorType", [None, 1]), "reads documents"),
        ("text", {"text_input": "ids"}, ("StringTensorType", [None, 1]), "Int64Tensor"),
        ("numeric", {}, ("DoubleTensorType", [None, 9]), r"\[None, None, 3\]"),
        ("numeric", {}, ("DoubleTensorType", [None, 9, 2]), r"\[None, None, 3\]"),
        ("numeric", {}, ("StringTensorType", [None, 1]), "reads numeric sequences"),
    ],
)
def test_skl2onnx_refuses_an_input_the_graph_would_misread(
    registered, fitted_on, options, declared, expected
):
    skl2onnx, data_types = registered
    rng = np.random.default_rng(0)
    if fitted_on == "text":
        clf = fit_classifier()
    else:
        clf = fit_classifier(X=numeric_data(rng), y=rng.integers(0, 2, 40))
    tensor_type, shape = declared
    with pytest.raises(ValueError, match=expected):
        skl2onnx.to_onnx(
            clf,
            initial_types=[("X", getattr(data_types, tensor_type)(shape))],
            options={id(clf): {"zipmap": False, **options}},
        )


def test_skl2onnx_reads_univariate_sequences_as_2d_or_3d(registered):
    skl2onnx, data_types = registered
    rng = np.random.default_rng(0)
    X = numeric_data(rng, features=1)
    clf = fit_classifier(X=X, y=rng.integers(0, 2, 40))
    for test in (X, X[:, :, 0]):
        proto = skl2onnx.to_onnx(
            clf,
            initial_types=[("X", data_types.DoubleTensorType([None, *test.shape[1:]]))],
            options={id(clf): {"zipmap": False}},
        )
        _, proba = session(proto).run(None, {"X": test})
        assert_allclose(proba, clf.predict_proba(test), rtol=0, atol=1e-9)


def test_skl2onnx_refuses_labels_beyond_int64(registered):
    skl2onnx, data_types = registered
    y = np.array([0, 2**64 - 1], dtype=np.uint64)[np.arange(len(Y_TRAIN)) % 2]
    clf = fit_classifier(y=y)
    with pytest.raises(ValueError, match="do not fit in int64"):
        skl2onnx.to_onnx(
            clf,
            initial_types=[("X", data_types.StringTensorType([None, 1]))],
            options={id(clf): {"zipmap": False}},
        )
    # to_onnx keeps the labels' own type.
    assert_same_classifier(clf, DOCS, as_strings(DOCS))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "tokenizer, named",
    [
        (TextTokenizer(analyzer=str.split), "analyzer="),
        (TextTokenizer(tokenizer=str.split), "tokenizer="),
        (TextTokenizer(strip_accents="ascii"), "strip_accents='ascii'"),
        (TextTokenizer(token_pattern=r"[a-z]+"), "token_pattern='[a-z]+'"),
    ],
)
def test_what_strings_cannot_express_is_refused_by_name(tokenizer, named):
    clf = fit_classifier(tokenizer=tokenizer)
    with pytest.raises(ValueError, match=re.escape(named)) as info:
        to_onnx(clf)
    assert "text_input='ids'" in str(info.value)
    # The same model exports with token ids.
    assert_same_classifier(
        clf, DOCS, padded(clf.tokenizer_.transform_ragged(DOCS)), text_input="ids"
    )


def test_arguments_are_checked():
    with pytest.raises(NotFittedError):
        to_onnx(TextRNNClassifier())
    with pytest.raises(TypeError, match="register_skl2onnx"):
        to_onnx(make_pipeline(fit_classifier()))
    clf = fit_classifier()
    with pytest.raises(ValueError, match="text_input must be"):
        to_onnx(clf, text_input="tokens")
    with pytest.raises(ValueError, match="target_opset=13 is below 18"):
        to_onnx(clf, target_opset=13)
    rng = np.random.default_rng(0)
    numeric = fit_classifier(X=numeric_data(rng), y=rng.integers(0, 2, 40))
    with pytest.raises(ValueError, match="fitted on numeric sequences"):
        to_onnx(numeric, text_input="ids")
    assert to_onnx(clf, target_opset=21).opset_import[0].version == 21
    with pytest.raises(TypeError, match="target_opset must be an int"):
        to_onnx(clf, target_opset={"": 18})
    with pytest.raises(ValueError, match="the newest opset"):
        to_onnx(clf, target_opset=onnx.defs.onnx_opset_version() + 1)
    precomputed = fit_classifier(
        X=np.array([[2, 3], [3, 0]]), y=[0, 1], tokenizer="precomputed"
    )
    with pytest.raises(ValueError, match="tokenizer='precomputed'"):
        to_onnx(precomputed, text_input="strings")


@pytest.mark.parametrize(
    "locale", ["C", "POSIX", "", None, "C.ascii", "en_US.ISO-8859-1", "en_US"]
)
def test_a_locale_that_would_not_lowercase_everything_is_refused(locale):
    clf = fit_classifier()
    with pytest.raises(ValueError, match="locale"):
        to_onnx(clf, locale=locale)
    # Without lowercasing, no locale is read.
    to_onnx(fit_classifier(tokenizer=TextTokenizer(lowercase=False)), locale=locale)


def test_utf8_locales_are_accepted_however_spelled():
    docs = ["ÉTÉ magnifique", "été"]
    clf = fit_classifier()
    for locale in ("C.UTF-8", "C.utf8"):
        assert_same_classifier(clf, docs, as_strings(docs), locale=locale)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_numeric_batch_of_no_steps_predicts_from_the_biases(dtype):
    rng = np.random.default_rng(0)
    X = numeric_data(rng, features=1)[:, :, 0]
    clf = fit_classifier(X=X, y=rng.integers(0, 2, 40), dtype=dtype, bidirectional=True)
    _, proba = run(to_onnx(clf), np.zeros((2, 0), dtype=dtype))
    blank = np.full((2, X.shape[1]), np.nan)
    assert_allclose(proba, clf.predict_proba(blank), rtol=0, atol=TOL[dtype])


@pytest.mark.parametrize(
    "pattern", [r"\b\w+\b", r"\w+", r"(?u)\w+", r"\b\w\w+\b", r"(?u)\w\w+"]
)
def test_token_patterns_equal_to_the_exported_ones_export(pattern):
    clf = fit_classifier(tokenizer=TextTokenizer(token_pattern=pattern))
    assert_same_classifier(clf, DOCS, as_strings(DOCS))


def test_ids_metadata_spells_the_stop_words_out():
    clf = fit_classifier(tokenizer=TextTokenizer(stop_words="english"))
    meta = {p.key: p.value for p in to_onnx(clf, text_input="ids").metadata_props}
    stop_words = json.loads(meta["sklearn_rnn.tokenizer"])["stop_words"]
    assert "the" in stop_words and "not" not in stop_words


def test_every_node_output_is_used():
    """No dead nodes: ONNX Runtime would print a warning for each one."""
    for params in [{}, {"dtype": "float32", "pooling": "last"}, {"pooling": "max"}]:
        proto = to_onnx(fit_classifier(**params))
        graphs = [proto.graph] + [
            a.g for n in proto.graph.node for a in n.attribute if a.g.node
        ]
        used = {i for g in graphs for n in g.node for i in n.input}
        used |= {o.name for g in graphs for o in g.output}
        dead = [
            (n.op_type, o)
            for g in graphs
            for n in g.node
            for o in n.output
            if o and o not in used and n.op_type != "Scan"
        ]
        assert dead == []


def test_a_tokenizer_subclass_with_its_own_methods_exports_as_ids():
    class Synonyms(TextTokenizer):
        def transform_ragged(self, X):
            return super().transform_ragged([d.replace("great", "good") for d in X])

    clf = fit_classifier(tokenizer=Synonyms())
    with pytest.raises(ValueError, match="Synonyms.*text_input='ids'"):
        to_onnx(clf)
    ids = padded(clf.tokenizer_.transform_ragged(DOCS))
    assert_same_classifier(clf, DOCS, ids, text_input="ids")


@pytest.mark.parametrize(
    "tokenizer",
    [
        TextTokenizer(),
        TextTokenizer(max_len=3, truncation="tail", stop_words="english"),
        TextTokenizer(n_buckets=40),
        TextTokenizer(n_buckets=40, max_len=4, truncation="head+tail"),
        TextTokenizer(analyzer="char", max_len=6),
    ],
    ids=repr,
)
def test_skl2onnx_converts_a_tokenizer_step(registered, tokenizer):
    skl2onnx, data_types = registered
    docs = X_TRAIN[:20] + ["", "not good at all, not bad at all, really not"]
    tokenizer = tokenizer.fit(X_TRAIN)
    proto = skl2onnx.to_onnx(
        tokenizer, initial_types=[("X", data_types.StringTensorType([None, 1]))]
    )
    (ids,) = session(proto).run(None, {"X": as_strings(docs).reshape(-1, 1)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # transform warns when it cuts
        expected = tokenizer.transform(docs)
    assert ids.dtype == np.int64
    assert np.array_equal(ids, expected)
    # And in front of a model that reads its ids.
    pipe = make_pipeline(
        tokenizer,
        fit_classifier(X=tokenizer.transform(X_TRAIN), tokenizer="precomputed"),
    )
    proto = skl2onnx.to_onnx(
        pipe,
        initial_types=[("X", data_types.StringTensorType([None, 1]))],
        options={TextRNNClassifier: {"zipmap": False}},
    )
    _, proba = session(proto).run(None, {"X": as_strings(docs).reshape(-1, 1)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_allclose(proba, pipe.predict_proba(docs), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "tokenizer",
    [
        TextTokenizer(),
        TextTokenizer(n_buckets=30, stop_words="english"),
        TextTokenizer(analyzer="char"),
    ],
    ids=repr,
)
def test_onnx_tools_can_check_and_infer_shapes_of_a_text_export(tokenizer, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(to_onnx(fit_classifier(tokenizer=tokenizer, dtype="float32")), path)
    # In a child process: onnx's shape inference crashed the interpreter on an
    # untyped com.microsoft output read by LabelEncoder.
    out = run_python(
        """
        import sys, onnx
        model = onnx.load(sys.argv[1])
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        print(len(inferred.graph.value_info) > 0)
        """,
        path,
    )
    assert out.strip() == "True"


def test_a_batch_of_no_documents_gives_no_rows():
    clf = fit_classifier(tokenizer=TextTokenizer(stop_words="english"))
    label, proba = run(to_onnx(clf), as_strings([]))
    assert label.shape == (0,) and proba.shape == (0, 2)
    tokenizer = TextTokenizer(lowercase=False, n_buckets=20)
    clf = fit_classifier(tokenizer=tokenizer, bidirectional=True)
    assert run(to_onnx(clf), as_strings([]))[1].shape == (0, 2)


def test_a_subclass_is_exported_as_ids_even_if_it_only_changes_a_hook():
    class Reversed(TextTokenizer):
        def _iter_tokens(self, documents):
            for tokens in super()._iter_tokens(documents):
                yield tokens[::-1]

    clf = fit_classifier(tokenizer=Reversed())
    with pytest.raises(ValueError, match="Reversed"):
        to_onnx(clf)


def test_skl2onnx_float_input_before_a_float64_model(registered):
    """skl2onnx's scaler gives no shape: the scan's own shapes must do."""
    skl2onnx, data_types = registered
    rng = np.random.default_rng(0)
    X = numeric_data(rng, features=1)[:, :, 0]
    pipe = make_pipeline(
        StandardScaler(), TextRNNClassifier(hidden_size=6, max_iter=3, random_state=0)
    ).fit(X, rng.integers(0, 2, len(X)))
    proto = skl2onnx.to_onnx(
        pipe,
        initial_types=[("X", data_types.FloatTensorType([None, X.shape[1]]))],
        options={TextRNNClassifier: {"zipmap": False}},
    )
    _, proba = session(proto).run(None, {"X": X.astype(np.float32)})
    # The scaler runs in float32 in ONNX: its rounding reaches the model.
    assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-5)


def test_skl2onnx_voting_over_regressors_gets_the_type_it_declares(registered):
    from sklearn.ensemble import VotingRegressor

    skl2onnx, data_types = registered
    y = np.arange(len(X_TRAIN), dtype=float)
    voting = VotingRegressor(
        [
            ("a", TextRNNRegressor(hidden_size=4, max_iter=3, random_state=0)),
            ("b", TextRNNRegressor(hidden_size=6, max_iter=3, random_state=1)),
        ]
    ).fit(X_TRAIN, y)
    proto = skl2onnx.to_onnx(
        voting, initial_types=[("X", data_types.StringTensorType([None, 1]))]
    )
    (variable,) = session(proto).run(None, {"X": as_strings(DOCS).reshape(-1, 1)})
    # VotingRegressor declares float32 outputs: ours are cast to them.
    assert_allclose(variable.ravel(), voting.predict(DOCS), rtol=1e-5)
