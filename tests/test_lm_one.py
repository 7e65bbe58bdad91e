"""One Levenberg-Marquardt: single fits and batches of the same problems take the same steps.

The single fit (:func:`thetahat.least_squares` / :func:`thetahat.curve_fit`, Moré's step by
the SVD of J D^-1) and the batch engine (:func:`thetahat.solvers.batch_lm.lm_batch` and its
C twin, Moré's step by Cholesky of the normal equations) are one algorithm: the same
iterates of the secular equation, radius updates, acceptance and stopping tests. The oracle
is therefore exact agreement of the paths: the same number of evaluations and the same
result to rounding (1e-10), on well-conditioned problems where the two factorisations
differ only in the last bits.
"""

from __future__ import annotations

import numpy as np
import pytest

import thetahat
from thetahat import batch
from thetahat.solvers.levmar import LMOptions, levmar_batch

T = np.linspace(0, 5, 30)
B = 20


def _decays():
    rng = np.random.default_rng(7)
    a = rng.uniform(1, 5, B)
    k = rng.uniform(0.2, 2.0, B)
    Y = a[:, None] * np.exp(-k[:, None] * T) + rng.normal(0, 0.02, (B, T.size))
    X0 = np.column_stack([rng.uniform(0.5, 2, B), rng.uniform(0.5, 3, B)])
    return Y, X0


def test_least_squares_lm_is_a_batch_of_one():
    Y, X0 = _decays()

    def fun_b(X):
        return X[:, :1] * np.exp(-X[:, 1:2] * T) - Y

    def jac_b(X, F):
        e = np.exp(-X[:, 1:2] * T)
        return np.stack([e, -X[:, :1] * T * e], axis=2)

    rb = levmar_batch(fun_b, jac_b, X0, LMOptions())
    assert rb.success.all()
    for i in range(B):
        s = thetahat.least_squares(lambda p, i=i: p[0] * np.exp(-p[1] * T) - Y[i], X0[i],
                                   jac=lambda p: jac_b(p[None], None)[0], method="lm")
        assert s.success
        # the same path: the same evaluations, the same point to rounding
        assert rb.nfev[i] == s.nfev
        np.testing.assert_allclose(rb.x[i], s.x, rtol=1e-10)


def _gauss(x, a, mu, s, c):
    return a * np.exp(-0.5 * ((x - mu) / s) ** 2) + c


def _gauss_jac(x, a, mu, s, c):
    t = (x - mu) / s
    e = np.exp(-0.5 * t * t)
    return np.stack(np.broadcast_arrays(e, a * e * t / s, a * e * t * t / s, 1.0 + 0 * x), -1)


@pytest.mark.parametrize("workers", [1, 2])
def test_curve_fit_and_the_batch_take_the_same_steps(workers):
    # compiled: _lmcore.c's SVD step against _batchlm.c's Cholesky step; THETAHAT_COMPILED=0:
    # levmar.py against batch_lm.py
    rng = np.random.default_rng(11)
    x = np.linspace(-5, 5, 40)
    truth = np.array([3.0, 0.2, 1.3, 0.5])
    P0 = truth * (1 + rng.uniform(-0.2, 0.2, (B, 4)))
    Y = _gauss(x, *truth) + rng.normal(0, 0.05, (B, x.size))
    rb = batch.curve_fit("gauss+constant", x, Y, p0=P0, workers=workers)
    assert rb.success.all()
    for i in range(B):
        popt, _, info, _, _ = thetahat.curve_fit(
            _gauss, x, Y[i], p0=P0[i], jac=lambda x, *p: _gauss_jac(x, *p),
            full_output=True)
        # the same path (the model's derivatives are the same formulas, summed in another
        # order): the same evaluations and the point to rounding
        assert rb.nfev[i] == info["nfev"]
        np.testing.assert_allclose(rb.popt[i], popt, rtol=1e-10)
