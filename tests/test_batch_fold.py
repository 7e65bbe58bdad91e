"""The compiled batch core's fold of a block into g and A (_batch_models.h): one pass with
every sum in a register for k = 3..6, one dot product per sum otherwise, each with unit
weights or weights. Oracle: a weighted polynomial fit is linear least squares, solved in
closed form by numpy's lstsq; its covariance is inv(X^T W X).
"""

from __future__ import annotations

import numpy as np
import pytest

from thetahat._compiled import batchcore
from thetahat.solvers import batch_lm as B

pytestmark = pytest.mark.skipif(batchcore is None, reason="compiled batch core not built")


@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weights"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7, 9])
def test_polynomial_fits_match_closed_form_least_squares(k, weighted, rng):
    n, m = 20, 45  # 45 points: a full block of 32 and a padded one of 13
    x = np.linspace(-1.0, 1.0, m)
    X = np.vander(x, k, increasing=True)  # the poly component's columns x^a
    truth = rng.normal(size=(n, k))
    sigma = rng.uniform(0.05, 0.2, (n, m)) if weighted else np.full((n, m), 0.1)
    y = truth @ X.T + sigma * rng.normal(size=(n, m))
    w = 1.0 / sigma ** 2 if weighted else None
    model = B.BuiltinModel([(1, k)], 1)
    opts = dict(mle=False, lb=np.full(k, -np.inf), ub=np.full(k, np.inf),
                fixed=np.zeros(k, dtype=bool), ftol=1e-12, xtol=1e-12, gtol=1e-12,
                max_iter=50)
    p0 = np.zeros((n, k))
    c = B.run_compiled(batchcore, model, x[:, None], y, w, p0, workers=1, chunk=8, **opts)
    assert (c.status == B.CONVERGED).all()
    for i in range(n):
        sw = np.sqrt(w[i]) if weighted else np.ones(m)
        best = np.linalg.lstsq(X * sw[:, None], y[i] * sw, rcond=None)[0]
        cov = np.linalg.inv((X * sw[:, None] ** 2).T @ X)
        # linear problem: the minimum to rounding times the condition number of X
        np.testing.assert_allclose(c.popt[i], best, rtol=1e-8, atol=1e-10)
        # inv(A) from the C Cholesky against numpy's inverse: rounding times cond(A) (the
        # monomials' A reaches cond ~3e5 at k = 9), on the scale of the largest element
        np.testing.assert_allclose(c.cov[i], cov, rtol=0, atol=1e-8 * np.abs(cov).max())
        chi2 = np.sum((sw * (y[i] - X @ best)) ** 2)
        assert c.chi2[i] == pytest.approx(chi2, rel=1e-10)  # chi2 at the same minimum
