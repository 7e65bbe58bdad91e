"""HESSE: finite-difference second-derivative matrices against analytic ones and iminuit."""

from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit

from thetahat.derivatives.hesse import hesse, make_posdef
from thetahat.derivatives.mn_gradient import GradState, numerical_gradient
from thetahat.solvers.migrad import MigradOptions


def _quadratic(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    h = a @ a.T / n + 0.5 * np.eye(n)
    c = rng.normal(size=n)
    return (lambda x: float(0.5 * (x - c) @ h @ (x - c))), h, c


@pytest.mark.parametrize("strategy", [0, 1, 2])
@pytest.mark.parametrize("n", [1, 3, 8])
def test_quadratic_exact(n, strategy):
    f, h, c = _quadratic(n, seed=10 * n + strategy)
    x = c + 0.3
    r = hesse(f, x, f(x), MigradOptions(strategy=strategy))
    assert not r.failed and r.is_posdef and not r.made_posdef
    # differences of a quadratic are exact up to rounding: eps |F| / h^2 ~ 1e-8 relative
    np.testing.assert_allclose(r.hess, h, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(r.hess_inv, np.linalg.inv(h), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.grad, h @ (x - c), rtol=1e-6, atol=1e-6)


def _nonquad(x):
    # smooth, non-quadratic, correlated; analytic second derivatives below
    return float(np.exp(0.3 * x[0]) + x[0] ** 2 * x[1] ** 2 + np.cosh(x[1] - 0.5 * x[2])
                 + x[2] ** 4 + 2.0 * x[0] * x[2])


def _nonquad_hess(x):
    a, b, c = x
    ch = np.cosh(b - 0.5 * c)
    return np.array([
        [0.09 * np.exp(0.3 * a) + 2 * b ** 2, 4 * a * b, 2.0],
        [4 * a * b, 2 * a ** 2 + ch, -0.5 * ch],
        [2.0, -0.5 * ch, 0.25 * ch + 12 * c ** 2],
    ])


@pytest.mark.parametrize("strategy", [1, 2])
def test_nonquadratic_vs_analytic(strategy):
    x = np.array([0.4, -0.7, 1.1])
    r = hesse(_nonquad, x, _nonquad(x), MigradOptions(strategy=strategy))
    # steps of ~1e-3 sigma: truncation O(h * third derivative) ~ 1e-4 relative
    np.testing.assert_allclose(r.hess, _nonquad_hess(x), rtol=2e-3, atol=2e-3)


def test_vs_iminuit_hesse():
    x0 = np.array([0.4, -0.7, 1.1])
    m = Minuit(_nonquad, x0)
    m.errordef = 1.0
    m.hesse()
    r = hesse(_nonquad, x0, _nonquad(x0), MigradOptions(), step0=np.full(3, 0.1))
    # both are finite-difference estimates with relative errors ~1e-4
    np.testing.assert_allclose(2 * r.hess_inv, np.array(m.covariance), rtol=1e-2)


def test_errordef_does_not_change_hessian():
    f, h, c = _quadratic(3, seed=1)
    r = hesse(f, c, f(c), MigradOptions(errordef=0.5))
    np.testing.assert_allclose(r.hess, h, rtol=1e-6, atol=1e-6)  # as test_quadratic_exact


def test_constant_fails():
    r = hesse(lambda x: 3.0, np.zeros(2), 3.0, MigradOptions())
    assert r.failed and "zero" in r.message


def test_indefinite_made_posdef():
    f = lambda x: float(x[0] ** 2 - 0.5 * x[1] ** 2 + 0.1 * x[0] * x[1])
    r = hesse(f, np.zeros(2), 0.0, MigradOptions())
    assert r.made_posdef and not r.is_posdef and not r.failed
    assert np.all(np.linalg.eigvalsh(r.hess) > 0)
    assert np.all(np.linalg.eigvalsh(r.hess_inv) > 0)


def test_make_posdef_keeps_posdef():
    a = np.array([[2.0, 0.5], [0.5, 1.0]])
    b, made = make_posdef(a)
    assert not made and b is a


def test_nan_outside_domain():
    # sqrt-like cost defined only for x > 0; x close to the edge of the domain
    f = lambda x: float((x[0] - 1e-3) ** 2 / 1e-8 + (np.log(x[0]) if x[0] > 0 else np.nan))
    x = np.array([1e-3])
    r = hesse(f, x, f(x), MigradOptions(), step0=np.array([0.01]))
    # the first step leaves the domain and is halved; the curvature is then 2e8 - 1/x^2
    assert not r.failed
    np.testing.assert_allclose(r.hess[0, 0], 2e8 - 1e6, rtol=1e-3)


def test_call_limit():
    f, _, _ = _quadratic(6, seed=2)
    r = hesse(f, np.zeros(6), f(np.zeros(6)), MigradOptions(), max_nfcn=10)
    assert r.failed and r.nfcn <= 10 and "call limit" in r.message


def test_reuses_gradient_values():
    f, h, c = _quadratic(4, seed=3)
    x = c + 0.1
    opts = MigradOptions()
    from thetahat.derivatives.mn_gradient import gradient_full
    _, _, st1, _ = gradient_full(f, x, f(x), None, 1.0, None, cycles=3)
    _, _, st, _ = gradient_full(f, x, f(x), GradState(st1.gstep, st1.g2), 1.0, None)
    r = hesse(f, x, f(x), opts, known=st)
    # diagonal from the gradient; the noise check is skipped because g2 agrees with the
    # previous evaluation (a quadratic): only the off-diagonal calls remain
    assert r.nfcn == 4 * 3 // 2
    np.testing.assert_allclose(r.hess, h, rtol=1e-6, atol=1e-6)  # as test_quadratic_exact
    st.g2_prev = None  # without a previous evaluation: two calls per parameter to check
    assert hesse(f, x, f(x), opts, known=st).nfcn == 2 * 4 + 4 * 3 // 2


def test_numerical_gradient_accuracy():
    x = np.array([0.4, -0.7, 1.1])
    g, g2, gstep, nfcn = numerical_gradient(_nonquad, x, _nonquad(x), None,
                                            MigradOptions(strategy=2))
    a, b, c = x
    sh = np.sinh(b - 0.5 * c)
    exact = np.array([0.3 * np.exp(0.3 * a) + 2 * a * b * b + 2 * c,
                      2 * a * a * b + sh, -0.5 * sh + 4 * c ** 3 + 2 * a])
    # central differences with tuned steps: error ~ h^2 f''' ~ 1e-7 relative
    np.testing.assert_allclose(g, exact, rtol=1e-6)
    np.testing.assert_allclose(g2, np.diag(_nonquad_hess(x)), rtol=1e-3)  # as above
    assert nfcn >= 6 and np.all(gstep > 0)


def test_noisy_function_larger_steps():
    # F = 100 + quadratic + uniform noise of 1e-5 (relative 1e-7, far above double
    # precision): the noise check moves to larger steps instead of returning garbage
    f0, h, c = _quadratic(3, seed=4)
    rng = np.random.default_rng(1)
    f = lambda x: 100.0 + f0(x) + 1e-5 * rng.uniform(-1, 1)
    r = hesse(f, c, f(c), MigradOptions())
    d = np.sqrt(np.diag(h))
    # at steps of 0.1 sigma the sag is 0.01; noise / sag ~ 1e-3, times a few for 4 points
    assert np.max(np.abs(r.hess - h) / np.outer(d, d)) < 0.05


@pytest.mark.parametrize("strategy", [0, 1, 2])
def test_hesse_steps_stay_above_the_resolution_of_x(strategy):
    # F = S (x(u) - a) with MINUIT's lower-limit transform x = a - 1 + sqrt(u² + 1) at
    # a = 1e8, u = 0: x moves by u²/2, below one ulp of 1e8 (1.5e-8) for the step that
    # F'' = S asks for (u ~ 4.5e-5 at S = 1e7); a first step of that size is flat
    S, a = 1e7, 1e8
    f = lambda u: float(S * ((a - 1.0 + np.sqrt(u[0] ** 2 + 1.0)) - a))
    r = hesse(f, np.zeros(1), f(np.zeros(1)), MigradOptions(strategy=strategy),
              step0=np.array([4.5e-5]))
    assert not r.failed
    # closed form F''(0) = S; x rounds to ulps of 1e8 over a sag of >= 10 ulps: 10 %
    assert r.g2[0] == pytest.approx(S, rel=0.1)
