"""A recurrent neural network in plain NumPy, behind the scikit-learn API."""

from ._classifier import TextRNNClassifier
from ._optimizers import SGD, Adam, _FlatState
from ._persistence import InconsistentVersionWarning
from ._regressor import TextRNNRegressor
from ._tokenizer import TextTokenizer
from ._version import __version__

#: The types a ``skops.io`` file of a fitted model of this package may contain
#: beyond what skops trusts by default: this package's own classes, and nothing
#: else (no functions, no object arrays). Pass the types skops reports to
#: ``skops.io.load(..., trusted=...)`` only if they are all in this tuple.
SKOPS_TRUSTED_TYPES = tuple(
    f"{cls.__module__}.{cls.__qualname__}"
    for cls in (
        TextRNNClassifier,
        TextRNNRegressor,
        TextTokenizer,
        Adam,
        SGD,
        _FlatState,
    )
)

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "InconsistentVersionWarning",
    "TextRNNClassifier",
    "TextRNNRegressor",
    "TextTokenizer",
    "__version__",
]
