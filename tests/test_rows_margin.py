"""Issue 17 rows (least_squares lm, trf with bounds, sparse lsmr): the glue removed from
their paths keeps the answers; issue 15: least_squares names a zero Jacobian column whose
difference step vanished at the parameter's value, with the remedy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

from test_least_squares import _broyden_tridiagonal as broyden
from thetahat import least_squares
from thetahat.solvers.levmar import forward_shift_estimate
from thetahat.warnings import DegenerateFitWarning

X = np.linspace(0.1, 1, 20)
Y = 2 * X + 1e-15


def line(p):
    return p[0] * X + p[1] - Y


def line_jac(p):
    return np.column_stack([X, np.ones_like(X)])


# b = 1e-15 inside bounds of +-1e-9: the central step 6e-6 |b| changes no residual (they
# are ~1) and the retry with the step of a parameter of size 1 (6e-6) does not fit in the
# bounds, so the column is zero; a step of 6e-6 does change the residuals
BOUNDS = ([0, -1e-9], [10, 1e-9])


def test_zero_step_column_is_named_with_its_remedy():
    with pytest.warns(DegenerateFitWarning, match="zero because the difference step") as w:
        r = least_squares(line, [1.0, 1e-15], jac="3-point", method="dogbox", bounds=BOUNDS)
    msg = str(w[0].message)
    assert "x[1] = 1e-15" in msg and "not determined" not in msg
    assert "diff_step" in msg and "x_scale" in msg and "analytic jac" in msg
    # the oracle: scipy with the analytic Jacobian fits the same slope, and b is determined
    ref = so.least_squares(line, [1.0, 1e-15], jac=line_jac, method="dogbox", bounds=BOUNDS)
    assert r.x[0] == pytest.approx(ref.x[0], rel=1e-9)  # exact data: both at the slope 2
    assert abs(r.x[1] - ref.x[1]) < 1e-11  # b within the rounding of residuals of size 2


def test_zero_column_of_an_unused_parameter_keeps_its_message():
    # no step changes the residuals: the data do not determine x[1]
    with pytest.warns(DegenerateFitWarning, match=r"x\[1\] is not determined"):
        least_squares(lambda p: p[0] * X - Y, [1.0, 1e-15], method="lm")


T = np.linspace(0, 4, 11)
YD = 2.5 * np.exp(-1.3 * T) + 0.05 * np.random.default_rng(1).normal(size=T.size)


def decay(p):
    return p[0] * np.exp(-p[1] * T) - YD


@pytest.mark.parametrize("kw", [dict(method="lm"), dict(method="lm", jac="3-point"),
                                dict(method="trf", bounds=([0, 0.5], [10, 1.2])),
                                dict(method="dogbox")])
def test_benchmark_decay_rows_match_scipy(kw):
    # the benchmark's 11x2 decay: scipy's calls and minimum
    calls = [0, 0]

    def counted(k):
        def f(p):
            calls[k] += 1
            return decay(p)
        return f
    r = least_squares(counted(0), [1.0, 1.0], **kw)
    ref = so.least_squares(counted(1), [1.0, 1.0], **kw)
    assert r.success and ref.success
    assert np.allclose(r.x, ref.x, rtol=1e-6)  # both to their tolerances 1e-8 of a 1e-3 error
    if kw == dict(method="lm"):
        assert r.nfev == ref.nfev and calls == [21, 21]  # Jacobians' calls included


def test_forward_shift_estimate_closed_form():
    # J diagonal: J_s = diag(3 |x0|, 0.5 |x1|) = diag(6, 2); sqrt(eps) s_max ‖f‖ / s_min²
    J = np.diag([3.0, 0.5])
    x = np.array([2.0, -4.0])
    f = np.array([0.3, 0.4])
    want = np.sqrt(np.finfo(float).eps) * 6.0 * 0.5 / 4.0
    assert forward_shift_estimate(x, f, J) == pytest.approx(want, rel=1e-12)  # rounding only
    assert forward_shift_estimate(x, f, np.zeros((2, 2))) == np.inf  # singular: polish


def test_sparse_products_and_right_scale_match_dense():
    import scipy.sparse as sp

    from thetahat.solvers.lsq_lsmr import _SparseProducts
    from thetahat.solvers.lsq_sparse import right_scale
    rng = np.random.default_rng(7)
    A = sp.random_array((30, 12), density=0.2, format="csr", random_state=rng)
    d = rng.uniform(0.5, 2.0, 12)
    v, u = rng.normal(size=12), rng.normal(size=30)
    dense = A.toarray() * d
    B = right_scale(A, d)
    assert B.format == "csr"
    op = _SparseProducts(B)
    # sums of at most 12 products: a few ulps of the dense products
    assert np.allclose(op.matvec(v), dense @ v, rtol=1e-13, atol=1e-14)
    assert np.allclose(op.rmatvec(u), dense.T @ u, rtol=1e-13, atol=1e-14)
    assert np.allclose(B.toarray(), dense, rtol=1e-15, atol=0)  # one product per entry


def broyden_jac(x):
    import scipy.sparse as sp
    n = x.size
    return sp.diags([-np.ones(n - 1), 3 - 4 * x, -2 * np.ones(n - 1)], [-1, 0, 1],
                    format="csr")


@pytest.mark.parametrize("method", ["trf", "dogbox"])
@pytest.mark.parametrize("bounds", [(-np.inf, np.inf), (-2.0, 0.0)])
def test_sparse_lsmr_rows_match_scipy(method, bounds):
    # the benchmark's sparse Broyden system (smaller): scipy's root and calls
    x0 = -np.ones(300)
    kw = dict(jac=broyden_jac, tr_solver="lsmr", method=method, bounds=bounds)
    r = least_squares(broyden, x0, **kw)
    ref = so.least_squares(broyden, x0, **kw)
    assert r.success and r.cost < 1e-12 and ref.cost < 1e-12  # a root: residuals ~ 1e-6 at most
    assert np.allclose(r.x, ref.x, rtol=1e-6)  # the same root, to the tolerances' 1e-8 steps
    if bounds[0] == -np.inf and method == "trf":
        assert r.nfev == ref.nfev
