"""The steps of MIGRAD (:mod:`.migrad`): its metric, update, line search and last step.

With F the cost, g its gradient and V ≈ H⁻¹ the variable metric (the module docstring of
:mod:`.migrad` has the whole iteration and the constants' origin):

- the first metric V₀ = diag(1 / |g2_i|), with 1 / g2_i = step_i² / (2 errordef) (one
  standard deviation ~ the step) where the second derivative is unknown
  (``_diag_metric``);
- the BFGS update with s = Δx, y = Δg, used when sᵀy > 0 (``_bfgs``),

      V ← V + (1 + yᵀVy / sᵀy) ssᵀ / sᵀy - (s yᵀV + V y sᵀ) / sᵀy;

- the line search on φ(α) = F(x + α p), p = -V g (``_line_search``): α = 1, then the
  minimum of the parabola through φ(0), φ'(0) and the last trial, kept within
  [0.05, 0.5] of it (a non-finite trial, the parabola's limit as F → ∞: 0.05 α), until
  F falls by 10⁻⁴ α |gᵀp| (8 trials at most); one more trial at
  the parabola's minimum through φ(0), φ'(0), φ(α) when that lies outside
  [0.8 α, 1.25 α] (at most 4 α); extrapolation by 4 while F falls where φ shows no
  positive curvature (3 times at most);
- DCOVAR, the largest change of V relative to a reference, max |V - V_ref|_ij /
  sqrt(V_ref,ii V_ref,jj) (``_dcovar``);
- at a saddle point, the direction of most negative curvature of H scaled to a unit
  diagonal (``_escape``), and whether H has a clearly negative eigenvalue
  (``_negative_curvature``);
- the last quasi-Newton step of a converged fit (:func:`final_step`).

The compiled core (``_compiled/_mn_steps.h``) has the same steps in C.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["final_step"]


def _diag_metric(g2: NDArray, gstep: NDArray, errordef: float) -> NDArray:
    """V = diag(1/|g2|), with 1/g2 from the step (one σ ~ step) where g2 is unknown."""
    d = np.abs(g2)
    dflt = 2.0 * errordef / np.maximum(gstep, 1e-300) ** 2
    d = np.where((d > 0) & np.isfinite(d), d, dflt)
    return np.diag(1.0 / d)


def _bfgs(v: NDArray, s: NDArray, y: NDArray) -> NDArray:
    sy = float(s @ y)
    if not sy > 0:
        return v
    vy = v @ y
    yvy = float(y @ vy)
    sc, vyc = s[:, None], vy[:, None]  # outer products by broadcasting (np.outer's overhead)
    return v + ((1.0 + yvy / sy) / sy) * (sc * s) - (sc * vy + vyc * s) / sy


def final_step(fcn: Callable[[NDArray], float], x: NDArray, fval: float, g: NDArray,
               hess_inv: NDArray, edm: float, precision: float | None = None
               ) -> tuple[NDArray, float, float]:
    """The last quasi-Newton step p = -V g of a converged fit, kept if F falls.

    At convergence V (HESSE's inverse Hessian, or the variable-metric estimate) predicts
    that the step p = -V g lowers F by EDM = gᵀVg / 2 and lands at the minimum up to
    terms of third order. MIGRAD's iteration stops before taking it, at a point that is
    often only a little below the EDM goal; one function call takes it. EDM estimates
    F(x) - F_min, so with Δ = F(x) - F(x + p) the decrease found, the distance left is
    estimated by EDM' = |EDM - Δ|: as good as EDM itself (its error is that of EDM), and
    with no further function call (for F = h t²/2 + c t³/6 along p the exact remainder is
    O(c² t⁴ / h), below |EDM - Δ| = O(c t³)). The step is not taken when EDM is below the
    rounding noise of F, 16 ε (|F| + 1) with ε the relative precision of F (None: double
    precision).

    V stays the matrix computed at x: the covariance lags the step by O(|p| F'''), as
    far from the curvature at the minimum as it was before the step.

    Parameters
    ----------
    fcn : callable
        ``fcn(x) -> float``.
    x : ndarray, shape (n,)
        Converged point.
    fval : float
        F(x).
    g : ndarray, shape (n,)
        Gradient at x.
    hess_inv : ndarray, shape (n, n)
        Positive-definite inverse of the matrix of second derivatives, V.
    edm : float
        gᵀVg / 2.
    precision : float or None
        Relative precision of F.

    Returns
    -------
    x, fval, edm : ndarray, float, float
        The new point, F there and the estimated distance, or the inputs when F did not
        fall (or the step was not taken).

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda x: float((x[0] - 1) ** 2 + 0.1 * (x[0] - 1) ** 3)
    >>> g, h = 0.02003, 2.006  # F' and F'' at x = 1.01
    >>> x, fval, edm = final_step(f, np.array([1.01]), f([1.01]), np.array([g]),
    ...                           np.array([[1 / h]]), 0.5 * g * g / h)
    >>> bool(abs(x[0] - 1) < 2e-5), bool(fval < 1e-9), bool(fval <= edm < 1e-6)
    (True, True, True)
    """
    eps = float(precision) if precision else _EPS
    if not (np.isfinite(edm) and edm > 16.0 * eps * (abs(fval) + 1.0)):
        return x, fval, edm
    p = -(hess_inv @ g)
    if not np.all(np.isfinite(p)):
        return x, fval, edm
    xn = x + p
    fn = float(fcn(xn))
    if not fn < fval:
        return x, fval, edm
    return xn, fn, abs(edm - (fval - fn))


_EPS = float(np.finfo(float).eps)


def _dcovar(v: NDArray, vref: NDArray) -> float:
    """Largest change of V relative to vref, in units of sqrt(vref_ii vref_jj)."""
    d = np.sqrt(np.abs(np.diag(vref)))
    d = np.where(d > 0, d, 1.0)
    return float(np.max(np.abs(v - vref) / (d[:, None] * d)))


def _negative_curvature(hraw: NDArray | None) -> bool:
    """Whether the raw second-derivative matrix has a clearly negative eigenvalue (beyond
    1e-4 of the largest: the rounding of a numerical HESSE on a flat direction); True when
    it is unknown."""
    if hraw is None or not np.all(np.isfinite(hraw)):
        return True
    w = np.linalg.eigvalsh(0.5 * (hraw + hraw.T))
    return bool(w[0] < -1e-4 * max(float(np.max(np.abs(w))), np.finfo(float).tiny))


def _escape(f, x: NDArray, fval: float, g: NDArray, hraw: NDArray, errordef: float
            ) -> tuple[NDArray, float] | None:
    """A lower point along the direction of most negative curvature of ``hraw``, or None.

    With S = D⁻¹ H D⁻¹ (D² = |diag H|) and u its eigenvector of eigenvalue λ < 0, the
    direction d = D⁻¹ u has curvature dᵀ H d = λ; the first trial lies where the
    quadratic model has fallen by errordef, t = sqrt(2 errordef / |λ|), then t is
    doubled while F falls (or quartered while it does not, three times).
    """
    d = np.sqrt(np.abs(np.diag(hraw)))
    d = np.where(d > 0, d, 1.0)
    w, u = np.linalg.eigh(hraw / np.outer(d, d))
    if not w[0] < 0:
        return None
    p = u[:, 0] / d
    if g @ p > 0:
        p = -p
    t = np.sqrt(2.0 * errordef / -w[0])
    best_x, best_f = None, fval
    for k in range(12):
        xt = x + t * p
        ft = f(xt)
        if ft < best_f:
            best_x, best_f = xt, ft
            t *= 2.0
        elif best_x is None and k < 3:
            t *= 0.25
        else:
            break
    return None if best_x is None else (best_x, best_f)


_LS_LO, _LS_HI, _LS_MAX, _LS_CLIP = 0.8, 1.25, 4.0, 0.05


def _line_search(f: Callable[[NDArray], float], x: NDArray, f0: float, p: NDArray,
                 slope: float, max_trials: int = 8) -> tuple[float, float]:
    """Step length along ``p`` with sufficient decrease (module docstring); 0 on failure."""
    alpha = 1.0
    fa = f(x + p)
    best_a, best_f = (1.0, fa) if fa < f0 else (0.0, f0)
    for _ in range(max_trials):
        if np.isfinite(fa) and fa <= f0 + 1e-4 * alpha * slope:
            break
        # parabola through f0, slope and (alpha, fa); infinite fa: its limit fa -> inf,
        # a minimum at 0 clipped to _LS_CLIP alpha
        if np.isfinite(fa):
            denom = 2.0 * (fa - f0 - slope * alpha)
            anew = -slope * alpha * alpha / denom if denom > 0 else 0.5 * alpha
            anew = min(max(anew, _LS_CLIP * alpha), 0.5 * alpha)
        else:
            anew = _LS_CLIP * alpha
        alpha = anew
        fa = f(x + alpha * p)
        if fa < best_f:
            best_a, best_f = alpha, fa
    else:
        return best_a, best_f
    # the parabola through F(0), F'(0) and F(alpha) puts the minimum at a_min; when that
    # is far from alpha the metric is poor along p and one more trial pays off
    denom = 2.0 * (fa - f0 - slope * alpha)
    if denom > 0:
        amin = min(-slope * alpha * alpha / denom, _LS_MAX * alpha)
        if amin > _LS_HI * alpha or amin < _LS_LO * alpha:
            fe = f(x + amin * p)
            if fe < fa:
                return amin, fe
    elif np.isfinite(fa) and fa < f0:
        # no positive curvature along p (F linear or concave there, e.g. a noisy gradient
        # in a long valley): V is far too small along p; extrapolate by 4 while F falls
        for _ in range(3):
            fe = f(x + _LS_MAX * alpha * p)
            if not fe < fa:
                break
            alpha, fa = _LS_MAX * alpha, fe
        return alpha, fa
    return (alpha, fa) if fa < best_f or best_a == 0.0 else (best_a, best_f)
