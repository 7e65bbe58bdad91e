"""thetahat.minimize / linear_fit against scipy.optimize in one run (issue 6).

1. Calls of the cost (``nfev``) and wall time for BFGS, L-BFGS-B (difference gradients and
   analytic gradients) and Nelder-Mead on Rosenbrock in 2, 5, 10, 20 dimensions (start
   ``0.5`` in every coordinate; Nelder-Mead up to 5 dimensions, adaptive) and on seed 002's
   sum of squares.  Target: BFGS nfev <= 1.2x scipy's.
2. Seed 002 solved in one step by ``linear_fit`` against scipy's ``minimize`` on the sum of
   squares (the seed's way): wall time and calls.
3. L-BFGS-B with boxes that cut Rosenbrock's valley (5, 20, 50 dimensions).
4. L-BFGS-B with the analytic gradient on Rosenbrock in 50, 100 and 1,000 dimensions
   (issue 17: <= 1.0x scipy's time at equal calls from n = 2 to 1,000).
5. Import time: ``import thetahat`` against ``import iminuit`` (and the names a user
   imports first against their references), from ``python -X importtime``: the sum of the
   top-level imports of the statement less those of ``pass``, median of 10 fresh
   processes run in turn.

Times are medians of interleaved rounds (``_timing.interleaved``); ``|g|`` is the largest
component of the final gradient (``res.jac``), next to scipy's, so that a faster row can be
seen not to stop earlier. scipy's L-BFGS-B calls BLAS, whose threads compete with other
processes on a loaded machine; ``OMP_NUM_THREADS=1`` gives its best single-thread time.

Run: ``.venv/bin/python benchmarks/run.py minimize``
"""

from __future__ import annotations

import subprocess
import sys
from functools import partial

import numpy as np
import scipy.optimize as so
from scipy.optimize import rosen, rosen_der

from _timing import best_time, interleaved, table
from thetahat import linear_fit, minimize


def _seed002():
    rng = np.random.default_rng(2)
    x = np.r_[-10:10:0.5]
    y = x**2
    y /= y.max()
    y_rand = y + rng.normal(size=y.shape) / 10
    A = np.array([x, x**2, x**3, np.sin(x)]).T

    def myfunc(k):
        return ((A @ np.asarray(k) - y_rand) ** 2).sum()

    return A, y_rand, myfunc


def _problems():
    for n in (2, 5, 10, 20):
        yield f"rosen{n}", rosen, np.full(n, 0.5), rosen_der
    _, _, f = _seed002()
    yield "seed002", f, np.ones(4), None


def _cases():
    for name, f, x0, jac in _problems():
        n = x0.size
        yield name, "BFGS", f, x0, None, {}
        yield name, "L-BFGS-B", f, x0, None, {}
        if jac is not None:
            yield name, "BFGS+jac", f, x0, jac, {}
            yield name, "L-BFGS-B+jac", f, x0, jac, {}
        if n <= 5:
            yield name, "Nelder-Mead", f, x0, None, {"adaptive": True, "maxiter": 20000,
                                                     "maxfev": 20000}
    for n in (50, 100, 1000):
        yield f"rosen{n}", "L-BFGS-B+jac", rosen, np.full(n, 0.5), rosen_der, {}
    rng = np.random.default_rng(0)
    for n in (5, 20, 50):  # boxes that cut through the valley: several bounds active
        lo = rng.uniform(-1, 0.5, n)
        hi = lo + rng.uniform(0.2, 1.0, n)
        x0 = np.clip(np.full(n, 0.3), lo, hi)
        for jac in (None, rosen_der):
            yield (f"box-rosen{n}", "L-BFGS-B" + ("+jac" if jac else ""), rosen, x0, jac,
                   {"bounds": list(zip(lo, hi))})


def _gmax(res) -> str:
    jac = getattr(res, "jac", None)
    return "-" if jac is None else f"{np.max(np.abs(jac)):.1e}"


def _import_ms(statement: str, runs: int = 10) -> list[float]:
    """``python -X importtime -c statement``: top-level import time (ms) less ``pass``'s,
    ``runs`` fresh processes."""

    def top_level(code: str) -> float:
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                             capture_output=True, text=True, check=True).stderr
        total = 0
        for line in err.splitlines():
            parts = line.split("|")
            if (len(parts) == 3 and parts[1].strip().isdigit()
                    and not parts[2][1:2].isspace()):
                total += int(parts[1])  # cumulative us of a top-level import
        return total / 1e3

    return [top_level(statement) - top_level("pass") for _ in range(runs)]


IMPORTS = [("import thetahat", "import iminuit"),
           ("from thetahat import Minuit", "from iminuit import Minuit"),
           ("from thetahat import minimize", "from scipy.optimize import minimize")]


def import_rows() -> list[list[object]]:
    """Median import times, the two statements of a row measured in alternation."""
    rows = []
    for ours, ref in IMPORTS:
        a, b = [], []
        for _ in range(10):
            a += _import_ms(ours, 1)
            b += _import_ms(ref, 1)
        ma, mb = float(np.median(a)), float(np.median(b))
        rows.append([ours, ma, ref, mb, ma / mb])
    return rows


def main() -> None:
    rows = []
    for name, label, f, x0, jac, opts in _cases():
        method = label.split("+")[0]
        kw = {"bounds": opts.pop("bounds")} if "bounds" in opts else {"options": opts}
        ours = partial(minimize, f, x0, method=method, jac=jac, **kw)
        ref = partial(so.minimize, f, x0, method=method, jac=jac, **kw)
        a, b = ours(), ref()
        t = interleaved({"ours": ours, "ref": ref}, rounds=7, min_time=0.04)
        rows.append([name, label, a.nfev, b.nfev, a.nfev / b.nfev, t["ours"] * 1e3,
                     t["ref"] * 1e3, t["ours"] / t["ref"], f"{a.fun:.3e}", f"{b.fun:.3e}",
                     _gmax(a), _gmax(b)])
    print(table(rows, ["problem", "method", "nfev", "scipy", "ratio", "ms", "scipy ms",
                       "t ratio", "fun", "scipy fun", "|g|", "scipy |g|"]))
    lb = [r[7] for r in rows if r[1].startswith("L-BFGS-B+jac")]
    nm = [r[7] for r in rows if r[1] == "Nelder-Mead"]
    print(f"L-BFGS-B+jac time ratio: max {max(lb):.2f}; Nelder-Mead: max {max(nm):.2f} "
          "(target <= 1.0)")
    bfgs = [r[4] for r in rows if r[1] == "BFGS"]
    print(f"BFGS nfev ratio: median {np.median(bfgs):.2f}, max {max(bfgs):.2f} "
          "(target <= 1.2)")

    A, y, f = _seed002()
    fit = linear_fit(A, None, y)
    ref = so.minimize(f, np.ones(4))
    t_lin = best_time(lambda: linear_fit(A, None, y))
    t_min = best_time(lambda: so.minimize(f, np.ones(4)))
    t_ours = best_time(lambda: minimize(f, np.ones(4)))
    dev = np.max(np.abs(ref.x - fit.coefficients) / fit.errors)
    print()
    print(table([["linear_fit (one SVD)", 0, t_lin * 1e3, t_lin / t_min, "exact"],
                 ["thetahat.minimize BFGS", minimize(f, np.ones(4)).nfev, t_ours * 1e3,
                  t_ours / t_min, "gtol"],
                 ["scipy.minimize BFGS", ref.nfev, t_min * 1e3, 1.0,
                  f"{dev:.1e} sigma off"]],
                ["seed 002", "nfev", "ms", "t / scipy minimize", "accuracy"]))
    print()
    print(table(import_rows(), ["statement", "ms", "reference", "ms", "ratio"]))


if __name__ == "__main__":
    main()
