"""thetahat.curve_fit against scipy.optimize.curve_fit, feature by feature, on the same data.

Tolerances: popt to 1e-6 relative where both stop at tolerances ~1e-8 on a well-posed
minimum; pcov to 1e-4 of sqrt(C_ii C_jj) (finite-difference Jacobians at slightly
different points); quantities of a linear model (constant Jacobian) to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import Bounds, OptimizeWarning

from conftest import reference
from thetahat import curve_fit
from thetahat.scipy_api import _curve_fit

METHODS = ["lm", "trf", "dogbox"]


def _close_cov(c, cs, rtol=1e-4):
    """Covariances agree to rtol of sqrt(C_ii C_jj): near-zero correlations included."""
    d = np.sqrt(np.diag(cs))
    z = np.abs(c - cs) / np.outer(d, d)
    assert z.max() <= rtol, z


def expo(x, a, b):
    return a * np.exp(-b * x)


def expo_jac(x, a, b):
    e = np.exp(-b * x)
    return np.vstack((e, -a * x * e)).T


def line(x, a, b):
    return a * x + b


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    x = np.linspace(0, 2, 30)
    return x, expo(x, 2.5, 1.3) + rng.normal(0, 0.05, x.size)


def both(*args, **kwargs):
    return curve_fit(*args, **kwargs), so.curve_fit(*args, **kwargs)


def assert_same_fit(ours, ref, rtol_p=1e-6, rtol_c=1e-4):
    np.testing.assert_allclose(ours[0], ref[0], rtol=rtol_p)  # same minimum (docstring)
    _close_cov(ours[1], ref[1], rtol_c)


# ----------------------------------------------------------------------------- sigma
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("absolute_sigma", [False, True])
def test_scalar_sigma(data, method, absolute_sigma):
    x, y = data
    ours, ref = both(expo, x, y, sigma=0.05, absolute_sigma=absolute_sigma, method=method)
    assert_same_fit(ours, ref)
    full = curve_fit(expo, x, y, sigma=np.full(x.size, 0.05), absolute_sigma=absolute_sigma,
                     method=method)
    np.testing.assert_allclose(ours[1], full[1], rtol=1e-12)  # the same residuals exactly


@pytest.mark.parametrize("method", METHODS)
def test_covariance_sigma(data, method):
    x, y = data
    i = np.arange(x.size)
    cov = 0.05**2 * 0.4 ** np.abs(i[:, None] - i[None, :])  # AR(1) correlations
    ours, ref = both(expo, x, y, sigma=cov, absolute_sigma=True, method=method)
    assert_same_fit(ours, ref)
    ours, ref = both(expo, x, y, sigma=cov, jac=expo_jac, method=method)
    assert_same_fit(ours, ref)


def test_covariance_not_positive_definite(data):
    x, y = data
    bad = np.eye(x.size)
    bad[0, 0] = -1.0
    with pytest.raises(ValueError, match="positive definite"):
        so.curve_fit(expo, x, y, sigma=bad)
    with pytest.raises(ValueError, match="positive definite"):
        curve_fit(expo, x, y, sigma=bad)


@pytest.mark.parametrize("sigma", [np.ones(3), np.ones((3, 3)), np.ones((2, 2, 2))])
def test_sigma_of_wrong_shape(data, sigma):
    x, y = data
    with pytest.raises(ValueError, match="incorrect shape"):
        so.curve_fit(expo, x, y, sigma=sigma)
    with pytest.raises(ValueError, match="incorrect shape"):
        curve_fit(expo, x, y, sigma=sigma)


# ----------------------------------------------------------------------------- data
@pytest.mark.parametrize("method", METHODS)
def test_ydata_broadcasts(method):
    x = np.arange(10.0)
    target = 4.7 * x**2 + 3.5 * x + np.random.default_rng(3).random(10)

    def model(x, a, b):
        return a * x**2 + b * x - target
    ours, ref = both(model, x, 0, method=method)
    assert_same_fit(ours, ref)


def test_xdata_any_object():
    """A dict goes to f unchanged, as scipy passes it."""
    xs = {"t": np.linspace(0, 1, 12), "k": 3.0}
    y = 2 * np.exp(-1.5 * xs["t"]) + xs["k"]

    def model(d, a, b):
        return a * np.exp(-b * d["t"]) + d["k"]
    ours, ref = both(model, xs, y, p0=[1, 1])
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-6)  # same minimum (docstring)
    np.testing.assert_allclose(ours[0], [2, 1.5], rtol=1e-7)  # exact data


def test_xdata_with_k_predictors(data):
    x, y = data
    xx = np.vstack([x, x**2])

    def model(xx, a, b, c):
        return a * np.exp(-b * xx[0]) + c * xx[1]
    ours, ref = both(model, xx, y)
    assert_same_fit(ours, ref)


def test_check_finite(data):
    x, y = data
    y = y.copy()
    y[3] = np.nan
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(ValueError):
            fn(expo, x, y)  # check_finite=None means True without nan_policy
        with pytest.raises(ValueError):
            reference(lambda fn=fn: fn(expo, x, y, check_finite=True, nan_policy="omit"),
                      "nan_policy")


def test_empty_ydata():
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(ValueError):
            fn(lambda x, a: a * x, [], [])


# ----------------------------------------------------------------------------- nan_policy
@pytest.fixture
def nan_data(data):
    x, y = data
    x, y = x.copy(), y.copy()
    x[[2, 9]] = np.nan
    y[[5, 9, 20]] = np.nan
    return x, y


@pytest.mark.parametrize("method", METHODS)
def test_nan_policy_omit(nan_data, method):
    x, y = nan_data
    sigma = np.linspace(0.04, 0.06, x.size)
    kw = dict(sigma=sigma, nan_policy="omit", method=method)
    ref = reference(lambda: so.curve_fit(expo, x, y, **kw), "nan_policy")
    ours = curve_fit(expo, x, y, **kw)
    assert_same_fit(ours, ref)
    keep = np.isfinite(x) & np.isfinite(y)
    direct = curve_fit(expo, x[keep], y[keep], sigma=sigma[keep], method=method)
    np.testing.assert_allclose(ours[0], direct[0], rtol=1e-14)  # the very same fit


@pytest.mark.parametrize("policy, match", [
    ("raise", "The input contains nan"),
    ("propagate", "`nan_policy='propagate'` is not supported"),
    ("hi", "nan_policy must be one of"),
])
def test_nan_policy_errors(nan_data, policy, match):
    x, y = nan_data
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(ValueError, match=match):
            reference(lambda fn=fn: fn(expo, x, y, check_finite=False, nan_policy=policy),
                      "nan_policy")


# ----------------------------------------------------------------------------- start, bounds
def test_p0_from_signature(data):
    x, y = data
    first = {}

    def model(x, a, b):
        first.setdefault(id(first), (a, b))
        return expo(x, a, b)
    curve_fit(model, x, y)
    ours = first.popitem()[1]
    so.curve_fit(model, x, y)
    assert ours == first.popitem()[1] == (1.0, 1.0)  # both start at ones


@pytest.mark.parametrize("f", [lambda x: x, lambda x, *p: x])
def test_p0_undeterminable(f):
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(ValueError):
            fn(f, [1.0, 2.0, 3.0], [3.0, 4.0, 5.0])


@pytest.mark.parametrize("bounds", [([0, 0], [3, 2]), ([1.5, -np.inf], [np.inf, np.inf]),
                                    ([-np.inf, -np.inf], [3, 0.5])])
def test_start_inside_bounds_without_p0(data, bounds):
    x, y = data
    starts = []

    def model(x, a, b):
        starts.append((a, b))
        return expo(x, a, b)
    ours = curve_fit(model, x, y, bounds=bounds)
    ours_start, starts[:] = starts[0], []
    ref = so.curve_fit(model, x, y, bounds=bounds)
    assert ours_start == starts[0]  # the same rule: midpoint, lb + 1, ub - 1 or 1
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-6, atol=1e-9)  # same minimum


@pytest.mark.parametrize("method", [None, "trf", "dogbox"])
def test_bounds_object(data, method):
    x, y = data
    lb, ub = [1.0, 0.0], [2.0, 3.0]  # the unbounded minimum a = 2.5 is outside
    ours = curve_fit(expo, x, y, bounds=Bounds(lb, ub), method=method)
    ref = so.curve_fit(expo, x, y, bounds=(lb, ub), method=method)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-6)  # same constrained minimum
    assert ours[0][0] == pytest.approx(2.0, rel=1e-8)  # on the bound


def test_p0_outside_bounds(data):
    x, y = data
    with pytest.raises(ValueError):  # scipy < 1.13 words it "`x0` is infeasible"
        so.curve_fit(expo, x, y, p0=[5, 1], bounds=([0, 0], [3, 3]))
    with pytest.raises(ValueError, match=r"Initial guess is outside of provided bounds: "
                                         r"p0\[0\] = 5.0"):
        curve_fit(expo, x, y, p0=[5, 1], bounds=([0, 0], [3, 3]))
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(ValueError):
            fn(expo, x, y, bounds=([0, 0], [3, 3]), method="lm")


# ----------------------------------------------------------------------------- methods, jac
@pytest.mark.parametrize("method", [None, *METHODS])
def test_methods_and_callable_jac(data, method):
    x, y = data
    assert_same_fit(*both(expo, x, y, method=method))
    assert_same_fit(*both(expo, x, y, method=method, jac=expo_jac))


def test_unknown_method(data):
    x, y = data
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(ValueError):
            fn(expo, x, y, method="unknown")


@pytest.mark.parametrize("method", ["trf", "dogbox"])
@pytest.mark.parametrize("scheme", ["2-point", "3-point", "cs"])
def test_jac_schemes(data, method, scheme):
    """test_issue: jac='cs' returned p0 as a success (the complex step was cast to real)."""
    x, y = data
    ours, ref = both(expo, x, y, method=method, jac=scheme)
    assert_same_fit(ours, ref)
    assert abs(ours[0][0] - 1.0) > 0.5  # it moved from p0 = (1, 1)


@pytest.mark.parametrize("scheme", ["3-point", "cs"])
def test_jac_schemes_with_lm(data, scheme):
    """scipy's 'lm' takes only a callable jac (a string is a TypeError there); ours takes
    the schemes too, and finds the minimum scipy's 'trf' finds with them."""
    x, y = data
    with pytest.raises(TypeError):
        so.curve_fit(expo, x, y, method="lm", jac=scheme)
    assert_same_fit(curve_fit(expo, x, y, method="lm", jac=scheme),
                    so.curve_fit(expo, x, y, method="trf", jac=scheme))


# ----------------------------------------------------------------------------- full_output
def _linear_data():
    rng = np.random.default_rng(7)
    x = np.linspace(0, 3, 15)
    return x, 0.5 * x + 2 + rng.normal(0, 0.1, x.size)


def test_full_output_lm_matches_minpack():
    """A linear model has a constant Jacobian: MINPACK's QR quantities are the same
    factorisation, entry for entry."""
    x, y = _linear_data()
    sigma = np.linspace(0.05, 0.2, x.size)
    kw = dict(sigma=sigma, full_output=True, jac=lambda x, a, b: np.vstack([x, 1 + 0 * x]).T)
    ours = curve_fit(line, x, y, **kw)
    ref = so.curve_fit(line, x, y, **kw)
    info, info_s = ours[2], ref[2]
    assert set(info) == set(info_s)
    for k in ("fjac", "ipvt", "qtf", "fvec"):
        assert np.shape(info[k]) == np.shape(info_s[k]), k
    # 0-based as scipy 1.17 returns it (older scipy: MINPACK's 1-based numbers)
    np.testing.assert_array_equal(info["ipvt"], info_s["ipvt"] - info_s["ipvt"].min())
    assert info["ipvt"].dtype == info_s["ipvt"].dtype
    np.testing.assert_allclose(info["fjac"], info_s["fjac"], rtol=1e-12, atol=1e-13)  # J const
    np.testing.assert_allclose(info["fvec"], info_s["fvec"], rtol=1e-8, atol=1e-10)  # same min
    # Qᵀf at the minimum is ~0 in both: compare in units of ‖f‖
    assert np.abs(info["qtf"] - info_s["qtf"]).max() <= 1e-8 * np.linalg.norm(info_s["fvec"])
    assert ours[4] in (1, 2, 3, 4) and isinstance(ours[3], str)


def test_full_output_lm_callable_jac_and_messages(data):
    x, y = data
    ours = curve_fit(expo, x, y, jac=expo_jac, full_output=True)
    ref = so.curve_fit(expo, x, y, jac=expo_jac, full_output=True)
    assert set(ours[2]) == set(ref[2])  # njev too
    assert (ours[3], ours[4]) == (ref[3], ref[4])  # the same MINPACK stopping test
    assert ours[2]["nfev"] <= ref[2]["nfev"] and ours[2]["njev"] <= ref[2]["njev"]
    # covariance from fjac and ipvt, as MINPACK's users compute it
    info = ours[2]
    n = ours[0].size
    r = np.triu(info["fjac"].T[:n])
    rinv = np.linalg.inv(r)
    cov = np.empty((n, n))
    cov[np.ix_(info["ipvt"], info["ipvt"])] = rinv @ rinv.T
    s2 = (info["fvec"] @ info["fvec"]) / (x.size - n)
    _close_cov(ours[1], cov * s2, 1e-6)  # J at the previous iterate vs SVD of the same J


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_full_output_least_squares(data, method):
    x, y = data
    ours = curve_fit(expo, x, y, method=method, full_output=True)
    ref = so.curve_fit(expo, x, y, method=method, full_output=True)
    assert set(ours[2]) == set(ref[2]) == {"nfev", "fvec"}
    assert ours[2]["fvec"].shape == ref[2]["fvec"].shape
    assert ours[4] == ref[4] and ours[3] == ref[3]


# ----------------------------------------------------------------------------- kwargs, errors
def test_maxfev_failure_lm(data):
    x, y = data
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(RuntimeError, match="Optimal parameters not found: Number of calls "
                                               "to function has reached maxfev = 4."):
            fn(expo, x, y, maxfev=4)


@pytest.mark.parametrize("method", ["trf", "dogbox"])
@pytest.mark.parametrize("key", ["maxfev", "max_nfev"])
def test_max_nfev_failure_least_squares(data, method, key):
    x, y = data
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(RuntimeError, match="Optimal parameters not found"):
            fn(expo, x, y, method=method, **{key: 2})


@pytest.mark.parametrize("kwargs", [dict(ftol=1e-12, xtol=1e-12), dict(gtol=1e-3),
                                    dict(epsfcn=1e-10), dict(diag=[1.0, 10.0])])
def test_leastsq_options(data, kwargs):
    x, y = data
    assert_same_fit(*both(expo, x, y, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(x_scale=[1.0, 5.0]), dict(loss="soft_l1"),
                                    dict(diff_step=1e-6), dict(ftol=1e-12, xtol=1e-12,
                                                               gtol=1e-12)])
def test_least_squares_options(data, kwargs):
    x, y = data
    # robust loss: the same minimum; its pcov is the same formula at ~the same J
    assert_same_fit(*both(expo, x, y, method="trf", **kwargs), rtol_p=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_unknown_keyword(data, method):
    x, y = data
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(TypeError):
            fn(expo, x, y, method=method, no_such_option=1)


def test_args_keyword(data):
    x, y = data
    for fn in (so.curve_fit, curve_fit):
        with pytest.raises(ValueError):
            fn(expo, x, y, args=(1,))


def test_more_parameters_than_points():
    def f(x, a, b, c, d, e):
        return a * np.exp(-b * x) + c + d + e
    with pytest.raises(TypeError):  # (scipy's wording changed over the versions)
        so.curve_fit(f, [1, 2, 3, 4], [5, 9, 13, 17])
    with pytest.raises(TypeError, match="The number of func parameters=5 must not exceed "
                                        "the number of data points=4"):
        curve_fit(f, [1, 2, 3, 4], [5, 9, 13, 17])


def test_covariance_warning_class_is_scipys():
    assert _curve_fit.OptimizeWarning is OptimizeWarning
    x = np.arange(6.0)
    y = np.array([1, 2, 3, 4, 5.5, 6])
    for fn in (so.curve_fit, curve_fit):
        with pytest.warns(OptimizeWarning, match="Covariance of the parameters could not"):
            _, pcov = fn(lambda x, a, b: a * x, x, y)
        assert np.all(np.isinf(pcov))  # b does not enter: no covariance exists


def test_no_degree_of_freedom():
    for fn in (so.curve_fit, curve_fit):
        with pytest.warns(OptimizeWarning):
            _, pcov = fn(line, [0.0, 1.0], [1.0, 3.0], p0=[2, 0])
        assert np.all(np.isinf(pcov))  # m = n: s² = χ²/(m - n) is undefined


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_rank_deficient_is_inf_not_pseudo_inverse(method):
    """Deliberate difference: scipy's 'trf'/'dogbox' return the pseudo-inverse of a
    rank-deficient JᵀJ, finite errors for parameters the data do not determine; ours
    returns inf and warns, as scipy's own 'lm' does."""
    x = np.linspace(0, 1, 10)
    y = 2 * x + np.random.default_rng(4).normal(0, 0.01, x.size)
    kw = dict(p0=[1, 1], method=method, jac=lambda x, a, b: np.vstack([x, x]).T)
    _, pcov_s = so.curve_fit(lambda x, a, b: (a + b) * x, x, y, **kw)
    assert np.all(np.isfinite(pcov_s))
    with pytest.warns(OptimizeWarning):
        _, pcov = curve_fit(lambda x, a, b: (a + b) * x, x, y, **kw)
    assert np.all(np.isinf(pcov))


def test_negative_sigma_is_an_error(data):
    """Deliberate difference: scipy takes sigma < 0 as |sigma|; ours names the entry."""
    x, y = data
    sigma = np.full(x.size, 0.05)
    sigma[3] = -0.05
    so.curve_fit(expo, x, y, sigma=sigma)
    with pytest.raises(ValueError, match=r"sigma\[3\] = -0.05"):
        curve_fit(expo, x, y, sigma=sigma)


# ----------------------------------------------------------------------------- calls
def _recorder():
    calls = []

    def model(x, a, b):
        calls.append((a, b))
        return expo(x, a, b)

    def jac(x, a, b):
        calls.append(("jac", a, b))
        return expo_jac(x, a, b)
    return calls, model, jac


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("with_jac", [False, True])
def test_model_calls(data, method, with_jac):
    """No point twice in a row; and no more calls than scipy ('trf' takes other steps
    than scipy's after the first, so its count is compared loosely)."""
    x, y = data
    counts = []
    for fn in (curve_fit, so.curve_fit):
        calls, model, jac = _recorder()
        fn(model, x, y, method=method, jac=jac if with_jac else None)
        counts.append(sum(1 for c in calls if c[0] != "jac"))
        if fn is curve_fit:
            for kind in ("f", "jac"):
                seq = [c for c in calls if (c[0] == "jac") == (kind == "jac")]
                assert all(a != b for a, b in zip(seq, seq[1:])), kind
    if method == "trf":
        assert counts[0] <= counts[1] + 2  # a different but as short path
    else:
        assert counts[0] <= counts[1]


@pytest.mark.parametrize("kwargs", [dict(), dict(xtol=1e-2), dict(ftol=1e-2), dict(gtol=0.5),
                                    dict(ftol=1e-3, xtol=1e-3)])
def test_lm_stopping_test_and_message(kwargs):
    """ier and mesg name MINPACK's stopping test, worded as scipy's leastsq words it."""
    x = np.linspace(0, 1, 11)
    y = 2 * np.exp(-2 * x) + 0.01 * np.sin(7 * x)
    ours = curve_fit(expo, x, y, full_output=True, **kwargs)
    ref = so.curve_fit(expo, x, y, full_output=True, **kwargs)
    assert ours[3:] == ref[3:]


@pytest.mark.parametrize("method", ["lm", "trf", "dogbox"])
def test_issue_15_model_turning_nan_is_an_error_naming_the_parameters(method):
    # the model becomes NaN after three calls: scipy's lm returns p0 with finite errors and
    # its trf divides by zero; thetahat says what happened and where
    x = np.linspace(0, 1, 20)
    y = 1 + 2 * x
    calls = [0]

    def f(x, a, b):
        calls[0] += 1
        return np.full_like(x, np.nan) if calls[0] > 3 else a + b * x

    with pytest.raises(RuntimeError, match=r"non-finite values \(NaN or inf\) all around a=.*, b="):
        curve_fit(f, x, y, p0=[0, 0], method=method)


def test_one_nan_trial_step_is_not_an_error():
    # a model undefined for b <= 0 (NaN there): trial steps into it are rejected and the
    # fit goes on to the minimum, as scipy's
    x = np.linspace(0.5, 2, 20)
    y = 2 * np.log(3 * x)
    seen = []

    def f(x, a, b):
        with np.errstate(invalid="ignore", divide="ignore"):
            out = a * np.log(b * x)
        seen.append(bool(np.isfinite(out).all()))
        return out

    p, _ = curve_fit(f, x, y, p0=[0.1, 10])
    assert not all(seen)  # the path did try points where the model is NaN
    q, _ = so.curve_fit(f, x, y, p0=[0.1, 10])
    np.testing.assert_allclose(p, [2, 3], rtol=1e-6)  # exact data, ftol 1.5e-8
    np.testing.assert_allclose(q, [2, 3], rtol=1e-6)
