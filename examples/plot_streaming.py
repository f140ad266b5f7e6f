"""
Training on a stream: partial_fit with a hashing tokenizer
==========================================================

When the data do not fit in memory, read them in chunks and call
:meth:`~sklearn_rnn.TextRNNClassifier.partial_fit` on each one. A hashing
tokenizer (``TextTokenizer(n_buckets=...)``) needs no vocabulary, so no word of a
later chunk is ever unknown, and memory does not grow with the amount of data read.

Here a small generated file of "label<TAB>text" lines stands in for a large one
(``benchmarks/streaming.py`` runs the same recipe on a 1 GiB file and reports its
memory); the first chunk is held out to score the model as it learns.
"""

import itertools
import os
import tempfile
from importlib.util import find_spec

import numpy as np

from sklearn_rnn import TextRNNClassifier, TextTokenizer

# A file of 60,000 short documents; the label is the parity of the first word.
rng = np.random.default_rng(0)
path = os.path.join(tempfile.mkdtemp(), "stream.tsv")
with open(path, "w", encoding="utf-8") as f:
    for _ in range(60_000):
        words = rng.integers(0, 5_000, size=rng.integers(3, 13))
        f.write(f"{words[0] % 2}\t" + " ".join(f"w{w}" for w in words) + "\n")


def chunks(path, n_lines):
    """(texts, labels) of ``n_lines`` lines at a time, read lazily."""
    with open(path, encoding="utf-8") as f:
        while lines := list(itertools.islice(f, n_lines)):
            pairs = [line.rstrip("\n").split("\t", 1) for line in lines]
            yield [t for _, t in pairs], np.array([int(label) for label, _ in pairs])


clf = TextRNNClassifier(
    TextTokenizer(n_buckets=2**14), hidden_size=32, batch_size=500, random_state=0
)
stream = chunks(path, 5_000)
held_out = next(stream)
seen, scores = [], []
for texts, labels in stream:
    clf.partial_fit(texts, labels, classes=[0, 1])
    seen.append((seen[-1] if seen else 0) + len(texts))
    scores.append(clf.score(*held_out))
print(f"after {seen[-1]:,} documents: held-out accuracy {scores[-1]:.3f}")

# %%
# Held-out accuracy as the stream goes by.
if find_spec("matplotlib"):  # the figure needs matplotlib; the numbers above do not
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(seen, scores, marker="o")
    ax.set(xlabel="documents seen", ylabel="held-out accuracy", ylim=(0.4, 1.0))
    ax.set_title("partial_fit on a stream, one chunk at a time")
    fig.tight_layout()
    plt.show()
