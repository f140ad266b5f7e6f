"""ONNX Runtime against our own prediction: batch throughput and one-document latency.

Usage::

    python benchmarks/onnx_inference.py [--quick]

Fits a few classifiers briefly (a few epochs: only prediction is timed here, so
their accuracy does not matter), exports each with ``sklearn_rnn.to_onnx``, and
runs the same inputs through ``predict_proba`` and through an ONNX Runtime session,
side by side in one process. It prints three tables:

1. the machine, the library versions, the threads, how timings are taken, and the
   one-off cost of the first ``to_onnx`` in a process (importing onnx, building
   the tokenizer's regular expressions), kept out of the per-model export times;
2. batch throughput: the seconds to predict a batch (best of k calls) with
   ``predict_proba`` and with ONNX Runtime, documents (or sequences) per second of
   both, their ratio (our time / ONNX Runtime's time: above 1, ONNX Runtime is
   faster), the largest |difference| between ONNX Runtime's probabilities and
   ``predict_proba``'s and whether the labels agree with ``predict`` (a check that
   both compute the same thing), and the export cost (``to_onnx`` plus creating
   the ``InferenceSession``) with the size of the serialized model;
3. one-document latency: the median and 95th percentile microseconds of
   predicting one document or sequence, called repeatedly, the ratio of the
   medians, and the same check on that document.

The models: ``TextRNNClassifier(random_state=0)`` (hidden size 64) on generated
documents of 10-60 words, in float64 (ONNX ``Scan``) and float32 (ONNX ``RNN``); a
bidirectional two-layer float32 one; a numeric classifier on random sequences of
50-100 steps of 3 features (NaN-padded to 100 steps), float64 and float32; and the
defaults fitted on the bundled tutorial sentences (``load_sentiment``), short
documents of a few words, whose batches repeat its 20 test sentences.

Everything runs on one thread: the ``*_NUM_THREADS`` variables are set below
before numpy is imported, the ONNX Runtime session has ``intra_op_num_threads=1``
and ``inter_op_num_threads=1``, and our ``n_jobs`` is left at None (prediction
would only use threads from hidden size 128 on anyway). Inputs are built before
the clocks start: a list of str for ``predict_proba`` and the 1-D object array
ONNX Runtime reads (``np.array(docs, dtype=object)``), or the same float array for
both. Our calls and ONNX Runtime's alternate, so that both meet the same
background load. The full run (2,000 training documents, 5 epochs, batches of
2,000, best of 7 batch calls, 200 one-document calls) should take well under a
minute on 2 cores; ``--quick`` (300 training documents, 2 epochs, batches of 200,
best of 3, 20 calls) takes a few seconds.
"""

import os

# BLAS reads these when it is loaded, so they must be set before numpy is imported.
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import argparse
import contextlib
import platform
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
from _data import word_documents
from _tables import print_table
from sklearn.exceptions import ConvergenceWarning

import sklearn_rnn
from sklearn_rnn import TextRNNClassifier, to_onnx
from sklearn_rnn.datasets import load_sentiment

SCRIPT = Path(__file__).resolve()
# The models: (name, data, estimator parameters besides random_state and max_iter).
MODELS = [
    ("text, defaults", "text", {}),
    ("text, defaults", "text", {"dtype": "float32"}),
    (
        "text, bidirectional, 2 layers",
        "text",
        {"dtype": "float32", "bidirectional": True, "num_layers": 2},
    ),
    ("numeric, 100 steps x 3", "numeric", {}),
    ("numeric, 100 steps x 3", "numeric", {"dtype": "float32"}),
    ("sentiment tutorial (58 sentences)", "sentiment", {}),
]
# Generated documents: words "w0".."w1999", 10 to 60 of them per document.
N_WORDS, MIN_WORDS, MAX_WORDS = 2000, 10, 60
# Numeric sequences: 50 to 100 steps of 3 features, NaN-padded to 100 steps.
N_STEPS, N_FEATURES, MIN_STEPS = 100, 3, 50
# The largest |ORT - predict_proba| that counts as the same result, per dtype.
TOLERANCE = {"float32": 1e-5, "float64": 1e-9}
# Full run and --quick: training rows, epochs, batch rows, timed batch calls,
# timed one-document calls.
SIZES = {
    False: {"n_train": 2000, "max_iter": 5, "rows": 2000, "repeats": 7, "calls": 200},
    True: {"n_train": 300, "max_iter": 2, "rows": 200, "repeats": 3, "calls": 20},
}


# ---------------------------------------------------------------------- data
def numeric_sequences(n, rng):
    """Random sequences (n, N_STEPS, N_FEATURES), NaN after each one's length, and
    a label to fit on (whether feature 0 averages above 0)."""
    X = rng.standard_normal((n, N_STEPS, N_FEATURES))
    lengths = rng.integers(MIN_STEPS, N_STEPS + 1, size=n)
    X[np.arange(N_STEPS) >= lengths[:, None]] = np.nan
    return X, np.nanmean(X[:, :, 0], axis=1) > 0


def make_data(kind, sizes, seed):
    """(training X, y), the batch to time, and the one document to time."""
    rng = np.random.default_rng(seed)
    n_train, rows = sizes["n_train"], sizes["rows"]
    if kind == "text":
        docs, first, _ = word_documents(n_train, N_WORDS, MIN_WORDS, MAX_WORDS, rng)
        # Fresh documents to predict, drawn on from the same stream: some of
        # their words are unknown to the vocabulary, as in real use.
        batch, _, _ = word_documents(rows, N_WORDS, MIN_WORDS, MAX_WORDS, rng)
        return (docs, first % 2), batch, batch[0]
    if kind == "numeric":
        X, y = numeric_sequences(n_train, rng)
        batch, _ = numeric_sequences(rows, rng)
        return (X, y), batch, batch[:1]
    train = load_sentiment(subset="train", return_X_y=True)
    test, _ = load_sentiment(subset="test", return_X_y=True)
    # Only 20 test sentences: repeat them to the batch size.
    return train, (test * -(-rows // len(test)))[:rows], test[2]


def ours_and_ort_inputs(X, dtype):
    """What predict_proba reads, and what the ONNX graph's input "X" reads."""
    if isinstance(X, np.ndarray):  # numeric: the model's dtype, for both
        X = X.astype(dtype)
        return X, X
    if isinstance(X, str):  # one document
        X = [X]
    return list(X), np.array(X, dtype=object)


def describe(one):
    """The one-document input, as the latency table names it."""
    if isinstance(one, str):
        return f"{len(one.split())} words"
    steps = np.count_nonzero(~np.isnan(one[0, :, 0]))  # before the NaN padding
    return f"{steps} steps x {one.shape[2]}"


# ---------------------------------------------------------------- measuring
def fit(params, train, max_iter):
    model = TextRNNClassifier(random_state=0, max_iter=max_iter, **params)
    with warnings.catch_warnings():
        # A few epochs do not converge, on purpose: only prediction is timed.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*train)


def export(model):
    """(ONNX Runtime session, export seconds, serialized size in bytes)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    start = time.perf_counter()
    serialized = to_onnx(model).SerializeToString()
    session = ort.InferenceSession(
        serialized, options, providers=["CPUExecutionProvider"]
    )
    return session, time.perf_counter() - start, len(serialized)


def alternate(calls, n, warmup=1):
    """Seconds of each of ``n`` timed calls of every function in ``calls``.

    The functions take turns, so that a burst of load from another process on
    this shared machine hits both sides alike instead of one.
    """
    for fn in calls:
        for _ in range(warmup):
            fn()
    times = [[] for _ in calls]
    for _ in range(n):
        for fn, seconds in zip(calls, times, strict=True):
            start = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - start)
    return [np.array(t) for t in times]


def check(model, session, ours_X, ort_X):
    """The largest |ORT - predict_proba| and whether ORT's labels are predict's."""
    label, proba = session.run(None, {"X": ort_X})
    difference = np.max(np.abs(proba - model.predict_proba(ours_X)))
    return difference, np.array_equal(label, model.predict(ours_X))


def verdict(difference, same_labels, dtype):
    return "ok" if difference <= TOLERANCE[dtype] and same_labels else "MISMATCH"


def measure(name, params, data, sizes):
    """One model's row of the batch table and of the latency table."""
    train, batch, one = data
    model = fit(params, train, sizes["max_iter"])
    dtype = np.dtype(model.dtype).name
    session, export_s, size = export(model)

    ours_X, ort_X = ours_and_ort_inputs(batch, dtype)
    difference, same_labels = check(model, session, ours_X, ort_X)
    ours_t, ort_t = alternate(
        [lambda: model.predict_proba(ours_X), lambda: session.run(None, {"X": ort_X})],
        sizes["repeats"],
    )
    ours_s, ort_s = ours_t.min(), ort_t.min()  # best of k: the least disturbed call
    rows = len(ort_X)
    batch_row = (
        name,
        dtype,
        rows,
        f"{ours_s:.4f}",
        f"{ort_s:.4f}",
        f"{rows / ours_s:,.0f}",
        f"{rows / ort_s:,.0f}",
        f"{ours_s / ort_s:.2f}",
        f"{difference:.1e}",
        "yes" if same_labels else "NO",
        verdict(difference, same_labels, dtype),
        f"{export_s:.3f}",
        f"{size / 1024:,.0f}",
    )

    ours_1, ort_1 = ours_and_ort_inputs(one, dtype)
    difference_1, same_1 = check(model, session, ours_1, ort_1)
    ours_t, ort_t = alternate(
        [lambda: model.predict_proba(ours_1), lambda: session.run(None, {"X": ort_1})],
        sizes["calls"],
        warmup=3,
    )
    ours_us, ort_us = ours_t * 1e6, ort_t * 1e6
    latency_row = (
        name,
        dtype,
        describe(one),
        sizes["calls"],
        f"{np.median(ours_us):,.0f}",
        f"{np.percentile(ours_us, 95):,.0f}",
        f"{np.median(ort_us):,.0f}",
        f"{np.percentile(ort_us, 95):,.0f}",
        f"{np.median(ours_us) / np.median(ort_us):.2f}",
        f"{difference_1:.1e}",
        verdict(difference_1, same_1, dtype),
    )
    return batch_row, latency_row


# ------------------------------------------------------------------- tables
def cpu_model():
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def first_export_seconds():
    """Seconds of the first ``to_onnx`` in this process, on a tiny model.

    It imports onnx and builds the tokenizer's regular expressions (the Unicode
    word characters, cached): a one-off cost that would otherwise land on
    whichever model is exported first. Done before the models, and shown apart.
    """
    X, y = load_sentiment(return_X_y=True)
    model = fit({"hidden_size": 4}, (X, y), max_iter=1)
    start = time.perf_counter()
    to_onnx(model)
    return time.perf_counter() - start


def print_header(quick, sizes, first_export):
    import onnx
    from threadpoolctl import threadpool_info

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    pools = ", ".join(
        f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()
    )
    print("## 1. Machine and versions\n")
    print_table(
        ["item", "value"],
        [
            ("command", shlex.join(["python", os.path.relpath(SCRIPT), *sys.argv[1:]])),
            ("platform", platform.platform()),
            ("CPU", cpu_model()),
            ("cores (usable)", f"{cores} ({usable})"),
            ("Python", platform.python_version()),
            ("numpy", np.__version__),
            ("onnxruntime", ort.__version__),
            ("onnx", onnx.__version__),
            ("sklearn_rnn", sklearn_rnn.__version__),
            (
                "threads",
                f"1 (BLAS: {pools or 'no pools'}; ONNX Runtime intra-op 1, inter-op "
                "1; n_jobs None)",
            ),
            (
                "timing",
                f"batch: best of {sizes['repeats']} calls after 1 warm-up; one "
                f"document: {sizes['calls']} calls after 3 warm-ups; ours and ONNX "
                "Runtime alternate" + (" (--quick)" if quick else ""),
            ),
            (
                "first to_onnx in the process",
                f"{first_export:.3f} s (imports onnx, builds the tokenizer's "
                "regexes; not in the export times below)",
            ),
        ],
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small data and few repeats (smoke run)"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    ort.set_default_logger_severity(3)  # errors only: no warnings about the graph
    sizes = SIZES[args.quick]
    print_header(args.quick, sizes, first_export_seconds())

    # One data set per kind, shared by its models: their rows time the same inputs.
    kinds = dict.fromkeys(kind for _, kind, _ in MODELS)
    data = {kind: make_data(kind, sizes, seed=0) for kind in kinds}
    results = [
        measure(name, params, data[kind], sizes) for name, kind, params in MODELS
    ]
    batch_rows, latency_rows = zip(*results, strict=True)

    print("## 2. Batch throughput\n")
    print_table(
        [
            "model",
            "dtype",
            "rows",
            "ours s",
            "ORT s",
            "ours docs/s",
            "ORT docs/s",
            "ours / ORT",
            "max abs diff",
            "same labels",
            "check",
            "export s",
            "ONNX KiB",
        ],
        batch_rows,
    )
    print("## 3. One-document latency\n")
    print_table(
        [
            "model",
            "dtype",
            "input",
            "calls",
            "ours median µs",
            "ours p95 µs",
            "ORT median µs",
            "ORT p95 µs",
            "ours / ORT",
            "max abs diff",
            "check",
        ],
        latency_rows,
    )
    tolerances = ", ".join(f"{d} {t:g}" for d, t in TOLERANCE.items())
    print(f"check: max abs diff within {tolerances} and the same labels as predict.")
    if any("MISMATCH" in row for row in (*batch_rows, *latency_rows)):
        print("MISMATCH: ONNX Runtime and predict_proba disagree, see the table.")
    print(f"Total time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
