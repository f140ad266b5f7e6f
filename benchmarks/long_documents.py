"""Reading length and batching on long documents: SpamAssassin over three seeds.

Usage::

    python benchmarks/long_documents.py PATH/spamassassin.jsonl.gz [--jobs 2]

Fits ``TextRNNClassifier`` on the ``train`` split with each reading length
(``max_len``, ``truncation``) and batching (``length_bucketing``) below, over
seeds 0-2, and prints the test accuracy and fit time of each: the table behind
the defaults ``max_len="auto"`` and ``length_bucketing=True`` on the
hyperparameters page. ``--jobs 2`` runs two fits at a time (the times are then
those of a shared machine; ``performance.py`` section 10 times the defaults
alone).
"""

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402
import warnings  # noqa: E402

from _data import load_spamassassin  # noqa: E402
from _tables import print_table  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402

from sklearn_rnn import TextRNNClassifier  # noqa: E402

CONFIGS = {
    "whole documents, length-bucketed": {"max_len": None},
    "first 512 tokens, length-bucketed": {"max_len": 512},
    "first 384 tokens, length-bucketed": {"max_len": 384},
    "first 384, head+tail, length-bucketed": {
        "max_len": 384,
        "truncation": "head+tail",
    },
    "first 256 tokens, length-bucketed (defaults)": {},
    "first 256 tokens, plain shuffled batches": {"length_bucketing": False},
    "first 256, head+tail, length-bucketed": {"truncation": "head+tail"},
}
SEEDS = (0, 1, 2)


def run(path, options, seed):
    (X, y), (X_test, y_test) = load_spamassassin(path)
    clf = TextRNNClassifier(random_state=seed, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - start
    return clf.score(X_test, y_test), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="spamassassin.jsonl.gz")
    parser.add_argument("--jobs", type=int, default=1, help="fits at a time")
    args = parser.parse_args()
    tasks = [(label, seed) for label in CONFIGS for seed in SEEDS]
    results = Parallel(n_jobs=args.jobs)(
        delayed(run)(args.path, CONFIGS[label], seed) for label, seed in tasks
    )
    rows = []
    for label in CONFIGS:
        mine = [r for (name, _), r in zip(tasks, results, strict=True) if name == label]
        accuracies = ", ".join(f"{a:.3f}" for a, _ in mine)
        mean = sum(a for a, _ in mine) / len(mine)
        times = [s for _, s in mine]
        rows.append(
            (label, accuracies, f"{mean:.3f}", f"{min(times):.0f}-{max(times):.0f}")
        )
    print_table(
        ["reading and batches", "test accuracy (seeds 0, 1, 2)", "mean", "fit s"],
        rows,
    )


if __name__ == "__main__":
    main()
