"""L-BFGS-B is invariant under a scaling of the objective, ``f -> c f`` (both twins).

scipy's ``test_optimize.py::TestOptimizeSimple::test_initial_step_scaling`` minimises
``c (x - 1)^2`` from ``x = -1`` for ``c`` = 1e-50, 1 and 1e50 and asks for the minimum
within 3 iterations with a first step between 0.5 and 3.  Every decision of the iteration
(the first trial step ``1 / ||d||``, the curvature test ``s.y > eps |g.s|`` of a correction
pair, the projected gradient, the Wolfe conditions) is unchanged when ``f`` and its gradient
are multiplied by ``c``, so with ``gtol`` scaled as well and the ``max(|f|, 1)`` of scipy's
``ftol`` rule switched off (``ftol=0``), the run for any ``c`` takes the steps of ``c = 1``.
Oracles: the closed-form minimum, the run at ``c = 1`` (the invariance), and scipy's own
L-BFGS-B at the scales where it converges (``c >= 1``; below, scipy returns its start).

The numpy twin runs with ``lbfgsb._minicore`` set to None, the compiled twin (skipped when
the core is not built) as shipped.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import rosen, rosen_der

import thetahat._compiled as compiled
import thetahat.solvers.lbfgsb as lb
from thetahat import minimize

SCALES = [1e-50, 1e-20, 1e-8, 1.0, 1e8, 1e20, 1e50]


@pytest.fixture(params=["numpy", "compiled"])
def twin(request, monkeypatch):
    """Run ``thetahat.minimize``'s L-BFGS-B on the numpy code or on the compiled core."""
    if request.param == "numpy":
        monkeypatch.setattr(lb, "_minicore", None)
    elif compiled.minicore is None:
        pytest.skip("compiled core _minimize not built or switched off")
    return request.param


@pytest.mark.parametrize("scale", [1e-50, 1.0, 1e50])
def test_scipy_initial_step_scaling(twin, scale):
    """scipy's test, verbatim problem (its gradient is half the derivative of f)."""
    x0 = [-1.0]
    first = []

    def f(x):
        if not first and x[0] != x0[0]:
            first.append(abs(x[0] - x0[0]))
        assert abs(x).max() <= 1e4, "stepped far away"
        return scale * (x[0] - 1) ** 2

    def g(x):
        return np.array([scale * (x[0] - 1)])

    res = minimize(f, x0, jac=g, method="L-BFGS-B")
    ref = so.minimize(lambda x: scale * (x[0] - 1) ** 2, x0, jac=g, method="L-BFGS-B")
    assert res.success
    assert res.nit <= 3  # scipy's bound
    if scale < 1e-10:
        # |g| = 2e-50 <= gtol at the start: both return it untouched (scipy's test skips it)
        assert (res.nit, res.x[0]) == (ref.nit, ref.x[0]) == (0, -1.0)
        return
    # the minimum is 1; one ulp of rounding in the secant step, and scipy reaches it too
    np.testing.assert_allclose(res.x, [1.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ref.x, res.x, rtol=0, atol=1e-12)  # same rounding argument
    assert 0.5 < first[0] < 3  # scipy's bound on the first step: 1 / ||d||, a unit step
    assert res.nfev <= ref.nfev


def _quad(scale):
    a = np.arange(1.0, 6.0)
    return (lambda x: scale * 0.5 * float(x @ (a * x))), (lambda x: scale * a * x), np.ones(5)


def _rosen(scale):
    return (lambda x: scale * rosen(x)), (lambda x: scale * rosen_der(x)), np.full(5, 0.5)


@pytest.mark.parametrize("problem, xstar", [(_quad, np.zeros(5)), (_rosen, np.ones(5))],
                         ids=["quad5", "rosen5"])
def test_scaled_objective_takes_the_steps_of_scale_one(twin, problem, xstar):
    """The same iterations at every scale 1e-50 .. 1e50, and the closed-form minimum."""
    runs = {}
    for scale in SCALES:
        f, g, x0 = problem(scale)
        runs[scale] = minimize(f, x0, jac=g, method="L-BFGS-B",
                               options={"gtol": scale * 1e-5, "ftol": 0.0})
    base = runs[1.0]
    for scale, r in runs.items():
        assert r.success, (scale, r.message)
        assert (r.nit, r.nfev) == (base.nit, base.nfev), scale
        # gtol 1e-5 on a Hessian with eigenvalues >= 1 (quad) / ~0.4 (Rosenbrock at 1):
        # |x - x*| <= |g| / lambda_min < 1e-4
        np.testing.assert_allclose(r.x, xstar, rtol=0, atol=1e-4)
        # the scaled runs differ from c = 1 by the rounding of c * f only (c not a power
        # of 2), grown over ~30 iterations: far below the 1e-4 above
        np.testing.assert_allclose(r.x, base.x, rtol=0, atol=1e-8)


@pytest.mark.parametrize("scale", [1.0, 1e8, 1e20, 1e50])
@pytest.mark.parametrize("problem", [_quad, _rosen], ids=["quad5", "rosen5"])
def test_scaled_objective_matches_scipy(twin, problem, scale):
    """Where scipy converges (c >= 1) it takes as many calls and reaches the same point."""
    f, g, x0 = problem(scale)
    opts = {"gtol": scale * 1e-5, "ftol": 0.0}
    r = minimize(f, x0, jac=g, method="L-BFGS-B", options=opts)
    s = so.minimize(f, x0, jac=g, method="L-BFGS-B", options=opts)
    assert r.success and s.success
    assert r.nfev <= s.nfev
    # both stop at |g| <= 1e-5 c on Hessians with eigenvalues >= ~0.4 c: within 1e-4 of x*,
    # hence of each other
    np.testing.assert_allclose(r.x, s.x, rtol=0, atol=1e-4)


@pytest.mark.parametrize("scale", [1.0, 1e20, 1e50])
def test_scaled_box_with_active_bounds_matches_scipy(twin, scale):
    """Rosenbrock in a box cutting its valley (upper bound 0.8 active): scale-free too."""
    f, g, x0 = _rosen(scale)
    bounds = [(-2.0, 0.8)] * 5
    r = minimize(f, x0, jac=g, method="L-BFGS-B", bounds=bounds)
    s = so.minimize(f, x0, jac=g, method="L-BFGS-B", bounds=bounds)
    assert r.success and s.success
    assert r.nfev <= s.nfev
    # the box minimum of f / c: scipy's value, to the 1e-5 projected-gradient tolerance
    assert abs(r.fun / scale - s.fun / scale) <= 1e-6
    np.testing.assert_allclose(r.x, s.x, rtol=0, atol=1e-5)  # gtol 1e-5 on the free part


@pytest.mark.parametrize("scale", [1e-50, 1.0, 1e50])
def test_hess_inv_has_the_scaled_curvature(twin, scale):
    """On ``c (x - 1)^2`` one pair is exact: ``H = s / y = 1 / (2 c)``, scipy's too.

    A curvature test against ``eps y.y`` rejected that pair for c = 1e50 and left ``H = I``.
    """
    def f(x):
        return scale * (x[0] - 1.0) ** 2

    def g(x):
        return np.array([2.0 * scale * (x[0] - 1.0)])

    opts = {"gtol": scale * 1e-8, "ftol": 0.0}
    r = minimize(f, [-1.0], jac=g, method="L-BFGS-B", options=opts)
    np.testing.assert_allclose(r.x, [1.0], rtol=0, atol=1e-12)  # a secant step: exact to ulps
    assert r.hess_inv.n_corrs >= 1
    # s / y of a quadratic is exact up to the rounding of the two differences
    np.testing.assert_allclose(r.hess_inv.todense(), [[0.5 / scale]], rtol=1e-12)
    if scale >= 1.0:  # scipy returns its start below (its first step is tiny)
        s = so.minimize(f, [-1.0], jac=g, method="L-BFGS-B", options=opts)
        np.testing.assert_allclose(r.hess_inv.todense(), s.hess_inv.todense(), rtol=1e-12)


def test_small_gradient_is_not_read_as_zero(twin):
    """|g| = 4e-20 next to |x| = 1: ``P(x - g) - x`` rounds to 0, the exact pg does not."""
    def f(x):
        return 1e-20 * (x[0] - 1.0) ** 2

    def g(x):
        return np.array([2e-20 * (x[0] - 1.0)])

    r = minimize(f, [-1.0], jac=g, method="L-BFGS-B", options={"gtol": 1e-28, "ftol": 0.0})
    assert r.success and r.nit >= 1
    np.testing.assert_allclose(r.x, [1.0], rtol=0, atol=1e-12)  # the closed-form minimum
    assert abs(r.jac[0]) <= 1e-28  # the claimed convergence holds
