"""Does a parallel hyperparameter search use 2 cores without oversubscription?

Usage::

    python benchmarks/parallel_search.py

Times one ``GridSearchCV`` over ``TextRNNClassifier`` (text, 8 candidates x 3
folds on 2,000 generated documents) three ways: sequential, ``n_jobs=2`` (joblib's
process workers) and under ``joblib.parallel_backend("dask")`` with a 2-worker
``LocalCluster`` (started, and the package imported in its workers, before
timing). BLAS is not limited here: each fit limits its own BLAS to one thread below
hidden size 256 (``blas_threads="auto"``), which is what keeps two workers from
running 2 x n_cores BLAS threads. The table also reports the BLAS threads a fit
runs with, read by threadpoolctl inside ``fit``.
"""

import time
import warnings

import numpy as np
from _tables import print_table


def data():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 20, size=2000)
    words = rng.integers(0, 2000, size=int(lengths.sum()))
    ends = np.cumsum(lengths)
    docs = [
        " ".join(f"w{w}" for w in words[e - n : e])
        for e, n in zip(ends, lengths, strict=True)
    ]
    return docs, words[ends - lengths] % 2


def search():
    from sklearn.model_selection import GridSearchCV

    from sklearn_rnn import TextRNNClassifier

    grid = {"hidden_size": [16, 32, 64, 128], "pooling": ["mean", "max"]}
    estimator = TextRNNClassifier(max_iter=5, early_stopping=False, random_state=0)
    return GridSearchCV(estimator, grid, cv=3)


def blas_threads_inside_fit():
    from threadpoolctl import threadpool_info

    from sklearn_rnn import TextRNNClassifier

    seen = []

    class Probe(TextRNNClassifier):
        def _run_epoch(self, *args, **kwargs):
            info = threadpool_info()
            seen.append(max(p["num_threads"] for p in info if p["user_api"] == "blas"))
            return super()._run_epoch(*args, **kwargs)

    X, y = data()
    Probe(hidden_size=64, max_iter=1).fit(X[:200], y[:200])
    return seen[0]


def main():
    import joblib
    from threadpoolctl import threadpool_info

    warnings.simplefilter("ignore")
    X, y = data()
    rows = []
    start = time.perf_counter()
    sequential = search().fit(X, y)
    rows.append(("sequential", f"{time.perf_counter() - start:.1f}"))
    start = time.perf_counter()
    parallel = search().set_params(n_jobs=2).fit(X, y)
    rows.append(("n_jobs=2 (joblib processes)", f"{time.perf_counter() - start:.1f}"))
    same = [
        np.array_equal(
            sequential.cv_results_["mean_test_score"],
            parallel.cv_results_["mean_test_score"],
        )
    ]
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        rows.append(("dask, 2 workers", "n/a (pip install dask[distributed])"))
    else:
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            # Workers import the package on their first task; the sequential run's
            # process has done that already, so do it before timing.
            client.run(lambda: __import__("sklearn_rnn"))
            start = time.perf_counter()
            with joblib.parallel_backend("dask"):
                on_dask = search().fit(X, y)
            rows.append(("dask, 2 workers", f"{time.perf_counter() - start:.1f}"))
        same.append(
            np.array_equal(
                sequential.cv_results_["mean_test_score"],
                on_dask.cv_results_["mean_test_score"],
            )
        )
    print("## GridSearchCV, 8 candidates x 3 folds, 2,000 documents\n")
    print_table(["run", "seconds"], rows)
    info = threadpool_info()
    outside = max(p["num_threads"] for p in info if p["user_api"] == "blas")
    print(
        f"BLAS threads: {outside} outside fit, {blas_threads_inside_fit()} inside "
        "a fit at hidden size 64. Scores identical to sequential: "
        f"{all(same)}. Command: python benchmarks/parallel_search.py"
    )


if __name__ == "__main__":
    main()
