"""thetahat.batch on dask arrays: the lazy result, its blocks, the schedulers.

Oracles: the in-memory batch on the same numpy data (every fit is independent and a block is
the ordinary batch on its rows, so the numbers must be identical, not merely close), and
single scipy.optimize.curve_fit calls. Every generator is seeded; batches are small.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.optimize as so

from thetahat import batch, models

da = pytest.importorskip("dask.array")

TIGHT = dict(ftol=1e-12, xtol=1e-12, gtol=1e-12)
FIELDS = ("popt", "perr", "pcov", "chi2", "ndof", "nfev", "niter", "status", "success")


def _data(rng, n=200, m=60):
    x = np.linspace(-5, 5, m)
    y = models.parse("gauss+constant")(x, 10.0, 0.3, 1.0, 1.0) + rng.normal(0, 0.5, (n, m))
    return x, y


def _gauss(x, a, mu, s, c):
    return a * np.exp(-0.5 * ((x - mu) / s) ** 2) + c


def _same(lazy, ref):
    got = lazy.compute()
    assert isinstance(got, batch.BatchResult) and got.parameters == ref.parameters
    for f in FIELDS:  # block b is the in-memory batch on its rows: identical numbers
        np.testing.assert_array_equal(getattr(got, f), getattr(ref, f), err_msg=f)
    return got


def test_fit_on_dask_equals_in_memory_batch_and_scipy(rng):
    x, y = _data(rng)
    lazy = batch.fit(x, da.from_array(y, chunks=(64, -1)), "gauss+constant", **TIGHT)
    assert isinstance(lazy, batch.DaskBatchResult)
    assert lazy.nblocks == 4 and len(lazy) == 200 and "4 blocks" in repr(lazy)
    assert lazy.popt.shape == (200, 4) and lazy.pcov.shape == (200, 4, 4)
    got = _same(lazy, batch.fit(x, y, "gauss+constant", **TIGHT))
    assert got.success.all()
    for i in (0, 63, 64, 199):  # both sides of a block boundary
        po, pc = so.curve_fit(_gauss, x, y[i], p0=got.popt[i] * 1.01, **TIGHT)
        np.testing.assert_allclose(got.popt[i], po, rtol=1e-6)  # tight solves, one minimum
        # the same J^T J at the same point, scipy's from differences (~1e-7)
        np.testing.assert_allclose(got.perr[i], np.sqrt(np.diag(pc)), rtol=1e-4)


def test_point_axis_chunks_are_rechunked_to_whole_rows(rng):
    x, y = _data(rng, n=90)
    lazy = batch.fit(x, da.from_array(y, chunks=(30, 25)), "gauss+constant")
    assert lazy.nblocks == 3
    _same(lazy, batch.fit(x, y, "gauss+constant"))


def test_per_fit_inputs_split_along_the_same_rows(rng):
    n, m = 120, 30
    x = np.sort(rng.uniform(0, 5, (n, m)), axis=1)
    tau = rng.uniform(0.8, 2.0, n)
    sigma = rng.uniform(0.01, 0.03, (n, m))
    y = 3.0 * np.exp(-x / tau[:, None]) + sigma * rng.normal(size=(n, m))
    p0 = np.column_stack([np.full(n, 2.0), tau * 1.2])

    def f(x, a, tau):
        return a * np.exp(-x / tau)

    ref = batch.curve_fit(f, x, y, p0=p0, sigma=sigma, absolute_sigma=True)
    lazy = batch.curve_fit(f, da.from_array(x, chunks=(50, 10)), da.from_array(y, chunks=40),
                           p0=p0, sigma=da.from_array(sigma, chunks=(17, -1)),
                           absolute_sigma=True)
    assert lazy.nblocks == 3  # ydata's row chunks rule; x and sigma follow them
    got = _same(lazy, ref)
    for i in (0, 41, 119):
        po, _ = so.curve_fit(f, x[i], y[i], p0=p0[i], sigma=sigma[i], absolute_sigma=True,
                             **TIGHT)
        # the batch stops at ftol = xtol = 1e-8: ~1e-8 relative from the tight minimum
        np.testing.assert_allclose(got.popt[i], po, rtol=1e-6)


def test_numpy_ydata_with_dask_p0_follows_its_chunks(rng):
    x, y = _data(rng, n=50)
    p0 = np.tile([9.0, 0.2, 1.1, 0.9], (50, 1))
    lazy = batch.fit(x, y, "gauss+constant", p0=da.from_array(p0, chunks=(20, -1)))
    assert lazy.nblocks == 3
    _same(lazy, batch.fit(x, y, "gauss+constant", p0=p0))


def test_bad_rows_in_a_block_are_marked_the_others_proceed(rng):
    x, y = _data(rng, n=40)
    y[25, 3] = np.nan
    got = batch.fit(x, da.from_array(y, chunks=20), "gauss+constant").compute()
    assert got.status[25] == "non-finite" and not got.success[25]
    assert got.success.sum() == 39


def test_persist_and_partial_compute(rng):
    x, y = _data(rng, n=60)
    ref = batch.fit(x, y, "gauss+constant")
    lazy = batch.fit(x, da.from_array(y, chunks=20), "gauss+constant").persist()
    np.testing.assert_array_equal(lazy.popt[:20].compute(), ref.popt[:20])  # identical
    _same(lazy, ref)


def _entry_errors(y):
    x = np.arange(5.0)
    yield (lambda: batch.fit(x, y, "line", p0=np.ones((7, 2))), r"p0 of shape \(7, 2\)")
    yield (lambda: batch.fit(x, y, "line", yerr=np.ones(4)),
           r"yerr of shape \(4,\) does not broadcast to ydata's shape \(30, 5\)")
    yield (lambda: batch.fit(x, y, "line", progress=True), "dask.diagnostics.ProgressBar")
    yield (lambda: batch.fit(x, y[:0], "line"), "batch is empty")
    yield (lambda: batch.fit(x, y[0], "line"), "reshape")


def test_bad_input_is_refused_when_the_graph_is_built():
    y = da.ones((30, 5), chunks=10)
    for call, match in _entry_errors(y):
        with pytest.raises(ValueError, match=match):
            call()


def test_value_errors_in_a_block_name_the_block():
    y = da.ones((30, 3), chunks=10)
    s = np.ones((30, 3))
    s[12, 1] = 0.0
    lazy = batch.fit(np.arange(3.0), y, "line", yerr=s)  # values are checked in the task
    with pytest.raises(ValueError, match=r"block of fits 10\.\.19.*row 2 has yerr\[2, 1\] = 0"):
        lazy.compute()


def test_a_model_of_the_wrong_shape_is_named_at_compute():
    lazy = batch.curve_fit(lambda x, a: np.ones(7) * a[:1], np.arange(3.0),
                           da.ones((4, 3), chunks=2))  # either block may fail first
    with pytest.raises(ValueError, match=r"block of fits (0\.\.1|2\.\.3).*returned shape \(1, 7\)"
                                         r".*expected \(2, 3\)"):
        lazy.compute()


def test_missing_dask_names_the_extra(monkeypatch):
    from thetahat.batch import _dask

    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"thetahat\[dask\]"):
        _dask.require_dask()


def _cluster_run(processes: bool, rng):
    distributed = pytest.importorskip("distributed")
    x, y = _data(rng, n=80)
    ref = batch.curve_fit(_gauss, x, y, p0=[9.0, 0.2, 1.1, 0.9])
    # localhost only: the scheduler's and workers' HTTP servers (dashboard off; they still
    # serve health checks) on 127.0.0.1 at free ports, so a busy 8787 cannot warn;
    # processes talk over tcp://127.0.0.1, threads in-process (inproc://)
    local = dict(scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                 worker_dashboard_address="127.0.0.1:0")
    if processes:
        local["host"] = "127.0.0.1"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                                  dashboard_address=None, **local) as cluster, \
            distributed.Client(cluster) as client:
        lazy = batch.curve_fit(_gauss, x, da.from_array(y, chunks=20), p0=[9.0, 0.2, 1.1, 0.9])
        got = _same(lazy, ref)  # on the client's scheduler: the same numbers
        assert len(client.scheduler_info()["workers"]) == 2
    assert got.success.all()


def test_distributed_local_cluster_threads(rng):
    _cluster_run(False, rng)


@pytest.mark.slow
def test_distributed_local_cluster_processes(rng):
    _cluster_run(True, rng)
