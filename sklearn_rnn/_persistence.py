"""Version stamps on pickled estimators, and the warning when they disagree."""

from ._version import __version__
from ._warnings import warn

# The key under which a pickled estimator's state records the package version.
_VERSION_KEY = "_sklearn_rnn_version"


class InconsistentVersionWarning(UserWarning):
    """A pickled estimator was saved by a different version of sklearn_rnn.

    Loading it may work, or give different predictions, or fail later: the
    attributes and the arithmetic of a fitted model can change between versions.
    Refit the model with the installed version, or install the version it was
    saved with (``original_version``).

    Attributes
    ----------
    estimator_name : str
    current_version : str
        The installed version of sklearn_rnn.
    original_version : str
        The version that pickled the estimator ("unknown" for a pickle without a
        version stamp).

    Examples
    --------
    >>> import warnings
    >>> from sklearn_rnn import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning(
    ...     estimator_name="TextRNNClassifier",
    ...     current_version="0.2.0",
    ...     original_version="0.1.0",
    ... )
    >>> warning.original_version
    '0.1.0'
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", InconsistentVersionWarning)
    ...     # e.g. around joblib.load(path), to refuse models of another version
    ...     pass
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version
        super().__init__(
            f"Loading a {estimator_name} pickled by sklearn_rnn "
            f"{original_version} into sklearn_rnn {current_version}. The model may "
            "predict differently or fail. Refit it with the installed version, or "
            f"install sklearn_rnn {original_version} to use it as it was."
        )


class VersionedStateMixin:
    """Record the package version in pickles and warn on loading another's.

    As scikit-learn does for its own estimators (whose stamp only covers modules
    named ``sklearn.*``).
    """

    def __getstate__(self):
        state = super().__getstate__()
        # A copy: the estimator's own __dict__ must not gain the key.
        return {**state, _VERSION_KEY: __version__}

    def __setstate__(self, state):
        state = dict(state)
        original = state.pop(_VERSION_KEY, "unknown")
        if original != __version__:
            warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=original,
                )
            )
        super().__setstate__(state)
