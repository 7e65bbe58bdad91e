"""``linear_fit`` and ``lsq_linear`` against numpy/scipy and closed forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so
from hypothesis import given, settings
from hypothesis import strategies as st

from thetahat import LinearFitResult, linear_fit, lsq_linear
from thetahat.scipy_api._linear import IllConditionedWarning


def seed002(seed: int = 2):
    """Seed 002: y = x^2 / max + N(0, 0.1); basis x, x^2, x^3, sin x."""
    rng = np.random.default_rng(seed)
    x = np.r_[-10:10:0.5]
    y = x**2
    y /= y.max()
    y_rand = y + rng.normal(size=y.shape) / 10
    return x, y_rand


BASIS = [lambda t: t, lambda t: t**2, lambda t: t**3, np.sin]


# linear_fit ----------------------------------------------------------------------------


def test_seed002_exact_coefficients_in_one_step():
    x, y = seed002()
    fit = linear_fit(BASIS, x, y)
    A = np.array([x, x**2, x**3, np.sin(x)]).T
    ref = np.linalg.lstsq(A, y, rcond=None)[0]
    # both are backward-stable solves of the same well-posed problem (cond ~ 1e4)
    np.testing.assert_allclose(fit.coefficients, ref, rtol=1e-10)
    fit2 = linear_fit(A, None, y)  # the design matrix itself
    np.testing.assert_allclose(fit2.coefficients, ref, rtol=1e-10)
    assert isinstance(fit, LinearFitResult)
    assert fit.rank == 4 and fit.ndof == x.size - 4
    r = y - A @ ref
    assert fit.chi2 == pytest.approx(r @ r, rel=1e-10)  # same residuals, summed
    np.testing.assert_allclose(fit.residuals, r, atol=1e-12)  # residuals ~0.1: 1e-11 rel
    np.testing.assert_allclose(fit(x), A @ fit.coefficients, rtol=1e-12)  # same arithmetic


def test_weighted_covariance_closed_form():
    rng = np.random.default_rng(7)
    x = np.linspace(0, 5, 30)
    yerr = rng.uniform(0.1, 0.5, x.size)
    y = 1.0 - 0.5 * x + 0.2 * x**2 + rng.normal(size=x.size) * yerr
    basis = [lambda t: 1.0, lambda t: t, lambda t: t**2]  # a constant basis broadcasts
    fit = linear_fit(basis, x, y, yerr)
    A = np.column_stack([np.ones_like(x), x, x**2])
    W = np.diag(1 / yerr**2)
    cov = np.linalg.inv(A.T @ W @ A)
    coef = cov @ A.T @ W @ y
    # normal equations with cond(A^T W A) ~ 1e4 lose ~4 digits; 1e-9 leaves margin
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-9)
    np.testing.assert_allclose(fit.coefficients, coef, rtol=1e-9)
    np.testing.assert_allclose(fit.errors, np.sqrt(np.diag(cov)), rtol=1e-9)
    assert fit.chi2 == pytest.approx(np.sum(((y - A @ coef) / yerr) ** 2), rel=1e-9)
    np.testing.assert_allclose(np.diag(fit.correlation), 1.0, rtol=1e-12)  # exact ratios
    assert 0 < fit.pvalue < 1


def test_weighted_fit_matches_curve_fit():
    rng = np.random.default_rng(11)
    x = np.linspace(-2, 2, 25)
    yerr = np.full(x.size, 0.3)
    y = 0.5 + 2 * np.exp(-x) + rng.normal(size=x.size) * yerr
    fit = linear_fit([lambda t: np.ones_like(t), np.exp], x, y, yerr)  # basis e^x, deliberately
    popt, pcov = so.curve_fit(lambda t, a, b: a + b * np.exp(t), x, y, sigma=yerr,
                              absolute_sigma=True)
    # curve_fit iterates LM to ftol 1.5e-8: agreement to ~1e-7 relative
    np.testing.assert_allclose(fit.coefficients, popt, rtol=1e-6)
    np.testing.assert_allclose(fit.covariance, pcov, rtol=1e-6)
    # without absolute_sigma curve_fit rescales by chi2 / ndof
    _, pcov_rel = so.curve_fit(lambda t, a, b: a + b * np.exp(t), x, y, sigma=yerr)
    np.testing.assert_allclose(fit.scaled_covariance, pcov_rel, rtol=1e-6)


def test_rank_deficient_warns_with_condition_number():
    x = np.linspace(0, 1, 10)
    with pytest.warns(IllConditionedWarning, match="rank-deficient.*condition number"):
        fit = linear_fit([lambda t: t, lambda t: 2 * t], x, 3 * x)
    assert fit.rank == 1
    # minimum-norm solution of c0 + 2 c1 = 3: (3/5, 6/5); SVD solve is exact to rounding
    np.testing.assert_allclose(fit.coefficients, [0.6, 1.2], rtol=1e-12)


def test_ill_conditioned_warns():
    x = np.linspace(0, 1, 20)
    with pytest.warns(IllConditionedWarning, match=r"ill-conditioned; condition number \d"):
        linear_fit([lambda t: t, lambda t: t + 1e-12 * t**2], x, x)
    assert issubclass(IllConditionedWarning, RuntimeWarning)


def test_design_matrix_with_nan_names_index():
    A = np.ones((5, 2))
    A[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"basis\[3, 1\] = nan is not finite"):
        linear_fit(A, None, np.ones(5))


def test_basis_function_nan_names_function_and_x():
    x = np.array([1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match=r"basis\[1\] is not finite at x\[1\] = 0.0"):
        linear_fit([lambda t: t, lambda t: np.where(t == 0, np.nan, t)], x, x)


def test_y_and_yerr_checked():
    with pytest.raises(ValueError, match=r"y\[2\] = nan"):
        linear_fit(np.eye(3), None, [1.0, 2.0, np.nan])
    with pytest.raises(ValueError, match=r"yerr\[1\] = 0.0 must be positive"):
        linear_fit(np.eye(3), None, [1.0, 2.0, 3.0], yerr=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        linear_fit(np.eye(3), None, [1.0, 2.0])


# lsq_linear ----------------------------------------------------------------------------


def test_lsq_linear_fields_like_scipy():
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(8, 3)), rng.normal(size=8)
    for bounds in [(-np.inf, np.inf), (-0.1, 0.1)]:
        res = lsq_linear(A, b, bounds=bounds)
        ref = so.lsq_linear(A, b, bounds=bounds)
        assert set(res) == set(ref)
        assert (res.status, res.message, res.success) == (ref.status, ref.message, ref.success)
        np.testing.assert_array_equal(res.active_mask, ref.active_mask)
        # scipy's trf stops at optimality 1e-10; BVLS is exact: cost agrees to ~1e-10
        assert res.cost == pytest.approx(ref.cost, rel=1e-9)
        np.testing.assert_allclose(res.fun, A @ res.x - b, rtol=1e-14)


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    m = draw(st.integers(1, 12))
    n = draw(st.integers(1, 6))
    A = rng.normal(size=(m, n))
    b = rng.normal(size=m) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    bounded = draw(st.booleans())
    if bounded:
        lo = rng.uniform(-1, 0.5, n)
        hi = lo + rng.uniform(0, 1.5, n)
        lo[rng.random(n) < 0.2] = -np.inf
        hi[rng.random(n) < 0.2] = np.inf
    else:
        lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
    return A, b, lo, hi


@settings(max_examples=30, deadline=None)
@given(problems(), st.sampled_from(["trf", "bvls"]))
def test_lsq_linear_matches_scipy(problem, method):
    A, b, lo, hi = problem
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always", IllConditionedWarning)
        res = lsq_linear(A, b, bounds=(lo, hi), method=method)
    # a rank-deficient A (here: m < n) with no bound active has many solutions: said so
    unique = np.linalg.matrix_rank(A) == A.shape[1] or res.status != 3
    assert [r.category for r in w] == ([] if unique else [IllConditionedWarning])
    ref = so.lsq_linear(A, b, bounds=(lo, hi), method="bvls")
    assert np.all(res.x >= lo) and np.all(res.x <= hi)
    # the problem is convex: equal minimum cost is the right check even when x is not
    # unique (m < n); scipy's BVLS is exact to rounding, so ~1e-10 relative on the cost
    assert res.cost <= ref.cost + 1e-10 * max(1.0, ref.cost)
    assert res.cost >= ref.cost - 1e-10 * max(1.0, ref.cost)
    # KKT at our solution, relative to the size of A^T b
    assert res.optimality <= 1e-8 * max(1.0, np.max(np.abs(A.T @ b)))
    if np.linalg.matrix_rank(A) == A.shape[1]:
        cond = np.linalg.cond(A)
        # unique minimiser: |dx| ~ cond^2 * relative cost error ~ cond^2 * 1e-12
        np.testing.assert_allclose(res.x, ref.x, atol=1e-6 * max(1.0, cond**2) * 1e-4)


def test_lsq_linear_bad_input():
    A = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"lower bound lb\[1\] = 2.0 exceeds upper"):
        lsq_linear(A, np.ones(3), bounds=([0, 2], [1, 1]))
    with pytest.raises(ValueError, match=r"A\[0, 1\] = nan"):
        lsq_linear(np.array([[1, np.nan], [1, 1]]), np.ones(2))
    with pytest.raises(ValueError, match="inconsistent shapes"):
        lsq_linear(A, np.ones(4))
    with pytest.raises(ValueError, match="method must be 'trf' or 'bvls'"):
        lsq_linear(A, np.ones(3), method="lm")
    with pytest.raises(ValueError, match=r"bounds lb must be a scalar or have shape \(2,\)"):
        lsq_linear(A, np.ones(3), bounds=(np.zeros(3), 1))


def test_lsq_linear_sparse_and_verbose(capsys):
    from scipy.sparse import csr_matrix
    rng = np.random.default_rng(4)
    A = rng.normal(size=(6, 3))
    b = rng.normal(size=6)
    res = lsq_linear(csr_matrix(A), b, bounds=(0, np.inf), lsq_solver="lsmr", verbose=1)
    ref = so.lsq_linear(A, b, bounds=(0, np.inf), method="bvls")
    np.testing.assert_allclose(res.x, ref.x, atol=1e-10)  # both exact; cond(A) ~ 3
    assert "final cost" in capsys.readouterr().out


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6))
def test_linear_fit_recovers_exact_model(seed, k):
    """A model that is exactly linear in its coefficients is solved exactly."""
    rng = np.random.default_rng(seed)
    m = k + int(rng.integers(0, 10))
    A = rng.normal(size=(m, k))
    c = rng.normal(size=k) * 10
    yerr = rng.uniform(0.5, 2.0, m)
    cond = np.linalg.cond(A / yerr[:, None])
    if cond > 1e8:
        return  # nearly singular draws are covered by the warning tests
    fit = linear_fit(A, None, A @ c, yerr)
    # backward-stable SVD solve: relative error ~ cond * eps (1e-8 * 2e-16 << 1e-6)
    np.testing.assert_allclose(fit.coefficients, c, atol=1e-12 * cond * np.max(np.abs(c)))
    assert fit.chi2 <= 1e-20 * max(1.0, float(np.sum((A @ c / yerr) ** 2)))


def test_model_evaluation_needs_functions():
    fit = linear_fit(np.eye(3), None, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="basis functions"):
        fit(np.ones(3))
    with pytest.raises(ValueError, match="x is required"):
        linear_fit([np.sin], None, [1.0])


def test_lsq_linear_equal_bounds_fix_a_variable():
    """scipy rejects lb == ub; here it fixes the variable (the reduced problem is exact)."""
    rng = np.random.default_rng(9)
    A, b = rng.normal(size=(10, 3)), rng.normal(size=10)
    res = lsq_linear(A, b, bounds=([-1, 0.25, -1], [1, 0.25, 1]))
    reduced = lsq_linear(A[:, [0, 2]], b - 0.25 * A[:, 1], bounds=(-1, 1))
    assert res.x[1] == 0.25
    # both exact solves of the same 2-variable problem
    np.testing.assert_allclose(res.x[[0, 2]], reduced.x, atol=1e-12)
