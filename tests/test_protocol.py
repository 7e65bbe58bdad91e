"""The cost protocols (thetahat.cost._protocol): a user's own class gets the fast path.

Oracles: iminuit on the same least-squares problem (values, errors), the closed-form
linear least-squares solution, and the protocol checks themselves (``capabilities`` must
answer what ``isinstance`` answers).
"""

from __future__ import annotations

import iminuit
import numpy as np
import pytest

from thetahat import Minuit
from thetahat.cost import (
    ExactHessianCost,
    LeastSquares,
    NormalConstraint,
    StructuredCost,
    UnbinnedNLL,
)
from thetahat.cost._protocol import capabilities

RNG = np.random.default_rng(42)
X = np.linspace(0, 2, 20)
Y = 0.5 + 1.5 * X + 0.3 * X**2 + RNG.normal(0, 0.2, X.size)
SIGMA = 0.2


class PlainQuadratic:
    """χ² of y = a + b x + c x², a plain callable: the variable-metric path."""

    errordef = 1.0
    has_grad = True           # the Jacobian is analytic: one call per Gauss-Newton step
    is_sum_of_squares = True  # exactly Σ r², and linear in the parameters
    ndata = X.size

    def __init__(self) -> None:
        self.calls = 0
        self.J = np.stack([np.ones_like(X), X, X**2], axis=1) / SIGMA

    def __call__(self, a, b, c):
        r = Y / SIGMA - self.J @ np.array([a, b, c])
        return float(r @ r)


class Quadratic(PlainQuadratic):
    """The same χ², with the StructuredCost protocol written by hand."""

    def gauss_newton(self, p, free=None, steps=None):
        self.calls += 1
        r = Y / SIGMA - self.J @ np.asarray(p, float)
        return float(r @ r), -2.0 * self.J.T @ r, 2.0 * self.J.T @ self.J


def test_user_class_implements_the_protocol():
    assert isinstance(Quadratic(), StructuredCost)
    assert not isinstance(Quadratic(), ExactHessianCost)
    assert capabilities(Quadratic()) == (True, False)


def test_user_structured_cost_takes_the_gauss_newton_path_and_agrees_with_iminuit():
    cost = Quadratic()
    m = Minuit(cost, a=0, b=0, c=0).migrad()
    mi = iminuit.Minuit(lambda a, b, c: cost(a, b, c), a=0, b=0, c=0)
    mi.errordef = 1.0
    mi.migrad().hesse()
    assert m.valid and mi.valid
    # the linear problem is solved exactly: the normal equations are the oracle
    p = np.linalg.solve(cost.J.T @ cost.J, cost.J.T @ (Y / SIGMA))
    # MIGRAD stops within sqrt(EDM / errordef) standard deviations of the minimum
    np.testing.assert_allclose(np.array(m.values), p, rtol=0,
                               atol=np.sqrt(m.fmin.edm) * float(np.max(m.errors)) + 1e-12)
    # errors from 2 JᵀJ: iminuit's HESSE of the same quadratic agrees to its own accuracy
    np.testing.assert_allclose(np.array(m.errors), np.array(mi.errors), rtol=1e-3)
    # the fast path: Gauss-Newton steps only, a handful of calls (iminuit: dozens)
    assert cost.calls > 0
    assert m.nfcn < mi.nfcn / 3


def test_without_the_protocol_the_same_answer_by_the_variable_metric_engine():
    cost = PlainQuadratic()
    assert capabilities(cost) == (False, False)
    m = Minuit(cost, a=0, b=0, c=0).migrad()
    fast = Minuit(Quadratic(), a=0, b=0, c=0).migrad()
    assert not hasattr(cost, "gauss_newton")
    # both within sqrt(EDM / errordef) standard deviations of the minimum
    tol = (np.sqrt(m.fmin.edm) + np.sqrt(fast.fmin.edm)) * float(np.max(fast.errors))
    np.testing.assert_allclose(np.array(m.values), np.array(fast.values), atol=tol + 1e-12)


@pytest.mark.parametrize("cost", [
    LeastSquares(X, Y, SIGMA, lambda x, a, b: a + b * x),
    UnbinnedNLL(RNG.normal(0, 1, 50), lambda x, mu: np.exp(-0.5 * (x - mu) ** 2)),
    NormalConstraint("a", 1.0, 0.5),
    LeastSquares(X, Y, SIGMA, lambda x, a, b: a + b * x) + NormalConstraint("a", 1.0, 0.5),
], ids=["lsq", "unbinned", "constraint", "sum"])
def test_capabilities_answers_what_isinstance_answers(cost):
    assert capabilities(cost) == (isinstance(cost, StructuredCost),
                                  isinstance(cost, ExactHessianCost)) == (True, True)
