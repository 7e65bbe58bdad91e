"""Issue 15, remaining items: masked curve_fit input, an unnormalised pdf in UnbinnedNLL,
a chi2 minimum next to a limit at 1e8, lsq_linear on a matrix without rows or columns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp
from scipy.stats import norm, truncexpon

import thetahat
from thetahat import Minuit
from thetahat.cost import ExtendedUnbinnedNLL, LeastSquares, UnbinnedNLL
from thetahat.cost._diagnose import normalisation_diagnosis


def _expo(x, a, b):
    return a * np.exp(-b * x)


def _plane(x, a, b, c):
    return a + b * x[0] + c * x[1]


@pytest.fixture
def data():
    rng = np.random.default_rng(15)
    x = np.linspace(0, 4, 30)
    y = 2.0 * np.exp(-0.7 * x) + rng.normal(0, 0.05, x.size)
    y[[3, 17]] = [50.0, np.nan]  # an outlier and a NaN, both to be masked
    mask = np.zeros(x.size, dtype=bool)
    mask[[3, 17]] = True
    return x, y, mask


def _close(got, want):
    # different solver implementations stop within their tolerances of the same minimum
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4)


@pytest.mark.parametrize("method", ["lm", "trf"])
def test_issue15_curve_fit_masked_ydata(data, method):
    x, y, m = data
    got = thetahat.curve_fit(_expo, x, np.ma.array(y, mask=m), method=method)
    _close(got, so.curve_fit(_expo, x[~m], y[~m], method=method))


def test_issue15_curve_fit_masked_xdata_and_sigma(data):
    x, y, m = data
    y = np.where(m, 0.0, y)
    s = np.linspace(0.04, 0.08, x.size)
    mx = np.zeros(x.size, bool)
    mx[3] = True
    ms = np.zeros(x.size, bool)
    ms[17] = True
    got = thetahat.curve_fit(_expo, np.ma.array(x, mask=mx), y,
                             sigma=np.ma.array(s, mask=ms))
    _close(got, so.curve_fit(_expo, x[~m], y[~m], sigma=s[~m]))


def test_issue15_curve_fit_masked_2d_sigma(data):
    x, y, m = data
    y = np.where(m, 0.0, y)
    s = np.linspace(0.04, 0.08, x.size)
    cov = 0.5 * np.diag(s ** 2) + 0.5 * np.outer(s, s) * np.exp(-np.subtract.outer(x, x) ** 2)
    cmask = m[:, None] | m[None, :]
    got = thetahat.curve_fit(_expo, x, y, sigma=np.ma.array(cov, mask=cmask))
    _close(got, so.curve_fit(_expo, x[~m], y[~m], sigma=cov[np.ix_(~m, ~m)]))


def test_issue15_curve_fit_masked_multidim_xdata():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, (2, 40))
    y = 1.0 + 2.0 * x[0] - 3.0 * x[1] + rng.normal(0, 0.1, 40)
    xm = np.ma.array(x, mask=np.zeros_like(x, dtype=bool))
    xm[1, 5] = np.ma.masked  # one coordinate masked: point 5 goes
    xm[0, 9] = np.ma.masked
    keep = np.ones(40, bool)
    keep[[5, 9]] = False
    got = thetahat.curve_fit(_plane, xm, y, p0=[0, 0, 0])
    _close(got, so.curve_fit(_plane, x[:, keep], y[keep], p0=[0, 0, 0]))


def test_issue15_curve_fit_mask_that_cannot_be_applied(data):
    x, y, m = data
    y = np.where(m, 0.0, y)
    with pytest.raises(ValueError, match=r"xdata is a masked array of shape \(30, 2\)"):
        thetahat.curve_fit(lambda t, a, b: a + b * t[:, 0], np.ma.array(
            np.stack([x, x], axis=1), mask=np.eye(30, 2, dtype=bool)), y)
    cov = np.diag(np.full(x.size, 0.01))
    bad = np.zeros(cov.shape, bool)
    bad[0, 1] = True  # one off-diagonal entry: no point to drop
    with pytest.raises(ValueError, match=r"sigma is a 2-D masked array .*entry \[0, 1\]"):
        thetahat.curve_fit(_expo, x, y, sigma=np.ma.array(cov, mask=bad))
    with pytest.raises(ValueError, match=r"sigma is a masked array of shape \(\)"):
        thetahat.curve_fit(_expo, x, y, sigma=np.ma.array(0.1, mask=True))


def _fit(cost, **start):
    m = Minuit(cost, **start)
    for k in start:
        m.limits[k] = (0.01, None)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m.migrad()
    return m, [str(i.message) for i in w]


def test_issue15_unnormalised_pdf_flagged():
    rng = np.random.default_rng(3)
    x = truncexpon.rvs(5.0, size=1000, random_state=rng)  # rate 1 on [0, 5]
    m, w = _fit(UnbinnedNLL(x, lambda t, a: np.exp(-a * t)), a=1.0)
    # the unnormalised likelihood runs to the limit a = 0.01, where the closed form of
    # the integral over the sample range is (e^{-a lo} - e^{-a hi}) / a
    assert m.values["a"] == pytest.approx(0.01)  # limit reached to MIGRAD's precision
    lo, hi = x.min(), x.max()
    closed = (np.exp(-0.01 * lo) - np.exp(-0.01 * hi)) / 0.01
    assert not m.valid
    (msg,) = [s for s in w if "not normalised" in s]
    assert f"integrates to {closed:.4g}" in msg and "ExtendedUnbinnedNLL" in msg


def test_issue15_normalised_pdfs_wider_than_sample_not_flagged():
    import iminuit
    import iminuit.cost as ic
    rng = np.random.default_rng(4)
    x = truncexpon.rvs(5.0, scale=1 / 1.3, size=800, random_state=rng)
    y = rng.normal(0.5, 1.2, 300)  # support R, sample range finite: I < 1

    def texp(t, a):
        return truncexpon.pdf(t, 5.0 * a, scale=1 / a)

    def gauss(t, mu, s):
        return norm.pdf(t, mu, s)

    for pdf, d, start in ((texp, x, dict(a=1.0)), (gauss, y, dict(mu=0.0, s=1.0))):
        m, w = _fit(UnbinnedNLL(d, pdf), **start)
        ref = iminuit.Minuit(ic.UnbinnedNLL(d, pdf), **start)
        for k in start:
            ref.limits[k] = (0.01, None)
        ref.migrad()
        assert m.valid and ref.valid and not w
        # both stop within EDM 2e-4 of the same minimum: values agree to ~1e-3 σ
        np.testing.assert_allclose(m.values, ref.values, atol=2e-3 * max(ref.errors))


def test_issue15_normalisation_diagnosis_nudged_parameter():
    rng = np.random.default_rng(5)
    ev = rng.uniform(0, 1, 500)
    rng_len = ev.max() - ev.min()

    def dens(t, q):  # uniform density scaled by 1 + 100 (q - 1): normalised at q = 1 only
        return np.full(t.shape, 1.0 + 100 * (q[0] - 1.0))

    out = normalisation_diagnosis(ev, dens, np.array([1.0]), np.array([True]))
    # nudged by 1 %: the integral is exactly 2 × the sample range (a constant integrand)
    assert len(out) == 1 and f"integrates to {2 * rng_len:.4g}" in out[0]
    assert "nudged to 1.01" in out[0]
    assert normalisation_diagnosis(ev, dens, np.array([1.0]), np.array([False])) == ()


def test_issue15_extended_unbinned_not_checked_for_normalisation():
    rng = np.random.default_rng(6)
    x = rng.exponential(1.0, 400)
    x = x[x < 5]
    # a scaled density (n × pdf) integrates to about n: that is not an error here
    m = Minuit(ExtendedUnbinnedNLL(x, lambda t, n, a: (n * (1 - np.exp(-5 * a)),
                                                       n * a * np.exp(-a * t))),
               n=300.0, a=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.migrad()
    assert m.valid
    # closed form of this extended fit: the expected count equals N at the minimum
    n, a = m.values
    assert n * (1 - np.exp(-5 * a)) == pytest.approx(x.size, rel=1e-4)  # MIGRAD's EDM


def _limit_fit(mod, y, x, sig):
    if mod == "iminuit":
        import iminuit
        import iminuit.cost as ic
        m = iminuit.Minuit(ic.LeastSquares(x, y, sig, lambda t, a: a + 0 * t), a=1e8 + 1)
    else:
        m = Minuit(LeastSquares(x, y, sig, lambda t, a: a + 0 * t), a=1e8 + 1)
    m.limits["a"] = (1e8, None)
    m.migrad()
    return m


@pytest.mark.parametrize("offset", [1e-3, 1e-1, 1.0])
def test_issue15_chi2_minimum_just_above_limit_1e8(offset):
    rng = np.random.default_rng(8)
    x = np.linspace(0, 1, 50)
    sig = 0.1
    y = 1e8 + offset + rng.normal(0, sig, x.size)
    m, ref = _limit_fit("thetahat", y, x, sig), _limit_fit("iminuit", y, x, sig)
    assert m.valid and ref.valid
    # closed form: the weighted mean, clipped at the limit; 1e8 carries ~1.5e-8 of
    # rounding per ulp and MIGRAD stops within EDM 2e-4, i.e. 0.02 σ = 3e-4
    want = max(y.mean(), 1e8)
    assert m.values["a"] == pytest.approx(want, abs=3e-4)
    assert m.values["a"] == pytest.approx(ref.values["a"], abs=3e-4)


def test_issue15_chi2_minimum_beyond_limit_1e8_valid():
    # the minimum lies 1000 σ-units below the limit: MIGRAD stops at u ≈ 0 of the sqrt
    # transform, where x moves by u²/2, below one ulp of 1e8 for the step the curvature
    # asks for; HESSE keeps its steps above the largest one over which F was flat
    rng = np.random.default_rng(3)
    x = np.linspace(0, 1, 50)
    y = 1e8 - 1000 + rng.normal(0, 0.1, x.size)
    ref = _limit_fit("iminuit", y, x, 0.1)
    assert ref.valid and ref.fmin.has_parameters_at_limit
    m = _limit_fit("thetahat", y, x, 0.1)
    assert m.valid and m.fmin.has_parameters_at_limit and m.fmin.has_accurate_covar
    assert m.params["a"].at_lower_limit and not m.params["a"].at_upper_limit
    # closed form: the constrained minimum is the limit itself (exactly representable)
    assert m.values["a"] == ref.values["a"] == 1e8
    # the external error at a limit is dx/du · σ_u ≈ 0 in both: below 10 ulps of 1e8
    assert 0 <= m.errors["a"] < 1.5e-7 and 0 <= ref.errors["a"] < 1.5e-7


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_issue15_lsq_linear_empty_matrix_refused(shape):
    A = np.zeros(shape)
    b = np.zeros(shape[0])
    if shape[0]:
        # the reference returns an empty x as "optimal"
        assert so.lsq_linear(A, b).x.size == 0
    what = "rows" if shape[0] == 0 else "columns"
    for a in (A, sp.csr_array(A)):
        with pytest.raises(ValueError, match=rf"A has no {what} \(shape \({shape[0]}, "
                                             rf"{shape[1]}\)\)"):
            thetahat.lsq_linear(a, b)
