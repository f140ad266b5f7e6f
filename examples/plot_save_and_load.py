"""
Saving and loading safely: joblib and skops
===========================================

joblib (or pickle) files can run arbitrary code when loaded: load them only from
sources you trust. skops' format loads without executing code and reports the types
a file contains that it does not trust by default; for a model of this package those
are only this package's own classes, listed in ``sklearn_rnn.SKOPS_TRUSTED_TYPES``.
Check the report against that list, then trust exactly what it reported.
"""

import os
import tempfile
from importlib.util import find_spec

import joblib
import numpy as np

from sklearn_rnn import SKOPS_TRUSTED_TYPES, TextRNNClassifier
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
    untrusted = sio.get_untrusted_types(file=path)
    print("types to trust:", untrusted)
    unexpected = set(untrusted) - set(SKOPS_TRUSTED_TYPES)
    if unexpected:
        raise ValueError(f"refusing to load: unexpected types {sorted(unexpected)}")
    loaded = sio.load(path, trusted=untrusted)
    same = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
    print(
        f"skops file: {os.path.getsize(path) / 1024:.0f} KiB, same predictions: {same}"
    )
