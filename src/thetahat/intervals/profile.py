"""One-parameter cost scans: the plain profile and the MINOS (profiled) profile.

``profile`` evaluates ``F(theta)`` on a grid of ``theta_i`` with all other parameters held
at their best values: a cut through the cost surface. Its width underestimates the
uncertainty when parameters are correlated.

``mnprofile`` evaluates the profiled cost

    F_prof(v) = min { F(theta) : theta_i = v }

on the grid: for a likelihood, ``2 (F_prof(v) - F_min) / (2 errordef)`` is asymptotically
``chi2(1)``, so ``F_prof - F_min = errordef`` crosses at the MINOS interval. Each grid point
is a refit with ``theta_i`` held; refits walk outward from the grid point nearest the
minimum, each warm-started from its neighbour's conditional minimum with the other
parameters linearly extrapolated from the last two minima.

``default_grid`` follows iminuit: ``bound`` is a number of standard deviations ``k``
(grid ``value +- k * error``) or an explicit ``(lo, hi)``; the grid is clipped to the
parameter limits and has ``size`` equidistant points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["default_grid", "profile", "mnprofile"]


def default_grid(value: float, error: float, size: int, bound: Any,
                 limits: tuple[float, float] = (-math.inf, math.inf)) -> np.ndarray:
    """Equidistant grid of ``size`` points for a profile.

    Parameters
    ----------
    value, error : float
        Best value and its standard deviation.
    size : int
        Number of points, at least 2.
    bound : float or (float, float)
        Number of standard deviations around ``value``, or the grid ends.
    limits : (float, float)
        Parameter limits; the grid does not leave them.

    Returns
    -------
    ndarray of shape (size,)

    Examples
    --------
    >>> default_grid(1.0, 0.5, 5, 2)
    array([0. , 0.5, 1. , 1.5, 2. ])
    >>> default_grid(1.0, 0.5, 3, 2, (0.5, 10.0))
    array([0.5 , 1.25, 2.  ])
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"size must be an integer >= 2, got {size!r}")
    if np.ndim(bound) == 0:
        k = float(bound)
        if not (k > 0 and math.isfinite(k)):
            raise ValueError(f"bound must be a positive number of sigmas, got {bound!r}")
        if not (error > 0 and math.isfinite(error)):
            raise ValueError(f"error must be positive to use bound={bound!r}, got {error!r}")
        a, b = value - k * error, value + k * error
    else:
        if len(bound) != 2:
            raise ValueError(f"bound must be a number or a (lo, hi) pair, got {bound!r}")
        a, b = (float(t) for t in bound)
        if not (math.isfinite(a) and math.isfinite(b) and a < b):
            raise ValueError(f"bound must be finite with lo < hi, got {bound!r}")
    lo, hi = float(limits[0]), float(limits[1])
    a, b = max(a, lo), min(b, hi)
    if not a < b:
        raise ValueError(f"bound {bound!r} leaves no room inside the limits {limits!r}")
    return np.linspace(a, b, int(size))


def _check_grid(grid: Any) -> np.ndarray:
    g = np.asarray(grid, dtype=float)
    if g.ndim != 1 or g.size < 1:
        raise ValueError(f"grid must be a non-empty 1-D array, got shape {g.shape}")
    bad = np.flatnonzero(~np.isfinite(g))
    if bad.size:
        raise ValueError(f"grid[{bad[0]}] is not finite: {g[bad[0]]!r}")
    return g


def profile(fcn_values: Callable[[np.ndarray], float], *, index: int,
            values: Sequence[float], grid: Any) -> tuple[np.ndarray, np.ndarray]:
    """Cost along ``grid`` for parameter ``index``, other parameters held at ``values``.

    Parameters
    ----------
    fcn_values : callable
        ``fcn_values(all_values) -> float``.
    index : int
        Scanned parameter.
    values : array_like
        All parameter values (the others stay here).
    grid : array_like
        Values of parameter ``index``.

    Returns
    -------
    grid, fvals : ndarray
    """
    x = np.array(values, dtype=float)
    _check_index(index, x.size)
    g = _check_grid(grid)
    f = np.empty(g.size)
    for k, v in enumerate(g):
        x[index] = v
        f[k] = float(fcn_values(x.copy()))
    return g, f


def _check_index(index: Any, n: int) -> None:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
            or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n}), got {index!r}")


def mnprofile(refit: Callable, *, index: int, values: Sequence[float],
              grid: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Profiled cost along ``grid``: the other free parameters refitted at each point.

    Parameters
    ----------
    refit : callable
        ``refit(fixed, start)`` -> object with ``fval, values, valid, nfcn``.
    index : int
        Profiled parameter.
    values : array_like
        All parameter values at the minimum (the starting point of the walk).
    grid : array_like
        Values of parameter ``index``.

    Returns
    -------
    grid, fvals, status : ndarray
        ``status[k]`` is the validity of the refit at ``grid[k]``.
    """
    x0 = np.array(values, dtype=float)
    _check_index(index, x0.size)
    g = _check_grid(grid)
    f = np.full(g.size, np.nan)
    ok = np.zeros(g.size, dtype=bool)
    k0 = int(np.argmin(np.abs(g - x0[index])))
    for order in (range(k0, g.size), range(k0 - 1, -1, -1)):
        path: list[tuple[float, np.ndarray]] = [(x0[index], x0)]
        for k in order:
            v = g[k]
            ua, xa = path[-1]
            if len(path) >= 2 and path[-2][0] != ua:
                ub, xb = path[-2]
                start = xa + (xa - xb) * ((v - ua) / (ua - ub))
            else:
                start = xa.copy()
            start[index] = v
            r = refit({index: float(v)}, start)
            f[k] = float(r.fval)
            ok[k] = bool(r.valid) and math.isfinite(f[k])
            if ok[k]:
                path.append((v, np.asarray(r.values, dtype=float)))
                del path[:-2]
    return g, f, ok
