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

# the same seeded problems (line, limits, correlated3: a skewed correlated bowl), engine
# fixture (compiled / numpy) and fits as the lean-refit tests
from test_refit_lean import _X, _Y, PROBLEMS, engine, fitted  # noqa: E402, F401
from thetahat import Minuit
from thetahat.cost import LeastSquares


def model(x, m, c):
    return m * x + c


def brute_force(fcn, start, i):
    """Tight interval ends of parameter ``i`` (values, not offsets: each library's minimum
    lies elsewhere within its EDM goal, by up to ~1e-2 error on correlated3)."""
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


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize("name", ["line", "correlated3"])
def test_ends_as_accurate_as_iminuit_with_no_more_calls(name):
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


@pytest.mark.usefixtures("engine")
def test_warm_start_saves_the_second_gradient_cycle():
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
        m = fitted(Minuit, "correlated3")
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


@pytest.mark.usefixtures("engine")
def test_least_squares_line_agrees_with_iminuit():
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
