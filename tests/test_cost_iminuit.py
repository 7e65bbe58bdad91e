"""thetahat.cost against iminuit 2.33's iminuit.cost on the same seeded data: the Template
costs and their statistics functions, weighted histograms, data setters, masks, sums.

Where the formula is the same, values agree to rounding: rtol 1e-12 (a few ulps of sums of
O(10) terms of size O(1)). Fit results are compared at the fit tolerance: a small fraction
of the parameter's uncertainty.
"""

from __future__ import annotations

import warnings
from typing import Annotated

import numpy as np
import pytest
from iminuit import Minuit as IMinuit
from iminuit import cost as ic
from numpy.testing import assert_allclose, assert_equal

from thetahat import Minuit
from thetahat import cost as tc

RTOL = 1e-12  # same formula, same data: only summation-order rounding differs


def expon_cdf(x, a):
    return -np.expm1(-x / a)


def scaled_expon_cdf(x, n, a):
    return n * -np.expm1(-x / a)


def expon_grad(x, a):
    return (-x / a**2 * np.exp(-x / a))[np.newaxis]


@pytest.fixture
def template_data():
    rng = np.random.default_rng(11)
    xe = np.linspace(0, 2, 9)
    t = rng.poisson([np.linspace(40, 5, 8), np.linspace(3, 30, 8)]).astype(float)
    n = rng.poisson(0.5 * t[0] + 1.5 * t[1]).astype(float)
    return n, xe, t


@pytest.mark.parametrize("name", ["template_chi2_jsc", "template_chi2_da", "template_nll_asy"])
def test_template_statistics_functions_match_iminuit(name):
    rng = np.random.default_rng(3)
    n = rng.poisson(5, size=20).astype(float)
    n[:3] = 0
    mu = rng.uniform(0.5, 9, size=20)
    var = rng.uniform(0.1, 4, size=20)
    assert_allclose(getattr(tc, name)(n, mu, var), getattr(ic, name)(n, mu, var), rtol=RTOL)


@pytest.mark.parametrize("method", ["da", "jsc", "asy"])
@pytest.mark.parametrize("weighted_data", [False, True])
@pytest.mark.parametrize("weighted_templates", [False, True])
def test_template_value_and_prediction_match_iminuit(template_data, method, weighted_data,
                                                     weighted_templates):
    n, xe, t = template_data
    if weighted_data:
        n = np.transpose((n, 1.7 * n + 0.5))
    if weighted_templates:
        t = np.stack([t, 2.5 * t], axis=-1)
    ours, ref = tc.Template(n, xe, t, method=method), ic.Template(n, xe, t, method=method)
    assert ours.errordef == ref.errordef
    assert ours._parameters == ref._parameters  # yields x0, x1 limited to [0, inf)
    for p in [(10.0, 80.0), (60.0, 60.0), (1.0, 200.0)]:
        assert_allclose(ours(*p), ref(*p), rtol=RTOL)
        for a, b in zip(ours.prediction(p), ref.prediction(p)):
            assert_allclose(a, b, rtol=RTOL)
    mask = np.arange(8) != 3
    ours.mask, ref.mask = mask, mask
    assert ours.ndata == ref.ndata == 7
    assert_allclose(ours(20.0, 70.0), ref(20.0, 70.0), rtol=RTOL)
    assert_allclose(ours.pulls((20.0, 70.0)), ref.pulls((20.0, 70.0)), rtol=RTOL)


def test_template_with_a_parametric_component_matches_iminuit(template_data):
    n, xe, t = template_data
    comps = (t[0], scaled_expon_cdf)
    ours, ref = tc.Template(n, xe, comps), ic.Template(n, xe, comps)
    assert list(ours._parameters) == list(ref._parameters) == ["x0", "x1_n", "x1_a"]
    for p in [(20.0, 100.0, 1.0), (50.0, 60.0, 0.5)]:
        # the model bins have no template variance: iminuit floors it at 1e-300, where the
        # 'da' cost equals the Poisson deviance to rounding
        assert_allclose(ours(*p), ref(*p), rtol=RTOL)
    named = tc.Template(n, xe, comps, name=("bkg", "sig_n", "sig_a"))
    assert list(named._parameters) == ["bkg", "sig_n", "sig_a"]


@pytest.mark.parametrize("method", ["da", "jsc", "asy"])
def test_template_fit_matches_iminuit(template_data, method):
    n, xe, t = template_data
    fits = []
    for M, C in ((Minuit, tc.Template), (IMinuit, ic.Template)):
        m = M(C(n, xe, t, method=method), 50.0, 50.0)
        m.migrad()
        assert m.valid
        fits.append(m)
    ours, ref = fits
    # both stop within the EDM goal: the minima agree to a small fraction of an error
    assert_allclose(ours.values, ref.values, atol=0.05 * min(ref.errors))
    assert_allclose(ours.errors, ref.errors, rtol=0.02)  # HESSE at slightly different points
    assert ours.fval == pytest.approx(ref.fval, abs=1e-3)  # EDM goal 2e-4 * errordef


def test_template_bad_input_and_old_method_name():
    with pytest.raises(ValueError, match="do not match"):
        tc.Template([1, 2], [1, 2, 3], [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(ValueError, match="not understood"):
        tc.Template([1], [1, 2], [[1]], method="foo")
    with pytest.raises(ValueError, match="number of names"):
        tc.Template([1], [1, 2], [[1]], name=("b", "s"))
    with pytest.raises(ValueError, match=r"model_or_template\[1\]"):
        tc.Template([1], [1, 2], [[1], None])
    with pytest.warns(FutureWarning):
        c = tc.Template([1, 2], [0, 1, 2], [[1, 1], [2, 1]], method="hpd")
    ref = ic.Template([1, 2], [0, 1, 2], [[1, 1], [2, 1]], method="da")
    assert_allclose(c(1.0, 2.0), ref(1.0, 2.0), rtol=RTOL)


def test_asy_without_template_variance_is_the_poisson_likelihood():
    # deliberate difference: iminuit evaluates the gamma functions at alpha ~ 1e300 for a
    # zero variance and loses all digits; the limit var -> 0 is the Poisson likelihood
    from scipy.stats import poisson

    n, mu = np.array([1.0, 4.0]), np.array([1.5, 2.5])
    expect = -np.sum(poisson.logpmf(n, mu))
    assert_allclose(tc.template_nll_asy(n, mu, [0.0, 0.0]), expect, rtol=RTOL)


def test_multinomial_chi2_keeps_a_count_in_an_empty_prediction_expensive():
    # deliberate difference: iminuit returns 0 for n = 1, mu = 0 (its log of 0 is 0);
    # the deviance of a count where nothing is expected is huge, which keeps fits away
    assert ic.multinomial_chi2(np.array(1), np.array(0)) == 0
    assert tc.multinomial_chi2(np.array(1), np.array(0)) > 1e3


@pytest.mark.parametrize("cls", ["BinnedNLL", "ExtendedBinnedNLL"])
def test_weighted_histogram_value_and_gradient_match_iminuit(cls):
    rng = np.random.default_rng(5)
    xe = np.linspace(0, 4, 9)
    nw = rng.poisson(30 * np.exp(-xe[:-1])).astype(float)
    w = np.transpose((1.3 * nw, 1.9 * nw + 0.2))
    model, grad, args = ((expon_cdf, expon_grad, (1.3,)) if cls == "BinnedNLL" else
                         (scaled_expon_cdf, None, (50.0, 1.3)))
    ours = getattr(tc, cls)(w, xe, model, grad=grad)
    ref = getattr(ic, cls)(w, xe, model, grad=grad)
    assert_allclose(ours(*args), ref(*args), rtol=RTOL)
    if grad is not None:
        assert_allclose(ours.grad(*args), ref.grad(*args), rtol=1e-10)  # same formula
    ours.mask = ref.mask = np.arange(8) != 2
    assert_allclose(ours(*args), ref(*args), rtol=RTOL)


def test_negative_weighted_count_is_bounded_below():
    # deliberate difference: for sum w < 0 iminuit keeps -n ln(mu) and the cost falls
    # without bound as mu -> 0; thetahat keeps 2 (mu - n), minimal at mu = 0
    w = np.array([[-1.6, 15.3]])
    xe = [0.0, 1.0]
    c = tc.ExtendedBinnedNLL(w, xe, lambda x, n: n * x)
    s = 1.6 / 15.3  # the Bohm-Zech scale |sum w| / sum w^2
    for n in (1e-8, 0.5, 3.0):
        assert_allclose(c(n), 2 * (n * s + 1.6 * s), rtol=RTOL)  # closed form


def test_binned_data_setters_and_in_place_edits_match_iminuit():
    xe = np.arange(0.0, 4.0)
    n = np.diff(expon_cdf(xe, 1.0)) * 10 + 1
    ours, ref = tc.BinnedNLL(n.copy(), xe, expon_cdf), ic.BinnedNLL(n.copy(), xe, expon_cdf)
    n2 = n + [1, 0, 2]
    ours.n, ref.n = n2, n2
    assert_allclose(ours(1.2), ref(1.2), rtol=RTOL)
    ours.n[1] += 3  # no setter: the cost reads its counts
    ref.n[1] += 3
    assert_allclose(ours(1.2), ref(1.2), rtol=RTOL)
    ours.mask = ref.mask = [0, 2]  # an index mask
    assert ours.ndata == ref.ndata == 2
    assert_allclose(ours(1.2), ref(1.2), rtol=RTOL)
    # NaN in the masked bin in both
    assert_allclose(ours.pulls((1.2,)), ref.pulls((1.2,)), rtol=RTOL, equal_nan=True)


def test_least_squares_setters_and_scalars_match_iminuit():
    def model(x, a, b):
        return a + b * x

    ours, ref = tc.LeastSquares(1, 2, 3, model), ic.LeastSquares(1, 2, 3, model)
    assert_equal(ours.x, ref.x)
    assert_equal(ours.yerror, ref.yerror)
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.5, 2.9])
    ours, ref = tc.LeastSquares(x, y, 0.5, model), ic.LeastSquares(x, y, 0.5, model)
    for attr, value in (("y", y + 0.3), ("x", x * 2), ("yerror", [0.1, 0.2, 0.3])):
        setattr(ours, attr, value)
        setattr(ref, attr, value)
        assert_allclose(ours(1.0, 2.0), ref(1.0, 2.0), rtol=RTOL)
    ours.data = ref.data = np.column_stack((x, y, [1.0, 1.0, 2.0]))
    assert_allclose(ours(1.0, 0.5), ref(1.0, 0.5), rtol=RTOL)
    with pytest.raises(ValueError):
        ours.y = [1.0, 2.0]  # the number of points is fixed, as in iminuit
    zero = tc.LeastSquares(x, y, [0.1, 0.0, 0.1], model)
    assert_equal(np.isnan(zero.pulls((1.0, 1.0))), [False, True, False])


def test_unbinned_properties_and_setters_match_iminuit():
    rng = np.random.default_rng(7)
    x = rng.normal(size=20)

    def logpdf(x, mu, sigma):
        return -0.5 * ((x - mu) / sigma) ** 2 - np.log(np.sqrt(2 * np.pi) * sigma)

    ours = tc.UnbinnedNLL(x, logpdf, log=True)
    ref = ic.UnbinnedNLL(x, logpdf, log=True)
    xs = np.linspace(-1, 1, 5)
    assert_allclose(ours.pdf(xs, 0.1, 1.2), ref.pdf(xs, 0.1, 1.2), rtol=RTOL)
    assert_allclose(ours.scaled_pdf(xs, 0.1, 1.2), ref.scaled_pdf(xs, 0.1, 1.2), rtol=RTOL)
    with pytest.raises(AttributeError):
        ours.pdf = None
    ours.data = ref.data = x + 1
    # -2 sum ln f in both (errordef 1): the same sum of logs
    assert_allclose(ours(0.5, 1.1), ref(0.5, 1.1), rtol=RTOL)
    with pytest.raises(ValueError):
        ours.data = x[:5]
    nan = tc.UnbinnedNLL([1.0, np.nan, 2.0], lambda x, a: np.exp(-(x - a) ** 2))
    assert np.isnan(nan(0.0))
    nan.mask = [True, False, True]
    assert np.isfinite(nan(0.0))


def test_unbinned_fisher_information_is_the_inverse_covariance():
    rng = np.random.default_rng(8)
    x = rng.normal(0.2, 1.5, size=400)

    def pdf(x, mu, sigma):
        return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (np.sqrt(2 * np.pi) * sigma)

    c = tc.UnbinnedNLL(x, pdf)
    mu, sigma = np.mean(x), np.std(x)  # the maximum-likelihood estimate
    fi = c.fisher_information(mu, sigma)
    # closed form of the expected information of a normal sample: N diag(1, 2) / sigma^2;
    # the score outer products estimate it to O(1/sqrt(N)) ~ 5 %, for 2 sigma: 15 %
    assert_allclose(np.diag(fi), len(x) * np.array([1.0, 2.0]) / sigma**2, rtol=0.15)
    assert_allclose(c.covariance(mu, sigma) @ fi, np.eye(2), atol=1e-12)  # an inverse


def test_cost_sum_counts_likelihood_terms_twice_as_iminuit():
    t = [[1.0, 1.0], [0.0, 1.0]]
    ours = tc.CostSum(tc.Template([1, 2], [1, 2, 3], t, method="asy"))
    ref = ic.CostSum(ic.Template([1, 2], [1, 2, 3], t, method="asy"))
    assert ours.errordef == ref.errordef == 1.0
    assert_allclose(ours(1.0, 2.0), ref(1.0, 2.0), rtol=RTOL)
    s = tc.NormalConstraint("a", 1.0, 2.0) + tc.NormalConstraint(("b", "a"), (1, 1), (2, 2))
    assert s.index(s[1]) == 1 and s.count(s[0]) == 1  # a Sequence of its terms


def test_normal_constraint_covariance_and_setters_match_iminuit():
    ours = tc.NormalConstraint(("a", "b"), (1.0, 2.0), (3.0, 4.0))
    ref = ic.NormalConstraint(("a", "b"), (1.0, 2.0), (3.0, 4.0))
    assert_equal(ours.covariance, ref.covariance)  # the variances (9, 16)
    ours.value = ref.value = [5.0, 6.0]
    ours.covariance = ref.covariance = [2.0, 1.0]
    assert_allclose(ours(4.0, 7.0), ref(4.0, 7.0), rtol=RTOL)
    ours.covariance = [[2.0, 0.5], [0.5, 1.0]]  # iminuit keeps the shape it was made with
    d = np.array([-1.0, 1.0])
    assert_allclose(ours(4.0, 7.0), d @ np.linalg.inv([[2.0, 0.5], [0.5, 1.0]]) @ d,
                    rtol=RTOL)  # closed form
    with pytest.raises(ValueError, match="positive definite"):
        ours.covariance = [[1, 1], [1, 1]]


def test_annotated_limits_and_old_names():
    def pdf(x, mu, sigma: Annotated[float, 0:]):
        return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / sigma

    c = tc.UnbinnedNLL([0.0, 1.0], pdf)
    assert c._parameters == ic.UnbinnedNLL([0.0, 1.0], pdf)._parameters
    assert (tc.NormalConstraint("mu", 0, 1) + c)._parameters["sigma"] == (0, np.inf)
    with pytest.warns(FutureWarning):
        assert tc.BarlowBeestonLite is tc.Template


def test_list_output_warns_as_iminuit():
    with pytest.warns(tc.PerformanceWarning):
        tc.UnbinnedNLL([1.0], lambda x, a: [0.5 for _ in x])(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tc.UnbinnedNLL([1.0], lambda x, a: np.full(len(x), 0.5))(1.0)  # arrays: silent


@pytest.mark.parametrize("method", ["da", "jsc", "asy"])
@pytest.mark.parametrize("weighted_data", [False, True])
def test_template_structured_gradient_matches_differences_of_the_value(template_data, method,
                                                                       weighted_data):
    n, xe, t = template_data
    if weighted_data:
        n = np.transpose((n, 1.7 * n + 0.5))
    c = tc.Template(n, xe, (t[0], t[1], scaled_expon_cdf), method=method)
    c.mask = np.arange(8) != 5
    p = np.array([30.0, 70.0, 20.0, 0.8])
    value, g, h = c.gauss_newton(p)
    assert value == pytest.approx(c(*p), rel=RTOL)  # the same sum
    # brute-force oracle: central differences of the value, step 1e-5 relative; both
    # sides carry ~1e-8 relative error from their differences
    ref = np.empty(4)
    for j in range(4):
        e = np.zeros(4)
        e[j] = 1e-5 * p[j]
        ref[j] = (c(*(p + e)) - c(*(p - e))) / (2 * e[j])
    assert_allclose(g, ref, rtol=1e-5, atol=1e-7)
    assert np.all(np.linalg.eigvalsh(h) >= -1e-12 * np.abs(h).max())  # positive semi-definite


# --- in-place edits, visualize sampling, mu = 0 bins -----------------------------------------

def _lsq_line(x, a):
    return a * x


def test_least_squares_in_place_edits_as_iminuit():
    ours = tc.LeastSquares([1.0, 2.0], [1.0, 5.0], 1.0, _lsq_line)
    theirs = ic.LeastSquares([1.0, 2.0], [1.0, 5.0], 1.0, _lsq_line)
    for c in (ours, theirs):
        c.x[0] = 10
        c.data[1, 1] = 99
        c.yerror[:] = 2
    assert_allclose(ours(2.0), theirs(2.0), rtol=RTOL)
    assert_equal(ours.data, theirs.data)
    for c in (ours, theirs):
        c.data = np.column_stack(([2.0, 4.0], [4.0, 8.0], [1.0, 1.0]))
        c.y[1] = 9.0
    assert_allclose(ours(1.0), theirs(1.0), rtol=RTOL)


@pytest.mark.parametrize("x", [[1.0, 2.0], [1.0, 10.0, 100.0]])
def test_least_squares_visualize_points_as_iminuit(x):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    y = np.arange(len(x)) + 2.0
    ours = tc.LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x)
    theirs = ic.LeastSquares(x, y, 0.1, lambda x, a, b: a + b * x)
    for npts in (0, 10):
        (_, _, _), (xm, _) = ours.visualize((1.0, 2.0), model_points=npts)
        (_, _, _), (xr, _) = theirs.visualize((1.0, 2.0), model_points=npts)
        assert len(xm) == len(xr)
        assert_allclose(xm[[0, -1]], xr[[0, -1]], rtol=RTOL)
    plt.close("all")


def test_multinomial_chi2_penalises_zero_prediction_in_filled_bin():
    # deliberate difference: iminuit drops the term n ln(n / mu) where mu = 0, so a model
    # that predicts nothing where there are counts is rewarded; ours (ln of the smallest
    # positive double) keeps it the worst point. Oracle: the same cost at a nonzero mu.
    def model(xe, a):
        return np.where(xe < 1.5, a * xe, xe)

    n, xe = [1.0, 2.0], [0.0, 1.0, 2.0]
    ours, theirs = tc.BinnedNLL(n, xe, model), ic.BinnedNLL(n, xe, model)
    assert theirs(0.0) < theirs(0.5)  # the reference's flaw
    assert ours(0.0) > ours(0.5)
    assert tc.multinomial_chi2(np.array(1.0), np.array(0.0)) > 1e3
    assert ic.multinomial_chi2(np.array(1.0), np.array(0.0)) == 0


def test_binned_numerical_pdf_refused_in_several_dimensions_as_iminuit():
    xe = (np.array([0.0, 0.1]), np.array([0.1, 0.3, 0.4]))
    n = [[1.0, 2.0]]

    def pdf(r, mx, my):
        return np.exp(-0.5 * ((r[0] - mx) ** 2 + (r[1] - my) ** 2))

    msg = 'use_pdf="numerical" is not supported for multidimensional histograms'
    for cls in (ic.BinnedNLL, tc.BinnedNLL):
        with pytest.raises(ValueError, match=msg):
            cls(n, xe, pdf, use_pdf="numerical")
