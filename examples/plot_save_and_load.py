"""
Saving and loading safely: joblib and skops
===========================================

joblib (or pickle) files can run arbitrary code when loaded: load them only from
sources you trust. skops' format loads without executing code, but a file's types
alone do not make it safe: the values decide what the model does with your data (a
tokenizer's regular expression can take time exponential in a word's length).
``sklearn_rnn.load_skops`` checks the types and the values, and refuses what it cannot
vouch for with an ``UntrustedModelError`` that names each problem.
"""

import os
import tempfile
from importlib.util import find_spec

import joblib
import numpy as np

from sklearn_rnn import TextRNNClassifier, UntrustedModelError, load_skops
from sklearn_rnn.datasets import load_sentiment

X, y = load_sentiment(subset="train", return_X_y=True)
X_test, _ = load_sentiment(subset="test", return_X_y=True)
clf = TextRNNClassifier(random_state=0).fit(X, y)
folder = tempfile.mkdtemp()

# %%
# joblib, for your own files (``compress`` is optional):
path = os.path.join(folder, "model.joblib")
joblib.dump(clf, path, compress=3)
print(f"joblib file: {os.path.getsize(path) / 1024:.0f} KiB")
assert np.array_equal(
    joblib.load(path).predict_proba(X_test), clf.predict_proba(X_test)
)

# %%
# skops, for files that cross a trust boundary:
if find_spec("skops"):  # pip install skops
    import skops.io as sio

    path = os.path.join(folder, "model.skops")
    sio.dump(clf, path)
    loaded = load_skops(path)
    same = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
    print(
        f"skops file: {os.path.getsize(path) / 1024:.0f} KiB, same predictions: {same}"
    )

    # %%
    # A file whose only change is its tokenizer's pattern has the same types, and
    # a type check would let it through. The loader refuses it, naming the pattern:
    tampered = joblib.load(os.path.join(folder, "model.joblib"))
    for tokenizer in (tampered.tokenizer_, tampered.tokenizer):
        if tokenizer is not None:
            tokenizer.set_params(token_pattern=r"(\w+)+$")
    sio.dump(tampered, path)
    try:
        load_skops(path)
    except UntrustedModelError as error:
        print(error)
