"""
Grid search over the network and its tokenizer
==============================================

``TextRNNClassifier`` is a scikit-learn estimator, so ``GridSearchCV`` searches its
parameters and, through the double underscore, those of its tokenizer. Here: the
hidden size, and whether words seen in only one training sentence are kept
(``tokenizer__min_df``) on the tutorial's sentences, with 3-fold cross-validation.
"""

from importlib.util import find_spec

import numpy as np
from sklearn.model_selection import GridSearchCV

from sklearn_rnn import TextRNNClassifier, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

X, y = load_sentiment(subset="train", return_X_y=True)
X_test, y_test = load_sentiment(subset="test", return_X_y=True)

grid = {"hidden_size": [32, 64, 128], "tokenizer__min_df": [1, 2]}
search = GridSearchCV(
    TextRNNClassifier(TextTokenizer(), max_iter=400, random_state=0), grid, cv=3
).fit(X, y)
print(f"best: {search.best_params_}, cross-validated accuracy {search.best_score_:.3f}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
# Mean cross-validated accuracy for each combination.
if find_spec("matplotlib"):  # the figure needs matplotlib; the numbers above do not
    import matplotlib.pyplot as plt

    scores = search.cv_results_["mean_test_score"].reshape(
        len(grid["hidden_size"]), len(grid["tokenizer__min_df"])
    )
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    width = 0.35
    positions = np.arange(len(grid["hidden_size"]))
    for i, min_df in enumerate(grid["tokenizer__min_df"]):
        ax.bar(positions + i * width, scores[:, i], width, label=f"min_df={min_df}")
    ax.set_xticks(positions + width / 2, [str(h) for h in grid["hidden_size"]])
    ax.set(xlabel="hidden_size", ylabel="mean CV accuracy", ylim=(0, 1.05))
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.show()
