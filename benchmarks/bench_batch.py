"""Batch fitting: thetahat.batch against Cpufit and a loop of scipy curve_fit.

Problems (Gpufit's own benchmark, ``Gpufit_Cpufit_Performance_Comparison.cpp``, data made
here in numpy the same way):

- 2-D Gaussian on a 5x5 pixel grid, 5 parameters (amplitude, x0, y0, width, background):
  true values 500, 2, 2, 1, 10 each scaled per fit by ``0.9 + 0.2 U``; Gaussian noise of
  standard deviation ``mean_amplitude / 10`` with ``mean_amplitude = 2 pi a w^2 /
  (4.292 w)^2``; start values the per-fit truth scaled again by ``0.9 + 0.2 U``;
- 1-D Gaussian on 60 points ``x = 0..59`` (amplitude 500, centre 29.5, width 5,
  background 10, same perturbations, noise ``a / 10``).

Speed table: fits/s (wall clock) of thetahat's compiled loop (``batch.curve_fit`` with a
library model, double precision, per-fit covariance) on 1 worker and on all, at the default
tolerances and at Cpufit's (ftol = xtol = 1e-4); its numpy twin and a loop of
``scipy.optimize.curve_fit`` (both on a subset, scaled); Cpufit (one thread, its
benchmark's tolerance 1e-4 and 10 iterations) when ``CPUFIT_DIR`` points at a build of
``build.sh`` (``CPUFIT_DIR=/tmp/cpufit``; the column is skipped otherwise). Also fits per
CPU-second (process time: robust to other load on the machine, and for 2 workers the cost of
the threads), the ratios of both to the reference, the median iterations per fit and the
converged fraction. Rounds are interleaved, every method once per round, and the medians
are reported.

Accuracy table, on the first ``SUBSET`` fits of each problem, against two oracles:

- the minimum found by single curve_fit calls solved to 1e-13 ("tight"): per-fit distance
  ``max_a |p_a - tight_a| / perr_a`` in units of the parameter errors (median and max);
- single curve_fit calls at scipy's default tolerances: the fraction of fits, among those
  both converged, whose parameters agree to 1e-6 relative and whose errors agree to 1e-4
  relative (the error column needs the method's own errors: thetahat and scipy).
  curve_fit's own default stop leaves it ~1e-5 to 1e-4 errors from the minimum, so the
  agreement of any two solvers to 1e-6 relative is bounded by that; the tight-distance
  columns say which of the two is closer.

Memory: for ``--memory-fits`` fits (default 1e6) of the 2-D problem, the peak of traced
allocations (``tracemalloc``; numpy reports its buffers to it) during one
``batch.curve_fit`` call, minus the result arrays, in units of the input ``ydata``.

    CPUFIT_DIR=/tmp/cpufit python benchmarks/bench_batch.py [--sizes 1e4 1e5 1e6]
        [--rounds 3] [--memory-fits 1e6]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import scipy.optimize as so

from thetahat import batch
from thetahat._compiled import batchcore
from thetahat.batch._models import resolve
from thetahat.solvers import batch_lm

sys.path.insert(0, os.path.dirname(__file__))
from _timing import table  # noqa: E402

SUBSET = 300  # fits timed for the slow columns, and compared with single curve_fit calls
Run = Callable[[slice], dict]


def _perturb(rng: np.random.Generator, base: np.ndarray, n: int) -> np.ndarray:
    return base * (0.9 + 0.2 * rng.uniform(size=(n, base.size)))


def _start(rng: np.random.Generator, truth: np.ndarray) -> np.ndarray:
    """Start values: the per-fit truth scaled by 0.9 + 0.2 U, as Gpufit's benchmark."""
    return _perturb(rng, np.ones(truth.shape[1]), truth.shape[0]) * truth


def problem_2d(n: int, rng: np.random.Generator) -> dict:
    g = np.arange(5.0)
    xy = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)  # point index iy * 5 + ix
    base = np.array([500.0, 2.0, 2.0, 1.0, 10.0])
    truth = _perturb(rng, base, n)
    a, x0, y0, w, b = (truth[:, j:j + 1] for j in range(5))
    clean = a * np.exp(-0.5 * (((xy[:, 0] - x0) / w) ** 2 + ((xy[:, 1] - y0) / w) ** 2)) + b
    mean_amp = 2 * np.pi * base[0] * base[3] ** 2 / (4.292 * base[3]) ** 2
    y = clean + rng.normal(0.0, mean_amp / 10, clean.shape)
    return dict(name="gauss2d 5x5", x=xy, y=y, truth=truth, p0=_start(rng, truth),
                spec="gauss2d+constant", cpufit_model="GAUSS_2D",
                f=lambda xy, a, x0, y0, w, b: a * np.exp(
                    -0.5 * (((xy[:, 0] - x0) / w) ** 2 + ((xy[:, 1] - y0) / w) ** 2)) + b)


def problem_1d(n: int, rng: np.random.Generator) -> dict:
    x = np.arange(60.0)
    base = np.array([500.0, 29.5, 5.0, 10.0])
    truth = _perturb(rng, base, n)
    a, mu, s, b = (truth[:, j:j + 1] for j in range(4))
    clean = a * np.exp(-0.5 * ((x - mu) / s) ** 2) + b
    y = clean + rng.normal(0.0, base[0] / 10, clean.shape)
    return dict(name="gauss1d 60", x=x, y=y, truth=truth, p0=_start(rng, truth),
                spec="gauss+constant", cpufit_model="GAUSS_1D",
                f=lambda x, a, mu, s, b: a * np.exp(-0.5 * ((x - mu) / s) ** 2) + b)


def _cpufit() -> object | None:
    path = os.environ.get("CPUFIT_DIR")
    if not path:
        return None
    sys.path.insert(0, path)
    return importlib.import_module("pycpufit.cpufit")


def runners(P: dict, cf: object | None) -> dict[str, Run]:
    """name -> run(sl) returning dict(popt, ok, niter, perr or None) for fits ``sl``."""
    spec = resolve(P["spec"])
    x2 = P["x"] if P["x"].ndim == 2 else P["x"][:, None]

    def thetahat(workers: int, tol: float = 1e-8) -> Run:
        def run(sl: slice) -> dict:
            r = batch.curve_fit(P["spec"], P["x"], P["y"][sl], p0=P["p0"][sl], workers=workers,
                                ftol=tol, xtol=tol)
            return dict(popt=r.popt, ok=r.success, niter=r.niter, perr=r.perr)
        return run

    def twin(sl: slice) -> dict:
        r = batch_lm.lm_batch(lambda idx, p: spec.builtin.value_jac(x2, p), P["p0"][sl],
                              P["y"][sl])
        return dict(popt=r.popt, ok=r.status == batch_lm.CONVERGED, niter=r.niter, perr=None)

    def scipy_loop(sl: slice) -> dict:
        y, p0 = P["y"][sl], P["p0"][sl]
        out, err = np.full_like(p0, np.nan), np.full_like(p0, np.nan)
        ok, nfev = np.zeros(len(y), dtype=bool), np.zeros(len(y))
        for i in range(len(y)):
            try:
                out[i], pcov, info, _, _ = so.curve_fit(P["f"], P["x"], y[i], p0=p0[i],
                                                        full_output=True)
                err[i], ok[i], nfev[i] = np.sqrt(np.diag(pcov)), True, info["nfev"]
            except RuntimeError:
                pass
        return dict(popt=out, ok=ok, niter=nfev, perr=err)  # curve_fit counts calls only

    out: dict[str, Run] = {}
    if batchcore is not None:
        nw = batch_lm.default_workers()
        out["thetahat 1 worker"] = thetahat(1)
        out[f"thetahat {nw} workers"] = thetahat(nw)
        out["thetahat 1 worker ftol=1e-4"] = thetahat(1, 1e-4)  # Cpufit's tolerance
    out["numpy twin"] = twin
    out["scipy loop"] = scipy_loop
    if cf is not None:
        model = getattr(cf.ModelID, P["cpufit_model"])  # type: ignore[attr-defined]

        def cpufit(sl: slice) -> dict:
            y = np.ascontiguousarray(P["y"][sl], dtype=np.float32)
            p0 = np.ascontiguousarray(P["p0"][sl], dtype=np.float32)
            p, states, _, niter, _ = cf.fit(y, None, model, p0, 1e-4, 10)  # type: ignore
            return dict(popt=p.astype(float), ok=states == 0, niter=niter, perr=None)
        out["cpufit"] = cpufit
    return out


def bench(P: dict, n: int, rounds: int, cf: object | None) -> tuple[list, list]:
    run = runners(P, cf)
    slow = {"numpy twin": min(n, 20 * SUBSET), "scipy loop": min(n, SUBSET)}
    wall: dict[str, list[float]] = {k: [] for k in run}
    cpu: dict[str, list[float]] = {k: [] for k in run}
    res: dict[str, dict] = {}
    for _ in range(rounds):  # interleaved: every method once per round
        for name, fn in run.items():
            m = slow.get(name, n)
            t0, c0 = time.perf_counter(), time.process_time()
            res[name] = fn(slice(0, m))
            wall[name].append((time.perf_counter() - t0) / m)
            cpu[name].append((time.process_time() - c0) / m)
    base = "cpufit" if "cpufit" in run else "scipy loop"
    w0, c0 = float(np.median(wall[base])), float(np.median(cpu[base]))
    speed = []
    for name in run:
        w, c = float(np.median(wall[name])), float(np.median(cpu[name]))
        nit = res[name]["niter"]
        it = f"calls {np.median(nit):.0f}" if name == "scipy loop" else \
            f"{np.median(nit):.0f} ({np.mean(nit):.2f})"
        speed.append([P["name"], n, name, f"{1 / w:,.0f}", f"{w0 / w:.2f}", f"{1 / c:,.0f}",
                      f"{c0 / c:.2f}", it, f"{res[name]['ok'].mean():.4f}"])
    s = min(n, SUBSET)
    ref = batch.curve_fit(P["spec"], P["x"], P["y"][:s], p0=P["p0"][:s])  # errors for all
    tight = np.array([so.curve_fit(P["f"], P["x"], P["y"][i], p0=P["p0"][i], ftol=1e-13,
                                   xtol=1e-13, gtol=1e-13)[0] for i in range(s)])
    sc = res["scipy loop"]
    acc = []
    for name in run:
        r = res[name]
        popt, ok = r["popt"][:s], r["ok"][:s]
        with np.errstate(invalid="ignore", divide="ignore"):
            pull = np.abs(popt - P["truth"][:s]) / ref.perr
            dmin = np.max(np.abs(popt - tight) / ref.perr, axis=1)
            both = ok & sc["ok"][:s]
            prel = np.max(np.abs(popt - sc["popt"][:s]) / np.abs(sc["popt"][:s]), axis=1)
            agree_p = f"{np.mean(prel[both] <= 1e-6):.3f}"
            agree_e = "-"
            if r["perr"] is not None:
                erel = np.max(np.abs(r["perr"][:s] - sc["perr"][:s]) / sc["perr"][:s], axis=1)
                agree_e = f"{np.mean(erel[both] <= 1e-4):.3f}"
        acc.append([P["name"], n, name, f"{np.nanmedian(pull):.3f}", f"{np.nanmedian(dmin):.1e}",
                    f"{np.nanmax(dmin):.1e}", agree_p, agree_e])
    return speed, acc


def memory(n: int, rng: np.random.Generator) -> list[object]:
    """Peak traced allocations of one batch.curve_fit call beyond its results, in units of
    the input ydata (module docstring)."""
    P = problem_2d(n, rng)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    r = batch.curve_fit(P["spec"], P["x"], P["y"], p0=P["p0"])
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    results = sum(getattr(r, f).nbytes for f in ("popt", "perr", "pcov", "chi2", "ndof",
                                                  "nfev", "niter", "status", "success"))
    mb = 1e-6
    return [n, f"{P['y'].nbytes * mb:,.0f}", f"{results * mb:,.0f}", f"{peak * mb:,.0f}",
            f"{(peak - results) / P['y'].nbytes:.2f}"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="*", type=float, default=[1e4, 1e5])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--memory-fits", type=float, default=1e6, help="0: skip")
    args = ap.parse_args([] if argv is None else argv)
    cf = _cpufit()
    rng = np.random.default_rng(20261202)
    speed, acc = [], []
    for make in (problem_2d, problem_1d):
        for n in (int(s) for s in args.sizes):
            sp, ac = bench(make(n, rng), n, args.rounds, cf)
            speed += sp
            acc += ac
    ref = "Cpufit" if cf is not None else "scipy loop (CPUFIT_DIR not set)"
    print(f"speed: medians of {args.rounds} interleaved rounds; ratios to {ref} in the same "
          f"run; iterations: median (mean)")
    print(table(speed, ["problem", "fits", "method", "fits/s", "x ref", "fits/CPU-s",
                        "x ref CPU", "iterations", "converged"]))
    print(f"\naccuracy on the first {SUBSET} fits: distances in units of the errors; "
          f"agreement with single default curve_fit calls on fits both converged")
    print(table(acc, ["problem", "fits", "method", "med |p-truth|/err", "med |p-tight|/err",
                      "max |p-tight|/err", "p within 1e-6", "err within 1e-4"]))
    if args.memory_fits > 0:
        print("\nmemory of batch.curve_fit (2-D problem), MB")
        print(table([memory(int(args.memory_fits), rng)],
                    ["fits", "ydata", "results", "peak traced", "(peak - results) / ydata"]))


if __name__ == "__main__":
    main(sys.argv[1:])
