"""Finite-difference Jacobians against closed forms."""

import numpy as np
import pytest

from thetahat.derivatives.jacobian import approx_jacobian, default_rel_step


def fun(x, a=1.0):
    return np.array([a * np.exp(x[0]) * x[1], np.sin(x[1]) + x[0] ** 3, x[0] * x[1] ** 2])


def jac_exact(x, a=1.0):
    return np.array([[a * np.exp(x[0]) * x[1], a * np.exp(x[0])],
                     [3 * x[0] ** 2, np.cos(x[1])],
                     [x[1] ** 2, 2 * x[0] * x[1]]])


X = np.array([0.7, -1.3])


@pytest.mark.parametrize("method, rtol", [
    ("2-point", 1e-7),  # truncation + rounding ~ sqrt(eps) relative, with margin
    ("3-point", 1e-9),  # ~ eps^(2/3) relative, with margin
    ("cs", 1e-14),  # complex step: exact up to rounding
])
def test_accuracy_against_closed_form(method, rtol):
    J, nfev = approx_jacobian(fun, X, method=method)
    np.testing.assert_allclose(J, jac_exact(X), rtol=rtol, atol=rtol)
    assert nfev == {"2-point": 3, "3-point": 4, "cs": 2}[method]  # f0 + n, 2n, n calls


def test_f0_saves_a_call_and_args_kwargs_are_passed():
    f0 = fun(X, a=2.0)
    J, nfev = approx_jacobian(fun, X, f0=f0, kwargs={"a": 2.0})
    assert nfev == 2  # n calls, f0 given
    # forward-difference accuracy
    np.testing.assert_allclose(J, jac_exact(X, 2.0), rtol=1e-7, atol=1e-7)
    J2, _ = approx_jacobian(fun, X, args=(2.0,))
    np.testing.assert_allclose(J2, J, rtol=1e-12)  # same steps, same values


@pytest.mark.parametrize("scale", [1e-8, 1e-3, 1.0, 1e4])
def test_relative_steps_keep_relative_accuracy_for_any_parameter_size(scale):
    # f(x) = exp(x / scale): the derivative exp(x/scale)/scale is resolved to ~sqrt(eps)
    # relative only if the step is relative to |x| (a step of 1.5e-8 fails for scale 1e-8)
    x = np.array([0.9 * scale])
    J, _ = approx_jacobian(lambda p: np.exp(p / scale), x)
    exact = np.exp(0.9) / scale
    assert abs(J[0, 0] - exact) <= 3e-8 * abs(exact)  # 2-point: ~sqrt(eps) relative


def test_step_at_zero_uses_the_floor():
    J, _ = approx_jacobian(lambda p: np.array([3 * p[0] + 1]), np.array([0.0]))
    np.testing.assert_allclose(J, [[3.0]], rtol=1e-7)  # linear: only rounding of the step


@pytest.mark.parametrize("method", ["2-point", "3-point"])
@pytest.mark.parametrize("where", ["lower", "upper"])
def test_bounds_are_respected(method, where):
    lb, ub = np.array([0.0, -2.0]), np.array([1.0, 2.0])
    x = np.array([0.0, -2.0]) if where == "lower" else np.array([1.0, 2.0])
    seen = []

    def f(p):
        seen.append(p.copy())
        return fun(p)

    J, _ = approx_jacobian(f, x, method=method, bounds=(lb, ub))
    pts = np.array(seen)
    assert np.all(pts >= lb) and np.all(pts <= ub)
    np.testing.assert_allclose(J, jac_exact(x), rtol=1e-6, atol=1e-6)  # one-sided, same order


def test_narrow_box_shrinks_the_step():
    lb, ub = np.array([1.0]), np.array([1.0 + 1e-12])
    seen = []

    def f(p):
        seen.append(p[0])
        return p ** 2

    J, _ = approx_jacobian(f, np.array([1.0]), bounds=(lb, ub))
    assert all(lb[0] <= s <= ub[0] for s in seen)
    np.testing.assert_allclose(J, [[2.0]], rtol=1e-3)  # step of ~1e-12: rounding ~1e-4


def test_default_rel_steps():
    eps = np.finfo(float).eps
    assert default_rel_step("2-point") == eps ** 0.5
    assert default_rel_step("3-point") == eps ** (1 / 3)


def test_bad_method_and_rel_step():
    with pytest.raises(ValueError, match="method"):
        approx_jacobian(fun, X, method="5-point")
    with pytest.raises(ValueError, match="rel_step"):
        approx_jacobian(fun, X, rel_step=-1.0)
