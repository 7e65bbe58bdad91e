"""MINOS with warm-started refits (``_intervals.warm_steps``, MIGRAD's own EDM goal for the
refits, the compiled driver called directly by ``_refit``), compiled and numpy.

Oracles: a brute-force profile (scipy's BFGS at gradient tolerance 1e-12 for each
conditional minimum, Brent's root of ``F_prof - fval - errordef`` to 1e-12) and iminuit's
MINOS on the same data (its interval ends and its call count).
"""

from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit as IMinuit
from iminuit.cost import LeastSquares as ILeastSquares
from scipy.optimize import brentq, minimize

import thetahat._compiled as compiled
import thetahat.derivatives.hesse as hs
import thetahat.derivatives.mn_gradient as mng
import thetahat.solvers.migrad as mg
from thetahat import Minuit
from thetahat.cost import LeastSquares

_X = np.linspace(0, 1, 11)
_Y = 1.0 * _X + 2.0 + np.random.default_rng(0).normal(0, 0.1, 11)
_H = np.array([[2.0, 1.2, 0.3], [1.2, 1.5, -0.4], [0.3, -0.4, 1.0]])


def line(m, c):
    return float(np.sum(((_Y - (m * _X + c)) / 0.1) ** 2))


def skewed3(a, b, c):
    # correlated bowl with convex skewing terms: asymmetric, non-parabolic profiles
    d = np.array([a - 1.0, b + 2.0, c - 0.5])
    return float(d @ _H @ d + 0.5 * (np.exp(d[0]) - 1.0 - d[0]) + 0.2 * d[1] ** 4)


def model(x, m, c):
    return m * x + c


PROBLEMS = {
    "line": (line, dict(m=5.0, c=5.0), {}),
    "skewed3": (skewed3, dict(a=0.0, b=0.0, c=0.0), {}),
    "limits": (line, dict(m=0.5, c=2.5), dict(m=(0.0, 5.0), c=(1.5, None))),
}


@pytest.fixture(params=["compiled", "numpy"])
def engine(request, monkeypatch):
    if request.param == "compiled":
        if compiled.migradcore is None:
            pytest.skip("compiled core not built or switched off")
    else:
        for mod in (compiled, mng, hs, mg):
            monkeypatch.setattr(mod, "migradcore", None)
    return request.param


def fitted(M, name):
    fcn, start, limits = PROBLEMS[name]
    m = M(fcn, **start)
    m.errordef = 1
    for k, v in limits.items():
        m.limits[k] = v
    m.migrad()
    m.hesse()
    return m


def brute_force(fcn, start, i):
    """Tight interval ends of parameter ``i`` (values, not offsets: each library's minimum
    lies elsewhere within its EDM goal, by up to ~1e-2 error on skewed3)."""
    n = len(start)
    free = [j for j in range(n) if j != i]
    r = minimize(lambda p: fcn(*p), start, method="BFGS", options=dict(gtol=1e-12))
    x0, f0 = r.x, r.fun

    def rise(v):
        def g(q):
            p = np.empty(n)
            p[i], p[free] = v, q
            return fcn(*p)
        return minimize(g, np.asarray(x0)[free], method="BFGS",
                        options=dict(gtol=1e-12)).fun - f0 - 1.0

    lo = brentq(rise, x0[i] - 3.0, x0[i], xtol=1e-12)
    up = brentq(rise, x0[i], x0[i] + 3.0, xtol=1e-12)
    return lo, up, lo - x0[i], up - x0[i]


@pytest.mark.parametrize("name", ["line", "skewed3"])
def test_ends_as_accurate_as_iminuit_with_no_more_calls(engine, name):
    mt, mi = fitted(Minuit, name), fitted(IMinuit, name)
    n0t, n0i = mt.nfcn, mi.nfcn
    mt.minos()
    mi.minos()
    assert mt.nfcn - n0t <= mi.nfcn - n0i  # the rule: no more calls than iminuit
    fcn = PROBLEMS[name][0]
    for i, p in enumerate(mi.parameters):
        out = brute_force(fcn, list(mi.values), i)
        ends, ref = np.array(out[:2]), np.array(out[2:])
        et, ei = mt.merrors[p], mi.merrors[p]
        assert et.is_valid
        err_t = np.abs(mt.values[p] + np.array([et.lower, et.upper]) - ends)
        err_i = np.abs(mi.values[p] + np.array([ei.lower, ei.upper]) - ends)
        # the ends within MINOS's tolerance on each offset (minos_one's tol), plus the
        # distance of the minimum itself (its EDM goal: ~1e-3 error here) ...
        assert (err_t <= 5e-3 * np.abs(ref) + 1e-3 * mt.errors[p]).all()
        # ... and the interval at least as accurate as iminuit's (its worse end), down to
        # 1e-6 of the offset (where the oracle's tolerances and rounding take over)
        assert err_t.max() <= max(err_i.max(), 1e-6 * np.abs(ref).max())


def test_limits_agree_with_iminuit(engine):
    mt, mi = fitted(Minuit, "limits"), fitted(IMinuit, "limits")
    mt.minos()
    mi.minos()
    for p in mi.parameters:
        et, ei = mt.merrors[p], mi.merrors[p]
        assert et.is_valid and ei.is_valid
        # iminuit's MINOS stops at ~1e-2 errordef in F: 1% in the interval
        assert (et.lower, et.upper) == pytest.approx((ei.lower, ei.upper), rel=1e-2)


def test_warm_start_saves_the_second_gradient_cycle(engine):
    # the line's profile is exactly parabolic and the warm start lands on each
    # conditional minimum: one refit per side, of f(x0) and one central difference per
    # free parameter (3 calls), so 12 calls for the 4 sides (iminuit: 30)
    mt = fitted(Minuit, "line")
    n0 = mt.nfcn
    mt.minos()
    assert mt.nfcn - n0 == 12
    assert all(e.nfcn == 6 for e in mt.merrors.values())


def test_compiled_and_numpy_agree(monkeypatch):
    if compiled.migradcore is None:
        pytest.skip("compiled core not built or switched off")

    def run():
        m = fitted(Minuit, "skewed3")
        n0 = m.nfcn
        m.minos()
        return [(m.merrors[p].lower, m.merrors[p].upper) for p in m.parameters], m.nfcn - n0

    a = run()
    with monkeypatch.context() as mp:
        for mod in (compiled, mng, hs, mg):
            mp.setattr(mod, "migradcore", None)
        b = run()
    # twins: the same steps and calls; values equal to rounding
    assert b[1] == a[1]
    assert np.array(a[0]) == pytest.approx(np.array(b[0]), rel=1e-9)


def test_least_squares_line_agrees_with_iminuit(engine):
    mt = Minuit(LeastSquares(_X, _Y, 0.1, model), m=5.0, c=5.0)
    mi = IMinuit(ILeastSquares(_X, _Y, 0.1, model), m=5.0, c=5.0)
    for m in (mt, mi):
        m.migrad()
        m.hesse()
    n0t, n0i = mt.nfcn, mi.nfcn
    mt.minos()
    mi.minos()
    assert mt.nfcn - n0t <= mi.nfcn - n0i
    for p in mi.parameters:
        et, ei = mt.merrors[p], mi.merrors[p]
        # a linear model: the profile is exactly parabolic, both libraries hit the
        # crossing to rounding (relative 1e-9 leaves room for the two minima's EDMs)
        assert (et.lower, et.upper) == pytest.approx((ei.lower, ei.upper), rel=1e-9)
