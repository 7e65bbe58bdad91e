"""Glue between :class:`~thetahat.Minuit` and the interval algorithms and drawings.

The algorithms in :mod:`thetahat.intervals` know nothing of ``Minuit``: they see a
``refit(fixed, start)`` closure that minimises the cost over the free parameters with some
of them held at given values (the profiled cost), and arrays of values, errors, limits.
This module builds that closure on the same engines as ``migrad`` and turns the answers
into ``MError`` objects and iminuit's return conventions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ._engines import solve
from ._problem import Problem
from ..results import MError

if TYPE_CHECKING:  # pragma: no cover
    from . import Minuit


class RefitResult(NamedTuple):
    fval: float
    values: np.ndarray
    valid: bool
    nfcn: int


def make_refit(m: "Minuit", ncall: int | None = None):
    """``refit(fixed: dict[int, float], start: array) -> RefitResult`` for ``m``'s cost."""

    def refit(fixed: dict, start: np.ndarray) -> RefitResult:
        values = np.array(start, dtype=float)
        free = ~m._fixed
        for i, v in fixed.items():
            values[i] = v
            free[i] = False
        values = np.clip(values, m._lower, m._upper)
        prob = Problem(m._fcn, values, free, m._lower, m._upper, array_call=m._array_call,
                       names=m._pos2var, throw_nan=m.throw_nan, grad=m._grad)
        if prob.idx.size == 0:
            f = prob.call_ext(values)
            m._nfcn += prob.nfcn
            return RefitResult(f, values, bool(np.isfinite(f)), prob.nfcn)
        s = solve(m, prob, prob.to_int(values), ncall, refit=True)
        m._nfcn += prob.nfcn  # every call of the cost counts in Minuit.nfcn
        x = prob.to_ext(s.u)
        valid = bool(s.flags.get("is_valid", True) and np.isfinite(s.fval)
                     and not s.flags.get("has_reached_call_limit", False))
        return RefitResult(s.fval, x, valid, prob.nfcn)

    return refit


def _require_fmin(m: "Minuit", what: str) -> None:
    if m._fmin is None:
        raise RuntimeError(f"{what} needs a minimum: run migrad() first")


def _index(m: "Minuit", name: Any) -> int:
    if isinstance(name, str):
        if name not in m._var2pos:
            raise ValueError(f"unknown parameter {name!r}; valid names: {list(m._pos2var)}")
        return m._var2pos[name]
    i = int(name)
    if not 0 <= i < m.npar:
        raise ValueError(f"parameter index {name!r} out of range for {m.npar} parameters")
    return i


def _limits(m: "Minuit") -> list[tuple[float, float]]:
    return list(zip(m._lower.tolist(), m._upper.tolist()))


def _cov(m: "Minuit") -> np.ndarray:
    if m._covariance is not None:
        return np.asarray(m._covariance)
    return np.diag(m._errors ** 2)


def minos(m: "Minuit", parameters: tuple, cl: float | None, ncall: int | None) -> "Minuit":
    from .._core.cl import factor_1d
    from ..intervals.minos import minos_one
    _require_fmin(m, "minos")
    if not m._fmin.is_valid:
        raise RuntimeError("function minimum is not valid: make sure migrad converges first")
    if m._covariance is None:
        m.hesse()
    names = parameters or tuple(n for i, n in enumerate(m._pos2var) if not m._fixed[i])
    factor = factor_1d(cl)
    refit = make_refit(m, ncall)
    for name in names:
        i = _index(m, name)
        if m._fixed[i]:
            raise ValueError(f"cannot run minos on fixed parameter {m._pos2var[i]!r}")
        d = minos_one(refit, index=i, values=m._values.copy(), errors=m._errors.copy(),
                      limits=_limits(m), fval=m._fmin.fval, errordef=m._errordef,
                      factor=factor, ncall=ncall, cov=_cov(m))
        d = dict(d)
        d["name"] = m._pos2var[i]
        d["number"] = i
        m._merrors[m._pos2var[i]] = MError(**{k: d[k] for k in MError.__dataclass_fields__})
    m._fmin = dataclasses.replace(m._fmin, nfcn=m._nfcn)  # the total, as iminuit reports
    return m


def _grid(m: "Minuit", i: int, size: int, bound: Any, grid: Any) -> np.ndarray:
    from ..intervals.profile import default_grid
    if grid is not None:
        g = np.asarray(grid, dtype=float)
        if g.ndim != 1 or g.size < 2 or not np.all(np.isfinite(g)):
            raise ValueError("grid must be a 1-D array of at least 2 finite values")
        return g
    if int(size) < 2:
        raise ValueError(f"size must be >= 2, got {size!r}")
    return default_grid(m._values[i], m._errors[i], int(size), bound,
                        (m._lower[i], m._upper[i]))


def _fcn_values(m: "Minuit"):
    def f(x: np.ndarray) -> float:
        v = m._fcn(np.asarray(x, float)) if m._array_call else m._fcn(*x)
        m._nfcn += 1
        return float(v)
    return f


def profile(m: "Minuit", vname: str, size: int, bound: Any, grid: Any,
            subtract_min: bool) -> tuple[np.ndarray, np.ndarray]:
    from ..intervals.profile import profile as _profile
    i = _index(m, vname)
    g = _grid(m, i, size, bound, grid)
    x, y = _profile(_fcn_values(m), index=i, values=m._values.copy(), grid=g)[:2]
    y = np.asarray(y, float)
    if subtract_min:
        y = y - np.nanmin(y)
    return np.asarray(x, float), y


def mnprofile(m: "Minuit", vname: str, size: int, bound: Any, grid: Any,
              subtract_min: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from ..intervals.profile import mnprofile as _mnprofile
    _require_fmin(m, "mnprofile")
    i = _index(m, vname)
    if m._fixed[i]:
        raise ValueError(f"cannot profile fixed parameter {m._pos2var[i]!r}")
    g = _grid(m, i, size, bound, grid)
    x, y, ok = _mnprofile(make_refit(m), index=i, values=m._values.copy(), grid=g)
    y = np.asarray(y, float)
    if subtract_min:
        y = y - np.nanmin(y)
    return np.asarray(x, float), y, np.asarray(ok, bool)


def contour(m: "Minuit", x: str, y: str, size: int, bound: Any, grid: Any,
            subtract_min: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from ..intervals.contour import contour as _contour
    ix, iy = _index(m, x), _index(m, y)
    if grid is not None:
        gx, gy = (np.asarray(g, float) for g in grid)
    else:
        gx = _grid(m, ix, size, bound if np.ndim(bound) < 2 else bound[0], None)
        gy = _grid(m, iy, size, bound if np.ndim(bound) < 2 else bound[1], None)
    X, Y, F = _contour(_fcn_values(m), ix=ix, iy=iy, values=m._values.copy(), xgrid=gx,
                       ygrid=gy)
    F = np.asarray(F, float)
    if subtract_min:
        F = F - np.nanmin(F)
    return np.asarray(X, float), np.asarray(Y, float), F


def mncontour(m: "Minuit", x: str, y: str, cl: float | None, size: int,
              interpolated: int) -> np.ndarray:
    from .._core.cl import factor_2d
    from ..intervals.contour import mncontour as _mncontour
    _require_fmin(m, "mncontour")
    ix, iy = _index(m, x), _index(m, y)
    if ix == iy:
        raise ValueError("mncontour needs two different parameters")
    for i in (ix, iy):
        if m._fixed[i]:
            raise ValueError(f"cannot run mncontour on fixed parameter {m._pos2var[i]!r}")
    if int(size) < 4:  # a closed curve needs at least four points
        raise ValueError(f"size must be >= 4, got {size!r}")
    if m._covariance is None:
        m.hesse()
    pts = _mncontour(make_refit(m), ix=ix, iy=iy, values=m._values.copy(), cov=_cov(m),
                     fval=m._fmin.fval, errordef=m._errordef, factor=factor_2d(cl),
                     size=int(size), interpolated=int(interpolated), limits=_limits(m))
    return np.asarray(pts, float)


# drawing -------------------------------------------------------------------------------
def _band(m: "Minuit", i: int) -> tuple[float, float, float]:
    name = m._pos2var[i]
    v = m._values[i]
    if name in m._merrors:
        e = m._merrors[name]
        return v, v + e.lower, v + e.upper
    return v, v - m._errors[i], v + m._errors[i]


def draw_profile(m: "Minuit", vname: str, *, band: bool = True, text: bool = True,
                 **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    from .. import plot
    i = _index(m, vname)
    x, y = profile(m, vname, kwargs.pop("size", 100), kwargs.pop("bound", 2),
                   kwargs.pop("grid", None), kwargs.pop("subtract_min", True))
    plot.draw_profile(x, y, name=m._pos2var[i], band=_band(m, i) if band else None,
                      text=text)
    return x, y


def draw_mnprofile(m: "Minuit", vname: str, *, band: bool = True, text: bool = True,
                   **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    from .. import plot
    i = _index(m, vname)
    x, y, _ = mnprofile(m, vname, kwargs.pop("size", 30), kwargs.pop("bound", 2),
                        kwargs.pop("grid", None), kwargs.pop("subtract_min", True))
    plot.draw_mnprofile(x, y, name=m._pos2var[i], band=_band(m, i) if band else None,
                        text=text)
    return x, y


def draw_contour(m: "Minuit", x: str, y: str, **kwargs: Any) -> Any:
    from .. import plot
    X, Y, F = contour(m, x, y, kwargs.pop("size", 50), kwargs.pop("bound", 2),
                      kwargs.pop("grid", None), kwargs.pop("subtract_min", True))
    # as iminuit: the cost above its minimum at errordef x (1, 2, 3, 4); returns the grid
    levels = [m._errordef * k for k in (1, 2, 3, 4)]
    plot.draw_contour(X, Y, F, xname=x, yname=y, levels=levels)
    return X, Y, F


def draw_mncontour(m: "Minuit", x: str, y: str, *, cl: Any = None, size: int = 100,
                   interpolated: int = 0, **kwargs: Any) -> Any:
    from .. import plot
    cls = [cl] if (cl is None or np.ndim(cl) == 0) else list(cl)
    curves = {c: mncontour(m, x, y, c, size, interpolated) for c in cls}
    return plot.draw_mncontour(curves, xname=x, yname=y)


def draw_mnmatrix(m: "Minuit", *, cl: Any = None, size: int = 30,
                  experimental: bool = False, figsize: Any = None) -> Any:
    from .. import plot
    from .._core.cl import factor_1d
    _require_fmin(m, "draw_mnmatrix")
    cls = [None] if cl is None else ([cl] if np.ndim(cl) == 0 else list(cl))
    free = [n for i, n in enumerate(m._pos2var) if not m._fixed[i]]
    bound = 2 * max(float(np.sqrt(factor_1d(c))) for c in cls)  # profiles reach past the widest cl
    profiles = {n: mnprofile(m, n, size, bound, None, False)[:2] for n in free}
    contours = {}
    for a, xa in enumerate(free):
        for ya in free[a + 1:]:
            contours[(xa, ya)] = {c: mncontour(m, xa, ya, c, size, 0) for c in cls}
    return plot.draw_mnmatrix(profiles, contours, names=free,
                              values={n: m._values[m._var2pos[n]] for n in free},
                              fval=m._fmin.fval, errordef=m._errordef, figsize=figsize)
