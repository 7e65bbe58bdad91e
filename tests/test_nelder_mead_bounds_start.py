"""Nelder-Mead with bounds: the start simplex is reflected off either bound (scipy: upper only).

scipy builds the start simplex by scaling component i of x0 by 1.05 and reflects a
vertex beyond the *upper* bound into the box; one beyond the *lower* bound is clipped onto
it, so with x0_i at a lower bound that is negative every vertex has the same i-th
component and the simplex is flat: it cannot leave the face.  thetahat reflects off both
bounds.  This is a deliberate difference, pinned here with scipy as the reference.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize as so
from scipy.optimize import rosen

import thetahat as th


def test_start_at_a_negative_lower_bound_is_not_flat():
    x0 = np.array([-0.85679448, -1.78427719, -0.46652448])  # x0[1] below the box
    bounds = [(-1.5, 1.5)] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", so.OptimizeWarning)  # both: x0 outside the bounds
        ref = so.minimize(rosen, x0, method="Nelder-Mead", bounds=bounds)
        ours = th.minimize(rosen, x0, method="Nelder-Mead", bounds=bounds)
    # scipy's flat simplex stays on the face x1 = -1.5, far from the minimum (1, 1, 1)
    assert ref.x[1] == -1.5 and ref.fun > 100
    # thetahat reaches the minimum: xatol = fatol = 1e-4 leave |x - 1| ~ 1e-4
    np.testing.assert_allclose(ours.x, np.ones(3), atol=1e-3)
    assert ours.fun < 1e-8 and ours.success


def test_start_near_an_upper_bound_as_scipy():
    # the upper-bound reflection is the same rule in both: the same iterations
    x0 = np.array([1.45, 0.5, 1.0])
    bounds = [(-1.5, 1.5)] * 3
    ref = so.minimize(rosen, x0, method="Nelder-Mead", bounds=bounds)
    ours = th.minimize(rosen, x0, method="Nelder-Mead", bounds=bounds)
    assert (ours.nit, ours.nfev) == (ref.nit, ref.nfev)
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-10)  # same steps, rounding only
