"""Numerical first and second derivatives with MINUIT-style adaptive steps.

For each parameter i, with step h_i, two function values give the central estimates

    g_i  = (F(x + h_i e_i) - F(x - h_i e_i)) / (2 h_i),
    g2_i = (F(x + h_i e_i) + F(x - h_i e_i) - 2 F(x)) / h_i².

The step is chosen from the curvature, as a fraction t of the parameter's standard
deviation σ_i = sqrt(2 · errordef / g2_i), so that the sag of the function over the step
is g2 h²/2 = errordef · t². The fraction balances truncation against rounding for the
central second derivative (error ~ t² from fourth derivatives, ~ 4 ε|F| / (errordef t²)
from rounding), with a margin for the amplification of rounding errors by strong
correlations (a quadratic cost has no truncation error at all, so larger steps are free):

    t = 2 (ε (|F| + errordef) / errordef)^(1/4),

with ε the relative precision of F (about 2e-4 for |F| ~ 1, 3e-3 for a likelihood
of |F| ~ 10⁴). HESSE's forward off-diagonal formula then has an O(t) error from third
derivatives, ~1e-3 relative at worst. Steps are kept above the rounding floor of x itself, 8 ε₂ (|x_i| + ε₂) with
ε₂ = 2 sqrt(ε) (MINUIT's), and below ``hmax`` when the caller gives one.

A gradient evaluation costs 2n calls and yields g2 as a by-product, which sets the steps
of the next evaluation (the ``GradState`` carried between iterations). When a step changes
by more than a factor 2 in the first evaluation, the estimate is repeated once with the
new step (``cycles``, more with a more careful strategy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["GradState", "numerical_gradient", "optimal_steps"]

EPS = float(np.finfo(float).eps)


@dataclass
class GradState:
    """Steps and second derivatives from the last gradient evaluation."""

    gstep: NDArray
    g2: NDArray


def optimal_steps(x: NDArray, fval: float, g2: NDArray, errordef: float,
                  precision: float | None, hmin_scale: NDArray | None = None,
                  fallback: NDArray | None = None) -> NDArray:
    """Steps of t standard deviations (module docstring), bounded below by rounding."""
    eps = EPS if precision is None else precision
    eps2 = 2.0 * np.sqrt(eps)
    t = 2.0 * (eps * (abs(fval) + errordef) / errordef) ** 0.25
    aimsag = errordef * t * t
    hmin = 8.0 * eps2 * (np.abs(x) + eps2)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.sqrt(2.0 * aimsag / np.abs(g2))
    bad = ~np.isfinite(h) | (g2 == 0)
    if fallback is not None:
        h = np.where(bad, fallback, h)
    else:
        h = np.where(bad, 0.1, h)
    return np.maximum(h, hmin)


def _central(fcn: Callable[[NDArray], float], x: NDArray, fval: float, h: NDArray
             ) -> tuple[NDArray, NDArray, int]:
    n = x.size
    g = np.empty(n)
    g2 = np.empty(n)
    for i in range(n):
        xi = x[i]
        x[i] = xi + h[i]
        fp = fcn(x)
        x[i] = xi - h[i]
        fm = fcn(x)
        x[i] = xi
        if np.isfinite(fp) and np.isfinite(fm):
            g[i] = (fp - fm) / (2.0 * h[i])
            g2[i] = (fp + fm - 2.0 * fval) / (h[i] * h[i])
        elif np.isfinite(fp):  # one side is outside the function's domain
            g[i] = (fp - fval) / h[i]
            g2[i] = 0.0
        elif np.isfinite(fm):
            g[i] = (fval - fm) / h[i]
            g2[i] = 0.0
        else:
            g[i] = 0.0
            g2[i] = 0.0
    return g, g2, 2 * n


def numerical_gradient(fcn: Callable[[NDArray], float], x: NDArray, fval: float,
                       state: GradState, errordef: float, precision: float | None,
                       cycles: int = 1, hmax: NDArray | None = None
                       ) -> tuple[NDArray, NDArray, GradState, int]:
    """Gradient, second derivatives, new state and number of calls (module docstring)."""
    x = np.array(x, dtype=float)
    h = state.gstep.copy()
    if hmax is not None:
        h = np.minimum(h, hmax)
    nfcn = 0
    for _ in range(max(1, cycles)):
        g, g2, k = _central(fcn, x, fval, h)
        nfcn += k
        hnew = optimal_steps(x, fval, g2, errordef, precision, fallback=h * 10.0)
        if hmax is not None:
            hnew = np.minimum(hnew, hmax)
        ratio = hnew / h
        h = hnew
        if np.all((ratio < 2.0) & (ratio > 0.5)):
            break
    return g, g2, GradState(gstep=h, g2=g2), nfcn
