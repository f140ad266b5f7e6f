"""n_jobs: shards computed by worker processes give the model one process gives."""

import os
import threading

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import cross_validate
from threadpoolctl import threadpool_info

from sklearn_rnn import (
    TextRNNClassifier,
    TextRNNRegressor,
    _optimizers,
    _parallel,
    _rnn,
)
from sklearn_rnn._sequences import pack

# Short fits are not meant to converge. (The mark is written here rather than
# imported from conftest: joblib's workers import this module, where the
# name conftest is the root one.)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def documents(n, seed=0):
    rng = np.random.default_rng(seed)
    X = [
        " ".join(f"w{i}" for i in rng.integers(0, 200, rng.integers(1, 40)))
        for _ in range(n)
    ]
    y = np.array([int("w1" in d.split()[:6]) for d in X])
    return X, y


def weights(model):
    return model._params()


def assert_same_model(a, b):
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)
    assert a.loss_curve_ == b.loss_curve_


# hidden_size x batch_size large enough for 2 to 8 shards per batch.
CASES = {
    "text": ({}, None),
    "dropout": ({"input_dropout": 0.2, "dropout": 0.3}, None),
    "float32": ({"dtype": "float32"}, None),
    "stacked bidirectional": ({"num_layers": 2, "bidirectional": True}, None),
    "sample weights": ({}, "weights"),
    "sgd": ({"solver": "sgd", "alpha": 0.01}, None),
}


@pytest.mark.parametrize("case", CASES)
def test_two_workers_train_the_model_one_process_trains(case):
    options, weighted = CASES[case]
    X, y = documents(300)
    sample_weight = None
    if weighted:
        sample_weight = np.random.default_rng(1).uniform(0.2, 2.0, size=len(y))
    kwargs = {"hidden_size": 64, "batch_size": 256, "max_iter": 3, **options}
    models = [
        TextRNNClassifier(random_state=0, n_jobs=n_jobs, **kwargs).fit(
            X, y, sample_weight=sample_weight
        )
        for n_jobs in (1, 2)
    ]
    # The batches really were sharded.
    assert _parallel.shard_count(256, 64) >= 2
    assert_same_model(*models)


def test_numeric_regression_is_the_same_with_workers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12, 3))
    y = X[:, :, 0].sum(axis=1)
    kwargs = {"hidden_size": 64, "batch_size": 200, "max_iter": 3, "random_state": 0}
    models = [TextRNNRegressor(n_jobs=n, **kwargs).fit(X, y) for n in (1, 2)]
    assert_same_model(*models)


def test_sharded_gradients_equal_the_whole_batch_up_to_rounding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 30, size=64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = rng.integers(0, 5000, size=offsets[-1])
    y = rng.integers(0, 3, size=64)
    w = rng.uniform(0.5, 2.0, size=64)
    params = _rnn.init_params(
        np.random.RandomState(0), 5000, 32, 3, token_input=True, pooling="last+mean+max"
    )
    spec = {"loss": "log_loss", "pooling": "last+mean+max", "frozen": ()}
    whole = _rnn.loss_and_gradients(
        params, pack(values, offsets, np.arange(64)), y, w, 0.1, sparse=True, **spec
    )
    with _parallel.Shards(params, (values, offsets), spec, 1) as shards:
        batch = _parallel.ShardedBatch(
            shards, np.arange(64), _parallel.split(lengths, 4)
        )
        sharded = batch.loss_and_gradients(y, w, 0.1, None)
    assert sharded[0] == pytest.approx(whole[0], rel=1e-12)
    np.testing.assert_allclose(sharded[2], whole[2], rtol=1e-12)
    for name in whole[1]:
        np.testing.assert_allclose(
            np.asarray(sharded[1][name]),
            np.asarray(whole[1][name]),
            rtol=1e-10,
            atol=1e-15,
            err_msg=name,
        )


def test_shards_depend_on_the_batch_only_and_balance_the_work():
    assert _parallel.shard_count(10, 64) == 1
    for n, hidden in [(64, 128), (200, 64), (128, 256), (5000, 512)]:
        count = _parallel.shard_count(n, hidden)
        assert 1 <= count <= _parallel.MAX_SHARDS
        assert count & (count - 1) == 0  # a power of two
    lengths = np.random.default_rng(0).integers(1, 500, size=101)
    parts = _parallel.split(lengths, 4)
    assert sorted(np.concatenate(parts)) == list(range(101))
    work = [lengths[p].sum() for p in parts]
    assert max(work) - min(work) <= lengths.max()


def test_threaded_optimizer_steps_are_identical():
    rng = np.random.default_rng(0)
    params = {"W_xh": rng.normal(size=(3000, 64)), "b_h": rng.normal(size=64)}
    grads_rows = rng.integers(0, 3000, size=500)

    def grads():
        sparse = _rnn._token_gradient(
            params["W_xh"], grads_rows, np.ones((500, 64)) * 0.01
        )
        sparse.decay = 0.001
        return {"W_xh": sparse, "b_h": np.full(64, 0.1)}

    results = []
    for threads in (None, _optimizers.Threads(2)):
        p = {k: v.copy() for k, v in params.items()}
        adam = _optimizers.Adam(p, 0.01)
        for _ in range(3):
            g = grads()
            norm = _optimizers.clip_gradients(g, clip_norm=0.5)
            adam.step(p, g, threads=threads)
        results.append((p, norm))
    for name in params:
        np.testing.assert_array_equal(results[0][0][name], results[1][0][name])
    assert results[0][1] == results[1][1]


def test_parallel_config_sets_the_workers_of_n_jobs_none():
    clf = TextRNNClassifier()
    assert clf._n_workers() == 1
    with parallel_config(n_jobs=2):
        assert clf._n_workers() == 2
    assert TextRNNClassifier(n_jobs=-1)._n_workers() >= 1
    assert TextRNNClassifier(n_jobs=100)._n_workers() == _parallel.MAX_SHARDS
    clf = TextRNNClassifier(n_jobs=0)
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        clf.fit(["good", "bad"], [1, 0])
    assert not hasattr(clf, "classes_")


class _Recording(TextRNNClassifier):
    """Records, at fit, the workers it would use and the BLAS threads."""

    def fit(self, X, y):
        workers = self._n_workers()
        blas = max(
            (i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
            default=1,
        )
        super().fit(X, y)  # publishes a whole new state: record after it
        self.seen_workers_, self.seen_blas_ = workers, blas
        return self


def test_no_oversubscription_inside_a_parallel_search():
    X, y = documents(60)
    clf = _Recording(n_jobs=2, hidden_size=8, max_iter=2)
    result = cross_validate(clf, X, y, cv=2, n_jobs=2, return_estimator=True)
    for fitted in result["estimator"]:
        # Inside the search's workers: one process, and joblib's thread budget.
        assert fitted.seen_workers_ == 1
        assert fitted.seen_blas_ * fitted.seen_workers_ <= 2


def test_concurrent_fits_in_threads_give_their_own_models():
    X, y = documents(300)
    kwargs = {"hidden_size": 64, "batch_size": 256, "max_iter": 2, "n_jobs": 2}
    expected = [TextRNNClassifier(random_state=s, **kwargs).fit(X, y) for s in range(2)]
    got = [TextRNNClassifier(random_state=s, **kwargs) for s in range(2)]
    threads = [threading.Thread(target=m.fit, args=(X, y)) for m in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(expected, got, strict=True):
        assert_same_model(a, b)


def test_an_error_in_training_stops_busy_workers_and_the_next_fit_works(monkeypatch):
    X, y = documents(300)
    kwargs = {"hidden_size": 64, "batch_size": 256, "max_iter": 2, "random_state": 0}
    reference = TextRNNClassifier(n_jobs=1, **kwargs).fit(X, y)

    def fail(*args, **kw):
        raise KeyboardInterrupt  # as Ctrl-C would, while a worker is busy

    monkeypatch.setattr(_parallel, "_block", fail)
    clf = TextRNNClassifier(n_jobs=2, **kwargs)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    monkeypatch.undo()
    assert not hasattr(clf, "tokenizer_")  # nothing half-fitted
    assert all(w.busy == 0 and w.alive() for w in _parallel._POOL.idle)
    assert_same_model(reference, clf.fit(X, y))


def test_without_worker_support_one_process_trains_with_a_warning(monkeypatch):
    import sklearn_rnn._base

    monkeypatch.setattr(sklearn_rnn._base, "WORKERS_SUPPORTED", False)
    with pytest.warns(UserWarning, match="need a POSIX system"):
        assert TextRNNClassifier(n_jobs=2)._n_workers() == 1


def test_prediction_in_threads_gives_the_same_outputs():
    from sklearn_rnn._training import PREDICT_CHUNK

    X, y = documents(200)
    clf = TextRNNClassifier(hidden_size=128, max_iter=2, random_state=0).fit(X, y)
    X_big, _ = documents(2 * PREDICT_CHUNK + 10, seed=1)
    one = clf.predict_proba(X_big)
    clf.set_params(n_jobs=2)
    np.testing.assert_array_equal(clf.predict_proba(X_big), one)
    np.testing.assert_array_equal(
        clf.transform(X_big), clf.set_params(n_jobs=1).transform(X_big)
    )
    per_step = clf.set_params(n_jobs=2).predict_proba_per_step(X_big)
    assert len(per_step) == len(X_big)
    expected = clf.set_params(n_jobs=1).predict_proba_per_step(X_big)
    for a, b in zip(per_step, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    clf.set_params(n_jobs="two")
    with pytest.raises(ValueError, match="n_jobs"):
        clf.predict(X_big[:3])


def test_a_worker_that_dies_fails_the_fit_clearly_and_changes_nothing(monkeypatch):
    X, y = documents(300)
    kwargs = {"hidden_size": 64, "batch_size": 256, "max_iter": 2, "random_state": 0}
    clf = TextRNNClassifier(n_jobs=1, **kwargs).fit(X, y)
    before = clf.predict_proba(X)
    share = _parallel.Shards._share

    def share_then_kill(self):
        share(self)
        for worker in self.workers:
            worker.process.kill()
            worker.process.wait()

    monkeypatch.setattr(_parallel.Shards, "_share", share_then_kill)
    with pytest.raises(RuntimeError, match="worker process of n_jobs ended"):
        clf.set_params(n_jobs=2).fit(X, y)
    monkeypatch.undo()
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    # The dead worker is not kept: the next fit starts a new one.
    assert all(w.alive() for w in _parallel._POOL.idle)
    clf.fit(X, y)


def test_no_worker_starts_for_batches_too_small_to_share(monkeypatch):
    taken = []
    take = _parallel._POOL.take

    def record(n):
        taken.append(n)
        return take(n)

    monkeypatch.setattr(_parallel._POOL, "take", record)
    X, y = documents(300)
    TextRNNClassifier(hidden_size=8, batch_size=32, max_iter=1, n_jobs=4).fit(X, y)
    assert taken == []  # one shard per batch: this process alone
    TextRNNClassifier(hidden_size=32, batch_size=256, max_iter=1, n_jobs=4).fit(X, y)
    assert taken == [1]  # at most 2 shards: one worker besides this process


def test_without_room_for_shared_files_one_process_trains_the_same_model(
    monkeypatch,
):
    X, y = documents(300)
    kwargs = {"hidden_size": 64, "batch_size": 256, "max_iter": 2, "random_state": 0}
    reference = TextRNNClassifier(**kwargs).fit(X, y)

    def no_room(self, needed):
        raise _parallel._NoRoom("/dev/shm has 1 MiB free")

    monkeypatch.setattr(_parallel._SharedFiles, "__init__", no_room)
    with pytest.warns(UserWarning, match="trained in one process.*1 MiB free"):
        clf = TextRNNClassifier(n_jobs=2, **kwargs).fit(X, y)
    assert_same_model(reference, clf)


def test_shared_files_of_a_killed_process_are_removed(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(done.stdout)
    stale = tmp_path / f"{_parallel._PREFIX}{dead}_abc"
    stale.mkdir()
    (stale / "0.bin").write_bytes(b"x" * 10)
    alive = tmp_path / f"{_parallel._PREFIX}{os.getpid()}_abc"
    alive.mkdir()
    _parallel._remove_stale(str(tmp_path))
    assert not stale.exists()
    assert alive.exists()


def test_workers_are_out_of_reach_of_the_terminals_ctrl_c():
    X, y = documents(300)
    TextRNNClassifier(hidden_size=64, batch_size=256, max_iter=1, n_jobs=2).fit(X, y)
    assert _parallel._POOL.idle
    for worker in _parallel._POOL.idle:
        # Ctrl-C goes to the terminal's foreground process group: not theirs.
        assert os.getpgid(worker.process.pid) != os.getpgid(0)
