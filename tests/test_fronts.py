"""The shared front helpers (:mod:`thetahat.scipy_api._fronts`) and the least_squares request.

Each bounds form, each rejection (its message names the argument, the index and the value)
and scalar broadcasting; scipy is the oracle wherever it accepts or rejects the same input.
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest
import scipy.optimize as so

import thetahat as th
from conftest import reference
from thetahat.scipy_api import _fronts as fr
from thetahat.scipy_api._least_squares import LSQRequest, least_squares_lean
from thetahat.scipy_api._result import OptimizeResult

ORDER = "An upper bound is less than the corresponding lower bound: "  # scipy's words first
RULES = {"least_squares": fr.LEAST_SQUARES, "lsq_linear": fr.LSQ_LINEAR,
         "minimize": fr.MINIMIZE}


def residuals(x):
    return np.array([x[0] - 2.0, 3.0 * (x[1] + 1.0), x[0] * x[1]])


def quad(x):
    return float((x[0] - 2.0) ** 2 + 3.0 * (x[1] + 1.0) ** 2)


# ---------------------------------------------------------------- bounds: accepted forms
@pytest.mark.parametrize("rules", [fr.LEAST_SQUARES, fr.LSQ_LINEAR])
def test_pair_of_scalars_broadcasts(rules):
    lb, ub = fr.parse_bounds((0, 1), 3, rules)
    assert lb.tolist() == [0.0] * 3 and ub.tolist() == [1.0] * 3
    assert lb.dtype == ub.dtype == np.float64


@pytest.mark.parametrize("rules", [fr.LEAST_SQUARES, fr.LSQ_LINEAR])
def test_pair_of_arrays_and_mixed(rules):
    lb, ub = fr.parse_bounds(([0, -np.inf], 5), 2, rules)
    assert lb.tolist() == [0.0, -np.inf] and ub.tolist() == [5.0, 5.0]


@pytest.mark.parametrize("name", RULES)
def test_bounds_object(name):
    lb, ub = fr.parse_bounds(so.Bounds([0, -1], np.inf), 2, RULES[name])
    assert lb.tolist() == [0.0, -1.0] and ub.tolist() == [np.inf, np.inf]


def test_minimize_pairs_with_none():
    lb, ub = fr.parse_bounds([(0, None), (None, 1), (None, None)], 3, fr.MINIMIZE)
    assert lb.tolist() == [0.0, -np.inf, -np.inf] and ub.tolist() == [np.inf, 1.0, np.inf]


def test_result_is_a_new_array():
    lo = np.array([0.0, 0.0])
    lb, _ = fr.parse_bounds((lo, 1.0), 2, fr.LEAST_SQUARES)
    lb[0] = -5.0
    assert lo[0] == 0.0


def test_one_element_array_is_a_scalar_for_least_squares_and_minimize_only():
    for rules in (fr.LEAST_SQUARES, fr.MINIMIZE):
        lb, ub = fr.parse_bounds(so.Bounds([0.0], [1.0]), 3, rules)
        assert lb.tolist() == [0.0] * 3 and ub.tolist() == [1.0] * 3
    with pytest.raises(ValueError, match=r"^bounds lb must be a scalar or have shape \(3,\), "
                                         r"got shape \(1,\)$"):
        fr.parse_bounds(([0.0], [1.0]), 3, fr.LSQ_LINEAR)


@pytest.mark.parametrize("name", ["lsq_linear", "minimize"])
def test_equal_bounds_fix_a_variable(name):
    lb, ub = fr.parse_bounds(so.Bounds([0, 1], [1, 1]), 2, RULES[name])
    assert lb[1] == ub[1] == 1.0


# ---------------------------------------------------------------- bounds: rejections
@pytest.mark.parametrize("name, bounds, message", [
    ("least_squares", ([0, 2], [1, 2]), "bounds: each lower bound must be strictly less than "
                                        "the upper bound; index 1 has lb=2.0, ub=2.0"),
    ("least_squares", ([0, np.nan], 1), "bounds: each lower bound must be strictly less than "
                                        "the upper bound; index 1 has lb=nan, ub=1.0"),
    ("lsq_linear", ([0, 3], [1, 2]), "bounds: lower bound lb[1] = 3.0 exceeds upper bound "
                                     "ub[1] = 2.0"),
    ("lsq_linear", ([0, 0], [1, np.nan]), "bounds[1] = (0.0, nan) contains NaN"),
    ("minimize", [(0, 1), (3, 2)], f"{ORDER}bounds[1]: lower bound 3.0 exceeds upper bound "
                                   "2.0"),
    ("minimize", [(0, 1), (np.nan, 2)], "bounds[1] = (nan, 2.0) contains NaN"),
    ("minimize", so.Bounds([0, 3], [1, 2]), f"{ORDER}bounds[1]: lower bound 3.0 exceeds "
                                            "upper bound 2.0"),
])
def test_out_of_order_names_index_and_values(name, bounds, message):
    with pytest.raises(ValueError) as e:
        fr.parse_bounds(bounds, 2, RULES[name])
    assert str(e.value) == message


def test_first_bad_index_wins_and_nan_is_named_at_its_index():
    with pytest.raises(ValueError, match=r"^An upper .*: bounds\[0\]: lower bound 2.0 exceeds"):
        fr.parse_bounds([(2, 1), (np.nan, 1)], 2, fr.MINIMIZE)
    with pytest.raises(ValueError, match=r"^bounds\[0\] = \(nan, 1.0\) contains NaN$"):
        fr.parse_bounds([(np.nan, 1), (2, 1)], 2, fr.MINIMIZE)


@pytest.mark.parametrize("name, bounds, message", [
    ("least_squares", ([0, 0, 0], 1), r"^bounds: lower bound has shape \(3,\), expected a "
                                      r"scalar or \(2,\)$"),
    ("least_squares", (0, [[1, 1]]), r"^bounds: upper bound has shape \(1, 2\)"),
    ("lsq_linear", (0, [1, 1, 1]), r"^bounds ub must be a scalar or have shape \(2,\), got "
                                   r"shape \(3,\)$"),
    ("minimize", so.Bounds([0, 0, 0], 1), r"^The number of bounds is not compatible with the "
                                          r"length of `x0`: bounds lb has shape \(3,\), "
                                          r"expected a scalar or \(2,\)$"),
])
def test_wrong_shape_names_the_side(name, bounds, message):
    with pytest.raises(ValueError, match=message):
        fr.parse_bounds(bounds, 2, RULES[name])


@pytest.mark.parametrize("bounds", [5, (0, 1, 2)])
def test_not_a_pair(bounds):
    with pytest.raises(ValueError, match=r"^bounds must be a pair \(lb, ub\) or a Bounds "
                                         r"object, got "):
        fr.parse_bounds(bounds, 2, fr.LEAST_SQUARES)
    with pytest.raises(ValueError, match=r"^bounds must be a \(lb, ub\) pair"):
        fr.parse_bounds(bounds, 2, fr.LSQ_LINEAR)


def test_minimize_pairs_rejections():
    with pytest.raises(ValueError, match=r"not compatible with the length of `x0`: got 2 "
                                         r"\(min, max\) pairs for 3 parameters"):
        fr.parse_bounds([(0, 1), (0, 1)], 3, fr.MINIMIZE)
    with pytest.raises(ValueError):  # oracle: scipy rejects the same length mismatch
        so.minimize(lambda x: float(x @ x), np.zeros(3), bounds=[(0, 1), (0, 1)])
    lb, ub = fr.parse_bounds([(0, 1)], 3, fr.MINIMIZE)  # one pair broadcasts, as in scipy
    assert lb.tolist() == [0, 0, 0] and ub.tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match=r"^bounds\[1\] must be a \(min, max\) pair, got 5$"):
        fr.parse_bounds([(0, 1), 5], 2, fr.MINIMIZE)


def test_bounds_sides_keeps_pythons_unpacking_errors():
    # curve_fit reads the sides raw: the same TypeError as scipy for a non-iterable
    assert fr.bounds_sides((0, [1, 2])) == (0, [1, 2])
    b = so.Bounds(0, 1)
    assert fr.bounds_sides(b) == (b.lb, b.ub)
    with pytest.raises(TypeError):
        fr.bounds_sides(5)
    with pytest.raises(ValueError):
        fr.bounds_sides((0, 1, 2))


# ---------------------------------------------------------------- bounds: scipy as oracle
@pytest.mark.parametrize("bounds", [([0, 2], [1, 2]), ([0, 3], [1, 2])])
def test_least_squares_rejects_lb_not_below_ub_as_scipy(bounds):
    for lib in (so, th):
        with pytest.raises(ValueError):
            lib.least_squares(residuals, [0.5, 2.0], bounds=bounds)


def test_least_squares_accepts_bounds_object_as_scipy():
    b = so.Bounds([0.0, -0.5], [3.0, 3.0])
    ours = th.least_squares(residuals, [0.5, 0.5], bounds=b)
    ref = reference(lambda: so.least_squares(residuals, [0.5, 0.5], bounds=b),
                    "Bounds object in least_squares")
    # both converge to the same box-constrained minimum at default tolerances (1e-8)
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-6, atol=1e-8)
    assert ours.active_mask.tolist() == ref.active_mask.tolist()


def test_lsq_linear_bounds_as_scipy():
    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = [1.0, 2.0, 3.0]
    for bounds in [(0, 1.5), so.Bounds([0, 0], [1.5, 1.5])]:
        ref = reference(lambda bounds=bounds: so.lsq_linear(A, b, bounds=bounds),
                        "Bounds object in lsq_linear")
        ours = th.lsq_linear(A, b, bounds=bounds)
        # scipy's trf iterates to tol=1e-10; ours is the exact BVLS minimiser
        np.testing.assert_allclose(ours.x, ref.x, atol=1e-8)
    for lib in (so, th):
        with pytest.raises(ValueError):
            lib.lsq_linear(A, b, bounds=([0, 2], [1, 1]))


@pytest.mark.parametrize("bounds", [[(0, None), (None, -1.5)],
                                    so.Bounds([0, -np.inf], [np.inf, -1.5]),
                                    [(0, 1), (-1.5, -1.5)]])
def test_minimize_bounds_forms_as_scipy(bounds):
    ours = th.minimize(quad, [0.5, -1.5], bounds=bounds)
    ref = so.minimize(quad, [0.5, -1.5], bounds=bounds)
    # both L-BFGS-B runs stop at ftol/gtol 1e-8-ish on a well-conditioned quadratic
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-6)


def test_minimize_rejects_bounds_of_wrong_length_as_scipy():
    for lib in (so, th):
        with pytest.raises(ValueError):
            lib.minimize(quad, [0.5, -2.0], bounds=so.Bounds([0, 0, 0], [1, 1, 1]))


def test_curve_fit_bounds_as_scipy():
    x = np.linspace(0, 1, 11)
    y = 1 + 2 * x

    def line(t, a, b):
        return a + b * t

    for lib in (so, th):
        with pytest.raises(ValueError):
            lib.curve_fit(line, x, y, bounds=([0, 2], [1, 2]), method="lm")
    b = so.Bounds([0, 0], [5, 1.5])
    ref = reference(lambda: so.curve_fit(line, x, y, bounds=b)[0], "Bounds object in curve_fit")
    ours = th.curve_fit(line, x, y, bounds=b)[0]
    # the same bounded minimum; both stop at curve_fit's default tolerances (1e-8)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


# ---------------------------------------------------------------- finite and positive
def test_check_finite_names_argument_index_and_value():
    fr.check_finite(np.array([1.0, 2.0]), "x0")  # finite: nothing raised
    with pytest.raises(ValueError, match=r"^x0\[2\] = nan is not finite$"):
        fr.check_finite(np.array([0.0, 1.0, np.nan, np.inf]), "x0")
    with pytest.raises(ValueError, match=r"^A\[1, 0\] = -inf is not finite$"):
        fr.check_finite(np.array([[1.0, 2.0], [-np.inf, 0.0]]), "A")
    with pytest.raises(ValueError, match=r"^start: p\[0\] = inf!$"):
        fr.check_finite(np.array([np.inf]), "p", message="start: {entry}!")


def test_check_positive():
    fr.check_positive(np.array([1e-300, 2.0]), "sigma")  # positive and finite
    for bad, shown in [(0.0, "0.0"), (-2.0, "-2.0"), (np.inf, "inf"), (np.nan, "nan")]:
        with pytest.raises(ValueError, match=rf"^sigma\[1\] = {shown} must be positive and "
                                             rf"finite$"):
            fr.check_positive(np.array([1.0, bad]), "sigma")


@pytest.mark.parametrize("front, call", [
    ("least_squares", lambda lib: lib.least_squares(residuals, [0.5, np.nan])),
    ("curve_fit", lambda lib: lib.curve_fit(lambda t, a: a * t, [0, 1, 2], [0, np.nan, 2])),
])
def test_non_finite_input_rejected_as_scipy(front, call):
    with pytest.raises(ValueError):
        call(so)
    with pytest.raises(ValueError, match=r"\[1\] = nan is not finite"):
        call(th)


# ---------------------------------------------------------------- callbacks
def test_wrap_callback_none():
    assert fr.wrap_callback(None, sole_result_param=True, stop_on_true=True) is None


def test_wrap_callback_x_gets_a_copy():
    seen = []
    cb = fr.wrap_callback(seen.append, sole_result_param=True, stop_on_true=True)
    x = np.array([1.0, 2.0])
    assert cb({"x": x, "fun": 3.0}) is False
    x[0] = -1.0
    assert seen[0].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("sole", [True, False])
def test_wrap_callback_intermediate_result(sole):
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result)

    wrapped = fr.wrap_callback(cb, sole_result_param=sole, stop_on_true=False)
    wrapped({"x": np.zeros(2), "fun": 1.5})
    assert isinstance(seen[0], OptimizeResult) and seen[0].fun == 1.5


def _cb_sole(intermediate_result):
    return type(intermediate_result).__name__


def _cb_kwonly(*, intermediate_result):
    return type(intermediate_result).__name__


def _cb_default(intermediate_result=None):
    return type(intermediate_result).__name__


def _cb_extra(intermediate_result, extra=0):
    return type(intermediate_result).__name__


def _cb_xk_and_result(xk, intermediate_result=None):
    return type(xk).__name__


@pytest.mark.parametrize("cb", [_cb_sole, _cb_kwonly, _cb_default, _cb_extra,
                                _cb_xk_and_result], ids=lambda f: f.__name__)
@pytest.mark.parametrize("front", ["minimize", "least_squares"])
def test_wrap_callback_detection_as_scipy(front, cb):
    # oracle: which object scipy hands the same callback, in the same front
    def run(lib):
        seen = []

        def spy(*a, **k):
            seen.append(cb(*a, **k))

        spy.__signature__ = inspect.signature(cb)
        if front == "minimize":
            lib.minimize(lambda x: float((x[0] - 1) ** 2), [0.0], callback=spy,
                         options={"maxiter": 2})
        else:
            lib.least_squares(lambda x: x - 1, [0.0], callback=spy, max_nfev=3)
        return seen[0]

    assert run(th) == run(so)
    assert run(th) in ("ndarray", "OptimizeResult")


def test_wrap_callback_stopping():
    state = {"x": np.zeros(1)}

    def raises(x):
        raise StopIteration

    for stop_on_true in (True, False):
        assert fr.wrap_callback(raises, sole_result_param=True, stop_on_true=stop_on_true)(state)
    assert fr.wrap_callback(lambda x: True, sole_result_param=True, stop_on_true=True)(state)
    assert not fr.wrap_callback(lambda x: True, sole_result_param=False,
                                stop_on_true=False)(state)
    assert not fr.wrap_callback(lambda x: 1, sole_result_param=True, stop_on_true=True)(state)


def test_least_squares_callback_as_scipy():
    ours, ref = [], []
    th.least_squares(residuals, [0.5, 0.5], callback=lambda intermediate_result:
                     ours.append(type(intermediate_result.x).__name__))
    reference(lambda: so.least_squares(
        residuals, [0.5, 0.5],
        callback=lambda intermediate_result: ref.append(type(intermediate_result.x).__name__)),
        "callback in least_squares")
    assert ours and set(ours) == set(ref) == {"ndarray"}


# ---------------------------------------------------------------- the request object
def test_request_mirrors_least_squares_signature():
    params = list(inspect.signature(th.least_squares).parameters)
    fields = [f.name for f in dataclasses.fields(LSQRequest)]
    assert fields == params + ["careful"]


def test_request_is_frozen():
    q = LSQRequest(**{f.name: None for f in dataclasses.fields(LSQRequest)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.method = "lm"


def test_lean_goes_through_the_same_checks():
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        least_squares_lean(residuals, [0.5, 0.5], foo=1)
    with pytest.raises(ValueError, match=r"index 1 has lb=2.0, ub=2.0"):
        least_squares_lean(residuals, [0.5, 2.0], bounds=([0, 2], [1, 2]))
    r = least_squares_lean(residuals, [0.5, 0.5], method="lm")
    assert r.success
