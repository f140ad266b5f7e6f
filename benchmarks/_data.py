"""Data and measurement helpers the benchmark scripts share (imported from their
directory): the SpamAssassin corpus, generated documents, peak memory, and running
a script again as a child process."""

import contextlib
import gzip
import json
import resource
import shlex
import subprocess
import sys
import time

import numpy as np


def spamassassin_rows(path):
    """Every message of the SpamAssassin corpus file, as a list of dicts with the
    keys ``subject``, ``text``, ``label`` ("ham"/"spam"), ``group`` and ``split``
    ("train" for the ``*-1`` groups, "test" for the ``*-2`` groups)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load_spamassassin(path):
    """(train documents, labels), (test documents, labels): subject and body."""
    rows = spamassassin_rows(path)
    return [
        (
            [r["subject"] + "\n" + r["text"] for r in rows if r["split"] == split],
            [r["label"] for r in rows if r["split"] == split],
        )
        for split in ("train", "test")
    ]


def word_documents(n_docs, n_words, min_words, max_words, rng):
    """Generated documents of random words, and the number of each one's first and
    last word (to label them by).

    Document ``i`` has ``min_words..max_words`` words (uniform), each drawn
    uniformly from "w0" .. "w{n_words - 1}" and joined by spaces. ``rng`` is a seed
    or a ``numpy.random.Generator`` (drawn from, so that successive calls continue
    its stream). Returns ``(documents, first, last)``, the last two int arrays.
    """
    rng = np.random.default_rng(rng)
    lengths = rng.integers(min_words, max_words + 1, size=n_docs)
    words = rng.integers(0, n_words, size=int(lengths.sum()))
    ends = np.cumsum(lengths)
    documents = [
        " ".join(f"w{w}" for w in words[end - n : end])
        for end, n in zip(ends, lengths, strict=True)
    ]
    return documents, words[ends - lengths], words[ends - 1]


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB.

    Linux's VmHWM, the high-water mark of this program's own address space (which
    ``/proc/self/clear_refs`` can reset). Not ``ru_maxrss``: Linux carries it across
    ``exec``, so a child started by a benchmark would begin with the parent's peak
    and show no increase at all. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on
    macOS), the only peak there is.
    """
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def run_child(script, *args, env=None):
    """Run ``python script --child args...`` in a fresh interpreter.

    The child prints its result as JSON on its last line of output. Returns (wall
    seconds, that result, the command); raises RuntimeError with the child's
    stderr if it fails.
    """
    command = [sys.executable, str(script), "--child", *map(str, args)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stderr}")
    return seconds, json.loads(done.stdout.splitlines()[-1]), command
