"""scikit-learn's estimator checks on every public estimator configuration."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import TextRNNClassifier

# Several checks fit with few epochs on purpose; running out of max_iter is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@parametrize_with_checks(
    [
        TextRNNClassifier(),
        TextRNNClassifier(solver="sgd"),
        TextRNNClassifier(clip_value=1.0, clip_norm=None, hidden_size=16),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
