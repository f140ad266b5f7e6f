"""
Exporting to ONNX and serving with ONNX Runtime
===============================================

:func:`~sklearn_rnn.to_onnx` writes a fitted estimator's whole prediction as an ONNX
graph, from the raw documents to the labels and probabilities: the tokenizer is
written with ONNX's string operators, so a server passes strings, as ``predict``
takes them. ONNX Runtime runs the file without sklearn_rnn or scikit-learn.

This example exports the tutorial's sentiment classifier, checks that ONNX Runtime
gives what ``predict_proba`` gives, writes the function a server would call, and
converts a scikit-learn ``Pipeline`` with skl2onnx. It needs the ``onnx`` extra:
``pip install "sklearn-rnn[onnx]"`` (onnx, onnxruntime and skl2onnx).
"""

import os
import shutil
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

from sklearn_rnn import TextRNNClassifier, to_onnx
from sklearn_rnn.datasets import load_sentiment

X_train, y_train = load_sentiment(subset="train", return_X_y=True)
X_test, _ = load_sentiment(subset="test", return_X_y=True)
clf = TextRNNClassifier(random_state=0).fit(X_train, y_train)

# %%
# Export
# ------
# ``to_onnx`` returns an ``onnx.ModelProto``; ``onnx.save`` writes it to a file.
folder = tempfile.mkdtemp()
path = os.path.join(folder, "sentiment.onnx")
onnx.save(to_onnx(clf), path)
print(f"ONNX file: {os.path.getsize(path) / 1024:.0f} KiB")

# %%
# Check
# -----
# The test sentences, and inputs a server will meet: an empty string, words the
# model never saw, a single word and upper-case text. The graph's input ``X`` is a
# 1-D array of strings. The model computes in float64, so the probabilities agree
# to float64 rounding.
session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
documents = X_test + [
    "",
    "zorglub quibbled flumox",
    "good",
    "THIS IS NOT BAD",
]
label, proba = session.run(None, {"X": np.array(documents, dtype=object)})
expected = clf.predict_proba(documents)
np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-9)
np.testing.assert_array_equal(label, clf.predict(documents))
print(f"largest difference: {np.abs(proba - expected).max():.1e}")
print(f"{'document':<26} {'predict_proba':>13} {'ONNX Runtime':>13}")
for i in [0, 1, -4, -3, -2, -1]:
    print(f"{documents[i]!r:<26} {expected[i, 1]:>13.6f} {proba[i, 1]:>13.6f}")

# %%
# Serving
# -------
# At serving time only onnxruntime and numpy are needed: the function below imports
# nothing from sklearn_rnn. The session is made once, when the server starts, and
# used for every request.
print("inputs: ", [(i.name, i.type, i.shape) for i in session.get_inputs()])
print("outputs:", [(o.name, o.type, o.shape) for o in session.get_outputs()])


def predict(texts):
    """Labels, and probabilities with columns in the order of ``classes_``, as
    lists (ready for JSON)."""
    label, proba = session.run(None, {"X": np.array(texts, dtype=object)})
    return label.tolist(), proba.tolist()


texts = ["this is not bad", "i am not happy"]
labels, probabilities = predict(texts)
for text, predicted, p in zip(texts, labels, probabilities, strict=True):
    print(f"{text!r}: label {predicted}, probabilities {np.round(p, 4).tolist()}")

# %%
# The file also records what the graph's input is, in its metadata: raw strings
# here (with ``text_input="ids"``, token ids and the vocabulary), and the reading
# rule (``max_len``, ``truncation``).
for prop in onnx.load(path).metadata_props:
    print(f"{prop.key} = {prop.value}")

# %%
# A pipeline, with skl2onnx
# -------------------------
# :func:`~sklearn_rnn.register_skl2onnx` teaches skl2onnx to convert the estimators,
# also as a step of a ``Pipeline``. skl2onnx declares documents as a column,
# ``[n, 1]``; ``zipmap=False`` keeps the probabilities an array (skl2onnx's default
# is a list of dictionaries).
import skl2onnx
from skl2onnx.common.data_types import StringTensorType
from sklearn.pipeline import make_pipeline

from sklearn_rnn import register_skl2onnx

register_skl2onnx()
pipe = make_pipeline(TextRNNClassifier(random_state=0)).fit(X_train, y_train)
pipe_onnx = skl2onnx.to_onnx(
    pipe,
    initial_types=[("text", StringTensorType([None, 1]))],
    options={TextRNNClassifier: {"zipmap": False}},
)
pipe_session = ort.InferenceSession(
    pipe_onnx.SerializeToString(), providers=["CPUExecutionProvider"]
)
column = np.array(documents, dtype=object).reshape(-1, 1)
pipe_label, pipe_proba = pipe_session.run(None, {"text": column})
np.testing.assert_allclose(pipe_proba, pipe.predict_proba(documents), rtol=0, atol=1e-9)
np.testing.assert_array_equal(pipe_label, pipe.predict(documents))
print("inputs: ", [(i.name, i.type, i.shape) for i in pipe_session.get_inputs()])
print("outputs:", [(o.name, o.type, o.shape) for o in pipe_session.get_outputs()])

# %%
# Numeric sequences in float32
# ----------------------------
# A model fitted on numeric sequences reads a float array ``[n, n_timesteps]`` (or
# ``[n, n_timesteps, n_features]``), shorter sequences padded at the end with NaN,
# in the model's dtype. Here the label says whether a random sequence sums above
# zero. float32 agrees to float32 rounding.
rng = np.random.default_rng(0)
sequences = rng.normal(size=(200, 12)).astype(np.float32)
lengths = rng.integers(3, 13, size=200)
sequences[np.arange(12) >= lengths[:, None]] = np.nan
labels = (np.nansum(sequences, axis=1) > 0).astype(int)
numeric = TextRNNClassifier(dtype="float32", random_state=0).fit(sequences, labels)
numeric_session = ort.InferenceSession(
    to_onnx(numeric).SerializeToString(), providers=["CPUExecutionProvider"]
)
numeric_label, numeric_proba = numeric_session.run(None, {"X": sequences})
np.testing.assert_allclose(
    numeric_proba, numeric.predict_proba(sequences), rtol=0, atol=1e-5
)
np.testing.assert_array_equal(numeric_label, numeric.predict(sequences))
difference = np.abs(numeric_proba - numeric.predict_proba(sequences)).max()
print(f"largest difference (float32): {difference:.1e}")
print("input:", [(i.name, i.type, i.shape) for i in numeric_session.get_inputs()])

# %%
# ``predict_proba`` and ONNX Runtime side by side
# -----------------------------------------------
# The probability of "positive" of each document above: the bars from
# ``predict_proba``, the marks from ONNX Runtime, at the bars' ends.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 7))
positions = np.arange(len(documents))
ax.barh(positions, expected[:, 1], 0.6, color="tab:blue", label="predict_proba")
ax.plot(
    proba[:, 1], positions, "|", color="tab:orange", ms=12, mew=3, label="ONNX Runtime"
)
ax.axvline(0.5, color="gray", linestyle=":")
ax.set_yticks(positions, [repr(d) for d in documents], fontsize=8)
ax.invert_yaxis()
ax.set(xlabel="P(positive)", xlim=(-0.02, 1.02))
ax.legend(loc="upper left", bbox_to_anchor=(0, -0.08), ncol=2, frameon=False)
fig.tight_layout()
plt.show()

# %%
# The session holds the model in memory; the file is no longer needed.
shutil.rmtree(folder)
