"""least_squares with sparse and matrix-free Jacobians, scipy's validation and lm counts.

Each test runs scipy.optimize.least_squares on the same input as the oracle (or a closed
form: the tridiagonal pattern needs exactly three column groups).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import least_squares as scipy_lsq
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from thetahat import least_squares
from thetahat.solvers.lsq_sparse import group_columns_sparse


class Broyden:
    """Broyden's tridiagonal system f_i = (3 - x_i) x_i + 1 - x_{i-1} - 2 x_{i+1}, with a
    call counter; zero residual at the solution."""

    def __init__(self, n: int):
        self.n = n
        self.calls = 0
        self.x0 = -np.ones(n)

    def fun(self, x):
        self.calls += 1
        f = (3 - x) * x + 1
        f[1:] -= x[:-1]
        f[:-1] -= 2 * x[1:]
        return f

    def jac(self, x):
        n = self.n
        return sp.diags_array([-np.ones(n - 1), 3 - 2 * x, -2 * np.ones(n - 1)],
                              offsets=[-1, 0, 1], format="lil")

    def pattern(self):
        return sp.diags_array([np.ones(self.n - 1), np.ones(self.n), np.ones(self.n - 1)],
                              offsets=[-1, 0, 1])


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_large_banded_jac_sparsity_stays_sparse(method):
    n = 10_000  # dense: 10^4 calls and an 800 MB Jacobian per iteration; sparse: 3 calls
    ours, ref = Broyden(n), Broyden(n)
    r = least_squares(ours.fun, ours.x0, jac_sparsity=ours.pattern(), method=method)
    s = scipy_lsq(ref.fun, ref.x0, jac_sparsity=ref.pattern(), method=method)
    assert sp.issparse(r.jac) and sp.issparse(s.jac)
    assert r.jac.shape == (n, n) and r.jac.nnz <= 3 * n
    assert r.status > 0 and s.status > 0
    # zero-residual problem solved to rounding: cost at the eps² level
    assert r.cost < 1e-20 and s.cost < 1e-20
    np.testing.assert_allclose(r.x, s.x, rtol=1e-8)  # both at the same root, to ~xtol
    # three groups (closed form for a tridiagonal pattern): each Jacobian costs 3 calls
    assert ours.calls == r.nfev + 3 * r.njev
    assert r.nfev == s.nfev  # the same iterations as scipy (its grouping may take more calls)


def test_tridiagonal_groups_are_three():
    groups = group_columns_sparse(Broyden(50).pattern())
    assert groups.max() + 1 == 3  # a band of width 3 needs 3 structurally orthogonal groups
    assert np.array_equal(groups, np.arange(50) % 3)


@pytest.mark.parametrize("method", ["trf", "dogbox"])
@pytest.mark.parametrize("kind", ["sparse", "operator"])
def test_callable_sparse_or_operator_jac(method, kind):
    p = Broyden(300)
    jac = p.jac if kind == "sparse" else (lambda x: aslinearoperator(p.jac(x)))
    r = least_squares(p.fun, p.x0, jac, method=method)
    s = scipy_lsq(p.fun, p.x0, jac, method=method)
    want = sp.issparse if kind == "sparse" else (lambda J: isinstance(J, LinearOperator))
    assert want(r.jac) and want(s.jac)
    assert r.cost < 1e-20 and s.cost < 1e-20  # zero residual to rounding
    np.testing.assert_allclose(r.x, s.x, rtol=1e-8)  # the same root, to ~xtol


def test_sparse_with_bounds_and_loss_matches_scipy():
    rng = np.random.default_rng(3)
    p = Broyden(200)
    lb = -2 + 0.1 * rng.standard_normal(200)
    ub = -0.8 + 0.1 * rng.standard_normal(200)
    x0 = np.clip(p.x0, lb + 1e-3, ub - 1e-3)
    r = least_squares(p.fun, x0, p.jac, bounds=(lb, ub), loss="soft_l1")
    s = scipy_lsq(p.fun, x0, p.jac, bounds=(lb, ub), loss="soft_l1")
    assert sp.issparse(r.jac)
    assert r.status == s.status == 2  # both stop on ftol (inexact LSMR steps)
    # ftol = 1e-8 stops leave the scaled gradient at ~1e-5 in both
    assert r.optimality < 1e-4 and s.optimality < 1e-4
    np.testing.assert_allclose(r.cost, s.cost, rtol=1e-8)  # the same minimum, to ~ftol


def _raises(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 (the type is the oracle)
        return type(e)
    return None


def fun_trivial(x):
    return (x - 1.0) ** 2 + 5.0


P = Broyden(20)
BAD = {
    "method": dict(method="foo"),
    "loss": dict(loss="hinge"),
    "tr_solver": dict(tr_solver="best"),
    "tr_options_key": dict(jac=P.jac, tr_solver="lsmr", tr_options={"tol": 1e-10}),
    "bounds_order": dict(bounds=(10.0, 0.0)),
    "bounds_length": dict(bounds=(1.0, 2.0, 3.0)),
    "bounds_shape": dict(bounds=([0.0, 0.0], 3.0)),
    "x0_outside": dict(bounds=(3.0, 4.0)),
    "max_nfev_zero": dict(max_nfev=0),
    "x_scale_word": dict(x_scale="auto"),
    "x_scale_negative": dict(x_scale=-1.0),
    "x_scale_complex": dict(x_scale=1.0 + 2.0j),
    "jac_word": dict(jac="oops"),
    "lm_bounds": dict(method="lm", bounds=(-3.0, 3.0)),
    "lm_loss": dict(method="lm", loss="huber"),
    "lm_sparse_jac": dict(method="lm", jac=P.jac),
    "lm_operator_jac": dict(method="lm", jac=lambda x: aslinearoperator(P.jac(x))),
    "lm_jac_sparsity": dict(method="lm", jac_sparsity=np.ones((20, 20))),
    "exact_with_sparse": dict(jac=P.jac, tr_solver="exact"),
    "exact_with_sparsity": dict(tr_solver="exact", jac_sparsity=P.pattern()),
    "operator_x_scale_jac": dict(jac=lambda x: aslinearoperator(P.jac(x)), x_scale="jac"),
    "sparsity_shape": dict(jac_sparsity=np.ones((19, 20))),
    "all_tolerances_none": dict(ftol=None, xtol=None, gtol=None),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_raises_scipys_type(case):
    kw = BAD[case]
    x0 = P.x0 if "jac" in kw and callable(kw["jac"]) or "sparsity" in case or "exact" in case \
        else 2.0
    fun = P.fun if np.ndim(x0) else fun_trivial
    want = _raises(lambda: scipy_lsq(fun, x0, **kw))
    assert want is not None, "scipy accepts this input: not a test of rejection"
    with pytest.raises(want):
        least_squares(fun, x0, **kw)


def test_lm_with_fewer_residuals_than_variables():
    kw = dict(fun=lambda x: np.array([x[0] + x[1]]), x0=[1.0, 2.0], method="lm")
    want = _raises(lambda: scipy_lsq(**kw))
    assert want is ValueError  # scipy's documented type
    with pytest.raises(want, match="at least as many residuals"):
        least_squares(**kw)


def test_complex_residuals_raise_where_scipy_discards_the_imaginary_part():
    """Deliberate difference: scipy warns (ComplexWarning) and fits the real part."""
    from numpy.exceptions import ComplexWarning

    with pytest.warns(ComplexWarning):
        scipy_lsq(lambda x: x + 1j, [1.0])
    with pytest.raises(ValueError, match="real residuals"):
        least_squares(lambda x: x + 1j, [1.0])


def test_float32_residuals_get_float32_steps():
    rng = np.random.default_rng(1978)
    t = np.linspace(0, 1, 100, dtype=np.float32)
    y = rng.random(size=100, dtype=np.float32)

    def err(p):
        return (p[0] + p[1] * t).astype(np.float32) - y

    r = least_squares(err, [-1.0, -1.0])
    exact = np.linalg.lstsq(np.column_stack((np.ones(100), t)).astype(float),
                            y.astype(float), rcond=None)[0]
    s = scipy_lsq(err, [-1.0, -1.0])
    # float32 residuals resolve the parameters to ~1e-5 (their rounding over 100 points)
    np.testing.assert_allclose(r.x, exact, atol=2e-5)
    assert np.max(np.abs(r.x - exact)) <= np.max(np.abs(s.x - exact)) + 2e-5


class Counted:
    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0], 0.1 * x[0] * x[1]])


def jac3(x):
    return np.array([[-20 * x[0], 10], [-1, 0], [0.1 * x[1], 0.1 * x[0]]])


@pytest.mark.parametrize("max_nfev", [1, 2, 3, 5])
@pytest.mark.parametrize("jac", ["2-point", "callable"])
def test_lm_max_nfev_and_nfev_as_scipy(max_nfev, jac):
    j = jac3 if jac == "callable" else jac
    ours, ref = Counted(), Counted()
    r = least_squares(ours, [-1.2, 1.0], jac=j, method="lm", max_nfev=max_nfev)
    s = scipy_lsq(ref, [-1.2, 1.0], jac=j, method="lm", max_nfev=max_nfev)
    assert (r.nfev, r.status) == (s.nfev, s.status)  # counted as scipy: no Jacobian calls
    if jac == "callable":
        assert r.nfev == ours.calls == ref.calls  # every call of fun is counted


def test_lm_callback_warns_as_scipy():
    with pytest.warns(UserWarning, match="not supported with `lm`"):
        scipy_lsq(fun_trivial, [0.0], method="lm", callback=lambda x: None)
    with pytest.warns(UserWarning, match="not supported with `lm`"):
        least_squares(fun_trivial, [0.0], method="lm", callback=lambda x: None)


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_vanishing_jacobian_at_minimum(method):
    """f(x) = x² from 1: J = 2x -> 0 at the minimum; the gradient test stops both."""
    r = least_squares(lambda x: x ** 2, [1.0], method=method)
    s = scipy_lsq(lambda x: x ** 2, [1.0], method=method)
    assert r.status == s.status == 1
    assert r.success and s.success
    # ours goes on to a smaller gradient: at least as close to the minimum x = 0
    assert abs(r.x[0]) <= abs(s.x[0]) and r.cost <= s.cost
    assert r.nfev <= 2 * s.nfev  # a few more steps, not a different regime


def test_tr_options_regularize_and_lsmr_options():
    p = Broyden(100)
    for opts in ({"regularize": False}, {"regularize": True}, {"btol": 1e-10}):
        r = least_squares(p.fun, p.x0, p.jac, tr_options=opts)
        s = scipy_lsq(p.fun, p.x0, p.jac, tr_options=opts)
        assert r.cost < 1e-20 and s.cost < 1e-20  # zero residual to rounding


def test_dense_lsmr_solves_exactly():
    """Deliberate difference: a dense J with tr_solver='lsmr' gets the exact subproblem."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = least_squares(lambda x: np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]]),
                          [-2.0, 1.0], tr_solver="lsmr")
    s = scipy_lsq(lambda x: np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]]), [-2.0, 1.0],
                  tr_solver="lsmr")
    assert isinstance(r.jac, np.ndarray) and isinstance(s.jac, np.ndarray)
    np.testing.assert_allclose(r.x, [1.0, 1.0], rtol=1e-10)  # exact minimum, to ~1e-10
    assert np.max(np.abs(r.x - 1)) <= np.max(np.abs(s.x - 1)) + 1e-12  # at least as close
