"""``thetahat.Minuit`` against iminuit 2.33's ``Minuit`` on the same problems: the scipy
engine, the order of algorithms, the views, warnings and exceptions, the ipywidgets panel."""

from __future__ import annotations

import warnings
from typing import Annotated

import numpy as np
import pytest

from thetahat import Minuit
from thetahat.util import IMinuitWarning

iminuit = pytest.importorskip("iminuit")
scopt = pytest.importorskip("scipy.optimize")
IM = iminuit.Minuit


def quad(a, b):
    return a**2 + ((b - 1) / 2.0) ** 2 + 3


def quad_grad(a, b):
    return np.array([2 * a, b - 1])


def quad_hess(a, b):
    return np.array([[2.0, 0.0], [0.0, 0.5]])


def func0(x, y):
    return (x - 2.0) ** 2 / 4.0 + np.exp((y - 5.0) ** 2) + 10


def both(fcn, *args, **kwds):
    mt, mi = Minuit(fcn, *args, **kwds), IM(fcn, *args, **kwds)
    mt.errordef = mi.errordef = 1.0
    return mt, mi


FLAGS = ("is_valid", "has_covariance", "has_accurate_covar", "has_posdef_covar",
         "is_above_max_edm", "has_reached_call_limit", "hesse_failed")


def same_flags(mt, mi, names=FLAGS):
    for k in names:
        assert getattr(mt.fmin, k) == getattr(mi.fmin, k), k


# --- Minuit.scipy -------------------------------------------------------------------------
@pytest.mark.parametrize("limit", [None, (0.5, None), (-1, 1)])
@pytest.mark.parametrize("strategy", [0, 1])
@pytest.mark.parametrize("grad", [None, quad_grad])
def test_scipy_default_method(limit, strategy, grad):
    mt, mi = both(quad, a=1, b=2, grad=grad)
    mt.limits["a"] = mi.limits["a"] = limit
    mt.strategy = mi.strategy = strategy
    mt.scipy()
    mi.scipy()
    assert mt.fmin.algorithm == mi.fmin.algorithm  # SciPy[BFGS] or SciPy[L-BFGS-B]
    if strategy == 0 and limit == (0.5, None):
        # deliberate difference: with SciPy's own inverse Hessian (strategy 0) iminuit
        # counts the gradient that pushes against the limit in the EDM and calls this
        # minimum on the limit invalid; thetahat drops that component (a constrained
        # minimum), as MINUIT's internal coordinates do with strategy 1
        assert mt.valid and not mi.valid
        assert mt.values["a"] == 0.5  # on the limit, exactly
        return
    same_flags(mt, mi)
    # both stop by SciPy's own rule (gtol 1e-5): positions agree to ~1e-5 / curvature
    np.testing.assert_allclose(np.array(mt.values), np.array(mi.values), atol=1e-4)
    if strategy == 1:  # HESSE after SciPy: errors of a quadratic to 1e-3 (differences)
        np.testing.assert_allclose(mt.errors[1], mi.errors[1], rtol=1e-3)
    assert (mt.fmin.ngrad > 0) == (mi.fmin.ngrad > 0)
    assert mt.fmin.nfcn == mt.nfcn  # the running total, as iminuit


@pytest.mark.parametrize("method", ["Nelder-Mead", "Powell", "CG", "TNC", "COBYLA", "SLSQP",
                                    "trust-constr", "Newton-CG", "trust-exact"])
def test_scipy_methods_with_fixed_parameter(method):
    kw = dict(grad=quad_grad) if method in ("Newton-CG", "trust-exact") else {}
    mt, mi = both(quad, a=1, b=2, **kw)
    mt.fixed["a"] = mi.fixed["a"] = True
    extra = dict(hess=quad_hess) if method in ("Newton-CG", "trust-exact") else {}
    mt.scipy(method=method, **extra)
    mi.scipy(method=method, **extra)
    assert mt.fmin.algorithm == mi.fmin.algorithm == f"SciPy[{method}]"
    assert mt.valid and mi.valid
    assert mt.values["a"] == 1.0  # fixed parameters are not touched, exactly
    # the methods' own tolerances are ~1e-4 in position on this quadratic
    np.testing.assert_allclose(mt.values["b"], mi.values["b"], atol=1e-3)
    np.testing.assert_allclose(mt.errors["b"], 2.0, rtol=1e-2)  # exact error 2, HESSE 1 %


def test_scipy_constraints_and_call_limit():
    def fcn(x, y):
        return x**2 + y**2

    con = scopt.LinearConstraint([1, 1], 0.1, np.inf)
    mt, mi = both(fcn, x=1, y=2)
    mt.scipy(method="COBYLA", constraints=con)
    mi.scipy(method="COBYLA", constraints=con)
    # the constrained minimum (0.05, 0.05) to COBYLA's default tolerance
    np.testing.assert_allclose(np.array(mt.values), np.array(mi.values), atol=1e-3)
    assert not mt.valid and not mi.valid  # the gradient does not vanish there
    assert con.A.tolist() == [[1, 1]]  # the user's constraint is not modified
    rt, ri = both(lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, x=2, y=2)
    rt.scipy(ncall=1)
    ri.scipy(ncall=1)
    assert not rt.valid and not ri.valid
    with pytest.raises(ValueError):
        rt.scipy(constraints={})
    with pytest.raises(ValueError):
        ri.scipy(constraints={})


def test_scipy_then_hesse_and_minos():
    mt, mi = both(quad, a=1, b=2)
    mt.scipy().minos()
    mi.scipy().minos()
    for k in ("a", "b"):  # MINOS of a quadratic: ±error, to the refit tolerance
        assert mt.merrors[k].lower == pytest.approx(mi.merrors[k].lower, rel=2e-3)
        assert mt.merrors[k].upper == pytest.approx(mi.merrors[k].upper, rel=2e-3)


def test_scipy_flat_direction_is_reported_not_hidden():
    """Deliberate difference: a cost linear in a parameter has no curvature there; iminuit
    reports an 'accurate' covariance with an error of ~1e11, thetahat says HESSE failed."""
    def fcn(a, x):
        return a + x**2

    cons = [scopt.NonlinearConstraint(lambda a, x: a, 0, np.inf)]
    mt, mi = both(fcn, a=3, x=1)
    mt.scipy(constraints=cons)
    mi.scipy(constraints=cons)
    assert mi.accurate and mi.errors["a"] > 1e6
    assert mt.fmin.hesse_failed and not mt.accurate
    assert not mt.valid and not mi.valid


# --- order of algorithms, validity ----------------------------------------------------------
def test_hesse_before_migrad():
    for start in ((2, 5), (0, 0)):
        mt, mi = both(func0, *start)
        mt.hesse()
        mi.hesse()
        assert mt.fmin.algorithm == mi.fmin.algorithm == "External"
        same_flags(mt, mi, ("is_valid", "is_above_max_edm", "has_covariance"))


def test_minos_and_mncontour_before_migrad():
    mt, mi = both(func0, 2.001, 5.001)
    mt.minos()
    mi.minos()
    # near the minimum HESSE validates it and MINOS runs: ±2 and ±0.83 to the refit goal
    assert mt.merrors["x"].lower == pytest.approx(mi.merrors["x"].lower, rel=5e-3)
    for m in both(func0, 0, 0):
        with pytest.raises(RuntimeError):
            m.minos()
    for m in both(func0, 0, 0):
        with pytest.raises(RuntimeError):
            m.mncontour("x", "y")


def test_minos_of_fixed_parameter_warns():
    for m in both(func0, 0, 0):
        m.fixed["x"] = True
        m.migrad()
        with pytest.warns(RuntimeWarning):
            m.minos("x")
        assert len(m.merrors) == 0


def test_scan_validity_and_errors():
    mt, mi = both(func0, 0, 0)
    for m in (mt, mi):
        m.errors[0] = 10
        m.limits[1] = (-10, 10)
        m.scan(ncall=99)
    # the same 9 x 9 grid: the same point up to rounding of the grid
    np.testing.assert_allclose(np.array(mt.values), np.array(mi.values), atol=1e-12)
    assert mt.valid == mi.valid
    assert mt.fmin.has_covariance == mi.fmin.has_covariance
    for m in both(func0, 0, 0):
        m.fixed = True
        with pytest.raises(RuntimeError, match="all parameters are fixed"):
            m.scan()


def test_errordef_change_rescales_covariance():
    mt, mi = both(lambda x: x**2, 0)
    for m in (mt, mi):
        m.migrad()
        m.errordef = 0.5
    np.testing.assert_allclose(mt.covariance[0, 0], mi.covariance[0, 0], rtol=1e-6)  # 0.5
    assert mt.fmin.errordef == mi.fmin.errordef == 0.5


# --- views, settings, bad input ------------------------------------------------------------
def test_views_and_settings():
    mt, mi = both(func0, 0, 0)
    for m in (mt, mi):
        with pytest.warns(RuntimeWarning):  # IMinuitWarning: replaced by a heuristic
            m.errors[0] = -1
        m.limits["y"] = (3, 3)  # equal limits fix the parameter
        m.fixto(..., [1, 3])
        m.tol = None
    assert mt.errors[0] > 0 and mi.errors[0] > 0  # replaced by a positive heuristic
    assert list(mt.fixed) == list(mi.fixed) == [True, True]
    assert mt.values[-1] == mi.values[-1] == 3.0
    assert mt.tol == mi.tol == 0.1
    for m in (mt, mi):
        with pytest.raises(ValueError):
            m.tol = -1
        with pytest.raises(ValueError):
            m.precision = 0
        with pytest.raises(ValueError):
            m.strategy = 3
    assert mt.fcn([2.0, 5.0]) == mi.fcn([2.0, 5.0]) == func0(2.0, 5.0)


def test_bad_starts_and_bad_costs():
    def no_sig(*args):
        return sum(a**2 for a in args)

    for cls in (Minuit, IM):
        assert cls(no_sig, 3, 4).parameters == ("x0", "x1")
        for args, kwds in (((no_sig,), dict(x=1)), ((func0, 1), dict(y=2)), ((func0,), {})):
            with pytest.raises(RuntimeError):
                cls(*args, **kwds)
        m = cls(lambda x, y: np.array([x**2 + (y - 1) ** 2]), x=1, y=0)
        m.errordef = 1
        m.migrad()
        assert m.valid
        m = cls(lambda x: np.array([x, x]), x=1)
        m.errordef = 1
        with pytest.raises(RuntimeError, match="must return a scalar"):
            m.migrad()


def test_mnprofile_and_contour_arguments():
    mt, mi = both(func0, 1.0, 2.0)
    for m in (mt, mi):
        m.migrad()
    xt = mt.mnprofile(-1, size=3)[0]
    xi = mi.mnprofile(-1, size=3)[0]
    # grids are value ± 2 errors: MIGRAD's errors of func0 agree to ~1 %
    np.testing.assert_allclose(xt, xi, rtol=1e-2)
    for m in (mt, mi):
        with pytest.raises(ValueError, match="out of range"):
            m.mnprofile(2)
        x, y, _ = m.contour("x", "y", size=(10, 20))
        assert (len(x), len(y)) == (10, 20)


# --- interactive ----------------------------------------------------------------------------
def test_interactive_panel(monkeypatch):
    widgets = pytest.importorskip("ipywidgets")
    ipython = pytest.importorskip("IPython")
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    plt.switch_backend("Agg")  # resolved now: pyplot asks a kernel shell for its events

    class _KernelShell:  # a Jupyter kernel's shell: interactive() builds the ipywidgets panel
        def has_trait(self, name):
            return name == "kernel"

    monkeypatch.setattr(ipython, "get_ipython", lambda: _KernelShell())
    calls = []
    m = Minuit(lambda a, b: a**2 + b**2, a=1, b=1)
    m.errordef = 1
    with pytest.raises(AttributeError, match="no visualize method"):
        m.interactive()
    out = m.interactive(lambda v: calls.append(list(v)))
    assert isinstance(out, widgets.HBox) and calls == [[1.0, 1.0]]
    header, rows = out.children[1].children
    fit, _, reset, algo = header.children
    rows.children[0].slider.value = 1.05  # the slider spans value ± 10 errors
    assert m.values["a"] == 1.05 and calls[-1] == [1.05, 1.0]
    fit.click()
    np.testing.assert_allclose(np.array(m.values), 0.0, atol=1e-6)  # MIGRAD on a quadratic
    reset.click()
    assert list(m.values) == [1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IMinuitWarning)
        algo.value = "Scipy"
        fit.click()
    assert m.fmin.algorithm == "SciPy[BFGS]"


def test_user_hessian_gives_the_covariance():
    def f(a, b):
        return (a - 1) ** 2 + 4 * (b - 2) ** 2 + (a - 1) * (b - 2)

    def hess(a, b):
        return np.array([[2.0, 1.0], [1.0, 8.0]])

    mt, mi = both(f, a=0, b=0, hessian=hess)
    mt.migrad()
    mi.migrad()
    # iminuit calls the Hessian only together with a gradient; thetahat uses it for HESSE
    assert mt.hessian is mi.hessian is hess and mt.fmin.nhessian > 0
    assert mt.accurate and mi.accurate
    # the exact covariance 2 H⁻¹: thetahat's is the inverse of the user's matrix (~1e-15),
    # iminuit's to its own precision
    exact = 2 * np.linalg.inv(hess(1, 2))
    np.testing.assert_allclose(np.asarray(mt.covariance), exact, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(mi.covariance), exact, rtol=1e-6)


def test_setting_errordef_over_the_costs_own_warns_as_iminuit():
    import thetahat.warnings

    def fcn(a, b):
        return a**2 + b**2

    fcn.errordef = 1
    for M, W in ((Minuit, thetahat.warnings.ErrordefAlreadySetWarning),
                 (IM, iminuit.warnings.ErrordefAlreadySetWarning)):
        m = M(fcn, a=1, b=1)
        m.migrad().hesse()
        with pytest.warns(W):
            m.errordef = 4
        m.hesse()
        # the cost's own errordef is overridden: errors scale with sqrt(errordef), exactly
        np.testing.assert_allclose(np.asarray(m.errors), [2, 2], rtol=1e-6)


# --- ref1: behaviour from iminuit's own test suite ----------------------------------------
def func0_grad(x, y):
    return [(x - 2.0) / 2.0, 2.0 * (y - 5.0) * np.exp((y - 5.0) ** 2)]


def func0_g2(x, y):
    return [0.5, ((2 * y - 10.0) ** 2 + 2.0) * np.exp((y - 5.0) ** 2)]


def test_g2_seeds_migrad_and_is_counted():
    # iminuit: a user's g2 replaces the numerical seed pass, so fewer calls of the cost
    res = {}
    for g2 in (None, func0_g2):
        mt, mi = both(func0, x=0, y=0, grad=func0_grad, g2=g2)
        mt.migrad()
        mi.migrad()
        assert (mt.ng2 > 0) == (mi.ng2 > 0) == (g2 is not None)
        assert mt.fmin.ng2 == mt.ng2
        # the minimum at (2, 5) is analytic; MIGRAD's EDM goal 2e-4 allows ~1e-3 in x
        np.testing.assert_allclose(mt.values, (2, 5), atol=2e-3)
        res[g2 is None] = mt.nfcn
    assert res[False] < res[True]  # as iminuit's test_func0 requires


def test_perfectly_correlated_minimum_is_valid_made_posdef():
    # (a - b)^2: a line of minima; the singular HESSE matrix is forced positive definite,
    # the minimum itself is valid (F = 0 exactly) in both
    mt, mi = both(lambda a, b: (a - b) ** 2, a=1, b=2)
    with pytest.warns(IMinuitWarning, match="forced positive definite"):  # issue 15
        mt.migrad()
    mi.migrad()
    same_flags(mt, mi, ("is_valid", "has_accurate_covar", "has_posdef_covar",
                        "has_made_posdef_covar"))
    assert mt.fmin.is_valid and mt.fmin.has_made_posdef_covar


def test_saddle_point_stays_invalid():
    # F = x^2 - y^2 + y^4: a start on the saddle's ridge y = 0 must not be called a minimum
    # there; the true minima are at y = ±1/sqrt(2), F = -1/4
    m = Minuit(lambda x, y: x**2 - y**2 + y**4, x=0.3, y=0.0)
    m.errordef = 1
    m.migrad()
    if abs(m.values["y"]) < 0.1:
        assert not m.fmin.is_valid
    else:  # it escaped downhill: the closed-form minimum
        assert m.fval == pytest.approx(-0.25, abs=1e-6)  # EDM goal 2e-4 -> F within ~1e-6


def test_mnprofile_of_flat_cost_warns():
    # iminuit warns that MIGRAD fails at the profile points of a constant cost
    mi = IM(lambda x, y: 0, 0, 0)
    with pytest.warns(iminuit.util.IMinuitWarning):
        mi.mnprofile("x")
    mt = Minuit(lambda x, y: 0, 0, 0)
    with pytest.warns(IMinuitWarning):
        _, _, ok = mt.mnprofile("x")
    assert not np.any(ok)
    # a strategy-0 MIGRAD alone still calls it valid, as iminuit
    for m in (Minuit(lambda x, y: 0, 1, 2), IM(lambda x, y: 0, 1, 2)):
        m.strategy = 0
        m.migrad()
        assert m.fmin.is_valid


def test_mncontour_within_limits_and_swap_symmetric():
    m = Minuit(lambda x, y: x**2 + y**2, x=0.5, y=0.5)
    m.limits = (0, 2)
    m.migrad()
    c = m.mncontour(0, 1, size=30)
    assert np.all(c >= 0) and np.all(c <= 2)  # clipped: exactly inside the limits
    m2 = Minuit(lambda x, y: x**2 + (y / 2) ** 2, x=0, y=0)
    m2.migrad()
    a = m2.mncontour("x", "y", size=10)
    b = m2.mncontour("y", "x", size=10)
    np.testing.assert_array_equal(a, b[:, ::-1])  # the same points, columns swapped


def test_scipy_powell_single_parameter_cost():
    from thetahat import cost

    def density(x, b):
        return b, np.full_like(x, b)

    # with no data, the extended likelihood 2 b falls to its limit b = 0
    m = Minuit(cost.ExtendedUnbinnedNLL([], density), b=0)
    m.limits["b"] = (0, None)
    m.scipy(method="Powell")
    assert m.values["b"] == pytest.approx(0, abs=1e-3)  # Powell's default xtol 1e-4


def test_reduced_chi2_nan_for_likelihood_and_binned_ndof():
    from scipy.stats import norm

    from thetahat import cost as tcost

    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    n, xe = np.histogram(x, bins=10, range=(-3, 3))

    def cdf(x, mu, sigma):
        return norm.cdf(x, mu, sigma)

    def scdf(x, s, mu, sigma):
        return s * norm.cdf(x, mu, sigma)

    c = tcost.BinnedNLL(n, xe, cdf)
    m = Minuit(c, mu=0, sigma=1)
    m.migrad()
    # the multinomial has bins - 1 free cells (the total is fixed), 2 fitted parameters
    assert c.ndata == 10 and m.ndof == 10 - 1 - 2
    assert m.fmin.reduced_chi2 == pytest.approx(m.fval / (10 - 1 - 2), rel=1e-12)  # same
    e = Minuit(tcost.ExtendedBinnedNLL(n, xe, scdf), s=200, mu=0, sigma=1)
    e.migrad()
    assert e.ndof == 10 - 3  # Poisson bins: all cells free
    # an errordef-0.5 likelihood has no reduced chi2, as iminuit
    for M in (Minuit, IM):
        u = M(lambda a: (a - 1) ** 2 / 2, a=0)
        u.errordef = 0.5
        u.migrad()
        assert np.isnan(u.fmin.reduced_chi2)


def test_migrad_rosenbrock_from_valley_point():
    # MIGRAD used to creep along the valley at the call limit from here (noisy sᵀy <= 0);
    # the closed-form minimum is (1, 1); iminuit converges too
    def rosen(x, y):
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    mt, mi = both(rosen, x=-1.007, y=1.0058)
    mt.errors = mi.errors = (0.012, 0.01)
    mt.migrad()
    mi.migrad()
    assert mt.fmin.is_valid and mi.fmin.is_valid
    # EDM goal 2e-4 in a valley of curvature ~0.4 along it: ~2e-2 in the position
    np.testing.assert_allclose(mt.values, (1, 1), atol=2e-2)
    assert mt.nfcn <= mi.nfcn + 50  # no creeping: comparable effort to iminuit's


def test_simplex_final_newton_step():
    # iminuit's test_simplex: with tol 2e-4 SIMPLEX gets within 5e-3 of the minimum (2, 5)
    mt, mi = both(func0, x=0, y=0)
    mt.tol = mi.tol = 2e-4
    mt.simplex()
    mi.simplex()
    assert mt.fmin.is_valid and mi.fmin.is_valid
    np.testing.assert_allclose(mt.values, (2, 5), atol=5e-3)  # iminuit's own tolerance
    assert mt.fval <= mi.fval + 1e-5  # at least as close as iminuit (goal 2e-4 spread)


def test_precision_read_from_cost_attribute():
    # iminuit reads fcn.precision; the same fit as with m.precision = 0.1 set by hand
    def fcn(x):
        return np.exp(x * x + 1)

    a = Minuit(fcn, x=-1)
    a.precision = 0.1
    a.migrad()
    fcn.precision = 0.1
    b = Minuit(fcn, x=-1)
    assert b.precision == 0.1
    b.migrad()
    assert b.fmin.edm == a.fmin.edm and b.nfcn == a.nfcn  # identical runs
    mi = IM(fcn, x=-1)
    mi.migrad()
    # both find the closed-form minimum x = 0 within MIGRAD's goal (EDM 2e-4, F'' = 2e)
    assert abs(b.values["x"]) < 0.02 and abs(mi.values["x"]) < 0.02


def test_iterate_retries_after_hesse_failure():
    # iminuit: with iterate > 1 MIGRAD tries again when HESSE fails (a constant cost)
    n = {}
    for M in (Minuit, IM):
        for it in (5, 1):
            m = M(lambda a, b: 0, 1, 2)
            m.precision = 1e-7
            m.migrad(iterate=it)
            assert m.fmin.hesse_failed and not m.fmin.is_valid
            n[M, it] = m.fmin.nfcn
        assert n[M, 1] < n[M, 5]


def test_func_code_instance_and_annotated_limits_with_new_names_as_iminuit():
    import iminuit.util

    import thetahat.util

    def cost(a, b: Annotated[float, 0.1:1]):
        return a**2 + b**2

    for M in (Minuit, IM):
        m = M(cost, 0.5, 0.5, name=("x", "y"))
        assert m.limits["y"] == (0.1, 1.0)  # the annotation's limits, by position
        m.migrad()
        np.testing.assert_allclose(np.asarray(m.values), (0, 0.1), atol=1e-2)  # fit tol

    for M, util in ((Minuit, thetahat.util), (IM, iminuit.util)):
        class Func:
            errordef = 1

            def __init__(self, util=util):
                with pytest.warns(FutureWarning):  # deprecated in both
                    self.func_code = util.make_func_code(["x", "y"])

            def __call__(self, *arg):
                return (arg[0] - 2) ** 2 + (arg[1] - 5) ** 2

        m = M(Func(), x=0, y=0)
        assert m.parameters == ("x", "y")
        m.migrad()
        np.testing.assert_allclose(np.asarray(m.values), (2, 5), atol=1e-3)  # EDM goal
