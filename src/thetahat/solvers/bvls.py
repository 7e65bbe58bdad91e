"""Bounded-variable least squares (BVLS) by an active-set method.

Problem: minimise ``||A x - b||^2 / 2`` subject to ``l <= x <= u``.  It is convex; ``x`` is
optimal iff (KKT), with the gradient ``g = A^T (A x - b)``,

    g_i = 0   for l_i < x_i < u_i,     g_i >= 0 at x_i = l_i,     g_i <= 0 at x_i = u_i.

Algorithm (Stark & Parker, Comput. Stat. 10 (1995) 129, started from all variables free):

1. Start at a feasible ``x`` (``P(0)``, the projection of the origin) with the free set
   ``F`` = all variables whose bounds differ.
2. *Inner loop.*  Solve the unconstrained problem in the free variables, the others held at
   their bounds: ``z_F = argmin ||A_F z - (b - A_B x_B)||`` (SVD least squares, so rank
   deficiency is harmless).  If ``z_F`` is strictly feasible, ``x_F = z_F``.  Otherwise move
   along the segment, ``x <- x + t (z - x)`` with the largest ``t in [0, 1)`` that keeps
   ``x`` feasible, put the variables that reached a bound into the bound set ``B`` and
   repeat.  Each pass fixes at least one variable, and the cost never increases (the
   segment points are convex combinations of ``x`` and a better point).
3. *Outer loop.*  With ``w = -g``, if no bound variable has ``w`` pointing into the box
   (``w_i > thresh`` at a lower bound, ``w_i < -thresh`` at an upper one), stop: KKT holds.
   Otherwise free the variable with the largest such ``|w_i|`` and return to step 2.  If
   the freed variable returns to its bound at once (rounding), it is excluded from the
   next choice.

The threshold is ``tol * max(1, ||A^T b||_inf)``.  The optimality measure reported is the
infinity norm of the KKT violation described above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BVLSResult", "bvls", "kkt_violation"]


@dataclass
class BVLSResult:
    """Outcome of :func:`bvls`.

    Attributes
    ----------
    x : ndarray
        Solution.
    active_mask : ndarray of int
        ``-1`` at the lower bound, ``1`` at the upper bound, ``0`` free.
    nit : int
        Outer iterations (variables freed).
    optimality : float
        Infinity norm of the KKT violation at ``x``.
    converged : bool
        False when ``max_iter`` was reached.
    """

    x: np.ndarray
    active_mask: np.ndarray
    nit: int
    optimality: float
    converged: bool


def kkt_violation(g: np.ndarray, mask: np.ndarray) -> float:
    """Infinity norm of the KKT violation of gradient ``g`` given the active mask."""
    v = np.where(mask == 0, g, np.where(mask < 0, np.minimum(g, 0.0), np.maximum(g, 0.0)))
    return float(np.max(np.abs(v))) if v.size else 0.0


def bvls(A: np.ndarray, b: np.ndarray, lower: np.ndarray, upper: np.ndarray,
         tol: float = 1e-10, max_iter: int | None = None) -> BVLSResult:
    """Solve ``min ||A x - b||^2 / 2`` subject to ``lower <= x <= upper``.

    Parameters
    ----------
    A : ndarray, shape (m, n)
    b : ndarray, shape (m,)
    lower, upper : ndarray, shape (n,)
        Bounds, may be infinite; ``lower <= upper``.
    tol : float
        Relative tolerance of the KKT test.
    max_iter : int, optional
        Limit of outer iterations (default ``max(100, 10 n)``).

    Returns
    -------
    BVLSResult
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    n = A.shape[1]
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    max_iter = max(100, 10 * n) if max_iter is None else int(max_iter)
    x = np.clip(np.zeros(n), lo, hi)
    mask = np.zeros(n, dtype=int)  # -1 lower, +1 upper, 0 free
    fixed_eq = lo == hi
    mask[fixed_eq] = -1
    thresh = tol * max(1.0, float(np.max(np.abs(A.T @ b))) if b.size else 1.0)
    nit = 0
    excluded = -1
    converged = True
    while True:
        # inner loop: unconstrained solve in the free variables, backtracking into the box
        for _ in range(n + 1):
            free = mask == 0
            if not np.any(free):
                break
            rhs = b - A[:, ~free] @ x[~free]
            z = np.linalg.lstsq(A[:, free], rhs, rcond=None)[0]
            xf = x[free]
            lof, hif = lo[free], hi[free]
            if np.all((z > lof) & (z < hif)) or np.all((z >= lof) & (z <= hif)):
                x[free] = z
                break
            step = z - xf
            with np.errstate(divide="ignore", invalid="ignore"):
                t_lo = np.where(z < lof, (lof - xf) / step, np.inf)
                t_hi = np.where(z > hif, (hif - xf) / step, np.inf)
            t = min(float(np.min(t_lo)), float(np.min(t_hi)), 1.0)
            t = max(t, 0.0)
            xn = xf + t * step
            idx = np.flatnonzero(free)
            hit_lo = (z < lof) & (t_lo <= t)
            hit_hi = (z > hif) & (t_hi <= t)
            xn = np.where(hit_lo, lof, np.where(hit_hi, hif, xn))
            x[idx] = np.clip(xn, lof, hif)
            mask[idx[hit_lo]] = -1
            mask[idx[hit_hi]] = 1
        g = A.T @ (A @ x - b)
        w = -g
        cand = np.where(((mask < 0) & (w > thresh)) | ((mask > 0) & (w < -thresh)),
                        np.abs(w), -1.0)
        cand[fixed_eq] = -1.0
        if 0 <= excluded < n:
            cand[excluded] = -1.0
        if np.max(cand, initial=-1.0) < 0.0:
            break
        if nit >= max_iter:
            converged = False
            break
        t_idx = int(np.argmax(cand))
        before = mask.copy()
        mask[t_idx] = 0
        nit += 1
        # detect the freed variable falling straight back (rounding): exclude it next time
        free = mask == 0
        rhs = b - A[:, ~free] @ x[~free]
        z = np.linalg.lstsq(A[:, free], rhs, rcond=None)[0]
        zt = z[np.flatnonzero(free) == t_idx][0]
        wrong_way = (before[t_idx] < 0 and zt <= lo[t_idx]) or \
            (before[t_idx] > 0 and zt >= hi[t_idx])
        if wrong_way:
            mask = before
            excluded = t_idx
        else:
            excluded = -1
    g = A.T @ (A @ x - b)
    return BVLSResult(x=x, active_mask=mask, nit=nit, optimality=kkt_violation(g, mask),
                      converged=converged)
