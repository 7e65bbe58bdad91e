"""thetahat.curve_fit against scipy.optimize.curve_fit on the same data (issue 2).

popt agrees to 1e-6 relative (both solvers stop at tolerances ~1e-8 on a well-posed
minimum), pcov to 1e-4 relative (Jacobians by finite differences at slightly different
points), and the closed form of a linear model is checked exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

from thetahat import curve_fit
from thetahat.scipy_api._curve_fit import OptimizeWarning


def _close_cov(c, cs, rtol=1e-4):
    """Covariances agree to rtol of sqrt(C_ii C_jj): near-zero correlations included."""
    d = np.sqrt(np.diag(cs))
    z = np.abs(c - cs) / np.outer(d, d)
    assert z.max() <= rtol, z


def line(x, a, b):
    return a + b * x


def gauss(x, a, mu, s):
    return a * np.exp(-((x - mu) ** 2) / (2 * s * s))


def expo(x, a, c):
    return a * np.exp(-x / c)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    x = np.linspace(-3, 3, 50)
    y = gauss(x, 2.0, 0.3, 0.8) + rng.normal(0, 0.05, x.size)
    return x, y


@pytest.mark.parametrize("method", [None, "trf", "dogbox", "lm"])
@pytest.mark.parametrize("absolute_sigma", [False, True])
def test_gauss_against_scipy(data, method, absolute_sigma):
    x, y = data
    sigma = np.full(x.size, 0.05)
    kw = dict(p0=[1, 0, 1], sigma=sigma, absolute_sigma=absolute_sigma, method=method)
    p, c = curve_fit(gauss, x, y, **kw)
    ps, cs = so.curve_fit(gauss, x, y, **kw)
    np.testing.assert_allclose(p, ps, rtol=1e-6)  # same minimum (module docstring)
    _close_cov(c, cs)  # FD Jacobians at ~the same point


def test_bounds_and_2d_sigma(data):
    x, y = data
    cov = 0.05**2 * (np.eye(x.size) + 0.3 * np.eye(x.size, k=1) + 0.3 * np.eye(x.size, k=-1))
    bounds = ([0, -1, 0.1], [10, 1, 5])
    p, c = curve_fit(gauss, x, y, p0=[1, 0, 1], sigma=cov, bounds=bounds, absolute_sigma=True)
    ps, cs = so.curve_fit(gauss, x, y, p0=[1, 0, 1], sigma=cov, bounds=bounds, absolute_sigma=True)
    np.testing.assert_allclose(p, ps, rtol=1e-6)
    _close_cov(c, cs)  # FD Jacobians at ~the same point


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_bounded_fit_stops_as_scipy(data, method):
    """curve_fit's bounded fits stop by scipy's rules (least_squares itself confirms a met
    tolerance further, for NIST-grade digits): the same evaluations and the same answer."""
    x, y = data
    kw = dict(p0=[1, 0, 1], bounds=([0, -1, 0.1], [10, 1, 5]), method=method,
              full_output=True)
    p, _, info, _, _ = curve_fit(gauss, x, y, **kw)
    ps, _, infos, _, _ = so.curve_fit(gauss, x, y, **kw)
    assert info["nfev"] == infos["nfev"]  # the same iterates, the same stopping test
    np.testing.assert_allclose(p, ps, rtol=1e-8)  # same steps: agreement to rounding


def test_linear_model_closed_form():
    x = np.linspace(0, 1, 11)
    y = 1 + 2 * x + np.random.default_rng(1).normal(0, 0.1, 11)
    p, c = curve_fit(line, x, y, sigma=np.full(11, 0.1), absolute_sigma=True)
    a = np.vstack([np.ones_like(x), x]).T / 0.1
    exact = np.linalg.lstsq(a, y / 0.1, rcond=None)[0]
    np.testing.assert_allclose(p, exact, rtol=1e-9)  # solved to ~machine precision
    np.testing.assert_allclose(c, np.linalg.inv(a.T @ a), rtol=1e-6)  # FD Jacobian ~1e-8


def test_p0_from_signature_and_scaling():
    x = np.linspace(0, 5, 30)
    y = expo(x, 3.0, 1.5) * (1 + np.random.default_rng(2).normal(0, 0.01, x.size))
    p1, c1 = curve_fit(expo, x, y, sigma=np.full(x.size, 0.1))
    p2, c2 = curve_fit(expo, x, y, sigma=np.full(x.size, 10.0))
    np.testing.assert_allclose(p1, p2, rtol=1e-7)  # sigma's scale does not move the minimum
    np.testing.assert_allclose(c1, c2, rtol=1e-5)  # and, relative, not the covariance


def test_rank_deficient_gives_inf():
    x = np.linspace(0, 1, 10)
    with pytest.warns(OptimizeWarning):
        p, c = curve_fit(lambda x, a, b: (a + b) * x, x, 2 * x, p0=[1, 1])
    assert np.all(np.isinf(c))  # a and b enter only as a + b: no covariance exists


def test_nan_policy_omit_and_full_output():
    x = np.linspace(0, 1, 12)
    y = 1 + 2 * x
    y[3] = np.nan
    p, c, info, mesg, ier = curve_fit(line, x, y, nan_policy="omit", full_output=True)
    np.testing.assert_allclose(p, [1, 2], rtol=1e-9)  # exact data: exact answer
    assert info["nfev"] > 0 and ier in (1, 2, 3, 4) and isinstance(mesg, str)


@pytest.mark.parametrize("kwargs, match", [
    (dict(xdata=[0, 1, 2], ydata=[0, np.nan, 1]), r"ydata\[1\]"),
    (dict(xdata=[0, 1, 2], ydata=[0, 1]), "points"),
    (dict(xdata=[0, 1, 2], ydata=[0, 1, 2], sigma=[1, 0, 1]), r"sigma\[1\]"),
    (dict(xdata=[0, 1, 2], ydata=[0, 1, 2], sigma=[1, 1]), "sigma"),
    (dict(xdata=[0, 1, 2], ydata=[0, 1, 2], bounds=([0, 0], [1, 1]), method="lm"), "bounds"),
    (dict(xdata=[0, 1, 2], ydata=[0, 1, 2], p0=[1, np.nan]), r"p0\[1\] = nan is not finite$"),
    (dict(xdata=[0, np.inf, 2], ydata=[0, 1, 2]), r"xdata\[1\] = inf"),
    (dict(xdata=[0, 1, 2], ydata=[0, 1, 2], sigma=[1, -2, 1]), r"sigma\[1\] = -2"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        curve_fit(line, **kwargs)
