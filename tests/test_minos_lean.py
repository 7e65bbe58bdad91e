"""The lean MINOS path (issue 17): ``intervals.minos.minos_many`` (one checked setup for
all parameters), ``_intervals.warm_steps`` from the diagonal of ``C^-1``, the compiled
driver inlined in ``_refit.lean_refit`` with its fall-back to the general refit, and the
facade's ``FMin`` update without ``dataclasses.replace``; compiled and numpy.

Oracles: closed forms (a correlated quadratic cost, whose profile is exactly parabolic:
interval = ± sqrt(factor * errordef * C_ii)), numpy's ``inv`` for the diagonal of the
inverse, ``dataclasses.replace`` for the FMin, the general refit path
(``_intervals.make_refit`` with the lean path off) call for call, and iminuit's MINOS.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
from iminuit import Minuit as IMinuit

import thetahat.minuit._refit as refit_mod
from test_refit_lean import PROBLEMS, engine, fitted  # noqa: F401
from thetahat import Minuit
from thetahat.derivatives.mn_gradient import _aimsag
from thetahat.intervals.minos import minos_many, minos_one
from thetahat.minuit import _intervals
from thetahat.minuit._facade_intervals import _with_nfcn
from thetahat.minuit._state import Calls

_H = np.array([[4.0, 1.5, 0.5], [1.5, 2.0, -0.3], [0.5, -0.3, 1.0]])
_C = np.linalg.inv(_H)  # the covariance of (x - x0)' H (x - x0) at errordef 1
_X0 = np.array([1.0, -2.0, 0.5])


def _quadratic_refit():
    """refit of F = d' H d (d = x - x0) with held parameters: the exact conditional
    minimum (a linear solve), one "call" per refit."""

    def refit(fixed, start):
        held = list(fixed)
        free = [j for j in range(3) if j not in fixed]
        x = np.array(start, float)
        for j, v in fixed.items():
            x[j] = v
        d_h = x[held] - _X0[held]
        x[free] = _X0[free] - np.linalg.solve(_H[np.ix_(free, free)],
                                              _H[np.ix_(free, held)] @ d_h)
        d = x - _X0
        return SimpleNamespace(fval=float(d @ _H @ d), values=x, valid=True, nfcn=1)

    return refit


def test_minos_many_matches_closed_form_and_minos_one():
    kw = dict(values=_X0, errors=np.sqrt(np.diag(_C)) * 1.3, limits=[(-9.0, 9.0)] * 3,
              fval=0.0, errordef=1.0, factor=4.0, cov=_C)
    many = minos_many(_quadratic_refit(), indices=[2, 0, 1], **kw)
    for d, i in zip(many, [2, 0, 1]):
        half = 2.0 * math.sqrt(_C[i, i])  # sqrt(factor * errordef * C_ii)
        # an exact parabolic profile: the secant step lands on the root up to rounding
        assert (d["lower"], d["upper"]) == pytest.approx((-half, half), rel=1e-9)
        assert d["is_valid"] and d["number"] == i and d["min"] == _X0[i]
        # minos_one on the same inputs is the same computation, field for field
        assert d == minos_one(_quadratic_refit(), index=i, **kw)


@pytest.mark.parametrize("bad, match", [(3, r"\[0, 3\), got 3"), (True, "got True"),
                                        (1.0, "got 1.0")])
def test_minos_many_names_a_bad_index(bad, match):
    with pytest.raises(ValueError, match=match):
        minos_many(_quadratic_refit(), indices=[0, bad], values=_X0, errors=[1.0] * 3,
                   limits=[(-9.0, 9.0)] * 3, fval=0.0, errordef=1.0)


def test_minos_many_names_a_bad_error_of_a_requested_index_only():
    kw = dict(values=_X0, limits=[(-9.0, 9.0)] * 3, fval=0.0, errordef=1.0)
    # the error of a parameter not asked for is not used, so not checked (as minos_one)
    d = minos_many(_quadratic_refit(), indices=[0], errors=[1.0, 0.0, 1.0], **kw)[0]
    assert d["upper"] == pytest.approx(math.sqrt(_C[0, 0]), rel=1e-9)  # exact parabola
    with pytest.raises(ValueError, match=r"errors\[1\] must be positive"):
        minos_many(_quadratic_refit(), indices=[0, 1], errors=[1.0, 0.0, 1.0], **kw)


@pytest.mark.parametrize("fixed", [(), (1,)])
def test_warm_steps_from_the_diagonal_of_the_inverse(fixed):
    m = Minuit(lambda a, b, c: float((np.array([a, b, c]) - _X0) @ _H
                                     @ (np.array([a, b, c]) - _X0)), a=0.0, b=0.0, c=0.0)
    m.errordef = 1
    for k in fixed:
        m.fixed[k] = True
    m.migrad()
    m.hesse()
    st, cov = m._state(), np.array(m.covariance)
    steps = _intervals.warm_steps(st, cov, m.fval)
    free = [j for j in range(3) if j not in fixed]
    g2 = 2.0 * np.diag(np.linalg.inv(cov[np.ix_(free, free)]))  # numpy's inverse
    expect = np.sqrt(2.0 * _aimsag(m.fval, 1.0, None)[0] / g2)
    # LAPACK's potri and numpy's inv of a well-conditioned 2x2 / 3x3: rounding
    assert steps[free] == pytest.approx(expect, rel=1e-13)
    assert np.all(steps[list(fixed)] == st.errors[list(fixed)])  # the fixed keep errors
    # not positive definite: None (the engines start from the errors)
    assert _intervals.warm_steps(st, -cov, m.fval) is None


def test_fmin_nfcn_copy_equals_dataclasses_replace():
    m = Minuit(lambda a, b: (a - 1) ** 2 + (b - 2) ** 2 / 4, a=0, b=0)
    m.errordef = 1
    m.migrad()
    f = m.fmin
    new = _with_nfcn(f, f.nfcn + 17)
    assert new == dataclasses.replace(f, nfcn=f.nfcn + 17) and new is not f
    assert f.nfcn + 17 == new.nfcn and f.nfcn != new.nfcn  # the original is untouched
    n0 = m.nfcn
    m.minos()
    assert m.fmin.nfcn == m.nfcn > n0  # the total, as iminuit


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize("name", ["line", "correlated3"])
def test_inline_refit_falls_back_to_the_general_path(name, monkeypatch):
    """A held set whose steps are not all positive takes the general refit (MIGRAD's
    own checks replace those steps); the answer equals the general path's, call for
    call, on both engines."""
    m = fitted(Minuit, name)
    st = m._state()
    steps = st.errors.copy()
    steps[-1] = 0.0  # the last parameter's step: not usable by the compiled driver
    start = st.values + 0.3 * st.errors
    answers = []
    for lean in (True, False):
        with monkeypatch.context() as mp:
            if not lean:
                mp.setattr(refit_mod, "usable", lambda st: False)
            calls = Calls()
            refit = _intervals.make_refit(st, calls, None, steps)
            r0 = refit({0: float(start[0])}, start)  # steps[-1] = 0: the general call
            answers.append((r0.fval, r0.values.copy(), r0.valid, r0.nfcn, calls.n))
    (fa, xa, va, na, ca), (fb, xb, vb, nb, cb) = answers
    # the same engine from the same start and steps: equal to rounding, same calls
    assert fa == pytest.approx(fb, rel=1e-12) and xa == pytest.approx(xb, rel=1e-12)
    assert va == vb and na == nb and ca == cb == na


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_minos_row_agrees_with_iminuit(name):
    mt, mi = fitted(Minuit, name), fitted(IMinuit, name)
    mt.minos()
    mi.minos()
    for p in mi.parameters:
        et, ei = mt.merrors[p], mi.merrors[p]
        # iminuit's MINOS stops at ~1e-2 errordef accuracy in F: 1% in the interval
        assert (et.lower, et.upper) == pytest.approx((ei.lower, ei.upper), rel=1e-2)
        assert et.is_valid
    if name == "line":  # the bench row (issue 17): a parabolic profile, one refit a side
        assert sum(e.nfcn for e in mt.merrors.values()) \
            < sum(e.nfcn for e in mi.merrors.values())
