"""MIGRAD, SIMPLEX and the MINUIT-style numerical gradient against iminuit on plain functions."""

from __future__ import annotations

import numpy as np
import pytest
from iminuit import Minuit

from thetahat.solvers.migrad import MigradOptions, migrad
from thetahat.solvers.simplex import simplex


def _bowl(n: int, seed: int):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    h = a @ a.T / n + np.eye(n)
    c = rng.normal(size=n)
    return (lambda x: float(0.5 * (x - c) @ h @ (x - c))), h, c


def _rosen(x):
    return float(100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2)


def _iminuit(f, x0, strategy=1):
    m = Minuit(lambda x: f(np.asarray(x)), np.array(x0, float))
    m.errordef = 1.0
    m.strategy = strategy
    m.migrad()
    return m


@pytest.mark.parametrize("n", [2, 10, 20])
def test_quadratic_bowl_matches_iminuit(n):
    f, h, c = _bowl(n, seed=n)
    x0 = np.zeros(n)
    r = migrad(f, x0, np.full(n, 0.1), MigradOptions())
    m = _iminuit(f, x0)
    assert r.is_valid and r.has_accurate_covar
    goal = 0.002 * 0.1 * 1.0
    assert r.edm < goal
    # EDM < goal means |x - c| in units of sigma below sqrt(2 goal) ~ 0.02
    np.testing.assert_allclose(r.x, c, atol=0.03 * np.max(np.sqrt(np.diag(np.linalg.inv(h)))))
    assert r.fval < 2 * goal
    # covariance 2 H^-1 exact for a quadratic; HESSE differences are exact up to rounding
    np.testing.assert_allclose(2 * r.hess_inv, np.array(m.covariance), rtol=0.01,
                               atol=1e-3 * np.max(np.abs(m.covariance)))
    assert r.nfcn <= 1.1 * m.fmin.nfcn  # call budget comparable to iminuit's (10% margin)


def test_rosenbrock():
    x0 = np.array([-1.2, 1.0])
    r = migrad(_rosen, x0, np.full(2, 0.1), MigradOptions())
    m = _iminuit(_rosen, x0)
    assert r.is_valid
    # minimum at (1, 1); EDM < 2e-4 allows 0.02 sigma along the valley, where sigma ~ 2.2
    np.testing.assert_allclose(r.x, [1.0, 1.0], atol=0.05)
    np.testing.assert_allclose(2 * r.hess_inv, np.array(m.covariance), rtol=0.1)


def test_call_limit():
    f, _, _ = _bowl(10, seed=3)
    r = migrad(f, np.zeros(10), np.full(10, 0.1), MigradOptions(max_nfcn=30))
    assert r.has_reached_call_limit and not r.is_valid
    assert r.nfcn <= 30


def test_constant_function_hesse_fails():
    r = migrad(lambda x: 1.0, np.zeros(2), np.full(2, 0.1), MigradOptions())
    assert r.hesse_failed and not r.is_valid


@pytest.mark.parametrize("tol", [0.1, 1e-4])
def test_simplex_bowl(tol):
    f, h, c = _bowl(3, seed=5)
    r = simplex(f, np.zeros(3), np.full(3, 0.5), MigradOptions(tol=tol))
    assert r.is_valid and not r.has_covariance
    # SIMPLEX's goal is tol * errordef; F - F_min is of the order of the EDM (x 10 margin)
    assert r.fval < 10 * tol


def test_simplex_rosenbrock_then_migrad():
    r = simplex(_rosen, np.array([-1.2, 1.0]), np.full(2, 0.1), MigradOptions())
    assert r.fval < 1.0  # iminuit's SIMPLEX stops at F ~ 0.4 here; the goal is lax
    r2 = migrad(_rosen, r.x, np.full(2, 0.1), MigradOptions())
    assert r2.is_valid and r2.fval < 10 * 0.002 * 0.1  # F_min = 0; F - F_min ~ EDM
    # EDM < 2e-4 allows 0.02 sigma along the valley, where sigma ~ 2.2
    np.testing.assert_allclose(r2.x, [1, 1], atol=0.05)


def test_simplex_call_limit():
    r = simplex(_rosen, np.array([-1.2, 1.0]), np.full(2, 0.1), MigradOptions(max_nfcn=20))
    assert r.has_reached_call_limit and not r.is_valid and r.nfcn <= 20
    assert r.fval < _rosen(np.array([-1.2, 1.0]))
