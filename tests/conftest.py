"""Fixtures and helpers shared by the test files (one test file per module).

Test files import the plain helpers with ``from conftest import ...``; the data
sets and fitted models are session fixtures, fitted once for the whole run. A
fitted model from a fixture is shared: a test that changes one works on a
``copy.deepcopy`` of it. The root conftest.py (next to pyproject.toml) limits BLAS
to one thread for the whole session.
"""

import copy
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

import sklearn_rnn
from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

PAD = TextTokenizer.PAD_ID
UNK = TextTokenizer.UNK_ID
WEIGHT_ATTRIBUTES = (
    "input_weights_",
    "recurrent_weights_",
    "hidden_bias_",
    "output_weights_",
    "output_bias_",
)
ESTIMATORS = (TextRNNClassifier, TextRNNRegressor)
# The classifier's methods that read X and answer with predictions or features.
PREDICT_METHODS = [
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "predict_proba_per_step",
]
# Short fits are not meant to converge: modules of such tests set this as pytestmark.
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
# The early-stopping model: on ``noisy_numeric`` its validation loss falls, bottoms
# out and rises again (overfitting the flipped labels), so early stopping restores
# an epoch well before the last one.
ES_PARAMS = {
    "hidden_size": 16,
    # The pooling the warm-start tests' verified epochs were measured with.
    "pooling": "max",
    "random_state": 0,
    "early_stopping": True,
    "validation_fraction": 0.25,
    "max_iter": 300,
}


# ---------------------------------------------------------------- estimators
def small_rnn(estimator=TextRNNClassifier, /, **params):
    """A small, seeded model: the tutorial's (last hidden state) at hidden size 8,
    which learns the small tasks of the tests in the fewest epochs."""
    params = {"hidden_size": 8, "pooling": "last", "random_state": 0, **params}
    return estimator(**params)


def targets_for(estimator, y):
    """``y`` as the estimator's targets: labels, or the same values as floats."""
    y = np.asarray(y)
    return y.astype(float) if estimator is TextRNNRegressor else y


def fit_quietly(estimator, X, y, **fit_params):
    """Fit where running out of max_iter is deliberate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


# ---------------------------------------------------------------- state
def assert_same_state(before, after, path="estimator"):
    """Deep comparison of estimator state: same keys, same types, arrays equal."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray), path
        assert before.dtype == after.dtype and before.shape == after.shape, path
        np.testing.assert_array_equal(before, after, err_msg=path)
    elif isinstance(before, BaseEstimator) or hasattr(before, "__dict__"):
        # Estimators, and plain objects such as the stored optimizer.
        assert type(before) is type(after), path
        assert_same_state(vars(before), vars(after), path)
    elif isinstance(before, dict):
        assert isinstance(after, dict), path
        assert before.keys() == after.keys(), path
        for key in before:
            assert_same_state(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, list | tuple):
        assert type(before) is type(after) and len(before) == len(after), path
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            assert_same_state(b, a, f"{path}[{i}]")
    else:
        assert type(before) is type(after), path
        assert before == after or (before != before and after != after), path


def snapshot(estimator):
    return copy.deepcopy(vars(estimator))


def saved_state(estimator):
    """The state a pickle keeps: all of it but the wall-clock "seconds" of each
    ``history_`` record, which no two fits share."""
    state = snapshot(estimator)
    if state.get("history_") is not None:
        state["history_"] = [
            {key: value for key, value in record.items() if key != "seconds"}
            for record in state["history_"]
        ]
    return state


def assert_same_weights(a, b):
    for attr in WEIGHT_ATTRIBUTES:
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)


# ---------------------------------------------------------------- training hooks
# Training calls ``_rnn.loss_and_gradients`` through the module, so replacing it
# there reaches every fit; with full-batch training (the seed data is below the
# automatic batch size of 200) one call is one epoch.
def interrupt_once(monkeypatch, owner, name, k=1):
    """Make the k-th call of ``owner.name`` raise KeyboardInterrupt instead;
    returns the call counter."""
    real, calls = getattr(owner, name), {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == k:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def interrupt_on_call(monkeypatch, k):
    """Make the k-th call of loss_and_gradients raise KeyboardInterrupt."""
    from sklearn_rnn import _rnn

    return interrupt_once(monkeypatch, _rnn, "loss_and_gradients", k)


# ---------------------------------------------------------------- the math
# Variable lengths in one batch, with an empty sequence, a length-1 sequence and ties.
LENGTHS = (3, 0, 1, 5, 2, 5, 4)
N_VOCAB = 7
N_FEATURES = 4


def make_ragged(rng, lengths, kind):
    """Ragged storage (values, offsets) of random sequences with these lengths:
    token ids below ``N_VOCAB`` ("tokens") or ``N_FEATURES`` floats a step."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.intp)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if kind == "tokens":
        values = rng.integers(0, N_VOCAB, size=total)
    else:
        values = rng.normal(size=(total, N_FEATURES))
    return values, offsets


def numerical_gradient(f, x, eps=1e-6):
    """Central finite differences of the scalar function ``f()`` w.r.t. array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored afterwards.
    """
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        f_plus = f()
        flat[i] = orig - eps
        f_minus = f()
        flat[i] = orig
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def sparse_token_problem(alpha, embedding_size=None):
    """A token batch over a large vocabulary: its parameters and the gradients
    ``loss_and_gradients`` gives with ``sparse=True`` and without."""
    from sklearn_rnn._rnn import init_params, loss_and_gradients
    from sklearn_rnn._sequences import pack

    rng = np.random.default_rng(0)
    # Over _SMALL_DENSE weights, so that training uses the sparse form.
    n_tokens, lengths = 25_000, [7, 0, 3, 9, 1, 4]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    # Repeated ids within and across sequences; many rows never read.
    values = rng.integers(2, 12, size=offsets[-1])
    params = init_params(
        rng, n_tokens, 6, 3, token_input=True, embedding_size=embedding_size
    )
    params = {k: v + 0.3 * rng.normal(size=v.shape) for k, v in params.items()}
    batch = pack(values, offsets, np.arange(len(lengths)))
    y = rng.integers(0, 3, size=len(lengths))
    _, sparse, _ = loss_and_gradients(params, batch, y, alpha=alpha, sparse=True)
    _, dense, _ = loss_and_gradients(params, batch, y, alpha=alpha)
    return params, sparse, dense


# ---------------------------------------------------------------- processes
def blas_thread_counts():
    """The thread counts of the BLAS libraries loaded in this process."""
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def run_python(code, *args, hash_seed=None):
    """Run ``code`` in a fresh interpreter with one BLAS thread (like this one);
    return its stdout. ``hash_seed`` sets PYTHONHASHSEED."""
    package_parent = str(Path(sklearn_rnn.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [package_parent, os.environ.get("PYTHONPATH")])
        ),
    }
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def other_hash_seed():
    """A PYTHONHASHSEED that differs from this process's, if it has a fixed one."""
    return "0" if os.environ.get("PYTHONHASHSEED") == "12345" else "12345"


# ---------------------------------------------------------------- hostile input
# Property-based tests draw from these: whatever arrives, a call answers or raises
# a ValueError/TypeError that names the problem.
HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same cases on every run, so CI never flakes
)
# Any code point. Hypothesis leaves out lone surrogates (category Cs) unless asked,
# so they are drawn explicitly, with NUL, right-to-left marks and a combining mark.
ANY_CHAR = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.characters(categories=["Cs"]),
    st.sampled_from(["\x00", "\u200f", "\u202e", "\u0301", "\ufeff"]),
)
WORDS = st.sampled_from(["good", "bad", "not", "very", "happy", "😀", "e\u0301"])
DOCUMENT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.lists(WORDS, max_size=12).map(" ".join),
    st.text(" \t\n\r\x0b\x0c\u00a0\u2028", max_size=5),  # whitespace only
)
NOT_A_DOCUMENT = st.one_of(
    st.none(),
    st.floats(allow_nan=True),
    st.integers(),
    st.binary(max_size=10),
    st.booleans(),
)


def assert_clear_error(excinfo, *words):
    """A ValueError or TypeError whose message names the problem."""
    assert isinstance(excinfo.value, (ValueError, TypeError)), repr(excinfo.value)
    message = str(excinfo.value)
    assert any(re.search(w, message, re.IGNORECASE) for w in words), message


# ---------------------------------------------------------------- data
@pytest.fixture(scope="session")
def seed_train():
    """The tutorial's 58 training sentences (list of str) and their labels."""
    return load_sentiment(subset="train", return_X_y=True)


@pytest.fixture(scope="session")
def seed_test():
    """The tutorial's 20 test sentences and their labels."""
    return load_sentiment(subset="test", return_X_y=True)


@pytest.fixture(scope="session")
def numeric_2d():
    """Univariate sequences (40, 6); the class is the sign of the last step."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 6)
    return X, (X[:, -1] > 0).astype(int)


@pytest.fixture(scope="session")
def numeric_3d():
    """Multivariate sequences (40, 5, 3); the class is the sign of a last-step value."""
    rng = np.random.RandomState(1)
    X = rng.randn(40, 5, 3)
    return X, (X[:, -1, 0] > 0).astype(int)


@pytest.fixture(scope="session")
def noisy_numeric():
    """Univariate sequences (80, 5), class = sign of the last step, 20% flipped."""
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    y = (X[:, -1] > 0).astype(int)
    flip = rng.rand(80) < 0.2
    y[flip] = 1 - y[flip]
    return X, y


# ---------------------------------------------------------------- fitted models
@pytest.fixture(scope="session")
def text_model(seed_train):
    """Converges (n_iter_no_change) before max_iter on the seed data."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return small_rnn(max_iter=300).fit(*seed_train)


@pytest.fixture(scope="session")
def numeric_model(numeric_2d):
    return fit_quietly(small_rnn(max_iter=60), *numeric_2d)


@pytest.fixture(scope="session")
def numeric_3d_model(numeric_3d):
    return fit_quietly(small_rnn(max_iter=40), *numeric_3d)


@pytest.fixture(scope="session")
def models(
    text_model, numeric_model, numeric_3d_model, seed_test, numeric_2d, numeric_3d
):
    """Fitted model and matching prediction input, by kind."""
    return {
        "text": (text_model, seed_test[0]),
        "numeric": (numeric_model, numeric_2d[0][:10]),
        "numeric_3d": (numeric_3d_model, numeric_3d[0][:10]),
    }


@pytest.fixture(scope="session")
def hashing_model(seed_train):
    """A text model with a hashing tokenizer of 64 buckets (no vocabulary)."""
    tokenizer = TextTokenizer(n_buckets=64)
    return fit_quietly(small_rnn(tokenizer=tokenizer, max_iter=150), *seed_train)


@pytest.fixture(scope="session")
def fitted_text(seed_train):
    """A text model fitted for 20 epochs (not converged: it can still move)."""
    return fit_quietly(small_rnn(max_iter=20, pooling="auto"), *seed_train)


@pytest.fixture(scope="session")
def es_model(noisy_numeric):
    """A model that stopped early on a validation set (see ``ES_PARAMS``)."""
    return TextRNNClassifier(**ES_PARAMS).fit(*noisy_numeric)


@pytest.fixture(scope="session", params=["last", "mean", "max"])
def pooled_model(request, seed_train):
    """A text model of each pooling, hidden size 12."""
    clf = small_rnn(hidden_size=12, max_iter=40, pooling=request.param)
    return fit_quietly(clf, *seed_train)
