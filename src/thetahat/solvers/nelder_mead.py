"""Nelder–Mead downhill simplex minimisation (no derivatives).

A simplex of ``n + 1`` vertices sorted by value ``f_0 <= ... <= f_n`` is transformed each
iteration.  With the centroid of the best ``n`` vertices ``c`` and the worst vertex
``x_n``:

    reflection         x_r  = c + rho (c - x_n)
    expansion          x_e  = c + rho chi (c - x_n)          if f_r < f_0
    outside contraction x_oc = c + psi rho (c - x_n)          if f_{n-1} <= f_r < f_n
    inside contraction x_ic = c - psi (c - x_n)               if f_r >= f_n
    shrink             x_j <- x_0 + sigma (x_j - x_0)         if the contraction fails

(Lagarias, Reeds, Wright & Wright, SIAM J. Optim. 9 (1998) 112).  Standard coefficients
``(rho, chi, psi, sigma) = (1, 2, 1/2, 1/2)``; the *adaptive* ones of Gao & Han
(Comput. Optim. Appl. 51 (2012) 259) are ``(1, 1 + 2/n, 3/4 - 1/(2n), 1 - 1/n)`` and work
better in many dimensions.

Start simplex (scipy's convention): ``x0`` and, for each ``i``, ``x0`` with component
``i`` multiplied by 1.05 (set to 0.00025 if it is zero).  Bounds, if given, clip every
vertex into the box (vertices of the start simplex beyond a bound are first reflected).

Stop when ``max_j ||x_j - x_0||_inf <= xatol`` and ``max_j |f_j - f_0| <= fatol``
(status 0), or when ``maxfev`` evaluations (status 1) or ``maxiter`` iterations
(status 2) are used.  As in scipy, building the start simplex counts as iteration 1.

Compiled twin.  ``thetahat._compiled._minimize.nelder_mead`` runs the same iterations in C
(the user's function called from C), used when the core is built and ``THETAHAT_COMPILED``
is not ``0``; ``compiled=False`` selects the numpy code, the reference: the two take the same
steps and agree in ``nit``, ``nfev`` and values to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._compiled import minicore as _minicore

__all__ = ["NelderMeadOptions", "NelderMeadResult", "nelder_mead"]

MESSAGES = {
    0: "Optimization terminated successfully.",
    1: "Maximum number of function evaluations has been exceeded.",
    2: "Maximum number of iterations has been exceeded.",
    99: "`callback` raised `StopIteration`.",
}


@dataclass
class NelderMeadOptions:
    """Settings of :func:`nelder_mead` (scipy's option names)."""

    xatol: float = 1e-4
    fatol: float = 1e-4
    maxiter: int | None = None
    maxfev: int | None = None
    adaptive: bool = False
    initial_simplex: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None


@dataclass
class NelderMeadResult:
    """Outcome of :func:`nelder_mead`; ``status`` has scipy's meaning."""

    x: np.ndarray
    fun: float
    nit: int
    nfev: int
    status: int
    message: str
    final_simplex: tuple[np.ndarray, np.ndarray]


class _BudgetSpent(Exception):
    """Raised by the counting wrapper when ``maxfev`` evaluations are spent (scipy stops
    exactly there, even inside the start simplex)."""


def _start_simplex(x0: np.ndarray) -> np.ndarray:
    n = x0.size
    sim = np.tile(x0, (n + 1, 1))
    for i in range(n):
        sim[i + 1, i] = sim[i + 1, i] * 1.05 if sim[i + 1, i] != 0 else 0.00025
    return sim


def nelder_mead(f: Callable[[np.ndarray], float], x0: np.ndarray,
                options: NelderMeadOptions | None = None,
                callback: Callable[[np.ndarray, float], bool] | None = None,
                compiled: bool | None = None) -> NelderMeadResult:
    """Minimise ``f`` with the Nelder–Mead simplex method.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x0 : ndarray, shape (n,)
        Start point.
    options : NelderMeadOptions, optional
    callback : callable, optional
        ``callback(x_best, f_best) -> bool`` after each iteration; True stops (status 99).
    compiled : bool, optional
        Use the compiled core (True; an error if it is not built), the numpy code (False)
        or the core when it is available (None, the default).

    Returns
    -------
    NelderMeadResult
    """
    opt = options or NelderMeadOptions()
    x0 = np.array(x0, dtype=float)
    n = x0.size
    if opt.adaptive:
        rho, chi, psi, sigma = 1.0, 1.0 + 2.0 / n, 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n
    else:
        rho, chi, psi, sigma = 1.0, 2.0, 0.5, 0.5
    maxiter: float | None = opt.maxiter
    maxfev: float | None = opt.maxfev
    if maxiter is None and maxfev is None:
        maxiter = maxfev = 200 * n
    elif maxiter is None:  # only one limit given: the other is off (scipy's rule)
        maxiter = 200 * n if maxfev == np.inf else np.inf
    elif maxfev is None:
        maxfev = 200 * n if maxiter == np.inf else np.inf
    assert maxiter is not None and maxfev is not None
    lo, hi = opt.lower, opt.upper
    bounded = lo is not None and hi is not None

    def clip(x: np.ndarray) -> np.ndarray:
        return np.clip(x, lo, hi) if bounded else x

    if opt.initial_simplex is not None:
        sim = np.array(opt.initial_simplex, dtype=float)
    else:
        sim = _start_simplex(x0)
    if bounded:
        assert lo is not None and hi is not None
        sim = np.where(sim > hi, 2 * hi - sim, sim)
        sim = np.where(sim < lo, 2 * lo - sim, sim)
        sim = clip(sim)
    if compiled is None:
        compiled = _minicore is not None
    if compiled:
        if _minicore is None:
            raise RuntimeError("the compiled core thetahat._compiled._minimize is not "
                               "available (not built, or THETAHAT_COMPILED=0)")
        simb, fsimb, nit, nfev, status = _minicore.nelder_mead(
            f, np.ascontiguousarray(sim, dtype=float), rho, chi, psi, sigma,
            float(opt.xatol), float(opt.fatol), float(maxiter), float(maxfev),
            None if lo is None else np.ascontiguousarray(lo, dtype=float),
            None if hi is None else np.ascontiguousarray(hi, dtype=float), callback,
            np.empty(n))
        sim = np.frombuffer(simb).reshape(n + 1, n).copy()
        fsim = np.frombuffer(fsimb).copy()
        return NelderMeadResult(x=sim[0].copy(), fun=float(fsim[0]), nit=nit, nfev=nfev,
                                status=status, message=MESSAGES[status],
                                final_simplex=(sim, fsim))
    nfev = 0
    best: list = [np.inf, None]  # the lowest value evaluated and its point

    def ev(x: np.ndarray) -> float:
        nonlocal nfev
        if nfev >= maxfev:
            raise _BudgetSpent
        nfev += 1
        v = f(x)
        v = v if np.isfinite(v) else np.inf
        if v < best[0] or best[1] is None:
            best[0], best[1] = v, np.array(x, copy=True)
        return v

    nit = 1  # scipy's convention: building the start simplex counts as an iteration
    status = 0
    fsim = np.full(sim.shape[0], np.inf)
    try:
        for j in range(sim.shape[0]):
            fsim[j] = ev(sim[j])
        order = np.argsort(fsim, kind="stable")
        sim, fsim = sim[order], fsim[order]
        while True:
            if (np.max(np.abs(sim[1:] - sim[0])) <= opt.xatol
                    and np.max(np.abs(fsim[1:] - fsim[0])) <= opt.fatol):
                break
            if nfev >= maxfev:
                status = 1
                break
            if nit >= maxiter:
                status = 2
                break
            c = np.mean(sim[:-1], axis=0)
            xw = sim[-1]
            xr = clip(c + rho * (c - xw))
            fr = ev(xr)
            shrink = False
            if fr < fsim[0]:
                xe = clip(c + rho * chi * (c - xw))
                fe = ev(xe)
                sim[-1], fsim[-1] = (xe, fe) if fe < fr else (xr, fr)
            elif fr < fsim[-2]:
                sim[-1], fsim[-1] = xr, fr
            elif fr < fsim[-1]:
                xc = clip(c + psi * rho * (c - xw))
                fc = ev(xc)
                if fc <= fr:
                    sim[-1], fsim[-1] = xc, fc
                else:
                    shrink = True
            else:
                xc = clip(c - psi * (c - xw))
                fc = ev(xc)
                if fc < fsim[-1]:
                    sim[-1], fsim[-1] = xc, fc
                else:
                    shrink = True
            if shrink:
                for j in range(1, n + 1):
                    xs = clip(sim[0] + sigma * (sim[j] - sim[0]))
                    fsim[j] = ev(xs)
                    sim[j] = xs
            order = np.argsort(fsim, kind="stable")
            sim, fsim = sim[order], fsim[order]
            nit += 1
            if callback is not None and callback(sim[0].copy(), float(fsim[0])):
                status = 99
                break
    except _BudgetSpent:  # maxfev reached inside an iteration: the best point evaluated
        status = 1
        if best[1] is not None:
            sim[0], fsim[0] = best[1], best[0]
    return NelderMeadResult(x=sim[0].copy(), fun=float(fsim[0]), nit=nit, nfev=nfev,
                            status=status, message=MESSAGES[status],
                            final_simplex=(sim, fsim))
