"""The compiled Levenberg-Marquardt core of curve_fit (``_compiled/_lmcore.c``).

It implements the same algorithm, step for step, as the Python solver
(:func:`thetahat.scipy_api._curve_fit._lm_direct` over :func:`thetahat.solvers.levmar.levmar`), so
the oracle here is that solver on the same problems: the same number of evaluations, a
successful status, and parameters equal to ~1e-10 relative, tested at 1e-8 (the two differ
only in the rounding of their SVDs: LAPACK's gesdd against a one-sided Jacobi SVD). A
second oracle is scipy's MINPACK on the same problems. The other tests check that every
kind of model output, and every error, reaches the user as it does on the Python path, and
that the compiled loops of the cost functions (``rows``, ``lsq_fisher``) give what the
numpy code gives.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

import thetahat._compiled as compiled
import thetahat.scipy_api._curve_fit as cf
from thetahat import curve_fit

pytestmark = pytest.mark.skipif(
    compiled.lmcore is None,
    reason=(f"compiled core off ({compiled.SWITCH}=0)" if compiled.setting() == "0"
            else "compiled core thetahat._compiled._lmcore not built (no C compiler?)"))


def gauss(x, a, mu, s):
    return a * np.exp(-((x - mu) ** 2) / (2 * s * s))


def expdecay(x, a, tau, c):
    return a * np.exp(-x / tau) + c


def two_exp(x, a1, t1, a2, t2):
    return a1 * np.exp(-x / t1) + a2 * np.exp(-x / t2)


def line(x, a, b):
    return a + b * x


def problems():
    rng = np.random.default_rng(11)
    x = np.linspace(-3, 3, 50)
    yield "gauss", gauss, x, gauss(x, 2.0, 0.3, 0.8) + rng.normal(0, 0.05, 50), [1, 0, 1], None
    x = np.linspace(0, 10, 40)
    s = 0.02 + 0.01 * x
    yield "decay", expdecay, x, expdecay(x, 3.0, 2.5, 0.5) + rng.normal(0, s), [1, 1, 0], s
    x = np.linspace(0, 8, 60)
    y = two_exp(x, 2.0, 0.5, 1.0, 4.0) + rng.normal(0, 0.01, 60)
    yield "two_exp", two_exp, x, y, [1.0, 1.0, 1.0, 3.0], None
    x = np.linspace(0, 1, 11)
    yield "line", line, x, line(x, 1.0, 2.0) + rng.normal(0, 0.1, 11), [1, 1], \
        np.full(11, 0.1)
    yield "far start", gauss, np.linspace(-3, 3, 50), gauss(np.linspace(-3, 3, 50), 5, 1, .5), \
        [1, -1, 2], None
    # correlated errors (a 2-D sigma: AR(1), rho = 0.5): the C loop whitens by L^-1
    x = np.linspace(-3, 3, 50)
    lag = np.abs(np.subtract.outer(np.arange(50), np.arange(50)))
    cov = 0.05**2 * 0.5**lag
    y = gauss(x, 2.0, 0.3, 0.8) + np.linalg.cholesky(cov) @ rng.normal(size=50)
    yield "2-D sigma", gauss, x, y, [1, 0, 1], cov


@pytest.mark.parametrize("name, f, x, y, p0, sigma", list(problems()),
                         ids=[p[0] for p in problems()])
def test_same_steps_as_the_python_solver(monkeypatch, name, f, x, y, p0, sigma):
    pc, cc, ic, _, sc = curve_fit(f, x, y, p0=p0, sigma=sigma, full_output=True)
    monkeypatch.setattr(cf, "_lmcore", None)
    pp, cp, ip, _, sp = curve_fit(f, x, y, p0=p0, sigma=sigma, full_output=True)
    assert ic["nfev"] == ip["nfev"]
    # the stopping test that fires can differ when a rounding-level difference sits on its
    # boundary (the line: ftol alone, or ftol and xtol); both report success
    assert sc > 0 and sp > 0 and (sc == sp or {sc, sp} <= {2, 3, 4})
    # the SVDs round differently (gesdd vs Jacobi); through the iterations that moves the
    # final point by ~1e-10 relative, far inside the last step (~1e-6)
    np.testing.assert_allclose(pc, pp, rtol=1e-8, atol=1e-12)
    # forward-difference Jacobians at points 1e-10 apart differ by their rounding noise,
    # ~1e-8 relative, which the covariance inherits: compare on the scale of its diagonal
    d = np.sqrt(np.diag(cp))
    assert np.all(np.abs(cc - cp) <= 1e-6 * np.outer(d, d))
    ps, _ = so.curve_fit(f, x, y, p0=p0, sigma=sigma)
    np.testing.assert_allclose(pc, ps, rtol=1e-6, atol=1e-9)  # both stop at ftol = 1e-8


def gauss_jac(x, a, mu, s):
    e = np.exp(-((x - mu) ** 2) / (2 * s * s))
    return np.stack([e, a * e * (x - mu) / s**2, a * e * (x - mu) ** 2 / s**3], axis=1)


def expdecay_jac(x, a, tau, c):
    e = np.exp(-x / tau)
    return np.stack([e, a * e * x / tau**2, np.ones_like(x)], axis=1)


@pytest.mark.parametrize("col_deriv", [False, True])
@pytest.mark.parametrize("name", ["gauss", "decay"])
def test_user_jacobian_same_steps_as_the_python_solver(monkeypatch, name, col_deriv):
    """A callable jac runs in the compiled loop too (it was 1.6x scipy's time in Python):
    the same calls and the same point as the Python solver and as scipy."""
    _, f, x, y, p0, sigma = next(p for p in problems() if p[0] == name)
    jac = j0 = {"gauss": gauss_jac, "decay": expdecay_jac}[name]
    kw = dict(p0=p0, sigma=sigma, full_output=True)
    ckw = dict(kw)
    if col_deriv:  # leastsq's option: jac returns the transposed Jacobian
        ckw["col_deriv"] = True
        jac = lambda *a: j0(*a).T
    pc, cc, ic, _, sc = curve_fit(f, x, y, jac=jac, **ckw)
    monkeypatch.setattr(cf, "_lmcore", None)
    pp, cp, ip, _, sp = curve_fit(f, x, y, jac=jac, **ckw)
    assert (ic["nfev"], ic["njev"]) == (ip["nfev"], ip["njev"]) and sc > 0 and sp > 0
    # the same analytic J: only the SVDs round differently (gesdd vs Jacobi)
    np.testing.assert_allclose(pc, pp, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cc, cp, rtol=1e-7, atol=0)  # the same J at points 1e-10 apart
    # scipy as reference without col_deriv: its col_deriv with a sigma fails to broadcast
    ps, _, info, _, _ = so.curve_fit(f, x, y, jac=j0, **kw)
    np.testing.assert_allclose(pc, ps, rtol=1e-6, atol=1e-9)  # both stop at ftol = 1e-8
    assert ic["nfev"] <= info["nfev"] and ic["njev"] <= info["njev"]


def test_model_output_of_other_types_is_converted():
    x = np.linspace(0, 1, 11)
    y = 1 + 2 * x

    def as_list(x, a, b):
        return list(a + b * x)

    def as_column(x, a, b):
        return (a + b * x)[:, None]

    for fn in (as_list, as_column):
        p, _ = curve_fit(fn, x, y, p0=[0.5, 0.5])
        np.testing.assert_allclose(p, [1, 2], rtol=1e-9)  # exact data: the solver's precision


def test_errors_reach_the_caller():
    x = np.linspace(0, 1, 11)

    def wrong_shape(x, a, b):
        return np.zeros(5) + a

    with pytest.raises(ValueError, match="f returned shape"):
        curve_fit(wrong_shape, x, x, p0=[1, 1])

    calls = []

    def fails_later(x, a, b):
        calls.append(1)
        if len(calls) > 3:
            raise ZeroDivisionError("model failed")
        return a + b * x

    with pytest.raises(ZeroDivisionError, match="model failed"):
        curve_fit(fails_later, x, 1 + x, p0=[0.0, 0.0])


def test_non_finite_jacobian_goes_to_the_python_solver():
    """A model that is NaN just beside p0: the compiled core hands over to the Python
    solver, which fails the same way it would alone."""
    x = np.linspace(0, 1, 11)

    def cliff(x, a, b):
        return a + b * x if b <= 1.0 else np.full_like(x, np.nan)

    with pytest.raises(Exception) as compiled:
        curve_fit(cliff, x, 1 + 2 * x, p0=[1.0, 1.0])
    import thetahat.scipy_api._curve_fit as mod
    saved = mod._lmcore
    mod._lmcore = None
    try:
        with pytest.raises(Exception) as python:
            curve_fit(cliff, x, 1 + 2 * x, p0=[1.0, 1.0])
    finally:
        mod._lmcore = saved
    assert type(compiled.value) is type(python.value)
    assert str(compiled.value) == str(python.value)


@pytest.mark.parametrize("free", [None, np.array([True, False, True])])
@pytest.mark.parametrize("steps", [None, np.array([1e-3, 2e-3, 1e-4])])
def test_least_squares_structure_same_as_python(monkeypatch, free, steps):
    """LeastSquares' Gauss-Newton triple and exact Hessian from the compiled loops
    (lsq_fisher, rows) against the numpy code they replace."""
    import thetahat.cost._lsq as lsq
    from thetahat import cost as tc

    rng = np.random.default_rng(12)
    x = np.linspace(0, 10, 40)
    y = expdecay(x, 3.0, 2.5, 0.5) + rng.normal(0, 0.05, 40)
    p = np.array([2.8, 2.4, 0.6])

    def parts():
        c = tc.LeastSquares(x, y, 0.05, expdecay)
        v, g, h = c.gauss_newton(p, free, steps)
        o = c.exact_hessian(p, np.array([1e-3, 1e-3, 1e-3]), free)
        return v, g, h, o
    vc, gc, hc, oc = parts()
    monkeypatch.setattr(lsq, "_lmcore", None)
    vp, gp, hp, op = parts()
    assert vc == vp  # the same arithmetic for the value (cost(*p) exactly)
    np.testing.assert_allclose(gc, gp, rtol=1e-12, atol=0)  # dot products: summation order
    np.testing.assert_allclose(hc, hp, rtol=1e-12, atol=0)
    assert oc[0] == op[0] and oc[3] == op[3]
    np.testing.assert_allclose(oc[2], op[2], rtol=1e-10, atol=0)  # differences of the same values


def test_column_grouping_same_as_the_numpy_loop(monkeypatch):
    """The greedy grouping of a sparsity pattern (least_squares' jac_sparsity) in C gives
    the numpy loop's groups, and they are valid: no two columns of a group share a row."""
    import scipy.sparse as sp

    from thetahat.solvers import lsq_sparse

    rng = np.random.default_rng(0)
    patterns = [sp.random(int(m), int(n), density=d, random_state=k, format="csr")
                for k, (m, n, d) in enumerate(zip(rng.integers(1, 80, 25),
                                                  rng.integers(1, 80, 25),
                                                  rng.uniform(0.01, 0.5, 25)))]
    patterns.append(sp.diags([np.ones(99), np.ones(100), np.ones(99)], [-1, 0, 1]))
    compiled = [lsq_sparse.group_columns_sparse(P) for P in patterns]
    monkeypatch.setattr(lsq_sparse, "_lmcore", None)
    for P, g in zip(patterns, compiled):
        np.testing.assert_array_equal(g, lsq_sparse.group_columns_sparse(P))  # exact
        S = sp.csc_array(P != 0).astype(int)
        for grp in np.unique(g):
            rows_hit = S[:, np.flatnonzero(g == grp)].sum(axis=1)
            assert rows_hit.max(initial=0) <= 1  # a row belongs to one column per group
    assert int(compiled[-1].max()) + 1 == 3  # a tridiagonal pattern needs three groups
