"""scikit-learn's common estimator checks, rewritten for raw text (issue 15, item 14).

``check_estimator(TextTokenizer())`` runs a single check, because scikit-learn skips
every estimator that does not take 2-D input, and the common checks of the two
recurrent estimators (test_common.py) feed them numbers only: the text path never
meets scikit-learn's suite. Each test here is the text-mode version of one of those
checks (fit idempotence, pickling, subset and sample-order invariance, state left
alone, parameters, n_features, fitted state, dtypes, input containers, empty and
unseen documents, sample weights, tags), run on the tokenizer and on both
estimators, fitted on the tutorial's 58 sentences.
"""

import copy
import inspect
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from conftest import (
    PAD,
    UNK,
    assert_same_state,
    ignore_convergence,
    saved_state,
    small_rnn,
)
from sklearn_rnn import (
    InconsistentVersionWarning,
    TextRNNClassifier,
    TextRNNRegressor,
    TextTokenizer,
)
from sklearn_rnn.datasets import load_sentiment

# Every fit here is a short one (10 epochs): running out of max_iter is expected.
pytestmark = ignore_convergence

X_TRAIN, Y_TRAIN = load_sentiment(subset="train", return_X_y=True)
X_TEST, Y_TEST = load_sentiment(subset="test", return_X_y=True)
# Documents in other words: the test sentences use only the training vocabulary.
X_OTHER = [
    "the cat sat on the mat",
    "a dog barked at the moon",
    "fresh bread every morning",
    "rain again today",
]
Y_OTHER = np.array([0, 1, 0, 1])
# Prediction input: held-out sentences, sentences of unseen words, an empty
# document, a blank one and one made of unseen words only.
X_PREDICT = [*X_TEST, *X_OTHER[:2], "", "   ", "zzyzx quux"]

# The configurations checked, by id: small seeded models of 10 epochs, tokenizers.
MODELS = {
    "classifier": small_rnn(TextRNNClassifier, max_iter=10),
    "classifier-mean-embedding": small_rnn(
        TextRNNClassifier, max_iter=10, pooling="mean", embedding_size=4
    ),
    "classifier-hashing": small_rnn(
        TextRNNClassifier, max_iter=10, tokenizer=TextTokenizer(n_buckets=64)
    ),
    "classifier-float32": small_rnn(TextRNNClassifier, max_iter=10, dtype="float32"),
    "regressor": small_rnn(TextRNNRegressor, max_iter=10, pooling="max"),
    "regressor-float32": small_rnn(TextRNNRegressor, max_iter=10, dtype="float32"),
}
TOKENIZERS = {
    "tokenizer": TextTokenizer(),
    "tokenizer-char-tail": TextTokenizer(analyzer="char", max_len=6, truncation="tail"),
    "tokenizer-hashing": TextTokenizer(n_buckets=64),
}
ALL = {**MODELS, **TOKENIZERS}

# The methods that read documents and answer with outputs.
OUTPUT_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "transform_ragged",
    "predict_proba_per_step",
    "predict_per_step",
)
# Public methods that may be called before fit.
NO_FIT_NEEDED = {
    "fit",
    "fit_transform",
    "fit_transform_ragged",
    "partial_fit",
    "get_params",
    "set_params",
    "get_metadata_routing",
    "set_output",
}


def estimator_params(names=ALL):
    return pytest.mark.parametrize("name", list(names))


# ---------------------------------------------------------------- helpers
def tokenizer_of(estimator):
    """The tokenizer an estimator uses (itself, for a tokenizer)."""
    if isinstance(estimator, TextTokenizer):
        return estimator
    return TextTokenizer() if estimator.tokenizer is None else estimator.tokenizer


def targets(estimator, y=Y_TRAIN):
    """Labels for a classifier, floats for a regressor, None for a tokenizer."""
    if isinstance(estimator, TextTokenizer):
        return None
    return np.asarray(y) if is_classifier(estimator) else np.asarray(y, dtype=float)


def fitted(name, X=X_TRAIN, y=Y_TRAIN, **fit_params):
    """A new clone of configuration ``name`` fitted on (X, y)."""
    estimator = clone(ALL[name])
    return estimator.fit(X, targets(estimator, y), **fit_params)


def outputs(estimator, X):
    """Every output method of the estimator on X, by name."""
    return {
        method: getattr(estimator, method)(X)
        for method in OUTPUT_METHODS
        if hasattr(estimator, method)
    }


def tolerance(estimator):
    """How far two computations of the same outputs may differ: rounding of the
    model's dtype (a batch of other size or order sums in another order)."""
    if isinstance(estimator, TextTokenizer):
        return 0.0
    return 100 * np.finfo(np.dtype(estimator.dtype)).eps


def assert_same(a, b, tol=0.0, what="output"):
    """Same types, dtypes and shapes; equal values (floats within ``tol``)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for key in a:
            assert_same(a[key], b[key], tol, f"{what}.{key}")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, tol, f"{what}[{i}]")
    else:
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), what
        assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
        if a.dtype.kind in "fc" and tol:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)
        else:
            np.testing.assert_array_equal(a, b, err_msg=what)


def rows(method, result):
    """An output as one entry per document."""
    if method == "transform_ragged":
        token_ids, offsets = result
        bounds = zip(offsets[:-1], offsets[1:], strict=True)
        return [token_ids[start:end] for start, end in bounds]
    # Rows of an array, as arrays (a label is a 0-d array, not a NumPy scalar).
    return [np.asarray(row) for row in result]


# ---------------------------------------------------------------- fit idempotence
@estimator_params()
def test_fit_idempotent(name):
    """Fitting twice gives the same outputs, and so does refitting after a fit on
    other documents: a fit from scratch forgets the earlier vocabulary and weights
    (scikit-learn's check_fit_idempotent, which only fits the same data twice)."""
    estimator = fitted(name)
    first = outputs(estimator, X_PREDICT)
    estimator.fit(X_TRAIN, targets(estimator))
    assert_same(outputs(estimator, X_PREDICT), first)

    estimator.fit(X_OTHER, targets(estimator, Y_OTHER))
    estimator.fit(X_TRAIN, targets(estimator))
    assert_same(outputs(estimator, X_PREDICT), first)
    assert_same_state(saved_state(fitted(name)), saved_state(estimator))


@estimator_params(MODELS)
def test_fit_transform_matches_fit_then_transform(name):
    estimator = clone(ALL[name])
    H = estimator.fit_transform(X_TRAIN, targets(estimator))
    assert_same(H, fitted(name).transform(X_TRAIN))


@estimator_params(TOKENIZERS)
def test_tokenizer_fit_transform_matches_fit_then_transform(name):
    tokenizer = fitted(name)
    assert_same(clone(ALL[name]).fit_transform(X_TRAIN), tokenizer.transform(X_TRAIN))
    assert_same(
        clone(ALL[name]).fit_transform_ragged(X_TRAIN),
        tokenizer.transform_ragged(X_TRAIN),
    )


# ---------------------------------------------------------------- pickling
def _strict_unpickle(load):
    """Unpickle with any warning (a version mismatch above all) as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        return load()


@estimator_params()
@pytest.mark.parametrize("how", ["pickle", "joblib", "joblib-mmap"])
def test_pickle_round_trip_gives_identical_outputs(name, how, tmp_path):
    """scikit-learn's check_estimators_pickle (and its read-only memmap variant)."""
    estimator = fitted(name)
    before = copy.deepcopy(vars(estimator))
    if how == "pickle":
        data = pickle.dumps(estimator)
        restored = _strict_unpickle(lambda: pickle.loads(data))
    else:
        path = tmp_path / "model.joblib"
        joblib.dump(estimator, path)
        mmap_mode = "r" if how == "joblib-mmap" else None
        restored = _strict_unpickle(lambda: joblib.load(path, mmap_mode=mmap_mode))
    # Pickling leaves the estimator as it was (no version key added to it).
    assert_same_state(before, vars(estimator))
    assert type(restored) is type(estimator)
    assert_same(outputs(restored, X_PREDICT), outputs(estimator, X_PREDICT))
    assert_same_state(saved_state(estimator), vars(restored))
    if how == "joblib-mmap" and not isinstance(estimator, TextTokenizer):
        # The weights are read-only memory maps, which prediction only reads.
        assert not restored.input_weights_.flags.writeable


@estimator_params()
def test_unfitted_estimator_pickles(name):
    estimator = clone(ALL[name])
    restored = _strict_unpickle(lambda: pickle.loads(pickle.dumps(estimator)))
    assert_same_state(saved_state(estimator), vars(restored))
    y = targets(estimator)
    restored.fit(X_TRAIN, y)
    assert_same(outputs(restored, X_PREDICT), outputs(fitted(name), X_PREDICT))


# ---------------------------------------------------------------- invariances
@estimator_params()
def test_subset_invariance(name):
    """Outputs on a subset are that subset of the outputs on all documents: one
    document at a time and in batches of 7 (check_methods_subset_invariance).

    The tokenizer's padded transform has the same width for every batch (its
    docstring: `max_len`, or the longest training document), except in hashing
    mode without `max_len`, where a batch is as wide as its longest document: a
    subset's rows are then the full rows cut to that width, and what is cut is
    padding."""
    estimator = fitted(name)
    tol = tolerance(estimator)
    X = np.asarray(X_PREDICT, dtype=object)
    batches = [[i] for i in range(len(X))] + np.array_split(
        np.arange(len(X)), len(X) // 7
    )
    batch_wide = (
        isinstance(estimator, TextTokenizer)
        and estimator.n_buckets is not None
        and estimator.max_len is None
    )
    for method, result in outputs(estimator, X).items():
        full = rows(method, result)
        for batch in batches:
            part = rows(method, getattr(estimator, method)(X[batch]))
            expected = [full[i] for i in batch]
            if batch_wide and method == "transform":
                width = part[0].shape[0]
                assert all((row[width:] == PAD).all() for row in expected), method
                expected = [row[:width] for row in expected]
            assert_same(part, expected, tol, f"{method} on {batch}")


@estimator_params()
@pytest.mark.parametrize("seed", [0, 1])
def test_sample_order_invariance(name, seed):
    """Permuting the documents permutes the outputs
    (check_methods_sample_order_invariance)."""
    estimator = fitted(name)
    X = np.asarray(X_PREDICT, dtype=object)
    order = np.random.default_rng(seed).permutation(len(X))
    for method, result in outputs(estimator, X).items():
        expected = [rows(method, result)[i] for i in order]
        permuted = rows(method, getattr(estimator, method)(X[order]))
        assert_same(permuted, expected, tolerance(estimator), method)


@estimator_params(TOKENIZERS)
def test_tokenizer_fit_is_order_invariant(name):
    """The ids do not depend on the order of the training documents (promised in
    the tokenizer's Notes)."""
    order = np.random.default_rng(0).permutation(len(X_TRAIN))
    shuffled = fitted(name, np.asarray(X_TRAIN, dtype=object)[order])
    assert_same(outputs(shuffled, X_PREDICT), outputs(fitted(name), X_PREDICT))


# ---------------------------------------------------------------- state
def _public_parameters(estimator):
    return {
        key: value
        for key, value in vars(estimator).items()
        if not (key.startswith("_") or key.endswith("_"))
    }


@estimator_params()
def test_fit_leaves_parameters_alone(name):
    """fit adds no public attribute and changes no parameter, not even inside a
    tokenizer given as parameter, which is cloned rather than fitted
    (check_dont_overwrite_parameters, check_estimators_overwrite_params)."""
    estimator = clone(ALL[name])
    before = _public_parameters(estimator)
    deep_before = copy.deepcopy(before)
    for _ in range(2):  # a first fit, then a refit
        estimator.fit(X_TRAIN, targets(estimator))
        after = _public_parameters(estimator)
        assert after.keys() == before.keys()
        for key, value in before.items():
            assert after[key] is value, f"fit replaced the parameter {key}"
        assert_same_state(deep_before, after)
    if not isinstance(estimator, TextTokenizer) and estimator.tokenizer is not None:
        assert not hasattr(estimator.tokenizer, "vocabulary_size_")
        assert estimator.tokenizer_ is not estimator.tokenizer


@estimator_params()
def test_predicting_leaves_state_unchanged(name):
    """No method that reads documents changes the estimator's __dict__, deep down
    (the fitted tokenizer included), or replaces any attribute (check_dict_unchanged
    compares the dict only)."""
    estimator = fitted(name)
    candidates = [estimator]
    if not get_tags(estimator).requires_fit:
        candidates.append(clone(ALL[name]))  # a hashing tokenizer needs no fit
    methods = list(outputs(estimator, X_PREDICT))
    if hasattr(estimator, "score"):
        methods.append("score")
    for est in candidates:
        before, identities = copy.deepcopy(vars(est)), dict(vars(est))
        for method in methods:
            args = (X_TEST, targets(est, Y_TEST)) if method == "score" else (X_PREDICT,)
            getattr(est, method)(*args)
            assert vars(est).keys() == identities.keys(), method
            for key, value in identities.items():
                assert vars(est)[key] is value, f"{method} replaced {key}"
            assert_same_state(before, vars(est), f"after {method}")


@estimator_params()
def test_init_sets_only_the_parameters(name):
    """__init__ stores each parameter under its own name, as given, and nothing
    else (check_no_attributes_set_in_init, check_parameters_default_constructible)."""
    estimator = ALL[name]
    params = estimator.get_params(deep=False)
    assert set(vars(estimator)) == set(params)
    rebuilt = type(estimator)(**params)
    assert set(vars(rebuilt)) == set(params)
    for key, value in params.items():
        assert vars(rebuilt)[key] is value, key
    default = type(estimator)()
    assert set(vars(default)) == set(default.get_params(deep=False))


def _same_params(a, b):
    """Parameters equal, with estimator-valued ones compared by their parameters."""
    assert a.keys() == b.keys()
    for key in a:
        if hasattr(a[key], "get_params"):
            assert type(a[key]) is type(b[key]), key
            _same_params(a[key].get_params(), b[key].get_params())
        else:
            assert type(a[key]) is type(b[key]) and a[key] == b[key], key


@estimator_params()
def test_get_params_clone_round_trip(name):
    estimator = fitted(name)
    params = estimator.get_params(deep=False)
    cloned = clone(estimator)
    _same_params(cloned.get_params(deep=True), estimator.get_params(deep=True))
    # The clone is unfitted, has a tokenizer of its own, and refits the same.
    assert not [key for key in vars(cloned) if key.endswith("_")]
    if get_tags(cloned).requires_fit:
        with pytest.raises(NotFittedError):
            check_is_fitted(cloned)
    if params.get("tokenizer") is not None:
        assert cloned.tokenizer is not estimator.tokenizer
    cloned.fit(X_TRAIN, targets(cloned))
    assert_same(outputs(cloned, X_PREDICT), outputs(estimator, X_PREDICT))
    # set_params(**get_params()) changes nothing.
    assert clone(estimator).set_params(**params).get_params(deep=False) == params


@estimator_params(["classifier-hashing"])
def test_nested_tokenizer_parameters_round_trip(name):
    """An explicit tokenizer's parameters are reached as tokenizer__<name>, by
    get_params, set_params and clone, and the fit uses them."""
    estimator = clone(ALL[name]).set_params(
        tokenizer__n_buckets=None, tokenizer__max_len=2
    )
    params = estimator.get_params(deep=True)
    assert params["tokenizer__n_buckets"] is None
    assert params["tokenizer__max_len"] == 2
    assert clone(estimator).get_params(deep=True)["tokenizer__max_len"] == 2
    estimator.fit(X_TRAIN, targets(estimator))
    assert estimator.tokenizer_.max_len == 2
    assert estimator.tokenizer_.vocabulary_ is not None


# ---------------------------------------------------------------- n_features
@estimator_params()
@pytest.mark.parametrize("container", ["list", "named Series"])
def test_no_n_features_for_text(name, container):
    """Text has no fixed number of features: neither n_features_in_ nor
    feature_names_in_ is set (documented as numeric input only), not even from a
    named Series (check_n_features_in, numeric mode only)."""
    estimator = clone(ALL[name])
    assert not hasattr(estimator, "n_features_in_")
    X = X_TRAIN if container == "list" else pd.Series(X_TRAIN, name="text")
    estimator.fit(X, targets(estimator))
    assert not hasattr(estimator, "n_features_in_")
    assert not hasattr(estimator, "feature_names_in_")
    if not isinstance(estimator, TextTokenizer):
        # What is documented instead: one step feature per token id.
        assert estimator.n_step_features_ == estimator.tokenizer_.vocabulary_size_
        embedding = getattr(estimator, "embedding_weights_", estimator.input_weights_)
        assert embedding.shape[0] == estimator.n_step_features_


@estimator_params(MODELS)
def test_text_fit_forgets_numeric_n_features(name):
    """A text fit after a numeric one (of a DataFrame with column names) leaves no
    numeric n_features_in_ or feature_names_in_ behind."""
    estimator = clone(ALL[name])
    rng = np.random.default_rng(0)
    X_numeric = pd.DataFrame(rng.normal(size=(20, 4)), columns=["a", "b", "c", "d"])
    y_numeric = targets(estimator, np.arange(20) % 2)
    estimator.fit(X_numeric, y_numeric)
    assert estimator.n_features_in_ == 4
    assert list(estimator.feature_names_in_) == ["a", "b", "c", "d"]
    estimator.fit(X_TRAIN, targets(estimator))
    assert not hasattr(estimator, "n_features_in_")
    assert not hasattr(estimator, "feature_names_in_")
    assert_same(outputs(estimator, X_PREDICT), outputs(fitted(name), X_PREDICT))


# ---------------------------------------------------------------- fitted state
def _public_methods(estimator):
    return sorted(
        name
        for name in dir(estimator)
        if not name.startswith("_")
        and callable(getattr(type(estimator), name, None))
        and not isinstance(getattr(type(estimator), name), type)
    )


def _call_unfitted(estimator, method):
    """Call ``method`` with documents (ids for inverse_transform) and targets."""
    arguments = {
        "X": [[2, 3]] if method == "inverse_transform" else X_TEST[:3],
        "y": targets(estimator, Y_TEST[:3]),
    }
    signature = inspect.signature(getattr(estimator, method))
    required = [
        p.name
        for p in signature.parameters.values()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return getattr(estimator, method)(*(arguments[p] for p in required))


@estimator_params()
def test_every_method_needs_fit(name):
    """Before fit, check_is_fitted fails and every public method but fit and the
    parameter methods raises NotFittedError (check_estimators_unfitted,
    check_transformers_unfitted, check_fit_check_is_fitted); after fit,
    check_is_fitted passes. A hashing tokenizer has nothing to learn: its tags say
    so, and it works unfitted."""
    estimator = clone(ALL[name])
    methods = [
        method
        for method in _public_methods(estimator)
        if method not in NO_FIT_NEEDED
        and not (method.startswith("set_") and method.endswith("_request"))
    ]
    assert {"transform"} <= set(methods)
    if get_tags(estimator).requires_fit:
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator)
        for method in methods:
            with pytest.raises(NotFittedError):
                _call_unfitted(estimator, method)
        assert vars(estimator).keys() == estimator.get_params(deep=False).keys()
    else:
        check_is_fitted(estimator)
        assert_same(estimator.transform(X_PREDICT), fitted(name).transform(X_PREDICT))
    check_is_fitted(fitted(name))


# ---------------------------------------------------------------- dtypes
CONTAINERS = {
    "list": list,
    "tuple": tuple,
    "ndarray-str": np.array,
    "ndarray-object": lambda docs: np.array(docs, dtype=object),
    "ndarray-StringDType": lambda docs: np.array(docs, dtype=np.dtypes.StringDType()),
    "Series-object": lambda docs: pd.Series(docs, dtype=object),
    "Series-string": lambda docs: pd.Series(docs, dtype="string"),
    # Positions, not labels, line documents up with targets.
    "Series-reversed-index": lambda docs: pd.Series(
        docs, index=np.arange(len(docs))[::-1]
    ),
    "generator": lambda docs: (doc for doc in docs),
}


@estimator_params(TOKENIZERS)
@pytest.mark.parametrize("container", list(CONTAINERS))
def test_tokenizer_outputs_int64_ids(name, container):
    """Ids are int64 (documented), whatever holds the documents; an all-empty
    batch too."""
    tokenizer = fitted(name)
    make = CONTAINERS[container]
    X = tokenizer.transform(make(X_PREDICT))
    assert X.dtype == np.int64 and X.ndim == 2 and X.shape[0] == len(X_PREDICT)
    token_ids, offsets = tokenizer.transform_ragged(make(X_PREDICT))
    assert token_ids.dtype == np.int64 and offsets.dtype == np.int64
    assert clone(tokenizer).fit_transform(make(X_TRAIN)).dtype == np.int64
    ids, offsets = clone(tokenizer).fit_transform_ragged(make(X_TRAIN))
    assert ids.dtype == np.int64 and offsets.dtype == np.int64
    empty = tokenizer.transform(make(["", ""]))
    assert empty.dtype == np.int64 and empty.shape[0] == 2 and (empty == PAD).all()
    assert X.min() >= 0 and X.max() < tokenizer.vocabulary_size_


FLOAT_METHODS = (
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
)


@pytest.mark.parametrize("estimator_class", [TextRNNClassifier, TextRNNRegressor])
@pytest.mark.parametrize(
    "dtype, expected",
    [
        (None, np.float64),  # the default
        ("float64", np.float64),
        ("float32", np.float32),
        (np.float32, np.float32),
        (np.dtype("float32"), np.float32),
    ],
)
def test_model_outputs_follow_dtype(estimator_class, dtype, expected):
    """Probabilities, scores, features and per-step probabilities are of the
    ``dtype`` parameter (float64 by default), and so are the transformer tags; a
    regressor's predictions are float64 whatever ``dtype`` (documented), like the
    targets it was given."""
    params = {} if dtype is None else {"dtype": dtype}
    estimator = small_rnn(estimator_class, max_iter=5, **params)
    H = estimator.fit_transform(X_TRAIN, targets(estimator))
    assert H.dtype == expected
    assert get_tags(estimator).transformer_tags.preserves_dtype == [
        np.dtype(expected).name
    ]
    for make in (list, np.array, CONTAINERS["Series-string"]):
        X = make(X_PREDICT)
        for method in FLOAT_METHODS:
            if hasattr(estimator, method):
                assert getattr(estimator, method)(X).dtype == expected, method
        if is_classifier(estimator):
            steps = estimator.predict_proba_per_step(X)
            assert {step.dtype for step in steps} == {np.dtype(expected)}
            assert estimator.predict(X).dtype == Y_TRAIN.dtype
        else:
            assert estimator.predict(X).dtype == np.float64
            steps = estimator.predict_per_step(X)
            assert {step.dtype for step in steps} == {np.dtype(np.float64)}


# ---------------------------------------------------------------- containers
@estimator_params()
@pytest.mark.parametrize("container", list(CONTAINERS))
def test_containers_give_the_same_outputs(name, container):
    """Fitting on and predicting from any 1-D container of str gives the outputs
    of a list (check_estimators_data_not_an_array, for text)."""
    make = CONTAINERS[container]
    estimator = clone(ALL[name])
    estimator.fit(make(X_TRAIN), targets(estimator))
    reference = fitted(name)
    expected = outputs(reference, X_PREDICT)
    assert_same(
        {method: getattr(estimator, method)(make(X_PREDICT)) for method in expected},
        expected,
    )
    assert_same_state(saved_state(reference), saved_state(estimator))


# ---------------------------------------------------------------- odd documents
@estimator_params()
def test_empty_documents_are_valid_input(name):
    """Empty and blank documents can be fitted on and predicted from. An empty
    document reads no token: its hidden state stays h_0 = 0, so its features are
    zero and its output is the output bias alone (documented in the Notes); the
    tokenizer gives it a row of padding."""
    with_empty = [*X_TRAIN, "", "  \t "]
    y = np.concatenate([Y_TRAIN, [0, 1]])
    estimator = fitted(name, with_empty, y)
    results = outputs(estimator, ["", "   ", "good"])
    if isinstance(estimator, TextTokenizer):
        # A blank document is empty to a word analyzer, a space to "char".
        blank = 1 if estimator.analyzer == "char" else 0
        assert (results["transform"][0] == PAD).all()
        offsets = results["transform_ragged"][1].tolist()
        assert offsets[:3] == [0, 0, blank] and offsets[3] > blank
        assert (results["transform"][1, blank:] == PAD).all()
        return
    assert_same(results["transform"][:2], np.zeros_like(results["transform"][:2]))
    bias = estimator.output_bias_
    if is_classifier(estimator):
        proba = np.exp(bias - bias.max()) / np.exp(bias - bias.max()).sum()
        np.testing.assert_allclose(results["predict_proba"][0], proba, rtol=1e-6)
        np.testing.assert_allclose(
            results["decision_function"][0], bias[1] - bias[0], rtol=1e-6
        )
        assert results["predict_proba_per_step"][0].shape == (0, 2)
    else:
        expected = bias * estimator.target_scale_ + estimator.target_mean_
        np.testing.assert_allclose(results["predict"][:2], [expected[0]] * 2)
        assert results["predict_per_step"][0].shape == (0,)


@estimator_params(
    name
    for name, estimator in ALL.items()
    if tokenizer_of(estimator).n_buckets is None
    and tokenizer_of(estimator).analyzer == "word"
)
def test_unseen_words_are_the_unknown_token(name):
    """Words never seen in fit are valid input and all mean the same thing, the
    unknown token: two documents that differ only in their unseen words give the
    same outputs, whatever the method."""
    estimator = fitted(name)
    vocabulary = (
        estimator if isinstance(estimator, TextTokenizer) else estimator.tokenizer_
    ).vocabulary_
    unseen = ["zzyzx", "quux", "florp"]
    assert not set(unseen) & set(vocabulary)
    a = outputs(estimator, ["good zzyzx", "zzyzx", "not zzyzx bad"])
    b = outputs(estimator, ["good quux", "florp", "not florp bad"])
    assert_same(a, b)
    if isinstance(estimator, TextTokenizer):
        row = a["transform"][1]
        assert row[0] == UNK and (row[1:] == PAD).all()


# ---------------------------------------------------------------- sample weights
# Weighted fits train on documents with words of their own (X_OTHER), and are
# compared on them too: a document given weight 0 must leave its words unknown.
X_WEIGHTED = np.asarray([*X_TRAIN, *X_OTHER], dtype=object)
Y_WEIGHTED = np.concatenate([Y_TRAIN, Y_OTHER])
X_WEIGHTED_PREDICT = [*X_WEIGHTED, *X_PREDICT]


def assert_same_fit(a, b):
    assert_same(
        outputs(a, X_WEIGHTED_PREDICT), outputs(b, X_WEIGHTED_PREDICT), tolerance(a)
    )


@estimator_params()
def test_unit_weights_equal_no_weights(name):
    """check_sample_weights_invariance, kind "ones"."""
    weighted = fitted(
        name, X_WEIGHTED, Y_WEIGHTED, sample_weight=np.ones(len(X_WEIGHTED))
    )
    assert_same_fit(weighted, fitted(name, X_WEIGHTED, Y_WEIGHTED))


@estimator_params()
def test_zero_weight_equals_dropping(name):
    """Zero weights act as dropped documents, which then do not shape the
    vocabulary either (documented; check_sample_weights_invariance, kind "zeros")."""
    weights = np.ones(len(X_WEIGHTED))
    weights[::3] = 0
    weights[-len(X_OTHER) :] = 0
    keep = weights > 0
    weighted = fitted(name, X_WEIGHTED, Y_WEIGHTED, sample_weight=weights)
    assert_same_fit(weighted, fitted(name, X_WEIGHTED[keep], Y_WEIGHTED[keep]))


@estimator_params()
def test_integer_weights_equal_repeats(name):
    """Integer weights act as repeated documents (documented;
    check_sample_weight_equivalence_on_dense_data, for text)."""
    weights = np.random.default_rng(0).integers(0, 4, size=len(X_WEIGHTED))
    weights[-len(X_OTHER) :] = [0, 1, 2, 3]
    weighted = fitted(name, X_WEIGHTED, Y_WEIGHTED, sample_weight=weights)
    repeated = fitted(
        name, np.repeat(X_WEIGHTED, weights), np.repeat(Y_WEIGHTED, weights)
    )
    assert_same_fit(weighted, repeated)


@estimator_params()
def test_fit_does_not_change_sample_weight(name):
    """check_sample_weights_not_overwritten."""
    weights = np.random.default_rng(0).uniform(0.5, 2, size=len(X_TRAIN))
    weights[0] = 0.0
    before = weights.copy()
    fitted(name, sample_weight=weights)
    np.testing.assert_array_equal(weights, before)


# ---------------------------------------------------------------- tags
def test_tokenizer_tags():
    """The tokenizer takes 1-D text and outputs integer ids, so it must not claim
    to preserve float64 (the default it inherits from TransformerMixin):
    scikit-learn's check_transformer_preserve_dtypes would feed it floats."""
    tags = get_tags(TextTokenizer())
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.requires_fit is True
    assert get_tags(TextTokenizer(n_buckets=10)).requires_fit is False
    assert TextTokenizer().__sklearn_tags__().transformer_tags.preserves_dtype == []


@estimator_params(MODELS)
def test_model_tags_say_text(name):
    tags = get_tags(ALL[name])
    assert tags.input_tags.string is True
    assert tags.requires_fit is True
