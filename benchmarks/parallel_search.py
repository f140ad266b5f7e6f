"""Does a parallel hyperparameter search use 2 cores without oversubscription?

Usage::

    python benchmarks/parallel_search.py

Times one ``GridSearchCV`` over ``TextRNNClassifier`` (text, 8 candidates x 3
folds on 2,000 generated documents) three ways: sequential, ``n_jobs=2`` (joblib's
process workers) and under ``joblib.parallel_backend("dask")`` with a 2-worker
``LocalCluster`` (started, and the package imported in its workers, before
timing). BLAS is not limited here: each fit limits its own BLAS to one thread below
hidden size 256 (``blas_threads="auto"``), which is what keeps two workers from
running 2 x n_cores BLAS threads.

The line under the table reports that limit as threadpoolctl reads it from the
BLAS library (``threadpool_info()``: the most threads a BLAS call may use, not how
many are busy), once outside ``fit`` and repeatedly while a plain public ``fit``
(hidden size 64, the search's 2,000 documents, 5 epochs) runs, read from a
second thread of the same process as often as it gets to run. The limit is
process-wide, so that thread sees what ``fit`` set. Reads that fall just before
``fit`` sets it or after it restores it see the outside value, so the most
frequent value is reported, with its share of the reads.
"""

import collections
import threading
import time
import warnings

import numpy as np
from _data import word_documents
from _tables import print_table


def data():
    """2,000 documents of 3-19 words, labelled by the parity of their first word."""
    docs, first, _ = word_documents(2000, 2000, 3, 19, rng=0)
    return docs, first % 2


def search():
    from sklearn.model_selection import GridSearchCV

    from sklearn_rnn import TextRNNClassifier

    grid = {"hidden_size": [16, 32, 64, 128], "pooling": ["mean", "max"]}
    estimator = TextRNNClassifier(max_iter=5, early_stopping=False, random_state=0)
    return GridSearchCV(estimator, grid, cv=3)


def blas_thread_limit():
    """The BLAS thread limit now: the largest over the BLAS libraries loaded."""
    from threadpoolctl import threadpool_info

    return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")


def blas_threads_inside_fit(interval=0.001):
    """(most frequent BLAS limit, its share of the reads, number of reads) while a
    fit runs; a second thread reads the limit every ``interval`` seconds at most."""
    from sklearn_rnn import TextRNNClassifier

    X, y = data()
    clf = TextRNNClassifier(hidden_size=64, max_iter=5, early_stopping=False)
    seen = collections.Counter()  # limit: number of reads
    done = threading.Event()

    def sample():
        while not done.is_set():
            seen[blas_thread_limit()] += 1
            done.wait(interval)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        clf.fit(X, y)
    finally:
        done.set()
        sampler.join()
    limit, count = seen.most_common(1)[0]
    return limit, count / seen.total(), seen.total()


def main():
    import joblib

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
    inside, share, n_reads = blas_threads_inside_fit()
    print(
        f"BLAS threads: {blas_thread_limit()} outside fit, {inside} inside a fit at "
        f"hidden size 64 (threadpoolctl's limit in {share:.0%} of {n_reads} "
        "reads while fit ran). Scores identical to sequential: "
        f"{all(same)}. Command: python benchmarks/parallel_search.py"
    )


if __name__ == "__main__":
    main()
