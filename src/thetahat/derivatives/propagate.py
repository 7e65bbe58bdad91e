"""Error propagation to a function of the parameters: y = f(p), cov_y = J C Jᵀ.

To first order in the parameter errors, a function y = f(p) of the estimates p with
covariance C has the covariance J C Jᵀ, with J = ∂f/∂p at the estimate. J is taken by
central differences at two steps, h and h/2, combined by Richardson extrapolation,

    D(h) = (f(p + h e_j) - f(p - h e_j)) / 2h,    J_j = (4 D(h/2) - D(h)) / 3,

which cancels the h² term of the central difference and leaves an error of order h⁴ f⁽⁵⁾
(about 1e-10 relative for h = 1e-3 σ on smooth functions). The step is a thousandth of
the parameter's error, so the difference probes f on the scale on which the estimate is
uncertain, or a thousandth of |p| (of 1 at 0) for a parameter without an error.

Used by ``thetahat.util.propagate`` (iminuit's function) and by the confidence band that
the command line draws around a fitted model (:func:`band`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["central_jacobian", "default_steps", "band"]


def default_steps(x: NDArray, cov: NDArray) -> NDArray:
    """1e-3 of each parameter's standard deviation, or of |x| (1 at 0) where it is 0."""
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return np.where(sd > 0, 1e-3 * sd, 1e-3 * np.where(x != 0, np.abs(x), 1.0))


def central_jacobian(fn: Callable[[NDArray], Any], x: NDArray, y0: NDArray,
                     h: NDArray) -> NDArray:
    """∂fn/∂x at ``x`` by Richardson-extrapolated central differences (module docstring);
    ``y0 = fn(x)`` gives the output's size; shape ``(y0.size, x.size)``."""
    J = np.empty((y0.size, x.size))
    for j in range(x.size):
        d = []
        for step in (h[j], 0.5 * h[j]):
            xp, xm = x.copy(), x.copy()
            xp[j] += step
            xm[j] -= step
            yp = np.asarray(fn(xp), dtype=float).ravel()
            ym = np.asarray(fn(xm), dtype=float).ravel()
            d.append((yp - ym) / (xp[j] - xm[j]))
        J[:, j] = (4.0 * d[1] - d[0]) / 3.0
    return J


def band(fn: Callable[[NDArray], Any], x: NDArray, cov: NDArray) -> tuple[NDArray, NDArray]:
    """y = fn(x) and its standard deviation sqrt(diag(J C Jᵀ)) at every output point:
    the 1σ confidence band of a fitted curve. Parameters with zero variance (fixed) do not
    contribute.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([0.0, 1.0, 2.0])
    >>> y, s = band(lambda p: p[0] + p[1] * t, np.array([1.0, 2.0]), np.diag([0.01, 0.04]))
    >>> np.round(s, 6).tolist()  # sqrt(0.01 + 0.04 t^2)
    [0.1, 0.223607, 0.412311]
    """
    xa = np.asarray(x, dtype=float)
    c = np.asarray(cov, dtype=float)
    y0 = np.asarray(fn(xa.copy()), dtype=float)
    J = central_jacobian(fn, xa, y0.ravel(), default_steps(xa, c))
    var = np.einsum("ik,kl,il->i", J, c, J)
    return y0, np.sqrt(np.clip(var, 0.0, None)).reshape(y0.shape)
