"""MINOS: asymmetric intervals from the profiled cost.

For parameter ``i`` with best value ``x0`` and minimum cost ``fval`` define the profiled
cost

    F_prof(v) = min { F(theta) : theta_i = v },

minimised over the other free parameters. The interval ``[x0 + lower, x0 + upper]`` is
where ``F_prof(v) - fval <= T`` with ``T = errordef * factor`` (``factor`` from
:mod:`thetahat._core.cl`, 1 for one sigma). Each side ``s = +-1`` is found
separately, by root finding on the distance ``u = |v - x0| >= 0``.

Model. Write ``q(u) = sqrt(max(F_prof(x0 + s u) - fval, 0))``. Expanding the profile
about its minimum, ``F_prof - fval = errordef (u / e)**2 (1 + c s u + O(u**2))`` with ``e``
the parabolic (HESSE) error, since the curvature of the profile at the minimum is
``1 / C_ii``. Hence

    q(u) = a u + b u**2 + O(u**3),   a = sqrt(errordef) / e,   b ~ s * const,

and the crossing ``q(u*) = sqrt(T)`` of the model is the stable root
``u* = 2 sqrt(T) / (a + sqrt(a**2 + 4 b sqrt(T)))``. Steps:

1. first trial: on the first side the parabolic estimate ``u = e sqrt(factor)`` (``a``
   from HESSE, ``b = 0``); on the second side the model root with ``a`` and ``b = -b_other``
   fitted on the first side (the slope at the minimum is shared, the cubic term changes
   sign with ``s``), which also corrects an inaccurate HESSE error;
2. with one trial point ``(u1, q1)``: that ``a``, and ``b = (q1 - a u1) / u1**2``;
3. with two or more: ``a, b`` interpolate the last two points (``q(0) = 0`` is built in).

A parabolic profile is thus solved by the first trial; a skewed one typically needs two
refits per side. Before a bracket ``[u_lo, u_hi]`` with ``q(u_lo) < sqrt T <= q(u_hi)``
exists a step grows ``u`` by at most a factor 4 (a doubling when the model has no root).
Inside a bracket the step is Brent-like: inverse quadratic interpolation ``u(q)`` through
the three points nearest the crossing (``(0, 0)`` is exact and included), else the model
root, else regula falsi, accepted only strictly inside the bracket; bisection when the
bracket has not halved in two steps. This copes with steep sides (a cost that diverges at
a boundary) and flat ones (a log-like tail) alike.

Stopping: at a point whose own ``q`` is within ``2 tol sqrt T`` of ``sqrt T`` (so that the
cost there is within about ``4 tol T`` of the target, whatever the neighbours look like)
the linearised crossing ``u + (sqrt T - q) / q'`` (``q'`` by the secant to the nearest
other point) is computed; the side stops when it moves ``u`` by at most ``tol * u`` — a
tolerance on the interval itself — and reports that linearised crossing; or when the
bracket is narrower than ``tol * u_hi``. The first condition matters where the cost is
capped (a likelihood that returns a huge value at a boundary): the secant to a capped
point is almost vertical and would otherwise "confirm" any point as the crossing.

Each ``F_prof`` evaluation is one call of the ``refit(fixed, start)`` closure with
``theta_i`` fixed at ``v``, warm-started from the previous conditional minimum moved along
the profile path: the other parameters are linearly extrapolated from the last two
conditional minima (or, on the first step, along the regression line ``cov[:, i] /
cov[i, i]`` if a covariance is given).

Flags (iminuit's ``MError``):

* ``at_*_limit``: the parameter limit is reached before the cost rises by ``T``, or the
  crossing found is the limit within the tolerance ``tol * |offset|`` (a cost capped at
  the limit jumps over ``T`` there): the interval is one-sided, the offset is the
  distance to the limit (the side stays valid, as in iminuit);
* ``at_*_max_fcn``: the side used more than ``ncall`` cost calls;
* ``*_new_min``: a conditional minimum lies below ``fval`` by more than ``newmin_tol *
  errordef``: the original minimum was not the minimum, the side stops and is not valid;
* a side whose final refit is not valid is not valid.

References: F. James, *MINUIT Reference Manual* (CERN D506), chapter on MINOS;
F. James and M. Winkler, *MINUIT User's Guide*, "MINOS errors".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["minos_one", "RefitLike"]

RefitLike = Callable[[dict, np.ndarray], Any]
"""``refit(fixed: dict[int, float], start: ndarray) -> obj`` with ``fval``, ``values``,
``valid``, ``nfcn`` attributes (the conditional minimum with ``fixed`` parameters held)."""

_MAXITER = 30


def _model_root(a: float, b: float, sq: float) -> float:
    """Positive root of ``a u + b u**2 = sq`` (``a > 0``), or nan if there is none."""
    disc = a * a + 4.0 * b * sq
    if not (a > 0 and disc >= 0 and math.isfinite(disc)):
        return math.nan
    return 2.0 * sq / (a + math.sqrt(disc))


class _Side:
    """Bracketed root search for ``q(u) = sqrt(T)`` on one side (``q(0) = 0``)."""

    def __init__(self, a: float, sq: float) -> None:
        self.a, self.sq = a, sq
        self.pts: list[tuple[float, float]] = []  # (u, q) of finite evaluations
        self.lo, self.hi = 0.0, math.inf  # q(lo) < sq <= q(hi)
        self.qlo, self.qhi = 0.0, math.inf
        self.widths: list[float] = []

    def add(self, u: float, q: float) -> None:
        if math.isfinite(q):
            self.pts.append((u, q))
        if q < self.sq:
            if u >= self.lo:
                self.lo, self.qlo = u, q
        elif u <= self.hi:
            self.hi, self.qhi = u, q

    def model(self) -> tuple[float, float]:
        """``(a, b)`` of ``q = a u + b u**2`` from the latest points."""
        good = [(u, q) for u, q in self.pts if q > 0]
        if len(good) >= 2:
            (u1, q1), (u2, q2) = good[-2], good[-1]
            det = u1 * u2 * (u2 - u1)
            if det != 0:
                a = (q1 * u2 * u2 - q2 * u1 * u1) / det
                b = (q2 * u1 - q1 * u2) / det
                if a > 0:
                    return a, b
        if good:
            u1, q1 = good[-1]
            return self.a, (q1 - self.a * u1) / (u1 * u1)
        return self.a, 0.0

    def newton(self, u: float, q: float) -> float:
        """Linearised root ``u + (sq - q) / q'(u)``, ``q'`` from the nearest other point."""
        ub, qb, dist = 0.0, 0.0, math.inf  # the first nearest point, else (0, 0) (exact)
        for uu, qq in self.pts:
            if uu != u and abs(uu - u) < dist:
                ub, qb, dist = uu, qq, abs(uu - u)
        if abs(u) < dist:
            ub, qb = 0.0, 0.0
        slope = (q - qb) / (u - ub)
        if not (slope > 0 and math.isfinite(slope)):
            return math.nan
        return u + (self.sq - q) / slope

    def _iqi(self) -> float:
        """Inverse quadratic interpolation ``u(q)`` at ``q = sq`` through the three points
        nearest the root (the exact point ``(0, 0)`` included)."""
        cand = sorted(self.pts + [(0.0, 0.0)], key=lambda t: abs(t[1] - self.sq))[:3]
        if len(cand) < 3 or len({q for _, q in cand}) < 3:
            return math.nan
        x = self.sq
        total = 0.0
        for j, (uj, qj) in enumerate(cand):
            w = uj
            for k, (_, qk) in enumerate(cand):
                if k != j:
                    w *= (x - qk) / (qj - qk)
            total += w
        return total

    def next_u(self) -> float:
        u = self.pts[-1][0] if self.pts else self.lo
        lo, hi = self.lo, self.hi
        if not math.isfinite(hi):  # no bracket yet: go outward, at most 4x
            a, b = self.model()
            r = _model_root(a, b, self.sq)
            if not math.isfinite(r) or r <= u:
                return 2.0 * u
            return min(r, 4.0 * u)
        self.widths.append(hi - lo)
        if len(self.widths) >= 3 and self.widths[-1] > 0.5 * self.widths[-3]:
            self.widths.clear()  # not converging fast enough: bisect
            return 0.5 * (lo + hi)
        eps = 1e-3 * (hi - lo)  # keep off the bracket ends
        for r in (self._iqi(), _model_root(*self.model(), self.sq)):
            if math.isfinite(r) and lo < r < hi:
                return min(max(r, lo + eps), hi - eps)
        if math.isfinite(self.qhi) and self.qhi != self.qlo:  # regula falsi
            r = lo + (self.sq - self.qlo) * (hi - lo) / (self.qhi - self.qlo)
            if lo < r < hi:
                return min(max(r, lo + eps), hi - eps)
        return 0.5 * (lo + hi)


def _side(refit: RefitLike, i: int, sign: int, x0: float, values: np.ndarray,
          a: float, b_hint: float, umax: float, fval: float, target: float, tol: float,
          newmin: float, ncall: int | None, slope: np.ndarray | None) -> dict:
    """Find ``u > 0`` with ``F_prof(x0 + sign*u) - fval = target`` on one side."""
    sq = math.sqrt(target)
    search = _Side(a, sq)
    nfcn = 0
    # the last two conditional minima (u, values): the warm start moves along their path
    ua, xa = 0.0, values
    ub: float | None = None
    xb = values
    u = _model_root(a, b_hint, sq)
    if not math.isfinite(u):
        u = sq / a
    u = min(u, umax)
    offset = u
    valid = at_limit = at_max_fcn = new_min = False
    isfinite = math.isfinite
    for _ in range(_MAXITER):
        v = x0 + sign * u
        if ub is not None and ub != ua:
            start = (xa - xb) * ((u - ua) / (ua - ub))
            start += xa
        elif slope is not None:
            start = slope * (sign * (u - ua))
            start += xa
        else:
            start = xa.copy()
        start[i] = v
        r = refit({i: v}, start)
        nfcn += int(r.nfcn)
        d = float(r.fval) - fval
        ok = bool(r.valid) and isfinite(d)
        offset = u
        if ok and d < -newmin:
            new_min = True
            break
        if ok:
            ub, xb = ua, xa
            ua, xa = u, np.asarray(r.values, dtype=float)
        q = math.sqrt(d) if d > 0 else (0.0 if isfinite(d) else math.inf)
        search.add(u, q)
        if isfinite(q) and abs(q - sq) <= 2.0 * tol * sq:
            un = search.newton(u, q)
            if isfinite(un) and abs(un - u) <= tol * u:
                if search.lo <= un <= search.hi and un <= umax:
                    offset = un  # the linearised root: free accuracy
                valid = ok
                break
        if q < sq and u >= umax:  # at the limit and still below the target
            at_limit = True
            valid = ok  # as MINUIT: the limit is the answer, flagged
            break
        if ncall is not None and nfcn >= ncall:
            at_max_fcn = True
            break
        if isfinite(search.hi) and search.hi - search.lo <= tol * search.hi:
            valid = ok
            break
        u = min(search.next_u(), umax)
    if valid and isfinite(umax) and umax - offset <= tol * umax:
        # the crossing is the limit itself, within the tolerance on the offset (a cost
        # capped at the limit jumps over the target there): one-sided, as reaching it
        at_limit = True
    a_fit, b_fit = search.model() if search.pts else (a, math.nan)
    if not valid:
        a_fit = b_fit = math.nan
    return dict(offset=offset, valid=valid, at_limit=at_limit, at_max_fcn=at_max_fcn,
                new_min=new_min, nfcn=nfcn, a=a_fit, b=b_fit)


def minos_one(refit: RefitLike, *, index: int, values: Sequence[float] | np.ndarray,
              errors: Sequence[float] | np.ndarray, limits: Sequence[tuple[float, float]],
              fval: float, errordef: float, factor: float = 1.0,
              ncall: int | None = None, tol: float = 5e-3,
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
        Relative tolerance on each side's offset: a side stops when the linearised
        distance to the crossing is below ``tol * |offset|`` (the reported offset is then
        that linearised crossing), or when its bracket is narrower than that.
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
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
            or not 0 <= index < n:
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
    a = math.sqrt(errordef) / e  # slope of sqrt(F_prof - fval) at the minimum
    slope = None
    if cov is not None:
        c = np.asarray(cov, dtype=float)
        if c.shape == (n, n):
            cii = float(c[i, i])
            if cii > 0:
                slope = c[:, i] / cii
    res: dict[str, dict] = {}
    b_hint = 0.0
    for name, sign, umax in (("upper", 1, upper_lim - x0), ("lower", -1, x0 - lower_lim)):
        umax = max(umax, 0.0)
        if umax == 0.0:  # sitting on the limit
            res[name] = dict(offset=0.0, valid=True, at_limit=True, at_max_fcn=False,
                             new_min=False, nfcn=0)
            continue
        res[name] = _side(refit, i, sign, x0, x, a, b_hint, umax, fval, target, tol,
                          newmin_tol * errordef, ncall, slope)
        a_fit, b_fit = res[name]["a"], res[name]["b"]
        if math.isfinite(b_fit) and a_fit > 0:
            # the slope at the minimum is common to both sides, the skewness flips sign
            a, b_hint = a_fit, -b_fit
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
