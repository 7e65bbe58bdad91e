"""MINOS intervals, profiles and contours against independent oracles.

The ``refit`` closure the algorithms need is built here from iminuit (a fresh
``iminuit.Minuit`` on the same Python cost with the held parameters fixed) or in closed
form; the answers are compared with (a) a brute-force root of the profiled cost found by
``scipy.optimize.brentq`` and (b) iminuit's own MINOS / MNCONTOUR on the same cost.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import iminuit
import numpy as np
import pytest
import scipy
from hypothesis import given, settings
from hypothesis import strategies as st
from iminuit import cost as icost
from scipy import optimize, stats

from conftest import version_of
from thetahat._core.cl import factor_1d, factor_2d
from thetahat.intervals.contour import contour, mncontour, periodic_spline
from thetahat.intervals.minos import minos_one
from thetahat.intervals.profile import default_grid, mnprofile, profile


# --------------------------------------------------------------------------------------
# problems from seed 001 (same data generation, seeded)
def _line(x, m, c):
    return m * x + c


def seed_line():
    x = np.linspace(0, 1, 11)
    y = _line(x, 1.0, 2.0) + np.random.default_rng(0).normal(0, 0.1, 11)
    return icost.LeastSquares(x, y, 0.1, _line), dict(m=5.0, c=5.0), {}


def _peak_data():
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.1, size=400)
    return np.append(x, rng.uniform(-1, 1, size=1000))


def _pdf(x, z, mu, sigma):
    return z * stats.norm.pdf(x, mu, sigma) + (1 - z) * 0.5


def _cdf(xe, z, mu, sigma):
    return z * stats.norm.cdf(xe, mu, sigma) + (1 - z) * (xe + 1) / 2


_PEAK_LIMITS = dict(z=(0, 1), mu=(-1, 1), sigma=(0, None))


def seed_unbinned():
    return icost.UnbinnedNLL(_peak_data(), _pdf), dict(z=0.4, mu=0, sigma=0.2), _PEAK_LIMITS


def seed_binned():
    n, xe = np.histogram(_peak_data(), bins=50, range=(-1, 1))
    return icost.BinnedNLL(n, xe, _cdf), dict(z=0.4, mu=0, sigma=0.2), _PEAK_LIMITS


def _binomial_nll(p):
    return -(3 * np.log(p) + 7 * np.log1p(-p))


_binomial_nll.errordef = 0.5


def seed_binomial():
    return _binomial_nll, dict(p=0.5), dict(p=(1e-9, 1 - 1e-9))


PROBLEMS = {"line": seed_line, "unbinned": seed_unbinned, "binned": seed_binned,
            "binomial": seed_binomial}


class Fitted:
    """A problem minimised by iminuit, with the refit oracle and references."""

    def __init__(self, make):
        self.fcn, start, limits = make()
        m = iminuit.Minuit(self.fcn, **start)
        for k, v in limits.items():
            m.limits[k] = v
        m.migrad()
        m.hesse()
        assert m.valid
        self.m = m
        self.n = m.npar
        self.values = np.array(m.values)
        self.errors = np.array(m.errors)
        self.cov = np.array(m.covariance)
        self.limits = [(float(a), float(b)) for a, b in m.limits]
        self.fval = m.fval
        self.errordef = m.errordef
        self.calls = 0

    def refit(self, fixed, start):
        """Conditional minimum by a fresh iminuit.Minuit with ``fixed`` held."""
        self.calls += 1
        start = np.clip(np.asarray(start, float), [a for a, _ in self.limits],
                        [b for _, b in self.limits])
        mm = iminuit.Minuit(self.fcn, *start, name=self.m.parameters)
        mm.errors = self.errors
        mm.limits = self.limits
        mm.tol = 0.01  # F accurate to ~2e-5 errordef: far below the 1e-3 checks
        for i, v in fixed.items():
            mm.values[i] = v
            mm.fixed[i] = True
        if all(mm.fixed):
            v = np.array(mm.values)
            return SimpleNamespace(fval=float(self.fcn(*v)), values=v, valid=True, nfcn=1)
        mm.migrad()
        return SimpleNamespace(fval=mm.fval, values=np.array(mm.values), valid=mm.valid,
                               nfcn=mm.nfcn)

    def prof(self, i, v):
        return self.refit({i: v}, self.values).fval


@pytest.fixture(scope="module", params=list(PROBLEMS))
def fitted(request):
    return Fitted(PROBLEMS[request.param])


def _minos(f, i, factor=1.0, **kw):
    return minos_one(f.refit, index=i, values=f.values, errors=f.errors, limits=f.limits,
                     fval=f.fval, errordef=f.errordef, factor=factor, **kw)


def _brute(f, i, sign, target):
    """Root of F_prof(x0 + sign u) - fval - target by bracketing and brentq."""
    x0, e = f.values[i], f.errors[i]
    g = lambda u: f.prof(i, x0 + sign * u) - f.fval - target  # noqa: E731
    hi = e * math.sqrt(target / f.errordef)
    while g(hi) < 0:
        hi *= 1.5
    return optimize.brentq(g, 0.0, hi, xtol=1e-7 * e, rtol=1e-10)


# --------------------------------------------------------------------------------------
# cl -> factor
@pytest.mark.parametrize("cl", [None, 0.5, 0.68, 0.9, 0.95, 0.99, 1, 1.5, 2, 3, 5])
def test_factors_match_chi2_quantiles(cl):
    # exact closed forms vs scipy's chi2 quantiles: agreement to rounding
    p1 = 0.6826894921370859 if cl is None else (stats.chi2(1).cdf(cl**2) if cl >= 1 else cl)
    p2 = 0.68 if cl is None else (stats.chi2(1).cdf(cl**2) if cl >= 1 else cl)
    assert factor_1d(cl) == pytest.approx(stats.chi2(1).ppf(p1), rel=1e-10)
    assert factor_2d(cl) == pytest.approx(stats.chi2(2).ppf(p2), rel=1e-10)


@pytest.mark.parametrize("cl", [0, -1, math.nan, math.inf])
def test_factor_bad_cl(cl):
    with pytest.raises(ValueError, match="cl"):
        factor_1d(cl)
    with pytest.raises(ValueError, match="cl"):
        factor_2d(cl)


def test_factor_type_error():
    with pytest.raises(TypeError, match="cl"):
        factor_1d("one")


# --------------------------------------------------------------------------------------
# MINOS
def test_minos_matches_brute_force_profile(fitted):
    f = fitted
    for i in range(f.n):
        d = _minos(f, i)
        assert d["is_valid"]
        assert d["number"] == i and d["min"] == f.values[i]
        up = _brute(f, i, +1, f.errordef)
        lo = _brute(f, i, -1, f.errordef)
        # profile crossing to 1e-3 relative, as asked of MINOS (tol=1e-3 on F -> 5e-4)
        assert d["upper"] == pytest.approx(up, rel=1e-3)
        assert d["lower"] == pytest.approx(-lo, rel=1e-3)


def test_minos_matches_iminuit(fitted):
    f = fitted
    f.m.minos()
    for i in range(f.n):
        d = _minos(f, i)
        me = f.m.merrors[i]
        assert me.is_valid
        # iminuit's MINOS stops at ~errordef*1e-2 accuracy in F; 1% in the interval
        assert d["lower"] == pytest.approx(me.lower, rel=1e-2)
        assert d["upper"] == pytest.approx(me.upper, rel=1e-2)


def test_minos_two_sigma_matches_iminuit():
    f = Fitted(seed_unbinned)
    f.m.minos(cl=2)
    for i in range(f.n):
        d = _minos(f, i, factor=factor_1d(2))
        me = f.m.merrors[i]
        # as above: iminuit's own accuracy is about 1%
        assert (d["lower"], d["upper"]) == pytest.approx((me.lower, me.upper), rel=1e-2)


def test_binomial_seed_interval():
    # closed-form MLE p = 3/10 with its Hesse error sqrt(p (1 - p) / n)
    p = 0.3
    d = minos_one(lambda fixed, start: SimpleNamespace(
        fval=_binomial_nll(fixed[0]), values=np.array([fixed[0]]), valid=True, nfcn=1),
        index=0, values=[p], errors=[math.sqrt(p * (1 - p) / 10)], limits=[(0.0, 1.0)],
        fval=_binomial_nll(p), errordef=0.5)
    assert d["is_valid"]
    # the seed quotes p = 0.3 +0.155 -0.13 (three digits)
    assert d["upper"] == pytest.approx(0.155, abs=5e-3)
    assert d["lower"] == pytest.approx(-0.13, abs=5e-3)
    # and the exact roots of 3 ln p + 7 ln(1-p) = max - 1/2, to 1e-4 relative
    g = lambda p: _binomial_nll(p) - _binomial_nll(0.3) - 0.5  # noqa: E731
    assert d["upper"] == pytest.approx(optimize.brentq(g, 0.3, 0.99) - 0.3, rel=1e-3)
    assert d["lower"] == pytest.approx(optimize.brentq(g, 0.01, 0.3) - 0.3, rel=1e-3)


def test_minos_few_refits_on_a_quadratic_profile():
    # linear model -> exactly quadratic profile: the sqrt-secant needs one step per side
    f = Fitted(seed_line)
    f.calls = 0
    d = _minos(f, 0)
    assert d["is_valid"]
    assert f.calls <= 4  # two refits per side at most (parabolic guess + check)


def test_minos_uses_covariance_warm_start():
    f = Fitted(seed_unbinned)
    d = _minos(f, 1, cov=f.cov)
    ref = _minos(f, 1)
    # same answer with a better first start; refits are converged to ~1e-5 errordef
    assert (d["lower"], d["upper"]) == pytest.approx((ref["lower"], ref["upper"]), rel=1e-3)


_SKEWED = {  # (nll, mle, hesse error, limits): strongly non-parabolic 1-D likelihoods
    "poisson1": (lambda m: m - math.log(m), 1.0, 1.0, (0.0, math.inf)),
    "poisson3": (lambda m: m - 3 * math.log(m), 3.0, math.sqrt(3), (0.0, math.inf)),
    "exp2": (lambda t: 2 * math.log(t) + 2.0 / t, 1.0, 1 / math.sqrt(2), (0.0, math.inf)),
    "binom1of10": (lambda p: -(math.log(p) + 9 * math.log1p(-p)), 0.1, 0.3 / math.sqrt(10),
                   (0.0, 1.0)),
}


@pytest.mark.parametrize("factor", [1.0, 4.0, 9.0])
@pytest.mark.parametrize("name", list(_SKEWED))
def test_minos_skewed_likelihoods_vs_exact_roots(name, factor):
    nll, x0, e, (lo, hi) = _SKEWED[name]

    def refit(fixed, start):  # the cost diverges at the boundaries: inf there
        v = fixed[0]
        return SimpleNamespace(fval=nll(v) if lo < v < hi else math.inf,
                               values=np.array([v]), valid=True, nfcn=1)

    d = minos_one(refit, index=0, values=[x0], errors=[e], limits=[(lo, hi)],
                  fval=nll(x0), errordef=0.5, factor=factor)
    g = lambda v: nll(v) - nll(x0) - 0.5 * factor  # noqa: E731
    up = optimize.brentq(g, x0, 1e3 if hi == math.inf else hi - 1e-15, xtol=1e-14)
    dn = optimize.brentq(g, lo + 1e-300, x0, xtol=1e-14)
    assert d["is_valid"]
    # tol = 5e-3 on the step; the reported linearised root is second-order accurate
    assert d["upper"] == pytest.approx(up - x0, rel=1e-3)
    assert d["lower"] == pytest.approx(dn - x0, rel=1e-3)
    assert d["nfcn"] <= 16  # a handful of refits per side even when far from parabolic


# flags, with closed-form toy refits --------------------------------------------------
def _quad_refit(x0=0.0, drop_above=math.inf, valid=True):
    """1-D cost (v - x0)^2 (errordef 1), dropping by 5 above ``drop_above``."""

    def refit(fixed, start):
        v = fixed[0]
        fv = (v - x0) ** 2 - (5.0 if v > drop_above else 0.0)
        return SimpleNamespace(fval=fv, values=np.array([v]), valid=valid, nfcn=3)

    return refit


def test_minos_exact_quadratic():
    d = minos_one(_quad_refit(), index=0, values=[0.0], errors=[0.7], limits=[(-9, 9)],
                  fval=0.0, errordef=1.0, factor=4.0)
    # exact parabola: the first secant lands on the root up to rounding
    assert (d["lower"], d["upper"]) == pytest.approx((-2.0, 2.0), rel=1e-12)
    # HESSE error 30% off: three refits on the first side, one on the second (a fitted)
    assert d["is_valid"] and d["nfcn"] == 4 * 3


def test_minos_at_limit():
    d = minos_one(_quad_refit(), index=0, values=[0.0], errors=[1.0], limits=[(-0.5, 9)],
                  fval=0.0, errordef=1.0)
    # iminuit: at_lower_limit with the side still valid, the offset = distance to limit
    assert d["at_lower_limit"] and d["lower_valid"] and d["is_valid"]
    assert d["lower"] == -0.5
    assert d["upper_valid"] and d["upper"] == pytest.approx(1.0, rel=1e-12)


def test_minos_at_limit_like_iminuit():
    # seed binomial with the lower limit inside the interval (iminuit 2.x flags, values)
    m = iminuit.Minuit(_binomial_nll, p=0.3)
    m.limits["p"] = (0.25, 0.9)
    m.migrad()
    m.minos()
    me = m.merrors["p"]
    d = minos_one(lambda fixed, start: SimpleNamespace(
        fval=_binomial_nll(fixed[0]), values=np.array([fixed[0]]), valid=True, nfcn=1),
        index=0, values=[m.values[0]], errors=[m.errors[0]], limits=[(0.25, 0.9)],
        fval=m.fval, errordef=0.5)
    for k in ("is_valid", "lower_valid", "upper_valid", "at_lower_limit", "at_upper_limit"):
        assert d[k] == getattr(me, k), k
    # the limit distance is exact; the upper offset to iminuit's ~1e-2 MINOS accuracy
    assert d["lower"] == pytest.approx(me.lower, rel=1e-12)
    assert d["upper"] == pytest.approx(me.upper, rel=1e-2)


def test_minos_new_minimum_is_reported():
    d = minos_one(_quad_refit(drop_above=0.5), index=0, values=[0.0], errors=[1.0],
                  limits=[(-9, 9)], fval=0.0, errordef=1.0)
    assert d["upper_new_min"] and not d["upper_valid"] and not d["is_valid"]
    assert d["lower_valid"] and not d["lower_new_min"]


def test_minos_call_limit():
    def refit(fixed, start):  # flat-topped: never crosses, keeps walking
        v = fixed[0]
        return SimpleNamespace(fval=min(v * v, 0.5), values=np.array([v]), valid=True,
                               nfcn=10)

    d = minos_one(refit, index=0, values=[0.0], errors=[1.0], limits=[(-9, 9)],
                  fval=0.0, errordef=1.0, ncall=25)
    assert d["at_upper_max_fcn"] and d["at_lower_max_fcn"] and not d["is_valid"]
    assert d["nfcn"] == 60  # three refits of 10 calls per side before the budget check


def test_minos_invalid_refit_makes_side_invalid():
    d = minos_one(_quad_refit(valid=False), index=0, values=[0.0], errors=[1.0],
                  limits=[(-9, 9)], fval=0.0, errordef=1.0)
    assert not d["is_valid"] and not d["upper_valid"] and not d["lower_valid"]


@pytest.mark.parametrize("kw, match", [
    (dict(index=3), "index"), (dict(errors=[0.0]), r"errors\[0\]"),
    (dict(errordef=0.0), "errordef"), (dict(factor=-1.0), "factor"),
    (dict(limits=[]), "limits"), (dict(fval=math.nan), "fval")])
def test_minos_bad_input(kw, match):
    args = dict(index=0, values=[0.0], errors=[1.0], limits=[(-9, 9)], fval=0.0,
                errordef=1.0)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        minos_one(_quad_refit(), **args)


# --------------------------------------------------------------------------------------
# coverage
def test_coverage_exponential_lifetime():
    # 1000 toys of 20 decay times: the MINOS interval covers the true lifetime ~68.3%
    rng = np.random.default_rng(7)
    tau, n, hits = 1.0, 20, 0
    for _ in range(1000):
        t = rng.exponential(tau, n)
        s = t.sum()

        def refit(fixed, start, s=s):
            v = fixed[0]
            return SimpleNamespace(fval=n * math.log(v) + s / v, values=np.array([v]),
                                   valid=True, nfcn=1)

        th = s / n
        d = minos_one(refit, index=0, values=[th], errors=[th / math.sqrt(n)],
                      limits=[(0.0, math.inf)], fval=n * math.log(th) + n, errordef=0.5)
        assert d["is_valid"]
        hits += th + d["lower"] <= tau <= th + d["upper"]
    # binomial spread sqrt(.683 * .317 / 1000) = 1.5%: 3% is two standard deviations
    assert hits / 1000 == pytest.approx(0.683, abs=0.03)


def test_coverage_gaussian_mean_profiled_over_sigma():
    # (mu, sigma) of 50 normal draws; sigma profiled in closed form. The profile-likelihood
    # interval for mu is |t| <= sqrt((n-1)(e^{1/n}-1)) exactly, so its coverage is known.
    rng = np.random.default_rng(11)
    n, hits = 50, 0
    for _ in range(1000):
        x = rng.normal(0.0, 2.0, n)

        def nll(mu, sig, x=x):
            return n * math.log(sig) + np.sum((x - mu) ** 2) / (2 * sig * sig)

        def refit(fixed, start, x=x):
            mu = fixed.get(0, x.mean())
            sig = fixed.get(1, math.sqrt(np.mean((x - mu) ** 2)))
            return SimpleNamespace(fval=nll(mu, sig), values=np.array([mu, sig]),
                                   valid=True, nfcn=1)

        mu, sig = x.mean(), x.std()
        d = minos_one(refit, index=0, values=[mu, sig],
                      errors=[sig / math.sqrt(n), sig / math.sqrt(2 * n)],
                      limits=[(-math.inf, math.inf), (0, math.inf)], fval=nll(mu, sig),
                      errordef=0.5)
        hits += mu + d["lower"] <= 0.0 <= mu + d["upper"]
    tcrit = math.sqrt((n - 1) * math.expm1(1 / n))
    expected = 2 * stats.t(n - 1).cdf(tcrit) - 1
    # binomial spread ~1.5%: two standard deviations
    assert hits / 1000 == pytest.approx(expected, abs=0.03)


# --------------------------------------------------------------------------------------
# profiles
def test_default_grid_like_iminuit():
    # iminuit: value +- bound*error, clipped to the limits; or explicit (lo, hi)
    assert np.allclose(default_grid(1.0, 0.5, 5, 2), [0, 0.5, 1, 1.5, 2])
    assert np.allclose(default_grid(1.0, 0.5, 3, (0.0, 4.0)), [0, 2, 4])
    assert np.allclose(default_grid(1.0, 0.5, 3, 2, (0.5, 1.5)), [0.5, 1.0, 1.5])
    for bad in (0, -1, (2.0, 1.0), (1, 2, 3)):
        with pytest.raises(ValueError, match="bound"):
            default_grid(1.0, 0.5, 5, bad)
    with pytest.raises(ValueError, match="size"):
        default_grid(1.0, 0.5, 1, 2)


def test_profile_matches_iminuit():
    f = Fitted(seed_line)
    x, y = f.m.profile("m", size=21, subtract_min=False)
    g, fv = profile(lambda p: f.fcn(*p), index=0, values=f.values, grid=x)
    # same function at the same points: rounding only
    assert np.allclose(g, x) and np.allclose(fv, y, rtol=1e-12)


@pytest.mark.skipif(version_of(scipy) < (1, 10), reason="the oracle's refits are iminuit "
                    "fits of a scipy pdf; with scipy 1.9 and iminuit 2.32 those at mu > 0 end "
                    "invalid (norm.pdf at scale 0 is nan with a warning), measured")
def test_mnprofile_matches_iminuit_and_minos():
    f = Fitted(seed_unbinned)
    x, y, ok = f.m.mnprofile("mu", size=15, subtract_min=False)
    g, fv, st = mnprofile(f.refit, index=1, values=f.values, grid=x)
    assert st.all() and ok.all()
    # both are converged conditional minima (edm ~1e-4 errordef): agree to 1e-3 errordef
    assert np.allclose(fv, y, rtol=0, atol=1e-3 * f.errordef)


def test_mnprofile_bad_index():
    with pytest.raises(ValueError, match="index"):
        mnprofile(_quad_refit(), index=2, values=[0.0], grid=[0.0, 1.0])


# --------------------------------------------------------------------------------------
# contours
def _area(p):
    return 0.5 * abs(np.sum(p[:-1, 0] * p[1:, 1] - p[1:, 0] * p[:-1, 1]))


@pytest.mark.parametrize("name, ix, iy", [("line", 0, 1), ("unbinned", 1, 2),
                                          ("binned", 0, 2)])
def test_mncontour_on_level_set_and_area_like_iminuit(name, ix, iy):
    f = Fitted(PROBLEMS[name])
    fac = factor_2d(None)
    pts = mncontour(f.refit, ix=ix, iy=iy, values=f.values, cov=f.cov, fval=f.fval,
                    errordef=f.errordef, factor=fac, size=40)
    assert pts.shape == (41, 2) and np.array_equal(pts[0], pts[-1])
    target = f.errordef * fac
    for a, b in pts[:-1]:
        fp = f.refit({ix: a, iy: b}, f.values).fval - f.fval
        # radius tol 5e-3 and the reported linearised crossing is second-order accurate
        # (~1e-4 in F observed); 2e-3 is well inside the 1% asked for
        assert fp == pytest.approx(target, rel=2e-3)
    ref = f.m.mncontour(ix, iy, size=40)
    # both polygons inscribed in the same curve with 40 vertices: 2%
    assert _area(pts) == pytest.approx(_area(ref), rel=2e-2)


def test_mncontour_gaussian_is_exact_ellipse():
    # F = errordef * d^T C^-1 d exactly: every ray's first guess is the root
    C = np.array([[2.0, 0.6], [0.6, 0.5]])
    Ci = np.linalg.inv(C)

    def refit(fixed, start):
        d = np.array([fixed[0] - 1.0, fixed[1] + 2.0])
        return SimpleNamespace(fval=0.5 * d @ Ci @ d, values=np.array([fixed[0], fixed[1]]),
                               valid=True, nfcn=1)

    pts = mncontour(refit, ix=0, iy=1, values=[1.0, -2.0], cov=C, fval=0.0, errordef=0.5,
                    factor=factor_2d(0.9), size=100, interpolated=400)
    assert pts.shape == (400, 2)
    d = pts - [1.0, -2.0]
    r2 = np.einsum("ij,jk,ik->i", d, Ci, d)
    # vertices exact; the spline between them bulges by O(h^4) ~ 1e-6 relative
    assert np.allclose(r2, factor_2d(0.9), rtol=1e-5)
    # area of the ellipse pi sqrt(det C) * factor, polygon with 400 vertices: 1e-4
    assert _area(pts) == pytest.approx(math.pi * math.sqrt(np.linalg.det(C))
                                       * factor_2d(0.9), rel=1e-4)


def test_mncontour_stops_at_limits():
    def refit(fixed, start):
        d = np.array([fixed[0], fixed[1]])
        return SimpleNamespace(fval=float(d @ d), values=d, valid=True, nfcn=1)

    pts = mncontour(refit, ix=0, iy=1, values=[0.0, 0.0], cov=np.eye(2), fval=0.0,
                    errordef=1.0, factor=4.0, size=16,
                    limits=[(-1.0, math.inf), (-math.inf, math.inf)])
    assert pts[:, 0].min() == pytest.approx(-1.0)  # clipped at the limit exactly
    assert pts[:, 0].max() == pytest.approx(2.0)  # circle of radius 2 elsewhere


def test_mncontour_bad_input():
    r = _quad_refit()
    with pytest.raises(ValueError, match="ix and iy"):
        mncontour(r, ix=0, iy=0, values=[0, 0], cov=np.eye(2), fval=0, errordef=1,
                  factor=1)
    with pytest.raises(ValueError, match="size"):
        mncontour(r, ix=0, iy=1, values=[0, 0], cov=np.eye(2), fval=0, errordef=1,
                  factor=1, size=3)
    with pytest.raises(ValueError, match="positive definite"):
        mncontour(r, ix=0, iy=1, values=[0, 0], cov=np.zeros((2, 2)), fval=0,
                  errordef=1, factor=1)


def test_contour_matches_iminuit():
    f = Fitted(seed_line)
    x, y, F = f.m.contour("m", "c", size=7, subtract_min=False)
    gx, gy, G = contour(lambda p: f.fcn(*p), ix=0, iy=1, values=f.values, xgrid=x,
                        ygrid=y)
    # same function on the same grid, iminuit's F[i, j] layout: rounding only
    assert G.shape == F.shape and np.allclose(G, F, rtol=1e-12)


def test_periodic_spline_reproduces_circle():
    t = np.linspace(0, 2 * np.pi, 41)
    pts = np.c_[np.cos(t), np.sin(t)]
    out = periodic_spline(pts, 500)
    # cubic spline of a circle with h = 2 pi / 40: error ~ h^4 / 384 ~ 2e-6
    assert np.allclose(np.hypot(out[:, 0], out[:, 1]), 1.0, atol=1e-5)
    assert np.allclose(out[0], out[-1])


# --------------------------------------------------------------------------------------
# properties on exact Gaussians (closed-form profiles)


def _gauss_refit(mu, C, errordef):
    """Conditional minimum of F = errordef (t - mu)^T C^-1 (t - mu): closed form.

    With the held set f and the rest o: t_o = mu_o + C_of C_ff^-1 (t_f - mu_f) and
    F_prof = errordef d_f^T C_ff^-1 d_f.
    """

    def refit(fixed, start):
        f = sorted(fixed)
        o = [k for k in range(len(mu)) if k not in fixed]
        d = np.array([fixed[k] for k in f]) - mu[f]
        w = np.linalg.solve(C[np.ix_(f, f)], d)
        t = mu.copy()
        t[f] = mu[f] + d
        t[o] = mu[o] + C[np.ix_(o, f)] @ w
        return SimpleNamespace(fval=errordef * float(d @ w), values=t, valid=True, nfcn=1)

    return refit


@st.composite
def gaussians(draw):
    n = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    C = a @ a.T + 0.1 * np.eye(n)
    mu = rng.normal(size=n) * 3
    return mu, C, draw(st.sampled_from([0.5, 1.0])), draw(st.sampled_from([None, 0.9, 2]))


@given(gaussians())
@settings(max_examples=30, deadline=None)
def test_property_minos_of_gaussian_is_parabolic_error(g):
    mu, C, errordef, cl = g
    e = np.sqrt(np.diag(C))  # HESSE: 2 errordef (d2F)^-1 = C for this F
    refit = _gauss_refit(mu, C, errordef)
    n = len(mu)
    for i in range(n):
        d = minos_one(refit, index=i, values=mu, errors=e,
                      limits=[(-math.inf, math.inf)] * n, fval=0.0, errordef=errordef,
                      factor=factor_1d(cl))
        want = math.sqrt(factor_1d(cl) * C[i, i])
        # exact quadratic profile: the first trial is the root, up to rounding
        assert (d["lower"], d["upper"]) == pytest.approx((-want, want), rel=1e-9)
        assert d["nfcn"] == 2  # one refit per side


@given(gaussians())
@settings(max_examples=20, deadline=None)
def test_property_mncontour_of_gaussian_is_the_ellipse(g):
    mu, C, errordef, cl = g
    refit = _gauss_refit(mu, C, errordef)
    fac = factor_2d(cl)
    pts = mncontour(refit, ix=0, iy=1, values=mu, cov=C, fval=0.0, errordef=errordef,
                    factor=fac, size=24)
    d = pts - mu[:2]
    r2 = np.einsum("ij,jk,ik->i", d, np.linalg.inv(C[:2, :2]), d)
    # each ray's first trial is the exact root: rounding only
    assert np.allclose(r2, fac, rtol=1e-9)


def test_docstring_examples():
    import doctest

    from thetahat._core import cl as _cl
    from thetahat.intervals import profile as profile_mod

    for mod in (_cl, profile_mod):
        failed, tried = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert tried > 0 and failed == 0, mod.__name__
