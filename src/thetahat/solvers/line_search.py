"""Line search satisfying the strong Wolfe conditions.

Along a descent direction ``p`` from ``x`` let ``phi(a) = f(x + a p)``, so that
``phi'(0) = g . p < 0``.  A step ``a > 0`` satisfies the *strong Wolfe conditions* with
``0 < c1 < c2 < 1`` when

    phi(a) <= phi(0) + c1 a phi'(0)           (sufficient decrease, Armijo)
    |phi'(a)| <= c2 |phi'(0)|                  (curvature)

The curvature condition guarantees ``y . s > 0`` for ``s = a p``, ``y = g(x+s) - g(x)``, so
the BFGS update stays positive definite.

Algorithm (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithms 3.5 and 3.6):

1. *Bracketing.*  Starting from the trial ``a_1``, while ``phi`` keeps decreasing with a
   negative slope and the curvature condition is not met, extrapolate: the next trial is the
   minimiser of the cubic through ``(a_{i-1}, phi, phi')`` and ``(a_i, phi, phi')``, kept in
   ``[a_i + 1.1 (a_i - a_{i-1}), a_i + 4 (a_i - a_{i-1})]`` and capped at ``a_max``.  The
   first trial that violates sufficient decrease, does not decrease ``phi`` below the
   previous trial, or has ``phi' >= 0`` closes a bracket that contains points satisfying
   the strong Wolfe conditions.
2. *Zoom.*  With ``a_lo`` the best point (satisfying sufficient decrease) and ``a_hi`` the
   other end, the next trial is the minimiser of the cubic interpolating both ends
   (quadratic if the far derivative is unusable, bisection if neither is), safeguarded to
   lie inside the bracket, at least 0.1 % of its width from either end; if the bracket did
   not shrink by a factor 0.66 over the last two trials the next trial bisects it (the
   safeguard of Moré & Thuente, ACM TOMS 20 (1994) 286).  The bracket shrinks until a
   trial satisfies both conditions.

If ``a_max`` is reached while ``phi`` still decreases, ``a_max`` is returned (it satisfies
sufficient decrease; a bounded solver cannot go further).  Non-finite ``phi`` at a trial is
treated as a failure of sufficient decrease, so the search backs off.

The search reports failure when the bracket becomes narrower than ``xtol`` relative to its
position or below 1 % of the best step (then ``phi'`` contradicts ``phi``, as with
difference gradients at their truncation level), when ``|phi'(a_lo)|`` times its width is
below the rounding level ``4 eps |phi(a_lo)|`` (no visible change of ``phi`` is possible
inside it), or when ``maxiter`` trials were used; the best point found with a strict
decrease is then returned with ``success=False`` so that the caller may still use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LineSearchResult", "more_thuente", "strong_wolfe"]

_ROUNDING = 4 * 2.220446049250313e-16


@dataclass(frozen=True)
class LineSearchResult:
    """Outcome of :func:`strong_wolfe`.

    Attributes
    ----------
    alpha : float
        Accepted step (0.0 if no decrease was found).
    phi, dphi : float
        ``phi(alpha)`` and ``phi'(alpha)``; ``dphi`` is NaN when ``alpha`` is 0.
    nfev : int
        Number of evaluations of ``phi_dphi``.
    success : bool
        True when both strong Wolfe conditions hold at ``alpha`` (or ``alpha = a_max``
        with sufficient decrease).
    """

    alpha: float
    phi: float
    dphi: float
    nfev: int
    success: bool


def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """Minimiser of the cubic with values ``fa, fb`` and slopes ``da, db`` at ``a, b``
    (NaN if it has none)."""
    if a == b:
        return math.nan
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if not (disc >= 0.0) or not math.isfinite(disc):
        return math.nan
    d2 = math.copysign(math.sqrt(disc), b - a)
    denom = db - da + 2.0 * d2
    if denom == 0.0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / denom


def _quad_min(a: float, fa: float, da: float, b: float, fb: float) -> float:
    """Minimiser of the quadratic with value ``fa`` and slope ``da`` at ``a``, value
    ``fb`` at ``b`` (NaN if it is not convex)."""
    h = b - a
    if h == 0.0:
        return math.nan
    curv = (fb - fa - da * h) / (h * h)
    if not (curv > 0.0) or not math.isfinite(curv):
        return math.nan
    return a - da / (2.0 * curv)


def strong_wolfe(phi_dphi: Callable[[float], tuple[float, float]], phi0: float, dphi0: float,
                 alpha1: float = 1.0, c1: float = 1e-4, c2: float = 0.9,
                 alpha_max: float = math.inf, maxiter: int = 30,
                 xtol: float = 1e-14) -> LineSearchResult:
    """Find a step satisfying the strong Wolfe conditions.

    Parameters
    ----------
    phi_dphi : callable
        ``phi_dphi(a) -> (phi(a), phi'(a))``.
    phi0, dphi0 : float
        ``phi(0)`` and ``phi'(0)``; ``dphi0`` must be negative.
    alpha1 : float
        First trial step (clipped to ``alpha_max``).
    c1, c2 : float
        Wolfe constants, ``0 < c1 < c2 < 1``.
    alpha_max : float
        Largest admissible step.
    maxiter : int
        Largest number of evaluations.
    xtol : float
        Relative width below which the bracket is considered collapsed.

    Returns
    -------
    LineSearchResult
    """
    if not dphi0 < 0.0:
        return LineSearchResult(0.0, phi0, dphi0, 0, False)
    nfev = 0
    best = (0.0, phi0, dphi0)  # best point with sufficient decrease

    def armijo(a: float, f: float) -> bool:
        return math.isfinite(f) and f <= phi0 + c1 * a * dphi0

    def fail() -> LineSearchResult:
        a, f, d = best
        return LineSearchResult(a, f, d, nfev, False)

    a_prev, f_prev, d_prev = 0.0, phi0, dphi0
    a = min(alpha1, alpha_max)
    if not a > 0.0:
        a = min(1.0, alpha_max)
    lo = hi = None
    while nfev < maxiter:
        f, d = phi_dphi(a)
        nfev += 1
        if not armijo(a, f) or (a_prev > 0.0 and f >= f_prev):
            lo, hi = (a_prev, f_prev, d_prev), (a, f, d)
            break
        if f < best[1]:
            best = (a, f, d)
        if abs(d) <= -c2 * dphi0:
            return LineSearchResult(a, f, d, nfev, True)
        if d >= 0.0:
            lo, hi = (a, f, d), (a_prev, f_prev, d_prev)
            break
        if a >= alpha_max:
            return LineSearchResult(a, f, d, nfev, True)
        step = a - a_prev
        c = _cubic_min(a_prev, f_prev, d_prev, a, f, d)
        lo_ext, hi_ext = a + 1.1 * step, a + 4.0 * step
        a_new = c if (math.isfinite(c) and lo_ext <= c <= hi_ext) else hi_ext
        a_prev, f_prev, d_prev = a, f, d
        a = min(a_new, alpha_max)
    else:
        return fail()

    widths: list[float] = []
    # zoom: lo satisfies sufficient decrease and has the lowest phi; (hi - lo) * phi'(lo) < 0
    while nfev < maxiter:
        a_lo, f_lo, d_lo = lo
        a_hi, f_hi, d_hi = hi
        width = abs(a_hi - a_lo)
        if width <= xtol * max(abs(a_lo), abs(a_hi)):
            break
        if a_lo > 0.0 and width <= 1e-2 * a_lo:
            break  # step known to 1 %: phi' is inconsistent with phi (noisy derivatives)
        if width * abs(d_lo) <= _ROUNDING * max(abs(f_lo), 1e-300):
            break  # no change of phi above rounding is possible inside the bracket
        left, right = min(a_lo, a_hi), max(a_lo, a_hi)
        a = math.nan
        if math.isfinite(f_hi) and math.isfinite(d_hi):
            a = _cubic_min(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi)
        if not math.isfinite(a) and math.isfinite(f_hi):
            a = _quad_min(a_lo, f_lo, d_lo, a_hi, f_hi)
        margin = 1e-3 * width
        slow = len(widths) >= 2 and width > 0.66 * widths[-2]
        if slow or not (left + margin <= a <= right - margin):
            a = 0.5 * (a_lo + a_hi)
        widths.append(width)
        f, d = phi_dphi(a)
        nfev += 1
        if not armijo(a, f) or f >= f_lo:
            hi = (a, f, d)
        else:
            if f < best[1]:
                best = (a, f, d)
            if abs(d) <= -c2 * dphi0:
                return LineSearchResult(a, f, d, nfev, True)
            if d * (a_hi - a_lo) >= 0.0:
                hi = lo
            lo = (a, f, d)
    return fail()


# --- Moré-Thuente ----------------------------------------------------------------------------
def _secant_min(a: float, da: float, b: float, db: float) -> float:
    """Zero of the line through the slopes ``(a, da)`` and ``(b, db)`` (NaN if parallel)."""
    if db == da:
        return math.nan
    return b - db * (b - a) / (db - da)


def _mt_trial(al: float, fl: float, gl: float, at: float, ft: float, gt: float,
              au: float, fu: float, gu: float, bracketed: bool, lo: float, hi: float
              ) -> tuple[tuple[float, float, float], tuple[float, float, float], float, bool]:
    """One safeguarded step of Moré & Thuente (1994), section 4.

    ``al`` is the best point so far, ``at`` the trial just evaluated, ``au`` the other end
    of the interval; ``[lo, hi]`` bounds an extrapolation. Returns the updated ends
    (best, other), the next trial and whether a minimiser is bracketed.
    """
    ac = _cubic_min(al, fl, gl, at, ft, gt)
    if ft > fl:
        # case 1: a higher value; the minimiser lies between al and at. Take the cubic
        # step if it is closer to al than the quadratic (values and gl) step, else their mean
        aq = _quad_min(al, fl, gl, at, ft)
        if not math.isfinite(aq):
            aq = 0.5 * (al + at)
        if not math.isfinite(ac):
            ac = aq
        a_new = ac if abs(ac - al) < abs(aq - al) else 0.5 * (aq + ac)
        bracketed = True
    elif gt * gl < 0:
        # case 2: the slope changed sign; the minimiser lies between. The step (cubic or
        # secant) farther from at
        asec = _secant_min(al, gl, at, gt)
        if not math.isfinite(ac):
            ac = asec
        a_new = ac if abs(ac - at) >= abs(asec - at) else asec
        bracketed = True
    elif abs(gt) <= abs(gl):
        # case 3: same sign, smaller slope. The cubic step only if it lies beyond at
        # (else the extrapolation bound); the secant step
        asec = _secant_min(al, gl, at, gt)
        if not (math.isfinite(ac) and (ac - at) * (at - al) > 0):
            ac = hi if at > al else lo
        if not math.isfinite(asec):
            asec = ac
        if bracketed:
            a_new = ac if abs(ac - at) < abs(asec - at) else asec
            bound = at + 0.66 * (au - at)
            a_new = min(bound, a_new) if at > al else max(bound, a_new)
        else:
            a_new = ac if abs(ac - at) > abs(asec - at) else asec
            a_new = min(max(a_new, lo), hi) if at > al else max(min(a_new, lo), hi)
    else:
        # case 4: same sign, the slope did not decrease: the cubic through at and au when
        # bracketed, else the extrapolation bound
        if bracketed:
            a_new = _cubic_min(au, fu, gu, at, ft, gt)
            if not math.isfinite(a_new):
                a_new = 0.5 * (au + at)
        else:
            a_new = hi if at > al else lo
    # the new interval (section 2): at replaces the end whose role it takes
    if ft > fl:
        best, other = (al, fl, gl), (at, ft, gt)
    elif gt * (al - at) < 0:
        best, other = (at, ft, gt), (al, fl, gl)
    else:
        best, other = (at, ft, gt), (au, fu, gu)
    return best, other, a_new, bracketed


def more_thuente(phi_dphi: Callable[[float], tuple[float, float]], phi0: float, dphi0: float,
                 alpha1: float = 1.0, c1: float = 1e-4, c2: float = 0.9,
                 alpha_min: float = 1e-100, alpha_max: float = 1e100, xtol: float = 1e-14,
                 maxiter: int = 100) -> LineSearchResult:
    """Step satisfying the strong Wolfe conditions by Moré & Thuente's algorithm.

    J. J. Moré and D. J. Thuente, "Line search algorithms with guaranteed sufficient
    decrease", ACM TOMS 20 (1994) 286. The interval of uncertainty [al, au] (al the best
    point) is updated by the rules of their section 2 and trial steps come from the
    safeguarded cubic, quadratic and secant interpolants of section 4 (:func:`_mt_trial`);
    unbracketed, a trial extrapolates to between 1.1 and 4 times the last step length;
    bracketed, an interval that did not shrink by 0.66 in two trials is bisected. Until a
    trial has sufficient decrease and a slope above c1 φ'(0), the interpolation works on
    the auxiliary function ψ(α) = φ(α) - φ(0) - c1 α φ'(0), whose minimisers satisfy
    sufficient decrease (their stage 1).

    Fails (``success=False``, returning the best point) when the interval shrinks below
    ``xtol`` relative, rounding stops progress, ``alpha_min`` is reached without
    sufficient decrease, or after ``maxiter`` evaluations; reaching ``alpha_max`` with
    sufficient decrease and a negative slope succeeds.
    """
    if not dphi0 < 0.0:
        return LineSearchResult(0.0, phi0, dphi0, 0, False)
    gtest = c1 * dphi0
    curv = c2 * -dphi0
    stage1 = True
    bracketed = False
    al, fl, gl = 0.0, phi0, dphi0
    au, fu, gu = 0.0, phi0, dphi0
    width = alpha_max - alpha_min
    width1 = 2.0 * width
    a = min(max(alpha1, alpha_min), alpha_max)
    nfev = 0
    best = (0.0, phi0, dphi0)
    while nfev < maxiter:
        f, g = phi_dphi(a)
        nfev += 1
        if not (math.isfinite(f) and math.isfinite(g)):
            # outside the function's domain: the minimiser lies before a
            bracketed = True
            au, fu, gu = a, math.inf, math.nan
            a = al + 0.5 * (a - al)
            continue
        ftest = phi0 + a * gtest
        if f <= ftest and f < best[1]:
            best = (a, f, g)
        if f <= ftest and abs(g) <= curv:
            return LineSearchResult(a, f, g, nfev, True)
        if bracketed:
            imin, imax = min(al, au), max(al, au)
            if a <= imin or a >= imax or imax - imin <= xtol * imax:
                break  # rounding errors prevent progress, or the interval is exhausted
        if a == alpha_max and f <= ftest and g <= gtest:
            return LineSearchResult(a, f, g, nfev, True)
        if a == alpha_min and (f > ftest or g >= gtest):
            break
        if stage1 and f <= ftest and g >= min(c1, c2) * dphi0:
            stage1 = False
        # extrapolation range of the next trial while nothing is bracketed
        lo, hi = a + 1.1 * (a - al), a + 4.0 * (a - al)
        if stage1 and f <= fl and f > ftest:
            # interpolate ψ: values and slopes shifted by the sufficient-decrease line
            (al, flm, glm), (au, fum, gum), a_new, bracketed = _mt_trial(
                al, fl - al * gtest, gl - gtest, a, f - a * gtest, g - gtest,
                au, fu - au * gtest, gu - gtest, bracketed, lo, hi)
            fl, gl = flm + al * gtest, glm + gtest
            fu, gu = fum + au * gtest, gum + gtest
        else:
            (al, fl, gl), (au, fu, gu), a_new, bracketed = _mt_trial(
                al, fl, gl, a, f, g, au, fu, gu, bracketed, lo, hi)
        if bracketed:
            if abs(au - al) >= 0.66 * width1:
                a_new = al + 0.5 * (au - al)  # too slow a decrease of the interval: bisect
            width1, width = width, abs(au - al)
        if not math.isfinite(a_new):
            a_new = al + 0.5 * (au - al) if bracketed else hi
        a = min(max(a_new, alpha_min), alpha_max)
    a, f, d = best
    return LineSearchResult(a, f, d, nfev, False)
