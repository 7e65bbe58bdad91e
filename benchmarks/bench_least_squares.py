"""least_squares vs scipy.optimize.least_squares: small dense problems and a sparse
2000-variable system (sparse Jacobian; jac_sparsity), wall time and nfev.

Run: ``python benchmarks/bench_least_squares.py``.  Ratios < 1 mean thetahat is faster.
Times are medians of interleaved rounds (``_timing.interleaved``): on a shared machine a
load that comes and goes then hits both sides alike.
"""

from __future__ import annotations

import os
import sys
from functools import partial

import numpy as np
from scipy.optimize import least_squares as scipy_lsq

sys.path.insert(0, os.path.dirname(__file__))
from _timing import interleaved, table  # noqa: E402
from thetahat import least_squares  # noqa: E402

T = np.linspace(0, 4, 11)
Y = 2.5 * np.exp(-1.3 * T) + 0.05 * np.random.default_rng(1).normal(size=T.size)


def decay(p):
    return p[0] * np.exp(-p[1] * T) - Y


def decay_jac(p):
    e = np.exp(-p[1] * T)
    return np.column_stack([e, -p[0] * T * e])


def rosenbrock(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


N_SPARSE = 2000


def broyden(x):
    """Broyden's tridiagonal system (More, Garbow, Hillstrom 1981, problem 30)."""
    f = (3 - 2 * x) * x + 1
    f[1:] -= x[:-1]
    f[:-1] -= 2 * x[1:]
    return f


def broyden_sparsity(n):
    from scipy.sparse import diags
    return diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(n, n), format="csr")


def broyden_jac(x):
    from scipy.sparse import diags
    n = x.size
    return diags([-np.ones(n - 1), 3 - 4 * x, -2 * np.ones(n - 1)], [-1, 0, 1], format="csr")


CASES = [
    ("decay 11x2 trf", decay, [1.0, 1.0], {}),
    ("decay 11x2 trf jac", decay, [1.0, 1.0], {"jac": decay_jac}),
    ("decay 11x2 dogbox", decay, [1.0, 1.0], {"method": "dogbox"}),
    ("decay 11x2 lm", decay, [1.0, 1.0], {"method": "lm"}),
    ("decay 11x2 soft_l1", decay, [1.0, 1.0], {"loss": "soft_l1", "f_scale": 0.1}),
    ("decay 11x2 bounded", decay, [1.0, 1.0], {"bounds": ([0, 0.5], [10, 1.2])}),
    ("rosenbrock trf", rosenbrock, [-1.2, 1.0], {}),
    ("rosenbrock dogbox", rosenbrock, [-1.2, 1.0], {"method": "dogbox"}),
    (f"broyden {N_SPARSE} sparse jac, lsmr", broyden, -np.ones(N_SPARSE),
     {"jac": broyden_jac, "tr_solver": "lsmr"}),
    (f"broyden {N_SPARSE} jac_sparsity, lsmr", broyden, -np.ones(N_SPARSE),
     {"jac_sparsity": broyden_sparsity(N_SPARSE), "tr_solver": "lsmr"}),
]


def main() -> None:
    rows = []
    for label, fun, x0, kw in CASES:
        ours = least_squares(fun, x0, **kw)
        ref = scipy_lsq(fun, x0, **kw)
        t = interleaved({"ours": partial(least_squares, fun, x0, **kw),
                         "ref": partial(scipy_lsq, fun, x0, **kw)}, rounds=7, min_time=0.03)
        t_ours, t_ref = t["ours"], t["ref"]
        rows.append([label, t_ours * 1e6, t_ref * 1e6, t_ours / t_ref, ours.nfev, ref.nfev,
                     f"{ours.cost:.6g}", f"{ref.cost:.6g}"])
    print(table(rows, ["problem", "thetahat us", "scipy us", "ratio", "nfev", "scipy nfev",
                       "cost", "scipy cost"]))


if __name__ == "__main__":
    main()
