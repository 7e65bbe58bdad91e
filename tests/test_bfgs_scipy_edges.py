"""thetahat's BFGS against scipy's on the edge cases of scipy's own test suite.

scipy is the oracle: the same cost, start and options go to ``scipy.optimize.minimize``
and ``thetahat.minimize`` (method BFGS), and the results must agree.  The cases are
scipy's ``test_initial_step_scaling`` (a cost and gradient scaled by 1e-50 or 1e50),
``test_bfgs_infinite`` (gh-2019: the infimum is -inf) and ``test_bfgs_nan_return``
(gh-4793: NaN after the start point).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import rosen, rosen_der

import thetahat as th


def _scaled(scale: float, steps: list[float]):
    def f(x):
        steps.append(float(x[0]))
        return scale * (x[0] - 1) ** 2

    def g(x):
        return np.array([scale * (x[0] - 1)])

    return f, g


@pytest.mark.parametrize("scale", [1e-50, 1.0, 1e50])
def test_badly_scaled_quadratic_as_scipy(scale):
    results = []
    for mod in (so, th):
        steps: list[float] = []
        f, g = _scaled(scale, steps)
        r = mod.minimize(f, [-1.0], jac=g, method="BFGS", options={"gtol": scale * 1e-8})
        moved = [s for s in steps if s != -1.0]
        results.append((r, abs(moved[0] + 1.0)))
    (ref, ref_step), (ours, our_step) = results
    assert ours.success and ref.success
    assert ours.status == ref.status == 0
    # the gradient is linear: the secant step lands on 1 up to the rounding of x ~ 1
    np.testing.assert_allclose(ours.x, [1.0], atol=4 * np.finfo(float).eps)
    np.testing.assert_allclose(ours.x, ref.x, atol=4 * np.finfo(float).eps)  # same rounding
    assert ours.nit == ref.nit  # the same iterations (scipy: 2)
    assert ours.nfev == ref.nfev  # trials that round to x_k cost no call, as scipy
    # the first step that moves x: 1.01 (the fictitious f_{-1}) or, at 1e-50, the first
    # representable change of x = -1; both computed the same way, so equal to rounding
    assert our_step == pytest.approx(ref_step, rel=1e-12)


def test_badly_scaled_inverse_hessian_keeps_its_scale():
    # the 1e50 quadratic's inverse curvature is 1e-50: the product-form update keeps it
    # (the expanded form returned rounding noise ~1e-16 of the wrong sign)
    f, g = _scaled(1e50, [])
    ref = so.minimize(f, [-1.0], jac=g, method="BFGS")
    ours = th.minimize(f, [-1.0], jac=g, method="BFGS")
    # both are the exact secant 1/(y/s) of a linear gradient, to rounding
    np.testing.assert_allclose(ours.hess_inv, ref.hess_inv, rtol=1e-12)
    np.testing.assert_allclose(ours.hess_inv, [[1e-50]], rtol=1e-12)


def test_minus_infinity_is_reached_as_scipy():
    def func(x):
        return -np.e ** (-x[0])

    def fprime(x):
        return np.array([np.e ** (-x[0])])

    with np.errstate(over="ignore"):
        ref = so.minimize(func, [0.0], jac=fprime, method="BFGS")
        ours = th.minimize(func, [0.0], jac=fprime, method="BFGS")
    assert ref.fun == ours.fun == -np.inf
    with np.errstate(over="ignore"):
        assert func(ours.x) == -np.inf
    assert ours.status == ref.status == 2
    assert ours.message == ref.message
    assert ours.success is ref.success is False


def test_nan_after_the_start_is_reported_as_scipy():
    def func(x):
        return 0.0 if x[0] == 0 else np.nan

    def fprime(x):
        return np.ones_like(x)

    with np.errstate(invalid="ignore"):
        ref = so.minimize(func, [0.0], jac=fprime)
        ours = th.minimize(func, [0.0], jac=fprime)
    assert np.isnan(ref.fun) and np.isnan(ours.fun)
    assert ours.status == ref.status == 2
    assert ours.success is ref.success is False


def test_nan_at_the_start_is_reported_as_scipy():
    with np.errstate(invalid="ignore"):
        ref = so.minimize(lambda x: np.nan, [0.0])
        ours = th.minimize(lambda x: np.nan, [0.0])
    assert np.isnan(ref.fun) and np.isnan(ours.fun)
    assert ours.status == ref.status == 3
    assert ours.message == ref.message
    assert ours.nfev == ref.nfev  # f and the difference gradient at x0: 1 + n calls


@pytest.mark.parametrize("n", [2, 5, 10])
def test_rosenbrock_same_iterations_and_inverse_hessian(n):
    x0 = np.full(n, 0.5)
    ref = so.minimize(rosen, x0, jac=rosen_der, method="BFGS")
    ours = th.minimize(rosen, x0, jac=rosen_der, method="BFGS")
    assert (ours.nit, ours.nfev, ours.njev) == (ref.nit, ref.nfev, ref.njev)
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-8)  # same iterates up to rounding
    # the same BFGS recurrence (product form) on the same pairs: rounding grows over
    # 20-50 updates of a matrix with condition ~1e3
    np.testing.assert_allclose(ours.hess_inv, ref.hess_inv, rtol=1e-5, atol=1e-8)
