"""least_squares against scipy.optimize.least_squares on small problems with known minima."""

import numpy as np
import pytest
from scipy.optimize import least_squares as scipy_lsq

from thetahat import least_squares


def rosenbrock(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


@pytest.mark.parametrize("kw", [{}, {"loss": "soft_l1"}, {"jac": "3-point"}, {"jac": "cs"},
                                {"x_scale": "jac"}, {"bounds": ([-2, -2], [0.5, 2])}])
def test_rosenbrock_matches_scipy(kw):
    r = least_squares(rosenbrock, [-1.2, 1.0], **kw)
    s = scipy_lsq(rosenbrock, [-1.2, 1.0], **kw)
    # both solve to gtol 1e-8 on a well-conditioned minimum: agree to ~1e-6
    np.testing.assert_allclose(r.x, s.x, rtol=1e-6, atol=1e-8)
    assert r.success


def test_x0_infeasible():
    with pytest.raises(ValueError, match="x0 is infeasible"):
        least_squares(rosenbrock, [-1.2, 1.0], bounds=([0, 0], [1, 1]))
