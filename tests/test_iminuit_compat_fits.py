"""Fit behaviour found by iminuit 2.33's own test suite (issue 14): MIGRAD on a cost that
is unbounded below stops with an invalid minimum instead of stepping until the user's
arithmetic overflows (both twins, iminuit as the oracle for the verdict), and SIMPLEX with
a limited parameter lands as close to the closed-form minimum as iminuit's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import thetahat._compiled as compiled
import thetahat.derivatives.hesse as hs
import thetahat.derivatives.mn_gradient as mng
import thetahat.solvers.migrad as mg
from thetahat import Minuit

iminuit = pytest.importorskip("iminuit")

# Python floats: a**2 raises OverflowError beyond |a| ~ 1.3e154 (numpy would give inf)
_UNBOUNDED = {
    "-a^2 at its maximum": (lambda a: -(a**2), dict(a=0.0)),
    "-a^2 off its maximum": (lambda a: -(a**2), dict(a=1.0)),
    "-a^4": (lambda a: -(a**4), dict(a=0.5)),
    "saddle": (lambda a, b: b**2 - a**2, dict(a=0.0, b=1.0)),
}


def _engine(monkeypatch, engine: str) -> None:
    if engine == "numpy":
        for mod in (compiled, mng, hs, mg):
            monkeypatch.setattr(mod, "migradcore", None)
    elif compiled.migradcore is None:
        pytest.skip("compiled core not built or switched off")


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
@pytest.mark.parametrize("case", list(_UNBOUNDED))
def test_unbounded_cost_gives_invalid_minimum(monkeypatch, engine, case):
    """iminuit's test_function_with_maximum: no exception, an invalid minimum, as iminuit."""
    fcn, start = _UNBOUNDED[case]
    _engine(monkeypatch, engine)
    m = Minuit(fcn, **start)
    m.migrad()  # raised OverflowError (the escape steps grew to 2e154) before the fix
    im = iminuit.Minuit(fcn, **start)
    im.migrad()
    assert not im.fmin.is_valid  # the oracle's verdict
    assert not m.fmin.is_valid
    assert m.fval < fcn(**start)  # it went downhill
    # stopped long before -(a**4) overflows (|a| ~ 1e77)
    assert all(abs(v) < 1e40 for v in m.values)


@pytest.mark.parametrize("case", list(_UNBOUNDED))
def test_unbounded_stop_same_in_both_twins(monkeypatch, case):
    if compiled.migradcore is None:
        pytest.skip("compiled core not built or switched off")
    fcn, start = _UNBOUNDED[case]
    a = Minuit(fcn, **start)
    a.migrad()
    with monkeypatch.context() as mp:
        _engine(mp, "numpy")
        b = Minuit(fcn, **start)
        b.migrad()
    assert a.nfcn == b.nfcn
    # the twins differ by the order of sums in small dot products (a few ulps a step)
    np.testing.assert_allclose(np.array(a.values), np.array(b.values), rtol=1e-10)


def test_unbounded_result_flags():
    r = mg.migrad(lambda x: -float(x[0]) ** 2, np.array([1.0]), np.array([0.1]),
                  mg.MigradOptions())
    assert r.unbounded and not r.is_valid and not r.has_accurate_covar
    assert r.message.startswith("no minimum")


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
@pytest.mark.parametrize("a0", [1.5, 2.0, 3.0, 4.0])
def test_concave_start_of_a_bounded_cost_still_converges(monkeypatch, engine, a0):
    """-exp(-a²/2) is concave for |a| > 1: the unbounded rule must not fire there."""
    _engine(monkeypatch, engine)
    fcn = lambda a: -math.exp(-a * a / 2)  # noqa: E731
    m = Minuit(fcn, a=a0)
    m.migrad()
    im = iminuit.Minuit(fcn, a=a0)
    im.migrad()
    assert m.fmin.is_valid and im.fmin.is_valid
    # closed form: minimum at 0; the EDM goal 2e-4 allows |a| ~ sqrt(2 * 2e-4) = 0.02,
    # iminuit lands within 4e-3 of it on these starts
    assert abs(m.values["a"]) < 4e-3


def _func0(x, y):  # iminuit's test function: minimum at (2, 5)
    return (x - 2.0) ** 2 / 4.0 + np.exp((y - 5.0) ** 2) + 10


@pytest.mark.parametrize("x0", [0.5, 5.0, 8.0])
@pytest.mark.parametrize("limits", [(0, 10), (-3, 20), (1, None)])
def test_simplex_with_fixed_par_and_limits(x0, limits):
    """iminuit's test_simplex_with_fixed_par_and_limits, over more starts and limits."""
    m = Minuit(_func0, x=x0, y=4)
    m.tol = 2e-4
    m.fixed["y"] = True
    m.limits["x"] = limits
    m.simplex()
    assert m.valid
    # closed form x = 2; iminuit's own test allows 3e-3 (iminuit lands 1e-3 to 8e-3 away
    # over these starts; ours was 0.011 away at x0 = 5 before the refined Newton step)
    assert abs(m.values["x"] - 2) < 3e-3
    # F above its minimum within the simplex goal (tol * errordef) by a margin of 10
    assert m.fval - _func0(2, 4) < 0.1 * m.tol
