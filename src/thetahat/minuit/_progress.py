"""Progress of the interval engines, reported point by point (:mod:`thetahat._core.progress`).

A profile, a contour and a scan hold the other parameters: each point is one call of the
cost, so a cost that advances the report at each call counts the points exactly. A MINOS
profile refits at each point: one call of the refit closure is one point. A MINOS contour
searches each of its points along a ray from the minimum with a few refits, all holding
``(x, y)`` on that ray: a refit in a new direction starts a new point. Nothing here changes
a number: the engines of :mod:`._intervals` and :mod:`thetahat.intervals` run as they do
without a report, on the same closures wrapped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.progress import Reporter
from .._core.rules import default_ncall
from . import _intervals
from ._state import FitState

__all__ = ["Reported", "ngrid", "npoints", "ray_counter", "scan_points", "stepped_cost",
           "stepped_refit"]


def stepped_cost(st: FitState, report: Reporter) -> FitState:
    """The state with a cost that advances ``report`` at each call: a profile, a contour
    and a scan call it once per point (held parameters, no refit)."""
    if not report.active:
        return st
    fcn = st.fcn

    def fcn_stepped(*args: Any, **kwargs: Any) -> Any:
        value = fcn(*args, **kwargs)
        report.advance()
        return value

    return dataclasses.replace(st, fcn=fcn_stepped)


def stepped_refit(report: Reporter) -> Callable[[Callable], Callable]:
    """The ``wrap`` of :func:`._intervals.mnprofile` that advances ``report`` after each
    refit: a point of a MINOS profile is one refit."""
    def wrap(refit: Callable) -> Callable:
        def refit_stepped(fixed: dict, start: np.ndarray) -> Any:
            r = refit(fixed, start)
            report.advance()
            return r
        return refit_stepped
    return wrap


class _RayCounter:
    """Counts the points of a MINOS contour from its refits: each point is searched along
    a ray from the minimum ``p0`` (:func:`thetahat.intervals.contour.mncontour`), all the
    refits of one ray hold ``(x, y)`` on the same half-line, so a new direction is a new
    point (the previous one is done). Directions are compared by the normalised cross
    product: rounding moves it by about ``eps |p0| / sigma``, adjacent rays by
    ``sqrt(1 - rho^2) 2 pi / size``."""

    def __init__(self, report: Reporter, ix: int, iy: int, p0: tuple, size: int) -> None:
        self.report, self.ix, self.iy, self.p0 = report, ix, iy, p0
        self.size, self.counted = size, 0
        self.last: tuple[float, float] | None = None
        self.refit: Callable | None = None

    def wrap(self, refit: Callable) -> _RayCounter:
        """The ``wrap`` of :func:`._intervals.mncontour`: this counter around ``refit``."""
        self.refit = refit
        return self

    def __call__(self, fixed: dict, start: np.ndarray) -> Any:
        u = (fixed[self.ix] - self.p0[0], fixed[self.iy] - self.p0[1])
        if u != (0.0, 0.0):
            if self.last is not None and self._new_ray(self.last, u):
                self._count(1)
            self.last = u
        assert self.refit is not None  # set by wrap() before the engine calls it
        return self.refit(fixed, start)

    @staticmethod
    def _new_ray(a: tuple, b: tuple) -> bool:
        cross, dot = a[0] * b[1] - a[1] * b[0], a[0] * b[0] + a[1] * b[1]
        norm = float(np.hypot(*a) * np.hypot(*b))
        return dot <= 0 or abs(cross) > 1e-7 * norm  # 1e-7: far above rounding, below rays

    def _count(self, k: int) -> None:
        k = min(k, self.size - self.counted)
        self.counted += k
        self.report.advance(k)

    def close(self) -> None:
        """The last ray is done (and any ray that needed no refit)."""
        self._count(self.size - self.counted)


def npoints(size: Any, grid: Any) -> int:
    """Number of points of a profile (0 if the engine is going to refuse the request)."""
    try:
        return int(size) if grid is None else int(np.size(grid))
    except (TypeError, ValueError):
        return 0


def ngrid(size: Any, grid: Any) -> int:
    """Number of points of a contour's grid (0 if the engine is going to refuse it)."""
    try:
        if grid is not None:
            return int(np.size(grid[0]) * np.size(grid[1]))
        sx, sy = (size, size) if np.ndim(size) == 0 else tuple(size)
        return int(sx) * int(sy)
    except (TypeError, ValueError, IndexError):
        return 0


def scan_points(nfit: int, ncall: int | None) -> int:
    """The number of cost calls of SCAN's grid: the start, then ``npoint ** nfit`` points
    with ``npoint = max(2, int(ncall ** (1 / nfit)))`` (:func:`._engines.run_scan`)."""
    if nfit == 0:
        return 0
    npoint = max(2, int((ncall or default_ncall(nfit)) ** (1.0 / nfit)))
    return 1 + npoint ** nfit


def ray_counter(st: FitState, x: str, y: str, size: int, report: Reporter) -> _RayCounter:
    """The point counter of a MINOS contour of ``x`` and ``y`` (pass its ``wrap`` to
    :func:`._intervals.mncontour`, then call its ``close``)."""
    ix, iy = _intervals.check_mncontour(st, x, y, size)
    return _RayCounter(report, ix, iy, (float(st.values[ix]), float(st.values[iy])),
                       int(size))


class Reported:
    """A ``Minuit`` seen by :func:`._intervals.draw_mnmatrix` whose profiles and contours
    advance one shared report, point by point."""

    def __init__(self, m: Any, report: Reporter) -> None:
        self._m, self._report = m, report

    def __getattr__(self, name: str) -> Any:
        return getattr(self._m, name)

    def mnprofile(self, vname: str, *, size: int = 30, bound: Any = 2) -> tuple:
        return self._m._mnprofile(vname, size, bound, None, False, self._report)

    def mncontour(self, x: str, y: str, *, cl: float | None = None, size: int = 100
                  ) -> np.ndarray:
        return self._m._mncontour(x, y, cl, size, 0, self._report)
