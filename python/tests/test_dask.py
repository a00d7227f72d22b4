"""Fits on a Dask cluster (two single-threaded worker processes) are the
local fits, bit for bit."""

import os

import numpy as np
import pytest

import relu_learn

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import relu_learn.dask as rdask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    X, y, teacher = relu_learn.generate("biased", dim=10, hidden=4, samples=60_000, seed=3)
    # Blocks of 7000 rows: not multiples of the 4096-row chunks, so chunks
    # straddle blocks and are joined on a worker.
    return X, y, da.from_array(X, chunks=(7000, -1)), da.from_array(y, chunks=7000)


@pytest.mark.parametrize(
    "make, fetched",
    [
        (lambda: relu_learn.ATV(hidden=4), 1.25),
        (lambda: relu_learn.Narrow(hidden=4), 1.25),
        (lambda: relu_learn.CKM(hidden=2), 1.25),
    ],
    ids=["atv", "narrow", "ckm"],
)
def test_a_dask_fit_is_the_local_fit(client, data, make, fetched):
    X, y, Xd, yd = data
    with _quiet():
        local = make().fit(X, y)
        remote = rdask.fit(make(), Xd, yd, client=client)
    assert remote.model_.to_json() == local.model_.to_json()
    assert remote.report_["validation_error"] == local.report_["validation_error"]
    assert remote.report_["provable_stage_error"] == local.report_["provable_stage_error"]
    assert remote.dask_["jobs"] > 0 and remote.dask_["blocks"] == 9
    assert np.array_equal(remote.predict(X[:100]), local.predict(X[:100]))
    # Passes over derived rows run on the workers as views, and the rows
    # that do come to the client (the polish, search and validation rows,
    # ckm's null tests) are kept there: each comes about once (measured:
    # 1.0 n for all three at 10^5 rows). Before the views and the kept
    # rows: atv 1.8 n, narrow 4.6 n, ckm 110 n.
    assert remote.dask_["rows_fetched"] <= fetched * len(X), remote.dask_


def test_a_worker_of_another_job_protocol_refuses_the_job(data):
    X, y, _, _ = data
    # An older worker would ignore the views of a job and fold the raw rows:
    # the protocol number makes a mismatch an error instead.
    with pytest.raises(RuntimeError, match="protocol"):
        rdask._fold("{}", X[:10], y[:10], 0, 0, 1, rdask._PROTOCOL - 1)


def test_dask_moments_are_the_local_moments(client, data):
    X, y, Xd, yd = data
    local = relu_learn.moments(X, y, order=4, vectors=3, seed=1)
    remote = rdask.moments(Xd, yd, order=4, vectors=3, seed=1, client=client)
    for key in ("mean", "std_error", "vectors"):
        assert np.array_equal(local[key], remote[key]), key


def test_bad_dask_input_is_refused(client, data):
    _, _, Xd, yd = data
    with pytest.raises(ValueError, match="rows but y has"):
        rdask.fit(relu_learn.ATV(hidden=4), Xd, yd[:1000], client=client)
    with pytest.raises(ValueError, match="2-D"):
        rdask.fit(relu_learn.ATV(hidden=4), Xd[:, 0], yd, client=client)
    with pytest.raises(ValueError, match="relu_learn estimator"):
        rdask.fit(object(), Xd, yd, client=client)


def test_a_worker_killed_mid_fit_is_survived_or_reported(client, data, monkeypatch):
    """A worker process dies during the fit's third job: Dask reruns its tasks
    (recomputing its blocks) and the fit gives the local result, or the fit
    fails with an error; a wrong model is never returned."""
    X, y, Xd, yd = data
    local = relu_learn.ATV(hidden=4).fit(X, y)
    real = rdask._Blocks.dispatch
    calls = {"n": 0}

    def dispatch(self, job_json):
        calls["n"] += 1
        if calls["n"] == 3:
            victim = sorted(self.client.scheduler_info()["workers"])[0]
            try:
                self.client.run(os._exit, 1, workers=[victim])
            except Exception:  # the worker's connection drops as it dies
                pass
        return real(self, job_json)

    monkeypatch.setattr(rdask._Blocks, "dispatch", dispatch)
    try:
        remote = rdask.fit(relu_learn.ATV(hidden=4), Xd, yd, client=client)
    except Exception as e:  # a clear failure is acceptable, a wrong model is not
        assert "cluster" in str(e) or "worker" in str(e).lower(), e
        return
    assert calls["n"] >= 3
    assert remote.model_.to_json() == local.model_.to_json()
    client.wait_for_workers(2, timeout=60)


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)
