"""
Negations: the tutorial's sentiment sentences
=============================================

The tutorial this package started from trains a vanilla RNN on 58 short sentences
such as "i am not at all bad" and tests it on 20 others. Word order matters there:
"good not bad" and "bad not good" contain the same words, so a bag-of-words model
cannot tell them apart, while a recurrent model reads the negation before the word it
negates.

This example trains :class:`~sklearn_rnn.TextRNNClassifier` with default parameters,
compares it with logistic regression on word counts, and plots the training loss.
"""

from importlib.util import find_spec

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
# The training loss per epoch; training stops once it improves by less than ``tol``
# for ``n_iter_no_change`` epochs.
if find_spec("matplotlib"):  # the figure needs matplotlib; the numbers above do not
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, rnn.n_iter_ + 1), rnn.loss_curve_)
    ax.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax.set_title("TextRNNClassifier on the tutorial sentences")
    fig.tight_layout()
    plt.show()
