"""Every fitting cell of seed 001 on thetahat against iminuit, on the same seeded data.

Agreement required (issue 4): parameter values within 0.01 sigma, HESSE errors within 1 %,
fval within 1e-6 relative, ndof and reduced chi2 equal. Both minimizers stop when the
estimated distance to the minimum EDM < 2e-4 (values then sit within ~0.02 sigma of the
minimum and fval within 2e-4 of it); we tighten ``tol`` to 1e-4 on both sides (EDM < 2e-8,
values within ~2e-4 sigma), which makes the 0.01-sigma and 1e-6 comparisons meaningful.

Each test runs twice: with iminuit's minimizer driving thetahat's costs (checks the cost
conventions: fval, ndof, masks, parameter names) and with thetahat's own Minuit.
"""

from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit as IMinuit
from iminuit import cost as ic
from scipy.stats import norm, uniform

from thetahat import Minuit as ThetahatMinuit
from thetahat import cost as tc

ENGINES = [
    # iminuit's minimizer driving thetahat's costs: checks the cost conventions alone
    pytest.param("iminuit", id="iminuit-on-thetahat-cost"),
    pytest.param("thetahat", id="thetahat"),
]


@pytest.fixture(params=ENGINES)
def TMinuit(request):
    """The minimizer under test, run on thetahat.cost objects."""
    return IMinuit if request.param == "iminuit" else ThetahatMinuit

TOL = 1e-4  # both minimizers: EDM goal 2e-3 * TOL * errordef = 2e-7 (see module docstring)
XRANGE = (-1.0, 1.0)


def line(x, m, c):
    return x * m + c


def line_np(x, par):
    return np.polyval(par, x)


def line_np_version2(x, *par):
    return np.polyval(par, x)


def model_pdf(x, z, mu, sigma):
    return z * norm.pdf(x, mu, sigma) + (1 - z) * uniform.pdf(x, XRANGE[0], XRANGE[1] - XRANGE[0])


def model_cdf(xe, z, mu, sigma):
    width = XRANGE[1] - XRANGE[0]
    return z * norm.cdf(xe, mu, sigma) + (1 - z) * uniform.cdf(xe, XRANGE[0], width)


def model_density_cdf(x, nsig, nbkg, mu, sigma):
    return nsig * norm.cdf(x, mu, sigma) + nbkg * uniform.cdf(x, XRANGE[0], XRANGE[1] - XRANGE[0])


def model_density_pdf(x, nsig, nbkg, mu, sigma):
    return nsig + nbkg, (nsig * norm.pdf(x, mu, sigma)
                         + nbkg * uniform.pdf(x, XRANGE[0], XRANGE[1] - XRANGE[0]))


def exp_plus_gauss(x, A, B, C, D, mu, sigma):
    return A * np.exp(-(x - B) / C) + D * np.exp(-((x - mu) ** 2) / (2 * sigma**2))


@pytest.fixture(scope="module")
def line_data():
    """Seed cell In[9]: 11 points on y = x + 2 with Gaussian noise of 0.1."""
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 11)
    return x, line(x, 1.0, 2.0) + rng.normal(0, 0.1, 11), 0.1


@pytest.fixture(scope="module")
def peak():
    """Seed cell In[55]/In[108]: 400 N(0, 0.1) + 1000 U(-1, 1) events, rng seed 1."""
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.1, size=400)
    x = np.append(x, rng.uniform(*XRANGE, size=1000))
    n, xe = np.histogram(x, bins=50, range=XRANGE)
    return x, n, xe


@pytest.fixture(scope="module")
def signal_hist():
    """Stand-in for the exercises' "signal" file: 30,000 energies, exponential + peak."""
    rng = np.random.default_rng(2)
    e = 90 + rng.exponential(25.0, 29000)
    e = np.append(e[e < 200], rng.normal(125.0, 2.0, 1000))
    n, xe = np.histogram(e, bins=55, range=(90, 200))
    return 0.5 * (xe[1:] + xe[:-1]), n


def both(TMinuit, tcost, icost, *args, name=None, limits=None, fixed=None, **kwargs):
    if name is not None:
        kwargs["name"] = name
    mt = TMinuit(tcost, *args, **kwargs)
    mi = IMinuit(icost, *args, **kwargs)
    for m in (mt, mi):
        m.tol = TOL
        for k, v in (limits or {}).items():
            m.limits[k] = v
        for k in fixed or ():
            m.fixed[k] = True
    return mt, mi


def assert_agree(mt, mi, hesse=True):
    assert mt.valid == mi.valid
    assert mt.valid
    if hesse:
        mt.hesse()
        mi.hesse()
    free = [not f for f in mi.fixed]
    vt, vi = np.array(mt.values), np.array(mi.values)
    et, ei = np.array(mt.errors), np.array(mi.errors)
    # values within 0.01 sigma of iminuit's (module docstring)
    np.testing.assert_array_less(np.abs(vt - vi)[free], 0.01 * ei[free])
    # HESSE errors within 1 %: same second derivatives at (nearly) the same point
    np.testing.assert_allclose(et[free], ei[free], rtol=0.01)
    np.testing.assert_allclose(mt.fval, mi.fval, rtol=1e-6)  # both within EDM 2e-7 of the min
    # thetahat's Minuit subtracts the cost's ndof_offset (1 for a BinnedNLL, whose total is
    # fixed: bins - 1 free cells), a deliberate difference from iminuit
    off = getattr(mt._fcn, "ndof_offset", 0) if isinstance(mt, ThetahatMinuit) else 0
    assert mt.ndof == mi.ndof - off
    if np.isfinite(mi.fmin.reduced_chi2):
        # fval equal to 1e-6 relative and ndof equal (up to the offset)
        np.testing.assert_allclose(mt.fmin.reduced_chi2,
                                   mi.fmin.reduced_chi2 * mi.ndof / (mi.ndof - off), rtol=1e-6)
    else:
        assert not np.isfinite(mt.fmin.reduced_chi2)


# --- section 4: least squares -------------------------------------------------------------


def test_line_fit(TMinuit, line_data):
    """In[10]-In[15]: LeastSquares line fit, migrad + hesse."""
    x, y, ye = line_data
    mt, mi = both(TMinuit, tc.LeastSquares(x, y, ye, line), ic.LeastSquares(x, y, ye, line),
                  m=5.0, c=5.0)
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)
    assert mt.ndof == 9


def test_line_fit_positional_start(TMinuit, line_data):
    """In[12]: starting values passed as a sequence.

    iminuit 2.33 accepts ``Minuit(cost, [5.0, 5.0])`` but its migrad then calls the cost
    with one array and fails (``line() missing 1 required positional argument``); the
    reference here is iminuit started with the same values passed one by one.
    """
    x, y, ye = line_data
    mt = TMinuit(tc.LeastSquares(x, y, ye, line), [5.0, 5.0])
    mi = IMinuit(ic.LeastSquares(x, y, ye, line), 5.0, 5.0)
    mt.tol = mi.tol = TOL
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)


@pytest.mark.parametrize("name", [None, ("a", "b")])
def test_array_parameter_line(TMinuit, line_data, name):
    """In[22]-In[25]: np.polyval model with a parameter array, optional name=."""
    x, y, ye = line_data
    mt, mi = both(TMinuit, tc.LeastSquares(x, y, ye, line_np), ic.LeastSquares(x, y, ye, line_np),
                  (5.5, 6.0), name=name)
    assert list(mt.parameters) == list(mi.parameters)
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)


def test_cubic_and_varargs_model(TMinuit, line_data):
    """In[26]-In[27] and the appendix's ``line_np_version2(x, *par)``."""
    x, y, ye = line_data
    mt, mi = both(TMinuit, tc.LeastSquares(x, y, ye, line_np), ic.LeastSquares(x, y, ye, line_np),
                  (5.5, 4.1, 6.9, 0.4))
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)
    assert mt.ndof == 7
    names = ("p0", "p1", "p2", "p3")
    mt, mi = both(TMinuit, tc.LeastSquares(x, y, ye, line_np_version2, name=names),
                  ic.LeastSquares(x, y, ye, line_np_version2, name=names), 5.5, 4.1, 6.9, 0.4)
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)


EX1_X = np.array([-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dtype=float)
EX1_Y = np.array([343.39452514, 251.31914561, 186.7806368, 121.30027965, 45.23336652,
                  23.49470302, 18.46581766, 6.58329486, 1.98522328, -6.74799454,
                  -7.55489379, -29.55544088, -31.32898172, -36.27525348, -25.23860169,
                  -1.09156819, 52.32898397, 225.38126087, 460.67437131])
EX1_E = np.array([141.312, 86.205, 49.632, 26.877, 13.872, 7.197, 4.08, 2.397, 0.672, 1.923,
                  5.568, 9.795, 13.488, 14.883, 11.568, 0.483, 22.08, 60.477, 119.712])


@pytest.mark.parametrize("order", range(1, 11))
def test_exercise1_polynomials(TMinuit, order):
    """Exercise 1: polynomial fits of order 1-10 with an array-parameter model and name=."""
    start = np.ones(order + 1)
    name = [f"a{k}" for k in range(order, -1, -1)]
    mt, mi = both(TMinuit, tc.LeastSquares(EX1_X, EX1_Y, EX1_E, line_np),
                  ic.LeastSquares(EX1_X, EX1_Y, EX1_E, line_np), start, name=name)
    mt.migrad()
    mi.migrad()
    # independent oracle: weighted linear least squares (the model is linear)
    a = np.vander(EX1_X, order + 1) / EX1_E[:, None]
    exact = np.linalg.lstsq(a, EX1_Y / EX1_E, rcond=None)[0]
    cov = np.linalg.inv(a.T @ a)
    if TMinuit is IMinuit:
        assert_agree(mt, mi)
    else:
        # iminuit's own errors are off by up to 100x at orders >= 7 (correlations ~0.999
        # defeat its finite-difference Hessian), so the closed form is the oracle here
        assert mt.valid and mt.accurate
        mt.hesse()
        # a quadratic cost: finite differences are exact up to rounding x conditioning
        np.testing.assert_allclose(np.array(mt.errors), np.sqrt(np.diag(cov)), rtol=0.01)
        np.testing.assert_allclose(mt.fval, mi.fval, rtol=1e-6)  # both within EDM 2e-7
        assert mt.ndof == mi.ndof
    # within 0.01 sigma of the exact solution, like the comparison with iminuit
    np.testing.assert_array_less(np.abs(np.array(mt.values) - exact), 0.01 * np.sqrt(np.diag(cov)))


def test_limits_and_fix_release_sequence(TMinuit, line_data):
    """In[33]-In[38]: limits; fix m, fit; release m and fix c, fit; release all, fit."""
    x, y, ye = line_data
    mt, mi = both(TMinuit, tc.LeastSquares(x, y, ye, line), ic.LeastSquares(x, y, ye, line),
                  m=3, c=3)
    for m in (mt, mi):
        m.limits = [(0, None), (0, 10)]
        m.fixed["m"] = True
        m.migrad()
    assert_agree(mt, mi, hesse=False)
    # the next stage fixes c where each minimizer left it; both are within EDM 2e-7 of the
    # minimum but not at the same point, and d(fval)/dc ~ 600 at m = 3 would turn that
    # 1e-5 difference into 2e-5 of fval: start the stage from the same state instead
    mt.values = mi.values
    for m in (mt, mi):
        m.fixed["m"] = False
        m.fixed["c"] = True
        m.migrad()
    assert_agree(mt, mi, hesse=False)
    for m in (mt, mi):
        m.fixed = False
        m.migrad()
    assert_agree(mt, mi)


# --- section 5: maximum likelihood ----------------------------------------------------------

PEAK_LIMITS = {"z": (0, 1), "mu": (-1, 1), "sigma": (0, None)}


def test_unbinned_fit(TMinuit, peak):
    """In[56]-In[58]: UnbinnedNLL of the Gaussian peak on a flat background."""
    x, _, _ = peak
    mt, mi = both(TMinuit, tc.UnbinnedNLL(x, model_pdf), ic.UnbinnedNLL(x, model_pdf),
                  z=0.4, mu=0, sigma=0.2, limits=PEAK_LIMITS)
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)


def test_binned_fit(TMinuit, peak):
    """In[59]-In[60]: BinnedNLL with 50 bins."""
    _, n, xe = peak
    mt, mi = both(TMinuit, tc.BinnedNLL(n, xe, model_cdf), ic.BinnedNLL(n, xe, model_cdf),
                  z=0.4, mu=0, sigma=0.2, limits=PEAK_LIMITS)
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)


def test_extended_unbinned_fit(TMinuit, peak):
    """Appendix: ExtendedUnbinnedNLL with signal and background yields."""
    x, _, _ = peak
    lim = {"nsig": (0, None), "nbkg": (0, None), "mu": (-1, 1), "sigma": (0, None)}
    mt, mi = both(TMinuit, tc.ExtendedUnbinnedNLL(x, model_density_pdf),
                  ic.ExtendedUnbinnedNLL(x, model_density_pdf),
                  nsig=300, nbkg=1500, mu=0, sigma=0.2, limits=lim)
    mt.migrad()
    mi.migrad()
    assert_agree(mt, mi)


def test_extended_binned_masked_three_stages(TMinuit, peak):
    """Appendix In[108]-In[112]: mask the peak, fit the background; unmask, fix the
    background, fit the signal; release everything and fit again."""
    _, n, xe = peak
    centre = 0.5 * (xe[1:] + xe[:-1])
    ct = tc.ExtendedBinnedNLL(n, xe, model_density_cdf)
    ci = ic.ExtendedBinnedNLL(n, xe, model_density_cdf)
    mt, mi = both(TMinuit, ct, ci, nsig=300, nbkg=1500, mu=0, sigma=0.2)
    for m, c in ((mt, ct), (mi, ci)):
        m.limits["mu"] = (-1, 1)
        m.limits["nsig", "nbkg", "sigma"] = (0, None)
        m.fixed["mu", "sigma", "nsig"] = True
        c.mask = (centre < -0.5) | (0.5 < centre)
        m.migrad()
    assert mt.ndof == mi.ndof == 23  # 24 unmasked bins, one free parameter
    assert_agree(mt, mi, hesse=False)
    for m, c in ((mt, ct), (mi, ci)):
        c.mask = None
        m.fixed = False
        m.fixed["nbkg"] = True
        m.migrad()
    assert_agree(mt, mi, hesse=False)
    for m in (mt, mi):
        m.fixed = None
        m.migrad()
    assert_agree(mt, mi)


# --- exercises 4-8: the 30,000-event histogram ---------------------------------------------


def test_exercise6_exp_plus_gauss_least_squares(TMinuit, signal_hist):
    """Exercise 6: exponential + Gaussian LeastSquares fit to the binned energies."""
    x, n = signal_hist
    ye = np.sqrt(np.maximum(n, 1))  # the seed's advice: no zero errors
    start = dict(A=n[0], B=90, C=25, D=200, mu=124, sigma=3)
    lim = {"A": (0, None), "C": (0, None), "D": (0, None), "sigma": (0, None),
           "mu": (90, 200)}
    mt, mi = both(TMinuit, tc.LeastSquares(x, n, ye, exp_plus_gauss),
                  ic.LeastSquares(x, n, ye, exp_plus_gauss), limits=lim, **start)
    for m in (mt, mi):
        m.fixed["B"] = True  # A and B are degenerate (A exp(B/C)); the seed fits both
        m.migrad()
    assert_agree(mt, mi)


def test_exercise7_staged_masked_least_squares(TMinuit, signal_hist):
    """Exercise 7: fit the background with the peak masked, then the signal, then all."""
    x, n = signal_hist
    ye = np.sqrt(np.maximum(n, 1))
    ct = tc.LeastSquares(x, n, ye, exp_plus_gauss)
    ci = ic.LeastSquares(x, n, ye, exp_plus_gauss)
    mt, mi = both(TMinuit, ct, ci, A=n[0], B=90, C=20, D=150, mu=126, sigma=4,
                  limits={"A": (0, None), "C": (0, None)})
    for m, c in ((mt, ct), (mi, ci)):
        m.fixed["B", "D", "mu", "sigma"] = True
        c.mask = (x < 120) | (x > 130)
        m.migrad()
    assert_agree(mt, mi, hesse=False)
    for m, c in ((mt, ct), (mi, ci)):
        m.fixed = False
        m.fixed["A", "B", "C"] = True
        m.limits["D"] = (0, None)
        m.limits["sigma"] = (0, None)
        m.limits["mu"] = (90, 200)
        c.mask = None
        m.migrad()
    assert_agree(mt, mi, hesse=False)
    for m in (mt, mi):
        m.fixed = False
        m.fixed["B"] = True
        m.migrad()
    assert_agree(mt, mi)


def test_negative_pdf_makes_the_minimum_invalid(TMinuit):
    """A density that goes negative gives NaN, never a silent wrong answer: the minimum is
    invalid, or the fit raises when ``throw_nan`` is set."""
    x = np.random.default_rng(3).uniform(-1, 1, 500)

    def pdf(x, b):
        return (1 + b * x) / 2  # negative for some events when |b| > 1

    m = TMinuit(tc.UnbinnedNLL(x, pdf), b=3.0)
    if TMinuit is ThetahatMinuit:  # NaN at the start and one step either side: said so
        with pytest.warns(RuntimeWarning, match="not finite at the starting values"):
            m.migrad()
    else:
        m.migrad()
    assert not m.valid
    m = TMinuit(tc.UnbinnedNLL(x, pdf), b=3.0)
    m.throw_nan = True
    with pytest.raises(RuntimeError):
        m.migrad()
