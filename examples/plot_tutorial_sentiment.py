"""
Negations: the tutorial's sentiment sentences
=============================================

The tutorial this package started from trains a vanilla RNN on 58 short sentences
such as "i am not at all bad" and tests it on 20 others. Word order matters there:
"good not bad" and "bad not good" contain the same words, so a bag-of-words model
cannot tell them apart, while a recurrent model reads the negation before the word it
negates.

This example trains :class:`~sklearn_rnn.TextRNNClassifier` with default parameters,
compares it with logistic regression on word counts, and plots what each predicts
for sentences that differ only by a negation or by word order.
"""

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_rnn import TextRNNClassifier
from sklearn_rnn.datasets import load_sentiment

X_train, y_train = load_sentiment(subset="train", return_X_y=True)
X_test, y_test = load_sentiment(subset="test", return_X_y=True)

rnn = TextRNNClassifier(random_state=0).fit(X_train, y_train)
bow = make_pipeline(
    CountVectorizer(token_pattern=r"(?u)\b\w+\b"), LogisticRegression()
).fit(X_train, y_train)

print(f"RNN, {rnn.n_iter_} epochs: test accuracy {rnn.score(X_test, y_test):.3f}")
print(f"Bag of words + logistic regression: {bow.score(X_test, y_test):.3f}")

for text in ["this is good not bad", "this is bad not good"]:
    p_rnn = rnn.predict_proba([text])[0, 1]
    p_bow = bow.predict_proba([text])[0, 1]
    print(f"P(positive | {text!r}): RNN {p_rnn:.3f}, bag of words {p_bow:.3f}")

# %%
# Negation and word order
# -----------------------
# The probability of "positive" each model gives to sentences that differ only by a
# negation, or only by the order of the same words. The bag of words gives "good
# not bad" and "bad not good" the same probability, since they hold the same
# words; the recurrent network reads which word the negation comes before.
import matplotlib.pyplot as plt
import numpy as np

sentences = [
    "this is good",
    "this is not good",
    "this is bad",
    "this is not bad",
    "good not bad",
    "bad not good",
]
models = {"TextRNNClassifier": rnn, "bag of words + logistic regression": bow}
fig, ax = plt.subplots(figsize=(7, 3.8))
height = 0.38
positions = np.arange(len(sentences))
for i, (name, model) in enumerate(models.items()):
    proba = model.predict_proba(sentences)[:, 1]
    bars = ax.barh(positions + (i - 0.5) * height, proba, height, label=name)
    ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)  # shows a bar at 0.00
ax.axvline(0.5, color="gray", linestyle=":")
ax.text(0.5, -0.75, "undecided", ha="center", fontsize=8, color="gray")
ax.set_yticks(positions, [repr(s) for s in sentences])
ax.invert_yaxis()
ax.set(xlabel="P(positive)", xlim=(0, 1.08))
ax.legend(loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2, frameon=False)
fig.tight_layout()
plt.show()
