"""thetahat.util against iminuit.util on the same inputs (names, limits, merged signatures,
error propagation), and against closed forms where one exists."""

from __future__ import annotations

import warnings
from typing import Annotated

import iminuit
import iminuit.util as iu
import numpy as np
import pytest
from iminuit.typing import Gt, Interval, Lt

from thetahat import Minuit
from thetahat import util as tu


def _line(x, a, b):
    return a + b * x


def _annotated(x, a: Annotated[float, 0:1], b: Annotated[float, Gt(0)],
               c: Annotated[float, Lt(3)], d: Annotated[float, Interval(gt=-1, lt=1)], e=1.0):
    return 0.0


class _Callable:
    def __call__(self, x, mu, sigma):
        return 0.0


class _Declared:
    _parameters = {"p": (0.0, 1.0), "q": None}

    def __call__(self, *args):
        return 0.0


@pytest.mark.parametrize("fn", [_line, _annotated, _Callable(), _Declared(), np.sin,
                                lambda *args: 0.0, lambda x, *args, k=1: 0.0],
                         ids=["function", "annotated", "instance", "declared", "ufunc",
                              "varargs", "kwonly"])
def test_describe_as_iminuit(fn):
    assert tu.describe(fn) == iu.describe(fn)
    assert tu.describe(fn, annotations=True) == iu.describe(fn, annotations=True)


def test_annotated_limits_reach_minuit_as_iminuit():
    def cost(a: Annotated[float, 0:1], b: Annotated[float, Gt(0)], c):
        return (a - 2) ** 2 + (b + 1) ** 2 + c ** 2

    mt, mi = Minuit(cost, a=0.5, b=1, c=1), iminuit.Minuit(cost, a=0.5, b=1, c=1)
    assert [tuple(lim) for lim in mt.limits] == [tuple(lim) for lim in mi.limits]
    mt.errordef = mi.errordef = 1
    mt.migrad()
    mi.migrad()
    # the limits hold the minimum at a = 1 and b = 0 (the minimiser's edge), as in iminuit
    assert mt.values["a"] == pytest.approx(mi.values["a"], abs=1e-3)
    assert mt.values["b"] == pytest.approx(mi.values["b"], abs=1e-3)
    assert tu.describe(_annotated, annotations=True)["b"] == (0, np.inf)


def test_func_code_and_signatures_as_iminuit():
    fc = tu.make_func_code(["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # iminuit deprecates make_func_code
        ref = iu.make_func_code(["a", "b"])
    assert (fc.co_varnames, fc.co_argcount) == (ref.co_varnames, ref.co_argcount)

    def f():
        return 0

    f.func_code = fc
    assert tu.describe(f) == ["a", "b"]
    g = tu.make_with_signature(_line, b="slope")
    assert tu.describe(g) == iu.describe(iu.make_with_signature(_line, b="slope"))
    assert g(2.0, 1.0, 3.0) == _line(2.0, 1.0, 3.0)  # arguments pass on by position
    h = tu.make_with_signature(lambda *p: sum(p), "u", "v")
    assert tu.describe(h) == ["u", "v"] and h(1, 2) == 3
    fns = [_line, lambda x, b, c: 0, _Callable()]
    assert tu.merge_signatures(fns) == iu.merge_signatures(fns)
    with pytest.raises(ValueError, match="cannot replace"):
        tu.make_with_signature(_line, nope="z")


def test_propagate_closed_form_and_iminuit():
    x, cov = np.array([1.0, 2.0]), np.array([[0.1, 0.02], [0.02, 0.2]])
    y, ycov = tu.propagate(lambda p: np.array([p[0] * p[1], p[0] + p[1]]), x, cov)
    J = np.array([[2.0, 1.0], [1.0, 1.0]])
    # a product and a sum: the extrapolated central differences are exact to rounding
    np.testing.assert_allclose(ycov, J @ cov @ J.T, rtol=1e-10)
    np.testing.assert_allclose(y, [2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # iminuit deprecates propagate
        ry, rcov = iu.propagate(np.exp, x, cov)
    ty, tcov = tu.propagate(np.exp, x, cov)
    exact = np.diag(np.exp(x)) @ cov @ np.diag(np.exp(x))
    np.testing.assert_allclose(ty, ry)
    # ours: O(h^4) with h = 1e-3 sigma; iminuit's plain differences agree to ~1e-6
    np.testing.assert_allclose(tcov, exact, rtol=1e-10)
    np.testing.assert_allclose(rcov, exact, rtol=1e-5)


def test_propagate_errors():
    with pytest.raises(ValueError, match="cov must be 2D"):
        tu.propagate(np.exp, [1.0], 0.5)
    with pytest.raises(ValueError, match=r"expected \(2, 2\)"):
        tu.propagate(np.exp, [1.0, 2.0], [[1.0]])
    with pytest.raises(ValueError, match=r"x\[1\] = nan is not finite"):
        tu.propagate(np.exp, [1.0, np.nan], np.eye(2))


def test_is_positive_definite_and_gradient_as_iminuit():
    for m in ([[1, 0], [0, 1]], [[1, 2], [2, 1]], [[2.0, 0.5], [0.5, 1.0]], [[0.0]]):
        assert tu.is_positive_definite(m) == iu.is_positive_definite(m)
    from thetahat.cost import LeastSquares
    c = LeastSquares([0.0, 1.0], [1.0, 2.0], 1.0, _line)
    assert tu.gradient(c) is None  # no model gradient: has_grad False
    c2 = LeastSquares([0.0, 1.0], [1.0, 2.0], 1.0, _line,
                      grad=lambda x, a, b: np.array([np.ones_like(x), x]))
    assert tu.gradient(c2) is not None


def test_result_types_are_importable_from_util():
    from thetahat.results import FMin, Matrix, MError
    assert tu.FMin is FMin and tu.Matrix is Matrix and tu.MError is MError
    assert issubclass(tu.HesseFailedWarning, tu.IMinuitWarning)
