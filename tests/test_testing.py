"""thetahat.testing: the same values as iminuit.testing, gradients against central
differences, and the stated minima reached by Minuit."""

from __future__ import annotations

import iminuit.testing as it
import numpy as np
import pytest

from thetahat import Minuit
from thetahat import testing as tt

PAIRS = ["rosenbrock", "ackley", "beale", "matyas"]


@pytest.mark.parametrize("name", PAIRS)
def test_values_as_iminuit(name):
    rng = np.random.default_rng(5)
    for x, y in rng.uniform(-2, 2, (20, 2)):
        # the same formulas, possibly summed in another order: 1e-12 relative
        assert getattr(tt, name)(x, y) == pytest.approx(getattr(it, name)(x, y), rel=1e-12,
                                                         abs=1e-12)
    v = rng.normal(size=5)
    assert tt.sphere_np(v) == pytest.approx(it.sphere_np(v), rel=1e-15)


@pytest.mark.parametrize("name", PAIRS)
def test_gradients_against_central_differences(name):
    f, g = getattr(tt, name), getattr(tt, name + "_grad")
    rng = np.random.default_rng(6)
    h = 1e-6
    for x, y in rng.uniform(-2, 2, (10, 2)):
        num = ((f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h))
        # central differences with h = 1e-6: error ~ h² f''' + eps f / h, below 1e-6 here
        np.testing.assert_allclose(g(x, y), num, rtol=1e-6, atol=1e-6)
    if name == "rosenbrock":
        assert tuple(tt.rosenbrock_grad(0.5, 0.5)) == tuple(it.rosenbrock_grad(0.5, 0.5))
    v = rng.normal(size=4)
    np.testing.assert_allclose(tt.sphere_np_grad(v), 2 * v)


@pytest.mark.parametrize("name, start, minimum", [
    ("rosenbrock", (-1.2, 1.0), (1.0, 1.0)), ("beale", (1.0, 1.0), (3.0, 0.5)),
    ("matyas", (1.0, -0.5), (0.0, 0.0)), ("ackley", (0.2, -0.1), (0.0, 0.0)),
])
def test_minuit_finds_the_stated_minimum(name, start, minimum):
    m = Minuit(getattr(tt, name), *start, grad=getattr(tt, name + "_grad"))
    m.errordef = 1
    m.migrad()
    assert m.valid
    # MIGRAD stops at EDM < 2e-4: within ~1e-2 of a minimum of unit curvature
    np.testing.assert_allclose(np.array(m.values), minimum, atol=2e-2)
