"""MINUIT's rules (thetahat._core.rules) against iminuit: the EDM goal and its floor, the
validity of a fit for every tolerance, the default call limit.

Oracle: iminuit 2.x on the same cost and start. ``m.tol = 0`` asks for the tightest goal
double precision can reach; iminuit floors tol at 2⁻²⁴ and reports a valid fit, and so
must every thetahat engine (variable metric for a plain function, Gauss-Newton for a
structured cost, SIMPLEX).
"""

from __future__ import annotations

import iminuit
import iminuit.cost
import numpy as np
import pytest

from thetahat import Minuit
from thetahat._core import rules
from thetahat.cost import LeastSquares, UnbinnedNLL

TOLS = [0.0, 1e-12, 0.1, 1.0]


def _line(x, a, b):
    return a + b * x


def _data():
    rng = np.random.default_rng(7)
    x = np.linspace(0, 1, 11)
    return x, _line(x, 1.0, 2.0) + rng.normal(0, 0.1, x.size)


def _bowl(a, b):
    return (a - 1) ** 2 + 10 * (b - 2) ** 2 + 0.1 * (a * b) ** 2


def _normal_pdf(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (np.sqrt(2 * np.pi) * sigma)


def _pair(kind):
    """The same problem for thetahat and for iminuit."""
    if kind == "plain":
        mt, mi = Minuit(_bowl, a=0, b=0), iminuit.Minuit(_bowl, a=0, b=0)
        mt.errordef = mi.errordef = 1.0
        return mt, mi
    if kind == "least_squares":
        x, y = _data()
        return (Minuit(LeastSquares(x, y, 0.1, _line), a=0, b=0),
                iminuit.Minuit(iminuit.cost.LeastSquares(x, y, 0.1, _line), a=0, b=0))
    d = np.random.default_rng(3).normal(1.0, 2.0, 500)
    return (Minuit(UnbinnedNLL(d, _normal_pdf), mu=0.5, sigma=1.5),
            iminuit.Minuit(iminuit.cost.UnbinnedNLL(d, _normal_pdf), mu=0.5, sigma=1.5))


@pytest.mark.parametrize("tol", TOLS)
@pytest.mark.parametrize("kind", ["plain", "least_squares", "unbinned"])
def test_tol_gives_iminuits_goal_and_validity(kind, tol):
    mt, mi = _pair(kind)
    if kind == "unbinned":
        mt.limits["sigma"] = mi.limits["sigma"] = (0, None)
    mt.tol = mi.tol = tol
    mt.migrad()
    mi.migrad()
    # the goal is a formula of tol and errordef: the same double in both
    assert mt.fmin.edm_goal == pytest.approx(mi.fmin.edm_goal, rel=1e-15)
    assert mt.fmin.is_valid == mi.fmin.is_valid
    assert mt.fmin.is_valid
    assert mt.fmin.edm < mt.fmin.edm_goal * 10  # valid means within MINUIT's factor 10
    # both at the same minimum: a point with a given EDM is within sqrt(EDM / errordef)
    # standard deviations of it, so the two are within the sum of those (plus rounding)
    spread = (np.sqrt(mt.fmin.edm) + np.sqrt(mi.fmin.edm)) / np.sqrt(mt.errordef) + 1e-6
    for k in mt.parameters:
        assert mt.values[k] == pytest.approx(mi.values[k], abs=spread * mi.errors[k])


@pytest.mark.parametrize("errordef", [1.0, 0.5])
@pytest.mark.parametrize("tol", TOLS)
def test_simplex_goal_and_validity_as_iminuit(tol, errordef):
    mt, mi = _pair("plain")
    mt.tol = mi.tol = tol
    mt.errordef = mi.errordef = errordef
    mt.simplex()
    mi.simplex()
    assert mt.fmin.edm_goal == pytest.approx(mi.fmin.edm_goal, rel=1e-15)  # one formula
    assert mt.fmin.is_valid == mi.fmin.is_valid
    # SIMPLEX stops when the spread is below its lax goal: near the minimum by sqrt(goal)
    # standard deviations (errors of order one here), the reference likewise
    near = 2 * np.sqrt(max(mt.fmin.edm_goal, mt.fmin.edm) / errordef) + 1e-3
    assert mt.values["a"] == pytest.approx(mi.values["a"], abs=near)


def test_tol_floor_and_default():
    # the floor is on tol · errordef (iminuit 2.33: 1.19e-10 for tol = 0, errordef 1 or 0.5)
    assert rules.edm_goal(0.0, 1.0) == 0.002 * 2.0 ** -24
    assert rules.edm_goal(1e-12, 0.5) == 0.002 * 2.0 ** -24
    assert rules.edm_goal(0.1, 0.5) == 0.002 * 0.05
    m = Minuit(_bowl, a=0, b=0)
    assert m.tol == 0.1 == iminuit.Minuit(_bowl, a=0, b=0).tol
    m.tol = None  # None restores the default, as in iminuit
    assert m.tol == 0.1
    with pytest.raises(ValueError, match="tol must be a non-negative number, got -1"):
        m.tol = -1


def test_call_limit_reached_is_reported_like_iminuit():
    def rosen(x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2
    mt, mi = Minuit(rosen, x=-1.2, y=1), iminuit.Minuit(rosen, x=-1.2, y=1)
    mt.errordef = mi.errordef = 1.0
    mt.migrad(ncall=10)
    mi.migrad(ncall=10)
    assert mt.fmin.has_reached_call_limit and mi.fmin.has_reached_call_limit
    assert not mt.fmin.is_valid and not mi.fmin.is_valid
