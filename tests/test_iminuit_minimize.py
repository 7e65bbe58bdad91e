"""``thetahat.minuit.minimize`` against ``iminuit.minimize`` on the same inputs, and against
closed forms (the minimum and inverse Hessian of a quadratic)."""

from __future__ import annotations

import warnings

import iminuit
import numpy as np
import pytest
from scipy.optimize import Bounds, rosen, rosen_der

import thetahat
from thetahat.minuit import Minuit, minimize


def quad(x, c=1.0):
    return c + x[0] ** 2 + (x[1] - 1) ** 2 + 4 * (x[2] - 2) ** 2


def quad_grad(x, c=1.0):
    return np.array([2 * x[0], 2 * (x[1] - 1), 8 * (x[2] - 2)])


PROBLEMS = {
    "quadratic": (quad, None, (1.0, 1.0, 1.0), (0.0, 1.0, 2.0)),
    "quadratic-jac": (quad, quad_grad, (1.0, 1.0, 1.0), (0.0, 1.0, 2.0)),
    "rosenbrock": (rosen, None, (-1.2, 1.0), (1.0, 1.0)),
    "rosenbrock-jac": (rosen, rosen_der, (-1.2, 1.0), (1.0, 1.0)),
}


@pytest.mark.parametrize("name", PROBLEMS)
def test_minimum_as_iminuit(name):
    fun, jac, x0, xmin = PROBLEMS[name]
    ours = minimize(fun, x0, jac=jac, tol=1e-6)
    ref = iminuit.minimize(fun, x0, jac=jac, tol=1e-6)
    assert ours.success and ref.success
    # tol 1e-6: EDM < 1e-9, so both within ~1e-4 of the minimum (Rosenbrock's valley is
    # flat along its floor: 1e-3 there)
    atol = 1e-3 if name.startswith("rosen") else 1e-4
    np.testing.assert_allclose(ours.x, xmin, atol=atol)
    np.testing.assert_allclose(ours.x, ref.x, atol=atol)
    assert ours.fun == pytest.approx(ref.fun, abs=1e-7)  # both at the minimum to EDM 1e-9
    assert ours.message == ref.message
    assert isinstance(ours.minuit, Minuit)
    assert (ours.njev > 0) == (ref.njev > 0) == (jac is not None)


def test_hess_inv_is_the_inverse_hessian():
    r = minimize(quad, (1.0, 1.0, 1.0))
    ref = iminuit.minimize(quad, (1.0, 1.0, 1.0))
    exact = np.diag([0.5, 0.5, 0.125])  # Hessian diag(2, 2, 8) of a quadratic, inverted
    # HESSE's finite differences on a quadratic are exact to rounding: 1e-8
    np.testing.assert_allclose(r.hess_inv, exact, atol=1e-8)
    np.testing.assert_allclose(r.hess_inv, np.array(ref.hess_inv), atol=1e-8)
    assert r.minuit.errordef == ref.minuit.errordef == 0.5


def test_args_callback_and_counts_as_iminuit():
    trace, ref_trace = [], []
    r = minimize(quad, np.ones(3), args=(5.0,), callback=lambda x: trace.append(x.copy()))
    ref = iminuit.minimize(quad, np.ones(3), args=(5.0,),
                           callback=lambda x: ref_trace.append(x.copy()))
    assert r.fun == pytest.approx(ref.fun, abs=1e-8) == pytest.approx(5.0, abs=1e-8)
    # the callback sees every evaluation, as in iminuit (not once per iteration as scipy)
    assert r.nfev == len(trace) and ref.nfev == len(ref_trace)
    np.testing.assert_array_equal(trace[0], ref_trace[0])  # both start at x0
    assert r.njev == ref.njev == 0


def test_scalar_start_and_array_return_as_iminuit():
    r = minimize(lambda x: (x - 3.0) ** 2, 0.0)
    ref = iminuit.minimize(lambda x: (x - 3.0) ** 2, 0.0)
    assert r.x.shape == ref.x.shape == (1,)
    # a quadratic: MIGRAD lands on it to rounding
    assert r.x[0] == pytest.approx(ref.x[0], abs=1e-6) == pytest.approx(3.0, abs=1e-6)


@pytest.mark.parametrize("bounds, exact", [(Bounds((1, 1.5, 1), (2, 2, 2)), (1, 1.5, 2)),
                                           (((1, 2), (1.5, 2), (1, 2)), (1, 1.5, 2)),
                                           (((1, None), (None, 2), (1, 2)), (1, 1, 2))],
                         ids=["Bounds", "pairs", "open-pairs"])
def test_bounds_as_iminuit(bounds, exact):
    r = minimize(quad, (1.5, 1.7, 1.5), bounds=bounds)
    ref = iminuit.minimize(quad, (1.5, 1.7, 1.5), bounds=bounds)
    assert r.success == ref.success
    assert [tuple(lim) for lim in r.minuit.limits] == [tuple(lim) for lim in
                                                        ref.minuit.limits]
    # the minimum of the bounded quadratic in closed form: on the limit x0 = 1 (and
    # x1 = 1.5 where that is a limit), x2 = 2 on its upper limit. Through MINUIT's sin
    # transform a limit is reached to ~1e-3 in x; iminuit stops ~5e-3 short of x2 = 2
    np.testing.assert_allclose(r.x, exact, atol=1e-3)
    np.testing.assert_allclose(ref.x, exact, atol=1e-2)


def test_bad_input_raises_as_iminuit():
    for kwargs in ({"method": "foo"}, {"constraints": []}, {"jac": True}):
        with pytest.raises(ValueError):
            iminuit.minimize(quad, (1.0, 1.0, 1.0), **kwargs)
        with pytest.raises(ValueError, match=f"(?i){next(iter(kwargs))}"):  # names it
            minimize(quad, (1.0, 1.0, 1.0), **kwargs)
    with pytest.raises(ValueError, match="bounds has 2 entries"):
        minimize(quad, (1.0, 1.0, 1.0), bounds=((0, 1), (0, 1)))
    with pytest.warns(UserWarning, match="hess and hessp"):
        iminuit.minimize(quad, (1.0, 1.0, 1.0), hess=True)
    with pytest.warns(UserWarning, match="hess and hessp"):
        minimize(quad, (1.0, 1.0, 1.0), hess=True)


def test_call_limit_options_as_iminuit():
    ref = iminuit.minimize(quad, (1.0, 1.0, 1.0))
    full = minimize(quad, (1.0, 1.0, 1.0))
    with pytest.warns(UserWarning, match="maxiter"):
        r1 = minimize(quad, (1.0, 1.0, 1.0), options={"maxiter": 1})
    with pytest.warns(UserWarning, match="maxiter"):
        i1 = iminuit.minimize(quad, (1.0, 1.0, 1.0), options={"maxiter": 1})
    assert not r1.success and not i1.success
    assert "Call limit" in r1.message and "Call limit" in i1.message
    assert r1.status == 1 and full.status == 0
    assert r1.nfev < full.nfev and i1.nfev < ref.nfev
    with pytest.warns(DeprecationWarning, match="maxfev"):
        r2 = minimize(quad, (1.0, 1.0, 1.0), options={"maxfev": 1})
    r3 = minimize(quad, (1.0, 1.0, 1.0), options={"maxfun": 1})
    assert r2.nfev == r3.nfev == r1.nfev


def test_strategy_zero_message_as_iminuit():
    r = minimize(quad, (1.5, 1.7, 1.5), options={"stra": 0})
    ref = iminuit.minimize(quad, (1.5, 1.7, 1.5), options={"stra": 0})
    assert r.minuit.strategy == 0
    assert r.message == ref.message
    assert r.message.startswith("Optimization terminated successfully")


def test_eps_sets_the_initial_steps():
    r = minimize(quad, (1.0, 1.0, 1.0), options={"eps": 1e-3})
    ref = minimize(quad, (1.0, 1.0, 1.0))
    # different first steps, the same minimum of a quadratic to rounding
    np.testing.assert_allclose(r.x, ref.x, atol=1e-8)
    np.testing.assert_allclose(r.x, (0, 1, 2), atol=1e-8)


def test_disp_prints(capsys):
    minimize(quad, (1.0, 1.0, 1.0))
    assert capsys.readouterr().out == ""
    minimize(quad, (1.0, 1.0, 1.0), options={"disp": True})
    assert "Migrad" in capsys.readouterr().out


def test_simplex_as_iminuit():
    r = minimize(quad, (1.5, 1.7, 1.5), method="simplex", tol=1e-4)
    ref = iminuit.minimize(quad, (1.5, 1.7, 1.5), method="simplex", tol=1e-4)
    assert r.success and ref.success
    assert r.message == ref.message  # both: "... but uncertainties are unreliable."
    # SIMPLEX stops at a spread of 0.5e-4 in value: within ~1e-2 of the minimum
    np.testing.assert_allclose(r.x, (0, 1, 2), atol=1e-2)
    assert r.minuit.fmin.algorithm == ref.minuit.fmin.algorithm == "Simplex"


def test_deliberate_differences_from_iminuit():
    # 1. without a covariance (after SIMPLEX) hess_inv is NaN, not iminuit's matrix of ones
    r = minimize(quad, (1.5, 1.7, 1.5), method="simplex")
    ref = iminuit.minimize(quad, (1.5, 1.7, 1.5), method="simplex")
    assert np.all(np.isnan(r.hess_inv))
    assert np.all(np.array(ref.hess_inv) == 1.0)
    # 2. an unknown option warns (iminuit ignores it silently)
    with pytest.warns(UserWarning, match="not understood"):
        minimize(quad, (1.0, 1.0, 1.0), options={"maxitr": 5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        iminuit.minimize(quad, (1.0, 1.0, 1.0), options={"maxitr": 5})
    # 3. a scipy-style status field (iminuit's result has none)
    assert "status" not in ref and r.status == 0


def test_thetahat_minimize_stays_scipy():
    assert thetahat.minimize is not minimize
    r = thetahat.minimize(quad, (1.0, 1.0, 1.0))
    assert "minuit" not in r and "nit" in r  # scipy's fields, BFGS by default
