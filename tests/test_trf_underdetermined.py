"""TRF on problems with fewer residuals than variables (m < n), against scipy.

scipy's ``test_rosenbrock_cropped`` fits the first Rosenbrock residual
``10 (x1 - x0^2)`` alone: a zero-residual curve of minima, and a Jacobian of rank 1.  The
minimum-norm Gauss-Newton step solves the trust-region subproblem whenever it fits in the
region; before, the Levenberg-Marquardt parameter was driven negative and every step was
stretched to the radius, overshooting the curve (cost stuck at 1.5e-14 with
``x_scale='jac'``, where scipy's test asks for < 1e-14).
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
import scipy.optimize as so

import thetahat as th
from thetahat.solvers.lsq_common import solve_trust_region


def cropped(x):
    return np.array([10 * (x[1] - x[0] ** 2)])


def cropped_jac(x):
    return np.array([[-20 * x[0], 10.0]])


@pytest.mark.parametrize("jac,x_scale,tr_solver", list(product(
    ["2-point", "3-point", "cs", cropped_jac], [1.0, np.array([1.0, 0.2]), "jac"],
    ["exact", "lsmr"])))
def test_cropped_rosenbrock_reaches_the_curve(jac, x_scale, tr_solver):
    kw = dict(jac=jac, x_scale=x_scale, tr_solver=tr_solver, method="trf")
    ref = so.least_squares(cropped, [-2, 1], **kw)
    ours = th.least_squares(cropped, [-2, 1], **kw)
    assert ours.success and ref.success
    # scipy's own test's bound on the cost (a zero-residual problem)
    assert ours.cost < 1e-14 and ref.cost < 1e-14
    # no worse than scipy on the same problem: scipy ends near 1e-16 or below
    assert ours.cost <= max(ref.cost, 1e-28)  # 1e-28: rounding of f ~ 1e-14 squared
    assert ours.nfev <= ref.nfev  # the minimum-norm step lands on the curve at once


def test_minimum_norm_step_when_it_fits():
    # J (1 x 2) of rank 1: the minimum-norm solution of J p = -f is -f J^T / |J|^2,
    # computed independently here; inside a large region it is the exact answer
    J = np.array([[3.0, 4.0]])
    f = np.array([5.0])
    U, s, Vt = np.linalg.svd(J, full_matrices=False)
    p, alpha, _ = solve_trust_region(U.T @ f, s, Vt.T, delta=10.0)
    np.testing.assert_allclose(p, -f[0] * J[0] / 25.0, rtol=1e-14)  # rounding of the SVD
    assert alpha == 0.0
    # a region smaller than |p_min| = 1: the step has the radius, along the same direction
    p, alpha, _ = solve_trust_region(U.T @ f, s, Vt.T, delta=0.5)
    assert alpha > 0
    np.testing.assert_allclose(np.linalg.norm(p), 0.5, rtol=0.011)  # rtol 0.01 of the solver
    np.testing.assert_allclose(p / np.linalg.norm(p), -J[0] / 5.0, rtol=1e-12)
