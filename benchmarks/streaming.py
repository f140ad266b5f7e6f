"""Out-of-core training: stream a large text file through ``partial_fit``, as a table.

Usage::

    python benchmarks/streaming.py generate PATH --size-gb 1.0
    python benchmarks/streaming.py train PATH [--chunk-lines 20000]

``generate`` writes a tab-separated file of ``label<TAB>text`` lines: 3-12 words
drawn from 20,000, the label the parity of the first word's number (so the model
has something to learn). ``train`` reads it lazily, ``--chunk-lines`` lines at a
time, and calls ``partial_fit`` on each chunk with a hashing tokenizer
(``TextTokenizer(n_buckets=2**16)``: no vocabulary to hold, no token unknown). It
prints the process's peak RSS after several fractions of the file: if memory is
independent of the file's size, the peak stops growing after the first chunks.
"""

import os

os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import argparse
import itertools
import time
import warnings

import numpy as np
from _data import peak_rss_mib, word_documents
from _tables import print_table

N_WORDS = 20_000


def generate(path, size_gb, seed=0):
    rng = np.random.default_rng(seed)
    target = int(size_gb * 2**30)
    written = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < target:
            docs, first, _ = word_documents(10_000, N_WORDS, 3, 12, rng)
            block = "".join(
                f"{label}\t{doc}\n" for label, doc in zip(first % 2, docs, strict=True)
            )
            f.write(block)
            written += len(block.encode())
    return written


def chunks(path, n_lines):
    """Yield (texts, labels) of ``n_lines`` lines at a time, reading lazily."""
    with open(path, encoding="utf-8") as f:
        while True:
            lines = list(itertools.islice(f, n_lines))
            if not lines:
                return
            pairs = [line.rstrip("\n").split("\t", 1) for line in lines]
            yield [text for _, text in pairs], np.array([int(lab) for lab, _ in pairs])


def train(path, chunk_lines):
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_rnn import TextRNNClassifier, TextTokenizer

    warnings.simplefilter("ignore", ConvergenceWarning)
    size = os.path.getsize(path)
    clf = TextRNNClassifier(
        TextTokenizer(n_buckets=2**16), hidden_size=32, batch_size=2000, random_state=0
    )
    marks = [0.01, 0.1, 0.25, 0.5, 0.75, 1.0]
    rows, read, n_docs, start = [], 0, 0, time.perf_counter()
    held_out = None
    for texts, labels in chunks(path, chunk_lines):
        if held_out is None:  # the first chunk is kept aside to score on
            held_out = (texts, labels)
            read += sum(len(t) + 3 for t in texts)
            continue
        clf.partial_fit(texts, labels, classes=[0, 1])
        n_docs += len(texts)
        read += sum(len(t) + 3 for t in texts)  # label, tab, newline
        while marks and read >= marks[0] * size * 0.999:
            rows.append(
                (
                    f"{marks.pop(0):.0%}",
                    f"{read / 2**30:.2f}",
                    f"{n_docs:,}",
                    f"{peak_rss_mib():.0f}",
                    f"{time.perf_counter() - start:.0f}",
                    f"{clf.score(*held_out):.3f}",
                )
            )
    print(f"## Streaming {size / 2**30:.2f} GiB through partial_fit\n")
    print_table(
        [
            "file read",
            "GiB",
            "documents",
            "peak RSS MiB",
            "seconds",
            "held-out accuracy",
        ],
        rows,
    )
    print(
        f"TextRNNClassifier(TextTokenizer(n_buckets=2**16), hidden_size=32, "
        f"batch_size=2000), one "
        f"partial_fit per {chunk_lines:,} lines, one BLAS thread; the first chunk "
        "is held out for scoring. Command: python benchmarks/streaming.py train PATH"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("path")
    gen.add_argument("--size-gb", type=float, default=1.0)
    tr = sub.add_parser("train")
    tr.add_argument("path")
    tr.add_argument("--chunk-lines", type=int, default=20_000)
    args = parser.parse_args()
    if args.command == "generate":
        start = time.perf_counter()
        written = generate(args.path, args.size_gb)
        print(f"wrote {written / 2**30:.2f} GiB in {time.perf_counter() - start:.0f} s")
    else:
        train(args.path, args.chunk_lines)


if __name__ == "__main__":
    main()
