"""trf with the LSMR subproblem (sparse Jacobians) against scipy on a banded problem.

The residuals ``z_i z_{i+1} - 1`` (i < n) and ``z_n - 2`` have a bidiagonal Jacobian and
the exact zero ``z = (..., 2, 0.5, 2)``.  Both regularised LSMR solvers converge; the
regularisation of the Gauss-Newton step (``tr_options['regularize']``, default True)
must not slow thetahat down against scipy by more than a small factor (it did: 27
evaluations against scipy's 10).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp

import thetahat as th

N = 50


def chain(z):
    return np.r_[z[:-1] * z[1:] - 1, z[-1] - 2]


def pattern():
    S = sp.lil_array((N, N))
    for i in range(N - 1):
        S[i, i] = S[i, i + 1] = 1
    S[N - 1, N - 1] = 1
    return S


def exact():
    z = np.empty(N)
    z[-1] = 2.0
    for i in range(N - 2, -1, -1):
        z[i] = 1 / z[i + 1]
    return z


@pytest.mark.parametrize("regularize", [True, False])
def test_banded_chain_converges_like_scipy(regularize):
    kw = dict(jac_sparsity=pattern(), tr_options={"regularize": regularize})
    ref = so.least_squares(chain, np.full(N, 1.5), **kw)
    ours = th.least_squares(chain, np.full(N, 1.5), **kw)
    assert ours.status == ref.status == 1  # gtol
    assert sp.issparse(ours.jac)  # kept sparse, as scipy
    # cost <= 5e-13 leaves residuals ~1e-6, and the chain carries an error in z_n to every
    # z_i undamped (z_i = 1 / z_{i+1}): |z - z*| ~ 1e-5 for scipy, 1e-7 for thetahat
    np.testing.assert_allclose(ref.x, exact(), atol=1e-4)
    np.testing.assert_allclose(ours.x, exact(), atol=1e-4)
    assert ours.cost <= 1e-12  # scipy: 5e-13 (regularised), 2e-14
    assert ours.nfev <= 1.5 * ref.nfev  # 14 against 10 regularised, 7 against 7 without
