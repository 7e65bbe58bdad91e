"""Levenberg-Marquardt: the single-problem solver against scipy's MINPACK 'lm', and the
batch-native solver against the single fits of the same problems."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

from thetahat.solvers.levmar import LMOptions, levmar, levmar_batch


def _fd(fun):
    def jac(x, f):
        h = 1.49e-8 * np.maximum(np.abs(x), 1.0)
        return np.stack([(fun(x + h[j] * np.eye(x.size)[j]) - f) / h[j]
                         for j in range(x.size)], axis=1)
    return jac


PROBLEMS = {
    "rosenbrock": (lambda x: np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]]), [-1.2, 1.0]),
    "beale": (lambda x: np.array([1.5 - x[0] * (1 - x[1]), 2.25 - x[0] * (1 - x[1] ** 2),
                                  2.625 - x[0] * (1 - x[1] ** 3)]), [1.0, 1.0]),
    "freudenstein_roth": (lambda x: np.array([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1],
                                              -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]]),
                          [0.5, -2.0]),
}


@pytest.mark.parametrize("name", PROBLEMS)
def test_levmar_matches_minpack(name):
    fun, x0 = PROBLEMS[name]
    r = levmar(fun, _fd(fun), np.array(x0, float), LMOptions())
    s = so.least_squares(fun, x0, method="lm")
    # same local minimum: cost to 1e-8 relative (+ absolute floor for zero residual)
    assert 0.5 * r.fun @ r.fun == pytest.approx(s.cost, rel=1e-8, abs=1e-20)
    # x to 1e-4: Freudenstein-Roth's local minimum lies in a flat valley where a cost change
    # of 1e-8 (the ftol both use) moves x by ~3e-5
    np.testing.assert_allclose(r.x, s.x, rtol=1e-4, atol=1e-8)
    assert r.status > 0


def test_batch_equals_single_fits():
    rng = np.random.default_rng(3)
    t = np.linspace(0, 5, 30)
    B = 50
    a = rng.uniform(1, 5, B)
    k = rng.uniform(0.2, 2.0, B)
    Y = a[:, None] * np.exp(-k[:, None] * t) + rng.normal(0, 0.02, (B, t.size))

    def fun_b(X):
        return X[:, :1] * np.exp(-X[:, 1:2] * t) - Y

    def jac_b(X, F):
        e = np.exp(-X[:, 1:2] * t)
        return np.stack([e, -X[:, :1] * t * e], axis=2)

    X0 = np.column_stack([np.ones(B), np.ones(B)])
    rb = levmar_batch(fun_b, jac_b, X0, LMOptions())
    assert rb.success.all()
    for i in range(B):
        s = so.least_squares(lambda p, i=i: p[0] * np.exp(-p[1] * t) - Y[i], X0[i], method="lm")
        # every member at the same minimum as its own fit (tolerances 1e-8 on both sides)
        np.testing.assert_allclose(rb.x[i], s.x, rtol=1e-6)
        assert rb.cost[i] == pytest.approx(s.cost, rel=1e-8)


def test_batch_of_one_and_bad_shape():
    fun, x0 = PROBLEMS["rosenbrock"]
    rb = levmar_batch(lambda X: np.array([fun(x) for x in X]),
                      lambda X, F: np.array([_fd(fun)(x, f) for x, f in zip(X, F)]),
                      np.array([x0]), LMOptions())
    np.testing.assert_allclose(rb.x[0], [1, 1], rtol=1e-6)  # the known minimum
    with pytest.raises(ValueError, match="B, n"):
        levmar_batch(fun, fun, np.array(x0), LMOptions())


T_DECAY = np.linspace(0, 4, 11)
Y_DECAY = 2.5 * np.exp(-1.3 * T_DECAY) + 0.05 * np.random.default_rng(1).normal(size=11)


def _decay(p):
    return p[0] * np.exp(-p[1] * T_DECAY) - Y_DECAY


def _decay_jac(p):
    e = np.exp(-p[1] * T_DECAY)
    return np.column_stack([e, -p[0] * T_DECAY * e])


def test_polish_pays_for_itself():
    from thetahat import least_squares
    # the oracle: scipy's lm with the exact Jacobian solved to 1e-15 (the true minimum)
    ref = so.least_squares(_decay, [1.0, 1.0], jac=_decay_jac, method="lm", ftol=1e-15,
                           xtol=1e-15, gtol=1e-15)
    s = so.least_squares(_decay, [1.0, 1.0], method="lm")
    r = least_squares(_decay, [1.0, 1.0], method="lm")
    # one polish round (1 counted call) on a fast-converging fit: within 1.2x scipy's calls
    assert r.nfev <= 1.2 * s.nfev
    # and lands on the true minimum to the central differences' accuracy (~eps^(2/3) times
    # the conditioning; scipy's forward-difference fit is 2e-10 off here)
    np.testing.assert_allclose(r.x, ref.x, rtol=1e-9)


def test_no_polish_with_an_exact_jacobian():
    from thetahat import least_squares
    s = so.least_squares(_decay, [1.0, 1.0], jac=_decay_jac, method="lm")
    r = least_squares(_decay, [1.0, 1.0], jac=_decay_jac, method="lm")
    # the same iterations as MINPACK (nothing to polish): the same calls, x to the tolerance
    assert (r.nfev, r.njev) == (s.nfev, s.njev)
    np.testing.assert_allclose(r.x, s.x, rtol=1e-8)
