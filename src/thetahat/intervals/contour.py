"""Two-parameter cost scans and MINOS contours.

``contour`` tabulates ``F`` on a rectangular grid of ``(theta_x, theta_y)`` with all other
parameters held at their best values (``F[i, j] = F(x_i, y_j)``, iminuit's layout).

``mncontour`` finds the closed curve where the profiled cost

    F_prof(a, b) = min { F(theta) : theta_x = a, theta_y = b }

rises by ``T = errordef * factor`` above the minimum ``fval`` (``factor`` from
``_cl.factor_2d``; for a likelihood ``2 (F_prof - F_min) / (2 errordef) ~ chi2(2)``).

Method: radial root finding in the metric of the error ellipse. With ``C`` the 2x2
covariance block of ``(x, y)`` and ``C = L L^T`` (Cholesky), the point at polar
coordinates ``(r, phi)`` is

    p(r, phi) = p0 + r L (cos phi, sin phi)^T.

For a quadratic cost ``F_prof(p) - fval = errordef * r**2`` exactly, so along each ray
``q(r) = sqrt(max(F_prof - fval, 0) / errordef)`` is close to ``r`` and the crossing
``q = sqrt(factor)`` is found by steps of a local power law ``q ~ r**p`` through the last
point (``p = 1`` for a quadratic cost; otherwise ``p`` is measured on the previous ray and
updated from the last two points), safeguarded by a bracket with regula falsi and
bisection. The first trial radius is extrapolated in the angle from the previous rays
(quadratically from three) (the first ray starts at ``sqrt(factor)``). The ``size`` rays
are equally spaced in ``phi`` and visited in order, each refit warm-started from the
neighbouring ray's conditional minimum.
The radius is stopped at parameter limits when ``limits`` are given (and the point clipped
to them against rounding). The rays are laid out for the pair in increasing index order, so
that ``(iy, ix)`` traces the same points as ``(ix, iy)`` with the columns swapped.

The curve is closed by repeating the first point (``size + 1`` rows). If
``interpolated > size`` the closed curve is resampled at ``interpolated`` points by a
periodic cubic spline in a uniform curve parameter ``t in [0, 1]``: the spline's second
derivatives ``M_k`` solve the cyclic tridiagonal system
``M_{k-1} + 4 M_k + M_{k+1} = 6 (P_{k+1} - 2 P_k + P_{k-1}) / h**2``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["contour", "mncontour", "periodic_spline"]

_MAXITER = 30


def contour(fcn_values: Callable[[np.ndarray], float], *, ix: int, iy: int,
            values: Sequence[float], xgrid: Any,
            ygrid: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost on the grid ``xgrid x ygrid`` of parameters ``ix, iy``, others held.

    Parameters
    ----------
    fcn_values : callable
        ``fcn_values(all_values) -> float``.
    ix, iy : int
        The two scanned parameters (different).
    values : array_like
        All parameter values (the others stay here).
    xgrid, ygrid : array_like
        1-D grids of the two parameters.

    Returns
    -------
    x, y, F : ndarray
        ``F[i, j]`` is the cost at ``(x[i], y[j])``.
    """
    p = np.array(values, dtype=float)
    _check_pair(ix, iy, p.size)
    gx = np.asarray(xgrid, dtype=float)
    gy = np.asarray(ygrid, dtype=float)
    for name, g in (("xgrid", gx), ("ygrid", gy)):
        if g.ndim != 1 or g.size < 1 or not np.all(np.isfinite(g)):
            raise ValueError(f"{name} must be a non-empty 1-D array of finite values")
    F = np.empty((gx.size, gy.size))
    for a, xv in enumerate(gx):
        for b, yv in enumerate(gy):
            p[ix], p[iy] = xv, yv
            F[a, b] = float(fcn_values(p.copy()))
    return gx, gy, F


def _check_pair(ix: Any, iy: Any, n: int) -> None:
    for name, i in (("ix", ix), ("iy", iy)):
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
            raise ValueError(f"{name} must be an integer in [0, {n}), got {i!r}")
    if ix == iy:
        raise ValueError(f"ix and iy must differ, got {ix!r} twice")


def _ray_limit(p0: tuple, d: tuple, lo: tuple, hi: tuple) -> float:
    """Largest ``r`` with ``lo <= p0 + r d <= hi`` (pairs of floats)."""
    rmax = math.inf
    for k in range(2):
        if d[k] > 0 and math.isfinite(hi[k]):
            rmax = min(rmax, (hi[k] - p0[k]) / d[k])
        elif d[k] < 0 and math.isfinite(lo[k]):
            rmax = min(rmax, (lo[k] - p0[k]) / d[k])
    return max(rmax, 0.0)


def mncontour(refit: Callable, *, ix: int, iy: int, values: Sequence[float],
              cov: np.ndarray, fval: float, errordef: float, factor: float,
              size: int = 100, interpolated: int = 0,
              limits: Sequence[tuple[float, float]] | None = None,
              tol: float = 5e-3) -> np.ndarray:
    """Points of the profiled-cost contour ``F_prof - fval = errordef * factor``.

    Parameters
    ----------
    refit : callable
        ``refit(fixed, start)`` -> object with ``fval, values, valid, nfcn``.
    ix, iy : int
        The two parameters.
    values : array_like
        All parameter values at the minimum.
    cov : ndarray
        Covariance of all parameters (or at least a valid ``[[ix, iy]]`` block).
    fval, errordef, factor : float
        Minimum cost, cost rise of one sigma, multiple of ``errordef``.
    size : int, optional
        Number of rays (distinct contour points), at least 4.
    interpolated : int, optional
        If larger than ``size``, resample the closed curve at this many points.
    limits : sequence of (lower, upper), optional
        Parameter limits; rays stop at them.
    tol : float, optional
        Relative tolerance on each radius: a ray stops when the linearised crossing
        ``r + (sqrt(factor) - q) / q'`` moves ``r`` by at most ``tol * r``, and reports it.

    Returns
    -------
    ndarray of shape (size + 1, 2), or (interpolated, 2)
        Closed curve: the last row repeats the first.
    """
    p = np.array(values, dtype=float)
    n = p.size
    _check_pair(ix, iy, n)
    if ix > iy:
        # the rays are laid in the Cholesky frame of the ordered pair, so that a swapped
        # pair traces the same points (iminuit issue 669)
        pts = mncontour(refit, ix=iy, iy=ix, values=values, cov=cov, fval=fval,
                        errordef=errordef, factor=factor, size=size,
                        interpolated=interpolated, limits=limits, tol=tol)
        return pts[:, ::-1].copy()
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 4:
        raise ValueError(f"size must be an integer >= 4, got {size!r}")
    if not (errordef > 0 and factor > 0):
        raise ValueError(f"errordef and factor must be positive, got {errordef!r}, "
                         f"{factor!r}")
    c = np.asarray(cov, dtype=float)
    if c.shape != (n, n):
        raise ValueError(f"cov must have shape ({n}, {n}), got {c.shape}")
    C = c[np.ix_([ix, iy], [ix, iy])]
    try:
        L = np.linalg.cholesky(C)
    except np.linalg.LinAlgError:
        raise ValueError(f"cov block of parameters ({ix}, {iy}) is not positive "
                         f"definite: {C.tolist()}") from None
    # the per-ray work is on pairs of Python floats (each ray costs a few refits only)
    p0 = (float(p[ix]), float(p[iy]))
    lo, hi = (-math.inf, -math.inf), (math.inf, math.inf)
    if limits is not None:
        lo = (float(limits[ix][0]), float(limits[iy][0]))
        hi = (float(limits[ix][1]), float(limits[iy][1]))
    l00, l10, l11 = float(L[0, 0]), float(L[1, 0]), float(L[1, 1])
    s = math.sqrt(factor)
    phis = 2 * math.pi * np.arange(size) / size
    pts = np.empty((size, 2))
    radii: list[float] = []  # found radii of the rays inside the limits
    p_hint = 1.0
    x_prev = p
    for k, phi in enumerate(phis.tolist()):
        d = (l00 * math.cos(phi), l10 * math.cos(phi) + l11 * math.sin(phi))
        rmax = _ray_limit(p0, d, lo, hi)
        if len(radii) >= 3:  # quadratic extrapolation in the angle
            r0 = 3.0 * radii[-1] - 3.0 * radii[-2] + radii[-3]
            r0 = min(max(r0, 0.5 * radii[-1]), 2.0 * radii[-1])
        elif len(radii) == 2:  # linear
            r0 = max(2.0 * radii[-1] - radii[-2], 0.5 * radii[-1])
        else:
            r0 = radii[-1] if radii else s
        r, x_prev, p_ray = _ray(refit, ix, iy, p0, d, x_prev, min(r0, rmax), rmax,
                                fval, errordef, s, tol, p_hint)
        # r d stops at a limit only up to rounding: clip (a point may not cross it)
        pts[k] = (min(max(p0[0] + r * d[0], lo[0]), hi[0]),
                  min(max(p0[1] + r * d[1], lo[1]), hi[1]))
        if 0 < r < rmax:
            radii.append(r)
            p_hint = p_ray
    pts = np.vstack([pts, pts[:1]])
    if interpolated > size:
        pts = periodic_spline(pts, int(interpolated))
    return pts


def _ray(refit: Callable, ix: int, iy: int, p0: tuple, d: tuple,
         x_start: np.ndarray, r: float, rmax: float, fval: float, errordef: float,
         s: float, tol: float, p_hint: float) -> tuple[float, np.ndarray, float]:
    """Root of ``q(r) = sqrt((F_prof(p0 + r d) - fval) / errordef) = s`` on one ray.

    Steps use the local power law ``q ~ r**p`` through the last point, with ``p`` from the
    last two points of this ray (or ``p_hint`` from the previous ray; 1 for a quadratic
    cost), inside a bracket ``q(lo) < s < q(hi)`` with regula falsi / bisection fallbacks.
    Returns the radius, the last conditional minimum and the exponent ``p``.
    """
    pts: list[tuple[float, float]] = []
    lo, qlo, hi, qhi = 0.0, 0.0, math.inf, math.inf
    x_best = x_start
    p_est = p_hint
    if r <= 0:
        return 0.0, x_best, p_est
    for it in range(_MAXITER):
        a, b = p0[0] + r * d[0], p0[1] + r * d[1]
        start = x_best.copy()
        start[ix], start[iy] = a, b
        res = refit({ix: a, iy: b}, start)
        df = (float(res.fval) - fval) / errordef
        if res.valid and math.isfinite(df):
            x_best = np.asarray(res.values, dtype=float)
        q = math.sqrt(df) if df > 0 else (0.0 if math.isfinite(df) else math.inf)
        if q > 0 and math.isfinite(q):
            if pts and pts[-1][1] > 0 and pts[-1][0] != r:
                pe = math.log(q / pts[-1][1]) / math.log(r / pts[-1][0])
                if 0.2 < pe < 5.0:
                    p_est = pe
            pts.append((r, q))
        if 0 < q < math.inf:
            # linearised crossing by the secant to the nearest other point ((0, 0) exact)
            rb, qb = min(pts[:-1] + [(0.0, 0.0)], key=lambda t: abs(t[0] - r))
            slope = (q - qb) / (r - rb) if r != rb else math.nan
            if slope > 0 and abs(s - q) <= tol * r * slope:
                rn = r + (s - q) / slope
                return (rn if lo <= rn <= min(hi, rmax) else r), x_best, p_est
        if q < s:
            if r >= rmax:  # limit reached inside the contour
                return r, x_best, p_est
            lo, qlo = r, q
        else:
            hi, qhi = r, q
        if math.isfinite(hi) and hi - lo <= 1e-2 * tol * hi:
            return r, x_best, p_est
        rn = r * (s / q) ** (1.0 / p_est) if 0 < q < math.inf else math.nan
        if not math.isfinite(hi):
            rn = 2.0 * r if not math.isfinite(rn) or rn <= r else min(rn, 4.0 * r)
        elif not (math.isfinite(rn) and lo < rn < hi) or it >= 6:
            rf = lo + (s - qlo) * (hi - lo) / (qhi - qlo) if math.isfinite(qhi) else math.nan
            rn = rf if lo < rf < hi and it % 2 == 0 else 0.5 * (lo + hi)
        r = min(rn, rmax)
    return r, x_best, p_est


def periodic_spline(pts: np.ndarray, npoints: int) -> np.ndarray:
    """Resample a closed curve (last row == first row) with a periodic cubic spline.

    Parameters
    ----------
    pts : ndarray of shape (m + 1, k)
        Closed curve sampled at the uniform parameter ``t = linspace(0, 1, m + 1)``.
    npoints : int
        Number of output points (closed: the last equals the first).

    Returns
    -------
    ndarray of shape (npoints, k)
    """
    P = np.asarray(pts, dtype=float)[:-1]
    m = P.shape[0]
    h = 1.0 / m
    A = 4.0 * np.eye(m)
    idx = np.arange(m)
    A[idx, (idx + 1) % m] += 1.0
    A[idx, (idx - 1) % m] += 1.0
    rhs = 6.0 * (np.roll(P, -1, axis=0) - 2 * P + np.roll(P, 1, axis=0)) / h ** 2
    M = np.linalg.solve(A, rhs)
    t = np.linspace(0.0, 1.0, npoints)
    k = np.minimum((t / h).astype(int), m - 1)
    tau = (t - k * h) / h  # local coordinate in [0, 1]
    P0, P1 = P[k], P[(k + 1) % m]
    M0, M1 = M[k], M[(k + 1) % m]
    a, b = (1 - tau)[:, None], tau[:, None]
    return (a * P0 + b * P1
            + ((a ** 3 - a) * M0 + (b ** 3 - b) * M1) * h ** 2 / 6.0)
