"""Loader for the tutorial's negation-heavy sentiment sentences."""

import csv
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

_DESCR = """\
Tutorial sentiment sentences
----------------------------

78 short English sentences labelled positive or negative: 58 for training and 20 for
testing. They are built from six sentiment words ("good", "happy", "bad", "sad", ...)
combined with negations and intensifiers ("not good", "not at all bad", "i am very
sad"), so a bag-of-words model cannot separate them but a recurrent model can.

Source: the training and test dictionaries of Victor Zhou's tutorial "An Introduction
to Recurrent Neural Networks for Beginners" (https://victorzhou.com/blog/intro-to-rnns/),
as reproduced in the notebooks this project started from. The tutorial labels are
booleans; here True is "positive" (1) and False is "negative" (0). The order of the
sentences is the order of the tutorial's dictionaries.
"""

TARGET_NAMES = np.array(["negative", "positive"])


def load_sentiment(*, subset="train", return_X_y=False):
    """Load the tutorial's sentiment sentences (58 train, 20 test).

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        Which part of the data to load. The tutorial reports accuracy on "test".
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data`` (list of str), ``target`` (ndarray of int, 1 = positive),
        ``target_names`` (``["negative", "positive"]``) and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from sklearn_rnn.datasets import load_sentiment
    >>> X, y = load_sentiment(subset="test", return_X_y=True)
    >>> len(X), X[2], y[2]
    (20, 'this is not happy', np.int64(0))
    """
    if subset not in ("train", "test", "all"):
        raise ValueError(f"subset must be 'train', 'test' or 'all', got {subset!r}.")
    source = resources.files(__package__).joinpath("data", "seed_sentiment.csv")
    with source.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if subset in ("all", r["split"])]
    data = [r["text"] for r in rows]
    target = np.array([r["label"] == "positive" for r in rows], dtype=np.int64)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, target_names=TARGET_NAMES, DESCR=_DESCR)
