"""``thetahat.typing`` against ``iminuit.typing``: the same names, the same limits read by
``describe`` and ``Minuit`` from either library's annotations, the same protocol checks.

No ``from __future__ import annotations`` here: the annotations must be objects, not
strings naming the local ``lib`` (which no one could resolve)."""

import iminuit
import iminuit.typing as it
import iminuit.util as iu
import numpy as np
import pytest

import thetahat.typing as tt
from thetahat import Minuit
from thetahat import util as tu


def test_names_as_iminuit():
    expected = {"UserBound", "Key", "Cost", "CostGradient", "Model", "ModelGradient",
                "LossFunction", "Interval", "Gt", "Ge", "Lt", "Le", "Annotated",
                "PositiveFloat", "Probability"}
    assert expected <= set(dir(it))  # the reference has them all
    assert expected <= set(tt.__all__)


def test_annotation_objects_as_iminuit():
    assert repr(tt.Interval(ge=0, le=1)) == repr(it.Interval(ge=0, le=1))
    assert repr(tt.Gt(0)) == repr(it.Gt(0))
    assert tt.UserBound(0, None) == it.UserBound(0, None) == (0, None)
    assert tt.UserBound(1, 2).max == it.UserBound(1, 2).max == 2


def _model(lib):
    A, Gt, Ge, Lt, Le, Interval = (lib.Annotated, lib.Gt, lib.Ge, lib.Lt, lib.Le,
                                   lib.Interval)

    def f(x, a: A[float, Gt(0), Lt(1)], b: float, c: A[float, 0:], d: A[float, Ge(1)],
          e: A[float, Le(2)], g: A[float, Interval(gt=2, lt=3)], p: lib.PositiveFloat,
          q: lib.Probability):
        return 0.0

    return f


@pytest.mark.parametrize("lib", [tt, it], ids=["thetahat-types", "iminuit-types"])
def test_describe_reads_limits_as_iminuit(lib):
    f = _model(lib)
    ours, ref = tu.describe(f, annotations=True), iu.describe(f, annotations=True)
    assert ours == ref
    assert ours["a"] == (0, 1) and ours["e"] == (-np.inf, 2) and ours["q"] == (0, 1)


@pytest.mark.parametrize("lib", [tt, it], ids=["thetahat-types", "iminuit-types"])
def test_minuit_takes_the_limits_as_iminuit(lib):
    def cost(a: lib.Annotated[float, lib.Gt(0)],
             b: lib.Annotated[float, lib.Interval(gt=0, lt=1)]):
        return (a + 1) ** 2 + (b - 2) ** 2

    mt, mi = Minuit(cost, a=1, b=0.5), iminuit.Minuit(cost, a=1, b=0.5)
    assert [tuple(lim) for lim in mt.limits] == [tuple(lim) for lim in mi.limits]
    mt.errordef = mi.errordef = 1
    mt.migrad()
    mi.migrad()
    # both minima sit on the limits a = 0, b = 1; through the sin transform a limit is
    # reached to ~1e-3
    np.testing.assert_allclose(np.array(mt.values), [0, 1], atol=1e-3)
    np.testing.assert_allclose(np.array(mt.values), np.array(mi.values), atol=2e-3)


def test_string_annotations_as_iminuit():
    def f(x, mu: "tt.Annotated[float, tt.Gt(1)]", nu: "NoSuchName"):  # noqa: F821
        return 0.0

    assert tu.describe(f, annotations=True) == iu.describe(f, annotations=True)


@pytest.mark.parametrize("proto", ["Cost", "CostGradient", "Model", "ModelGradient",
                                   "LossFunction"])
def test_protocols_check_as_iminuit(proto):
    for obj in (lambda x: 0.0, np.sin, 1.0, "text"):
        assert isinstance(obj, getattr(tt, proto)) == isinstance(obj, getattr(it, proto))
