"""Regression tests for the cases of the issue-15 trust audit
(tests/battery/trust_battery.py) that were fixed.

Each test is named after its battery case and checks against an independent oracle: a
closed form for the minimum and its error, iminuit for the reported EDM goal, and the
message naming the argument for a refused input.
"""

from __future__ import annotations

import iminuit
import numpy as np
import pytest

import thetahat
from thetahat._core import rules


def quad(x, y):
    return (x - 1) ** 2 + (y - 2) ** 2


@pytest.mark.parametrize("scale", [1e-200, 1e-30, 1e-8])
def test_audit_minuit_tiny_scale_fcn(scale):
    # a cost scaled by a tiny factor with errordef scaled alike is the same problem: the
    # minimum at x = 1 with error sqrt(errordef / scale) = 1 (closed form); MIGRAD used to
    # stop at the start, EDM = 1 errordef, because the EDM goal's floor was absolute
    m = thetahat.Minuit(lambda x: scale * (x - 1) ** 2 + scale, x=0)
    m.errordef = scale
    m.migrad()
    assert m.valid
    # quadratic cost: Newton lands on the minimum to rounding; 1e-8 leaves room for FD steps
    assert m.values["x"] == pytest.approx(1.0, abs=1e-8)
    # HESSE of an exact parabola by finite differences: ~1e-8 relative
    assert m.errors["x"] == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("tol", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("errordef", [0.5, 1.0, 4.0])
def test_audit_edm_goal_unchanged_for_usual_errordef(tol, errordef):
    # the EDM goal iminuit reports for the usual errordef stays exactly as it was
    m = iminuit.Minuit(quad, x=0, y=0)
    m.errordef = errordef
    m.tol = tol
    m.migrad()
    # both compute 0.002 * max(tol * up, 2**-24) in double precision: equal to rounding
    assert rules.edm_goal(tol, errordef) == pytest.approx(m.fmin.edm_goal, rel=1e-12)


def test_audit_edm_goal_floor_scales_below_half():
    # below errordef 0.5 the floor 2**-24 shrinks with errordef: goal / errordef is the
    # same as at errordef 0.5 (closed form 0.002 * 2 * 2**-24); exact, pure arithmetic
    assert rules.edm_goal(0.0, 1e-200) / 1e-200 == pytest.approx(0.004 * 2.0 ** -24,
                                                                   rel=1e-15)


@pytest.mark.parametrize(("args", "kwds", "label"), [
    ((), {"x": 1 + 1j, "y": 0}, "'x'"),
    ((1 + 1j, 0), {}, "[0]"),
    ((np.array([0.0, 1 + 1j]),), {}, "[1]"),
    ((), {"x": None, "y": 0}, "'x'"),
])
def test_audit_minuit_start_complex(args, kwds, label):
    # a complex or non-numeric starting value is refused by name (it used to end in
    # float()'s "must be a real number, not 'complex'" from inside the setup)
    with pytest.raises(TypeError, match=r"starting value.*must be a real number") as exc:
        thetahat.Minuit(quad if kwds else (lambda p: quad(*p)) if len(args) == 1
                        else quad, *args, **kwds)
    assert label in str(exc.value)


def test_audit_minuit_start_numeric_strings_and_ints_still_accepted():
    # integers and numeric strings convert as before (float() semantics); the minimum of
    # the quadratic is (1, 2) in closed form, solved to ~1e-8
    m = thetahat.Minuit(quad, x=np.int64(0), y="0")
    m.migrad()
    assert np.allclose(m.values, [1.0, 2.0], atol=1e-6)  # MIGRAD at default tol


@pytest.mark.parametrize("scale", [1e-300, 1e-200])
def test_audit_least_squares_lm_tiny_scale(scale):
    # residuals and parameters ~1e-300: the polish's shift estimate sigma_max |f| / sigma_min^2
    # divided by an underflowed sigma_min^2 (ZeroDivisionError from solvers/levmar.py); the
    # oracle is the closed-form linear least-squares solution, scaled
    x = np.linspace(0.0, 1.0, 10)
    y = 1.0 + 2.0 * x + np.random.default_rng(1).normal(0.0, 0.05, 10)
    truth = np.polynomial.polynomial.polyfit(x, y, 1)
    res = thetahat.least_squares(lambda p: (p[0] + p[1] * x) - y * scale, [scale, scale],
                                 method="lm")
    assert res.success
    # a linear problem solved by Gauss-Newton steps: ~1e-8 relative after the polish
    assert np.allclose(res.x / scale, truth, rtol=1e-6)
