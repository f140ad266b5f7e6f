"""A recurrent neural network classifier in plain NumPy, behind the scikit-learn API."""

from ._classifier import TextRNNClassifier
from ._persistence import InconsistentVersionWarning
from ._tokenizer import TextTokenizer
from ._version import __version__

__all__ = [
    "InconsistentVersionWarning",
    "TextRNNClassifier",
    "TextTokenizer",
    "__version__",
]
