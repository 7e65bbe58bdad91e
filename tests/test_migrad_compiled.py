"""The compiled MIGRAD inner loop (``_compiled/_migrad.c``) against its numpy twin.

The C core runs the call counting, the limit transforms and the call of the user's
function (``Cost``, ``Counted``), MINUIT's numerical gradient with its step control, the
variable-metric iterations (line search, BFGS update, resets) and HESSE's second
differences step for step as :mod:`thetahat.solvers.migrad`,
:mod:`thetahat.derivatives.mn_gradient` and :mod:`thetahat.derivatives.hesse` do in
Python. The oracle is therefore the Python code on the same problem, in the same process
(the core switched off by patching the four modules that read it): the same number of calls,
and values, minimum, EDM and covariance equal to rounding. The two differ only in the
order of the sums in the small dot products (numpy's BLAS against C loops), a few ulps per
iteration, so 1e-10 relative is asserted. A second, independent oracle is iminuit on the
same problems. The other tests check that errors, NaN and the call limit reach the user as
on the Python path.
"""

from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit as IMinuit

import thetahat._compiled as compiled
import thetahat.derivatives.hesse as hs
import thetahat.derivatives.mn_gradient as mng
import thetahat.solvers.migrad as mg
from thetahat import Minuit
from thetahat.solvers.migrad import MigradOptions, migrad

pytestmark = pytest.mark.skipif(
    compiled.migradcore is None,
    reason=(f"compiled core off ({compiled.SWITCH}=0)" if compiled.setting() == "0"
            else "compiled core thetahat._compiled._migrad not built (no C compiler?)"))

# the two paths differ by the summation order of dot products (a few ulps per iteration)
RTOL = 1e-10

_X = np.linspace(0, 1, 11)
_Y = 1.0 * _X + 2.0 + np.random.default_rng(1).normal(0, 0.1, 11)


def chi2(m, c):
    return float(np.sum(((_Y - (m * _X + c)) / 0.1) ** 2))


def rosen(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def bowl(p):
    p = np.asarray(p)
    h = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, 0.2], [0.1, 0.2, 3.0]])
    d = p - np.array([1.0, -2.0, 0.5])
    return float(d @ h @ d)


def numpy_only(monkeypatch):
    for mod in (compiled, mng, hs, mg):
        monkeypatch.setattr(mod, "migradcore", None)


def fit_both(monkeypatch, make):
    """(compiled, numpy) Minuit objects after ``make()``."""
    a = make()
    with monkeypatch.context() as mp:
        numpy_only(mp)
        b = make()
    return a, b


def assert_same(a, b):
    assert a.nfcn == b.nfcn
    assert a.valid == b.valid
    np.testing.assert_allclose(np.array(a.values), np.array(b.values), rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(a.fval, b.fval, rtol=RTOL, atol=1e-14)
    # the EDM is a small difference of near-equal numbers: compared on the scale of the goal
    assert abs(a.fmin.edm - b.fmin.edm) <= RTOL * max(abs(b.fmin.edm), 2e-4)
    if b.covariance is None:
        assert a.covariance is None
    else:
        # HESSE's second differences carry the rounding noise of F, ~ eps |F| / sag ~ 1e-9
        # of the matrix; a shift of x by 1e-12 (the limit transforms' sin/sqrt, an ulp of
        # a dot product) draws other noise
        np.testing.assert_allclose(np.array(a.covariance), np.array(b.covariance),
                                   rtol=1e-7, atol=1e-14)


def _minuit(fcn, strategy=1, limits=None, fixed=(), errordef=1.0, **start):
    def make():
        m = Minuit(fcn, **start) if start else Minuit(fcn, np.zeros(3))
        m.errordef = errordef
        m.strategy = strategy
        for k, v in (limits or {}).items():
            m.limits[k] = v
        for k in fixed:
            m.fixed[k] = True
        m.migrad()
        m.hesse()
        return m
    return make


@pytest.mark.parametrize("strategy", [0, 1, 2])
def test_line_matches_numpy_twin_and_iminuit(monkeypatch, strategy):
    a, b = fit_both(monkeypatch, _minuit(chi2, strategy, m=5.0, c=5.0))
    assert_same(a, b)
    r = IMinuit(chi2, m=5.0, c=5.0)
    r.errordef, r.strategy = 1, strategy
    r.migrad()
    r.hesse()
    # independent oracle: iminuit's minimum, within its EDM (1e-4 of an error is ample)
    np.testing.assert_allclose(np.array(a.values), np.array(r.values),
                               atol=1e-3 * min(r.errors))
    np.testing.assert_allclose(np.array(a.errors), np.array(r.errors), rtol=1e-3)


@pytest.mark.parametrize("strategy", [0, 1, 2])
def test_rosenbrock(monkeypatch, strategy):
    a, b = fit_both(monkeypatch, _minuit(rosen, strategy, x=-1.2, y=1.0))
    # the one explained difference: numpy's matrix-vector products (BLAS, with fused
    # multiply-adds on some CPUs) and the C loops round differently by an ulp; along
    # Rosenbrock's curved valley that grows to ~1e-10 (strategy 0/1, on some CPUs) or ~1e-7
    # (strategy 2, from HESSE's exact seed metric) in x by the end, far inside the EDM (the
    # minimum's error is ~1)
    assert a.nfcn == b.nfcn and a.valid and b.valid
    np.testing.assert_allclose(np.array(a.values), np.array(b.values), atol=1e-5)
    # closed form: the minimum is (1, 1)
    np.testing.assert_allclose(np.array(a.values), [1.0, 1.0], atol=2e-3)


@pytest.mark.parametrize("limits", [dict(m=(0.0, 3.0)), dict(m=(0.5, None), c=(None, 2.5)),
                                    dict(c=(2.3, 4.0))])
def test_limits(monkeypatch, limits):
    a, b = fit_both(monkeypatch, _minuit(chi2, 1, limits, m=1.5, c=2.9))
    assert_same(a, b)


def test_fixed_parameter(monkeypatch):
    a, b = fit_both(monkeypatch, _minuit(chi2, 1, None, ("m",), m=1.3, c=5.0))
    assert_same(a, b)
    assert a.values["m"] == 1.3


def test_array_call(monkeypatch):
    a, b = fit_both(monkeypatch, _minuit(bowl, 1, None, ("x1",)))
    assert_same(a, b)
    a, b = fit_both(monkeypatch, _minuit(bowl, 2, {"x0": (0.0, 0.9)}))
    assert_same(a, b)


def test_nan_region(monkeypatch):
    def f(x, y):  # undefined for x < 0.3: the line search and gradient step back
        return (x - 1) ** 2 + (y - 2) ** 2 + (np.nan if x < 0.3 else 0.0)

    a, b = fit_both(monkeypatch, _minuit(f, 1, x=0.5, y=0.0))
    assert_same(a, b)
    np.testing.assert_allclose(np.array(a.values), [1.0, 2.0], atol=1e-4)  # closed form


def test_solver_level_generic_callable(monkeypatch):
    """migrad() on a plain callable of an array (no Cost): Counted calls it with arrays."""
    def run():
        return migrad(lambda p: bowl(p) + 0.1 * p[0] ** 4, np.zeros(3), np.ones(3),
                      MigradOptions(strategy=1))
    a = run()
    with monkeypatch.context() as mp:
        numpy_only(mp)
        b = run()
    assert a.nfcn == b.nfcn and a.niter == b.niter and a.is_valid and b.is_valid
    np.testing.assert_allclose(a.x, b.x, rtol=RTOL)
    np.testing.assert_allclose(a.hess_inv, b.hess_inv, rtol=1e-7)  # HESSE's noise (above)


@pytest.mark.parametrize("ncall", [5, 12, 23])
def test_call_limit(monkeypatch, ncall):
    def make():
        m = Minuit(rosen, x=-1.2, y=1.0)
        m.errordef = 1
        m.migrad(ncall=ncall)
        return m
    a, b = fit_both(monkeypatch, make)
    assert a.fmin.has_reached_call_limit and b.fmin.has_reached_call_limit
    assert a.nfcn == b.nfcn
    np.testing.assert_allclose(np.array(a.values), np.array(b.values), rtol=RTOL)


class Boom(Exception):
    pass


def test_exception_propagates_with_note(monkeypatch):
    calls = []

    def f(m, c):
        calls.append((m, c))
        if len(calls) == 9:
            raise Boom("no")
        return chi2(m, c)

    def run():
        calls.clear()
        m = Minuit(f, m=5.0, c=5.0)
        m.errordef = 1
        with pytest.raises(Boom) as info:
            m.migrad()
        return info.value, list(calls)

    (ea, ca), (eb, cb) = fit_both(monkeypatch, run)
    assert ca == cb  # the same points, in the same order
    assert str(ea) == str(eb) == "no"
    assert getattr(ea, "__notes__", None) == getattr(eb, "__notes__", None)


def test_keyboard_interrupt_unchanged():
    def f(m, c):
        raise KeyboardInterrupt

    m = Minuit(f, m=5.0, c=5.0)
    m.errordef = 1
    with pytest.raises(KeyboardInterrupt) as info:
        m.migrad()
    assert not getattr(info.value, "__notes__", None)  # propagated as raised


def test_non_float_return(monkeypatch):
    """A numpy scalar, a size-1 array and a non-number go through the cost's conversion."""
    a, b = fit_both(monkeypatch, _minuit(lambda m, c: np.float32(chi2(m, c)), 1, m=5.0,
                                         c=5.0))
    assert_same(a, b)
    m = Minuit(lambda m, c: "x", m=1.0, c=1.0)
    m.errordef = 1
    with pytest.raises(RuntimeError, match="Unable to cast"):
        m.migrad()


def test_counted_rejects_bad_points():
    f = compiled.migradcore.Counted(lambda x: 1.0, 10, RuntimeError, np.zeros(2))
    with pytest.raises(ValueError, match="2 values"):
        f(np.zeros(3))
    assert f(np.zeros(2)) == 1.0 and f.n == 1


def _noisy(p):  # a smooth bowl plus deterministic noise of 1e-9: HESSE's noise check acts
    d = np.asarray(p) - 0.3
    return float(d @ d + 0.5 * d[0] * d[1] + 1e-9 * np.sin(1e7 * d.sum()))


@pytest.mark.parametrize("fcn, x0", [
    (bowl, np.array([1.0, -2.0, 0.5])),
    (_noisy, np.array([0.3, 0.3])),
    (lambda p: float((p[0] - 1) ** 2 + (np.nan if p[1] > 0.05 else p[1] ** 2)),
     np.array([1.0, 0.0])),  # NaN beside the point: steps halved
    (lambda p: float(p[0] ** 2), np.array([0.0, 0.0])),  # p[1] has no effect: HESSE fails
])
@pytest.mark.parametrize("strategy", [0, 1, 2])
@pytest.mark.parametrize("max_nfcn", [None, 7])
def test_hesse_twin(monkeypatch, fcn, x0, strategy, max_nfcn):
    """HESSE alone: no dot products on either path, so the two agree to the last bit."""
    from thetahat.derivatives.hesse import hesse

    opts = MigradOptions(strategy=strategy)

    def run():
        return hesse(fcn, x0, fcn(x0), opts, step0=np.full(x0.size, 0.5), max_nfcn=max_nfcn)
    a = run()
    with monkeypatch.context() as mp:
        numpy_only(mp)
        b = run()
    assert (a.nfcn, a.failed, a.made_posdef, a.message) == (b.nfcn, b.failed, b.made_posdef,
                                                            b.message)
    for u, v in [(a.hess, b.hess), (a.hess_inv, b.hess_inv), (a.grad, b.grad),
                 (a.g2, b.g2), (a.gstep, b.gstep)]:
        np.testing.assert_array_equal(u, v)


def _both(monkeypatch, fcn, x0, step=0.1, **opts):
    def run():
        return migrad(fcn, np.asarray(x0, float), np.full(len(x0), step), MigradOptions(**opts))
    a = run()
    with monkeypatch.context() as mp:
        numpy_only(mp)
        b = run()
    return a, b


_FLAGS = ("nfcn", "niter", "is_valid", "is_above_max_edm", "has_reached_call_limit",
          "has_covariance", "has_accurate_covar", "has_posdef_covar",
          "has_made_posdef_covar", "hesse_failed", "message", "hesse_at_x", "flat")


@pytest.mark.parametrize("case", ["saddle", "no effect", "flat", "quartic", "ill bowl",
                                  "strategy 0", "iterate 1", "call limit", "bowl n=20"])
def test_driver_branches(monkeypatch, case):
    """The branches of the driver: the saddle escape (a matrix forced positive definite,
    through the numpy callbacks), a failed HESSE (retried from the diagonal metric), a
    flat cost, strategy 0's two final steps, one attempt only, the call limit mid-way."""
    rng = np.random.default_rng(3)
    a20 = rng.normal(size=(20, 20))
    h20 = a20 @ a20.T / 20 + 0.05 * np.eye(20)
    cases = {
        "saddle": (lambda x: float(x[0] ** 2 - x[1] ** 2 + x[1] ** 4), [1.0, 0.0], {}),
        "no effect": (lambda x: float(x[0] ** 2), [1.0, 0.0], {}),
        "flat": (lambda x: 3.0, [1.0, 2.0], {}),
        "quartic": (lambda x: float(x[0] ** 4 + (x[1] - 1) ** 4), [2.0, -1.0], {}),
        "ill bowl": (lambda x: float(1e4 * (x[0] - x[1]) ** 2 + (x[0] + x[1]) ** 2),
                     [3.0, -2.0], {}),
        "strategy 0": (lambda x: float((x[0] - 1) ** 2 + 0.1 * (x[0] - 1) ** 3
                                       + 4 * x[1] ** 2), [3.0, 1.0], dict(strategy=0)),
        "iterate 1": (lambda x: float(x[0] ** 2), [1.0, 0.0], dict(iterate=1)),
        "call limit": (lambda x: rosen(*x), [-1.2, 1.0], dict(max_nfcn=40)),
        "bowl n=20": (lambda x: float(x @ h20 @ x), np.ones(20), {}),
    }
    fcn, x0, opts = cases[case]
    escapes = []
    escape = mg._escape
    monkeypatch.setattr(mg, "_escape", lambda *a: escapes.append(1) or escape(*a))
    a, b = _both(monkeypatch, fcn, x0, **opts)
    assert len(escapes) == (2 if case == "saddle" else 0)  # once from each driver
    assert [getattr(a, k) for k in _FLAGS] == [getattr(b, k) for k in _FLAGS]
    # the C loops and numpy's BLAS round dot products differently (module docstring); the
    # minima at 0 compared absolutely: 1e-10 is below 1e-8 of every error here (>= 7e-3)
    np.testing.assert_allclose(a.x, b.x, rtol=RTOL, atol=1e-10)
    np.testing.assert_allclose(a.fval, b.fval, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(a.edm, b.edm, rtol=1e-6, atol=1e-12)  # a small difference
    np.testing.assert_allclose(a.hess_inv, b.hess_inv, rtol=1e-7, atol=1e-12)  # HESSE noise


@pytest.mark.parametrize("hmax", [None, np.array([1e-3, 1.0, 1.0])])
@pytest.mark.parametrize("state", [None, "steps"])
@pytest.mark.parametrize("sigma_frac", [0.0, 0.5])
def test_gradient_twin(monkeypatch, hmax, state, sigma_frac):
    """The numerical gradient alone (no dot products): bit for bit, on a function that is
    NaN on one side of a component (one-sided difference, halved step)."""
    def f(p):
        return float(np.exp(p[0]) + 3 * p[1] ** 2 + (np.nan if p[2] < 0.5 else p[2] ** 3))

    x = np.array([0.2, -1.0, 0.5])
    st = None if state is None else mng.GradState(gstep=np.array([0.3, 1e-4, 0.02]),
                                                  g2=np.array([1.0, 6.0, 3.0]))

    def run():
        return mng.gradient_full(f, x, f(x), st, 1.0, None, 1, 3, hmax, sigma_frac)
    a = run()
    with monkeypatch.context() as mp:
        numpy_only(mp)
        b = run()
    assert a[3] == b[3]  # the calls
    for u, v in [(a[0], b[0]), (a[1], b[1]), (a[2].gstep, b[2].gstep), (a[2].h, b[2].h),
                 (a[2].fplus, b[2].fplus), (a[2].fminus, b[2].fminus)]:
        np.testing.assert_array_equal(u, v)


def test_minos_and_profile_refits(monkeypatch):
    """MINOS and a profile refit with strategy 0 (the compiled driver's no-HESSE branch,
    two final steps): the same calls and intervals as on the numpy path."""
    def make():
        m = Minuit(chi2, m=5.0, c=5.0)
        m.errordef = 1
        m.limits["c"] = (0.0, 10.0)
        m.migrad()
        m.minos()
        # a fixed grid: the default one follows the error, whose HESSE noise differs
        prof = m.mnprofile("m", grid=np.linspace(0.5, 1.5, 7))
        return m, prof
    (a, pa), (b, pb) = fit_both(monkeypatch, make)
    assert a.nfcn == b.nfcn
    for k in ("m", "c"):
        ea, eb = a.merrors[k], b.merrors[k]
        assert ea.nfcn == eb.nfcn and ea.is_valid and eb.is_valid
        # interval ends from refits whose minima agree to ~1e-12 (module docstring)
        np.testing.assert_allclose([ea.lower, ea.upper], [eb.lower, eb.upper], rtol=1e-9)
    np.testing.assert_allclose(pa[1], pb[1], rtol=1e-10)  # profiled chi2 values


@pytest.mark.parametrize("k", [40, 50])
def test_negligible_final_step_keeps_hesse(monkeypatch, k):
    """A bowl of k >= 39 parameters ends MIGRAD with a final step of EDM ~ 1e-14 (below
    HESSE_LAG_EDM): V stays HESSE's, so hesse() right after costs no call in either twin,
    and the errors are the closed form sqrt(2 / w_i) and those of a fresh HESSE."""
    w, c = np.arange(1.0, k + 1), np.arange(float(k))

    def fcn(p):
        d = p - c
        return 0.5 * float(w @ (d * d))
    fcn.errordef = 1.0

    def make():
        m = Minuit(fcn, np.zeros(k))
        m.migrad()
        n = m.nfcn
        m.hesse()
        return m, m.nfcn - n
    (a, na), (b, nb) = fit_both(monkeypatch, make)
    assert na == nb == 0
    assert a.nfcn == b.nfcn
    for m in (a, b):
        # the bowl is exactly quadratic: HESSE's differences are exact to rounding
        np.testing.assert_allclose(np.array(m.errors), np.sqrt(2.0 / w), rtol=1e-6)
        fresh = Minuit(fcn, np.array(m.values))
        fresh.hesse()
        # both from second differences of one quadratic: equal to their rounding
        np.testing.assert_allclose(np.array(m.errors), np.array(fresh.errors), rtol=1e-6)
