"""Speed and memory of the NumPy RNN against PyTorch and skorch, as markdown tables.

Usage::

    python benchmarks/performance.py [--spamassassin PATH] [--quick]

One command prints every table (a full run takes about 2-3 minutes on 2 cores;
``--quick`` shrinks the time budgets for a smoke run):

0. the machine, library versions and thread settings;
1. single-core matmul peak (GFLOP/s of a 2048 x 2048 product, float64 and float32);
2. training and inference sequences/s on three batch shapes, ours against an
   equivalent ``torch.nn`` model, and our achieved GFLOP/s as a share of the peak;
3. our training time per real token at length 50 and 400;
4. ``TextRNNClassifier().fit`` on the 58 seed sentences against a direct per-sample
   implementation of the same algorithm (one-hot inputs, BPTT one sequence at a time);
5. whole processes (start, imports, data, fit) of ours and of skorch on 5,000 texts;
6. with ``--spamassassin``, the peak memory of ``fit`` and ``predict_proba`` on the
   SpamAssassin corpus;
7. training step times at S1-S3 with 1 and 2 BLAS threads (child processes), the
   measurement behind ``blas_threads="auto"``;
8. the cost of the architectures: a training step of a bidirectional and of a
   two-layer network at S2 and S3, against one layer and against torch's
   ``nn.RNN`` doing the same (on packed sequences);
9. training steps at S2 and S3 with 1 and 2 worker processes (``n_jobs``), whether
   the weights are the same, and torch with 1 and 2 threads; ``predict_proba``
   with ``n_jobs`` 1 and 2;
10. with ``--spamassassin``, default fits on the SpamAssassin e-mails over three
   seeds (time, epochs, accuracy, time per token against short documents), with
   and without length bucketing, with ``n_jobs=2``, and with the former defaults
   (whole documents).

Everything runs on one thread but what ``n_jobs=2`` and torch's two threads run in
sections 9 and 10: the ``*_NUM_THREADS`` variables are set below before numpy is
imported, child processes inherit them, and torch gets ``torch.set_num_threads(1)``.

torch and skorch are optional; without them their columns print "n/a". To run the
comparison in a fresh environment, install the package with its ``bench`` extra
(torch==2.13.0 and skorch, declared in pyproject.toml). This works offline when pip
is configured with a local package index or wheel directory, as it is on the
machine the published numbers come from::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e ".[bench]"
    .venv-bench/bin/python benchmarks/performance.py \\
        --spamassassin PATH/spamassassin.jsonl.gz
"""

import os

# BLAS reads these when it is loaded, so they must be set before numpy (or torch)
# is imported. Limiting threads afterwards with threadpoolctl measured ~20% slower
# for numpy here when torch is loaded too. Child processes inherit them.
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import argparse
import contextlib
import gc
import importlib.util
import json
import platform
import shlex
import statistics
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

import _data
import numpy as np
from _data import load_spamassassin, peak_rss_mib, word_documents
from _tables import print_table

# sklearn_rnn, torch and skorch are imported inside the functions that use them: the
# whole-process timings (section 5) must charge each child process only for the
# libraries its own side needs.

# name: (batch B, max length T, hidden H, vocabulary V)
SHAPES = {
    "S1": (32, 20, 64, 20),
    "S2": (64, 100, 128, 20_000),
    "S3": (128, 400, 256, 50_000),
}
DTYPES = ("float64", "float32")
# Section 3: B, H, V of S3 at two lengths (T=400 is S3 itself and reuses its cell).
PER_TOKEN_SHAPE = (128, 256, 50_000)
PER_TOKEN_LENGTHS = (50, 400)
# Section 5: the synthetic text corpus.
N_DOCS, N_WORDS, MAX_WORDS = 5000, 5000, 50
SCRIPT = Path(__file__).resolve()


# ---------------------------------------------------------------------- helpers
def median_time(fn, budget, min_repeats, warmup=1):
    """Median seconds per call of ``fn`` after ``warmup`` untimed calls.

    Calls repeat until ``budget`` seconds have passed and at least ``min_repeats``
    calls were timed. The median rather than the best: a training loop pays for
    allocations and cache misses on every step, and the median keeps them while
    ignoring the odd interruption by another process on this shared machine.
    """
    for _ in range(warmup):
        fn()
    times = []
    deadline = time.perf_counter() + budget
    while len(times) < min_repeats or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def ratio(ours, theirs):
    return None if ours is None or theirs is None else ours / theirs


def versus(ours, theirs):
    """Table cells: our sequences/s, torch's (or n/a), and ours / torch."""
    return f"{ours:,.0f}", fmt(theirs, ",.0f"), fmt(ratio(ours, theirs), ".2f")


def import_torch():
    """torch set to one thread, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


@contextlib.contextmanager
def flush_denormals(torch, enabled):
    """Run torch with subnormals flushed to zero, then restore the CPU flags.

    The flag is the calling thread's, so it would also speed up numpy's subnormal
    arithmetic: it is set only around torch's own cells, keeping ours honest (our
    code flushes subnormals itself).
    """
    if enabled:
        torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if enabled:
            torch.set_flush_denormal(False)


def torch_rnn(torch, n_tokens, hidden_size):
    """Embedding + tanh ``nn.RNN`` + Linear, read at each sequence's last real step."""
    nn = torch.nn

    class TorchRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(n_tokens, hidden_size)
            self.rnn = nn.RNN(hidden_size, hidden_size, batch_first=True)
            self.output = nn.Linear(hidden_size, 2)

        def forward(self, tokens, lengths=None):
            if lengths is None:
                lengths = (tokens != 0).sum(dim=1)  # id 0 pads, as in TextTokenizer
            states, _ = self.rnn(self.embedding(tokens))
            last = states[torch.arange(len(tokens)), lengths - 1]
            return self.output(last)

    return TorchRNN()


def cpu_model():
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


# ---------------------------------------------------------------- 0. header
def print_header(torch, quick, budget, min_repeats):
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        blas = f" ({blas['name']} {blas['version']})"
    except (AttributeError, KeyError):
        blas = ""
    try:
        import skorch

        skorch_version = skorch.__version__
    except ImportError:
        skorch_version = "n/a (not installed)"
    # What the BLAS libraries report after the environment variables took effect.
    from threadpoolctl import threadpool_info

    pools = ", ".join(
        f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()
    )
    threads = f"1 ({pools or 'no BLAS pools'}"
    threads += f"; torch {torch.get_num_threads()})" if torch else ")"
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    print("## 0. Machine\n")
    print_table(
        ["item", "value"],
        [
            ("command", shlex.join(["python", os.path.relpath(SCRIPT), *sys.argv[1:]])),
            ("CPU", cpu_model()),
            ("cores (usable)", f"{cores} ({usable})"),
            ("Python", platform.python_version()),
            ("numpy", np.__version__ + blas),
            ("torch", torch.__version__ if torch else "n/a (not installed)"),
            ("skorch", skorch_version),
            ("threads", threads),
            (
                "timing",
                f"median of >= {min_repeats} calls after 1 warm-up, ~{budget:g} s "
                "per cell" + (" (--quick)" if quick else ""),
            ),
        ],
    )


# ---------------------------------------------------------- 1. matmul peak
def matmul_peak(repeats):
    """Best GFLOP/s of a 2048 x 2048 matrix product, per dtype."""
    n = 2048
    rng = np.random.default_rng(0)
    peaks = {}
    for dtype in DTYPES:
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        out = np.empty_like(a)
        np.matmul(a, b, out=out)  # warm-up: page faults, BLAS kernel selection
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - start)
        peaks[dtype] = 2 * n**3 / best / 1e9
    print("## 1. Matmul peak (one core)\n")
    print_table(["dtype", "GFLOP/s"], [(d, f"{peaks[d]:.1f}") for d in DTYPES])
    return peaks


# --------------------------------------------------------- 2. batch shapes
def random_batch(batch_size, max_length, n_tokens, seed=0):
    """Ragged token ids: lengths uniform over T/2..T, ids uniform in [2, V)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(max_length // 2, max_length + 1, size=batch_size)
    offsets = np.zeros(batch_size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = rng.integers(2, n_tokens, size=offsets[-1])
    y = rng.integers(0, 2, size=batch_size)
    return values, offsets, y


def time_ours(
    values,
    offsets,
    y,
    n_tokens,
    hidden,
    dtype,
    budget,
    min_repeats,
    num_layers=1,
    bidirectional=False,
):
    """(training step, inference) median seconds of our code on one batch."""
    from sklearn_rnn import _optimizers, _rnn
    from sklearn_rnn._sequences import pack
    from sklearn_rnn._training import Settings, train_step

    params = _rnn.init_params(
        np.random.RandomState(0),
        n_tokens,
        hidden,
        2,
        token_input=True,
        dtype=dtype,
        num_layers=num_layers,
        bidirectional=bidirectional,
    )
    adam = _optimizers.Adam(params, 1e-3)
    indices = np.arange(len(offsets) - 1)
    # The model of the torch side: the last hidden state, no penalty, no dropout
    # (so no random draws), global-norm clipping at 5.
    settings = Settings(
        loss="log_loss", pooling="last", batch_size=len(indices), clip_norm=5.0
    )

    def step():
        # What fit does per batch: pack it, then the package's own training step.
        batch = pack(values, offsets, indices)
        train_step(params, adam, batch, y, None, settings, rng=None)

    def infer():
        _rnn.predict_logits(params, values, offsets, chunk_size=1024, pooling="last")

    train = median_time(step, budget, min_repeats)
    return train, median_time(infer, budget, min_repeats)


def time_torch(torch, values, offsets, y, n_tokens, hidden, dtype, budget, min_repeats):
    """(training step, inference) median seconds of torch on the same batch, padded."""
    torch.manual_seed(0)
    lengths = np.diff(offsets)
    # Padded to the batch's longest sequence, as a padding collate function does.
    padded = np.zeros((len(lengths), lengths.max()), dtype=np.int64)
    padded[np.arange(lengths.max()) < lengths[:, None]] = values
    tokens = torch.from_numpy(padded)
    lengths = torch.from_numpy(lengths)
    target = torch.from_numpy(y)
    model = torch_rnn(torch, n_tokens, hidden).to(getattr(torch, dtype))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(tokens, lengths), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()

    def infer():
        with torch.no_grad():
            model(tokens, lengths)

    with flush_denormals(torch, dtype == "float32"):
        train = median_time(train_step, budget, min_repeats)
        return train, median_time(infer, budget, min_repeats)


def shapes(torch, peaks, budget, min_repeats):
    """Section 2; returns {(shape, dtype): our training step seconds} for section 3."""
    print("## 2. Batch shapes\n")
    print_table(
        ["shape", "B", "T", "H", "V", "real tokens"],
        [
            (name, B, T, H, V, int(random_batch(B, T, V)[1][-1]))
            for name, (B, T, H, V) in SHAPES.items()
        ],
    )
    train_rows, infer_rows, steps = [], [], {}
    for name, (B, T, H, V) in SHAPES.items():
        values, offsets, y = random_batch(B, T, V)
        n_real = int(offsets[-1])
        for dtype in DTYPES:
            ours = time_ours(values, offsets, y, V, H, dtype, budget, min_repeats)
            theirs = (None, None)
            if torch is not None:
                theirs = time_torch(
                    torch, values, offsets, y, V, H, dtype, budget, min_repeats
                )
            gc.collect()  # free this cell's V x H arrays before the next one
            steps[name, dtype] = ours[0]
            rates = [None if s is None else B / s for s in (*ours, *theirs)]
            gflops = 6 * n_real * H**2 / ours[0] / 1e9
            train_rows.append(
                (name, dtype, *versus(rates[0], rates[2]), f"{gflops:.1f}")
                + (f"{100 * gflops / peaks[dtype]:.0f}%",)
            )
            infer_rows.append((name, dtype, *versus(rates[1], rates[3])))
    print(
        "Training (sequences/s; one step = pack + loss and gradients + clip + Adam):\n"
    )
    print_table(
        [
            "shape",
            "dtype",
            "ours seq/s",
            "torch seq/s",
            "ours / torch",
            "ours GFLOP/s",
            "% of peak",
        ],
        train_rows,
    )
    print(
        "Inference (sequences/s; ours `predict_logits`, torch forward in `no_grad`):\n"
    )
    print_table(
        ["shape", "dtype", "ours seq/s", "torch seq/s", "ours / torch"], infer_rows
    )
    print(
        "GFLOP/s counts only the recurrence of our formula, 6 * real tokens * H^2 per "
        "step (h @ W_hh forward, dh @ W_hh.T and h.T @ dpre backward), for ours. "
        "torch does more work for the same result: an extra H x H input projection of "
        "the embeddings and, on padded input, every step up to the batch's longest "
        "sequence. Ratios above 1 mean ours is faster.\n"
    )
    return steps


# ------------------------------------------------------ 3. cost per token
def per_token(steps, budget, min_repeats):
    B, H, V = PER_TOKEN_SHAPE
    rows = []
    for dtype in DTYPES:
        micros = []
        for T in PER_TOKEN_LENGTHS:
            values, offsets, y = random_batch(B, T, V)
            if SHAPES["S3"] == (B, T, H, V):
                seconds = steps["S3", dtype]  # the same batch, timed in section 2
            else:
                seconds = time_ours(
                    values, offsets, y, V, H, dtype, budget, min_repeats
                )[0]
                gc.collect()
            micros.append(1e6 * seconds / offsets[-1])
        rows.append(
            (dtype, *(f"{m:.2f}" for m in micros), f"{micros[1] / micros[0]:.2f}")
        )
    print(f"## 3. Training time per real token (ours; B={B}, H={H}, V={V:,})\n")
    print_table(
        ["dtype", *(f"T={T} (us/token)" for T in PER_TOKEN_LENGTHS), "T=400 / T=50"],
        rows,
    )
    print(
        "The optimizer step updates all V x H input weights once per batch whatever "
        "the length, so short batches pay more per token; a ratio well above 1 "
        "would mean long sequences slow down (e.g. subnormal numbers).\n"
    )


# ----------------------------------------------------- 4. seed sentences
class PerSampleRNN:
    """The algorithm of ``TextRNNClassifier().fit``, written the direct way.

    One sequence at a time, each token a one-hot vector multiplied by ``W_xh`` (as
    the tutorial does), backpropagation through time per sequence, gradients summed
    over the whole training set for one full-batch update: what the default
    ``batch_size="auto"`` does on 58 samples. The same model (tanh, zero initial
    state, softmax on the mean of the hidden states, the default for text, or on
    the last one with ``pooling="last"``), loss (mean cross-entropy plus
    ``alpha / 2 * ||W||^2 / n``), global-norm clipping and Adam.
    """

    def __init__(
        self, n_tokens, hidden, n_classes, seed, *, pooling, lr=1e-2, alpha=1e-4
    ):
        # The classifier's initialisation scheme and the same draws in the same
        # order, so that both start from identical weights.
        # Glorot-uniform with fan-in 1 for W_xh (a one-hot step activates one
        # row), uniform +-1/sqrt(H) for W_hh, Glorot-uniform for W_hy, zero biases.
        rng = np.random.RandomState(seed)
        bound_xh = np.sqrt(6.0 / (1 + hidden))
        bound_hh = 1.0 / np.sqrt(hidden)
        bound_hy = np.sqrt(6.0 / (hidden + n_classes))
        self.p = {
            "W_xh": rng.uniform(-bound_xh, bound_xh, (n_tokens, hidden)),
            "W_hh": rng.uniform(-bound_hh, bound_hh, (hidden, hidden)),
            "b_h": np.zeros(hidden),
            "W_hy": rng.uniform(-bound_hy, bound_hy, (hidden, n_classes)),
            "b_y": np.zeros(n_classes),
        }
        # Padding and unknown ids start at zero: an unseen word is a neutral step.
        self.p["W_xh"][:2] = 0.0
        self.n_tokens, self.lr, self.alpha = n_tokens, lr, alpha
        self.pooling = pooling
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.t = 0

    def _forward(self, ids):
        p = self.p
        xs, hs = [], [np.zeros(p["W_hh"].shape[0])]
        for token in ids:
            x = np.zeros(self.n_tokens)
            x[token] = 1.0
            hs.append(np.tanh(x @ p["W_xh"] + hs[-1] @ p["W_hh"] + p["b_h"]))
            xs.append(x)
        if self.pooling == "mean":
            summary = np.mean(hs[1:], axis=0) if xs else hs[0]
        else:
            summary = hs[-1]
        logits = summary @ p["W_hy"] + p["b_y"]
        return xs, hs, summary, logits

    def predict(self, sequences):
        return np.array([self._forward(ids)[3].argmax() for ids in sequences])

    def epoch(self, sequences, y, clip_norm=5.0):
        """One full-batch update; returns the loss before it."""
        p = self.p
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        loss = 0.0
        for ids, label in zip(sequences, y, strict=True):
            xs, hs, summary, logits = self._forward(ids)
            prob = np.exp(logits - logits.max())
            prob /= prob.sum()
            loss -= np.log(prob[label])
            dz = prob
            dz[label] -= 1.0
            grads["W_hy"] += np.outer(summary, dz)
            grads["b_y"] += dz
            d_summary = p["W_hy"] @ dz
            # Mean pooling: every step receives 1/length of the summary's gradient.
            mean = self.pooling == "mean"
            d_step = d_summary / max(len(xs), 1) if mean else 0.0
            dh = np.zeros_like(d_summary) if mean else d_summary
            for t in range(len(xs) - 1, -1, -1):
                dh = dh + d_step
                da = (1.0 - hs[t + 1] ** 2) * dh
                grads["W_xh"] += np.outer(xs[t], da)
                grads["W_hh"] += np.outer(hs[t], da)
                grads["b_h"] += da
                dh = p["W_hh"] @ da
        n = len(y)
        loss /= n
        for g in grads.values():
            g /= n
        for name in ("W_xh", "W_hh", "W_hy"):
            loss += 0.5 * self.alpha * np.sum(p[name] ** 2) / n
            grads[name] += self.alpha / n * p[name]
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        if norm > clip_norm:
            for g in grads.values():
                g *= clip_norm / norm
        # Adam with both bias corrections folded into the step size (Kingma & Ba's
        # "more efficient" form), as the classifier's optimizer and scikit-learn's
        # MLP do.
        self.t += 1
        b1, b2 = 0.9, 0.999
        step = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        for name, g in grads.items():
            self.m[name] = b1 * self.m[name] + (1 - b1) * g
            self.v[name] = b2 * self.v[name] + (1 - b2) * g**2
            p[name] -= step * self.m[name] / (np.sqrt(self.v[name]) + 1e-8)
        return loss


def train_per_sample(clf, X, y, X_test, y_test):
    """Train the baseline for ``clf.n_iter_`` epochs (up to twice as many until it
    reaches test accuracy 1.0); return (seconds, epochs, accuracy, losses)."""
    tok = clf.tokenizer_

    def sequences(docs):
        ids, offsets = tok.transform_ragged(docs)
        return [ids[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]

    train, test = sequences(X), sequences(X_test)
    model = PerSampleRNN(
        tok.vocabulary_size_, clf.hidden_size, 2, seed=0, pooling=clf._pooling
    )
    losses, seconds = [], 0.0
    accuracy = 0.0
    for epoch in range(1, 2 * clf.n_iter_ + 1):
        start = time.perf_counter()
        losses.append(model.epoch(train, y))
        seconds += time.perf_counter() - start  # evaluation below is not timed
        if epoch >= clf.n_iter_:
            accuracy = float(np.mean(model.predict(test) == y_test))
            if accuracy == 1.0:
                break
    return seconds, epoch, accuracy, losses


def seed_dataset(budget, repeats):
    from sklearn_rnn import TextRNNClassifier
    from sklearn_rnn.datasets import load_sentiment

    X, y = load_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_sentiment(subset="test", return_X_y=True)

    def fit():
        return TextRNNClassifier(random_state=0).fit(X, y)

    clf = fit()  # also the warm-up
    fit_seconds = median_time(fit, budget, max(repeats, 3), warmup=0)
    accuracy = clf.score(X_test, y_test)
    runs = [train_per_sample(clf, X, y, X_test, y_test) for _ in range(repeats)]
    base_seconds = statistics.median(r[0] for r in runs)
    _, base_epochs, base_accuracy, losses = runs[0]
    shared = min(len(losses), clf.n_iter_)
    gap = np.max(np.abs(np.array(losses[:shared]) - clf.loss_curve_[:shared]))
    print(f"## 4. Seed sentences ({len(X)} train, {len(X_test)} test)\n")
    print_table(
        ["", "TextRNNClassifier().fit", "per-sample baseline"],
        [
            ("epochs", clf.n_iter_, base_epochs),
            ("seconds", f"{fit_seconds:.3f}", f"{base_seconds:.2f}"),
            ("test accuracy", f"{accuracy:.3f}", f"{base_accuracy:.3f}"),
            ("speed-up", f"{base_seconds / fit_seconds:.0f}x", "1x"),
        ],
    )
    print(
        f"Both with random_state=0, {clf._pooling} pooling (the default for "
        f"text), hidden_size={clf.hidden_size}, vocabulary "
        f"{clf.tokenizer_.vocabulary_size_} ids, Adam lr 1e-2 on full batches of "
        f"{len(X)}, clip norm 5, alpha 1e-4. Same initial weights: the training "
        f"losses of the two agree within {gap:.1e} over {shared} epochs. Ours: the "
        "whole fit (tokenizer included), median of repeated fits; baseline: its "
        f"training epochs only (median of {repeats}), test evaluation not timed.\n"
    )


# ----------------------------------------------- 5. whole process vs skorch
def synthetic_corpus():
    """Texts of random words "w0".."w4999", 1..50 words each; label by last word.

    The label is learnable from the last step, so the final training losses show
    that both implementations really train.
    """
    docs, _, last = word_documents(N_DOCS, N_WORDS, 1, MAX_WORDS, rng=0)
    return docs, (last < N_WORDS // 2).astype(np.int64)


def child_fit_ours(dtype, epochs):
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_rnn import TextRNNClassifier

    docs, y = synthetic_corpus()
    clf = TextRNNClassifier(
        hidden_size=64,
        # The model of the torch side (last hidden state) and, as skorch with
        # train_split=None, no validation split.
        pooling="last",
        early_stopping=False,
        batch_size=32,
        max_iter=int(epochs),
        n_iter_no_change=10**6,  # never stop early: run every epoch
        dtype=dtype,
        random_state=0,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(docs, y)
    return {
        "fit_seconds": time.perf_counter() - start,
        "epochs": clf.n_iter_,
        "train_loss": clf.loss_curve_[-1],
    }


def child_fit_skorch(dtype, epochs):
    import torch
    from skorch import NeuralNetClassifier
    from skorch.callbacks import GradientNormClipping

    torch.set_num_threads(1)
    # As in section 2's torch cells: flushing matters for float32 only.
    torch.set_flush_denormal(dtype == "float32")
    torch.manual_seed(0)
    docs, y = synthetic_corpus()
    # The simplest tokenizer: split on spaces, ids from 2 by first appearance, 0 pads.
    vocabulary = {}
    ids = [
        [vocabulary.setdefault(w, len(vocabulary) + 2) for w in d.split()] for d in docs
    ]
    X = np.zeros((len(ids), max(map(len, ids))), dtype=np.int64)
    for row, seq in zip(X, ids, strict=True):
        row[: len(seq)] = seq
    net = NeuralNetClassifier(
        torch_rnn(torch, N_WORDS + 2, 64).to(getattr(torch, dtype)),
        criterion=torch.nn.CrossEntropyLoss,  # the module returns logits
        optimizer=torch.optim.Adam,
        lr=1e-2,
        batch_size=32,
        max_epochs=int(epochs),
        train_split=None,
        iterator_train__shuffle=True,  # ours shuffles every epoch too
        callbacks=[GradientNormClipping(5.0)],  # ours' default clip_norm=5
        verbose=0,
    )
    start = time.perf_counter()
    net.fit(X, y)
    return {
        "fit_seconds": time.perf_counter() - start,
        "epochs": len(net.history),
        "train_loss": net.history[-1, "train_loss"],
    }


def run_child(*args):
    """Run this script as a child process; return (wall seconds, its JSON, command)."""
    return _data.run_child(SCRIPT, *args, env=os.environ)


def display(command):
    """A command as a reader would type it, from the repository root."""
    threads = " ".join(
        f"{k}=1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    )
    script = os.path.relpath(command[1])
    return f"{threads} {shlex.join(['python', script, *command[2:]])}"


def whole_process(torch, quick):
    epochs = 2 if quick else 10
    skorch_ok = torch is not None and importlib.util.find_spec("skorch") is not None
    runs = []
    for dtype in DTYPES:
        default = " (default)" if dtype == "float64" else ""
        runs.append((f"ours, {dtype}{default}", dtype, ("fit-ours", dtype, epochs)))
        if skorch_ok:
            runs.append((f"skorch, {dtype}", dtype, ("fit-skorch", dtype, epochs)))
    results = [(label, dtype, *run_child(*args)) for label, dtype, args in runs]
    # Each run against skorch in the same floating-point type.
    skorch_seconds = {
        dtype: seconds
        for label, dtype, seconds, _, _ in results
        if label.startswith("skorch")
    }
    rows = []
    for label, dtype, seconds, out, _ in results:
        rows.append(
            (
                label,
                f"{seconds:.1f}",
                f"{out['fit_seconds']:.1f}",
                f"{seconds - out['fit_seconds']:.1f}",
                out["epochs"],
                f"{out['train_loss']:.3f}",
                fmt(ratio(skorch_seconds.get(dtype), seconds), ".2f"),
            )
        )
    if not skorch_ok:
        rows.append(("skorch", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a"))
    print(
        f"## 5. Whole process: {N_DOCS:,} texts of 1-{MAX_WORDS} words "
        f"({N_WORDS:,} distinct), H=64, batch 32, {epochs} epochs\n"
    )
    print_table(
        [
            "run",
            "process s",
            "fit s",
            "start + imports + data s",
            "epochs",
            "last epoch loss",
            "skorch s / this (same dtype)",
        ],
        rows,
    )
    print(
        "Each run is a fresh interpreter (start, imports, data generation, fit), on "
        "one thread; ours tokenizes the texts with TextTokenizer inside fit, skorch "
        "gets padded int64 ids from split() and a dict. Both: Adam lr 1e-2, clip "
        "norm 5, shuffled batches, no validation split (skorch train_split=None; "
        "ours also adds its default alpha=1e-4 L2 penalty, which its loss includes). "
        "Commands:\n"
    )
    for label, _, _, _, command in results:
        print(f"    {display(command)}  # {label}")
    print()


# ----------------------------------------------- 6. SpamAssassin memory
def child_spam_fit(path, model_path):
    import joblib
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_rnn import TextRNNClassifier

    (X, y), _ = load_spamassassin(path)
    before = peak_rss_mib()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TextRNNClassifier(max_iter=1, random_state=0).fit(X, y)
    seconds = time.perf_counter() - start
    after = peak_rss_mib()
    joblib.dump(clf, model_path)
    # Counted after the peak was read, so this second tokenization does not enter it.
    n_tokens = len(clf.tokenizer_.transform_ragged(X)[0])
    return {
        "documents": len(X),
        "tokens": n_tokens,
        "vocabulary": clf.tokenizer_.vocabulary_size_,
        "seconds": seconds,
        "before": before,
        "after": after,
        "model_mib": os.path.getsize(model_path) / 2**20,
    }


def child_spam_predict(path, model_path):
    import joblib

    _, (X, y) = load_spamassassin(path)
    clf = joblib.load(model_path)
    before = peak_rss_mib()
    start = time.perf_counter()
    proba = clf.predict_proba(X)
    seconds = time.perf_counter() - start
    after = peak_rss_mib()
    accuracy = float(np.mean(clf.classes_[proba.argmax(axis=1)] == np.asarray(y)))
    return {
        "documents": len(X),
        "tokens": len(clf.tokenizer_.transform_ragged(X)[0]),
        "seconds": seconds,
        "before": before,
        "after": after,
        "accuracy": accuracy,
    }


def spamassassin(path):
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "model.joblib")
        _, fit, _ = run_child("spam-fit", path, model_path)
        _, predict, _ = run_child("spam-predict", path, model_path)
    rows = [
        (name, r["documents"], f"{r['tokens']:,}", f"{r['seconds']:.1f}")
        + tuple(f"{r[k]:.0f}" for k in ("before", "after"))
        + (f"{r['after'] - r['before']:.0f}",)
        for name, r in (("fit (max_iter=1)", fit), ("predict_proba", predict))
    ]
    print("## 6. Peak memory on SpamAssassin\n")
    print_table(
        [
            "call (split)",
            "documents",
            "tokens",
            "seconds",
            "peak RSS before (MiB)",
            "peak RSS after (MiB)",
            "increase (MiB)",
        ],
        rows,
    )
    print(
        f"TextRNNClassifier(max_iter=1, random_state=0), other parameters default "
        f"(float64, hidden_size=64); vocabulary {fit['vocabulary']:,} ids; model file "
        f"{fit['model_mib']:.0f} MiB; test accuracy after one epoch "
        f"{predict['accuracy']:.3f}. Each call runs in its own process: fit on the "
        "train split after loading the corpus, predict_proba on the test split "
        "after loading the corpus and the joblib-dumped model; 'before' is the "
        "process's peak RSS (VmHWM) just before the call.\n"
    )


# ------------------------------------------------------------------ main
# --------------------------------------------------------- 7. BLAS threads
def child_threads():
    """Median training-step seconds at S1-S3 (float64), at the inherited threads."""
    times = {}
    for name, (batch, length, hidden, n_tokens) in SHAPES.items():
        values, offsets, y = random_batch(batch, length, n_tokens)
        times[name] = time_ours(
            values, offsets, y, n_tokens, hidden, "float64", 1.5, 3
        )[0]
    return times


def blas_threads(quick):
    rows = {}
    for threads in (1, 2):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        with _environment(env):
            rows[threads] = run_child("threads")[1]
    print("## 7. BLAS threads (training step, float64, ms)\n")
    print_table(
        ["shape", "H", "1 thread", "2 threads", "1 thread / 2 threads"],
        [
            (
                name,
                SHAPES[name][2],
                f"{rows[1][name] * 1e3:.1f}",
                f"{rows[2][name] * 1e3:.1f}",
                f"{rows[1][name] / rows[2][name]:.2f}",
            )
            for name in SHAPES
        ],
    )
    print(
        'TextRNNClassifier(blas_threads="auto") uses one thread below hidden size '
        "256 and leaves BLAS alone above; a ratio below 1 means one thread is "
        "faster.\n"
    )


@contextlib.contextmanager
def _environment(env):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


CHILDREN = {
    "threads": child_threads,
    "fit-ours": child_fit_ours,
    "fit-skorch": child_fit_skorch,
    "spam-fit": child_spam_fit,
    "spam-predict": child_spam_predict,
}


# ------------------------------------------------------ 8. architectures
ARCHITECTURES = {
    "1 layer": {},
    "bidirectional": {"bidirectional": True},
    "2 layers": {"num_layers": 2},
}


def time_torch_packed(
    torch, values, offsets, y, n_tokens, hidden, dtype, arch, budget, min_repeats
):
    """Median seconds of a torch training step with ``nn.RNN(**arch)`` on packed
    sequences, read from ``h_n`` (each direction's final state of the last
    layer), as a torch user would write a stacked or bidirectional model."""
    nn = torch.nn
    torch.manual_seed(0)
    lengths = np.diff(offsets)
    padded = np.zeros((len(lengths), lengths.max()), dtype=np.int64)
    padded[np.arange(lengths.max()) < lengths[:, None]] = values
    directions = 2 if arch.get("bidirectional") else 1
    embedding = nn.Embedding(n_tokens, hidden)
    rnn = nn.RNN(hidden, hidden, batch_first=True, **arch)
    output = nn.Linear(directions * hidden, 2)
    modules = nn.ModuleList([embedding, rnn, output]).to(getattr(torch, dtype))
    optimizer = torch.optim.Adam(modules.parameters(), lr=1e-3)
    tokens, target = torch.from_numpy(padded), torch.from_numpy(y)
    lengths = torch.from_numpy(lengths)

    def train_step():
        optimizer.zero_grad()
        packed = nn.utils.rnn.pack_padded_sequence(
            embedding(tokens), lengths, batch_first=True, enforce_sorted=False
        )
        _, h_n = rnn(packed)
        summary = torch.cat(list(h_n[-directions:]), dim=1)
        loss = nn.functional.cross_entropy(output(summary), target)
        loss.backward()
        nn.utils.clip_grad_norm_(modules.parameters(), 5.0)
        optimizer.step()

    with flush_denormals(torch, dtype == "float32"):
        return median_time(train_step, budget, min_repeats)


def architectures(torch, budget, min_repeats):
    print("## 8. Architectures\n")
    rows = []
    for name in ("S2", "S3"):
        B, T, H, V = SHAPES[name]
        values, offsets, y = random_batch(B, T, V)
        for dtype in DTYPES:
            base = base_torch = None
            for label, arch in ARCHITECTURES.items():
                ours = time_ours(
                    values, offsets, y, V, H, dtype, budget, min_repeats, **arch
                )[0]
                theirs = None
                if torch is not None:
                    theirs = time_torch_packed(
                        torch,
                        values,
                        offsets,
                        y,
                        V,
                        H,
                        dtype,
                        arch,
                        budget,
                        min_repeats,
                    )
                gc.collect()
                base = base or ours
                base_torch = base_torch or theirs
                rows.append(
                    (
                        name,
                        dtype,
                        label,
                        fmt(ours * 1e3, ".1f"),
                        fmt(ours / base, ".2f"),
                        fmt(None if theirs is None else theirs * 1e3, ".1f"),
                        fmt(ratio(theirs, base_torch), ".2f"),
                        fmt(ratio(theirs, ours), ".2f"),
                    )
                )
    print(
        "Training step (ms; pack + loss and gradients + clip + Adam), last hidden "
        "state of each direction:\n"
    )
    print_table(
        [
            "shape",
            "dtype",
            "network",
            "ours ms",
            "ours / 1 layer",
            "torch ms",
            "torch / 1 layer",
            "torch ms / ours ms",
        ],
        rows,
    )


# ------------------------------------------------------------ 9. workers
def time_workers(values, offsets, y, n_tokens, hidden, dtype, n_workers, budget, reps):
    """(median training-step seconds, weights after 3 steps) with ``n_workers``
    processes computing the batch's shards (what ``fit(n_jobs=...)`` runs)."""
    from sklearn_rnn import _optimizers, _rnn
    from sklearn_rnn._parallel import Shards
    from sklearn_rnn._training import Settings, train_step

    params = _rnn.init_params(
        np.random.RandomState(0), n_tokens, hidden, 2, token_input=True, dtype=dtype
    )
    adam = _optimizers.Adam(params, 1e-3)
    settings = Settings(
        loss="log_loss", pooling="last", batch_size=len(y), clip_norm=5.0
    )
    indices = np.arange(len(y))
    with Shards(params, (values, offsets), settings.shard_spec(), n_workers) as work:

        def step():
            batch = work.batch(indices)
            train_step(
                work.params,
                adam,
                batch,
                y,
                None,
                settings,
                None,
                0,
                np.inf,
                work.threads,
            )

        for _ in range(3):
            step()
        after = {name: value.copy() for name, value in work.params.items()}
        return median_time(step, budget, reps, warmup=0), after


def workers(torch, budget, min_repeats):
    from sklearn_rnn._parallel import shard_count

    print("## 9. Workers (n_jobs)\n")
    rows = []
    for name in ("S2", "S3"):
        B, T, H, V = SHAPES[name]
        values, offsets, y = random_batch(B, T, V)
        for dtype in DTYPES:
            one, w1 = time_workers(
                values, offsets, y, V, H, dtype, 1, budget, min_repeats
            )
            two, w2 = time_workers(
                values, offsets, y, V, H, dtype, 2, budget, min_repeats
            )
            same = all(np.array_equal(w1[k], w2[k]) for k in w1)
            torch_times = [None, None]
            if torch is not None:
                for i, threads in enumerate((1, 2)):
                    torch.set_num_threads(threads)
                    torch_times[i] = time_torch(
                        torch, values, offsets, y, V, H, dtype, budget, min_repeats
                    )[0]
                torch.set_num_threads(1)
            gc.collect()
            rows.append(
                (
                    name,
                    dtype,
                    shard_count(B, H),
                    f"{one * 1e3:.1f}",
                    f"{two * 1e3:.1f}",
                    f"{one / two:.2f}",
                    "yes" if same else "NO",
                    fmt(
                        None if torch_times[1] is None else torch_times[1] * 1e3, ".1f"
                    ),
                    fmt(ratio(torch_times[0], torch_times[1]), ".2f"),
                    fmt(ratio(torch_times[1], two), ".2f"),
                )
            )
    print(
        "Training step (ms; shards + clip + Adam) with 1 and 2 processes "
        "(`n_jobs`), and torch (padded, as in section 2) with 1 and 2 threads:\n"
    )
    print_table(
        [
            "shape",
            "dtype",
            "shards",
            "1 worker ms",
            "2 workers ms",
            "speed-up",
            "same weights",
            "torch 2 threads ms",
            "torch speed-up",
            "torch 2 thr / ours 2 workers",
        ],
        rows,
    )
    print(
        "Same weights: bit for bit after 3 steps. The shards of a batch are fixed "
        "by the batch and the hidden size, never by the number of workers.\n"
    )
    predict_threads(budget, min_repeats)


def predict_threads(budget, min_repeats):
    """predict_proba on many documents with n_jobs=1 and 2 (threads over the
    chunks of 1,024 documents)."""
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_rnn import TextRNNClassifier

    documents, first, _ = word_documents(N_DOCS, N_WORDS, 1, MAX_WORDS, 0)
    many, _, _ = word_documents(20_000, N_WORDS, 1, MAX_WORDS, 1)
    rows = []
    for hidden in (64, 128, 256):
        clf = TextRNNClassifier(hidden_size=hidden, max_iter=1, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(documents, first % 2)
        times = []
        for n_jobs in (1, 2):
            clf.set_params(n_jobs=n_jobs)
            times.append(median_time(partial(clf.predict_proba, many), budget, 1))
        same = np.array_equal(
            clf.set_params(n_jobs=1).predict_proba(many),
            clf.set_params(n_jobs=2).predict_proba(many),
        )
        rows.append(
            (
                hidden,
                f"{times[0]:.2f}",
                f"{times[1]:.2f}",
                f"{times[0] / times[1]:.2f}",
                "yes" if same else "NO",
            )
        )
    print(
        f"`predict_proba` on {len(many):,} generated documents of 1-{MAX_WORDS} "
        "words (seconds; chunks of 1,024 documents, in threads with n_jobs=2 from "
        "hidden size 128 on):\n"
    )
    print_table(
        ["hidden_size", "n_jobs=1 s", "n_jobs=2 s", "speed-up", "same output"], rows
    )


# ------------------------------------------------------ 10. long documents
def fit_seconds(clf, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # max_len="auto" says it cut
        start = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - start


def tokens_read(clf, X):
    lengths = np.diff(clf.tokenizer_.transform_ragged(X)[1])
    limit = clf._reading[0]
    return int(lengths.sum() if limit is None else np.minimum(lengths, limit).sum())


def per_token_rate(clf, X):
    """Median epoch seconds per token read (training and validation parts)."""
    return statistics.median(r["seconds"] for r in clf.history_) / tokens_read(clf, X)


def long_documents(path, seeds):
    from sklearn_rnn import TextRNNClassifier

    (X, y), (X_test, y_test) = load_spamassassin(path)
    short, first, _ = word_documents(N_DOCS, N_WORDS, 1, MAX_WORDS, 0)
    short_clf = TextRNNClassifier(max_iter=5, random_state=0)
    fit_seconds(short_clf, short, first % 2)
    short_rate = per_token_rate(short_clf, short)
    configs = {
        "defaults": {},
        "defaults, length_bucketing=False": {"length_bucketing": False},
        "defaults, n_jobs=2": {"n_jobs": 2},
        "max_len=None, length_bucketing=False (former defaults)": {
            "max_len": None,
            "length_bucketing": False,
        },
    }
    rows = []
    for label, options in configs.items():
        for seed in seeds:
            clf = TextRNNClassifier(random_state=seed, **options)
            seconds = fit_seconds(clf, X, y)
            rate = per_token_rate(clf, X)
            rows.append(
                (
                    label,
                    seed,
                    f"{seconds:.1f}",
                    clf.n_iter_,
                    f"{clf.score(X_test, y_test):.4f}",
                    f"{rate * 1e6:.2f}",
                    f"{rate / short_rate:.2f}",
                )
            )
            gc.collect()
    print("## 10. Long documents (SpamAssassin)\n")
    print(
        f"Default `TextRNNClassifier().fit` on the {len(X):,} training e-mails "
        f"(test: {len(X_test):,}); per-token time is the median epoch's seconds "
        "over the tokens read, against the same for "
        f"{N_DOCS:,} generated documents of 1-{MAX_WORDS} words "
        f"({short_rate * 1e6:.2f} us/token, 5 epochs, default parameters):\n"
    )
    print_table(
        [
            "parameters",
            "seed",
            "fit s",
            "epochs",
            "test accuracy",
            "us/token",
            "/ short documents",
        ],
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spamassassin", metavar="PATH", help="spamassassin.jsonl.gz (section 6)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small time budgets, for a smoke run"
    )
    parser.add_argument(
        "--architectures-only",
        action="store_true",
        help="print only the header and section 8",
    )
    parser.add_argument(
        "--sections",
        type=int,
        nargs="+",
        metavar="N",
        help="print only the header and these sections (9 and 10: workers and "
        "long documents, 10 needs --spamassassin)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, *child_args = args.child
        print(json.dumps(CHILDREN[name](*child_args)))
        return

    start = time.perf_counter()
    budget, min_repeats = (0.2, 1) if args.quick else (2.0, 3)
    torch = import_torch()
    print_header(torch, args.quick, budget, min_repeats)
    if args.architectures_only:
        architectures(torch, budget, min_repeats)
        return
    if args.sections:
        chosen = set(args.sections)
        if 9 in chosen:
            workers(torch, budget, min_repeats)
        if 10 in chosen and args.spamassassin:
            long_documents(args.spamassassin, (0,) if args.quick else (0, 1, 2))
        print(f"Total benchmark time: {time.perf_counter() - start:.0f} s.")
        return
    peaks = matmul_peak(repeats=2 if args.quick else 5)
    steps = shapes(torch, peaks, budget, min_repeats)
    per_token(steps, budget, min_repeats)
    seed_dataset(budget, repeats=1 if args.quick else 3)
    whole_process(torch, args.quick)
    if args.spamassassin:
        spamassassin(args.spamassassin)
    blas_threads(args.quick)
    architectures(torch, budget, min_repeats)
    workers(torch, budget, min_repeats)
    if args.spamassassin:
        long_documents(args.spamassassin, (0,) if args.quick else (0, 1, 2))
    print(f"Total benchmark time: {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
