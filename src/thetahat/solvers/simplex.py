"""SIMPLEX: MINUIT's derivative-free minimizer (Nelder & Mead 1965).

A simplex of n + 1 points, the first at x0 and the others displaced by the initial steps
along each axis, is moved by reflection (α = 1), expansion (γ = 2), contraction
(β = 0.5) of its worst point through the centroid of the others, and shrinkage towards the
best point when nothing else helps. MINUIT's stopping rule: the spread of the function
values over the simplex, F_max - F_min, which estimates the distance to the minimum,
falls below the EDM goal 0.002 · tol · errordef. No covariance is produced.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import NDArray

from .migrad import MigradOptions, MigradResult

__all__ = ["simplex"]


def simplex(fcn: Callable[[NDArray], float], x0: NDArray, step0: NDArray,
            options: MigradOptions) -> MigradResult:
    x0 = np.array(x0, dtype=float)
    n = x0.size
    goal = 0.002 * options.tol * options.errordef
    limit = options.max_nfcn or (200 + 100 * n + 5 * n * n)
    nfcn = 0

    def f(x: NDArray) -> float:
        nonlocal nfcn
        nfcn += 1
        v = float(fcn(x))
        return v if np.isfinite(v) else np.inf

    pts = np.vstack([x0] + [x0 + np.eye(n)[i] * step0[i] for i in range(n)])
    fv = np.array([f(p) for p in pts])
    niter = 0
    while nfcn < limit:
        order = np.argsort(fv)
        pts, fv = pts[order], fv[order]
        if fv[-1] - fv[0] < goal:
            break
        niter += 1
        c = pts[:-1].mean(axis=0)
        xr = c + (c - pts[-1])
        fr = f(xr)
        if fr < fv[0]:
            xe = c + 2.0 * (c - pts[-1])
            fe = f(xe)
            pts[-1], fv[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < fv[-2]:
            pts[-1], fv[-1] = xr, fr
        else:
            xc = c + 0.5 * (pts[-1] - c) if fr >= fv[-1] else c + 0.5 * (xr - c)
            fc = f(xc)
            if fc < min(fr, fv[-1]):
                pts[-1], fv[-1] = xc, fc
            else:  # shrink towards the best point
                for i in range(1, n + 1):
                    pts[i] = pts[0] + 0.5 * (pts[i] - pts[0])
                    fv[i] = f(pts[i])
    order = np.argsort(fv)
    pts, fv = pts[order], fv[order]
    edm = float(fv[-1] - fv[0])
    call_limit = nfcn >= limit and edm >= goal
    above = bool(edm > 10 * goal)
    return MigradResult(x=pts[0], fval=float(fv[0]), edm=edm, grad=np.zeros(n),
                        hess_inv=np.diag(np.asarray(step0, float) ** 2), nfcn=nfcn, ngrad=0,
                        niter=niter, is_valid=not (call_limit or above), is_above_max_edm=above,
                        has_reached_call_limit=bool(call_limit), has_covariance=False,
                        has_accurate_covar=False, has_posdef_covar=False,
                        has_made_posdef_covar=False, hesse_failed=False,
                        message="call limit reached" if call_limit else "ok")
