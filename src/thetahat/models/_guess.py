"""Starting-value estimators shared by the models.

All are closed-form and cheap (no iterative fit):

- :func:`log_linear`: weighted straight line through ``ln y`` (weights ``y``, since
  ``Var(ln y) ~ 1/y`` for counts), for exponentials and power laws;
- :func:`peak_moments`: height, centre and width of one peak in ``(x, y)``: the tallest point
  of a 3-point running mean, the centre as the ``y``-weighted mean of the contiguous points
  above half maximum, the width from the full width at half maximum (``sigma = FWHM/2.3548``,
  interpolated crossings), falling back to the second moment;
- :func:`step_quartiles`: the level ``a`` of a step from 0 (the mean of the outer tenth of
  the points on the side farther from 0) and the x where a monotone envelope of ``y/a``
  crosses 25 %, 50 % and 75 %;
- :func:`truncated_expo_rate`: the rate ``r`` of an exponential truncated to ``[0, L]`` whose
  mean is ``m``: solves ``1/r - L/(exp(rL) - 1) = m`` by bisection (the left side is
  decreasing in ``r``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["log_linear", "peak_moments", "truncated_expo_rate", "step_quartiles"]

FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def log_linear(x: NDArray, y: NDArray) -> tuple[float, float]:
    """``(slope, intercept)`` of ``ln y ~ intercept + slope x`` over points with ``y > 0``.

    With fewer than two positive points returns ``(0, ln max(|y|, tiny))``.
    """
    pos = y > 0
    if pos.sum() < 2:
        level = float(np.max(np.abs(y))) if y.size else 1.0
        return 0.0, float(np.log(max(level, 1e-300)))
    xp, lp = x[pos], np.log(y[pos])
    w = y[pos] / y[pos].max()
    w = np.maximum(w, 1e-3)  # keep small-y points from vanishing entirely
    sw = w.sum()
    xm = (w * xp).sum() / sw
    lm = (w * lp).sum() / sw
    sxx = (w * (xp - xm) ** 2).sum()
    if sxx <= 0:
        return 0.0, float(lm)
    slope = (w * (xp - xm) * (lp - lm)).sum() / sxx
    return float(slope), float(lm - slope * xm)


def _crossing(x: NDArray, y: NDArray, i: int, j: int, level: float) -> float:
    """x where the line through points i, j reaches ``level``."""
    if y[i] == y[j]:
        return float(x[j])
    t = (level - y[j]) / (y[i] - y[j])
    return float(x[j] + t * (x[i] - x[j]))


def peak_moments(x: NDArray, y: NDArray) -> tuple[float, float, float]:
    """``(height, centre, sigma)`` of the tallest peak in sorted curve data."""
    n = x.size
    ys = y.copy()
    if n >= 5:
        ys[1:-1] = (y[:-2] + y[1:-1] + y[2:]) / 3.0
    i = int(np.argmax(ys))
    height = float(max(ys[i], y[i]))
    if height <= 0:
        return 0.0, float(np.mean(x)), float(np.ptp(x) / 10 or 1.0)
    half = 0.5 * height
    lo = i
    while lo > 0 and ys[lo - 1] > half:
        lo -= 1
    hi = i
    while hi < n - 1 and ys[hi + 1] > half:
        hi += 1
    w = np.clip(y[lo:hi + 1], 0, None)
    centre = float((w * x[lo:hi + 1]).sum() / w.sum()) if w.sum() > 0 else float(x[i])
    xl = _crossing(x, ys, lo, lo - 1, half) if lo > 0 else float(x[0])
    xr = _crossing(x, ys, hi, hi + 1, half) if hi < n - 1 else float(x[-1])
    spacing = float(np.median(np.diff(x))) if n > 1 else 1.0
    fwhm = xr - xl
    if not fwhm > 0:
        fwhm = spacing
    sigma = max(fwhm / FWHM_PER_SIGMA, 0.5 * spacing)
    if lo == 0 and hi == n - 1:  # no half-maximum crossing: use the second moment
        wp = np.clip(y, 0, None)
        var = (wp * (x - centre) ** 2).sum() / wp.sum()
        sigma = float(np.sqrt(var)) if var > 0 else sigma
    return height, centre, float(sigma)


def truncated_expo_rate(mean: float, length: float) -> float:
    """Rate ``r`` of ``exp(-r t)`` on ``[0, L]`` with the given mean (0 for ``m = L/2``)."""
    def m(r: float) -> float:
        u = r * length
        if abs(u) < 1e-8:
            return length / 2 - r * length**2 / 12
        return 1.0 / r - length / np.expm1(u)

    lo, hi = -200.0 / length, 200.0 / length
    if mean >= m(lo):
        return lo
    if mean <= m(hi):
        return hi
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if m(mid) > mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def step_quartiles(x: NDArray, y: NDArray) -> tuple[float, NDArray, bool]:
    """``(level, x at 25/50/75 % of the level, rising)`` of a step from 0 in sorted data."""
    k = max(1, x.size // 10)
    left, right = float(np.mean(y[:k])), float(np.mean(y[-k:]))
    rising = abs(right) >= abs(left)
    a = right if rising else left
    if a == 0:
        a = float(np.max(np.abs(y))) or 1.0
    frac = np.clip(y / a, 0, 1)
    if not rising:
        frac = 1 - frac
    env = np.maximum.accumulate(frac)
    q = np.interp([0.25, 0.5, 0.75], env + np.arange(env.size) * 1e-12, x)
    return a, q, rising
