"""Memory and time of ``predict_proba`` on up to a million short documents, as a table.

Usage::

    python benchmarks/predict_scale.py [--sizes 10000 100000 1000000]

A model (default parameters, hidden size 64) is fitted on 2,000 generated documents
of 3-12 words from a 5,000-word vocabulary; then ``predict_proba`` runs on lists of
such documents of each size, in a fresh process per size (so that one size's
allocations cannot hide in another's peak). Reported for each call:

- the peak of memory allocated during the call and still held or freed by its end,
  traced by ``tracemalloc`` (NumPy reports its arrays to it), minus the returned
  probabilities, which any caller must hold: this is what the chunked prediction
  (1,024 documents at a time) bounds;
- the process's peak RSS growth during the call (VmHWM after resetting it with
  ``/proc/self/clear_refs``, Linux only), returned probabilities included;
- the input list's own size, for scale, and the time per million documents.
"""

import os

os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import argparse
import json
import sys
import time
import tracemalloc
import warnings

from _data import peak_rss_mib, run_child, word_documents
from _tables import print_table

N_WORDS = 5000


def documents(n, seed):
    """``n`` documents of 3-12 words, labelled by the parity of their last word."""
    docs, _, last = word_documents(n, N_WORDS, 3, 12, rng=seed)
    return docs, last % 2


def child(n):
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_rnn import TextRNNClassifier

    X_train, y_train = documents(2000, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TextRNNClassifier(max_iter=5, random_state=0).fit(X_train, y_train)
    X, _ = documents(n, seed=1)
    input_mib = (sys.getsizeof(X) + sum(sys.getsizeof(d) for d in X)) / 2**20
    try:  # reset the peak RSS to the current RSS (Linux 4.0+)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False  # the peak before the call may be training's: not reported
    before = peak_rss_mib()
    tracemalloc.start()
    start = time.perf_counter()
    proba = clf.predict_proba(X)
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = peak_rss_mib()
    return {
        "n": n,
        "input_mib": input_mib,
        "output_mib": proba.nbytes / 2**20,
        "traced_peak_mib": traced_peak / 2**20,
        "rss_growth_mib": after - before if reset else None,
        "seconds": seconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    rows = []
    for n in args.sizes:
        _, r, _ = run_child(__file__, n)
        rss = r["rss_growth_mib"]
        rows.append(
            (
                f"{r['n']:,}",
                f"{r['input_mib']:.0f}",
                f"{r['output_mib']:.1f}",
                f"{r['traced_peak_mib']:.1f}",
                f"{r['traced_peak_mib'] - r['output_mib']:.1f}",
                "n/a" if rss is None else f"{rss:.0f}",
                f"{r['seconds']:.1f}",
                f"{r['seconds'] / r['n'] * 1e6:.0f}",
            )
        )
    print("## predict_proba on many short documents (3-12 words each)\n")
    print_table(
        [
            "documents",
            "input list MiB",
            "probabilities MiB",
            "traced peak MiB",
            "traced peak - probabilities MiB",
            "peak RSS growth MiB",
            "seconds",
            "s per million docs",
        ],
        rows,
    )
    print(
        "Command: python benchmarks/predict_scale.py "
        + " ".join(["--sizes", *map(str, args.sizes)])
        + "\nOne BLAS thread; tracemalloc is on during the call, which slows "
        "Python-level allocation, so the seconds are an upper bound."
    )


if __name__ == "__main__":
    main()
