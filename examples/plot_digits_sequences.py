"""
Numeric sequences: digits read row by row
=========================================

scikit-learn's 8x8 digit images, read as sequences of 8 time steps (the rows) of 8
features (the pixels of a row): a 3-D array ``(n_samples, 8, 8)``. The recurrent
network sees one row at a time; ``MLPClassifier`` sees the 64 flat pixels at once.
For numeric input the default ``pooling="auto"`` classifies the element-wise
maximum of the hidden states.
"""

import time
from importlib.util import find_spec

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
# A few test digits with the network's prediction.
if find_spec("matplotlib"):  # the figure needs matplotlib; the numbers above do not
    import matplotlib.pyplot as plt

    rnn = models["TextRNNClassifier (rows as steps)"][0]
    predicted = rnn.predict(X_test[:8].reshape(-1, 8, 8))
    fig, axes = plt.subplots(1, 8, figsize=(9, 1.8))
    for ax, image, label in zip(axes, X_test[:8], predicted, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r")
        ax.set_title(f"predicted {label}", fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    plt.show()
