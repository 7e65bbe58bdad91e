"""thetahat.Minuit against iminuit on the same functions and data (issue 3).

Agreement bars: values within 0.01 sigma and errors/covariance within 1 %. Both
minimizers run with tol = 1e-4 (EDM < 2e-7 x errordef), so each sits within ~6e-4 sigma of
the true minimum and the 0.01-sigma bar tests the algorithm, not the stopping rule.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from iminuit import Minuit as IMinuit

from thetahat import Minuit
from thetahat.cost import LeastSquares

TOL = 1e-4


def line(x, m, c):
    return m * x + c


@pytest.fixture(scope="module")
def line_data():
    """The seed's straight line: 11 points on [0, 1], y = 1 x + 2 with 0.1 errors (seeded)."""
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 11)
    yerr = np.full(x.size, 0.1)
    y = line(x, 1.0, 2.0) + rng.normal(0, yerr)
    return x, y, yerr


def _both(fcn, errordef=1.0, **start):
    out = []
    for M in (Minuit, IMinuit):
        m = M(fcn, **start)
        m.errordef = errordef
        m.tol = TOL
        out.append(m)
    return out


def _assert_agree(t, r, rtol_err=0.01):
    err = np.asarray(r.errors)
    # values within 0.01 sigma (module docstring)
    np.testing.assert_allclose(np.asarray(t.values), np.asarray(r.values), rtol=0,
                               atol=0.01 * err.max())
    # HESSE errors within 1 % (issue 3)
    np.testing.assert_allclose(np.asarray(t.errors), err, rtol=rtol_err)


@pytest.mark.parametrize("kind", ["cost", "function"])
def test_seed_line_fit(line_data, kind):
    x, y, yerr = line_data
    if kind == "cost":
        fcn = LeastSquares(x, y, yerr, line)
        t, r = Minuit(fcn, m=5, c=5), IMinuit(fcn, m=5, c=5)
        t.tol = r.tol = TOL
    else:
        def fcn(m, c):
            return float(np.sum(((y - line(x, m, c)) / yerr) ** 2))
        t, r = _both(fcn, m=5, c=5)
    t.migrad().hesse()
    r.migrad().hesse()
    assert t.valid and t.accurate
    _assert_agree(t, r)
    # covariance within 1 % of its scale (issue 3)
    np.testing.assert_allclose(np.asarray(t.covariance), np.asarray(r.covariance), rtol=0,
                               atol=0.01 * np.abs(np.asarray(r.covariance)).max())
    assert t.fval == pytest.approx(r.fval, rel=1e-6)  # both at EDM < 2e-7
    assert t.covariance["m", "c"] == t.covariance[0, 1]
    assert t.covariance.correlation()["m", "m"] == pytest.approx(1.0, rel=1e-12)  # exact


def test_seed_line_ndof_and_reduced_chi2(line_data):
    x, y, yerr = line_data
    c = LeastSquares(x, y, yerr, line)
    m = Minuit(c, m=5, c=5).migrad()
    assert m.ndof == 9  # 11 points - 2 parameters, exact
    assert m.fmin.reduced_chi2 == pytest.approx(m.fval / 9, rel=1e-12)  # same numbers


def two_minima(theta):
    return theta**4 - theta**2 + 1


@pytest.mark.parametrize("start, expected", [(-0.1, -np.sqrt(0.5)), (0.1, np.sqrt(0.5))])
def test_two_minima_from_either_side(start, expected):
    t, r = _both(two_minima, theta=start)
    t.migrad().hesse()
    r.migrad().hesse()
    assert t.values["theta"] == pytest.approx(expected, abs=1e-3)  # EDM<2e-7: |dx|~1e-4
    _assert_agree(t, r)


def test_constant_function_is_invalid():
    m = Minuit(lambda x: 0.0, x=1)
    m.errordef = 1
    m.migrad()
    assert not m.fmin.is_valid
    assert m.fmin.hesse_failed


def test_fix_release_sequence_matches_iminuit(line_data):
    """Seed cells 35-38: fix m, fit c; release, fit; fval equal at every stage."""
    x, y, yerr = line_data
    fcn = LeastSquares(x, y, yerr, line)
    t, r = Minuit(fcn, m=3, c=3), IMinuit(fcn, m=3, c=3)
    for m in (t, r):
        m.tol = TOL
    for stage in range(3):
        for m in (t, r):
            if stage == 0:
                m.fixed["m"] = True
            elif stage == 1:
                m.fixed["m"] = False
                m.fixto("c", 2.5)
            else:
                m.fixed = False
            m.migrad()
        assert t.fval == pytest.approx(r.fval, rel=1e-6), stage  # EDM < 2e-7 on both
        assert t.nfit == r.nfit


def test_limit_beyond_the_minimum(line_data):
    x, y, yerr = line_data
    fcn = LeastSquares(x, y, yerr, line)
    t, r = Minuit(fcn, m=3, c=3), IMinuit(fcn, m=3, c=3)
    for m in (t, r):
        m.limits["m"] = (1.5, 10)  # the free minimum is at m ~ 1
        m.migrad()
    assert t.fmin.has_parameters_at_limit and r.fmin.has_parameters_at_limit
    assert t.values["m"] == pytest.approx(1.5, abs=1e-3)  # at the limit to MINUIT's accuracy
    assert t.fval == pytest.approx(r.fval, rel=1e-4)  # both pinned at the same limit


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def test_rosenbrock():
    t, r = _both(rosenbrock, x=-1.2, y=1.0)
    t.migrad()
    r.migrad()
    assert t.valid
    # EDM < 2e-7 in a valley of curvature ratio ~2500: values within ~1e-3
    np.testing.assert_allclose(np.asarray(t.values), [1, 1], atol=2e-3)


def test_correlated_bowl_20():
    rng = np.random.default_rng(20)
    a = rng.normal(size=(20, 20))
    cov = a @ a.T / 20 + np.eye(20) * 0.1
    hinv = np.linalg.inv(cov)
    mu = rng.normal(size=20)

    def f(p):
        d = p - mu
        return float(d @ hinv @ d)

    m = Minuit(f, np.zeros(20))
    m.errordef = 1
    m.tol = TOL
    m.migrad().hesse()
    assert m.valid
    np.testing.assert_allclose(np.asarray(m.values), mu, atol=0.01 * np.sqrt(cov.diagonal().min()))
    # covariance of a chi2 quadratic form is exactly cov; 1 % from finite differences
    np.testing.assert_allclose(np.asarray(m.covariance), cov, atol=0.01 * np.abs(cov).max())


# --- interface and bad input ----------------------------------------------------------
def test_names_start_values_and_views(line_data):
    x, y, yerr = line_data
    c = LeastSquares(x, y, yerr, line)
    m = Minuit(c, [5.0, 5.0])
    assert m.parameters == ("m", "c")
    assert m.errors["m"] == pytest.approx(0.05)  # iminuit: 1 % of a non-zero start, exact
    m.limits["m", "c"] = (0, None)
    assert m.limits["c"] == (0.0, np.inf)
    m.limits = [(0, None), (0, 10)]
    assert m.limits[1] == (0.0, 10.0)
    m.fixed[["m", "c"]] = True
    assert list(m.fixed) == [True, True]
    m.fixed = None
    assert m.nfit == 2
    with pytest.raises(RuntimeError, match=r"valid names: \['m', 'c'\]"):
        Minuit(c, h=10, c=5)
    with pytest.raises(RuntimeError, match="missing"):
        Minuit(c)
    with pytest.raises(KeyError, match="valid names"):
        m.values["h"]


def test_array_function_names():
    def f(p):
        return float(np.sum((p - 1) ** 2))
    assert Minuit(f, (5.5, 6.0)).parameters == ("x0", "x1")
    assert Minuit(f, (5.5, 6.0), name=("a", "b")).parameters == ("a", "b")


def test_bad_input():
    def f(a, b):
        return (a - 1) ** 2 + b**2
    m = Minuit(f, a=0, b=0)
    with pytest.raises(ValueError, match="lower must be < upper"):
        m.limits["a"] = (2, 1)
    with pytest.raises(ValueError, match="ncall"):
        m.migrad(ncall=0)
    with pytest.raises(ValueError, match="strategy"):
        m.strategy = 3
    m.limits["b"] = (1, 2)  # silently, as iminuit
    assert m.values["b"] == 1.0  # clamped onto the new lower limit, exactly


def test_exception_names_the_values():
    def f(a):
        if a > 0.5:
            raise ZeroDivisionError("boom")
        return (a - 1) ** 2
    m = Minuit(f, a=0)
    m.errordef = 1
    with pytest.raises(ZeroDivisionError) as info:
        m.migrad()
    assert "a=" in "".join(getattr(info.value, "__notes__", [])) + str(info.value)


def test_nan_mid_fit():
    def f(a):
        return np.nan if a > 2 else (a - 3) ** 2
    m = Minuit(f, a=0)
    m.errordef = 1
    m.throw_nan = True
    with pytest.raises(RuntimeError, match="throw_nan"):
        m.migrad()


def test_no_errordef_warning_as_iminuit():
    iminuit = pytest.importorskip("iminuit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # iminuit 2.33 emits no "errordef not set" warning
        iminuit.Minuit(lambda a: a**2, a=1).migrad()
        m = Minuit(lambda a: a**2, a=1)
        m.migrad()
    assert m.errordef == 1.0  # the least-squares default, as iminuit


def test_user_gradient_is_used_and_agrees():
    calls = []

    def grad(x, y):
        calls.append(1)
        return np.array([2 * (x - 1) + y, 2 * (y - 2) + x])

    def f(x, y):
        return (x - 1) ** 2 + (y - 2) ** 2 + x * y

    t = Minuit(f, x=0, y=3, grad=grad)
    t.errordef = 1
    t.tol = TOL
    t.migrad()
    assert calls and t.ngrad > 0
    # closed form minimum of the quadratic: (0, 2), errors sqrt(4/3) from H = [[2,1],[1,2]]
    np.testing.assert_allclose(np.asarray(t.values), [0, 2], atol=1e-3)  # EDM < 2e-7
    np.testing.assert_allclose(np.asarray(t.errors), np.sqrt(4 / 3), rtol=1e-3)  # HESSE


def test_simplex_scan_then_migrad():
    m = Minuit(rosenbrock, x=-1.2, y=1.0)
    m.errordef = 1
    m.simplex()
    assert m.fmin.algorithm == "Simplex"
    assert m.fval < rosenbrock(-1.2, 1.0)  # simplex made progress from the start
    m.migrad()
    np.testing.assert_allclose(np.asarray(m.values), [1, 1], atol=2e-2)  # EDM<2e-4 valley
    s = Minuit(two_minima, theta=0.0)
    s.errordef = 1
    s.limits["theta"] = (-1.5, 1.5)
    s.scan(ncall=31)
    # the grid of 31 points on [-1.5, 1.5] has spacing 0.1; the minimum |theta| is 1/sqrt(2)
    assert abs(abs(s.values["theta"]) - np.sqrt(0.5)) <= 0.05 + 1e-12


def test_double_sided_limits_and_covariance_of_fixed(line_data):
    x, y, yerr = line_data
    fcn = LeastSquares(x, y, yerr, line)
    t, r = Minuit(fcn, m=3, c=3), IMinuit(fcn, m=3, c=3)
    for m in (t, r):
        m.tol = TOL
        m.limits["m"] = (0, 5)  # minimum inside: errors from the transformed HESSE
        m.migrad().hesse()
    _assert_agree(t, r)
    t.fixed["c"] = True
    t.migrad().hesse()
    assert t.covariance["c", "c"] == 0.0 and t.covariance["m", "c"] == 0.0  # fixed: exact 0


def test_reset_and_init_params(line_data):
    x, y, yerr = line_data
    m = Minuit(LeastSquares(x, y, yerr, line), m=5, c=5)
    m.migrad()
    assert m.values["m"] != 5
    m.reset()
    assert m.values["m"] == 5 and m.fmin is None and m.init_params["c"].value == 5



def test_nan_region_makes_the_minimum_invalid():
    """The minimum at a = 3 lies in a region where the cost is NaN: never a valid answer."""
    def f(a):
        return np.nan if a > 2 else (a - 3) ** 2

    m = Minuit(f, a=0)
    m.errordef = 1
    m.migrad()
    r = IMinuit(f, a=0)
    r.errordef = 1
    r.migrad()
    assert not m.valid and not r.valid  # iminuit agrees: invalid
    assert m.values["a"] <= 2  # never reported inside the NaN region


@pytest.mark.parametrize("lim", [(0, None), (0, 5), (None, 0), (-3, 0), (1.5, 3)])
def test_start_at_a_limit_and_minimum_beyond_it(line_data, lim):
    """A start exactly at a limit (dx/du = 0 there) and minima pinned at a limit."""
    x, y, yerr = line_data
    fcn = LeastSquares(x, y, yerr, line)
    start = 2.0 if lim[0] == 1.5 else 0.0
    t, r = Minuit(fcn, m=start, c=0), IMinuit(fcn, m=start, c=0)
    for m in (t, r):
        m.limits["m"] = lim
        m.migrad()
    assert t.valid and r.valid
    assert t.fmin.has_parameters_at_limit == r.fmin.has_parameters_at_limit
    assert t.fval == pytest.approx(r.fval, rel=1e-4)  # both within EDM 2e-4 of the minimum


def test_print_level_prints_the_summary_after_each_algorithm(capsys):
    m = Minuit(lambda x, y: (x - 1) ** 2 + (y - 2) ** 2, x=0, y=0)
    m.errordef = 1
    m.migrad()
    assert capsys.readouterr().out == ""  # print_level 0 (the default) is quiet
    m.print_level = 1
    m.hesse()
    out = capsys.readouterr().out
    # MIGRAD ended with HESSE at this point: the reused result is printed
    assert "Migrad" in out and f"Nfcn = {m.nfcn}" in out and "Name" not in out
    m.print_level = 2
    m.migrad()
    out = capsys.readouterr().out
    assert "Migrad" in out and "Hesse Error" in out  # level 2 adds the parameter table
    m.print_level = False  # a bool is an int, as iminuit takes it
    assert m.print_level == 0
    for bad in (-1, 1.5, "1"):
        with pytest.raises(ValueError, match="print_level"):
            m.print_level = bad


@pytest.mark.parametrize("name, minimum", [("rosenbrock", (1.0, 1.0)), ("matyas", (0.0, 0.0)),
                                           ("beale", (3.0, 0.5))])
def test_issue_14_strategy_0_with_analytic_gradient_moves(name, minimum):
    """strategy=0 with grad= stayed at the start and called it valid (the first metric was
    guessed from the steps); now it seeds the metric numerically, as iminuit does."""
    import iminuit

    from thetahat import testing as tt
    f, g = getattr(tt, name), getattr(tt, name + "_grad")
    m, mi = Minuit(f, x=0.5, y=0.3, grad=g), iminuit.Minuit(f, x=0.5, y=0.3, grad=g)
    for mm in (m, mi):
        mm.errordef = 1
        mm.strategy = 0
        mm.migrad()
    assert m.valid and mi.valid
    # both within a few hundredths of the minimum (EDM goal 2e-4 on these curvatures)
    np.testing.assert_allclose(np.array(m.values), minimum, atol=0.05)
    np.testing.assert_allclose(np.array(mi.values), minimum, atol=0.1)


class _WithGrad:
    """A plain cost (no Gauss-Newton structure) that provides its gradient."""

    errordef = 1.0

    def __call__(self, a, b):
        return (a - 1) ** 2 + 3 * (b - 2) ** 2 + 0.5 * a * b

    def grad(self, a, b):
        return np.array([2 * (a - 1) + 0.5 * b, 6 * (b - 2) + 0.5 * a])


@pytest.mark.parametrize("grad", [None, True, False])
def test_grad_true_false_none_as_iminuit(grad):
    import iminuit
    m = Minuit(_WithGrad(), a=0, b=0, grad=grad).migrad()
    mi = iminuit.Minuit(_WithGrad(), a=0, b=0, grad=grad).migrad()
    # None and True use fcn.grad (as iminuit: ngrad > 0), False does not
    assert (m.ngrad > 0) == (mi.ngrad > 0) == (grad is not False)
    assert m.valid and mi.valid
    # a quadratic: the exact minimum solves the 2x2 linear system
    exact = np.linalg.solve([[2, 0.5], [0.5, 6]], [2, 12])
    np.testing.assert_allclose(np.array(m.values), exact, atol=1e-3)  # EDM goal 2e-4


def test_grad_true_without_a_gradient_is_an_error_as_iminuit():
    import iminuit
    with pytest.raises(ValueError, match="grad=True, but fcn provides no gradient"):
        Minuit(lambda a: a * a, a=1, grad=True)
    with pytest.raises(ValueError):
        iminuit.Minuit(lambda a: a * a, a=1, grad=True)
    with pytest.raises(ValueError, match="grad must be callable, True, False or None"):
        Minuit(lambda a: a * a, a=1, grad=3)
