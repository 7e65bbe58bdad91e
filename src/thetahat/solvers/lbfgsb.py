"""Projected limited-memory BFGS for box constraints ``l <= x <= u``.

This is a simpler relative of L-BFGS-B (Byrd, Lu, Nocedal & Zhu, SIAM J. Sci. Comput. 16
(1995) 1190): instead of the generalised Cauchy point and subspace minimisation, each
iteration fixes the *binding* variables and takes a quasi-Newton step in the others.

Notation: ``P(z) = min(max(z, l), u)`` is the projection onto the box; the projected
gradient is ``pg = P(x - g) - x``, zero exactly at a KKT point.

Iteration at ``x_k`` (feasible) with gradient ``g``:

1. Binding set ``B = {i : x_i <= l_i and g_i > 0} U {i : x_i >= u_i and g_i < 0}``; free
   set ``F`` its complement.
2. Direction: ``d_F = -H_F g_F`` by the L-BFGS two-loop recursion on the last ``m`` pairs
   ``(s_j, y_j)`` restricted to ``F`` (pairs with ``s_F . y_F <= 0`` skipped), initial
   matrix ``gamma I`` with ``gamma = s.y / y.y`` of the newest pair; ``d_B = 0``.  With no
   pairs yet, ``d = -g`` and the first trial step is ``1 / ||d||`` (as L-BFGS-B).
3. Feasible search path: ``p = P(x + d) - x`` (the projected unit step).  If ``g . p >= 0``
   (projection spoiled descent) use the projected steepest descent ``p = P(x - g) - x``.
   Every point ``x + a p``, ``0 <= a <= 1``, is feasible by convexity of the box.
4. Line search on ``a in (0, 1]`` for the strong Wolfe conditions (``c1 = 1e-3``,
   ``c2 = 0.9``); reaching ``a = 1`` with sufficient decrease is accepted.
5. Store ``s = x_{k+1} - x_k``, ``y = g_{k+1} - g_k`` when ``s.y > eps y.y``.

Stopping (scipy's L-BFGS-B rules and messages): ``||pg||_inf <= gtol`` (status 0);
``(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol`` (status 0); ``maxiter`` iterations
or ``maxfun`` evaluations (status 1); line search without decrease (status 2).

The inverse Hessian approximation is returned as :class:`LbfgsInvHess`, a
``scipy.sparse.linalg.LinearOperator`` applying the two-loop recursion on the full vectors
(``.todense()`` gives the matrix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .line_search import strong_wolfe

__all__ = ["LBFGSBOptions", "LBFGSBResult", "LbfgsInvHess", "lbfgsb"]

_EPS = np.finfo(float).eps

MESSAGES = {
    "pg": "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL",
    "f": "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH",
    "iter": "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT",
    "fev": "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT",
    "ls": "ABNORMAL: no decrease found along the search direction",
    "nan": "ABNORMAL: function value or gradient is not finite",
    "cb": "`callback` raised `StopIteration`.",
}
_STATUS = {"pg": 0, "f": 0, "iter": 1, "fev": 1, "ls": 2, "nan": 2, "cb": 99}


@dataclass
class LBFGSBOptions:
    """Settings of :func:`lbfgsb` (scipy's names and defaults)."""

    maxcor: int = 10
    ftol: float = 1e7 * _EPS
    gtol: float = 1e-5
    maxfun: int = 15000
    maxiter: int = 15000
    maxls: int = 20


@dataclass
class LBFGSBResult:
    """Outcome of :func:`lbfgsb`; ``status`` has scipy's meaning."""

    x: np.ndarray
    fun: float
    jac: np.ndarray
    hess_inv: "LbfgsInvHess"
    nit: int
    status: int
    message: str


def _two_loop(q: np.ndarray, S: list[np.ndarray], Y: list[np.ndarray],
              gamma: float) -> np.ndarray:
    """``H q`` for the L-BFGS matrix of pairs ``S, Y`` (oldest first) and ``H0 = gamma I``."""
    q = q.copy()
    alphas = []
    for s, y in zip(reversed(S), reversed(Y)):
        rho = 1.0 / float(y @ s)
        a = rho * float(s @ q)
        alphas.append((a, rho))
        q -= a * y
    r = gamma * q
    for (s, y), (a, rho) in zip(zip(S, Y), reversed(alphas)):
        b = rho * float(y @ r)
        r += (a - b) * s
    return r


class LbfgsInvHess(LinearOperator):
    """The L-BFGS inverse Hessian approximation as a linear operator.

    Parameters
    ----------
    sk, yk : ndarray, shape (m, n)
        Correction pairs, oldest first.
    """

    def __init__(self, sk: np.ndarray, yk: np.ndarray, n: int) -> None:
        super().__init__(dtype=np.float64, shape=(n, n))
        self.sk = np.asarray(sk, dtype=float).reshape(-1, n)
        self.yk = np.asarray(yk, dtype=float).reshape(-1, n)
        if len(self.sk):
            s, y = self.sk[-1], self.yk[-1]
            self._gamma = float(s @ y) / float(y @ y)
        else:
            self._gamma = 1.0

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        v = np.asarray(x, dtype=float).reshape(-1)
        return _two_loop(v, list(self.sk), list(self.yk), self._gamma)

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([self._matvec(c) for c in np.asarray(X).T])

    def _adjoint(self) -> "LbfgsInvHess":
        return self  # symmetric

    def todense(self) -> np.ndarray:
        """The dense (n, n) matrix."""
        return self._matmat(np.eye(self.shape[0]))


def lbfgsb(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray,
           lower: np.ndarray, upper: np.ndarray, options: LBFGSBOptions | None = None,
           callback: Callable[[np.ndarray, float], bool] | None = None,
           nfev: Callable[[], int] | None = None) -> LBFGSBResult:
    """Minimise ``f`` subject to ``lower <= x <= upper`` by projected L-BFGS.

    Parameters
    ----------
    fg : callable
        ``fg(x) -> (f(x), grad f(x))``.
    x0 : ndarray, shape (n,)
        Start point (projected into the box).
    lower, upper : ndarray, shape (n,)
        Bounds (``-inf`` / ``inf`` for none).
    options : LBFGSBOptions, optional
    callback : callable, optional
        ``callback(x, f) -> bool`` after each iteration; True stops (status 99).
    nfev : callable, optional
        Returns the number of calls of the user's function so far (for ``maxfun``);
        defaults to counting calls of ``fg``.

    Returns
    -------
    LBFGSBResult
    """
    opt = options or LBFGSBOptions()
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    x = np.clip(np.array(x0, dtype=float), lo, hi)
    n = x.size
    calls = 0

    def fg_counted(z: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal calls
        calls += 1
        return fg(z)

    count = nfev if nfev is not None else (lambda: calls)
    S: list[np.ndarray] = []
    Y: list[np.ndarray] = []
    f, g = fg_counted(x)
    k = 0
    why = None
    while why is None:
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            why = "nan"
            break
        pg = np.clip(x - g, lo, hi) - x
        if np.max(np.abs(pg)) <= opt.gtol:
            why = "pg"
            break
        if k >= opt.maxiter:
            why = "iter"
            break
        if count() >= opt.maxfun:
            why = "fev"
            break
        binding = ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))
        free = ~binding
        d = np.zeros(n)
        pairs = [(s[free], y[free]) for s, y in zip(S, Y)]
        pairs = [(s, y) for s, y in pairs if float(s @ y) > _EPS * float(y @ y)]
        if pairs:
            s_new, y_new = S[-1], Y[-1]
            gamma = float(s_new @ y_new) / float(y_new @ y_new)
            d[free] = -_two_loop(g[free], [p[0] for p in pairs], [p[1] for p in pairs], gamma)
            alpha1 = 1.0
        else:
            d[free] = -g[free]
            alpha1 = min(1.0, 1.0 / max(np.linalg.norm(d), _EPS))
        p = np.clip(x + d, lo, hi) - x
        dphi0 = float(g @ p)
        if not dphi0 < 0.0:
            p = pg
            dphi0 = float(g @ p)
            alpha1 = min(1.0, 1.0 / max(np.linalg.norm(p), _EPS)) if not pairs else 1.0
        cache: dict[float, tuple[float, np.ndarray]] = {}

        def phi_dphi(a: float) -> tuple[float, float]:
            z = np.clip(x + a * p, lo, hi)
            fa, ga = fg_counted(z)
            cache[a] = (fa, ga)
            return fa, float(ga @ p)

        ls = strong_wolfe(phi_dphi, f, dphi0, alpha1, c1=1e-3, c2=0.9, alpha_max=1.0,
                          maxiter=opt.maxls)
        if ls.alpha == 0.0:
            why = "ls"
            break
        x_new = np.clip(x + ls.alpha * p, lo, hi)
        f_new, g_new = cache[ls.alpha]
        s, y = x_new - x, g_new - g
        f_old = f
        x, f, g = x_new, f_new, g_new
        k += 1
        if float(s @ y) > _EPS * float(y @ y):
            S.append(s)
            Y.append(y)
            if len(S) > opt.maxcor:
                S.pop(0)
                Y.pop(0)
        if callback is not None and callback(x, f):
            why = "cb"
            break
        if (f_old - f) / max(abs(f_old), abs(f), 1.0) <= opt.ftol:
            why = "f"
            break
    hess_inv = LbfgsInvHess(np.array(S).reshape(-1, n), np.array(Y).reshape(-1, n), n)
    return LBFGSBResult(x=x, fun=float(f), jac=g, hess_inv=hess_inv, nit=k,
                        status=_STATUS[why], message=MESSAGES[why])
