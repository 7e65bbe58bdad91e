"""thetahat.batch on dask: 1 vs 2 local workers, against the in-memory batch.

The problem is Gpufit's benchmark: a 2-D Gaussian plus background on a 5x5 pixel grid
(amplitude 500, centre (2, 2), width 1, background 10, each scaled per fit by
``0.9 + 0.2 U``; Gaussian noise; start values guessed from the data). ``ydata`` is made
*on the workers* (a seeded block per chunk) and persisted before the clock starts, as data
on a cluster would be; the timed part is ``batch.fit(...).compute()``.

Rows (fits/s, median of interleaved rounds; ``x2`` is 2 workers over 1 in the same run):

- ``in-memory``: ``batch.fit`` on the numpy array, ``workers=1`` / ``2`` threads;
- ``dask threads``: the threaded scheduler, ``num_workers=1`` / ``2``;
- ``distributed``: a ``LocalCluster`` of 1 / 2 worker processes of one thread each.

Then the README's example: one million fits in memory on all cores, timed once.

    python benchmarks/bench_batch_dask.py [--fits 2e5] [--chunk 2e4] [--rounds 3]
                                          [--million | --no-million]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from thetahat import batch

GRID = np.arange(5.0)
XY = np.stack(np.meshgrid(GRID, GRID), -1).reshape(-1, 2)
MODEL = "gauss2d+constant"


def images(n: int, seed: int) -> np.ndarray:
    """``n`` noisy 5x5 Gaussian spots ``(n, 25)``, from ``seed``."""
    rng = np.random.default_rng(seed)
    a, x0, y0, s, c = (v * (0.9 + 0.2 * rng.uniform(size=(n, 1)))
                       for v in (500.0, 2.0, 2.0, 1.0, 10.0))
    r2 = (XY[:, 0] - x0) ** 2 + (XY[:, 1] - y0) ** 2
    return a * np.exp(-0.5 * r2 / s**2) + c + rng.normal(0, 10.0, (n, 25))


def _dask_images(da, n: int, chunk: int):
    rows = tuple(min(chunk, n - s) for s in range(0, n, chunk))
    return da.map_blocks(lambda b, block_info=None: images(
        b.shape[0], 1000 + block_info[None]["chunk-location"][0]),
        da.empty((n, 25), chunks=(rows, 25)), dtype=float)


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fits", type=float, default=2e5)
    ap.add_argument("--chunk", type=float, default=2e4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--million", action=argparse.BooleanOptionalAction, default=True)
    a = ap.parse_args(argv)
    n, chunk = int(a.fits), int(a.chunk)
    import dask.array as da
    from distributed import Client, LocalCluster

    y_np = images(n, 0)
    y_dask = _dask_images(da, n, chunk).persist(scheduler="threads")
    ref = batch.fit(XY, y_np, MODEL, workers=1)  # warm-up; an accuracy reference
    times: dict[str, list[float]] = {}
    clusters = {w: LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                dashboard_address=None, host="127.0.0.1",
                                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                silence_logs=logging.ERROR)
                for w in (1, 2)}
    try:
        clients = {w: Client(c, set_as_default=False) for w, c in clusters.items()}
        on_cluster = {}
        for w, cl in clients.items():
            yd = cl.persist(_dask_images(da, n, chunk))
            yd.sum().compute(scheduler=cl)  # the data are made and held on the workers
            on_cluster[w] = yd
            batch.fit(XY, yd[:chunk], MODEL).compute(scheduler=cl)  # warm the workers
        cases: dict[str, Callable[[], object]] = {}
        for w in (1, 2):
            cases[f"in-memory/{w}"] = lambda w=w: batch.fit(XY, y_np, MODEL, workers=w)
            cases[f"dask threads/{w}"] = lambda w=w: batch.fit(XY, y_dask, MODEL).compute(
                scheduler="threads", num_workers=w)
            cases[f"distributed/{w}"] = lambda w=w: batch.fit(XY, on_cluster[w], MODEL).compute(
                scheduler=clients[w])
        for _ in range(a.rounds):  # interleaved: each round times every case once
            for name, fn in cases.items():
                times.setdefault(name, []).append(_time(fn))
        got = batch.fit(XY, y_dask, MODEL).compute(scheduler="threads")
        same = bool(np.array_equal(got.popt, batch.fit(XY, y_dask.compute(), MODEL).popt))
        for cl in clients.values():
            cl.close()
    finally:
        for c in clusters.values():
            c.close()
    print(f"{n} fits of {MODEL} (5x5), blocks of {chunk}; median of {a.rounds} interleaved "
          f"rounds; converged {ref.success.mean():.4f}; dask == in-memory: {same}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'':16s}{'1 worker':>14s}{'2 workers':>14s}{'x2':>8s}")
    for kind in ("in-memory", "dask threads", "distributed"):
        t1, t2 = (statistics.median(times[f"{kind}/{w}"]) for w in (1, 2))
        print(f"{kind:16s}{n / t1:11.3g}/s {n / t2:11.3g}/s {t1 / t2:7.2f}")
    if a.million:
        y = images(1_000_000, 7)
        t = _time(lambda: batch.fit(XY, y, MODEL))
        r = batch.fit(XY, y, MODEL)
        print(f"10^6 fits in memory, all cores: {t:.2f} s ({1e6 / t:.3g} fits/s), "
              f"{int(r.success.sum())} converged")


if __name__ == "__main__":
    main()
