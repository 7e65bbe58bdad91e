"""The compiled L-BFGS-B and Nelder-Mead (``_compiled/_minimize.c``) against their numpy twins.

:func:`thetahat.solvers.lbfgsb.lbfgsb` and :func:`thetahat.solvers.nelder_mead.nelder_mead`
run the C core by default when it is built and their numpy code with ``compiled=False``;
the two implement the same iteration step for step, so the oracle for the core is the numpy
code on the same problem: the same ``nit``, the same calls, the same stopping message, and
values equal to rounding. The numpy code itself is checked against scipy in
``test_minimize.py`` / ``test_minimize_scipy.py`` (which run on the core by default, and on
the numpy code with ``THETAHAT_COMPILED=0``); here scipy is the second oracle for the calls
and the minimum found by the core.

Rounding: the core sums dot products in four partial sums and inverts the compact middle
matrix by Gauss-Jordan, numpy by BLAS and LAPACK; the iterates differ by a few ulps, and on
a long ill-conditioned crawl (several hundred iterations of Rosenbrock in 50 dimensions)
those ulps can grow into a different path. The problems below are the benchmark's, where
the paths stay together.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import rosen, rosen_der

import thetahat._compiled as compiled
import thetahat.solvers.lbfgsb as lb
import thetahat.solvers.nelder_mead as nm
from thetahat import minimize

pytestmark = pytest.mark.skipif(compiled.minicore is None,
                                reason="compiled core _minimize not built or switched off")

# iterates of the twins differ by rounding only (see the module docstring): the ulps of
# the dot products, grown by the condition of Rosenbrock's Hessian near its minimum
# (~2.5e3), reach 4e-10 at n = 20; 1e-9 on x, on f relative to max(|f|, 1)
TOL = 1e-9
HNORM = 3e3  # bound of ||H|| of Rosenbrock near the box and the minimum: dg <= H dx


class Counted:
    """``fg`` for Rosenbrock with a call counter."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.calls += 1
        return float(rosen(x)), rosen_der(x)


def _box(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-1, 0.5, n)
    return lo, lo + rng.uniform(0.2, 1.0, n)


def _lbfgsb_both(x0, lo, hi, **kw):
    out = []
    for flag in (False, True):
        fg = Counted()
        r = lb.lbfgsb(fg, x0, lo, hi, compiled=flag, **kw)
        out.append((r, fg.calls))
    return out


def _assert_same(a, b):
    (ra, ca), (rb, cb) = a, b
    assert (ra.nit, ca, ra.status, ra.message) == (rb.nit, cb, rb.status, rb.message)
    np.testing.assert_allclose(rb.x, ra.x, rtol=0, atol=TOL)
    assert abs(rb.fun - ra.fun) <= TOL * max(abs(ra.fun), 1.0)
    np.testing.assert_array_equal(rb.jac, rosen_der(rb.x))  # the gradient of the point
    np.testing.assert_allclose(rb.jac, ra.jac, rtol=0, atol=HNORM * TOL)  # dg <= H dx
    assert rb.hess_inv.sk.shape == ra.hess_inv.sk.shape


@pytest.mark.parametrize("n", [2, 5, 10, 20, 50, 100, 1000])
def test_lbfgsb_unbounded_matches_numpy(n):
    x0 = np.full(n, 0.5)
    inf = np.full(n, np.inf)
    a, b = _lbfgsb_both(x0, -inf, inf)
    _assert_same(a, b)
    H, Hn = b[0].hess_inv, a[0].hess_inv
    if n <= 10:  # the same pairs give the same matrix; x equal to ~1e-15, the pairs' y
        # (differences of gradients ~1e-5 apart) to ~1e-8 relative
        np.testing.assert_allclose(H.todense(), Hn.todense(), rtol=1e-6, atol=1e-12)
    # beyond, the newest pair s = x_k+1 - x_k ~ 1e-7 carries y to cancellation: compare
    # what the operator must satisfy, the secant equation H y = s of the newest pair
    s, y = H.sk[-1], H.yk[-1]
    np.testing.assert_allclose(H @ y, s, rtol=1e-6, atol=1e-8 * np.abs(s).max())  # 2-loop


@pytest.mark.parametrize("n, seed", [(2, 1), (5, 0), (10, 3), (20, 0), (50, 0), (200, 4)])
def test_lbfgsb_boxed_matches_numpy(n, seed):
    lo, hi = _box(n, seed)
    x0 = np.clip(np.full(n, 0.3), lo, hi)
    a, b = _lbfgsb_both(x0, lo, hi)
    _assert_same(a, b)
    assert np.all(b[0].x >= lo) and np.all(b[0].x <= hi)


def test_lbfgsb_one_sided_bounds_and_small_memory():
    n = 8
    lo = np.full(n, -np.inf)
    lo[::2] = 0.7  # the minimum x = 1 is inside; bounds matter on the way
    hi = np.full(n, np.inf)
    hi[1] = 0.8  # active at the solution
    a, b = _lbfgsb_both(np.full(n, 2.0), lo, hi, options=lb.LBFGSBOptions(maxcor=3))
    _assert_same(a, b)
    assert b[0].x[1] == 0.8


@pytest.mark.parametrize("opts, status", [(lb.LBFGSBOptions(maxiter=5), 1),
                                          (lb.LBFGSBOptions(maxfun=9), 1),
                                          (lb.LBFGSBOptions(gtol=1e-2), 0),
                                          (lb.LBFGSBOptions(ftol=1e-3), 0)])
def test_lbfgsb_limits_match_numpy(opts, status):
    inf = np.full(6, np.inf)
    a, b = _lbfgsb_both(np.full(6, -1.0), -inf, inf, options=opts)
    _assert_same(a, b)
    assert b[0].status == status


def test_lbfgsb_against_scipy_calls_and_minimum():
    # scipy as the second oracle: equal calls, the same minimum to its tolerance
    for n in (2, 10, 100):
        x0 = np.full(n, 0.5)
        ours = minimize(rosen, x0, method="L-BFGS-B", jac=rosen_der)
        ref = so.minimize(rosen, x0, method="L-BFGS-B", jac=rosen_der)
        assert (ours.nfev, ours.nit) == (ref.nfev, ref.nit)
        assert ours.fun == pytest.approx(ref.fun, rel=1e-6)  # equal steps, rounding apart


def test_lbfgsb_callback_stop_and_errors():
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result.fun)
        if len(seen) % 3 == 0:
            raise StopIteration

    res = minimize(rosen, np.full(4, 0.5), method="L-BFGS-B", jac=rosen_der, callback=cb)
    ref = so.minimize(rosen, np.full(4, 0.5), method="L-BFGS-B", jac=rosen_der, callback=cb)
    assert (res.nit, res.status, res.success) == (3, 99, False)
    assert res.message == ref.message
    assert seen[:3] == pytest.approx(seen[3:6], rel=1e-12)  # same iterates as scipy

    def boom(x):
        if x[0] > 0.6:
            raise KeyError("user error")
        return rosen(x)

    with pytest.raises(KeyError, match="user error"):
        minimize(boom, np.full(3, 0.5), method="L-BFGS-B", jac=rosen_der)


def test_lbfgsb_gradient_coerced_or_rejected():
    def fg_strided(x):  # a strided float32 view: converted, same path
        g = np.zeros((x.size, 2), dtype=np.float32)
        g[:, 0] = rosen_der(x)
        return rosen(x), g[:, 0]

    inf = np.full(3, np.inf)
    a = lb.lbfgsb(fg_strided, np.full(3, 0.5), -inf, inf, compiled=False)
    b = lb.lbfgsb(fg_strided, np.full(3, 0.5), -inf, inf, compiled=True)
    assert (a.nit, a.message) == (b.nit, b.message)
    np.testing.assert_allclose(b.x, a.x, atol=TOL)
    with pytest.raises(ValueError, match="gradient must have 3 values"):
        lb.lbfgsb(lambda x: (1.0, np.ones(4)), np.zeros(3), -inf, inf, compiled=True)


def test_lbfgsb_not_finite_matches_numpy():
    def fg(x):
        f = rosen(x)
        return (np.nan if x[0] > 0.9 else f), rosen_der(x)

    inf = np.full(2, np.inf)
    ra = lb.lbfgsb(fg, np.array([-1.0, 1.0]), -inf, inf, compiled=False)
    rb = lb.lbfgsb(fg, np.array([-1.0, 1.0]), -inf, inf, compiled=True)
    assert (ra.nit, ra.status, ra.message) == (rb.nit, rb.status, rb.message)
    np.testing.assert_allclose(rb.x, ra.x, atol=TOL)


def test_compiled_true_without_core(monkeypatch):
    monkeypatch.setattr(lb, "_minicore", None)
    monkeypatch.setattr(nm, "_minicore", None)
    inf = np.full(2, np.inf)
    with pytest.raises(RuntimeError, match="_minimize is not available"):
        lb.lbfgsb(Counted(), np.zeros(2), -inf, inf, compiled=True)
    with pytest.raises(RuntimeError, match="_minimize is not available"):
        nm.nelder_mead(rosen, np.zeros(2), compiled=True)
    r = lb.lbfgsb(Counted(), np.zeros(2), -inf, inf)  # default: the numpy code
    assert r.status == 0


# --- Nelder-Mead ---------------------------------------------------------------------------
def _nm_both(f, x0, opts, callback=None):
    return [nm.nelder_mead(f, x0, opts, callback, compiled=flag) for flag in (False, True)]


def _nm_same(a, b):
    assert (a.nit, a.nfev, a.status, a.message) == (b.nit, b.nfev, b.status, b.message)
    np.testing.assert_allclose(b.final_simplex[0], a.final_simplex[0], rtol=0, atol=TOL)
    np.testing.assert_allclose(b.final_simplex[1], a.final_simplex[1], rtol=TOL, atol=0)
    np.testing.assert_array_equal(b.x, b.final_simplex[0][0])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("adaptive", [False, True])
def test_nelder_mead_matches_numpy(n, adaptive):
    opts = nm.NelderMeadOptions(adaptive=adaptive, maxiter=20000, maxfev=20000)
    f = rosen if n > 1 else (lambda x: (x[0] - 2.0) ** 2 + 1.0)
    a, b = _nm_both(f, np.full(n, 0.5), opts)
    _nm_same(a, b)


def test_nelder_mead_against_scipy():
    for adaptive in (False, True):
        ours = minimize(rosen, np.full(3, 0.5), method="Nelder-Mead",
                        options={"adaptive": adaptive})
        ref = so.minimize(rosen, np.full(3, 0.5), method="Nelder-Mead",
                          options={"adaptive": adaptive})
        assert (ours.nit, ours.nfev, ours.status) == (ref.nit, ref.nfev, ref.status)
        np.testing.assert_allclose(ours.x, ref.x, rtol=0, atol=1e-12)  # the same steps


@pytest.mark.parametrize("opts", [
    nm.NelderMeadOptions(maxfev=7),  # budget spent inside an iteration
    nm.NelderMeadOptions(maxfev=2),  # ... inside the start simplex
    nm.NelderMeadOptions(maxiter=10),
    nm.NelderMeadOptions(xatol=1e-8, fatol=1e-12),
    nm.NelderMeadOptions(lower=np.array([-0.5, 0.6, -1.0]), upper=np.array([0.8, 2.0, 0.9])),
    nm.NelderMeadOptions(initial_simplex=np.array([[0., 0, 0], [1, 0, 0], [0, 1, 0],
                                                   [0, 0, 1]])),
])
def test_nelder_mead_options_match_numpy(opts):
    a, b = _nm_both(rosen, np.full(3, 0.5), opts)
    _nm_same(a, b)


def test_nelder_mead_nonfinite_callback_and_errors():
    def f(x):  # infinite outside a disc: treated as +inf by both
        return np.inf if x @ x > 4.0 else rosen(x)

    a, b = _nm_both(f, np.array([1.5, 1.2]), nm.NelderMeadOptions(maxiter=3000))
    _nm_same(a, b)

    stops = []

    def cb(x, fx):
        stops.append((x.copy(), fx))
        return len(stops) % 5 == 0

    a, b = _nm_both(rosen, np.full(2, 0.5), nm.NelderMeadOptions(), cb)
    _nm_same(a, b)
    assert a.status == 99 and len(stops) == 10
    np.testing.assert_allclose(np.array([s[0] for s in stops[5:]]),
                               np.array([s[0] for s in stops[:5]]), atol=TOL)

    def bad(x):
        raise ZeroDivisionError("in f")

    with pytest.raises(ZeroDivisionError, match="in f"):
        nm.nelder_mead(bad, np.zeros(2), compiled=True)


@pytest.mark.parametrize("boxed", [False, True])
def test_lbfgsb_failed_search_restart_matches_numpy(boxed):
    # a gradient with a fixed error of 1e-3: once |g| is of that size the direction stops
    # being a descent one, the search fails, the memory is cleared and the solve retried
    # (then status 2, "ABNORMAL ..."); both twins take that path at the same iteration
    bias = 1e-3 * np.array([1.0, -1.0, 1.0, -1.0])

    def fg(x):
        return float(rosen(x)), rosen_der(x) + bias

    lo = np.full(4, -2.0 if boxed else -np.inf)
    hi = np.full(4, 2.0 if boxed else np.inf)
    ra = lb.lbfgsb(fg, np.full(4, 0.5), lo, hi, lb.LBFGSBOptions(gtol=1e-9, ftol=0.0),
                   compiled=False)
    rb = lb.lbfgsb(fg, np.full(4, 0.5), lo, hi, lb.LBFGSBOptions(gtol=1e-9, ftol=0.0),
                   compiled=True)
    assert (ra.nit, ra.status, ra.message) == (rb.nit, rb.status, rb.message)
    assert rb.status == 2
    np.testing.assert_allclose(rb.x, ra.x, rtol=0, atol=TOL)
