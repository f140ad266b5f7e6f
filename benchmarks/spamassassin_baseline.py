"""Baseline on the SpamAssassin corpus: corpus size, fit time and accuracy, as a table.

Usage::

    python benchmarks/spamassassin_baseline.py PATH/spamassassin.jsonl.gz [--max-iter N]

Trains ``TextRNNClassifier`` with default parameters (except ``max_iter``) on the
``train`` split (subject + body) and scores it on the ``test`` split. Run it with
``OPENBLAS_NUM_THREADS=1`` to measure one core.
"""

import argparse
import time
import warnings

import numpy as np
from _data import load_spamassassin
from _tables import print_table
from sklearn.exceptions import ConvergenceWarning

from sklearn_rnn import TextRNNClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="spamassassin.jsonl.gz")
    parser.add_argument("--max-iter", type=int, default=1, help="epochs (default 1)")
    args = parser.parse_args()

    (X_train, y_train), (X_test, y_test) = load_spamassassin(args.path)

    clf = TextRNNClassifier(random_state=0, max_iter=args.max_iter)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = clf.score(X_test, y_test)
    predict_seconds = time.perf_counter() - start

    ids, offsets = clf.tokenizer_.transform_ragged(X_train)
    lengths = np.diff(offsets)
    rows = [
        ("train / test documents", f"{len(X_train)} / {len(X_test)}"),
        ("vocabulary (ids)", f"{clf.tokenizer_.vocabulary_size_}"),
        ("training tokens", f"{len(ids)}"),
        ("median / max length", f"{np.median(lengths):.0f} / {lengths.max()}"),
        ("epochs run", f"{clf.n_iter_}"),
        ("fit seconds", f"{fit_seconds:.1f}"),
        ("seconds per epoch", f"{fit_seconds / clf.n_iter_:.1f}"),
        ("predict seconds (test)", f"{predict_seconds:.1f}"),
        ("test accuracy", f"{accuracy:.3f}"),
    ]
    print_table(["measure", "value"], rows)


if __name__ == "__main__":
    main()
