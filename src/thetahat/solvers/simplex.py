"""SIMPLEX: MINUIT's derivative-free minimizer (Nelder & Mead 1965).

A simplex of n + 1 points is moved by operations on its worst point x_w through the
centroid c of the others:

    reflection   x_r = c + (c - x_w)            (α = 1)
    expansion    x_e = c + 2 (c - x_w)          (γ = 2), when x_r beats the best point
    contraction  x_c = c ± (x_w - c) / 2        (β = 1/2), outside or inside
    shrinkage    x_i ← x_b + (x_i - x_b) / 2    towards the best point x_b

until the spread of the function values over the simplex, F_max - F_min, falls below the
goal max(tol · errordef, 2⁻²⁴) — deliberately lax (MIGRAD's is 500 times smaller; both
come from :mod:`thetahat._core.rules`), since SIMPLEX is meant to bring a fit near the
minimum for MIGRAD.

A small simplex shows a small spread far from the minimum too, so every apparent
convergence is checked, as O'Neill (1971) suggests, by a probe: F(x_b ± h_i e_i) along
each axis (2n calls; h_i is halved while a side is outside F's domain; the start is
probed the same way with h = step0). The probe gives the central estimates g_i, g2_i,
the diagonal EDM Σ g_i² / (2 g2_i), and the next simplex: x_b and the lower side along
each axis, with edges h_i ← sqrt(2 errordef / g2_i), one standard deviation (changed at
most tenfold per probe). The search stops when that EDM is below the goal and the last
simplex search gained less than the goal (the diagonal EDM misses progress along
correlated valleys). Then the diagonal Newton steps x_b - g_i / g2_i of the last probe and
of one more probe at the same centre with a quarter of its steps (2n calls; the O(h²)
error of central differences, F''' h² / 6 in g, is 16 times smaller) are tried if they
stay within the last probe's steps (each kept if lower). A probe at the same centre as
the last one uses a quarter of the steps (else the O(h²) error of g could hold the EDM up
for ever). ``hess_inv`` is diag(1 / g2)
of the last probe; no covariance is reported (``has_covariance`` False). Non-finite
function values count as +inf, and so does an OverflowError of the function at any point
but the start (MIGRAD's rule, :class:`~.migrad._Counted`). The call limit is MIGRAD's,
200 + 100 n + 5 n².
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .._core.rules import default_ncall, simplex_goal
from .migrad import MigradOptions, MigradResult, _check, _Counted, _Limit

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["simplex"]


def simplex(fcn: Callable[[NDArray], float], x0: NDArray, step0: NDArray,
            options: MigradOptions) -> MigradResult:
    """Minimize ``fcn`` from ``x0`` by SIMPLEX (module docstring).

    Parameters
    ----------
    fcn : callable
        ``fcn(x) -> float``.
    x0 : ndarray, shape (n,)
        Start (internal coordinates).
    step0 : ndarray, shape (n,)
        Initial steps: the simplex edges along each axis.
    options : MigradOptions
        ``errordef``, ``tol`` and ``max_nfcn`` are used.

    Returns
    -------
    MigradResult
        ``has_covariance`` is False.

    Examples
    --------
    >>> import numpy as np
    >>> r = simplex(lambda x: (x[0] - 1) ** 2 + x[1] ** 2, np.zeros(2), np.ones(2),
    ...             MigradOptions(tol=1e-4))
    >>> bool(np.allclose(r.x, [1, 0], atol=0.05)), r.is_valid
    (True, True)
    """
    x0, step = _check(x0, step0, options)
    n = x0.size
    errordef = float(options.errordef)
    goal = simplex_goal(options.tol, errordef)
    limit = int(options.max_nfcn or default_ncall(n))
    counted = _Counted(fcn, limit)  # MIGRAD's counter: an OverflowError after the start is inf
    best = [x0.copy(), np.inf]

    def f(x: NDArray) -> float:
        v = counted(x)
        v = v if np.isfinite(v) else np.inf
        if v < best[1]:
            best[0], best[1] = x.copy(), v
        return v

    def probe(xb: NDArray, fb: float, h: NDArray, trust: NDArray | None = None):
        """F(xb ± h_i e_i): a simplex of the lower sides, diagonal g, g2, EDM, new steps;
        the diagonal Newton step is kept when within ``trust`` (default: the steps)."""
        pts = np.vstack([xb, xb + np.diag(h)])
        fv = np.full(n + 1, np.inf)
        fv[0] = fb
        g = np.zeros(n)
        g2 = np.zeros(n)
        h = h.copy()
        for i in range(n):
            for _ in range(10):  # a side outside F's domain: halve the step
                xp = xb.copy()
                xp[i] += h[i]
                xm = xb.copy()
                xm[i] -= h[i]
                fp, fm = f(xp), f(xm)
                if fp < np.inf and fm < np.inf:
                    break
                h[i] *= 0.5
            pts[i + 1], fv[i + 1] = (xm, fm) if fm < fp else (xp, fp)
            g[i] = (fp - fm) / (2.0 * h[i])
            g2[i] = (fp + fm - 2.0 * fb) / (h[i] * h[i])
        curved = (g2 > 0) & np.isfinite(g2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            edm = float(np.sum(np.where(curved, g * g / (2.0 * g2), np.inf)))
            hnew = np.where(curved, np.sqrt(2.0 * errordef / np.where(curved, g2, 1.0)),
                            4.0 * h)
        # the next simplex edge: about one standard deviation, changing at most 10-fold
        dx = np.where(curved, -g / np.where(curved, g2, 1.0), 0.0)
        # trusted only within the probed steps (beyond, F's shape is not measured)
        ok = np.all(np.abs(dx) <= (h if trust is None else trust))
        last[:] = xb, (dx if ok else np.zeros(n)), h, fb
        return pts, fv, edm, np.clip(hnew, 0.1 * h, 10.0 * h), np.where(curved, g2, 0.0)

    # the last probe's centre, diagonal Newton step, steps and F at the centre
    last: list = [x0, np.zeros(n), step, np.inf]

    niter = 0
    pts = np.vstack([x0] * (n + 1))
    fv = np.full(n + 1, np.inf)
    edm = np.inf
    g2 = np.zeros(n)
    call_limit = False
    h = step.copy()
    try:
        fv[0] = f(x0)
        pts, fv, edm, h, g2 = probe(x0, fv[0], h)
        nprobe = 1
        fprobe = fv[0]
        gain = np.inf if edm >= goal else 0.0
        while (edm >= goal or gain >= goal) and nprobe < 50:
            order = np.argsort(fv, kind="stable")
            pts, fv = pts[order], fv[order]
            if fv[-1] - fv[0] < goal:
                # a small spread can also mean a small simplex: measure the EDM
                gain, fprobe = fprobe - fv[0], fv[0]
                if np.array_equal(pts[0], last[0]):
                    # the same centre again: the steps' third-order error in g holds the
                    # EDM up (and the simplex in place); probe closer
                    h = 0.25 * h
                pts, fv, edm, h, g2 = probe(pts[0].copy(), fv[0], h)
                nprobe += 1
                continue
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
                outside = fr < fv[-1]
                xc = c + 0.5 * (xr - c) if outside else c + 0.5 * (pts[-1] - c)
                fc = f(xc)
                if fc < (fr if outside else fv[-1]):
                    pts[-1], fv[-1] = xc, fc
                else:  # shrink towards the best point
                    for i in range(1, n + 1):
                        pts[i] = pts[0] + 0.5 * (pts[i] - pts[0])
                        fv[i] = f(pts[i])
        if edm < goal and np.any(last[1]):
            # the diagonal Newton step (one call, kept if lower): the simplex stops within
            # the lax goal; this lands near the minimum's quadratic centre instead. Its g
            # comes from a probe at a quarter of the last steps (2n calls): the central
            # differences' O(h²) error in g, up to F''' h² / 6, is 16 times smaller (a
            # probe at 1 sigma in a limit's sine coordinate put the step off by ~1/3 sigma)
            # (its g2 is that of the centre: further away the coarse probe's average
            # curvature can do better, so both steps are tried)
            xc, hc, dx1 = last[0], last[2], last[1]
            p4, f4, _, _, _ = probe(xc, last[3], 0.25 * hc, trust=hc)
            i4 = int(np.argmin(f4))
            if f4[i4] < fv.min():
                pts[0], fv[0] = p4[i4], f4[i4]
            for dx in (dx1, last[1]):
                if np.any(dx):
                    xn = xc + dx
                    fn = f(xn)
                    if fn < fv.min():
                        pts[0], fv[0] = xn, fn
    except _Limit:
        call_limit = True
        pts[0], fv[0] = best[0], best[1]
    order = np.argsort(fv, kind="stable")
    pts, fv = pts[order], fv[order]
    call_limit = bool(call_limit and not edm < goal)
    hinv = np.diag(np.where(g2 > 0, 1.0 / np.where(g2 > 0, g2, 1.0),
                            step ** 2 / (2.0 * errordef)))
    above = bool(not edm < 10.0 * goal)
    ok = np.isfinite(fv[0])
    return MigradResult(x=pts[0].copy(), fval=float(fv[0]), edm=edm, grad=np.zeros(n),
                        hess_inv=hinv, nfcn=counted.n, ngrad=0,
                        niter=niter, is_valid=bool(ok and not (call_limit or above)),
                        is_above_max_edm=above, has_reached_call_limit=call_limit,
                        has_covariance=False, has_accurate_covar=False,
                        has_posdef_covar=False, has_made_posdef_covar=False,
                        hesse_failed=False,
                        message="call limit reached" if call_limit
                        else ("EDM above maximum" if above else "ok"))
