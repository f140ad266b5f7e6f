"""A recurrent neural network in plain NumPy, behind the scikit-learn API."""

from ._classifier import TextRNNClassifier
from ._onnx import register_skl2onnx, to_onnx
from ._persistence import (
    SKOPS_TRUSTED_TYPES,
    InconsistentVersionWarning,
    UntrustedModelError,
    load_skops,
)
from ._regressor import TextRNNRegressor
from ._tokenizer import TextTokenizer
from ._version import __version__

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "InconsistentVersionWarning",
    "TextRNNClassifier",
    "TextRNNRegressor",
    "TextTokenizer",
    "UntrustedModelError",
    "__version__",
    "load_skops",
    "register_skl2onnx",
    "to_onnx",
]
