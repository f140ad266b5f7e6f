"""Tests of the options that shape the network, through the estimators' API.

Stacked layers (``num_layers``), a backward direction (``bidirectional``), ReLU
cells (``nonlinearity``), summaries side by side (``pooling="last+mean+max"``...),
dropout between layers (``layer_dropout``) and pretrained or frozen embeddings
(``embedding_init``, ``freeze_embedding``): as parameters, in persistence, in
continued training, in chunked and per-step prediction, and in what the fitted
model computes. The recurrent math itself is tested in test_rnn.py; here a plain
NumPy loop over the documented equations is the reference for ``transform``.
"""

import copy
import pickle
import re

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

import sklearn_rnn
import sklearn_rnn._base as base_module
import sklearn_rnn._rnn as rnn_module
from conftest import (
    ESTIMATORS,
    PAD,
    UNK,
    assert_same_state,
    fit_quietly,
    ignore_convergence,
    small_rnn,
    targets_for,
)
from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, TextTokenizer

pytestmark = ignore_convergence

# The richest network: two layers, both directions, ReLU, three summaries each.
FAMILY = {
    "num_layers": 2,
    "bidirectional": True,
    "nonlinearity": "relu",
    "pooling": "last+mean+max",
}
# Its weights beyond layer 0's forward direction, named as documented.
FAMILY_LAYER_NAMES = {
    f"{base}{layer}{reverse}"
    for base in ("W_xh", "W_hh", "b_h")
    for layer, reverse in (("", "_r"), ("_l1", ""), ("_l1", "_r"))
}
# Layer 0's forward weights, in the order (W_xh, W_hh, b_h).
FIRST_LAYER = {
    "W_xh": "input_weights_",
    "W_hh": "recurrent_weights_",
    "b_h": "hidden_bias_",
}


def family_rnn(estimator=TextRNNClassifier, /, **params):
    """A small seeded model of ``FAMILY`` (hidden size 5, five epochs)."""
    return small_rnn(estimator, **{"hidden_size": 5, "max_iter": 5, **FAMILY, **params})


def all_weights(model):
    """Every fitted weight array of a model, by attribute (or layer) name."""
    weights = {
        attr: value
        for attr, value in vars(model).items()
        if attr.endswith("_weights_") or attr.endswith("_bias_")
    }
    weights.pop("layer_weights_")
    return {**weights, **model.layer_weights_}


def fitted_state(model):
    """What a fit sets: the attributes ending or starting with an underscore."""
    return {k: v for k, v in vars(model).items() if k.endswith("_") or k[0] == "_"}


@pytest.fixture(scope="module")
def ragged():
    """Numeric sequences of 2 features and lengths 1 to 7 (a list of arrays); the
    class is the sign of the first feature's sum."""
    rng = np.random.default_rng(7)
    lengths = [3, 1, 5, 7, 2, 4, 6] * 6
    X = [rng.normal(size=(n, 2)) for n in lengths]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    return X, y


def inputs_for(kind, seed_train, ragged):
    return seed_train if kind == "text" else ragged


# ---------------------------------------------------------------- reference math
def cell_weights(model, layer, reverse):
    """``(W_xh, W_hh, b_h)`` of one layer and direction, read by their names."""
    if layer == 0 and not reverse:
        return tuple(getattr(model, FIRST_LAYER[base]) for base in FIRST_LAYER)
    suffix = (f"_l{layer}" if layer else "") + ("_r" if reverse else "")
    return tuple(model.layer_weights_[base + suffix] for base in FIRST_LAYER)


def reference_summary(model, sequence):
    """The documented network, one step at a time: each layer reads the one below
    (both directions side by side), the backward direction reads from the last
    step to the first, and the last layer's states are pooled per direction."""
    act = np.tanh if model.nonlinearity == "tanh" else lambda z: np.maximum(z, 0.0)
    inputs = np.asarray(sequence, dtype=float).reshape(len(sequence), -1)
    directions = (False, True) if model.bidirectional else (False,)
    for layer in range(model.num_layers):
        outputs = []
        for reverse in directions:
            W_xh, W_hh, b_h = cell_weights(model, layer, reverse)
            states = np.zeros((len(inputs), model.hidden_size))
            h = np.zeros(model.hidden_size)
            for t in reversed(range(len(inputs))) if reverse else range(len(inputs)):
                h = states[t] = act(inputs[t] @ W_xh + h @ W_hh + b_h)
            outputs.append(states)
        inputs = np.hstack(outputs)
    summaries = []
    for reverse, states in zip(directions, outputs, strict=True):
        last = states[0] if reverse else states[-1]
        kinds = {"last": last, "mean": states.mean(axis=0), "max": states.max(axis=0)}
        summaries += [kinds[kind] for kind in model.pooling.split("+")]
    return np.concatenate(summaries)


# ---------------------------------------------------------------- 1. parameters
NEW_OPTIONS = {
    "num_layers": 3,
    "bidirectional": True,
    "nonlinearity": "relu",
    "layer_dropout": 0.25,
    "pooling": "last+max",
    "embedding_init": {"good": [1.0, 2.0], "bad": [3.0, 4.0]},
    "freeze_embedding": True,
}


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_new_options_are_parameters_with_documented_defaults(estimator):
    defaults = estimator().get_params()
    assert {name: defaults[name] for name in NEW_OPTIONS} == {
        "num_layers": 1,
        "bidirectional": False,
        "nonlinearity": "tanh",
        "layer_dropout": 0.0,
        "pooling": "auto",
        "embedding_init": None,
        "freeze_embedding": False,
    }
    for model in (estimator(**NEW_OPTIONS), estimator().set_params(**NEW_OPTIONS)):
        params = model.get_params()
        assert {name: params[name] for name in NEW_OPTIONS} == NEW_OPTIONS
        cloned = clone(model).get_params()
        assert {name: cloned[name] for name in NEW_OPTIONS} == NEW_OPTIONS


@pytest.mark.parametrize(
    "name, value",
    [
        ("num_layers", 0),
        ("bidirectional", "yes"),
        ("nonlinearity", "sigmoid"),
        ("layer_dropout", 1.0),
        ("pooling", "last+last"),
        ("freeze_embedding", "no"),
    ],
)
def test_invalid_new_options_are_refused_by_name(name, value, seed_train):
    with pytest.raises(ValueError, match=name):
        small_rnn(**{name: value}).fit(*seed_train)


@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_a_clone_fits_the_same_network(kind, seed_train, ragged):
    X, y = inputs_for(kind, seed_train, ragged)
    model = fit_quietly(family_rnn(layer_dropout=0.3), X, y)
    twin = fit_quietly(clone(model), X, y)
    assert twin.layer_weights_.keys() == FAMILY_LAYER_NAMES
    np.testing.assert_array_equal(twin.predict_proba(X), model.predict_proba(X))


def test_grid_search_over_the_network_shape(seed_train):
    X, y = seed_train
    grid = {
        "num_layers": [1, 2],
        "bidirectional": [False, True],
        "nonlinearity": ["tanh", "relu"],
        "pooling": ["last", "last+max"],
    }
    search = GridSearchCV(
        small_rnn(hidden_size=4, max_iter=4), grid, cv=2, scoring="neg_log_loss"
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 16 and np.isfinite(scores).all()
    # Every candidate fits another network: no option is silently ignored.
    assert len(set(np.round(scores, 12))) == 16
    best, params = search.best_estimator_, search.best_params_
    assert best.get_params()["num_layers"] == params["num_layers"]
    n_directions = 2 if params["bidirectional"] else 1
    n_summaries = len(params["pooling"].split("+"))
    assert best.output_weights_.shape == (4 * n_summaries * n_directions, 2)
    assert len(best.layer_weights_) == 3 * (params["num_layers"] * n_directions - 1)


# ---------------------------------------------------------------- 2. persistence
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["text", "numeric"])
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_pickle_and_joblib_round_trips_predict_identically(
    estimator, kind, dtype, seed_train, ragged, tmp_path
):
    X, y = inputs_for(kind, seed_train, ragged)
    model = fit_quietly(
        family_rnn(estimator, dtype=dtype), X, targets_for(estimator, y)
    )
    path = tmp_path / "model.joblib"
    joblib.dump(model, path)
    for restored in (pickle.loads(pickle.dumps(model)), joblib.load(path)):
        np.testing.assert_array_equal(restored.predict(X), model.predict(X))
        np.testing.assert_array_equal(restored.transform(X), model.transform(X))
        assert restored.transform(X).dtype == np.dtype(dtype)
        assert_same_state(model.layer_weights_, restored.layer_weights_)
        assert restored._nonlinearity == "relu"


@pytest.fixture(scope="module")
def family_text_model(seed_train):
    return fit_quietly(family_rnn(), *seed_train)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_load_skops_round_trip(estimator, seed_train, ragged, tmp_path):
    sio = pytest.importorskip("skops.io")
    for kind in ("text", "numeric"):
        X, y = inputs_for(kind, seed_train, ragged)
        model = fit_quietly(family_rnn(estimator), X, targets_for(estimator, y))
        path = tmp_path / f"{kind}.skops"
        sio.dump(model, path)
        loaded = sklearn_rnn.load_skops(path)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        assert_same_state(model.layer_weights_, loaded.layer_weights_)


def _put(name, value):
    return lambda model: model.layer_weights_.__setitem__(name, value)


def _nan_in(name):
    return lambda model: model.layer_weights_[name].__setitem__((0, 0), np.nan)


# Each edit of a fitted stacked bidirectional model's layer_weights_ (hidden 5).
LAYER_TAMPERING = {
    "wrong shape": _put("W_hh_l1", np.zeros((6, 6))),
    "layer above reads one direction": _put("W_xh_l1_r", np.zeros((5, 5))),
    "missing name": lambda model: model.layer_weights_.pop("b_h_l1_r"),
    "extra layer": _put("W_hh_l2", np.zeros((5, 5))),
    "name of no layer": _put("W_foo", np.zeros((5, 5))),
    "NaN": _nan_in("W_xh_l1"),
    "another dtype": _put("W_hh_r", np.zeros((5, 5), dtype=np.float32)),
    "not a dict": lambda model: setattr(model, "layer_weights_", [1, 2]),
}


@pytest.mark.parametrize("case", LAYER_TAMPERING)
def test_load_skops_refuses_tampered_layer_weights(case, family_text_model, tmp_path):
    sio = pytest.importorskip("skops.io")
    model = copy.deepcopy(family_text_model)
    LAYER_TAMPERING[case](model)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    with pytest.raises(sklearn_rnn.UntrustedModelError) as excinfo:
        sklearn_rnn.load_skops(path)
    problems = excinfo.value.problems
    assert any(p.startswith("model.layer_weights_") for p in problems), problems


def test_load_skops_refuses_an_unknown_nonlinearity(family_text_model, tmp_path):
    sio = pytest.importorskip("skops.io")
    model = copy.deepcopy(family_text_model)
    model._nonlinearity = "sigmoid"
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    with pytest.raises(sklearn_rnn.UntrustedModelError, match="_nonlinearity"):
        sklearn_rnn.load_skops(path)


# ---------------------------------------------------------------- 3. training
def test_warm_start_continues_every_layer(seed_train):
    model = fit_quietly(family_rnn(max_iter=3, warm_start=True), *seed_train)
    before, curve = all_weights(copy.deepcopy(model)), list(model.loss_curve_)
    fit_quietly(model.set_params(max_iter=4), *seed_train)
    assert model.n_iter_ == 7 and model.loss_curve_[:3] == curve
    after = all_weights(model)
    assert after.keys() == before.keys()
    for name, value in before.items():
        assert after[name].shape == value.shape, name
        assert not np.array_equal(after[name], value), name


@pytest.mark.parametrize(
    "name, value",
    [
        ("num_layers", 1),
        ("num_layers", 3),
        ("bidirectional", False),
        ("pooling", "mean+max"),
        ("pooling", "last"),
    ],
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_refuses_another_network_shape(
    how, name, value, family_text_model, seed_train
):
    X, y = seed_train
    model = copy.deepcopy(family_text_model)
    expected = model.predict_proba(X)
    model.set_params(warm_start=True, **{name: value})
    with pytest.raises(ValueError, match=re.escape(f"{name}={value!r}, but")):
        model.fit(X, y) if how == "warm_start" else model.partial_fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), expected)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_partial_fit_trains_every_layer(estimator, ragged):
    X, y = ragged
    y = targets_for(estimator, y)
    model = family_rnn(estimator, layer_dropout=0.3)
    first = {"classes": [0, 1]} if estimator is TextRNNClassifier else {}
    model.partial_fit(X, y, **first)
    assert model.layer_weights_.keys() == FAMILY_LAYER_NAMES
    assert model.layer_weights_["W_xh_l1"].shape == (10, 5)
    for calls in (2, 3):
        before = copy.deepcopy(all_weights(model))
        model.partial_fit(X, y)
        assert model.n_iter_ == calls
        for name, value in all_weights(model).items():
            assert not np.array_equal(value, before[name]), name


@pytest.mark.parametrize("validation", ["split", "validation_data"])
def test_early_stopping_keeps_the_best_epoch_of_a_stacked_model(
    validation, noisy_numeric
):
    X, y = noisy_numeric
    model = family_rnn(hidden_size=8, max_iter=80, early_stopping=True)
    if validation == "split":
        model.fit(X, y)
    else:
        model.fit(X[:60], y[:60], validation_data=(X[60:], y[60:]))
        # The kept weights are those whose validation loss is the best one.
        assert log_loss(y[60:], model.predict_proba(X[60:])) == pytest.approx(
            model.best_loss_, rel=1e-9
        )
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert model.best_loss_ == min(model.validation_loss_curve_)
    assert model.best_loss_ == model.validation_loss_curve_[model.best_epoch_ - 1]
    assert model.best_epoch_ < model.n_iter_  # it stopped after overfitting


@pytest.mark.parametrize("kind", ["text", "numeric"])
def test_float32_model_keeps_every_weight_in_float32(kind, seed_train, ragged):
    X, y = inputs_for(kind, seed_train, ragged)
    model = fit_quietly(family_rnn(dtype="float32", warm_start=True), X, y)
    for continued in (False, True):
        if continued:
            fit_quietly(model, X, y)
        dtypes = {name: w.dtype for name, w in all_weights(model).items()}
        assert set(dtypes.values()) == {np.dtype(np.float32)}, dtypes
        assert model.layer_weights_.keys() == FAMILY_LAYER_NAMES
    assert model.predict_proba(X).dtype == np.float32


# ---------------------------------------------------------------- 4. chunking
CHUNKED = {
    "stacked bidirectional relu": FAMILY,
    "one bidirectional layer": {"bidirectional": True, "pooling": "mean+max"},
    "three forward layers": {"num_layers": 3, "pooling": "last"},
}
# Each way prediction may cut its work: one sample per chunk, everything in one
# chunk, no hidden states kept (one layer), or few steps per chunk (stacked).
CUTS = {
    "chunks of 1": (base_module, "PREDICT_CHUNK", 1),
    "one chunk": (base_module, "PREDICT_CHUNK", 10**6),
    "no states kept": (rnn_module, "_SMALL_STATES", 0),
    "3 steps per chunk": (rnn_module, "_STACKED_CHUNK_STEPS", 3),
}


@pytest.mark.parametrize("kind", ["text", "numeric"])
@pytest.mark.parametrize("config", CHUNKED)
def test_prediction_does_not_depend_on_the_chunking(
    config, kind, seed_train, seed_test, ragged, monkeypatch
):
    X, y = inputs_for(kind, seed_train, ragged)
    model = fit_quietly(family_rnn(**{**FAMILY, **CHUNKED[config]}), X, y)
    if kind == "text":
        X = [*seed_test[0], "", "words never seen", *X]
    else:
        X = [*X, np.empty((0, 2))]
    forward = not model.bidirectional

    def outputs():
        steps = model.predict_proba_per_step(X) if forward else []
        return [model.predict_proba(X), model.transform(X), *steps]

    expected = outputs()
    for owner, name, value in CUTS.values():
        with monkeypatch.context() as patch:
            patch.setattr(owner, name, value)
            got = outputs()
        assert len(got) == len(expected)
        # Equal to rounding: BLAS may sum a product of another shape in another
        # order (a chunk of one row is a matrix-vector product).
        for a, b in zip(got, expected, strict=True):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=name)


# ---------------------------------------------------------------- 5. outputs
REFERENCE_CASES = {
    "one bidirectional tanh layer": {
        "bidirectional": True,
        "pooling": "last+mean+max",
        "nonlinearity": "tanh",
        "num_layers": 1,
    },
    "stacked bidirectional relu": FAMILY,
    "three forward layers": {
        "num_layers": 3,
        "bidirectional": False,
        "pooling": "mean+max",
        "nonlinearity": "tanh",
    },
    # Dropout between layers is for training only: prediction reads every unit.
    "layer dropout": {**FAMILY, "pooling": "last", "layer_dropout": 0.5},
}


@pytest.mark.parametrize("case", REFERENCE_CASES)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_transform_is_the_documented_network(estimator, case, ragged):
    X, y = ragged
    model = family_rnn(estimator, **REFERENCE_CASES[case])
    fit_quietly(model, X, targets_for(estimator, y))
    H = model.transform([*X, np.empty((0, 2))])
    expected = np.array([reference_summary(model, x) for x in X])
    np.testing.assert_allclose(H[:-1], expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(H[-1], 0.0)  # no step: h_0 = 0 everywhere
    # The output layer reads exactly these columns.
    outputs = H[:-1] @ model.output_weights_ + model.output_bias_
    if estimator is TextRNNClassifier:
        proba = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(model.predict_proba(X), proba, rtol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", rnn_module.POOLING_OPTIONS)
def test_transform_width_and_feature_names(pooling, bidirectional, seed_train):
    model = small_rnn(hidden_size=3, max_iter=1, num_layers=2, pooling=pooling)
    fit_quietly(model.set_params(bidirectional=bidirectional), *seed_train)
    kinds = pooling.split("+")
    directions = ["forward_", "backward_"] if bidirectional else [""]
    width = 3 * len(kinds) * len(directions)
    assert model.output_weights_.shape == (width, 2)
    assert model.transform(seed_train[0]).shape == (len(seed_train[0]), width)
    # Named in the columns' order: by direction, then summary, then unit; a
    # single summary of one direction by its unit alone.
    if width == 3:
        expected = [f"textrnnclassifier{i}" for i in range(3)]
    else:
        expected = [
            f"textrnnclassifier_{direction}{kind}{i}"
            for direction in directions
            for kind in kinds
            for i in range(3)
        ]
    assert model.get_feature_names_out().tolist() == expected


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_per_step_outputs_of_a_stacked_forward_model(estimator, ragged):
    X, y = ragged
    params = {"bidirectional": False, "pooling": "last+max"}
    model = fit_quietly(family_rnn(estimator, **params), X, targets_for(estimator, y))
    if estimator is TextRNNClassifier:
        per_step, whole = model.predict_proba_per_step, model.predict_proba
    else:
        per_step, whole = model.predict_per_step, model.predict
    X = X[:6]
    steps = per_step([*X, np.empty((0, 2))])
    assert len(steps) == len(X) + 1 and len(steps[-1]) == 0
    for x, rows in zip(X, steps[:-1], strict=True):
        assert len(rows) == len(x)
        # Row t is the prediction for the sequence cut after step t + 1.
        prefixes = whole([x[: t + 1] for t in range(len(x))])
        np.testing.assert_allclose(rows, prefixes, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        [rows[-1] for rows in steps[:-1]], whole(X), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_per_step_outputs_of_a_bidirectional_model_are_refused(estimator, ragged):
    X, y = ragged
    model = fit_quietly(family_rnn(estimator), X, targets_for(estimator, y))
    method = (
        model.predict_proba_per_step
        if estimator is TextRNNClassifier
        else model.predict_per_step
    )
    with pytest.raises(ValueError, match="bidirectional"):
        method(X[:3])


# ---------------------------------------------------------------- 6. both ends
def test_a_bidirectional_model_reads_the_first_step_of_long_sequences():
    """The label is the sign of the first of 30 steps and the model reads only
    the last state: the forward direction must carry the first step through 29
    more, while the backward direction's last state has just read it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 30))
    y = (X[:, 0] > 0).astype(int)
    train, test = slice(0, 200), slice(200, None)
    accuracy = {}
    for bidirectional in (False, True):
        model = small_rnn(
            hidden_size=4, max_iter=20, pooling="last", bidirectional=bidirectional
        )
        fit_quietly(model, X[train], y[train])
        accuracy[bidirectional] = model.score(X[test], y[test])
    assert accuracy[True] >= 0.9, accuracy
    assert accuracy[False] <= 0.75, accuracy


# ---------------------------------------------------------------- 7. embeddings
# "zebra" is not in the tutorial's vocabulary; "Happy" is not written as the
# tokenizer writes it (lowercased), so it matches nothing.
VECTORS = {
    "good": [0.5, -1.0, 2.0],
    "bad": [-0.25, 0.75, 0.0],
    "not": [1.5, 1.5, -1.5],
    "zebra": [9.0, 9.0, 9.0],
    "Happy": [7.0, 7.0, 7.0],
}


class FakeKeyedVectors:
    """What embedding_init reads of gensim's KeyedVectors: ``key_to_index`` and
    ``vectors``, here with the rows in the reverse order of the tokens."""

    def __init__(self, vectors):
        tokens = list(vectors)
        self.key_to_index = {
            token: len(tokens) - 1 - i for i, token in enumerate(tokens)
        }
        self.vectors = np.array([vectors[token] for token in reversed(tokens)])


EMBEDDING_FORMS = {
    "dict": lambda: dict(VECTORS),
    "KeyedVectors": lambda: FakeKeyedVectors(VECTORS),
    "(tokens, matrix)": lambda: (list(VECTORS), np.array(list(VECTORS.values()))),
    "(tokens, lists)": lambda: (tuple(VECTORS), list(VECTORS.values())),
}


def embedded(**params):
    return small_rnn(**{"hidden_size": 4, "max_iter": 1, **params})


@pytest.mark.parametrize("form", EMBEDDING_FORMS)
def test_embedding_init_sets_the_rows_of_known_tokens(form, seed_train):
    model = embedded(embedding_init=EMBEDDING_FORMS[form](), freeze_embedding=True)
    fit_quietly(model, *seed_train)
    tokens = model.tokenizer_.tokens_.tolist()
    E = model.embedding_weights_
    assert E.shape == (len(tokens), 3)
    assert model.input_weights_.shape == (3, 4)
    for token in ("good", "bad", "not"):
        np.testing.assert_array_equal(E[tokens.index(token)], VECTORS[token])
    assert "zebra" not in tokens
    np.testing.assert_array_equal(E[[PAD, UNK]], 0.0)
    # Tokens without a vector (among them "happy") are drawn at random.
    others = [i for i, t in enumerate(tokens) if t not in VECTORS and i > UNK]
    assert tokens.index("happy") in others
    assert np.all(np.abs(E[others]).max(axis=1) > 0)
    assert np.all(np.abs(E[others]).max(axis=1) < 7.0)


def test_a_matrix_gives_the_rows_of_precomputed_ids():
    X = np.array([[2, 3, 0], [4, 0, 0], [3, 2, 4], [5, 0, 0]])
    matrix = np.arange(24.0).reshape(8, 3) + 1.0  # rows beyond the ids are unused
    model = embedded(
        tokenizer="precomputed", embedding_init=matrix, freeze_embedding=True
    )
    fit_quietly(model, X, [0, 1, 0, 1])
    assert model.embedding_weights_.shape == (6, 3)
    np.testing.assert_array_equal(model.embedding_weights_[2:], matrix[2:6])
    np.testing.assert_array_equal(model.embedding_weights_[[PAD, UNK]], 0.0)

    short = embedded(tokenizer="precomputed", embedding_init=matrix[:4])
    with pytest.raises(ValueError, match="rows"):
        short.fit(X, [0, 1, 0, 1])


@pytest.mark.parametrize(
    "params",
    [{"embedding_init": VECTORS}, {"embedding_size": 3}],
    ids=["pretrained", "random"],
)
def test_freeze_embedding_keeps_the_embedding_and_trains_the_rest(params, seed_train):
    start = fit_quietly(embedded(**params, freeze_embedding=True), *seed_train)
    frozen = fit_quietly(
        embedded(**params, freeze_embedding=True, max_iter=20), *seed_train
    )
    free = fit_quietly(embedded(**params, max_iter=20), *seed_train)
    np.testing.assert_array_equal(frozen.embedding_weights_, start.embedding_weights_)
    for attr in ("input_weights_", "recurrent_weights_", "output_weights_"):
        assert not np.array_equal(getattr(frozen, attr), getattr(start, attr)), attr
    good = start.tokenizer_.vocabulary_["good"]
    assert not np.allclose(
        free.embedding_weights_[good], start.embedding_weights_[good]
    )
    # Continuing keeps it frozen.
    fit_quietly(frozen.set_params(warm_start=True, max_iter=5), *seed_train)
    assert frozen.n_iter_ == 25
    np.testing.assert_array_equal(frozen.embedding_weights_, start.embedding_weights_)


EMBEDDING_MISTAKES = {
    "vectors of two lengths": (
        {"embedding_init": {"good": [1.0, 2.0], "bad": [1.0, 2.0, 3.0]}},
        "one length",
    ),
    "a row missing": (
        {"embedding_init": (["good", "bad"], np.ones((3, 2)))},
        "one row per token",
    ),
    "a token twice": (
        {"embedding_init": (["good", "good"], np.ones((2, 2)))},
        "more than once",
    ),
    "embedding_size disagreeing": (
        {"embedding_init": VECTORS, "embedding_size": 5},
        "embedding_size=5",
    ),
    "no token found": ({"embedding_init": {"zebra": [1.0, 2.0]}}, "None of the"),
    "a matrix with a fitted tokenizer": (
        {"embedding_init": np.ones((30, 3))},
        "precomputed",
    ),
    "frozen without an embedding": (
        {"embedding_init": None, "freeze_embedding": True},
        "freeze_embedding",
    ),
    "NaN": ({"embedding_init": {"good": [np.nan, 1.0], "bad": [0.0, 1.0]}}, "NaN"),
    "infinity": ({"embedding_init": {"good": [np.inf, 1.0]}}, "infinite"),
    "hashing tokenizer": (
        {"embedding_init": VECTORS, "tokenizer": TextTokenizer(n_buckets=16)},
        "n_buckets",
    ),
    "not vectors at all": ({"embedding_init": 5}, "embedding_init got a int"),
}


@pytest.fixture(scope="module")
def embedded_model(seed_train):
    return fit_quietly(embedded(embedding_init=VECTORS, max_iter=5), *seed_train)


@pytest.mark.parametrize("case", EMBEDDING_MISTAKES)
def test_embedding_mistakes_are_named_and_keep_the_fitted_model(
    case, embedded_model, seed_train, seed_test
):
    params, message = EMBEDDING_MISTAKES[case]
    model = copy.deepcopy(embedded_model)
    expected, state = model.predict_proba(seed_test[0]), fitted_state(model)
    model.set_params(**params)
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit(*seed_train)
    assert_same_state(state, fitted_state(model))
    np.testing.assert_array_equal(model.predict_proba(seed_test[0]), expected)


# ---------------------------------------------------------------- 8. dropout
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layer_dropout_does_nothing_to_one_layer(bidirectional, ragged):
    """As torch's dropout with num_layers=1: no effect, and a warning saying so."""
    fits = [fit_quietly(family_rnn(num_layers=1, bidirectional=bidirectional), *ragged)]
    with pytest.warns(UserWarning, match="no effect with num_layers=1"):
        fits.append(
            fit_quietly(
                family_rnn(
                    num_layers=1, bidirectional=bidirectional, layer_dropout=0.5
                ),
                *ragged,
            )
        )
    assert_same_state(all_weights(fits[0]), all_weights(fits[1]))
    assert fits[0].loss_curve_ == fits[1].loss_curve_


def test_layer_dropout_changes_training_only(ragged):
    X, y = ragged
    plain, dropped = (
        fit_quietly(family_rnn(layer_dropout=rate), X, y) for rate in (0.0, 0.5)
    )
    assert plain.loss_curve_[0] != dropped.loss_curve_[0]
    assert not np.array_equal(plain.output_weights_, dropped.output_weights_)
    # Prediction is deterministic (test_transform_is_the_documented_network shows
    # that it reads every unit).
    np.testing.assert_array_equal(dropped.predict_proba(X), dropped.predict_proba(X))
    again = fit_quietly(family_rnn(layer_dropout=0.5), X, y)
    np.testing.assert_array_equal(again.predict_proba(X), dropped.predict_proba(X))


# ---------------------------------------------------------------- one sample
def test_a_stacked_bidirectional_regressor_fits_one_sample():
    """check_estimator's check_fit2d_1sample at the default hidden size: fitting
    a single sample must work or say that one sample is too few."""
    X = 3 * np.random.RandomState(0).uniform(size=(1, 10))
    y = X[:, 0].astype(int).astype(float)
    failures = {}
    for seed in range(4):
        model = TextRNNRegressor(num_layers=2, bidirectional=True, random_state=seed)
        try:
            fit_quietly(model, X, y)
        except ValueError as exc:
            failures[seed] = str(exc)[:80]
    assert not failures


# ------------------------------------------------- pretrained vocabulary and forms
TOY = (["good film", "bad film", "not good", "not bad", "great movie", "awful"] * 5,)
TOY_Y = [1, 0, 0, 1, 1, 0] * 5


def test_a_frozen_tokenizer_is_copied_saved_and_continued(tmp_path):
    """The vocabulary of a FrozenEstimator tokenizer is the model's own copy:
    refitting the user's tokenizer later changes nothing; load_skops loads the
    model; warm start continues it."""
    from sklearn.frozen import FrozenEstimator

    sio = pytest.importorskip("skops.io")
    texts = TOY[0]
    vocabulary = TextTokenizer().fit(texts + ["excellent"])
    model = fit_quietly(
        TextRNNClassifier(FrozenEstimator(vocabulary), hidden_size=3, max_iter=2),
        texts,
        TOY_Y,
    )
    expected = model.predict_proba(["excellent film"])
    vocabulary.fit(["something else entirely"])
    np.testing.assert_array_equal(model.predict_proba(["excellent film"]), expected)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    loaded = sklearn_rnn.load_skops(path)
    np.testing.assert_array_equal(loaded.predict_proba(["excellent film"]), expected)
    loaded.set_params(warm_start=True)
    assert fit_quietly(loaded, texts, TOY_Y).n_iter_ == 4


def test_an_unfitted_frozen_tokenizer_is_named():
    from sklearn.frozen import FrozenEstimator

    model = TextRNNClassifier(FrozenEstimator(TextTokenizer()), max_iter=1)
    with pytest.raises(ValueError, match="in FrozenEstimator is not fitted"):
        model.fit(TOY[0], TOY_Y)


def test_continuing_without_the_vectors_needs_only_their_size():
    """Dropping embedding_init after fitting (a smaller file) keeps the model
    trainable once embedding_size says the size; the error says exactly that."""
    model = fit_quietly(
        TextRNNClassifier(hidden_size=3, max_iter=2, embedding_init={"good": [1, 0]}),
        TOY[0],
        TOY_Y,
    )
    model.set_params(embedding_init=None)
    with pytest.raises(
        ValueError, match="set embedding_init=None and embedding_size=2"
    ):
        model.partial_fit(TOY[0], TOY_Y)
    model.set_params(embedding_size=2, freeze_embedding=True)
    before = model.embedding_weights_.copy()
    model.partial_fit(TOY[0], TOY_Y)
    np.testing.assert_array_equal(model.embedding_weights_, before)


def test_vectors_for_numeric_input_are_refused(ragged):
    with pytest.raises(ValueError, match="tokenizer='precomputed'"):
        TextRNNClassifier(embedding_init=np.ones((12, 3)), max_iter=1).fit(*ragged)


@pytest.mark.parametrize("form", ["dict of ids", "list of lists", "pair of ids"])
def test_precomputed_ids_take_vectors_by_id(form):
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 10, (30, 6))
    M = rng.normal(size=(12, 3))
    vectors = {
        "dict of ids": {i: M[i] for i in range(12)},
        "list of lists": M.tolist(),
        "pair of ids": (list(range(12)), M),
    }[form]
    model = TextRNNClassifier(
        tokenizer="precomputed",
        embedding_init=vectors,
        freeze_embedding=True,
        max_iter=1,
    )
    model = fit_quietly(model, ids, [0, 1] * 15)
    np.testing.assert_array_equal(model.embedding_weights_[2:], M[2:10])


def test_a_dataframe_indexed_by_token_gives_its_rows():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["good", "bad"])
    model = fit_quietly(
        TextRNNClassifier(embedding_init=frame, freeze_embedding=True, max_iter=1),
        TOY[0],
        TOY_Y,
    )
    tokens = list(model.tokenizer_.tokens_)
    np.testing.assert_array_equal(model.embedding_weights_[tokens.index("bad")], [3, 4])


@pytest.mark.parametrize(
    "before, after",
    [
        ({"pooling": "last+mean"}, {"pooling": "mean+max"}),
        ({"nonlinearity": "relu"}, {"nonlinearity": "tanh"}),
    ],
)
def test_continuing_refuses_a_network_of_another_meaning(before, after):
    """Same shapes, other meaning: the fitted weights would be read wrongly."""
    model = fit_quietly(
        TextRNNClassifier(hidden_size=3, max_iter=1, warm_start=True, **before),
        TOY[0],
        TOY_Y,
    )
    (name,) = after
    with pytest.raises(ValueError, match=f"{name}=.*fitted model has {name}"):
        model.set_params(**after).fit(TOY[0], TOY_Y)
