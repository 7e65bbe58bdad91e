"""``thetahat.minimize`` against ``scipy.optimize.minimize`` on the same input.

scipy is the oracle in every test: the methods delegated to scipy must give scipy's
result exactly; thetahat's own methods (BFGS, L-BFGS-B, Nelder-Mead) must give the same
minimum, the same status and message, and the same exception and warning types.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import (
    Bounds,
    LinearConstraint,
    NonlinearConstraint,
    OptimizeWarning,
    rosen,
    rosen_der,
    rosen_hess,
    rosen_hess_prod,
)

import thetahat as th

X0 = np.array([1.3, 0.7, 0.8])


def quad(x):
    return float((x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2)


def both(**kw):
    """The same call on scipy and on thetahat."""
    return so.minimize(**kw), th.minimize(**kw)


# ---------------------------------------------------------------- the result type
def test_result_is_a_scipy_optimize_result():
    r = th.minimize(quad, [0.0, 0.0])
    assert isinstance(r, so.OptimizeResult) and isinstance(r, th.OptimizeResult)
    assert r.x is r["x"]


def test_brute_finishes_with_thetahat_minimize():
    # scipy's brute calls finish(func, x0, args=...) and reads .x and .fun of the result
    ranges = (slice(-2, 2, 0.5), slice(-3, 1, 0.5))
    ref = so.brute(quad, ranges, full_output=True, finish=so.minimize)
    ours = so.brute(quad, ranges, full_output=True, finish=th.minimize)
    np.testing.assert_allclose(ours[0], [1, -2], atol=1e-6)  # BFGS gtol 1e-5, curvatures 2, 20
    np.testing.assert_allclose(ours[0], ref[0], atol=1e-6)  # both converge to the same point
    assert ours[1] == pytest.approx(ref[1], abs=1e-10)  # f at the minimum is ~0 for both


# ---------------------------------------------------------------- delegated methods
DELEGATED = [
    ("Powell", {}), ("CG", {"jac": rosen_der}), ("Newton-CG", {"jac": rosen_der,
                                                               "hess": rosen_hess}),
    ("Newton-CG", {"jac": rosen_der, "hessp": rosen_hess_prod}), ("TNC", {}),
    ("COBYLA", {}), ("COBYQA", {"options": {"maxfev": 300}}), ("SLSQP", {}),
    ("trust-constr", {"jac": rosen_der, "hess": rosen_hess}),
    ("dogleg", {"jac": rosen_der, "hess": rosen_hess}),
    ("trust-ncg", {"jac": rosen_der, "hess": rosen_hess}),
    ("trust-krylov", {"jac": rosen_der, "hessp": rosen_hess_prod}),
    ("trust-exact", {"jac": rosen_der, "hess": rosen_hess}),
]


@pytest.mark.parametrize("method, kw", DELEGATED, ids=[f"{m}-{i}" for i, (m, _) in
                                                         enumerate(DELEGATED)])
def test_delegated_methods_are_scipys(method, kw):
    ref, ours = both(fun=rosen, x0=X0, method=method, **kw)
    assert isinstance(ours, th.OptimizeResult)
    assert set(ours) == set(ref)
    np.testing.assert_array_equal(ours.x, ref.x)  # the same code ran: bit for bit
    assert ours.fun == ref.fun and ours.nfev == ref.nfev and ours.status == ref.status


def test_callable_method_is_called_as_scipy_calls_it():
    def custom(fun, x0, args=(), **kw):
        x = np.asarray(x0) - 0.5
        return so.OptimizeResult(x=x, fun=fun(x, *args), success=True, nfev=1)

    ref, ours = both(fun=quad, x0=np.zeros(2), method=custom)
    assert isinstance(ours, th.OptimizeResult)
    np.testing.assert_array_equal(ours.x, ref.x)  # pure arithmetic: exact
    assert ours.fun == ref.fun


@pytest.mark.parametrize("constraints", [
    {"type": "ineq", "fun": lambda x: 1 - x[0] - x[1]},
    NonlinearConstraint(lambda x: x[0] + x[1], -np.inf, 1),
    LinearConstraint([[1.0, 1.0]], -np.inf, 1),
], ids=["dict", "nonlinear", "linear"])
@pytest.mark.parametrize("method", [None, "SLSQP", "trust-constr", "COBYLA"])
def test_constraints_go_to_scipys_methods(constraints, method):
    with warnings.catch_warnings():
        # trust-constr may warn about a singular Jacobian of a linear constraint; same on both
        warnings.simplefilter("ignore", UserWarning)
        ref, ours = both(fun=quad, x0=np.zeros(2), method=method, constraints=constraints)
    np.testing.assert_array_equal(ours.x, ref.x)  # scipy's code on both sides: exact
    assert ours.x[0] + ours.x[1] <= 1 + 1e-6  # constraint holds to the solvers' tolerance


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Nelder-Mead"])
def test_own_methods_warn_they_cannot_handle_constraints(method):
    con = {"type": "eq", "fun": lambda x: x[0]}
    for lib in (so, th):
        with pytest.warns(RuntimeWarning, match=f"Method {method} cannot handle constraints"):
            r = lib.minimize(quad, np.zeros(2), method=method, constraints=con)
        np.testing.assert_allclose(r.x, [1, -2], atol=1e-3)  # unconstrained minimum (NM xatol)


def test_bfgs_warns_it_cannot_handle_bounds():
    for lib in (so, th):
        with pytest.warns(RuntimeWarning, match="Method BFGS cannot handle bounds."):
            lib.minimize(quad, np.zeros(2), method="BFGS", bounds=[(0, 0.5)] * 2)


# ---------------------------------------------------------------- callbacks
def _stop_at_2():
    calls = []

    def cb(xk):
        calls.append(1)
        if len(calls) == 2:
            raise StopIteration

    return cb


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Nelder-Mead"])
def test_stop_iteration_in_callback(method):
    ref = so.minimize(rosen, X0, method=method, callback=_stop_at_2())
    ours = th.minimize(rosen, X0, method=method, callback=_stop_at_2())
    assert (ours.status, ours.message, ours.success) == (ref.status, ref.message, ref.success)
    assert ours.nit == ref.nit  # stopped after the same iteration
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-6)  # same steps; differences in ulps


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Nelder-Mead"])
def test_callback_signatures_as_scipy(method):
    def run(lib):
        seen = []

        def xk_and_keyword(xk, intermediate_result=None):
            seen.append(("xk", type(xk).__name__, intermediate_result))

        def keyword_only(*, intermediate_result):
            seen.append(("ir", sorted(intermediate_result)))

        for cb in (xk_and_keyword, keyword_only):
            lib.minimize(rosen, X0, method=method, callback=cb, options={"maxiter": 3})
        return seen

    ours, ref = run(th), run(so)
    assert ours and ours[0] == ref[0]
    assert ("ir", ["fun", "x"]) in ours and ("ir", ["fun", "x"]) in ref


# ---------------------------------------------------------------- input and messages
@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Nelder-Mead"])
def test_float32_x0_gives_scipys_dtype(method):
    x0 = np.array([0.5, -1.0], dtype=np.float32)
    seen = set()

    def f(x):
        seen.add(x.dtype)
        return quad(x)

    ref = so.minimize(quad, x0, method=method)
    ours = th.minimize(f, x0, method=method)
    assert ours.x.dtype == ref.x.dtype
    if method == "Nelder-Mead":
        assert seen == {np.dtype(np.float32)}  # scipy evaluates Nelder-Mead in float32


def test_non_scalar_fun_is_scipys_value_error():
    for lib in (so, th):
        with pytest.raises(ValueError, match="must return a scalar value"):
            lib.minimize(lambda x: x, np.array([1.0, 1.0]))
    ref, ours = both(fun=lambda x: (x - 1) ** 2, x0=[0.0])  # a one-element array is a scalar
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-6)  # both at 1 within gtol


def test_two_dimensional_x0_is_rejected_as_scipy():
    for lib in (so, th):
        with pytest.raises(ValueError, match="'x0' must only have one dimension."):
            lib.minimize(quad, np.zeros((2, 1)))


@pytest.mark.parametrize("method", ["L-BFGS-B", "Nelder-Mead"])
@pytest.mark.parametrize("bounds, match", [
    (Bounds([1, 2, 0], [3, 4, 1]), "The number of bounds is not compatible with the length"),
    ([(0, 1)] * 3, "The number of bounds is not compatible with the length of"),
    (Bounds([1, 6], [3, 4]), "An upper bound is less than the corresponding lower bound"),
])
def test_bad_bounds_are_scipys_value_errors(method, bounds, match):
    for lib in (so, th):
        with pytest.raises(ValueError, match=match):
            lib.minimize(quad, np.zeros(2), method=method, bounds=bounds)


def test_one_bounds_pair_applies_to_every_variable():
    ref, ours = both(fun=quad, x0=np.zeros(2), bounds=[(-1, 0.5)])
    np.testing.assert_allclose(ours.x, [0.5, -1.0], atol=1e-8)  # both bounds active
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-8)


@pytest.mark.parametrize("method, status, message", [
    ("BFGS", 1, "Maximum number of iterations has been exceeded."),
    ("Nelder-Mead", 2, "Maximum number of iterations has been exceeded."),
    ("L-BFGS-B", 1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"),
])
def test_maxiter_reached_status_and_message(method, status, message):
    ref, ours = both(fun=rosen, x0=X0, method=method, options={"maxiter": 2})
    assert (ref.status, ref.message) == (status, message)  # the oracle's own words
    assert (ours.status, ours.message, ours.success) == (ref.status, ref.message, False)
    assert ours.nit == ref.nit == 2


@pytest.mark.parametrize("method, category", [("BFGS", OptimizeWarning),
                                              ("Nelder-Mead", RuntimeWarning)])
def test_disp_warns_when_maxiter_is_reached(method, category, capsys):
    for lib in (so, th):
        with pytest.warns(category, match="Maximum number of iterations"):
            lib.minimize(rosen, X0, method=method, options={"maxiter": 2, "disp": True})
    capsys.readouterr()
    for lib in (so, th):  # without disp: status only, no warning (warnings are errors here)
        lib.minimize(rosen, X0, method=method, options={"maxiter": 2})


def test_lbfgsb_disp_is_deprecated_as_in_scipy():
    for lib in (so, th):
        with pytest.warns(DeprecationWarning, match="`disp` and `iprint`"):
            lib.minimize(quad, np.zeros(2), method="L-BFGS-B", options={"disp": False})


def test_unknown_option_is_an_optimize_warning():
    for lib in (so, th):
        with pytest.warns(OptimizeWarning, match="Unknown solver options: frobnicate"):
            lib.minimize(quad, np.zeros(2), options={"frobnicate": 1})


def test_unknown_method_is_a_value_error():
    for lib in (so, th):
        with pytest.raises(ValueError, match="Unknown solver"):
            lib.minimize(quad, np.zeros(2), method="newton")


@pytest.mark.parametrize("h0", [-np.eye(2), np.array([[1.0, 0.5], [0.0, 1.0]])],
                         ids=["negative", "asymmetric"])
def test_hess_inv0_must_be_positive_definite(h0):
    for lib in (so, th):
        with pytest.raises(ValueError, match="'hess_inv0' matrix isn't positive definite."):
            lib.minimize(quad, np.zeros(2), options={"hess_inv0": h0})


def test_hess_inv0_is_used():
    h0 = np.diag([0.5, 0.05])  # the exact inverse Hessian
    ref, ours = both(fun=quad, x0=np.zeros(2), jac=lambda x: np.array(
        [2 * (x[0] - 1), 20 * (x[1] + 2)]), options={"hess_inv0": h0})
    assert ours.nit == ref.nit  # the first trial step is shortened the same way
    np.testing.assert_allclose(ours.x, [1, -2], atol=1e-10)  # a quadratic, solved exactly


def test_bad_line_search_constants_as_scipy():
    for lib in (so, th):
        with pytest.raises(ValueError, match="'c1' and 'c2' do not satisfy"):
            lib.minimize(quad, np.zeros(2), options={"c1": 0.9, "c2": 0.1})


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "Nelder-Mead"])
def test_tol_sets_the_methods_tolerance(method):
    ref, ours = both(fun=rosen, x0=X0, method=method, tol=1e-2)
    assert ours.nit == ref.nit  # the same tolerance stops after the same iteration
    assert ours.fun == pytest.approx(ref.fun, rel=1e-4)  # same path, rounding apart
    assert ours.nit < th.minimize(rosen, X0, method=method).nit  # looser than the default


@pytest.mark.parametrize("jac", [None, "2-point", "3-point", True])
def test_equal_bounds_fix_variables_as_scipy(jac):
    lb, ub = np.array([0, 2, -1, -1.0]), np.array([3, 2, 2, -1.0])
    fun = (lambda x: (rosen(x), rosen_der(x))) if jac is True else rosen
    x0 = np.array([0.5, 2.0, 0.5, -1.0])
    ref, ours = both(fun=fun, x0=x0, method="L-BFGS-B", jac=jac, bounds=Bounds(lb, ub))
    assert ours.success
    assert ours.x[1] == 2.0 and ours.x[3] == -1.0  # fixed exactly
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-4)  # ftol-converged on both sides
    np.testing.assert_array_equal(np.isnan(ours.jac), np.isnan(ref.jac))  # NaN when removed


def test_all_variables_fixed():
    ref, ours = both(fun=lambda x: float(np.linalg.norm(x)) + 1, x0=[1.0, 3.0],
                     method="L-BFGS-B", bounds=[(1, 1), (2, 2)])
    assert ours.message == ref.message == "All independent variables were fixed by bounds."
    assert ours.nfev == ref.nfev == 1 and ours.success
    assert ours.fun == ref.fun  # the same single call


def test_nelder_mead_start_outside_bounds_warns_as_scipy():
    for lib in (so, th):
        with pytest.warns(OptimizeWarning, match="Initial guess is not within"):
            r = lib.minimize(quad, [5.0, 0.0], method="Nelder-Mead", bounds=[(0, 1), (-3, 0)])
        np.testing.assert_allclose(r.x, [1, -2], atol=1e-3)  # xatol 1e-4, the bound at 1


@pytest.mark.parametrize("method", ["BFGS", "Nelder-Mead"])
def test_return_all_lists_every_iterate(method):
    ref, ours = both(fun=quad, x0=np.zeros(2), method=method, options={"return_all": True})
    assert len(ours.allvecs) == ours.nit + (1 if method == "BFGS" else 0)
    assert len(ref.allvecs) == ref.nit + (1 if method == "BFGS" else 0)
    np.testing.assert_array_equal(ours.allvecs[0], ref.allvecs[0])  # both start with x0


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B"])
def test_workers_option_gives_the_serial_result(method):
    ours = th.minimize(rosen, X0, method=method, options={"workers": map})
    serial = th.minimize(rosen, X0, method=method)
    np.testing.assert_array_equal(ours.x, serial.x)  # the same arithmetic
    assert ours.nfev == serial.nfev


# ---------------------------------------------------------------- deliberate differences
def test_difference_nan_x0_is_an_input_error():
    r = so.minimize(quad, [np.nan, 0.0])
    assert r.status == 3 and not r.success  # scipy runs and reports NaN
    with pytest.raises(ValueError, match=r"x0\[0\] = nan is not finite"):
        th.minimize(quad, [np.nan, 0.0])


def test_difference_misspelt_jac_is_an_error():
    r = so.minimize(quad, np.zeros(2), jac="3point")  # scipy: silently forward differences
    assert r.success
    with pytest.raises(ValueError, match="jac must be None, True, a callable"):
        th.minimize(quad, np.zeros(2), jac="3point")


@pytest.mark.parametrize("maxfev", [1, 10, 50])
def test_nelder_mead_stops_exactly_at_maxfev_as_scipy(maxfev):
    def f(x):
        return float(np.sum((x - 1) ** 2))

    r = th.minimize(f, np.zeros(10), method="Nelder-Mead", options={"maxfev": maxfev})
    s = so.minimize(f, np.zeros(10), method="Nelder-Mead", options={"maxfev": maxfev})
    # the same simplex moves, stopped at the same call, even inside the start simplex
    assert r.nfev == s.nfev == maxfev and r.status == s.status == 1
    assert r.fun == pytest.approx(s.fun, rel=1e-12)  # same points: only rounding differs


def test_lbfgsb_hess_inv_has_scipys_attributes():
    r = th.minimize(rosen, np.zeros(5), jac=rosen_der, method="L-BFGS-B")
    s = so.minimize(rosen, np.zeros(5), jac=rosen_der, method="L-BFGS-B")
    h = r.hess_inv
    assert h.n_corrs == s.hess_inv.n_corrs == h.sk.shape[0]  # memory full (maxcor 10)
    np.testing.assert_allclose(h.rho, 1 / np.einsum("ij,ij->i", h.sk, h.yk), rtol=1e-14)


def test_lbfgsb_hess_inv_is_scipys_product_form():
    # scipy defines the returned operator with H_0 = I: the BFGS product over the pairs
    import scipy.linalg

    h0 = np.array([[3.0, 0.0], [1.0, 2.0]])
    a = scipy.linalg.inv(h0)
    r = th.minimize(lambda x: x @ a @ x, [10.0, 20.0], method="L-BFGS-B")
    h = r.hess_inv
    H = np.eye(2)
    for s, y, rho in zip(h.sk, h.yk, h.rho):
        A1 = np.eye(2) - rho * np.outer(s, y)
        H = A1 @ H @ A1.T + rho * np.outer(s, s)
    np.testing.assert_allclose(h.todense(), H, rtol=1e-12)  # same formula, rounding only
    # and it approximates the true inverse Hessian (a + a^T)^-1 to the pairs' accuracy
    np.testing.assert_allclose(h.todense(), np.linalg.inv(a + a.T), atol=0.05)
