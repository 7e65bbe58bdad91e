"""thetahat.minimize / linear_fit against scipy.optimize in one run (issue 6).

1. Calls of the cost (``nfev``) and wall time for BFGS, L-BFGS-B (difference gradients and
   analytic gradients) and Nelder-Mead on Rosenbrock in 2, 5, 10, 20 dimensions (start
   ``0.5`` in every coordinate; Nelder-Mead up to 5 dimensions, adaptive) and on seed 002's
   sum of squares.  Target: BFGS nfev <= 1.2x scipy's.
2. Seed 002 solved in one step by ``linear_fit`` against scipy's ``minimize`` on the sum of
   squares (the seed's way): wall time and calls.
3. L-BFGS-B with boxes that cut Rosenbrock's valley (5, 20, 50 dimensions).

Run: ``.venv/bin/python benchmarks/run.py minimize``
"""

from __future__ import annotations

from functools import partial

import numpy as np
import scipy.optimize as so
from scipy.optimize import rosen, rosen_der

from _timing import best_time, table
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


def main() -> None:
    rows = []
    for name, label, f, x0, jac, opts in _cases():
        method = label.split("+")[0]
        a = minimize(f, x0, method=method, jac=jac, options=opts)
        b = so.minimize(f, x0, method=method, jac=jac, options=opts)
        ta = best_time(partial(minimize, f, x0, method=method, jac=jac, options=opts),
                       repeat=3, min_time=0.05)
        tb = best_time(partial(so.minimize, f, x0, method=method, jac=jac, options=opts),
                       repeat=3, min_time=0.05)
        rows.append([name, label, a.nfev, b.nfev, a.nfev / b.nfev, ta * 1e3, tb * 1e3,
                     ta / tb, f"{a.fun:.2e}", f"{b.fun:.2e}"])
    rng = np.random.default_rng(0)
    for n in (5, 20, 50):  # boxes that cut through the valley: several bounds active
        lo = rng.uniform(-1, 0.5, n)
        hi = lo + rng.uniform(0.2, 1.0, n)
        x0 = np.clip(np.full(n, 0.3), lo, hi)
        bounds = list(zip(lo, hi))
        for jac in (None, rosen_der):
            a = minimize(rosen, x0, jac=jac, bounds=bounds)
            b = so.minimize(rosen, x0, jac=jac, bounds=bounds)
            ta = best_time(partial(minimize, rosen, x0, jac=jac, bounds=bounds), repeat=3,
                           min_time=0.05)
            tb = best_time(partial(so.minimize, rosen, x0, jac=jac, bounds=bounds), repeat=3,
                           min_time=0.05)
            rows.append([f"box-rosen{n}", "L-BFGS-B" + ("+jac" if jac else ""), a.nfev,
                         b.nfev, a.nfev / b.nfev, ta * 1e3, tb * 1e3, ta / tb,
                         f"{a.fun:.2e}", f"{b.fun:.2e}"])
    print(table(rows, ["problem", "method", "nfev", "scipy", "ratio", "ms", "scipy ms",
                       "t ratio", "fun", "scipy fun"]))
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


if __name__ == "__main__":
    main()
