"""MINOS: asymmetric intervals from the profiled cost.

For parameter ``i`` with best value ``x0`` and minimum cost ``fval`` define the profiled
cost

    F_prof(v) = min { F(theta) : theta_i = v },

minimised over the other free parameters. The interval ``[x0 + lower, x0 + upper]`` is
where ``F_prof(v) - fval <= T`` with ``T = errordef * factor`` (``factor`` from
:mod:`thetahat.intervals._cl`, 1 for one sigma). Each side is found separately, by root
finding on the distance ``u = |v - x0| >= 0``.

Root finding. Near the minimum ``F_prof(x0 + s u) - fval ~ T (u / u*)**2``, so the
transformed function

    h(u) = sqrt(max(F_prof(x0 + s u) - fval, 0)) - sqrt(T)

is close to linear in ``u`` and the secant step through ``(0, -sqrt T)`` and the first
trial point solves it exactly when the profile is parabolic. The first trial is the
parabolic estimate ``u = error * sqrt(factor)``. Later steps are secants through the last
two points, safeguarded by a bracket ``[u_lo, u_hi]`` (``h(u_lo) < 0 < h(u_hi)``): a
secant step that leaves the bracket, or that does not halve it in two steps, is replaced by
bisection; before a bracket exists the extrapolation is limited to a factor 4 and at least
1.2 of the current ``u``. Iteration stops when ``|F_prof - fval - T| <= tol * T`` (which
gives ``u`` to about ``tol / 2`` relative) or when the bracket is narrower than
``tol * u * 1e-2``.

Each ``F_prof`` evaluation is one call of the ``refit(fixed, start)`` closure with
``theta_i`` fixed at ``v``, warm-started from the previous conditional minimum moved along
the profile path: the other parameters are linearly extrapolated from the last two
conditional minima (or, on the first step, along the regression line ``cov[:, i] /
cov[i, i]`` if a covariance is given).

Flags (iminuit's ``MError``):

* ``at_*_limit``: the parameter limit is reached before the cost rises by ``T``; the
  offset is the distance to the limit and the side is not valid;
* ``at_*_max_fcn``: the side used more than ``ncall`` cost calls;
* ``*_new_min``: a conditional minimum lies below ``fval`` by more than ``newmin_tol *
  errordef``: the original minimum was not the minimum, the side stops and is not valid;
* a side whose final refit is not valid is not valid.

References: F. James, *MINUIT Reference Manual* (CERN D506), chapter on MINOS;
F. James and M. Winkler, *MINUIT User's Guide*, "MINOS errors".
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["minos_one", "RefitLike"]

RefitLike = Callable[[dict, np.ndarray], Any]
"""``refit(fixed: dict[int, float], start: ndarray) -> obj`` with ``fval``, ``values``,
``valid``, ``nfcn`` attributes (the conditional minimum with ``fixed`` parameters held)."""

_MAXITER = 30


def _side(refit: RefitLike, i: int, sign: int, x0: float, values: np.ndarray,
          u0: float, umax: float, fval: float, target: float, tol: float,
          newmin: float, ncall: int | None, slope: np.ndarray | None) -> dict:
    """Find ``u > 0`` with ``F_prof(x0 + sign*u) - fval = target`` on one side."""
    st = math.sqrt(target)
    nfcn = 0
    # path of conditional minima, as (u, values) for warm starts
    path: list[tuple[float, np.ndarray]] = [(0.0, values)]
    pts: list[tuple[float, float]] = [(0.0, -st)]  # (u, h(u))
    lo, hi = 0.0, math.inf  # bracket
    hlo, hhi = -st, math.inf
    width_hist: list[float] = []
    u = min(u0, umax)
    out = dict(offset=u, valid=False, at_limit=False, at_max_fcn=False, new_min=False)
    last_valid = True
    for _ in range(_MAXITER):
        v = x0 + sign * u
        # warm start: linear extrapolation along the profile path
        ua, xa = path[-1]
        if len(path) >= 2:
            ub, xb = path[-2]
            start = xa + (xa - xb) * ((u - ua) / (ua - ub)) if ua != ub else xa.copy()
        elif slope is not None:
            start = xa + slope * (sign * (u - ua))
        else:
            start = xa.copy()
        start = np.array(start, dtype=float)
        start[i] = v
        r = refit({i: v}, start)
        nfcn += int(r.nfcn)
        d = float(r.fval) - fval
        last_valid = bool(r.valid) and math.isfinite(d)
        out["offset"] = u
        if last_valid and d < -newmin:
            out["new_min"] = True
            break
        if last_valid:
            path.append((u, np.asarray(r.values, dtype=float)))
        h = (math.sqrt(d) if d > 0 else 0.0) - st if math.isfinite(d) else math.inf
        if math.isfinite(d) and abs(d - target) <= tol * target:
            out["valid"] = last_valid
            break
        if h < 0:
            if u >= umax:  # at the limit and still below the target
                out["at_limit"] = True
                break
            if u >= lo:
                lo, hlo = u, h
        elif u <= hi:
            hi, hhi = u, h
        if ncall is not None and nfcn >= ncall:
            out["at_max_fcn"] = True
            break
        if math.isfinite(hi) and hi - lo <= 1e-2 * tol * hi:
            out["valid"] = last_valid
            break
        pts.append((u, h))
        unew = _next_u(pts, lo, hi, hlo, hhi, u, width_hist)
        u = min(unew, umax)
    else:
        out["valid"] = False
    out["nfcn"] = nfcn
    return out


def _next_u(pts: Sequence[tuple[float, float]], lo: float, hi: float, hlo: float,
            hhi: float, u: float, width_hist: list[float]) -> float:
    (ua, ha), (ub, hb) = pts[-2], pts[-1]
    sec = ub - hb * (ub - ua) / (hb - ha) if hb != ha and math.isfinite(hb) else math.nan
    if not math.isfinite(hi):  # no bracket yet: extrapolate outward, bounded
        if not math.isfinite(sec) or sec < 1.2 * u:
            return 2.0 * u if not math.isfinite(sec) or hb <= ha else 1.2 * u
        return min(sec, 4.0 * u)
    width_hist.append(hi - lo)
    # regula falsi on the bracket is the fallback for a secant that leaves it
    inside = math.isfinite(sec) and lo < sec < hi
    slow = len(width_hist) >= 3 and width_hist[-1] > 0.5 * width_hist[-3]
    if not inside:
        if math.isfinite(hhi) and hhi != hlo:
            sec = lo - hlo * (hi - lo) / (hhi - hlo)
            inside = lo < sec < hi
    if not inside or slow:
        if slow:
            width_hist.clear()
        return 0.5 * (lo + hi)
    # keep a minimum distance from the bracket ends
    eps = 1e-3 * (hi - lo)
    return min(max(sec, lo + eps), hi - eps)


def minos_one(refit: RefitLike, *, index: int, values: Sequence[float],
              errors: Sequence[float], limits: Sequence[tuple[float, float]],
              fval: float, errordef: float, factor: float = 1.0,
              ncall: int | None = None, tol: float = 1e-3,
              cov: np.ndarray | None = None, newmin_tol: float = 1e-3) -> dict:
    """MINOS interval of parameter ``index``.

    Parameters
    ----------
    refit : callable
        ``refit(fixed, start)``: conditional minimum with ``fixed`` parameters (index ->
        value) held, started from ``start`` (all parameters); returns an object with
        ``fval``, ``values``, ``valid``, ``nfcn``.
    index : int
        Parameter whose interval is wanted.
    values, errors : array_like
        Values at the minimum and parabolic (HESSE) errors of all parameters.
    limits : sequence of (lower, upper)
        Parameter limits (``-inf``/``inf`` when absent), one pair per parameter.
    fval : float
        Cost at the minimum.
    errordef : float
        Cost rise of one standard deviation (1 for chi2, 0.5 for NLL).
    factor : float, optional
        Multiple of ``errordef`` defining the interval (see ``_cl.factor_1d``).
    ncall : int or None, optional
        Budget of cost calls per side; exceeding it sets ``at_*_max_fcn``.
    tol : float, optional
        Relative tolerance on the cost rise ``errordef * factor``.
    cov : ndarray or None, optional
        Covariance of all parameters; used only for a better first warm start.
    newmin_tol : float, optional
        A conditional minimum below ``fval - newmin_tol * errordef`` is a new minimum.

    Returns
    -------
    dict
        iminuit ``MError`` fields except ``name``: ``number, lower, upper, is_valid,
        lower_valid, upper_valid, at_lower_limit, at_upper_limit, at_lower_max_fcn,
        at_upper_max_fcn, lower_new_min, upper_new_min, nfcn, min``.
    """
    x = np.array(values, dtype=float)
    err = np.asarray(errors, dtype=float)
    n = x.size
    if not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n}), got {index!r}")
    if err.shape != (n,):
        raise ValueError(f"errors must have shape ({n},), got {err.shape}")
    if len(limits) != n:
        raise ValueError(f"limits must have {n} (lower, upper) pairs, got {len(limits)}")
    if not (errordef > 0 and math.isfinite(errordef)):
        raise ValueError(f"errordef must be positive, got {errordef!r}")
    if not (factor > 0 and math.isfinite(factor)):
        raise ValueError(f"factor must be positive, got {factor!r}")
    if not math.isfinite(fval):
        raise ValueError(f"fval must be finite, got {fval!r}")
    i = int(index)
    e = float(err[i])
    if not (e > 0 and math.isfinite(e)):
        raise ValueError(f"errors[{i}] must be positive and finite, got {e!r}")
    lower_lim, upper_lim = (float(limits[i][0]), float(limits[i][1]))
    x0 = float(x[i])
    target = errordef * factor
    u0 = e * math.sqrt(factor)
    slope = None
    if cov is not None:
        c = np.asarray(cov, dtype=float)
        if c.shape == (n, n) and c[i, i] > 0:
            slope = c[:, i] / c[i, i]
    res = {}
    for name, sign, umax in (("upper", 1, upper_lim - x0), ("lower", -1, x0 - lower_lim)):
        umax = max(umax, 0.0)
        if umax == 0.0:  # sitting on the limit
            res[name] = dict(offset=0.0, valid=False, at_limit=True, at_max_fcn=False,
                             new_min=False, nfcn=0)
            continue
        res[name] = _side(refit, i, sign, x0, x, u0, umax, fval, target, tol,
                          newmin_tol * errordef, ncall, slope)
    lo, up = res["lower"], res["upper"]
    return dict(
        number=i,
        lower=-float(lo["offset"]),
        upper=float(up["offset"]),
        is_valid=bool(lo["valid"] and up["valid"]),
        lower_valid=bool(lo["valid"]),
        upper_valid=bool(up["valid"]),
        at_lower_limit=bool(lo["at_limit"]),
        at_upper_limit=bool(up["at_limit"]),
        at_lower_max_fcn=bool(lo["at_max_fcn"]),
        at_upper_max_fcn=bool(up["at_max_fcn"]),
        lower_new_min=bool(lo["new_min"]),
        upper_new_min=bool(up["new_min"]),
        nfcn=int(lo["nfcn"] + up["nfcn"]),
        min=x0,
    )
