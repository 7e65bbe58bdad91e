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

from thetahat import Minuit, models
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


# a model and a density's pdf declare an instance __signature__ (x, p1, ...) over a
# __call__(x, *p): iminuit reads the declared one
@pytest.mark.parametrize("fn", [_line, _annotated, _Callable(), _Declared(), np.sin,
                                lambda *args: 0.0, lambda x, *args, k=1: 0.0,
                                models.Gaussian(), models.density("gauss", (0, 1)).pdf],
                         ids=["function", "annotated", "instance", "declared", "ufunc",
                              "varargs", "kwonly", "model", "density-pdf"])
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
    with pytest.warns(FutureWarning, match="make_func_code is deprecated"):  # as iminuit
        fc = tu.make_func_code(["a", "b"])
    with pytest.warns(FutureWarning):
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
    with pytest.warns(FutureWarning, match="propagate is deprecated"):  # as iminuit
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


@pytest.mark.filterwarnings("ignore:propagate is deprecated:FutureWarning")
def test_propagate_errors():
    with pytest.raises(ValueError, match="cov must be 2D"):
        tu.propagate(np.exp, [1.0], 0.5)
    with pytest.raises(ValueError, match=r"expected \(2, 2\)"):
        tu.propagate(np.exp, [1.0, 2.0], [[1.0]])
    with pytest.raises(ValueError, match=r"x\[1\] = nan is not finite"):
        tu.propagate(np.exp, [1.0, np.nan], np.eye(2))
    # a NaN or negative variance: iminuit raises ValueError too (same input, same type)
    for bad in ([[np.nan, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, -1.0]]):
        with pytest.raises(ValueError, match="must be non-negative"):
            tu.propagate(np.exp, [1.0, 2.0], bad)
        with pytest.raises(ValueError), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # iminuit's sqrt of -1 first
            iu.propagate(np.exp, [1.0, 2.0], bad)


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


def _fg(a, b):
    return a + 10 * b


@pytest.mark.parametrize("args, kwargs", [(("x", "y"), {}), ((), {"b": "z"}),
                                          (("x",), {"b": "z"}), (("u",), {})],
                         ids=["varnames", "replace", "both", "first-only"])
def test_make_with_signature_as_iminuit(args, kwargs):
    t, r = tu.make_with_signature(_fg, *args, **kwargs), iu.make_with_signature(_fg, *args,
                                                                              **kwargs)
    assert tu.describe(t) == iu.describe(r)
    assert t(1, 2) == r(1, 2) == 21  # arguments pass on by position
    with pytest.raises(ValueError):
        iu.make_with_signature(_fg, "a", "b", "c")
    with pytest.raises(ValueError, match="longer than"):
        tu.make_with_signature(_fg, "a", "b", "c")


def test_gradient_and_hessian_detection_as_iminuit():
    class C:
        def __call__(self, a):
            return a ** 2

        def grad(self, a):
            return [2 * a]

        def hessian(self, a):
            return [[2.0]]

    class NoHessian(C):
        has_hessian = False

    for obj in (C(), NoHessian(), lambda a: a):
        assert (tu.gradient(obj) is None) == (iu.gradient(obj) is None)
        assert (tu.hessian(obj) is None) == (iu.hessian(obj) is None)
    assert tu.is_module_available("numpy") == iu.is_module_available("numpy")
    assert tu.is_module_available("no_such_module_x") == iu.is_module_available(
        "no_such_module_x")
    assert tu.is_jupyter() == iu.is_jupyter()


def test_progress_bar_prints_as_iminuit(capsys):
    for mod in (tu, iu):
        with mod.ProgressBar(max_value=3) as bar:
            for _ in range(3):
                bar += 1
    out = capsys.readouterr().out
    half = len(out) // 2
    assert out[:half] == out[half:]  # the same text, character for character
    assert out[:half].startswith("\r0 %\r33 %")


@pytest.mark.parametrize("mask", [None, [True, False, True, True], [False, True],
                                  [True, True, False, False, True]])
def test_histogram_segments_as_iminuit(mask):
    n = 4 if mask is None else len(mask)
    xe = np.linspace(0, 1, n + 1)
    masked = np.arange(n) if mask is None else np.flatnonzero(mask)
    ours = tu._histogram_segments(mask, xe, masked)
    ref = iu._histogram_segments(mask, xe, masked)
    assert len(ours) == len(ref)
    for (a, b), (c, d) in zip(ours, ref):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


@pytest.mark.parametrize("x", [[1, 2, 3], [-1, 1000, 100000], [1, 10, 100], [1e-3, 1, 1e3],
                               [5, 6, 8, 12]])
def test_detect_log_spacing_as_iminuit(x):
    assert tu._detect_log_spacing(x) == iu._detect_log_spacing(x)


def test_smart_sampling_follows_the_function():
    x, y = tu._smart_sampling(np.sin, 0, 6)
    np.testing.assert_array_equal(y, np.sin(x))
    assert x[0] == 0 and x[-1] == 6 and np.all(np.diff(x) > 0)
    # the polyline's mid-point error is below tol · range = 5e-3 · 2 on every interval
    xm = 0.5 * (x[1:] + x[:-1])
    assert np.max(np.abs(np.sin(xm) - 0.5 * (y[1:] + y[:-1]))) <= 1e-2
    with pytest.warns(RuntimeWarning, match="Iteration limit"):
        tu._smart_sampling(lambda t: np.where(t > 0.5, 0.0, 1.0), 0, 1, tol=0)


def test_small_private_helpers_as_iminuit():
    for v in (None, 1, [], [[]], (None, None), ((1, 2), None), (None, (1, 2))):
        assert tu._ndim(v) == iu._ndim(v)
    for lim in (None, (None, 2), (2, None), (None, None), (1, 3)):
        assert tu._normalize_limit(lim) == iu._normalize_limit(lim)
    with pytest.raises(ValueError):
        tu._normalize_limit((3, 2))
    for v in (0, 1, -2.5, 1e-8):
        assert tu._guess_initial_step(v) == iu._guess_initial_step(v)
    assert list(tu._iterate(1)) == list(iu._iterate(1)) == [1]
    assert list(tu._iterate([1, 2])) == list(iu._iterate([1, 2]))
    assert tu._replace_none(None, 2) == iu._replace_none(None, 2) == 2


def test_basic_view_is_abstract_as_iminuit():
    with pytest.raises(TypeError):
        iu.BasicView(None, 2)
    with pytest.raises(TypeError):
        tu.BasicView(None, 2)


def test_experimental_expanded_as_iminuit():
    import iminuit.experimental as ie

    import thetahat.experimental as te

    def f(x, y, z):
        return x + 2 * y + 3 * z

    def g(x, a, y):
        return x * a - y

    ours, ref = te.expanded(f, g), ie.expanded(f, g)
    args = (1.0, 2.0, 3.0, 4.0)  # x, y, z, a
    for o, r in zip(ours, ref):
        assert tu.describe(o) == iu.describe(r) == ["x", "y", "z", "a"]
        assert o(*args) == r(*args)
    assert te.merge_signatures([f, g]) == ie.merge_signatures([f, g])


# --- iminuit 2.33 public behaviour of util, checked against iminuit on the same input ------

def _ann_gt(x, y: Annotated[float, Gt(0)]):
    return x + y


def _ann_lt(x: Annotated[float, Lt(0)], y):
    return x + y


@pytest.mark.parametrize("order", [(_ann_gt, _ann_lt), (_ann_lt, _ann_gt)])
def test_merge_signatures_limits_from_any_callable(order):
    # a parameter annotated in the second callable keeps its limits in the union
    assert tu.merge_signatures(order, annotations=True) == \
        iu.merge_signatures(order, annotations=True)


def _hint_pair(x, g: Annotated[float, (4, 5)], s: Annotated[float, "units: m"], b: float):
    return 0.0


def test_describe_pair_and_string_metadata():
    # a pair is a limit; a str is not, but any Annotated hint declares (possibly infinite)
    # limits, as iminuit
    assert tu.describe(_hint_pair, annotations=True) == \
        iu.describe(_hint_pair, annotations=True)


def test_is_module_available_missing_parent():
    name = "no_such_package_xyz.sub"
    assert tu.is_module_available(name) is iu.is_module_available(name) is False


def test_is_jupyter_with_kernel_shell(monkeypatch):
    ipython = pytest.importorskip("IPython")

    class _KernelShell:  # what a Jupyter kernel's shell answers
        def has_trait(self, name):
            return name == "kernel"

    monkeypatch.setattr(ipython, "get_ipython", lambda: _KernelShell())
    assert tu.is_jupyter() is iu.is_jupyter() is True


@pytest.mark.parametrize("errordef", [0.5, 1.0])
def test_fmin_public_constructor(errordef):
    from argparse import Namespace

    flags = dict(is_valid=True, has_valid_parameters=True, has_accurate_covar=True,
                 has_posdef_covar=True, has_made_posdef_covar=False, hesse_failed=False,
                 has_covariance=True, is_above_max_edm=False, has_reached_call_limit=False,
                 has_parameters_at_limit=False)
    fm = Namespace(fval=2.5, edm=1e-6, errordef=errordef, state=[], **flags)
    args = (fm, "migrad", 10, 2, 0, 1, 2, 0.1, 1.2)
    ours, theirs = tu.FMin(*args), iu.FMin(*args)
    assert repr(ours) == repr(theirs)
    assert ours == tu.FMin(*args)
    assert ours != tu.FMin(fm, "migrad", 10, 2, 0, 1, 2, 0.3, 1.2)


def test_merrors_numpy_integer_and_bad_key():
    m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2, 0, 0)
    m.errordef = 1
    m.migrad().minos()
    r = iminuit.Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2, 0, 0)
    r.errordef = 1
    r.migrad().minos()
    assert m.merrors[np.int64(1)].name == r.merrors[np.int64(1)].name == "b"
    with pytest.raises(TypeError):
        r.merrors[1.5]
    with pytest.raises(TypeError):
        m.merrors[1.5]


def test_matrix_iminuit_constructor_and_submatrices():
    names = ("a", "b", "c")
    data = np.arange(9.0).reshape(3, 3)
    ours, theirs = tu.Matrix(names), iu.Matrix(names)
    ours[:] = data
    theirs[:] = data
    assert repr(ours) == repr(theirs)
    for key in (slice(None, 2), [0, 2], ["a", "c"], [True, False, True], [-1]):
        a, b = ours[key], theirs[key]
        np.testing.assert_equal(np.asarray(a), np.asarray(b))
        assert a._names() == b._names()
        assert a.to_dict() == b.to_dict()
    for key in (0, "b", ("a", "c"), (slice(None), 1)):
        np.testing.assert_equal(np.asarray(ours[key]), np.asarray(theirs[key]))
    np.testing.assert_equal(np.asarray(ours[np.array([0, 2])]),
                            np.asarray(theirs[np.array([0, 2])]))
    assert ours.to_table()[1] == theirs.to_table()[1]
    for bad in ("ab", 1):
        with pytest.raises(TypeError):
            iu.Matrix(bad)
        with pytest.raises(TypeError):
            tu.Matrix(bad)


def test_smart_sampling_point_counts_as_iminuit():
    # iminuit's published counts (its tests): a line from 20 start points keeps every
    # evaluated midpoint (39); a step refines only around the jump
    for fn, lo, hi, kw in [(lambda x: 2 * x + 1, 1.0, 2.0, {}), (np.exp, 0.0, 10.0, {}),
                           (lambda x: np.where(x > 0.5, 0.0, 1.0), 0.0, 1.0, {"tol": 0})]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # step: iteration limit
            x, _ = tu._smart_sampling(fn, lo, hi, **kw)
            xr, _ = iu._smart_sampling(fn, lo, hi, **kw)
        assert len(x) == len(xr)


def test_timer_adds_to_the_fmin_time():
    from argparse import Namespace

    # oracle: the time before plus a nonnegative elapsed time, as iminuit's _Timer
    for timer in (tu._Timer, iu._Timer):
        t = timer(Namespace(time=1.0))
        with t:
            pass
        assert t.value >= 1.0
        assert timer(None).value == 0.0
