"""BFGS quasi-Newton minimisation of a smooth scalar function.

The iteration keeps an approximation ``H_k`` of the inverse Hessian.  At ``x_k`` with
gradient ``g_k``:

    p_k = -H_k g_k                                   (quasi-Newton direction)
    x_{k+1} = x_k + a_k p_k                          (a_k from a strong Wolfe line search)
    s_k = x_{k+1} - x_k,   y_k = g_{k+1} - g_k,   rho_k = 1 / (y_k . s_k)
    H_{k+1} = (I - rho s y^T) H_k (I - rho y s^T) + rho s s^T      (BFGS update)

evaluated in O(n^2) as ``H + rho((1 + rho y.Hy) s s^T - s (Hy)^T - (Hy) s^T)``.  The strong
Wolfe conditions give ``y.s > 0``, so ``H`` stays symmetric positive definite.

Conventions (chosen to match ``scipy.optimize.minimize(method='BFGS')`` so that call
counts are comparable):

- ``H_0 = I`` (or a user matrix); no rescaling after the first step.
- First trial step of each line search ``a = min(1, 1.01 * 2 (f_k - f_{k-1}) / (g_k . p_k))``
  (Nocedal & Wright eq. 3.60), with the fictitious ``f_{-1} = f_0 + |g_0| / 2`` so that the
  very first step has length about one; Wolfe constants ``c1 = 1e-4``, ``c2 = 0.9``.
- The line search is Moré and Thuente's (ACM TOMS 20 (1994) 286; up to 30 trials); when
  it fails, as it does at the noise level of difference gradients, a bracketing-and-zoom
  search (Nocedal & Wright, Algorithms 3.5-3.6; up to 10 trials) tries from the same start.
- Stop when ``||g||_norm <= gtol`` (status 0), after ``maxiter`` iterations (status 1),
  when the line search finds no decrease (status 2, precision loss), when the function
  value or gradient is not finite (status 3), or when the step is below
  ``xrtol (xrtol + ||x||)`` (status 0).

If the line search fails to satisfy the curvature condition but found a strict decrease,
that step is taken (the update is skipped if ``y.s <= 0``) and the run stops with
status 2: such failures happen when differences of ``f`` are at rounding level.

Reference: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., ch. 6.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .line_search import LineSearchResult, more_thuente, strong_wolfe

__all__ = ["BFGSOptions", "BFGSResult", "bfgs"]

MESSAGES = {
    0: "Optimization terminated successfully.",
    1: "Maximum number of iterations has been exceeded.",
    2: "Desired error not necessarily achieved due to precision loss.",
    3: "NaN result encountered.",
    99: "`callback` raised `StopIteration`.",
}


@dataclass
class BFGSOptions:
    """Settings of :func:`bfgs` (scipy's option names)."""

    gtol: float = 1e-5
    norm: float = np.inf
    maxiter: int | None = None
    xrtol: float = 0.0
    c1: float = 1e-4
    c2: float = 0.9
    hess_inv0: np.ndarray | None = None


@dataclass
class BFGSResult:
    """Outcome of :func:`bfgs`; ``status`` has scipy's meaning (see ``MESSAGES``)."""

    x: np.ndarray
    fun: float
    jac: np.ndarray
    hess_inv: np.ndarray
    nit: int
    status: int
    message: str


def _norm(g: np.ndarray, order: float) -> float:
    if order == np.inf:
        return float(np.max(np.abs(g))) if g.size else 0.0
    if order == -np.inf:
        return float(np.min(np.abs(g))) if g.size else 0.0
    return float(np.sum(np.abs(g) ** order) ** (1.0 / order))


def _line_search(phi_dphi: Callable[[float], tuple[float, float]], f: float, dphi0: float,
                 alpha1: float, c1: float, c2: float) -> LineSearchResult:
    """Moré-Thuente; if it fails (at the noise level of difference gradients), a short
    bracketing-and-zoom search (Nocedal & Wright) from the same first trial."""
    ls = more_thuente(phi_dphi, f, dphi0, alpha1, c1, c2, maxiter=30)
    if ls.success:
        return ls
    ls2 = strong_wolfe(phi_dphi, f, dphi0, alpha1, c1, c2, maxiter=10)
    if ls2.alpha == 0.0 and ls.alpha > 0.0:
        return ls  # the first search's decrease, if the second found none
    return LineSearchResult(ls2.alpha, ls2.phi, ls2.dphi, ls.nfev + ls2.nfev, ls2.success)


def bfgs(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray,
         options: BFGSOptions | None = None,
         callback: Callable[[np.ndarray, float], bool] | None = None) -> BFGSResult:
    """Minimise ``f`` with BFGS and a strong Wolfe line search.

    Parameters
    ----------
    fg : callable
        ``fg(x) -> (f(x), grad f(x))``.
    x0 : ndarray, shape (n,)
        Start point.
    options : BFGSOptions, optional
    callback : callable, optional
        ``callback(x, f) -> bool`` after each iteration; returning True stops (status 99).

    Returns
    -------
    BFGSResult
    """
    opt = options or BFGSOptions()
    x = np.array(x0, dtype=float)
    n = x.size
    maxiter = 200 * n if opt.maxiter is None else int(opt.maxiter)
    H = np.eye(n) if opt.hess_inv0 is None else np.array(opt.hess_inv0, dtype=float)
    f, g = fg(x)
    f_old = f + np.linalg.norm(g) / 2.0
    k = 0
    status = 0
    if not (np.isfinite(f) and np.all(np.isfinite(g))):
        status = 3
    while status == 0 and _norm(g, opt.norm) > opt.gtol:
        if k >= maxiter:
            status = 1
            break
        p = -H @ g
        dphi0 = float(g @ p)
        if not dphi0 < 0.0:  # H lost positive definiteness through rounding: restart
            H = np.eye(n)
            p = -g
            dphi0 = float(g @ p)
        alpha1 = 1.0
        if dphi0 != 0.0:
            trial = 1.01 * 2.0 * (f - f_old) / dphi0
            if trial > 0.0:
                alpha1 = min(1.0, trial)
        cache: dict[float, tuple[float, np.ndarray]] = {}

        def phi_dphi(a: float, x: np.ndarray = x, p: np.ndarray = p,
                     cache: dict[float, tuple[float, np.ndarray]] = cache
                     ) -> tuple[float, float]:
            fa, ga = fg(x + a * p)
            cache[a] = (fa, ga)
            return fa, float(ga @ p)

        ls = _line_search(phi_dphi, f, dphi0, alpha1, opt.c1, opt.c2)
        if ls.alpha == 0.0:
            status = 2
            break
        s = ls.alpha * p
        x_new = x + s
        f_new, g_new = cache[ls.alpha]
        y = g_new - g
        f_old, f, x, g = f, f_new, x_new, g_new
        k += 1
        if callback is not None and callback(x, f):
            status = 99
            break
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            status = 3
            break
        if opt.xrtol > 0 and np.linalg.norm(s) <= opt.xrtol * (opt.xrtol + np.linalg.norm(x)):
            break
        ys = float(y @ s)
        if ys > 0.0:
            rho = 1.0 / ys
            Hy = H @ y
            H += rho * ((1.0 + rho * float(y @ Hy)) * np.outer(s, s)
                        - np.outer(s, Hy) - np.outer(Hy, s))
        if not ls.success and _norm(g, opt.norm) > opt.gtol:
            status = 2  # the decrease found was kept, but the search is at rounding level
            break
    return BFGSResult(x=x, fun=float(f), jac=g, hess_inv=H, nit=k, status=status,
                      message=MESSAGES[status])
