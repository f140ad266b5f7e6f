"""
Numeric sequences: digits read row by row
=========================================

scikit-learn's 8x8 digit images, read as sequences of 8 time steps (the rows) of 8
features (the pixels of a row): a 3-D array ``(n_samples, 8, 8)``. The recurrent
network sees one row at a time; ``MLPClassifier`` sees the 64 flat pixels at once.
For numeric input the default ``pooling="auto"`` classifies the last hidden
state, the mean and the element-wise maximum of the hidden states, side by side
("last+mean+max"). The two end close (on this split and seed the MLP a little
ahead; over seeds and beside torch and Keras, see the documentation's page on
choosing hyperparameters); the plots show what reading row by row gives
besides: a prediction after every row, and where the network errs.
"""

import time
from importlib.util import find_spec

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sklearn_rnn import TextRNNClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.25, random_state=0, stratify=y
)

models = {
    "TextRNNClassifier (rows as steps)": (
        TextRNNClassifier(random_state=0),
        lambda A: A.reshape(-1, 8, 8),
    ),
    "MLPClassifier (flat pixels)": (
        MLPClassifier(random_state=0, max_iter=1000),
        lambda A: A,
    ),
}
accuracy = {}
for name, (model, view) in models.items():
    start = time.perf_counter()
    model.fit(view(X_train), y_train)
    seconds = time.perf_counter() - start
    accuracy[name] = model.score(view(X_test), y_test)
    print(f"{name}: test accuracy {accuracy[name]:.3f}, fit {seconds:.1f} s")

# %%
# Reading row by row
# ------------------
# Both models end close. What the sequence model adds is a prediction after every
# row: ``predict_proba_per_step`` gives the class the network would pick had the
# image ended after row ``k``. The network never saw a partial digit in training,
# so these are not good classifiers of half digits; they show when, reading from the
# top, the rows that tell the ten digits apart arrive. After the top half the
# network is little better than guessing; the last rows decide.
rnn = models["TextRNNClassifier (rows as steps)"][0]
per_row = np.stack(rnn.predict_proba_per_step(X_test.reshape(-1, 8, 8)))
predicted_after = rnn.classes_[per_row.argmax(axis=2)]  # (n_samples, 8)
accuracy_after = (predicted_after == y_test[:, None]).mean(axis=0)
print("test accuracy after reading k rows:")
print(" ".join(f"{k}: {a:.2f}" for k, a in enumerate(accuracy_after, start=1)))

if find_spec("matplotlib"):  # the figure needs matplotlib; the numbers above do not
    import matplotlib.pyplot as plt

    sample = 0
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1.6, 1]}
    )
    rows = np.arange(1, 9)
    left.plot(rows, accuracy_after, marker="o", label="TextRNNClassifier, first k rows")
    left.axhline(
        accuracy["MLPClassifier (flat pixels)"],
        color="tab:orange",
        linestyle="--",
        label="MLPClassifier, all 64 pixels",
    )
    left.axhline(0.1, color="grey", linestyle=":", label="guessing (10 classes)")
    left.set(xlabel="rows read (k)", ylabel="test accuracy", ylim=(0, 1.05))
    left.legend(loc="upper left", fontsize=8)
    # One test digit with, beside each row, the class predicted after reading it.
    right.imshow(X_test[sample].reshape(8, 8), cmap="gray_r")
    right.set_yticks(range(8), [f"row {k}" for k in rows], fontsize=8)
    right.set_xticks([])
    for k in range(8):
        p = per_row[sample, k].max()
        right.text(8, k, f"→ {predicted_after[sample, k]} ({p:.2f})", va="center")
    right.set_title(f"a test {y_test[sample]}: predicted after each row", fontsize=9)
    fig.tight_layout()
    plt.show()

# %%
# The test digits the network gets wrong
# --------------------------------------
# Each with its true class and the network's prediction after the last row; several
# are digits a person would hesitate over too.
wrong = np.flatnonzero(predicted_after[:, -1] != y_test)
print(f"{len(wrong)} of {len(y_test)} test digits misclassified")
if find_spec("matplotlib") and len(wrong):
    fig, axes = plt.subplots(1, len(wrong), figsize=(1.1 * len(wrong), 1.8))
    for ax, i in zip(np.atleast_1d(axes), wrong, strict=True):
        ax.imshow(X_test[i].reshape(8, 8), cmap="gray_r")
        ax.set_title(
            f"true {y_test[i]}\npredicted {predicted_after[i, -1]}", fontsize=8
        )
        ax.axis("off")
    fig.tight_layout()
    plt.show()
