"""BFGS quasi-Newton minimisation of a smooth scalar function.

The iteration keeps an approximation ``H_k`` of the inverse Hessian.  At ``x_k`` with
gradient ``g_k``:

    p_k = -H_k g_k                                   (quasi-Newton direction)
    x_{k+1} = x_k + a_k p_k                          (a_k from a strong Wolfe line search)
    s_k = x_{k+1} - x_k,   y_k = g_{k+1} - g_k,   rho_k = 1 / (y_k . s_k)
    H_{k+1} = (I - rho s y^T) H_k (I - rho y s^T) + rho s s^T      (BFGS update)

For n <= 100 the update is evaluated in this product form (O(n^3)): the factor
``I - rho s y^T`` is formed first, so that when ``H_0`` is badly scaled (a cost of size
1e50 with ``H_0 = I``) its near-cancellation stays inside the congruence and the result
keeps its scale and positive definiteness.  The expanded O(n^2) form
``H + rho((1 + rho y.Hy) s s^T - s (Hy)^T - (Hy) s^T)``, used above n = 100, adds terms
of size ``|H|`` that cancel to the new ``H``: with ``H`` off by a factor 1e50 the result is
rounding noise.  The strong Wolfe conditions give ``y.s > 0``, so ``H`` stays symmetric
positive definite.

Conventions (chosen to match ``scipy.optimize.minimize(method='BFGS')`` so that call
counts are comparable):

- ``H_0 = I`` (or a user matrix); no rescaling after the first step.
- First trial step of each line search ``a = min(1, 1.01 * 2 (f_k - f_{k-1}) / (g_k . p_k))``
  (Nocedal & Wright eq. 3.60), with the fictitious ``f_{-1} = f_0 + |g_0| / 2`` so that the
  very first step has length about one; Wolfe constants ``c1 = 1e-4``, ``c2 = 0.9``.
- The line search is Moré and Thuente's (ACM TOMS 20 (1994) 286; up to 30 calls); when
  it fails, as it does at the noise level of difference gradients, a bracketing-and-zoom
  search (Nocedal & Wright, Algorithms 3.5-3.6; up to 10 calls) tries from the same start.
  A trial whose point rounds to ``x_k`` itself (a step below the resolution of ``x``, as
  when the gradient is 1e-50) is answered from ``f_k, g_k`` without a call of ``f``, so
  the search can extrapolate (x5 a trial) from such a step to one of visible size.
- Stop when ``||g||_norm <= gtol`` (status 0; the last pair then does not update ``H``),
  after ``maxiter`` iterations (status 1), when the line search finds no decrease
  (status 2, precision loss), when the function value or gradient is not finite
  (status 3), or when the step is below ``xrtol (xrtol + ||x||)`` (status 0).

If the line search fails to satisfy the curvature condition but found a strict decrease,
that step is taken (the update is skipped if ``y.s <= 0``) and the run stops with
status 2: such failures happen when differences of ``f`` are at rounding level.

Non-finite values (scipy's conventions, gh-2019 and gh-4793): a trial where ``f = -inf``
is the lowest value there is, so the run moves there and stops (status 2, ``fun = -inf``);
when a line search finds no decrease and met NaN, the run moves to that NaN trial and
stops (status 2, ``fun = nan``), so that the result shows the cost failed rather than
posing as a point where precision ran out.

Reference: J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., ch. 6.
"""

from __future__ import annotations

import math
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


class _Ray:
    """``phi(a) = f(x + a p)`` and ``phi'(a)`` for one line search, with a budget of calls.

    A trial point that rounds to ``x`` itself is answered from ``f, g`` at no cost.  Once
    ``limit`` calls of ``f`` are spent, trials get ``phi = inf`` without a call, so that
    the search backs off and returns the best point found.  ``cache`` maps each trial
    step to ``(f, g)`` at its point.
    """

    def __init__(self, fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
                 p: np.ndarray, f: float, g: np.ndarray, dphi0: float) -> None:
        self.fg, self.x, self.p, self.f, self.g, self.dphi0 = fg, x, p, f, g, dphi0
        self.cache: dict[float, tuple[float, np.ndarray]] = {}
        self.calls = 0
        self.limit = 0

    def __call__(self, a: float) -> tuple[float, float]:
        xa = self.x + a * self.p
        if np.array_equal(xa, self.x):  # the step is below the resolution of x
            self.cache[a] = (self.f, self.g)
            return self.f, self.dphi0
        if self.calls >= self.limit:
            return math.inf, math.nan
        self.calls += 1
        fa, ga = self.fg(xa)
        self.cache[a] = (fa, ga)
        return fa, float(ga @ self.p)


def _line_search(ray: _Ray, alpha1: float, c1: float, c2: float) -> LineSearchResult:
    """Moré-Thuente (30 calls of f); if it fails (at the noise level of difference
    gradients), a short bracketing-and-zoom search (Nocedal & Wright; 10 calls) from the
    same first trial.  Trials that round to x cost nothing and do not count."""
    f, dphi0 = ray.f, ray.dphi0
    ray.limit = ray.calls + 30
    ls = more_thuente(ray, f, dphi0, alpha1, c1, c2, maxiter=300)
    if ls.success:
        return ls
    ray.limit = ray.calls + 10
    ls2 = strong_wolfe(ray, f, dphi0, alpha1, c1, c2, maxiter=150)
    if ls2.alpha == 0.0 and ls.alpha > 0.0:
        return ls  # the first search's decrease, if the second found none
    return LineSearchResult(ls2.alpha, ls2.phi, ls2.dphi, ls.nfev + ls2.nfev, ls2.success)


_PRODUCT_FORM_MAX_N = 100
"""Largest n for which the inverse-Hessian update uses the O(n^3) product form."""


def _update(H: np.ndarray, s: np.ndarray, y: np.ndarray, rho: float) -> np.ndarray:
    """The BFGS update of the inverse Hessian ``H`` by the pair (s, y), ``rho = 1/(y.s)``
    (module docstring: product form for n <= 100, expanded form above)."""
    n = s.size
    if n <= _PRODUCT_FORM_MAX_N:
        A = np.eye(n) - rho * np.outer(s, y)
        return A @ (H @ A.T) + rho * np.outer(s, s)
    Hy = H @ y
    H = H + rho * ((1.0 + rho * float(y @ Hy)) * np.outer(s, s)
                   - np.outer(s, Hy) - np.outer(Hy, s))
    return H


def _nonfinite_trial(cache: dict[float, tuple[float, np.ndarray]], alpha: float
                     ) -> float | None:
    """The line-search trial to move to instead of ``alpha``: one where f = -inf, else,
    when no decrease was found (alpha = 0), the first where f is NaN; None otherwise."""
    for a, (fa, _) in cache.items():
        if fa == -np.inf:
            return a
    if alpha == 0.0:
        for a, (fa, _) in cache.items():
            if np.isnan(fa):
                return a
    return None


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
        ray = _Ray(fg, x, p, f, g, dphi0)
        ls = _line_search(ray, alpha1, opt.c1, opt.c2)
        a_bad = _nonfinite_trial(ray.cache, ls.alpha)
        if ls.alpha == 0.0 and a_bad is None:
            status = 2
            break
        a_step = ls.alpha if a_bad is None else a_bad
        s = a_step * p
        x_new = x + s
        f_new, g_new = ray.cache[a_step]
        y = g_new - g
        f_old, f, x, g = f, f_new, x_new, g_new
        k += 1
        if callback is not None and callback(x, f):
            status = 99
            break
        if a_bad is not None:
            status = 2  # moved to f = -inf, or to NaN where no decrease was found
            break
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            status = 3
            break
        if _norm(g, opt.norm) <= opt.gtol:
            break  # converged: the last pair is not folded into H (as scipy)
        if opt.xrtol > 0 and np.linalg.norm(s) <= opt.xrtol * (opt.xrtol + np.linalg.norm(x)):
            break
        ys = float(y @ s)
        if ys > 0.0:
            H = _update(H, s, y, 1.0 / ys)
        if not ls.success and _norm(g, opt.norm) > opt.gtol:
            status = 2  # the decrease found was kept, but the search is at rounding level
            break
    return BFGSResult(x=x, fun=float(f), jac=g, hess_inv=H, nit=k, status=status,
                      message=MESSAGES[status])
