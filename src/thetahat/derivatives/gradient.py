"""Gradients of a scalar function by finite differences, with the steps given.

For F: Rⁿ → R at x with steps h (one per coordinate, chosen by the caller: scipy's
``minimize`` rules live in :mod:`thetahat.scipy_api._minimize`):

- forward:       g_i = (F(x + h_i e_i) - F(x)) / h_i,             error O(h), n calls;
- central:       g_i = (F(x + h_i e_i) - F(x - h_i e_i)) / (2 h_i),  error O(h²), 2n calls;
- complex step:  g_i = Im F(x + i t e_i) / t with t = 1e-30,  no cancellation at all, for an
  F that is analytic and accepts complex input (Squire & Trapp 1998), n calls.

MINUIT's gradient with its own step control is :mod:`.mn_gradient`; Jacobians of residual
vectors are :mod:`.jacobian` and :mod:`.model`.

Examples
--------
>>> import numpy as np
>>> f = lambda x: float(x[0] ** 2 + 3 * x[1])
>>> x = np.array([1.0, 2.0])
>>> np.round(forward_gradient(f, x, f(x), np.full(2, 1e-8)), 6) + 0.0
array([2., 3.])
>>> central_gradient(f, x, np.full(2, 1e-5)).round(8) + 0.0
array([2., 3.])
>>> complex_step_gradient(lambda z: z[0] ** 2 + 3 * z[1], x)
array([2., 3.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["forward_gradient", "central_gradient", "complex_step_gradient"]

_CS_STEP = 1e-30


def forward_gradient(f: Callable[[NDArray], float], x: NDArray, f0: float,
                     h: NDArray) -> NDArray:
    """Forward differences of ``f`` at ``x`` (value ``f0``) with steps ``h``."""
    g = np.empty_like(x)
    for i in range(x.size):
        xp = x.copy()
        xp[i] += h[i]
        g[i] = (f(xp) - f0) / h[i]
    return g


def central_gradient(f: Callable[[NDArray], float], x: NDArray, h: NDArray) -> NDArray:
    """Central differences of ``f`` at ``x`` with steps ``h``."""
    g = np.empty_like(x)
    for i in range(x.size):
        xp = x.copy()
        xp[i] += h[i]
        xm = x.copy()
        xm[i] -= h[i]
        g[i] = (f(xp) - f(xm)) / (2 * h[i])
    return g


def complex_step_gradient(f: Callable[[NDArray], object], x: NDArray) -> NDArray:
    """Complex-step derivatives of ``f`` (which must accept complex input) at ``x``."""
    g = np.empty_like(x)
    for i in range(x.size):
        xc = x.astype(complex)
        xc[i] += _CS_STEP * 1j
        g[i] = np.imag(np.asarray(f(xc)).reshape(())) / _CS_STEP
    return g
