"""Hyperparameter search on a Dask cluster gives exactly the sequential results."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

from sklearn_rnn import TextRNNClassifier, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes on the loopback interface."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def make_searches():
    X, y = load_sentiment(return_X_y=True)
    estimator = TextRNNClassifier(TextTokenizer(), max_iter=20, random_state=0)
    grid = GridSearchCV(
        estimator, {"hidden_size": [8, 16], "tokenizer__min_df": [1, 2]}, cv=3
    )
    randomized = RandomizedSearchCV(
        estimator,
        {"hidden_size": [4, 8, 16], "pooling": ["mean", "last", "max"]},
        n_iter=4,
        cv=3,
        random_state=0,
    )
    return (X, y), [grid, randomized]


def test_search_under_dask_equals_sequential(client):
    (X, y), searches = make_searches()
    sequential = [s.fit(X, y) for s in searches]
    (X, y), searches = make_searches()
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        on_dask = [s.fit(X, y) for s in searches]
    # The fits really ran as tasks on the cluster's two workers.
    workers = {task["worker"] for task in stream.data}
    assert stream.data and len(workers) == 2
    for seq, par in zip(sequential, on_dask, strict=True):
        assert [p for p in seq.cv_results_["params"]] == list(par.cv_results_["params"])
        for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
            np.testing.assert_array_equal(seq.cv_results_[key], par.cv_results_[key])
        assert seq.best_params_ == par.best_params_
        np.testing.assert_array_equal(
            seq.best_estimator_.recurrent_weights_,
            par.best_estimator_.recurrent_weights_,
        )
