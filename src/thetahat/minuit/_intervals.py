"""MINOS, profiles and contours for ``Minuit``: state in, intervals and curves out.

The algorithms in :mod:`thetahat.intervals` know nothing of ``Minuit``: they see a
``refit(fixed, start)`` closure that minimises the cost over the free parameters with some
of them held at given values (the profiled cost), and arrays of values, errors, limits.
This module builds that closure on the same engines as ``migrad``
(:func:`._engines.solve`) from a :class:`~._state.FitState`, and turns the answers into
``MError`` objects and iminuit's return conventions. Every function returns, with its
answer, the cost calls it spent (a :class:`~._state.Calls`), which the facade adds to its
``nfcn``. The drawing helpers at the end use only the facade's public methods.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .._core.cl import factor_1d, factor_2d
from .._core.linalg import _lp
from .._core.rules import MINOS_REFIT_TOL_SCALE, REFIT_TOL_SCALE
from .._core.warnings import IMinuitWarning, warn_user
from ..derivatives.mn_gradient import _aimsag
from ..intervals.minos import minos_many
from ..results import MError
from ._engines import solve
from ._refit import held_problems, lean_refit, usable
from ._state import Calls, FitState


class RefitResult(NamedTuple):
    fval: float
    values: np.ndarray
    valid: bool
    nfcn: int


def make_refit(st: FitState, calls: Calls, ncall: int | None = None,
               steps: np.ndarray | None = None, tol_scale: float = REFIT_TOL_SCALE
               ) -> Callable[[dict, np.ndarray], RefitResult]:
    """``refit(fixed: dict[int, float], start: array) -> RefitResult`` for the state's cost;
    every call of the cost is added to ``calls``. ``steps`` (external, all parameters;
    default the errors) are the first steps of the variable-metric engine's numerical
    gradient (:func:`warm_steps`); ``tol_scale``: the refit's EDM goal relative to MIGRAD's
    (:mod:`thetahat._core.rules`). A plain cost takes the lean path of :mod:`._refit` (the
    same engine, without rebuilding the problem at every refit)."""
    if usable(st):
        return lean_refit(st, calls, ncall, RefitResult, steps, tol_scale)
    problem = held_problems(st)
    lower, upper = st.lower, st.upper
    limited = bool(np.isfinite(lower).any() or np.isfinite(upper).any())

    def refit(fixed: dict, start: np.ndarray) -> RefitResult:
        values = np.array(start, dtype=float)
        for i, v in fixed.items():
            values[i] = v
        if limited:
            np.clip(values, lower, upper, out=values)
        prob = problem(fixed, values)
        if prob.idx.size == 0:
            f = prob.call_ext(values)
            calls.add(prob.nfcn)
            return RefitResult(f, values, bool(np.isfinite(f)), prob.nfcn)
        s = solve(st, prob, prob.to_int(values), ncall, refit=True, steps=steps,
                  refit_tol_scale=tol_scale)
        calls.add(prob.nfcn)  # every call of the cost counts in Minuit.nfcn
        x = prob.to_ext(s.u)
        # a refit on a cost flat in every free parameter has no determined minimum (its
        # strategy-0 MIGRAD alone would call it valid; iminuit's profiles warn)
        valid = bool(s.flags.get("is_valid", True) and np.isfinite(s.fval)
                     and not s.flags.get("has_reached_call_limit", False)
                     and not s.flags.get("flat", False))
        return RefitResult(s.fval, x, valid, prob.nfcn)

    return refit


def _inverse_diagonal(c: np.ndarray) -> list[float] | None:
    """The diagonal of ``c^-1`` for a symmetric positive-definite ``c`` (None if the
    Cholesky factor fails, as :func:`thetahat._core.linalg.spd_inverse`)."""
    lp = _lp()
    chol, info = lp.dpotrf(c, lower=1)
    if info != 0 or not math.isfinite(chol[-1, -1]):
        return None
    inv, info = lp.dpotri(chol, lower=1)
    return None if info != 0 else inv.diagonal().tolist()


def warm_steps(st: FitState, cov: np.ndarray, fval: float) -> np.ndarray | None:
    """The first steps of MIGRAD's numerical gradient in the refits of MINOS and contours
    (external, one per parameter), in place of the errors the engines start from
    otherwise: the steps that gradient tunes itself to
    (:func:`~thetahat.derivatives.mn_gradient.optimal_steps` without its rounding floor,
    which the gradient applies), from the curvature along
    each axis at the minimum, ``d2F/dx_i2 = 2 errordef (C^-1)_ii`` (HESSE's covariance
    ``C`` of the free parameters). The conditional minima lie where that curvature holds
    to a factor of a few, so the first gradient of a refit is accepted at its first
    evaluation (two calls per parameter) instead of being evaluated again with re-tuned
    steps: MINUIT too seeds these minimisations from the previous state. None when ``C``
    is not positive definite (the errors are used then)."""
    if st.structured is not None:
        return None  # the Gauss-Newton engine, which needs no steps, refits this cost
    c = np.asarray(cov, float)
    fixed = st.fixed
    some_fixed = bool(fixed.any())
    if some_fixed:
        free = ~fixed
        if not free.any():
            return None
        c = c[np.ix_(free, free)]
    # only the diagonal of C^-1 is needed: from the Cholesky factor (potrf, potri; two
    # LAPACK calls, without the identity and the full solve), in Python floats (n small)
    d = _inverse_diagonal(c)
    if d is None:
        return None
    two_up = 2.0 * st.errordef
    g2 = [di * two_up for di in d]
    if not min(g2) > 0 or not math.isfinite(sum(g2)):
        return None
    # optimal_steps, on positive finite curvatures (the numerical gradient raises a step
    # to its rounding floor itself)
    sag2 = 2.0 * _aimsag(fval, st.errordef, st.precision)[0]
    h = np.array([math.sqrt(sag2 / g) for g in g2])
    if not some_fixed:
        return h
    steps = st.errors.copy()
    steps[free] = h
    return steps


def index(st: FitState, name: Any) -> int:
    """Position of parameter ``name`` (a name or an index), checked."""
    if isinstance(name, str):
        if name not in st.names:
            raise ValueError(f"unknown parameter {name!r}; valid names: {list(st.names)}")
        return st.names.index(name)
    n = len(st.names)
    if isinstance(name, bool) or not isinstance(name, (int, np.integer)):
        raise ValueError(f"unknown parameter {name!r}; valid names: {list(st.names)}")
    i = int(name) + (n if name < 0 else 0)
    if not 0 <= i < n:
        raise ValueError(f"parameter index {name!r} out of range: valid indices are "
                         f"{-n} to {n - 1}")
    return i


def _cov(st: FitState, covariance: np.ndarray | None) -> np.ndarray:
    if covariance is not None:
        return np.asarray(covariance)
    return np.diag(st.errors ** 2)


def minos(st: FitState, fval: float, covariance: np.ndarray | None, parameters: tuple,
          cl: float | None, ncall: int | None) -> tuple[dict[str, MError], Calls]:
    """MINOS intervals of ``parameters`` (default: the free ones) around the minimum
    ``fval`` at the state's values."""
    fixed = st.fixed.tolist()
    names = parameters or tuple(n for n, f in zip(st.names, fixed) if not f)
    factor = factor_1d(cl)
    calls = Calls()
    limits, cov = st.limits, _cov(st, covariance)  # (minos_many copies what it keeps)
    refit = make_refit(st, calls, ncall, warm_steps(st, cov, fval), MINOS_REFIT_TOL_SCALE)
    indices = []
    for name in names:
        i = index(st, name)
        if fixed[i]:  # iminuit warns and skips it
            warn_user(f"Cannot scan over fixed parameter {st.names[i]!r}",
                      IMinuitWarning)
            continue
        indices.append(i)
    found = minos_many(refit, indices=indices, values=st.values, errors=st.errors,
                       limits=limits, fval=fval, errordef=st.errordef, factor=factor,
                       ncall=ncall, cov=cov)
    out: dict[str, MError] = {}
    for i, d in zip(indices, found):
        d["name"] = st.names[i]
        out[st.names[i]] = MError(**d)  # (minos_many's fields are MError's, with name)
    return out, calls


def grid(st: FitState, i: int, size: int, bound: Any, grid: Any) -> np.ndarray:
    """The scan points of parameter ``i``: ``grid`` if given, else ``size`` points over
    ``bound`` (iminuit's meaning: a number of errors around the value, or a range)."""
    from ..intervals.profile import default_grid
    if grid is not None:
        g = np.asarray(grid, dtype=float)
        if g.ndim != 1 or g.size < 2 or not np.all(np.isfinite(g)):
            raise ValueError("grid must be a 1-D array of at least 2 finite values")
        return g
    if int(size) < 2:
        raise ValueError(f"size must be >= 2, got {size!r}")
    return default_grid(st.values[i], st.errors[i], int(size), bound,
                        (st.lower[i], st.upper[i]))


def _fcn_values(st: FitState, calls: Calls) -> Callable[[np.ndarray], float]:
    def f(x: np.ndarray) -> float:
        v = st.fcn(np.asarray(x, float)) if st.array_call else st.fcn(*x)
        calls.add(1)
        return float(v)
    return f


def _shift(y: Any, subtract_min: bool) -> np.ndarray:
    y = np.asarray(y, float)
    return y - np.nanmin(y) if subtract_min else y


def profile(st: FitState, vname: str, size: int, bound: Any, grid_: Any,
            subtract_min: bool) -> tuple[tuple[np.ndarray, np.ndarray], Calls]:
    """The cost along one parameter, the others held at their values."""
    from ..intervals.profile import profile as _profile
    i = index(st, vname)
    g = grid(st, i, size, bound, grid_)
    calls = Calls()
    x, y = _profile(_fcn_values(st, calls), index=i, values=st.values.copy(), grid=g)[:2]
    return (np.asarray(x, float), _shift(y, subtract_min)), calls


def mnprofile(st: FitState, vname: str, size: int, bound: Any, grid_: Any,
              subtract_min: bool, wrap: Callable[[Callable], Callable] | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], Calls]:
    """The profiled cost along one parameter (the others minimised at each point).
    ``wrap(refit)``, when given, returns the refit the walk calls (a progress report:
    :mod:`._progress`); it must return what ``refit`` returns."""
    from ..intervals.profile import mnprofile as _mnprofile
    i = index(st, vname)
    # a fixed parameter is profiled as iminuit does: each point holds it at the grid value
    # anyway, and the user's fixed state is left as it was
    g = grid(st, i, size, bound, grid_)
    calls = Calls()
    refit = make_refit(st, calls)
    x, y, ok = _mnprofile(refit if wrap is None else wrap(refit), index=i,
                          values=st.values.copy(), grid=g)
    if not np.all(ok):  # stacklevel: user > Minuit.mnprofile > Minuit._mnprofile > here
        warn_user(f"MIGRAD fails to converge for {int(np.size(ok) - np.sum(ok))} of "
                  f"{np.size(ok)} points of the profile of {st.names[i]!r}",
                  IMinuitWarning)
    return (np.asarray(x, float), _shift(y, subtract_min), np.asarray(ok, bool)), calls


def contour(st: FitState, x: str, y: str, size: Any, bound: Any, grid_: Any,
            subtract_min: bool) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], Calls]:
    """The cost on a grid of two parameters, the others held at their values."""
    from ..intervals.contour import contour as _contour
    ix, iy = index(st, x), index(st, y)
    if grid_ is not None:
        gx, gy = (np.asarray(g, float) for g in grid_)
    else:
        sx, sy = (size, size) if np.ndim(size) == 0 else tuple(size)
        gx = grid(st, ix, sx, bound if np.ndim(bound) < 2 else bound[0], None)
        gy = grid(st, iy, sy, bound if np.ndim(bound) < 2 else bound[1], None)
    calls = Calls()
    X, Y, F = _contour(_fcn_values(st, calls), ix=ix, iy=iy, values=st.values.copy(),
                       xgrid=gx, ygrid=gy)
    return (np.asarray(X, float), np.asarray(Y, float), _shift(F, subtract_min)), calls


def check_mncontour(st: FitState, x: str, y: str, size: int) -> tuple[int, int]:
    """The positions of ``x`` and ``y``, after iminuit's checks of a contour request."""
    ix, iy = index(st, x), index(st, y)
    if ix == iy:
        raise ValueError("mncontour needs two different parameters")
    for i in (ix, iy):
        if st.fixed[i]:
            raise ValueError(f"cannot run mncontour on fixed parameter {st.names[i]!r}")
    if int(size) < 4:  # a closed curve needs at least four points
        raise ValueError(f"size must be >= 4, got {size!r}")
    return ix, iy


def mncontour(st: FitState, fval: float, covariance: np.ndarray | None, x: str, y: str,
              cl: float | None, size: int, interpolated: int,
              wrap: Callable[[Callable], Callable] | None = None) -> tuple[np.ndarray, Calls]:
    """Points of the MINOS contour of ``x`` and ``y`` at confidence level ``cl``;
    ``wrap`` as for :func:`mnprofile`."""
    from ..intervals.contour import mncontour as _mncontour
    ix, iy = check_mncontour(st, x, y, size)
    calls = Calls()
    cov = _cov(st, covariance)
    refit = make_refit(st, calls, None, warm_steps(st, cov, fval))
    pts = _mncontour(refit if wrap is None else wrap(refit), ix=ix, iy=iy,
                     values=st.values.copy(), cov=cov, fval=fval, errordef=st.errordef,
                     factor=factor_2d(cl), size=int(size), interpolated=int(interpolated),
                     limits=st.limits)
    return np.asarray(pts, float), calls


# drawing: the facade's public methods, then thetahat.plot ---------------------------------
def _pos(m: Any, name: Any) -> int:
    return m.var2pos[name] if isinstance(name, str) else int(name)


def _band(m: Any, i: int) -> tuple[float, float, float]:
    name = m.parameters[i]
    v = m.values[i]
    if name in m.merrors:
        e = m.merrors[name]
        return v, v + e.lower, v + e.upper
    return v, v - m.errors[i], v + m.errors[i]


def _draw_1d(m: Any, vname: str, scan: Any, draw: Any, size: int, band: bool, text: bool,
             kwargs: dict) -> tuple[np.ndarray, np.ndarray]:
    """A profile of ``vname`` by ``scan`` (``m.profile`` or ``m.mnprofile``), drawn by
    ``draw`` with the interval band (MINOS if known, else ± error)."""
    x, y = scan(vname, size=kwargs.pop("size", size), bound=kwargs.pop("bound", 2),
                grid=kwargs.pop("grid", None),
                subtract_min=kwargs.pop("subtract_min", True))[:2]
    i = _pos(m, vname)
    draw(x, y, name=m.parameters[i], band=_band(m, i) if band else None, text=text)
    return x, y


def draw_profile(m: Any, vname: str, *, band: bool = True, text: bool = True,
                 **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    from .. import plot
    return _draw_1d(m, vname, m.profile, plot.draw_profile, 100, band, text, kwargs)


def draw_mnprofile(m: Any, vname: str, *, band: bool = True, text: bool = True,
                   **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    from .. import plot
    return _draw_1d(m, vname, m.mnprofile, plot.draw_mnprofile, 30, band, text, kwargs)


def draw_contour(m: Any, x: str, y: str, **kwargs: Any) -> Any:
    from .. import plot
    X, Y, F = m.contour(x, y, size=kwargs.pop("size", 50), bound=kwargs.pop("bound", 2),
                        grid=kwargs.pop("grid", None),
                        subtract_min=kwargs.pop("subtract_min", True))
    # as iminuit: the cost above its minimum at errordef x (1, 2, 3, 4); returns the grid
    levels = [m.errordef * k for k in (1, 2, 3, 4)]
    plot.draw_contour(X, Y, F, xname=x, yname=y, levels=levels)
    return X, Y, F


def draw_mncontour(m: Any, x: str, y: str, *, cl: Any = None, size: int = 100,
                   interpolated: int = 0, **kwargs: Any) -> Any:
    from .. import plot
    cls = [cl] if (cl is None or np.ndim(cl) == 0) else list(cl)
    curves = {c: m.mncontour(x, y, cl=c, size=size, interpolated=interpolated) for c in cls}
    return plot.draw_mncontour(curves, xname=x, yname=y)


def draw_mnmatrix(m: Any, *, cl: Any = None, size: int = 30, experimental: bool = False,
                  figsize: Any = None) -> Any:
    from .. import plot
    if m.nfit == 0:
        raise RuntimeError("all parameters are fixed: there is nothing to draw")
    if m.fmin is None or not m.fmin.is_valid:
        raise RuntimeError("draw_mnmatrix: function minimum is not valid; run migrad() "
                           "until it converges")
    cls = [None] if cl is None else ([cl] if np.ndim(cl) == 0 else list(cl))
    free = [n for n in m.parameters if not m.fixed[n]]
    bound = 2 * max(float(np.sqrt(factor_1d(c))) for c in cls)  # profiles reach past the widest cl
    profiles = {n: m.mnprofile(n, size=size, bound=bound)[:2] for n in free}
    contours = {}
    for a, xa in enumerate(free):
        for ya in free[a + 1:]:
            contours[(xa, ya)] = {c: m.mncontour(xa, ya, cl=c, size=size) for c in cls}
    return plot.draw_mnmatrix(profiles, contours, names=free,
                              values={n: m.values[n] for n in free},
                              fval=m.fmin.fval, errordef=m.errordef, figsize=figsize)
