"""A recurrent neural network classifier in plain NumPy, behind the scikit-learn API."""

from ._classifier import TextRNNClassifier
from ._tokenizer import TextTokenizer

__version__ = "0.1.0.dev0"

__all__ = ["TextRNNClassifier", "TextTokenizer", "__version__"]
