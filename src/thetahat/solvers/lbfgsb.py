"""L-BFGS-B: limited-memory BFGS for box constraints ``l <= x <= u``.

Byrd, Lu, Nocedal & Zhu, SIAM J. Sci. Comput. 16 (1995) 1190 (with the projection of
Morales & Nocedal, ACM TOMS 38 (2011) 7).  ``P(z) = min(max(z, l), u)`` projects onto the
box; the projected gradient ``pg = P(x - g) - x`` vanishes exactly at a KKT point.  It is
evaluated as ``pg_i = min(max(-g_i, l_i - x_i), u_i - x_i)``, equal in exact arithmetic but
free of the rounding of ``x - g``, which would read a gradient below ``eps |x|`` as zero
(and stop a fit of a function scaled by 1e-20 at its start).

Model.  With the last ``m`` pairs ``s_j = x_{j+1} - x_j``, ``y_j = g_{j+1} - g_j`` as
columns of ``S, Y`` (oldest first) the BFGS matrix has the compact form

    B = theta I - W M W^T,   W = [Y, theta S],
    M = [[-D, L^T], [L, theta S^T S]]^-1,   D = diag(s_j . y_j),  L_ij = s_i . y_j (i > j),

with ``theta = y.y / s.y`` of the newest pair (``theta = 1``, ``W`` empty, at the start).
Each iteration minimises ``q(z) = g.(z - x) + (z - x).B(z - x) / 2`` approximately:

1. *Generalised Cauchy point.*  Along the projected steepest-descent path
   ``x(t) = P(x - t g)`` (breakpoints ``t_i`` where coordinate ``i`` reaches its bound)
   ``q`` is piecewise quadratic; its slope ``f'`` and curvature ``f''`` on each segment are
   updated in O(m) per breakpoint with ``p = W^T d`` and ``c = W^T (x(t) - x)``.  The
   first local minimiser ``x^c`` fixes the active set ``A = {i : x^c_i at a bound}``.
2. *Subspace minimisation* over the free set ``F`` (direct primal method):
   ``r = Z^T (g + theta (x^c - x) - W M c)``, ``v = (I - M W_F^T W_F / theta)^-1 M W_F^T r``,
   ``d_F = -r / theta - W_F v / theta^2``; ``xbar_F = P(x^c_F + d_F)``; if that is not a
   descent direction from ``x`` the step is truncated to stay in the box instead.
3. *Line search* along ``d = xbar - x`` for the strong Wolfe conditions by Moré and
   Thuente's algorithm (:func:`.line_search.more_thuente`; ``c1 = 1e-3``, ``c2 = 0.9`` and
   an interval tolerance of 0.1, the constants of the L-BFGS-B paper), step at most the
   largest feasible one; first trial 1, or ``1 / ||d||`` at the first iteration (a unit
   step in ``x`` whatever the scale of ``f``; 1 if ``||d||`` underflows).
   Without any finite bound steps 1-2 reduce to ``xbar = x - B^-1 g``, computed by the
   two-loop recursion with ``H_0 = I / theta``.
4. Keep the pair if ``s.y > eps |g.s|`` (``g`` the gradient where the step starts); drop
   the oldest beyond ``m``.  If the line search finds no decrease, the memory is cleared
   and the iteration retried once.

Curvature test.  Along the step, ``phi(t) = f(x + t s)`` has ``phi'(0) = g.s < 0`` and
``s.y = phi'(1) - phi'(0)``.  The update keeps ``B`` positive definite iff ``s.y > 0``, and
a step meeting the Wolfe curvature condition has ``s.y >= (1 - c2) |phi'(0)|``, so the test
only acts when the search ended without it (``maxls``, or the step capped at the bound).
A small ``s.y`` means ``phi'(1) ~ phi'(0)``: it is the difference of two numbers of size
``|phi'(0)|``, known only to about ``eps |phi'(0)|``, so a pair below that has no
measurable curvature and is skipped.  Both sides are multiplied by ``c`` when ``f -> c f``
and are unchanged by any linear change of variables ``x = A u`` (``s -> A^-1 s``,
``g -> A^T g``), so the decision is scale-free.  (A test against ``eps y.y`` compares
``c s.y`` with ``c^2 y.y``: with ``f`` scaled by 1e50 it rejects every pair, ``theta``
stays 1 and the steps are 1e50 times too long.)  What stays tied to a scale, as in scipy:
``gtol`` on ``pg`` (whose components are capped by the distances to the bounds), the
``max(|f|, 1)`` of the ``ftol`` rule, and in a box the first model ``B = I``, whose Cauchy
step ``-g`` rounds to nothing when ``|g| < eps |x|``.

Stopping (scipy's rules and messages): ``||pg||_inf <= gtol`` (status 0);
``(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol`` (status 0); ``maxiter`` iterations
or ``maxfun`` evaluations (status 1); no decrease after a restart (status 2).

The inverse Hessian approximation is returned as :class:`LbfgsInvHess`, a
``scipy.sparse.linalg.LinearOperator`` applying the two-loop recursion on the stored pairs
with ``H_0 = I`` (``.todense()`` gives the matrix), the operator scipy returns: the product
``prod_i (I - rho_i s_i y_i^T) ... + rho_i s_i s_i^T`` over the pairs, oldest first.

Compiled twin.  ``thetahat._compiled._minimize.lbfgsb`` runs the same iteration step for
step in C (Cauchy point, subspace minimisation, two-loop recursion, Moré-Thuente search;
the user's function is called from C), used when the core is built and
``THETAHAT_COMPILED`` is not ``0``; ``compiled=False`` selects this numpy code, which stays
the reference: the two agree in ``nit``, calls and values to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._compiled import minicore as _minicore
from .line_search import more_thuente

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
    hess_inv: LbfgsInvHess
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
        self.n_corrs = len(self.sk)  # scipy's attribute names: pairs stored, 1 / (y . s)
        self.rho = 1.0 / np.einsum("ij,ij->i", self.sk, self.yk) if self.n_corrs \
            else np.zeros(0)
        self._gamma = 1.0  # H_0 = I, scipy's definition of the returned operator

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        v = np.asarray(x, dtype=float).reshape(-1)
        return _two_loop(v, list(self.sk), list(self.yk), self._gamma)

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([self._matvec(c) for c in np.asarray(X).T])

    def _adjoint(self) -> LbfgsInvHess:
        return self  # symmetric

    def todense(self) -> np.ndarray:
        """The dense (n, n) matrix."""
        return self._matmat(np.eye(self.shape[0]))


def _compact(S: list[np.ndarray], Y: list[np.ndarray], n: int
             ) -> tuple[float, np.ndarray, np.ndarray]:
    """``theta, W (n, 2m), M (2m, 2m)`` of the compact representation of ``B``."""
    if not S:
        return 1.0, np.zeros((n, 0)), np.zeros((0, 0))
    m = len(S)
    W = np.empty((n, 2 * m))
    for j in range(m):
        W[:, j] = Y[j]
        W[:, m + j] = S[j]
    Sm, Ym = W[:, m:], W[:, :m]
    theta = float(Y[-1] @ Y[-1]) / float(S[-1] @ Y[-1])
    SY = Sm.T @ Ym
    K = np.zeros((2 * m, 2 * m))
    K[:m, :m] = -np.diag(np.diag(SY))
    L = np.tril(SY, -1)
    K[m:, :m] = L
    K[:m, m:] = L.T
    K[m:, m:] = theta * (Sm.T @ Sm)
    W[:, m:] *= theta
    return theta, W, np.linalg.inv(K)


def _cauchy_point(x: np.ndarray, g: np.ndarray, lo: np.ndarray, hi: np.ndarray, theta: float,
                  W: np.ndarray, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generalised Cauchy point ``x^c`` and ``c = W^T (x^c - x)``."""
    n = x.size
    tb = np.full(n, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        tb = np.where(g < 0, (x - hi) / g, tb)
        tb = np.where(g > 0, (x - lo) / g, tb)
    d = np.where(tb <= 0, 0.0, -g)
    xc = x.copy()
    p = W.T @ d
    c = np.zeros(W.shape[1])
    fp = -float(d @ d)
    fpp0 = -theta * fp
    fpp = fpp0 - float(p @ M @ p)
    if fp == 0.0:
        return xc, c
    dt_min = -fp / fpp if fpp > 0 else np.inf
    t_old = 0.0
    idx = np.flatnonzero((tb > 0) & np.isfinite(tb))
    for b in idx[np.argsort(tb[idx], kind="stable")]:
        dt = tb[b] - t_old
        if dt_min < dt:
            break
        xc[b] = hi[b] if d[b] > 0 else lo[b]
        zb = xc[b] - x[b]
        c += dt * p
        gb = g[b]
        wb = W[b]
        Mw = M @ wb
        fp += dt * fpp + gb * gb + theta * gb * zb - gb * float(Mw @ c)
        fpp += -theta * gb * gb - 2.0 * gb * float(Mw @ p) - gb * gb * float(Mw @ wb)
        fpp = max(_EPS * fpp0, fpp)
        p += gb * wb
        d[b] = 0.0
        dt_min = -fp / fpp
        t_old = tb[b]
    if not np.isfinite(dt_min):
        dt_min = 0.0
    dt_min = max(dt_min, 0.0)
    t_old += dt_min
    moving = d != 0
    xc[moving] = x[moving] + t_old * d[moving]
    c += dt_min * p
    return np.clip(xc, lo, hi), c


def _subspace_min(x: np.ndarray, g: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  xc: np.ndarray, c: np.ndarray, theta: float, W: np.ndarray,
                  M: np.ndarray) -> np.ndarray:
    """Minimiser ``xbar`` of the model over the variables free at ``x^c``."""
    free = (xc > lo) & (xc < hi)
    if not np.any(free):
        return xc
    r = (g + theta * (xc - x) - W @ (M @ c))[free]
    if W.shape[1]:
        WF = W[free]
        v = M @ (WF.T @ r)
        N = np.eye(W.shape[1]) - (M @ (WF.T @ WF)) / theta
        try:
            v = np.linalg.solve(N, v)
        except np.linalg.LinAlgError:
            v = np.linalg.lstsq(N, v, rcond=None)[0]
        du = -r / theta - (WF @ v) / theta**2
    else:
        du = -r / theta
    xbar = xc.copy()
    xbar[free] = np.clip(xc[free] + du, lo[free], hi[free])
    if float(g @ (xbar - x)) < 0.0:
        return xbar
    # projection spoiled descent: truncate the step at the first bound instead
    z, lf, hf = xc[free], lo[free], hi[free]
    with np.errstate(divide="ignore", invalid="ignore"):
        lim = np.where(du > 0, (hf - z) / du, np.where(du < 0, (lf - z) / du, np.inf))
    alpha = min(1.0, float(np.min(lim)))
    xbar[free] = np.clip(z + alpha * du, lf, hf)
    return xbar


def lbfgsb(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray,
           lower: np.ndarray, upper: np.ndarray, options: LBFGSBOptions | None = None,
           callback: Callable[[np.ndarray, float], bool] | None = None,
           nfev: Callable[[], int] | None = None,
           compiled: bool | None = None) -> LBFGSBResult:
    """Minimise ``f`` subject to ``lower <= x <= upper`` with L-BFGS-B.

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
    compiled : bool, optional
        Use the compiled core (True; an error if it is not built), the numpy code (False)
        or the core when it is available (None, the default).

    Returns
    -------
    LBFGSBResult
    """
    opt = options or LBFGSBOptions()
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    x = np.clip(np.array(x0, dtype=float), lo, hi)
    n = x.size
    if compiled is None:
        compiled = _minicore is not None
    if compiled:
        return _lbfgsb_compiled(fg, x, lo, hi, opt, callback, nfev)
    calls = 0

    def fg_counted(z: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal calls
        calls += 1
        return fg(z)

    count = nfev if nfev is not None else (lambda: calls)
    boxed = bool(np.any(np.isfinite(lo)) or np.any(np.isfinite(hi)))
    S: list[np.ndarray] = []
    Y: list[np.ndarray] = []
    f, g = fg_counted(x)
    k = 0
    why = None
    restarted = False
    theta, W, M = _compact(S, Y, n)
    while why is None:
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            why = "nan"
            break
        if np.max(np.abs(np.clip(-g, lo - x, hi - x))) <= opt.gtol:  # ||pg||, scale-free
            why = "pg"
            break
        if k >= opt.maxiter:
            why = "iter"
            break
        if count() >= opt.maxfun:
            why = "fev"
            break
        if boxed:
            xc, c = _cauchy_point(x, g, lo, hi, theta, W, M)
            d = _subspace_min(x, g, lo, hi, xc, c, theta, W, M) - x
        else:  # no finite bound: the model minimiser is -B^-1 g, by the two-loop recursion
            d = -_two_loop(g, S, Y, 1.0 / theta)
        dphi0 = float(g @ d)
        if not dphi0 < 0.0:  # the model lost descent (rounding): steepest descent
            d = np.clip(x - g, lo, hi) - x
            dphi0 = float(g @ d)
        with np.errstate(divide="ignore", invalid="ignore"):
            lim = np.where(d > 0, (hi - x) / d, np.where(d < 0, (lo - x) / d, np.inf))
        alpha_max = max(1.0, float(np.min(lim)))
        dnorm = float(np.linalg.norm(d)) if k == 0 else 1.0
        inv_norm = 1.0 / dnorm if dnorm > 0.0 else np.inf  # ||d|| may underflow
        alpha1 = min(inv_norm, alpha_max) if np.isfinite(inv_norm) else 1.0
        cache: dict[float, tuple[float, np.ndarray]] = {}

        def phi_dphi(a: float, x: np.ndarray = x, d: np.ndarray = d,
                     cache: dict[float, tuple[float, np.ndarray]] = cache
                     ) -> tuple[float, float]:
            z = np.clip(x + a * d, lo, hi)
            fa, ga = fg_counted(z)
            cache[a] = (fa, ga)
            return fa, float(ga @ d)

        ls = more_thuente(phi_dphi, f, dphi0, alpha1, c1=1e-3, c2=0.9, alpha_min=0.0,
                          alpha_max=alpha_max, xtol=0.1, maxiter=opt.maxls)
        if ls.alpha == 0.0:
            if S and not restarted:
                S.clear()
                Y.clear()
                theta, W, M = _compact(S, Y, n)
                restarted = True
                continue
            why = "ls"
            break
        restarted = False
        x_new = np.clip(x + ls.alpha * d, lo, hi)
        f_new, g_new = cache[ls.alpha]
        s, y = x_new - x, g_new - g
        gs = float(g @ s)
        f_old = f
        x, f, g = x_new, f_new, g_new
        k += 1
        if float(s @ y) > _EPS * abs(gs):  # the curvature test of the docstring, item 4
            S.append(s)
            Y.append(y)
            if len(S) > opt.maxcor:
                S.pop(0)
                Y.pop(0)
            if boxed:
                theta, W, M = _compact(S, Y, n)
            else:
                theta = float(y @ y) / float(s @ y)
        if callback is not None and callback(x, f):
            why = "cb"
            break
        if (f_old - f) / max(abs(f_old), abs(f), 1.0) <= opt.ftol:
            why = "f"
            break
    hess_inv = LbfgsInvHess(np.array(S).reshape(-1, n), np.array(Y).reshape(-1, n), n)
    return LBFGSBResult(x=x, fun=float(f), jac=g, hess_inv=hess_inv, nit=k,
                        status=_STATUS[why], message=MESSAGES[why])


def _as_gradient(g: object) -> np.ndarray:
    """A gradient as the compiled core reads it: a contiguous float64 vector."""
    return np.ascontiguousarray(g, dtype=float).reshape(-1)


def _lbfgsb_compiled(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x: np.ndarray,
                     lo: np.ndarray, hi: np.ndarray, opt: LBFGSBOptions,
                     callback: Callable[[np.ndarray, float], bool] | None,
                     nfev: Callable[[], int] | None) -> LBFGSBResult:
    """:func:`lbfgsb` by the compiled core (``_compiled/_minimize.c``)."""
    if _minicore is None:
        raise RuntimeError("the compiled core thetahat._compiled._minimize is not available "
                           "(not built, or THETAHAT_COMPILED=0)")
    n = x.size
    xb, f, gb, Sb, Yb, npairs, nit, why = _minicore.lbfgsb(
        fg, np.ascontiguousarray(x), np.ascontiguousarray(lo, dtype=float),
        np.ascontiguousarray(hi, dtype=float), int(opt.maxcor), float(opt.ftol),
        float(opt.gtol), int(opt.maxfun), int(opt.maxiter), int(opt.maxls), callback, nfev,
        np.empty(n), _as_gradient)
    hess_inv = LbfgsInvHess(np.frombuffer(Sb).reshape(npairs, n),
                            np.frombuffer(Yb).reshape(npairs, n), n)
    return LBFGSBResult(x=np.frombuffer(xb).copy(), fun=float(f), jac=np.frombuffer(gb).copy(),
                        hess_inv=hess_inv, nit=nit, status=_STATUS[why], message=MESSAGES[why])
