"""Batch fitting: thetahat.batch against Cpufit and a loop of scipy curve_fit.

Problems (Gpufit's own benchmark, ``Gpufit_Cpufit_Performance_Comparison.cpp``, data made
here in numpy the same way):

- 2-D Gaussian on a 5x5 pixel grid, 5 parameters (amplitude, x0, y0, width, background):
  true values 500, 2, 2, 1, 10 each scaled per fit by ``0.9 + 0.2 U``; Gaussian noise of
  standard deviation ``mean_amplitude / 10`` with ``mean_amplitude = 2 pi a w^2 /
  (4.292 w)^2``; start values the per-fit truth scaled again by ``0.9 + 0.2 U``;
- 1-D Gaussian on 60 points ``x = 0..59`` (amplitude 500, centre 29.5, width 5,
  background 10, same perturbations, noise ``a / 10``).

Columns: fits/s of thetahat's compiled loop on 1 worker and on all, its numpy twin and a loop
of ``scipy.optimize.curve_fit`` (both on a subset, scaled), and Cpufit (one thread, its
benchmark's tolerance 1e-4 and 10 iterations) when ``CPUFIT_DIR`` points at a build of
``build.sh`` (``CPUFIT_DIR=/tmp/cpufit``; the column is skipped otherwise). Rounds are
interleaved and the median is reported. Accuracy per method: the converged fraction, the
median over fits of ``|popt - truth| / perr`` (``perr`` thetahat's for every method), and,
on the first fits, the distance to the minimum found by single curve_fit calls solved to
1e-13 (largest, in errors) and the fraction within 1e-6 relative of it. A column at Cpufit's
tolerance (ftol = xtol = 1e-4) races it at its own accuracy.

    python benchmarks/bench_batch.py [--sizes 1e4 1e5 1e6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
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


def runners(P: dict, cf: object | None) -> dict[str, Callable[[slice], tuple]]:
    """name -> run(sl) returning (popt, converged mask) for fits ``sl``."""
    spec = resolve(P["spec"])
    x2 = P["x"] if P["x"].ndim == 2 else P["x"][:, None]

    def thetahat(workers: int, tol: float = 1e-8) -> Callable[[slice], tuple]:
        def run(sl: slice) -> tuple:
            r = batch.curve_fit(P["spec"], P["x"], P["y"][sl], p0=P["p0"][sl], workers=workers,
                                ftol=tol, xtol=tol)
            return r.popt, r.success
        return run

    def twin(sl: slice) -> tuple:
        y = P["y"][sl]
        k = y.shape[0]
        r = batch_lm.lm_batch(lambda idx, p: spec.builtin.value_jac(x2, p), P["p0"][sl], y,
                              lb=None, ub=None)
        return r.popt, r.status[:k] == batch_lm.CONVERGED

    def scipy_loop(sl: slice) -> tuple:
        y, p0 = P["y"][sl], P["p0"][sl]
        out, ok = np.empty_like(p0), np.ones(len(y), dtype=bool)
        for i in range(len(y)):
            try:
                out[i] = so.curve_fit(P["f"], P["x"], y[i], p0=p0[i])[0]
            except RuntimeError:
                out[i], ok[i] = np.nan, False
        return out, ok

    out: dict[str, Callable[[slice], tuple]] = {}
    if batchcore is not None:
        out["thetahat 1 worker"] = thetahat(1)
        out["thetahat all workers"] = thetahat(batch_lm.default_workers())
        out["thetahat 1 worker ftol=1e-4"] = thetahat(1, 1e-4)  # Cpufit's tolerance
    out["numpy twin"] = twin
    out["scipy loop"] = scipy_loop
    if cf is not None:
        model = getattr(cf.ModelID, P["cpufit_model"])  # type: ignore[attr-defined]

        def cpufit(sl: slice) -> tuple:
            y = np.ascontiguousarray(P["y"][sl], dtype=np.float32)
            p0 = np.ascontiguousarray(P["p0"][sl], dtype=np.float32)
            p, states, _, _, _ = cf.fit(y, None, model, p0, 1e-4, 10)  # type: ignore
            return p.astype(float), states == 0
        out["cpufit"] = cpufit
    return out


def bench(P: dict, n: int, rounds: int, cf: object | None) -> list[list[object]]:
    run = runners(P, cf)
    slow = {"numpy twin": min(n, 20 * SUBSET), "scipy loop": min(n, SUBSET)}
    times: dict[str, list[float]] = {k: [] for k in run}
    results: dict[str, tuple] = {}
    for _ in range(rounds):  # interleaved: every method once per round
        for name, fn in run.items():
            m = slow.get(name, n)
            t0 = time.perf_counter()
            results[name] = fn(slice(0, m))
            times[name].append((time.perf_counter() - t0) / m)
    ref = batch.curve_fit(P["spec"], P["x"], P["y"], p0=P["p0"])  # perr for the accuracy
    tight = np.array([so.curve_fit(P["f"], P["x"], P["y"][i], p0=P["p0"][i], ftol=1e-13,
                                   xtol=1e-13, gtol=1e-13)[0] for i in range(min(n, SUBSET))])
    base = "cpufit" if "cpufit" in times else "scipy loop"
    base_rate = 1.0 / float(np.median(times[base]))
    rows = []
    for name in run:
        rate = 1.0 / float(np.median(times[name]))
        popt, ok = results[name]
        m = popt.shape[0]
        s = min(m, SUBSET)  # accuracy on the same first fits for every method
        with np.errstate(invalid="ignore"):
            pull = np.abs(popt[:s] - P["truth"][:s]) / ref.perr[:s]
            dmin = np.max(np.abs(popt[:s] - tight) / ref.perr[:s], axis=1)
            rel = np.max(np.abs(popt[:s] - tight) / np.abs(tight), axis=1)
        rows.append([P["name"], n, name, f"{rate:,.0f}", f"{rate / base_rate:.2f}",
                     f"{ok.mean():.4f}", f"{np.nanmedian(pull):.3f}", f"{np.nanmax(dmin):.1e}",
                     f"{np.mean(rel <= 1e-6):.3f}"])
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="*", type=float, default=[1e4, 1e5])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    cf = _cpufit()
    rng = np.random.default_rng(20261202)
    rows = []
    for make in (problem_2d, problem_1d):
        for n in (int(s) for s in args.sizes):
            rows += bench(make(n, rng), n, args.rounds, cf)
    base = "Cpufit" if cf is not None else "scipy loop (CPUFIT_DIR not set)"
    print(table(rows, ["problem", "fits", "method", "fits/s", f"x {base}", "converged",
                       "med |p-truth|/perr", "max |p-min|/perr",
                       "=min to 1e-6"]))


if __name__ == "__main__":
    main()
