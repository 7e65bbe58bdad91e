"""Issue 15, the silent results and crashes: each becomes a clear error or a flagged result.

Each test is named after its item (``test_issue15_<what>``) and failed on the main branch
before the fix. Oracles: iminuit and scipy on the same data where they are right, closed
forms otherwise.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so

import thetahat
from thetahat import curve_fit, least_squares
from thetahat.scipy_api import _curve_fit

X = np.linspace(0, 1, 20)
Y = np.exp(1.3 * X) + 0.5  # exact data of the model below at a = 1.3, b = 0.5


def _turns_nan(after: int):
    """exp(a x) + b, NaN from the call ``after + 1`` on (a model whose state breaks)."""
    calls = [0]

    def model(x, a, b):
        calls[0] += 1
        if calls[0] > after:
            return np.full_like(x, np.nan)
        return np.exp(a * x) + b
    return model


# ------------------------------------------------------- 1. NaN after the fit moved
@pytest.mark.parametrize("method", ["trf", "lm", "dogbox"])
def test_issue15_nan_after_fit_moved_least_squares(method):
    model = _turns_nan(12)  # the fit has taken accepted steps when the model turns NaN
    r = least_squares(lambda p: model(X, *p) - Y, [0.1, 0.0], method=method)
    # main: lm reported success (xtol) at a point that is no minimum; trf crashed with a
    # ZeroDivisionError; dogbox said "maximum number of function evaluations"
    assert not r.success
    assert r.status == -3
    assert "not finite" in r.message
    assert np.array2string(r.x, precision=6, separator=", ") in r.message  # where it stopped
    assert not np.allclose(r.x, [1.3, 0.5], atol=1e-3)  # truly not the minimum


@pytest.mark.parametrize("method", ["trf", "lm", "dogbox"])
def test_issue15_nan_after_fit_moved_curve_fit(method, monkeypatch):
    monkeypatch.setattr(_curve_fit, "_lmcore", None)  # the numpy solvers
    with pytest.raises(RuntimeError, match="non-finite|not finite"):
        # main ('lm'): returned a = 1.36, b = 0.57 (truth 1.3, 0.5) with finite errors
        curve_fit(_turns_nan(10), X, Y, p0=[0.1, 0.0], method=method)


@pytest.mark.skipif(_curve_fit._lmcore is None, reason="the compiled core is off")
def test_issue15_nan_after_fit_moved_curve_fit_compiled():
    with pytest.raises(RuntimeError, match="non-finite|not finite") as e:
        curve_fit(_turns_nan(10), X, Y, p0=[0.1, 0.0], method="lm")
    # the same stop as the numpy solver's, named at the same point
    msg = str(e.value)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_curve_fit, "_lmcore", None)
        with pytest.raises(RuntimeError) as e_numpy:
            curve_fit(_turns_nan(10), X, Y, p0=[0.1, 0.0], method="lm")
    assert msg == str(e_numpy.value) and "a=0.1, b=0" not in msg  # not the start point


@pytest.mark.parametrize("method", ["trf", "lm", "dogbox"])
def test_issue15_nan_jacobian_mid_fit(method):
    calls = [0]

    def jac(p):
        calls[0] += 1
        J = np.column_stack([X * np.exp(p[0] * X), np.ones_like(X)])
        if calls[0] > 2:
            J[:, 1] = np.nan
        return J
    r = least_squares(lambda p: np.exp(p[0] * X) + p[1] - Y, [0.1, 0.0], jac=jac,
                      method=method)
    # main: numpy.linalg.LinAlgError "SVD did not converge" from deep inside the solver
    assert r.status == -3 and not r.success
    assert "Jacobian is not finite" in r.message and "x[1]" in r.message
    assert "x[0]" not in r.message  # only the column that is NaN


def test_issue15_nan_before_any_step_is_still_flagged():
    # the case done on main (NaN around the start) keeps its message (no regression)
    with pytest.raises(RuntimeError, match="all around a=1, b=0"):
        curve_fit(_turns_nan(3), X, Y, p0=[1.0, 0.0])


def test_issue15_finite_fit_is_unchanged():
    # the bookkeeping changes nothing on a good fit: scipy's answer, the same status
    r = least_squares(lambda p: np.exp(p[0] * X) + p[1] - Y, [0.1, 0.0], method="lm")
    ref = so.least_squares(lambda p: np.exp(p[0] * X) + p[1] - Y, [0.1, 0.0], method="lm")
    assert r.success and r.status > 0
    np.testing.assert_allclose(r.x, ref.x, atol=1e-7)  # zero-residual problem, xtol 1e-8


# ------------------------------------------------------- 6. crash messages
def test_issue15_curve_fit_overflow_bounds_1e200():
    xb = np.array([1e200, 2e200, 3e200])
    # main: ZeroDivisionError inside the trust-region solve; scipy: "array must not
    # contain infs or NaNs"
    with pytest.raises(ValueError, match="overflows"):
        curve_fit(lambda x, a, b: a * x + b, xb, np.array([1.0, 2.0, 3.0]),
                  bounds=([0, 0], [10, 10]))
    with pytest.raises(ValueError, match=r"residual \[2\] = 1\.5e\+200"):
        least_squares(lambda p: p[0] * xb + p[1], [0.5, 0.5], bounds=([0, 0], [10, 10]))


def test_issue15_cost_returning_an_array():
    # done on main already: the message is ours, for every engine (kept as a guard)
    with pytest.raises(RuntimeError, match="must return a scalar"):
        thetahat.Minuit(lambda a, b: np.array([a * a + b * b, 1.0]), a=1, b=1).migrad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="must return a scalar"):
            thetahat.minimize(lambda p: np.array([p[0] ** 2, 1.0]), [1.0])


# ------------------------------------------------------- 7. refused valid input
def _norm_cdf(x, mu, s):
    from scipy.stats import norm
    return norm.cdf(x, mu, s)


@pytest.mark.parametrize("extended", [False, True], ids=["BinnedNLL", "ExtendedBinnedNLL"])
def test_issue15_infinite_outer_bin_edges(extended):
    from iminuit import Minuit as IMinuit
    from iminuit import cost as icost

    from thetahat import cost

    edges = np.array([-np.inf, -1.0, 0.0, 1.0, np.inf])
    n = np.array([10.0, 30.0, 30.0, 10.0])
    if extended:
        model, start = (lambda x, k, mu, s: k * _norm_cdf(x, mu, s)), dict(k=70, mu=0.1, s=1.1)
        ours, ref = cost.ExtendedBinnedNLL(n, edges, model), icost.ExtendedBinnedNLL(n, edges,
                                                                                      model)
    else:
        model, start = _norm_cdf, dict(mu=0.1, s=1.1)
        ours, ref = cost.BinnedNLL(n, edges, model), icost.BinnedNLL(n, edges, model)
    m = thetahat.Minuit(ours, **start)  # main: "xe[0] = -inf is not finite"
    m.migrad()
    r = IMinuit(ref, **start)
    r.strategy = 2
    r.tol = 1e-6
    r.migrad()
    assert m.fmin.is_valid and m.fmin.has_accurate_covar
    # the same minimum: MIGRAD's EDM goal 2e-4 allows sqrt(2 EDM) = 0.02 sigma
    np.testing.assert_allclose(np.asarray(m.values), np.asarray(r.values),
                               atol=0.02 * float(np.max(m.errors)))
    np.testing.assert_allclose(m.errors, r.errors, rtol=1e-2)  # HESSE vs HESSE, 1 %


def test_issue15_infinite_edges_refused_where_they_are_wrong():
    from thetahat import cost

    with pytest.raises(ValueError, match=r"xe\[2\] = inf is not finite \(only the outer"):
        cost.BinnedNLL(np.ones(4), [-np.inf, -1, np.inf, 1, np.inf], _norm_cdf)
    with pytest.raises(ValueError, match=r"xe\[0\] = -inf: an infinite outer edge needs"):
        cost.BinnedNLL(np.ones(2), [-np.inf, 0, 1], lambda x, mu: np.exp(-x * x),
                       use_pdf="approximate")


def test_issue15_cost_scaled_by_1e30_is_valid():
    from iminuit import Minuit as IMinuit

    def fcn(a, b):
        return 1e30 * ((a - 1) ** 2 + (b - 2) ** 2)
    m = thetahat.Minuit(fcn, a=0, b=0)
    m.migrad()
    r = IMinuit(fcn, a=0, b=0)
    r.migrad()
    # main: EDM 0.015 > goal, invalid: HESSE's central differences at a = 1.0 stepped
    # further up (1 + h rounds on a grid twice as coarse) than down, a false gradient
    assert r.fmin.is_valid
    assert m.fmin.is_valid and m.fmin.edm < 1e-3 * m.fmin.edm_goal
    np.testing.assert_allclose(m.values, [1.0, 2.0], rtol=0, atol=4.5e-16)  # one ulp of 2
    np.testing.assert_allclose(m.errors, r.errors, rtol=1e-6)  # sigma = 1e-15 both ways


# ------------------------------------------------------- 2. degenerate models
_FLAGS = ("is_valid", "has_accurate_covar", "has_posdef_covar", "has_made_posdef_covar",
          "hesse_failed")


def _degenerate(case):
    x = np.linspace(0, 1, 10)
    if case == "a+b":
        return (x, 3 * x + 1, np.full(10, 0.1), lambda x, a, b: (a + b) * x + 1,
                dict(a=1, b=1))
    if case == "identical-x":
        return (np.ones(5), np.arange(5.0), np.ones(5), lambda x, a, b: a * x + b,
                dict(a=1, b=1))
    return (np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.ones(2),  # ndof < 0
            lambda x, a, b, c: a + b * x + c * x**2, dict(a=1, b=1, c=0))


@pytest.mark.parametrize("case", ["a+b", "identical-x", "fewer-points"])
def test_issue15_degenerate_model_flagged(case):
    from iminuit import Minuit as IMinuit
    from iminuit.cost import LeastSquares as ILeastSquares

    from thetahat.cost import LeastSquares

    x, y, ye, model, start = _degenerate(case)
    m = thetahat.Minuit(LeastSquares(x, y, ye, model), **start)
    # main: no warning, only the flag (errors of 0.84 and 7.1 that look like any others)
    with pytest.warns(thetahat.ThetahatWarning, match="forced positive definite") as w:
        m.migrad()
    r = IMinuit(ILeastSquares(x, y, ye, model), **start)
    r.migrad()
    for flag in _FLAGS:  # is_valid as iminuit decides (a minimum, F = min), the rest flagged
        assert getattr(m.fmin, flag) == getattr(r.fmin, flag), flag
    assert m.fmin.has_made_posdef_covar and not m.fmin.has_accurate_covar
    text = str(w[0].message)
    if case == "fewer-points":
        assert m.ndof == r.ndof == -1
        assert "fewer data points (2) than free parameters (3): ndof = -1" in text
    else:
        assert "a combination of a and b" in text


def test_issue15_degenerate_hesse_after_valid_minimum_warns():
    from thetahat.cost import LeastSquares

    x, y, ye, model, start = _degenerate("a+b")
    m = thetahat.Minuit(LeastSquares(x, y, ye, model), **start)
    with pytest.warns(thetahat.ThetahatWarning):
        m.migrad()
    with pytest.warns(thetahat.ThetahatWarning, match="HESSE: the matrix"):
        m.hesse()
    assert m.fmin.has_made_posdef_covar


def test_issue15_well_posed_fit_does_not_warn():
    from thetahat.cost import LeastSquares

    x = np.linspace(0, 1, 10)
    m = thetahat.Minuit(LeastSquares(x, 3 * x + 1, 0.1, lambda x, a, b: a * x + b), a=1, b=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.migrad().hesse()
    assert m.fmin.is_valid and m.fmin.has_accurate_covar


# ------------------------------------------------------- 4. samples without spread
def _gauss_pdf(x, mu, s):
    with np.errstate(over="ignore", under="ignore"):  # events far out (1e300)
        return np.exp(-0.5 * ((x - mu) / s) ** 2) / (np.sqrt(2 * np.pi) * s)


@pytest.mark.parametrize("events", [np.array([0.5]), np.full(10, 0.5)],
                         ids=["single", "identical"])
def test_issue15_unbinned_sample_without_spread(events):
    from iminuit import Minuit as IMinuit
    from iminuit import cost as icost

    from thetahat.cost import UnbinnedNLL

    m = thetahat.Minuit(UnbinnedNLL(events, _gauss_pdf), mu=0, s=1)
    m.limits["s"] = (0, None)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m.migrad()
        m.hesse()
    # main (single event): valid and accurate with sigma = 9e-10, after hesse() too
    assert not m.fmin.is_valid and not m.fmin.has_accurate_covar
    assert m.values["s"] < 1e-3  # the width ran away: there is no interior maximum
    r = IMinuit(icost.UnbinnedNLL(events, _gauss_pdf), mu=0, s=1)
    r.limits["s"] = (0, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # iminuit's own RuntimeWarnings at s -> 0
        r.migrad()
    assert not r.fmin.is_valid  # iminuit agrees (NaN there)
    if events.size == 1:  # an otherwise valid-looking fit says why
        assert any("no interior maximum" in str(x.message) for x in w)


def test_issue15_single_event_with_one_parameter_stays_valid():
    # one distinct value determines one parameter: the exponential's MLE 1/x is interior
    from thetahat.cost import UnbinnedNLL

    m = thetahat.Minuit(UnbinnedNLL(np.array([0.5]), lambda x, lam: lam * np.exp(-lam * x)),
                        lam=1)
    m.limits["lam"] = (0, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.migrad()
    assert m.fmin.is_valid
    # closed form: lam = 1/x = 2, and -2 ln L'' = 2/lam^2 gives sigma = lam = 2
    np.testing.assert_allclose(m.values["lam"], 2.0, atol=0.02 * 2.0)  # EDM: ~0.02 sigma
    np.testing.assert_allclose(m.errors["lam"], 2.0, rtol=1e-2)  # HESSE, 1 %


# ------------------------------------------------------- 5. events with pdf <= 0
def test_issue15_events_with_pdf_zero():
    from iminuit import Minuit as IMinuit
    from iminuit import cost as icost

    from thetahat.cost import UnbinnedNLL

    def pdf(x, a):  # uniform on [0, a]: the event at 2 is outside for every a <= 1.5
        return np.where((x >= 0) & (x < a), 1.0 / a, 0.0)

    events = np.array([0.1, 0.2, 0.3, 0.4, 2.0])
    m = thetahat.Minuit(UnbinnedNLL(events, pdf), a=0.8)
    m.limits["a"] = (0.5, 1.5)
    with pytest.warns(thetahat.ThetahatWarning, match="1 of 5 events have pdf <= 0"):
        m.migrad()
    assert not m.fmin.is_valid  # main: valid, no warning
    r = IMinuit(icost.UnbinnedNLL(events, pdf), a=0.8)
    r.limits["a"] = (0.5, 1.5)
    r.migrad()
    assert r.fmin.is_valid  # iminuit is silent here: the reference is wrong
    assert np.count_nonzero(pdf(events, m.values["a"]) <= 0) == 1  # the count, directly


def test_issue15_event_where_the_pdf_underflows():
    from thetahat.cost import UnbinnedNLL

    rng = np.random.default_rng(5)
    events = np.append(rng.normal(0, 1, 50), 1e300)  # the 1e300 clamp found by fuzzing
    m = thetahat.Minuit(UnbinnedNLL(events, _gauss_pdf), mu=0, s=1)
    m.limits["s"] = (0.01, None)
    with pytest.warns(thetahat.ThetahatWarning, match="1 of 51 events have pdf <= 0"):
        m.migrad()
    assert not m.fmin.is_valid


def test_issue15_extended_and_summed_costs_are_diagnosed():
    from thetahat.cost import ExtendedUnbinnedNLL, NormalConstraint

    events = np.array([0.1, 0.2, 0.3, 2.0])

    def scaled(x, n, a):
        return n, n * np.where((x >= 0) & (x < a), 1.0 / a, 0.0)

    c = ExtendedUnbinnedNLL(events, scaled) + NormalConstraint("n", 4.0, 2.0)
    m = thetahat.Minuit(c, n=4, a=0.8)
    m.limits["a"] = (0.5, 1.5)
    m.limits["n"] = (0.1, None)
    with pytest.warns(thetahat.ThetahatWarning, match="1 of 4 events have pdf <= 0"):
        m.migrad()
    assert not m.fmin.is_valid


def test_issue15_sound_unbinned_fit_is_not_flagged():
    from scipy.stats import norm

    from thetahat.cost import UnbinnedNLL

    x = np.random.default_rng(1).normal(1.0, 2.0, 200)
    m = thetahat.Minuit(UnbinnedNLL(x, _gauss_pdf), mu=0, s=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.migrad().hesse()
    assert m.fmin.is_valid and m.fmin.has_accurate_covar
    mu, s = norm.fit(x)  # closed-form MLE
    np.testing.assert_allclose(m.values, [mu, s], atol=0.02 * s / np.sqrt(x.size))  # EDM


def test_issue15_lsq_linear_empty_matrix():
    import scipy.sparse as sp

    # main (and scipy): success, x = [0, 0], "The unconstrained solution is optimal."
    assert so.lsq_linear(np.zeros((0, 2)), np.zeros(0)).success  # the reference's answer
    with pytest.raises(ValueError, match=r"A has no rows \(shape \(0, 2\)\)"):
        thetahat.lsq_linear(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="A has no rows"):
        thetahat.lsq_linear(sp.csr_array((0, 2)), np.zeros(0))


# ------------------------------------------------------- 3. numpy.ma.MaskedArray inputs
def _line(x, a, b):
    return a * x + b


def test_issue15_masked_arrays_least_squares_cost():
    from iminuit import Minuit as IMinuit
    from iminuit.cost import LeastSquares as ILeastSquares

    from thetahat.cost import LeastSquares

    x = np.linspace(0, 1, 10)
    y = 3 * x + 1 + np.random.default_rng(2).normal(0, 0.1, 10)
    y[-1] = 100.0  # an outlier, masked out
    mask = np.zeros(10, dtype=bool)
    mask[-1] = True
    c = LeastSquares(x, np.ma.array(y, mask=mask), 0.1, _line)
    assert c.mask.tolist() == (~mask).tolist()  # the mask became the cost's own
    m = thetahat.Minuit(c, a=1, b=1).migrad()
    r = IMinuit(ILeastSquares(x[~mask], y[~mask], 0.1, _line), a=1, b=1).migrad()
    # main: a = 50 (the outlier used); now the fit of the unmasked points: EDM ~0.02 sigma
    np.testing.assert_allclose(m.values, r.values, atol=0.02 * float(np.max(m.errors)))
    assert c.ndata == 9
    # masked x and yerror count too, and a setter takes a new mask
    c2 = LeastSquares(np.ma.array(x, mask=mask), y, np.ma.array(np.full(10, 0.1)), _line)
    assert c2.ndata == 9
    c2.y = np.ma.array(y, mask=np.arange(10) < 2)
    assert c2.mask.tolist() == (np.arange(10) >= 2).tolist()


def test_issue15_masked_arrays_unbinned_and_binned():
    from scipy.stats import norm

    from thetahat.cost import BinnedNLL, ExtendedBinnedNLL, UnbinnedNLL

    d = np.array([0.1, 0.2, 0.3, 100.0])
    c = UnbinnedNLL(np.ma.array(d, mask=[0, 0, 0, 1]), lambda x, mu: norm.pdf(x, mu))
    m = thetahat.Minuit(c, mu=0).migrad()
    # closed form: the mean of the three unmasked events
    np.testing.assert_allclose(m.values["mu"], 0.2, atol=0.02 * m.errors["mu"])  # EDM
    assert m.fmin.is_valid
    n = np.ma.array([5.0, 10.0, 1000.0, 10.0, 5.0], mask=[0, 0, 1, 0, 0])
    xe = np.linspace(-2.5, 2.5, 6)
    for cls in (BinnedNLL, ExtendedBinnedNLL):
        b = cls(n, xe, lambda x, mu: norm.cdf(x, mu))
        assert b.mask.tolist() == [True, True, False, True, True]
        assert b.ndata == 4
    with pytest.raises(ValueError, match="edges cannot be masked"):
        BinnedNLL(np.ones(5), np.ma.array(xe, mask=[1, 0, 0, 0, 0, 0]),
                  lambda x, mu: norm.cdf(x, mu))


def test_issue15_masked_arrays_least_squares_front():
    def fun(p):
        return np.ma.array(p[0] * X + p[1] - Y, mask=np.arange(X.size) == 0)

    # main: the values under the mask were used without a word
    with pytest.raises(ValueError, match="1 masked residuals at x0"):
        least_squares(fun, [1.0, 0.0])
    with pytest.raises(ValueError, match="x0 is a numpy.ma.MaskedArray"):
        least_squares(lambda p: p - 1, np.ma.array([1.0, 2.0], mask=[0, 1]))


@pytest.mark.parametrize("extended", [False, True], ids=["BinnedNLL", "ExtendedBinnedNLL"])
def test_issue15_bins_with_entries_and_zero_prediction(extended):
    from iminuit import Minuit as IMinuit
    from iminuit import cost as icost

    from thetahat.cost import BinnedNLL, ExtendedBinnedNLL

    xe = np.linspace(0, 2, 5)
    n = np.array([10.0, 10.0, 0.0, 1.0])  # the last bin's entry is outside [0, a] for a < 1.5
    if extended:
        def cdf(x, k, a):
            return k * np.clip(x / a, 0, 1)
        start, ours, ref = dict(k=20, a=1.2), ExtendedBinnedNLL(n, xe, cdf), \
            icost.ExtendedBinnedNLL(n, xe, cdf)
    else:
        def cdf(x, a):
            return np.clip(x / a, 0, 1)
        start, ours, ref = dict(a=1.2), BinnedNLL(n, xe, cdf), icost.BinnedNLL(n, xe, cdf)
    m = thetahat.Minuit(ours, **start)
    m.limits["a"] = (0.6, 1.4)
    with pytest.warns(thetahat.ThetahatWarning, match="1 of 3 bins with entries"):
        m.migrad()
    assert not m.fmin.is_valid
    r = IMinuit(ref, **start)
    r.limits["a"] = (0.6, 1.4)
    r.migrad()
    assert r.fmin.is_valid  # iminuit is silent: the reference is wrong here


def test_issue15_infinite_yerror_refused():
    from thetahat.cost import LeastSquares

    # found by the fuzz of tests/test_fuzz.py: main fitted the other points and called it
    # valid, the infinite error silently removing a point
    with pytest.raises(ValueError, match=r"yerror\[0\] = inf is infinite"):
        LeastSquares([0.0, 0, 0, 1], [0.0, 0, 0, 0], [np.inf, 1, 1, 1], _line)


# ------------------------------------------------------- 5. precision of HESSE's matrix
def test_issue15_flat_direction_within_rounding_is_flagged():
    # F = (a + b - 1)^2 + eta (a - b)^2: for eta below the bound on the error of the
    # differenced matrix (MINUIT's floor 1e-6 on the scaled matrix) the second eigenvalue
    # is not told from zero, above it it is resolved; the oracle is the closed form
    # lambda_min(S) = 2 eta / (1 + eta)
    from thetahat.derivatives.hesse import PSD_FLOOR, hesse, rounding_noise
    from thetahat.solvers.migrad import MigradOptions

    for eta, flat in [(1e-12, True), (1e-7, True), (1e-5, False)]:
        def f(x, eta=eta):
            return float((x[0] + x[1] - 1) ** 2 + eta * (x[0] - x[1]) ** 2)
        x = np.array([0.5, 0.5])
        r = hesse(f, x, f(x), MigradOptions(errordef=1.0))
        noise = rounding_noise(r.g2, r.gstep, f(x), 1.0, np.finfo(float).eps)
        assert noise == PSD_FLOOR  # the eps-bound n sqrt(eps) / 8 = 3.7e-9 is below it
        assert r.made_posdef == flat, eta
        if not flat:  # the resolved matrix is the closed form: 2 [[1+eta, 1-eta], ...]
            np.testing.assert_allclose(r.hess, 2 * np.array([[1 + eta, 1 - eta],
                                                             [1 - eta, 1 + eta]]),
                                       rtol=0, atol=1e-7)  # sqrt(eps)-level differences


def test_issue15_plain_cost_degenerate_model_flagged_as_iminuit():
    # (a + b) x + 1 through a plain Python chi2: the Hessian is exactly singular, its
    # differences give lambda_min(S) = 2e-8, six times the eps-bound of rounding_noise;
    # main reported a valid, accurate covariance with errors of 256. iminuit forces the
    # matrix positive definite; so must we, with a warning, for both twins
    from iminuit import Minuit as IMinuit

    x = np.linspace(0, 1, 11)
    y = 2 * x + 1 + np.random.default_rng(1).normal(0, 0.1, 11)

    def cost(a, b):
        return float(np.sum(((a + b) * x + 1 - y) ** 2 / 0.01))

    m = thetahat.Minuit(cost, 1, 1)
    m.errordef = 1
    with pytest.warns(thetahat.ThetahatWarning, match="singular or not posit"):
        m.migrad()
    r = IMinuit(cost, 1, 1)
    r.errordef = 1
    r.migrad()
    assert r.fmin.has_made_posdef_covar  # the reference flags it too
    assert m.fmin.has_made_posdef_covar and not m.fmin.has_accurate_covar
    # both shift the scaled matrix by MINUIT's rule: the same errors to the differences' noise
    np.testing.assert_allclose(list(m.errors), list(r.errors), rtol=1e-6)
