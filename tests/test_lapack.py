"""_core/linalg.py against numpy.linalg on the same matrices."""

import numpy as np
import pytest

from thetahat._core.linalg import spd_inverse, spd_solve, thin_svd


def _spd(n, seed, cond=1e3):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q @ np.diag(np.geomspace(1.0, cond, n)) @ q.T


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_spd_solve_and_inverse_match_numpy(n):
    a = _spd(n, n)
    b = np.random.default_rng(10 + n).normal(size=n)
    # a condition number of 1e3 costs ~3 digits of the ~16: 1e-12 is a safe agreement
    np.testing.assert_allclose(spd_solve(a, b), np.linalg.solve(a, b), rtol=1e-12, atol=0)
    inv = spd_inverse(a)
    np.testing.assert_allclose(inv, np.linalg.inv(a), rtol=1e-12, atol=1e-14)
    assert np.array_equal(inv, inv.T)  # symmetrised exactly, as a covariance must be


@pytest.mark.parametrize("a", [
    np.array([[1.0, 2.0], [2.0, 1.0]]),          # indefinite
    np.array([[1.0, 1.0], [1.0, 1.0]]),          # singular
    np.array([[np.nan, 0.0], [0.0, 1.0]]),       # not finite: potrf does not flag it itself
    np.array([[1.0, 0.0], [0.0, np.nan]]),
])
def test_not_positive_definite_gives_none(a):
    assert spd_solve(a, np.ones(2)) is None
    assert spd_inverse(a) is None


def test_thin_svd_matches_numpy_and_raises_on_nan():
    a = np.random.default_rng(3).normal(size=(11, 3))
    u, s, vt = thin_svd(a)
    s_np = np.linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(s, s_np, rtol=1e-13)  # singular values are well conditioned
    np.testing.assert_allclose(u * s @ vt, a, rtol=0, atol=1e-13)  # reconstruction
    assert np.all(np.diff(s) <= 0)  # decreasing, which levmar's rank test relies on
    a[2, 1] = np.nan
    with pytest.raises(np.linalg.LinAlgError):
        thin_svd(a)
