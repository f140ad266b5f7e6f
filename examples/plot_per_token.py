"""
Per-token probabilities: watching a negation
============================================

:meth:`~sklearn_rnn.TextRNNClassifier.predict_proba_per_step` gives, for each token
of a document, the probability the model would output if the document ended there.
On the tutorial's sentences this shows "not" at work: the same word moves the
prediction one way alone and the other way after a negation.

These are predictions for shorter inputs, not an attribution: the change at a token
is not that token's share of the final prediction.
"""

from importlib.util import find_spec

import numpy as np

from sklearn_rnn import TextRNNClassifier
from sklearn_rnn.datasets import load_sentiment

X_train, y_train = load_sentiment(subset="train", return_X_y=True)
clf = TextRNNClassifier(random_state=0).fit(X_train, y_train)

sentences = [
    "i am good",
    "i am not good",
    "this is not at all bad",
    "this is very sad",
    "this is not sad",
]
steps = clf.predict_proba_per_step(sentences)
for sentence, proba in zip(sentences, steps, strict=True):
    trace = ", ".join(
        f"{word} {p:.2f}" for word, p in zip(sentence.split(), proba[:, 1], strict=True)
    )
    print(f"P(positive) after each word: {trace}")

# %%
# The same numbers as a heatmap: one row per sentence, one cell per word, the colour
# the probability of "positive" had the sentence ended at that word.
if find_spec("matplotlib"):  # the numbers above are the result; the plot is optional
    import matplotlib.pyplot as plt

    width = max(len(s.split()) for s in sentences)
    grid = np.full((len(sentences), width), np.nan)
    for row, proba in enumerate(steps):
        grid[row, : len(proba)] = proba[:, 1]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    image = ax.imshow(grid, cmap="coolwarm_r", vmin=0, vmax=1, aspect="auto")
    for row, sentence in enumerate(sentences):
        for col, word in enumerate(sentence.split()):
            ax.text(col, row, word, ha="center", va="center", fontsize=9)
    ax.set_yticks(range(len(sentences)), [f"sentence {i + 1}" for i in range(5)])
    ax.set_xticks([])
    fig.colorbar(image, ax=ax, label="P(positive) if the text ended here")
    ax.set_title("Per-token probabilities")
    fig.tight_layout()
    plt.show()
