"""A recurrent neural network classifier in plain NumPy, behind the scikit-learn API."""

from ._classifier import TextRNNClassifier
from ._persistence import InconsistentVersionWarning, _skops_trusted_types
from ._tokenizer import TextTokenizer
from ._version import __version__

#: The types a ``skops.io`` file of a fitted model of this package may contain
#: beyond what skops trusts by default: this package's own classes, and nothing
#: else (no functions, no object arrays). Pass the types skops reports to
#: ``skops.io.load(..., trusted=...)`` only if they are all in this tuple.
SKOPS_TRUSTED_TYPES = _skops_trusted_types()

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "InconsistentVersionWarning",
    "TextRNNClassifier",
    "TextTokenizer",
    "__version__",
]
