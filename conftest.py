"""Test-session settings shared by tests/ and the doctests in sklearn_rnn/."""

import os

# scikit-learn's array-API check is skipped unless this is set when it runs.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

from threadpoolctl import threadpool_limits  # noqa: E402

# The suite runs hundreds of tiny fits; multi-threaded BLAS makes tiny matrix products
# slower than one thread, so every test runs with one BLAS thread.
_blas_limit = threadpool_limits(limits=1, user_api="blas")
