"""HESSE for costs that compute their own gradient: differences of the gradient.

For a cost that computes its gradient itself (``gauss_newton``: 2 JᵀW r for least squares with
an analytic model gradient, the score for likelihoods), column j of the Hessian is

    H[:, j] = (g(x + h_j e_j) - g(x - h_j e_j)) / (2 h_j),

symmetrised. Differencing a gradient loses ~ε/t of accuracy where differencing values
loses ~ε/t², so this stays accurate for strongly correlated parameters where the
value-based HESSE (:mod:`thetahat.derivatives.hesse`) cannot. Positive definiteness is
enforced as there (an eigenvalue shift, flagged ``made_posdef``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .hesse import HesseResult, from_matrix

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["hesse_from_gradient"]


def hesse_from_gradient(fgh: Callable[[NDArray], tuple], x: NDArray, errordef: float,
                        h_approx: NDArray) -> HesseResult:
    """Second derivatives as central differences of an accurate gradient.

    For a cost that computes its gradient itself (``gauss_newton``: 2 JᵀW r for least squares,
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
    return from_matrix(hm, np.asarray(g, float), g2, h, nfcn)
