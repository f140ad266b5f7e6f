"""
Training and validation curves from the history
===============================================

``history_`` records one dict per epoch. With ``early_stopping=True`` a stratified
``validation_fraction`` of the data is set aside, its loss and accuracy are recorded
after every epoch, and the model ends with the weights of the epoch with the lowest
validation loss.

On the tutorial's 58 sentences this shows why the default,
``early_stopping="auto"``, only sets data aside from 1,000 samples on: each
sentence pattern appears only a few times, so a held-out quarter is almost
unpredictable from the rest. The validation loss is lowest after the first epoch
and rises from there while the training loss falls, and the weights kept for it
are no better than chance on the test sentences, which the default fit (all 58
sentences, stopped by the training loss) gets all right.
"""

from importlib.util import find_spec

from sklearn_rnn import TextRNNClassifier
from sklearn_rnn.datasets import load_sentiment

X_train, y_train = load_sentiment(subset="train", return_X_y=True)
X_test, y_test = load_sentiment(subset="test", return_X_y=True)

clf = TextRNNClassifier(
    early_stopping=True,
    validation_fraction=0.25,
    n_iter_no_change=50,  # keep going, to draw the curves
    random_state=0,
).fit(X_train, y_train)
default = TextRNNClassifier(random_state=0).fit(X_train, y_train)

epochs = [r["epoch"] for r in clf.history_]
print(f"{clf.n_iter_} epochs; lowest validation loss at epoch {clf.best_epoch_}")
print(f"test accuracy with early stopping: {clf.score(X_test, y_test):.3f}")
print(f"test accuracy with the defaults: {default.score(X_test, y_test):.3f}")

# %%
# Training against validation
# ---------------------------
# Training loss against validation loss, and the two accuracies. The dashed line
# marks the epoch whose weights the model kept.
if find_spec("matplotlib"):  # the figure needs matplotlib; the numbers above do not
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [r["train_loss"] for r in clf.history_], label="training")
    left.plot(epochs, [r["valid_loss"] for r in clf.history_], label="validation")
    left.set(xlabel="epoch", ylabel="loss", yscale="log")
    right.plot(epochs, [r["train_accuracy"] for r in clf.history_], label="training")
    right.plot(epochs, [r["valid_score"] for r in clf.history_], label="validation")
    right.set(xlabel="epoch", ylabel="accuracy")
    for ax in (left, right):
        ax.axvline(
            clf.best_epoch_,
            color="grey",
            linestyle="--",
            label=f"weights kept (epoch {clf.best_epoch_})",
        )
        ax.legend()
    fig.suptitle("TextRNNClassifier on the tutorial sentences")
    fig.tight_layout()
    plt.show()
