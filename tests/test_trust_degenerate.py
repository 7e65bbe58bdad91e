"""Issue 15 item 2, the degenerate models that main fitted silently.

A model that depends on its parameters through fewer combinations than it has parameters
(a line through points of one x, ``(a + b) * x + 1``, a parameter that appears twice) has
a Jacobian of rank < n in exact arithmetic; only rounding made it invertible on main, with
errors of 1e4-1e9 and no warning. The test (``thetahat._core.linalg``) compares the
smallest singular value of the column-scaled Jacobian with the rounding level of its
columns. The oracles: the rank of the analytic Jacobian in exact arithmetic (closed form:
proportional columns), and scipy on the determined fits; the 38 NIST StRD fits, which are
ill-conditioned in raw units (cond 1e7-1e9) but determined, must not fire.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so

import thetahat
from nist_problems import NAMES, _model, load
from thetahat import curve_fit, least_squares
from thetahat._core.linalg import gram_null_direction, jacobian_noise, null_direction
from thetahat.cost import LeastSquares
from thetahat.warnings import DegenerateFitWarning

RNG = np.random.default_rng(15)
X1 = np.full(8, 0.3)  # every x the same: main returned errors of 1e8 (trf) with no warning
Y1 = RNG.normal(size=8)
XS = np.linspace(0, 1, 10)


def _line(x, a, b):
    return a * x + b


def _quad(x, a, b, c):
    return a * x**2 + b * x + c


def _sum_ab(x, a, b):
    return (a + b) * x + 1


def _twice(x, a, b, c):
    return a * np.exp(-(b + c) * x)


def _listed(who):
    return who[0] if len(who) == 1 else ", ".join(who[:-1]) + " and " + who[-1]


CASES = {  # model, x, y, p0, the parameters along the null direction(s)
    "line-one-x": (_line, X1, Y1, [1.0, 1.0], ("a", "b")),
    "quadratic-one-x": (_quad, np.full(8, 2.5), Y1, [1.0, 1.0, 1.0], ("a", "b", "c")),
    "a+b": (_sum_ab, XS, 3 * XS + 1 + RNG.normal(0, 0.1, 10), [1.0, 1.0], ("a", "b")),
    "parameter-twice": (_twice, XS, 2 * np.exp(-XS) + RNG.normal(0, 0.01, 10),
                        [1.0, 0.3, 0.2], ("b", "c")),
}


def test_the_jacobians_are_singular_in_exact_arithmetic():
    # the oracle of the cases: analytic Jacobians with proportional columns (rank < n)
    for name, (f, x, _, p0, _who) in CASES.items():
        if f is _line:
            J = np.column_stack([x, np.ones_like(x)])
        elif f is _quad:
            J = np.column_stack([x**2, x, np.ones_like(x)])
        elif f is _sum_ab:
            J = np.column_stack([x, x])
        else:
            e = np.exp(-(p0[1] + p0[2]) * x)
            J = np.column_stack([e, -p0[0] * x * e, -p0[0] * x * e])
        assert np.linalg.matrix_rank(J) < len(p0), name


@pytest.mark.parametrize("method", ["lm", "trf", "dogbox"])
@pytest.mark.parametrize("case", list(CASES))
def test_issue15_degenerate_curve_fit_has_no_covariance(case, method):
    f, x, y, p0, who = CASES[case]
    with pytest.warns(so.OptimizeWarning, match="Covariance of the parameters could not "
                      "be estimated") as w:
        popt, pcov = curve_fit(f, x, y, p0=p0, method=method)
    # as scipy for a singular J (main: finite errors of 1e3-1e9 for most of these)
    assert np.all(np.isinf(pcov))
    deg = [m for m in w if issubclass(m.category, DegenerateFitWarning)]
    assert len(deg) == 1
    # the parameters of the null direction(s), and only those
    assert f"the data do not determine {_listed(who)} separately" in str(deg[0].message)
    # the fit itself is still the least-squares fit: the residuals are scipy's
    ref = so.least_squares(lambda p: f(x, *p) - y, p0)
    np.testing.assert_allclose(np.sum((f(x, *popt) - y) ** 2), 2 * ref.cost,
                               rtol=1e-6)  # the same minimum value, along a flat valley


def test_issue15_degenerate_jacobian_given_analytically():
    # with the analytic Jacobian the columns are proportional to the last bit
    with pytest.warns(DegenerateFitWarning, match="a and b separately"):
        _, pcov = curve_fit(_line, X1, Y1, jac=lambda x, a, b: np.column_stack(
            [x, np.ones_like(x)]))
    assert np.all(np.isinf(pcov))


def test_two_distinct_x_values_are_determined():
    # repeated but not identical x: a determined line, scipy's covariance (closed form)
    x = np.array([1.0, 1, 1, 2, 2, 2])
    y = np.array([1.0, 1.1, 0.9, 2.1, 1.9, 2.0]) + 0.5  # b = 0.5 (at b = 0 'lm' differences
    # with a step sqrt(eps) |b| that is lost: a zero column, inf in scipy too)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        popt, pcov = curve_fit(_line, x, y)
    _, c_ref = so.curve_fit(_line, x, y)
    np.testing.assert_allclose(pcov, c_ref, rtol=1e-6)  # both from difference Jacobians


def test_issue15_degenerate_test_spares_every_nist_fit():
    # the 38 fits (19 problems, 2 starts) that the reverted cond(JᵀJ) > 7e6 warning hit
    # (Hahn1, Kirby2, Misra1*, Nelson, Roszman1): none is degenerate
    assert len(NAMES) == 19
    for name in NAMES:
        p = load(name)
        y = np.log(p.y) if name == "Nelson" else p.y
        f = _model(name)

        def model(x, *b, f=f):
            return f(np.array(b), x)
        for k in (0, 1):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                _, pcov = curve_fit(model, p.x, y, p0=p.starts[k])
            assert not [m for m in w if issubclass(m.category, (DegenerateFitWarning,
                                                                  so.OptimizeWarning))], name
            # scipy estimates a covariance there too (from the certified values: both
            # starts of a problem end at the same minimum, to 4 digits or more)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow far out
                _, ref = so.curve_fit(model, p.x, y, p0=p.certified)
            # the errors to 1 %: difference Jacobians at minima that agree to LRE >= 3
            np.testing.assert_allclose(np.sqrt(np.diag(pcov)), np.sqrt(np.diag(ref)),
                                       rtol=1e-2, err_msg=f"{name} start {k + 1}")


@pytest.mark.parametrize("method", ["lm", "trf"])
def test_issue15_least_squares_spares_every_nist_fit(method):
    for name in NAMES:
        p = load(name)
        for k in (0, 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow far out
                warnings.simplefilter("error", DegenerateFitWarning)
                r = least_squares(p.residuals, p.starts[k], method=method)
                if r.status == 0:  # MGH17 from start 1 needs twice the budget (test_nist)
                    r = least_squares(p.residuals, p.starts[k], method=method,
                                      max_nfev=200 * p.starts[k].size)
            # the certified values, to test_nist.py's bar of 4 digits
            np.testing.assert_allclose(r.x, p.certified, rtol=1e-4)


@pytest.mark.parametrize("method", ["lm", "trf", "dogbox"])
def test_issue15_degenerate_least_squares_warns(method):
    with pytest.warns(DegenerateFitWarning, match=r"x\[0\] and x\[1\] separately"):
        r = least_squares(lambda p: p[0] * X1 + p[1] - Y1, [1.0, 1.0], method=method)
    assert r.success  # the minimum is fine; only the split between x[0] and x[1] is not
    np.testing.assert_allclose(r.x[0] * 0.3 + r.x[1], Y1.mean(), atol=1e-7)  # closed form


@pytest.mark.parametrize("case", list(CASES))
def test_issue15_degenerate_minuit_least_squares_flagged(case):
    f, x, y, p0, who = CASES[case]
    names = ["a", "b", "c"][:len(p0)]
    m = thetahat.Minuit(LeastSquares(x, y, 0.1, f), **dict(zip(names, p0)))
    with pytest.warns(thetahat.ThetahatWarning) as w:
        m.migrad()
    # main: x = 0.3 and the parameter that appears twice were valid, accurate and
    # positive definite, with errors of 1e4 / 5.3 that looked like any others
    assert m.fmin.has_made_posdef_covar and not m.fmin.has_accurate_covar
    deg = [str(i.message) for i in w if issubclass(i.category, DegenerateFitWarning)]
    made = [str(i.message) for i in w if "forced positive definite" in str(i.message)]
    assert made  # the flag's own warning, as for any singular matrix
    if deg:  # where only the rounding test finds it, the parameters are named
        assert f"the data do not determine {_listed(who)} separately" in deg[0]
    with pytest.warns(thetahat.ThetahatWarning):
        m.hesse()  # HESSE alone says the same
    assert m.fmin.has_made_posdef_covar and not m.fmin.has_accurate_covar


@pytest.mark.parametrize("name", ["Misra1a", "Kirby2", "Hahn1", "Gauss3", "Roszman1"])
def test_minuit_least_squares_nist_not_flagged(name):
    p = load(name)
    f = _model(name)
    r0 = p.residuals(p.certified)
    sigma = float(np.sqrt(r0 @ r0 / (r0.size - p.certified.size)))  # the data's own scatter
    cost = LeastSquares(p.x, p.y, sigma, lambda x, *b: f(np.array(b), x),
                        name=[f"b{i}" for i in range(p.certified.size)])
    m = thetahat.Minuit(cost, *p.certified)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        m.migrad()
    assert m.fmin.is_valid and m.fmin.has_accurate_covar and not m.fmin.has_made_posdef_covar
    # iminuit on the same cost finds no singular matrix either (on Lanczos3, not here,
    # its HESSE of values forces a positive definite matrix: a precision limit of it)
    from iminuit import Minuit as IMinuit
    from iminuit.cost import LeastSquares as ILeastSquares
    r = IMinuit(ILeastSquares(p.x, p.y, sigma, lambda x, *b: f(np.array(b), x),
                              name=[f"b{i}" for i in range(p.certified.size)]), *p.certified)
    r.migrad()
    assert r.fmin.is_valid and not r.fmin.has_made_posdef_covar
    # and the minimum is the certified one (started there; 1e-6: LRE 6, test_nist's bar)
    np.testing.assert_allclose(m.values, p.certified, rtol=1e-6)


def test_null_direction_is_scale_free_and_exact():
    # closed form: columns u and u + t w (|u| = |w| = 1, u ⟂ w) have scaled s_min ≈ t / sqrt 2
    u = np.array([1.0, 0, 0, 0])
    w = np.array([0.0, 1, 0, 0])
    for t, degenerate in [(1e-12, True), (1e-3, False)]:
        J = np.column_stack([u, (u + t * w) / np.hypot(1, t)])
        noise = jacobian_noise(np.ones(2), np.ones(2), 4, np.finfo(float).eps ** 0.5)
        for scale in (1.0, 1e-9, 1e12):  # the units of a parameter change nothing
            Js = J * np.array([1.0, scale])
            found = null_direction(Js, noise * 1.0)
            assert (found is not None) == degenerate, (t, scale)
            g = gram_null_direction(Js.T @ Js, noise)
            assert (g is not None) == degenerate, (t, scale)
            if degenerate:  # the null vector (1, -1)/sqrt 2 in scaled coordinates
                np.testing.assert_allclose(np.abs(found[0][0]), [0.5**0.5] * 2,
                                           atol=1e-6)  # O(t) from the exact vector
                assert found[1] < 1e-11  # t / sqrt 2 up to rounding
    # a zero column is a null direction by itself
    found = null_direction(np.column_stack([u, 0 * u]), np.zeros(2))
    assert found is not None and np.array_equal(found[0][0], [0.0, 1.0]) and found[1] == 0


def test_issue15_minuit_identical_x_flagged_for_every_data_set():
    # main left some of these valid and accurate with errors of 300-90000 (which ones
    # depended on the rounding of the compiled or the numpy path); every one is singular
    rng = np.random.default_rng(1)
    for c in (0.3, 1.0, 2.5, 3.0, 7.0, 0.1, 123.4):
        for _ in range(3):
            y = rng.normal(size=8)
            m = thetahat.Minuit(LeastSquares(np.full(8, c), y, 1.0, _line), a=1, b=1)
            with pytest.warns(thetahat.ThetahatWarning):
                m.migrad()
            assert m.fmin.has_made_posdef_covar and not m.fmin.has_accurate_covar, c
            # the minimum is still the least-squares one: a c + b = mean(y) (closed form), to
            # sqrt(2 EDM goal) = 0.02 of the mean's error 0.35
            assert m.values["a"] * c + m.values["b"] == pytest.approx(y.mean(), abs=7e-3)


# Issue 15, the difference schemes. A parameter that appears twice in a nonlinear model,
# exp(-(b + c) x), lets b and c run to ∓1e2-1e5 along the valley; there the steps h = δ |b|
# are far beyond the model's scale in b + c, and the columns of b and c differ by their
# truncation errors (1e-9-1e-6), which main's noise (rounding only) did not cover: main
# was silent here for dogbox (both schemes) and lm with '3-point'.
XT = np.linspace(0, 2.0, 30)
YT = 2.0 * np.exp(-0.8 * XT) + np.random.default_rng(3).normal(0, 0.01, 30)


def _exp_twice(p):
    return p[0] * np.exp(-(p[1] + p[2]) * XT) - YT


def _linear_twice(p):
    return (p[0] + p[1]) * XS + p[2] - CASES["a+b"][2]


@pytest.mark.parametrize("jac", ["2-point", "3-point"])
@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
@pytest.mark.parametrize(("fun", "who"), [(_exp_twice, r"x\[1\] and x\[2\]"),
                                          (_linear_twice, r"x\[0\] and x\[1\]")])
def test_issue15_parameter_twice_every_difference_scheme(fun, who, method, jac):
    # the oracle: two columns of the exact Jacobian are equal (the parameters enter as a sum)
    with pytest.warns(DegenerateFitWarning, match=who + " separately"):
        r = least_squares(fun, [2.5, 0.3, 0.6], method=method, jac=jac)
    assert r.success
    # the fit is still the least-squares one: the same minimum value as scipy's
    ref = so.least_squares(fun, [2.5, 0.3, 0.6])
    assert 2 * r.cost == pytest.approx(2 * ref.cost, rel=1e-6)  # a flat valley's minimum


@pytest.mark.parametrize("jac", ["2-point", "3-point"])
@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_issue15_curve_fit_parameter_twice_every_difference_scheme(method, jac):
    with pytest.warns(DegenerateFitWarning, match="b and c separately"):
        _, pcov = curve_fit(_twice, XT, YT, p0=[2.5, 0.3, 0.6], method=method, jac=jac)
    assert np.all(np.isinf(pcov))  # as scipy for a singular J


def test_issue15_truncation_noise_closed_form():
    # r = (p², p³): forward differences of p² are 2p + h (T = h exactly), central ones of
    # p³ are 3p² + h² (T = h²); Richardson recovers both to rounding
    from thetahat._core.linalg import truncation_noise
    p, d = np.array([2.0]), 1e-3
    for k, central in ((2, False), (3, True)):
        deriv = k * p[0] ** (k - 1)
        got = truncation_noise(lambda q, k=k: q**k, p, np.array([deriv]), d, central)
        h = d * p[0]
        assert got[0] == pytest.approx((h if k == 2 else h * h) / deriv,
                                       rel=1e-6)  # rounding of differences of size h, h²
    # a linear model has none (up to the rounding of its differences)
    got = truncation_noise(lambda q: 3 * q, p, np.array([3.0]), d, False)
    assert got[0] < 1e-10  # ε / h


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_issue15_nist_spared_with_central_differences(method):
    # the measured truncation error does not flag determined fits: the 19 NIST problems
    # with '3-point' from 1 % off the certified values (whose minimum they reach)
    for name in NAMES:
        p = load(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow far out
            warnings.simplefilter("error", DegenerateFitWarning)
            r = least_squares(p.residuals, p.certified * 1.01, jac="3-point", method=method)
        r0 = p.residuals(p.certified)
        # the certified minimum value to 1e-6: its residuals are certified to 10 digits,
        # and a flat direction moves the value only quadratically
        assert 2 * r.cost == pytest.approx(float(r0 @ r0), rel=1e-6), name


def test_issue15_lm_zero_column_from_a_vanished_step():
    # b = 1e-15: MINPACK's step 1.5e-8 |b| changes no residual (they are ~1), the column
    # is zero; the message says so, not that the data do not determine b
    x = np.linspace(0, 1, 20)
    y = 2 * x + 1e-15 + np.random.default_rng(3).normal(0, 1e-3, 20)
    with pytest.warns(DegenerateFitWarning, match="zero because the difference step") as w:
        _, pcov = curve_fit(_line, x, y, p0=[1.0, 1e-15])
    assert np.all(np.isinf(pcov))  # as scipy: the column is zero
    assert "b = 1e-15" in str(w[0].message) and "not determined" not in str(w[0].message)
    # the oracle: scipy's own covariance from an analytic J there is finite
    _, ref = so.curve_fit(_line, x, y, p0=[1.0, 1e-15],
                          jac=lambda x, a, b: np.column_stack([x, np.ones_like(x)]))
    assert np.all(np.isfinite(ref))


def test_issue15_zero_column_of_an_unused_parameter_keeps_its_message():
    # a model that does not depend on b at all: no step would change it
    with pytest.warns(DegenerateFitWarning, match="b is not determined"):
        _, pcov = curve_fit(lambda x, a, b: a * x, XS, 2 * XS + 0.01 * Y1[:1], p0=[1.0, 1e-15])
    assert np.all(np.isinf(pcov))
