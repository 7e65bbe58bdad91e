"""lsq_linear with sparse A and LinearOperators, and its options, against scipy.

Each test runs scipy.optimize.lsq_linear on the same input as the oracle.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import lsq_linear as scipy_lsq_linear
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from thetahat import lsq_linear


def _problem(m=600, n=120, seed=0):
    rng = np.random.default_rng(seed)
    A = sp.random_array((m, n), density=0.03, rng=rng, format="csr") + sp.eye_array(m, n)
    b = rng.standard_normal(m)
    return sp.csr_array(A), b, rng


class NoDense(LinearOperator):
    """A LinearOperator that fails if anyone asks for it as a matrix."""

    def __init__(self, A):
        super().__init__(dtype=float, shape=A.shape)
        self.A = A

    def _matvec(self, v):
        return self.A @ np.ravel(v)

    def _rmatvec(self, u):
        return self.A.T @ np.ravel(u)

    def _matmat(self, X):
        if X.shape[1] > 2:
            raise AssertionError("the operator was made dense")
        return self.A @ X


@pytest.mark.parametrize("kind", ["sparse", "operator"])
def test_unbounded_is_lsmrs_solution(kind):
    A, b, _ = _problem()
    AA = A if kind == "sparse" else NoDense(A)
    r = lsq_linear(AA, b)
    s = scipy_lsq_linear(A if kind == "sparse" else aslinearoperator(A), b)
    assert r.status == s.status == 3
    assert len(r.unbounded_sol) == len(s.unbounded_sol) == 8  # lsmr's tuple
    np.testing.assert_allclose(r.x, s.x, rtol=1e-12)  # the same lsmr call: same iterates
    assert r.nit == s.nit == 0
    np.testing.assert_allclose(r.cost, s.cost, rtol=1e-12)  # same x, same cost


@pytest.mark.parametrize("kind", ["sparse", "operator"])
def test_bounded_sparse_matches_scipy(kind):
    A, b, rng = _problem()
    lb = rng.standard_normal(A.shape[1])
    ub = lb + 1
    AA = A if kind == "sparse" else NoDense(A)
    r = lsq_linear(AA, b, bounds=(lb, ub))
    s = scipy_lsq_linear(A if kind == "sparse" else aslinearoperator(A), b, bounds=(lb, ub))
    assert r.status in (1, 2) and s.status in (1, 2)
    assert np.all((r.x >= lb) & (r.x <= ub))
    # a convex problem: the same minimum, both to tol = 1e-10 of the relative cost change
    np.testing.assert_allclose(r.cost, s.cost, rtol=1e-8)
    assert r.optimality < 1e-6 and s.optimality < 1e-6  # first-order optimal
    np.testing.assert_array_equal(r.fun, AA @ r.x - b)
    # the active sets agree where the exact (dense) solution is away from degeneracy
    d = lsq_linear(A.toarray(), b, bounds=(lb, ub))
    np.testing.assert_allclose(r.x, d.x, atol=1e-4)  # interior-point iterate vs exact BVLS
    assert np.mean(r.active_mask == d.active_mask) > 0.95


def test_lsmr_maxiter_limits_the_unbounded_solution_as_scipy():
    A = sp.coo_array((np.array([1.0, 1.0, 1.0, 1.0 + 1e-6, 1.0]),
                      (np.array([0, 0, 1, 2, 2]), np.array([0, 2, 1, 0, 2]))), shape=(3, 3))
    b = np.array([0.074, 1.014, -0.383])
    exact = np.linalg.solve(A.toarray(), b)
    for maxiter in (None, 10):
        r = lsq_linear(A, b, lsq_solver="lsmr", lsmr_maxiter=maxiter)
        s = scipy_lsq_linear(A, b, lsq_solver="lsmr", lsmr_maxiter=maxiter)
        np.testing.assert_allclose(r.x, s.x, rtol=1e-10)  # the same lsmr call
    # lsmr's default of min(m, n) = 3 iterations does not resolve cond ~ 4e6; 10 does
    assert not np.allclose(lsq_linear(A, b).x, exact, rtol=1e-7)
    np.testing.assert_allclose(r.x, exact, rtol=1e-7)  # converged: lsmr's atol/btol


BAD = {
    "lsmr_tol_negative": dict(lsq_solver="lsmr", lsmr_tol=-0.1),
    "lsmr_tol_word": dict(lsq_solver="lsmr", lsmr_tol="foo"),
    "lsmr_tol_int": dict(lsq_solver="lsmr", lsmr_tol=1),
    "lsmr_maxiter_zero": dict(lsq_solver="lsmr", lsmr_maxiter=0),
    "bvls_sparse": dict(method="bvls", sparse=True),
    "exact_sparse": dict(lsq_solver="exact", sparse=True),
    "method": dict(method="foo"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_options_raise_scipys_type_and_message(case):
    kw = dict(BAD[case])
    A = np.array([[0.171, -0.057], [-0.049, -0.248], [-0.166, 0.054]])
    if kw.pop("sparse", False):
        A = sp.csr_array(A)
    b = np.array([0.074, 1.014, -0.383])
    with pytest.raises(ValueError) as ref:
        scipy_lsq_linear(A, b, **kw)
    with pytest.raises(ValueError) as ours:
        lsq_linear(A, b, **kw)
    if "lsmr" in case:  # scipy's wording, which its own tests match
        assert str(ours.value) == str(ref.value)


def test_dense_result_fields_as_scipy():
    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = np.array([1.0, 2.0, 3.0])
    for method in ("trf", "bvls"):
        r = lsq_linear(A, b, bounds=(0, 1.5), method=method)
        s = scipy_lsq_linear(A, b, bounds=(0, 1.5), method=method)
        assert set(s) <= set(r)
        np.testing.assert_allclose(r.x, s.x, atol=1e-8)  # exact vs scipy's tol=1e-10 solve
        np.testing.assert_array_equal(r.active_mask, s.active_mask)
        assert r.success and s.success
        np.testing.assert_allclose(r.cost, s.cost, rtol=1e-9)  # cost at the same x
