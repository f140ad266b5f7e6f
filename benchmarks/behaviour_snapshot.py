"""Save, or compare against, the weights and outputs of a set of fitted models.

A refactoring that must not change behaviour is checked bit for bit: run ``save`` on
the code before the change and ``compare`` on the code after it, on the same machine::

    git stash; git checkout OLD
    python benchmarks/behaviour_snapshot.py save /tmp/before.npz
    git checkout -; git stash pop
    python benchmarks/behaviour_snapshot.py compare /tmp/before.npz

Only public API is used, so the script runs on either version. ``compare`` prints
one line per configuration: "identical", or the largest absolute difference of each
array that differs.
"""

import argparse
import sys
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklearn_rnn import TextRNNClassifier, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

WEIGHTS = (
    "input_weights_",
    "recurrent_weights_",
    "hidden_bias_",
    "output_weights_",
    "output_bias_",
    "embedding_weights_",
)


def _data():
    text_train = load_sentiment(subset="train", return_X_y=True)
    text_test = load_sentiment(subset="test", return_X_y=True)[0]
    digits = load_digits()
    X = digits.data.reshape(-1, 8, 8) / 16.0
    numeric_train = (X[:300], digits.target[:300])
    numeric_test = X[300:360]
    return {"text": (text_train, text_test), "numeric": (numeric_train, numeric_test)}


# name -> (input kind, constructor parameters, how to train)
CONFIGS = {
    "text-default": ("text", {}, "fit"),
    "text-last": ("text", {"pooling": "last"}, "fit"),
    "text-max": ("text", {"pooling": "max"}, "fit"),
    "text-embedding": ("text", {"embedding_size": 8, "hidden_size": 16}, "fit"),
    "text-dropout": ("text", {"dropout": 0.3, "input_dropout": 0.2}, "fit"),
    "text-early-stopping": ("text", {"early_stopping": True}, "fit"),
    "text-sgd-plateau": (
        "text",
        {"solver": "sgd", "learning_rate": "plateau", "clip_value": 1.0},
        "fit",
    ),
    "text-max-len": ("text", {"max_len": 3, "truncation": "head+tail"}, "fit"),
    "text-orthogonal": ("text", {"recurrent_init": "orthogonal"}, "fit"),
    "text-class-weight": ("text", {"class_weight": "balanced"}, "fit-weighted"),
    "text-minibatch": (
        "text",
        {"batch_size": 16, "length_bucketing": True, "max_iter": 40},
        "fit",
    ),
    "text-hashing": ("text", {"tokenizer": "hashing", "max_iter": 50}, "fit"),
    "text-warm-start": ("text", {"max_iter": 30}, "warm-start"),
    "text-partial-fit": ("text", {"batch_size": 20}, "partial-fit"),
    "text-float32": ("text", {"dtype": "float32"}, "fit"),
    "numeric-default": ("numeric", {"max_iter": 40}, "fit"),
    "numeric-last": ("numeric", {"pooling": "last", "max_iter": 40}, "fit"),
    "numeric-mean": ("numeric", {"pooling": "mean", "max_iter": 40}, "fit"),
    "numeric-early-stopping": (
        "numeric",
        {"early_stopping": True, "max_iter": 40},
        "fit",
    ),
    "numeric-dropout": ("numeric", {"dropout": 0.2, "max_iter": 40}, "fit"),
    "numeric-float32": ("numeric", {"dtype": "float32", "max_iter": 40}, "fit"),
    "numeric-partial-fit": ("numeric", {"batch_size": 64}, "partial-fit"),
}


def _fit(params, how, X, y):
    params = dict(params)
    if params.get("tokenizer") == "hashing":
        params["tokenizer"] = TextTokenizer(n_buckets=64)
    clf = TextRNNClassifier(random_state=0, **params)
    if how == "fit":
        return clf.fit(X, y)
    if how == "fit-weighted":
        weights = 1.0 + (np.arange(len(y)) % 3)
        return clf.fit(X, y, sample_weight=weights)
    if how == "warm-start":
        clf.fit(X, y)
        return clf.set_params(warm_start=True, max_iter=20).fit(X, y)
    classes = np.unique(y)
    for _ in range(5):
        clf.partial_fit(X, y, classes=classes)
    return clf


def snapshot():
    data = _data()
    arrays = {}
    for name, (kind, params, how) in CONFIGS.items():
        (X, y), X_test = data[kind]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = _fit(params, how, X, y)
        out = {attr: getattr(clf, attr) for attr in WEIGHTS if hasattr(clf, attr)}
        out["predict_proba"] = clf.predict_proba(X_test)
        out["transform"] = clf.transform(X_test)
        out["per_step"] = np.concatenate(clf.predict_proba_per_step(X_test[:5]))
        out["loss_curve"] = np.asarray(clf.loss_curve_)
        out["n_iter"] = np.asarray(clf.n_iter_)
        out["best_epoch"] = np.asarray(clf.best_epoch_)
        for key, value in out.items():
            arrays[f"{name}/{key}"] = np.asarray(value)
    return arrays


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["save", "compare"])
    parser.add_argument("path")
    args = parser.parse_args(argv)
    arrays = snapshot()
    if args.action == "save":
        np.savez(args.path, **arrays)
        print(f"saved {len(arrays)} arrays of {len(CONFIGS)} configurations")
        return 0
    saved = dict(np.load(args.path))
    n_differ = 0
    for name in CONFIGS:
        keys = sorted(
            k for k in saved.keys() | arrays.keys() if k.startswith(name + "/")
        )
        problems = []
        for key in keys:
            a, b = saved.get(key), arrays.get(key)
            if a is None or b is None:
                problems.append(f"{key.split('/')[1]} only in one")
            elif a.shape != b.shape:
                problems.append(f"{key.split('/')[1]} shape {a.shape} vs {b.shape}")
            elif not np.array_equal(a, b):
                diff = np.max(np.abs(a.astype(float) - b.astype(float)))
                problems.append(f"{key.split('/')[1]} max |diff| {diff:.3g}")
        n_differ += bool(problems)
        print(f"{name:24} {'; '.join(problems) or 'identical'}")
    print(f"\n{len(CONFIGS) - n_differ} of {len(CONFIGS)} configurations identical")
    return 1 if n_differ else 0


if __name__ == "__main__":
    sys.exit(main())
