"""One set of Levenberg-Marquardt rules (solvers._lm_rules, _compiled/_lm_rules.h).

Oracles: the C header's numbers read from its text against the Python module; the tests'
truth tables written out by hand from MINPACK's definitions; the single fit
(``least_squares(method='lm')``) against the batch engine's numpy and compiled twins and
scipy on the same problem (all at one minimum, which scipy locates independently).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize as so

import thetahat
from thetahat._compiled import batchcore
from thetahat.solvers import _lm_rules as R
from thetahat.solvers import batch_lm as B
from thetahat.solvers.levmar import LMOptions, levmar_batch

HEADER = Path(thetahat.__file__).parent / "_compiled" / "_lm_rules.h"


def _header_values() -> dict[str, float]:
    text = HEADER.read_text()
    vals = {m[1]: float(eval(m[2], {})) for m in  # noqa: S307 - our own header's literals
            re.finditer(r"#define (LM_\w+) \(?([-0-9.e*() ]+?)\)?\s*(?:/\*|$)", text, re.M)}
    for m in re.finditer(r"\b(\w+) = (-?\d+)", text):
        vals[m[1]] = float(m[2])
    return vals


def test_header_and_module_hold_the_same_rules():
    h = _header_values()
    assert h["LM_RHO_ACCEPT"] == R.RHO_ACCEPT
    assert h["LM_RHO_SHRINK"] == R.RHO_SHRINK
    assert h["LM_RHO_EXPAND"] == R.RHO_EXPAND
    assert h["LM_RHO_FTOL_MAX"] == R.RHO_FTOL_MAX
    assert h["LM_ROUND"] == R.ROUND
    assert (h["LM_DELTA0"], h["LM_STEP_BAND"], h["LM_STEP_ITER"]) == \
        (R.DELTA0, R.STEP_BAND, R.STEP_ITER)
    for c, p in [("LM_ST_BUDGET", R.ST_BUDGET), ("LM_ST_GTOL", R.ST_GTOL),
                 ("LM_ST_FTOL", R.ST_FTOL), ("LM_ST_XTOL", R.ST_XTOL),
                 ("LM_ST_FTOL_XTOL", R.ST_FTOL_XTOL), ("LM_ST_NONFINITE", R.ST_NONFINITE),
                 ("ST_CONVERGED", R.CONVERGED), ("ST_MAXITER", R.MAX_ITERATIONS),
                 ("ST_SINGULAR", R.SINGULAR), ("ST_NONFINITE", R.NON_FINITE)]:
        assert h[c] == p, c
    # the batch front's public codes are these
    assert (B.CONVERGED, B.MAX_ITERATIONS, B.SINGULAR, B.NON_FINITE) == (1, 2, 3, 4)


def test_stopping_tests_truth_table():
    # MINPACK: ftol needs both relative reductions <= ftol and rho <= 2
    assert R.ftol_ok(1e-9, 1e-9, 1.0, 1e-8)
    assert not R.ftol_ok(1e-7, 1e-9, 1.0, 1e-8)
    assert not R.ftol_ok(1e-9, 1e-7, 1.0, 1e-8)
    assert not R.ftol_ok(-1e-7, 1e-9, -1.0, 1e-8)
    assert not R.ftol_ok(1e-9, 1e-9, 2.5, 1e-8)
    a = np.array([1e-9, 1e-7])
    assert R.ftol_ok(a, a, np.ones(2), 1e-8).tolist() == [True, False]
    assert R.xtol_ok(1e-9, 1.0, 1e-8) and not R.xtol_ok(1e-7, 1.0, 1e-8)
    # gtol: g = (3, 4), column norms (1, 2), |f| = 5: cosines 3/5 and 4/10 (the single
    # fit's term takes norms; the batch's cosine squared norms and chi2)
    assert R.gtol_term(-3.0, 1.0, 5.0) == pytest.approx(3 / 5, rel=1e-15)  # rounding
    assert R.gtol_term(4.0, 2.0, 5.0) == pytest.approx(4 / 10, rel=1e-15)  # rounding
    assert R.gtol_term(1.0, 0.0, 5.0) == 0.0
    # norms of 1e-200 and 1e+200: the products of squares would under/overflow
    assert R.gtol_term(3e-200, 1e-200, 5.0) == pytest.approx(3 / 5, rel=1e-15)
    assert R.gtol_term(3e200, 1e200, 5.0) == pytest.approx(3 / 5, rel=1e-15)
    assert R.gtol_cosine(np.array([[3.0, 4.0]]), np.array([[1.0, 4.0]]),
                         np.array([25.0]))[0] == pytest.approx(3 / 5, rel=1e-15)  # rounding
    assert [R.batch_status(s) for s in (0, 1, 2, 3, 4, -3)] == [2, 1, 1, 1, 1, 4]


X1 = np.linspace(-4, 4, 40)
MODEL = B.BuiltinModel([(3, 3), (0, 1)], 1)  # gauss + const
TRUTH = np.array([5.0, 0.3, 1.1, 0.7])


def _problem():
    rng = np.random.default_rng(16)
    f, _ = MODEL.value_jac(X1[:, None], TRUTH[None])
    y = f + rng.normal(0, 0.1, f.shape)
    p0 = TRUTH * np.array([1.1, 0.8, 0.9, 1.2])
    return y, p0[None]


def _single(y, p0, tol):
    def fun(p):
        return MODEL.value_jac(X1[:, None], p[None])[0][0] - y[0]

    def jac(p):
        return MODEL.value_jac(X1[:, None], p[None])[1][0]

    return fun, jac, thetahat.least_squares(fun, p0[0], jac=jac, method="lm", ftol=tol,
                                            xtol=tol, gtol=tol)


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
def test_single_and_batch_fits_agree(compiled):
    if compiled and batchcore is None:
        pytest.skip("compiled batch core not built")
    y, p0 = _problem()
    tol = 1e-12
    fun, jac, s = _single(y, p0, tol)
    k = p0.shape[1]
    opts = dict(mle=False, lb=np.full(k, -np.inf), ub=np.full(k, np.inf),
                fixed=np.zeros(k, dtype=bool), ftol=tol, xtol=tol, gtol=tol, max_iter=200)
    if compiled:
        b = B.run_compiled(batchcore, MODEL, X1[:, None], y, None, p0, workers=1, chunk=1,
                           **opts)
    else:
        b = B.lm_batch(lambda idx, p: MODEL.value_jac(X1[:, None], p), p0, y, None, **opts)
    ref = so.least_squares(fun, p0[0], jac=jac, method="lm", ftol=tol, xtol=tol, gtol=tol)
    assert s.success and b.status[0] == R.CONVERGED == R.batch_status(s.status)
    err = np.sqrt(np.diag(b.cov[0]) * b.chi2[0] / (X1.size - k))
    # one minimum: the batch stops at its rounding floor, where chi2 is flat to 16 eps of
    # its scale (~50 chi2 here), i.e. within ~sqrt(16 eps 50 ndof) ~ 3e-6 of an error
    assert np.all(np.abs(b.popt[0] - s.x) <= 1e-5 * err)
    # the single fit and scipy take the same kind of steps to the same tests: closer
    assert np.all(np.abs(ref.x - s.x) <= 1e-6 * err)
    assert b.chi2[0] == pytest.approx(2 * s.cost, rel=1e-12)  # chi2 = 2 cost, to rounding


def test_levmar_batch_is_the_batch_engine():
    y, p0 = _problem()
    rb = levmar_batch(lambda X: MODEL.value_jac(X1[:, None], X)[0] - y,
                      lambda X, F: MODEL.value_jac(X1[:, None], X)[1], p0, LMOptions())
    t = B.lm_batch(lambda idx, p: MODEL.value_jac(X1[:, None], p), p0, y, None)
    # the same algorithm on the same numbers (data 0, model the residuals: f - y rounds
    # the same way): equal iterates
    assert rb.nfev.tolist() == t.nfev.tolist() and rb.niter.tolist() == t.niter.tolist()
    np.testing.assert_allclose(rb.x, t.popt, rtol=1e-10, atol=0)  # rounding of f - y
    assert rb.success.all()
