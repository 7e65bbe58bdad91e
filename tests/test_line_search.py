"""Line searches: the strong Wolfe conditions at the returned step, on the test functions of
Moré & Thuente (1994), and scipy's BFGS path reproduced with Moré-Thuente."""

import math

import numpy as np
import pytest

from thetahat.solvers.line_search import more_thuente, strong_wolfe


def _counted(phi):
    calls = []

    def phi_dphi(a):
        calls.append(a)
        return phi(a)

    return phi_dphi, calls


def _mt1(a, beta=2.0):  # Moré-Thuente function 1: phi = -a / (a² + beta)
    return -a / (a * a + beta), (a * a - beta) / (a * a + beta) ** 2


def _mt2(a, beta=0.004):  # function 2: phi = (a + beta)^5 - 2 (a + beta)^4
    return (a + beta) ** 5 - 2 * (a + beta) ** 4, 5 * (a + beta) ** 4 - 8 * (a + beta) ** 3


def _mt3(a, beta=0.01, ell=39):  # function 3: a wiggly perturbation of a convex function
    s = 2 * (1 - beta) / (ell * math.pi) * math.sin(ell * math.pi / 2 * a)
    ds = (1 - beta) * math.cos(ell * math.pi / 2 * a)
    if a <= 1 - beta:
        return 1 - a + s, -1 + ds
    if a >= 1 + beta:
        return a - 1 + s, 1 + ds
    return (a - 1) ** 2 / (2 * beta) + beta / 2 + s, (a - 1) / beta + ds


@pytest.mark.parametrize("phi, c1, c2", [(_mt1, 1e-3, 0.1), (_mt2, 0.1, 0.1), (_mt3, 0.1, 0.1)])
@pytest.mark.parametrize("a0", [1e-3, 1e-1, 1e1, 1e3])
def test_strong_wolfe_conditions_hold(phi, c1, c2, a0):
    _check(more_thuente, phi, c1, c2, a0)


@pytest.mark.parametrize("a0", [1e-3, 1e-1, 1e1, 1e3])
def test_bracketing_zoom_search_on_the_first_function(a0):
    # the bracketing-and-zoom search (L-BFGS-B's, and BFGS's fallback) stops once the step
    # is known to 1 %, a rule for noisy difference gradients: the paper's functions 2 and 3,
    # whose curvature conditions need the step to 1e-8, are Moré-Thuente's to pass
    _check(strong_wolfe, _mt1, 1e-3, 0.1, a0)


def _check(search, phi, c1, c2, a0):
    phi_dphi, calls = _counted(phi)
    f0, d0 = phi(0.0)
    r = search(phi_dphi, f0, d0, a0, c1, c2)
    assert r.success
    f, d = phi(r.alpha)
    assert f <= f0 + c1 * r.alpha * d0  # sufficient decrease (exact: the same arithmetic)
    assert abs(d) <= c2 * abs(d0)       # curvature
    assert r.nfev == len(calls) <= 20   # the paper needs at most 12 on these


def test_more_thuente_backs_off_from_a_non_finite_value():
    def phi(a):  # defined for a < 1 only, minimum at 0.5
        return ((a - 0.5) ** 2, 2 * (a - 0.5)) if a < 1 else (math.inf, math.nan)

    r = more_thuente(phi, 0.25, -1.0, 4.0)
    assert r.success and abs(r.alpha - 0.5) < 0.25


def test_bfgs_with_more_thuente_follows_scipys_path():
    """The same algorithm on both sides: scipy's BFGS uses MINPACK's Moré-Thuente search."""
    import scipy.optimize as so
    from scipy.optimize import rosen, rosen_der

    from thetahat import minimize

    for n in (5, 10):
        x0 = np.full(n, 0.5)
        for jac in (None, rosen_der):
            a = minimize(rosen, x0, method="BFGS", jac=jac)
            b = so.minimize(rosen, x0, method="BFGS", jac=jac)
            assert a.nit == b.nit and a.nfev == b.nfev
            # the same iterates up to rounding in the difference gradients
            np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-7)
