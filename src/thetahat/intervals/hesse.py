"""HESSE: the matrix of second derivatives by finite differences, and its inverse.

At the point x (internal coordinates) with value F:

1. diagonal: for each i, choose h_i as a small fraction of the parameter's standard
   deviation (see :mod:`thetahat.solvers.mn_gradient` for the fraction), iterating
   the step up to ``ncycles`` times (2, 3, 6 for strategy 0, 1, 2) until g2 changes by less
   than a tolerance (0.3, 0.05, 0.02), as described in the MINUIT Reference Manual;
   the same two calls give the central gradient g_i;
2. off-diagonal: one more call per pair,
   H_ij = (F(x + h_i e_i + h_j e_j) - F(x + h_i e_i) - F(x + h_j e_j) + F) / (h_i h_j);
3. positive definiteness: if the smallest eigenvalue λ_min of H (scaled to unit diagonal)
   is not above ε·λ_max, H is shifted by (10⁻³ λ_max - λ_min) on the scaled diagonal and
   the result flagged ``made_posdef`` (MINUIT's MnPosDef);
4. a zero second derivative on the diagonal (a parameter the function does not depend on)
   makes HESSE fail: no inverse exists.

The covariance of the parameters is 2 · errordef · H⁻¹.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

from ..solvers.mn_gradient import optimal_steps

__all__ = ["HesseResult", "hesse", "make_posdef"]

_CYCLES = {0: 2, 1: 3, 2: 6}
_G2TOL = {0: 0.3, 1: 0.05, 2: 0.02}


@dataclass
class HesseResult:
    hess: NDArray
    hess_inv: NDArray
    grad: NDArray
    g2: NDArray
    gstep: NDArray
    nfcn: int
    is_posdef: bool
    made_posdef: bool
    failed: bool
    message: str


def make_posdef(h: NDArray) -> tuple[NDArray, bool]:
    """H itself if positive definite, else H shifted on its scaled diagonal (step 3)."""
    d = np.sqrt(np.abs(np.diag(h)))
    d = np.where(d > 0, d, 1.0)
    s = h / np.outer(d, d)
    w = np.linalg.eigvalsh(s)
    lmin, lmax = w[0], w[-1]
    eps = np.finfo(float).eps
    if lmin > eps * max(lmax, 1.0) * 10:
        return h, False
    shift = 1e-3 * max(lmax, 1.0) - lmin
    s = s + shift * np.eye(len(s))
    return s * np.outer(d, d), True


def hesse(fcn: Callable[[NDArray], float], x: NDArray, fval: float, options: Any,
          step0: NDArray | None = None, max_nfcn: int | None = None) -> HesseResult:
    """Second-derivative matrix of ``fcn`` at ``x`` (module docstring).

    ``options`` provides ``errordef``, ``strategy`` and ``precision`` (a ``MigradOptions``).
    """
    x = np.array(x, dtype=float)
    n = x.size
    errordef = float(options.errordef)
    strategy = int(options.strategy)
    prec = options.precision
    h = np.full(n, 0.1) if step0 is None else np.array(step0, dtype=float)
    h = np.where(np.isfinite(h) & (h > 0), h, 0.1)
    nfcn = 0
    g = np.zeros(n)
    g2 = np.zeros(n)
    fplus = np.zeros(n)
    for i in range(n):
        xi = x[i]
        prev = np.nan
        for _ in range(_CYCLES.get(strategy, 3)):
            x[i] = xi + h[i]
            fp = fcn(x)
            x[i] = xi - h[i]
            fm = fcn(x)
            x[i] = xi
            nfcn += 2
            if not (np.isfinite(fp) and np.isfinite(fm)):
                h[i] *= 0.5  # left the function's domain: smaller step
                continue
            g2i = (fp + fm - 2.0 * fval) / (h[i] * h[i])
            g[i] = (fp - fm) / (2.0 * h[i])
            g2[i], fplus[i] = g2i, fp
            hn = optimal_steps(x[i:i + 1], fval, np.array([g2i]), errordef, prec,
                               fallback=np.array([h[i] * 10.0]))[0]
            stable = np.isfinite(prev) and abs(g2i - prev) <= _G2TOL.get(strategy, 0.05) \
                * abs(g2i)
            if stable or (g2i != 0 and 0.5 < hn / h[i] < 2.0):
                break  # g2 settled, or the step is already about right
            prev = g2i
            if _ < _CYCLES.get(strategy, 3) - 1:
                h[i] = hn
    if np.any(g2 == 0) or not np.all(np.isfinite(g2)):
        bad = int(np.flatnonzero((g2 == 0) | ~np.isfinite(g2))[0])
        return HesseResult(np.diag(g2), np.zeros((n, n)), g, g2, h, nfcn, False, False, True,
                           f"second derivative of parameter {bad} is zero")
    hm = np.diag(g2)
    for i in range(n):
        for j in range(i + 1, n):
            xi, xj = x[i], x[j]
            x[i] = xi + h[i]
            x[j] = xj + h[j]
            fij = fcn(x)
            x[i], x[j] = xi, xj
            nfcn += 1
            v = (fij - fplus[i] - fplus[j] + fval) / (h[i] * h[j])
            hm[i, j] = hm[j, i] = v if np.isfinite(v) else 0.0
    hp, made = make_posdef(hm)
    try:
        c = np.linalg.cholesky(hp)
        ci = np.linalg.inv(c)
        hinv = ci.T @ ci
    except np.linalg.LinAlgError:
        return HesseResult(hm, np.zeros((n, n)), g, g2, h, nfcn, False, made, True,
                           "matrix of second derivatives is singular")
    return HesseResult(hp, hinv, g, g2, h, nfcn, not made, made, False,
                       "forced positive definite" if made else "ok")


def hesse_from_gradient(fgh: Callable[[NDArray], tuple], x: NDArray, errordef: float,
                        h_approx: NDArray) -> HesseResult:
    """Second derivatives as central differences of an accurate gradient.

    For a cost that computes its gradient itself (``_fisher``: 2 JᵀW r for least squares,
    the score for likelihoods), column j of the Hessian is

        H[:, j] = (g(x + h_j e_j) - g(x - h_j e_j)) / (2 h_j),

    symmetrised. Differencing a gradient loses ~ε/t of accuracy where differencing values
    loses ~ε/t², so this stays accurate for strongly correlated parameters (high-order
    polynomials) where the value-based HESSE cannot. The step is t = ε^(1/3) of each
    parameter's standard deviation from the approximate matrix ``h_approx`` (Gauss-Newton),
    which makes the O(t²) truncation error negligible.
    """
    x = np.array(x, dtype=float)
    n = x.size
    d = np.diag(np.asarray(h_approx, float))
    eps = float(np.finfo(float).eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(2.0 * errordef / d)
    sigma = np.where(np.isfinite(sigma) & (sigma > 0), sigma, np.maximum(np.abs(x), 1.0))
    h = np.maximum(eps ** (1.0 / 3.0) * sigma, 8.0 * 2.0 * np.sqrt(eps) * (np.abs(x) + 1e-8))
    hm = np.empty((n, n))
    nfcn = 0
    for j in range(n):
        xj = x[j]
        x[j] = xj + h[j]
        _, gp, _ = fgh(x)
        x[j] = xj - h[j]
        _, gm, _ = fgh(x)
        x[j] = xj
        nfcn += 2
        hm[:, j] = (np.asarray(gp, float) - np.asarray(gm, float)) / (2.0 * h[j])
    _, g, _ = fgh(x)
    nfcn += 1
    hm = 0.5 * (hm + hm.T)
    g2 = np.diag(hm).copy()
    if not np.all(np.isfinite(hm)) or np.any(g2 == 0):
        return HesseResult(hm, np.zeros((n, n)), np.asarray(g, float), g2, h, nfcn, False,
                           False, True, "second derivatives are zero or not finite")
    hp, made = make_posdef(hm)
    try:
        c = np.linalg.cholesky(hp)
        ci = np.linalg.inv(c)
        hinv = ci.T @ ci
    except np.linalg.LinAlgError:
        return HesseResult(hm, np.zeros((n, n)), np.asarray(g, float), g2, h, nfcn, False,
                           made, True, "matrix of second derivatives is singular")
    return HesseResult(hp, hinv, np.asarray(g, float), g2, h, nfcn, not made, made, False,
                       "forced positive definite" if made else "ok")
