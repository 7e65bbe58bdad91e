"""Issue 15, statistics: regressions found by toy Monte Carlo, each against a closed form.

test_issue_15_minos_near_a_capped_limit: a Poisson yield mu >= 0 with n observed events has
the profile ``2 (mu - n ln mu)``; relative to its minimum at ``mu = n`` this is
``2 n (r - 1 - ln r)`` with ``r = mu / n``, and the interval at confidence ``cl`` is where it
equals ``Q = chi2.ppf(cl, 1)``. A cost that returns a huge value at the limit (a capped log)
used to make MINOS take the secant to that capped point as the local slope and report a
wrong lower end as valid (off by up to 0.43 sigma for n = 2, 3).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import chi2

from thetahat import Minuit


def _poisson_cost(n: int, capped: bool):
    def cost(mu):
        if capped:  # the cost of a likelihood that gives up at the boundary
            return 2 * (mu - n * np.log(mu)) if mu > 0 else 1e300
        return 2 * (mu - n * np.log(max(mu, 1e-300)))
    cost.errordef = Minuit.LEAST_SQUARES
    return cost


def _closed_form(n: int, cl: float) -> tuple[float, float]:
    q = chi2.ppf(cl, 1)
    if n == 0:  # the profile is 2 mu: the interval is [0, Q/2]
        return 0.0, q / 2
    g = lambda r: 2 * n * (r - 1 - np.log(r)) - q
    return n * brentq(g, 1e-15, 1.0, xtol=1e-14), n * brentq(g, 1.0, 1e3, xtol=1e-14)


@pytest.mark.parametrize("capped", [False, True], ids=["clamped", "capped"])
@pytest.mark.parametrize("cl", [0.68, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("n", range(11))
def test_issue_15_minos_near_a_capped_limit(n, cl, capped):
    m = Minuit(_poisson_cost(n, capped), mu=n + 0.5)
    m.limits["mu"] = (0, None)
    m.migrad()
    m.minos(cl=cl)
    me = m.merrors["mu"]
    lo, up = _closed_form(n, cl)
    x0 = m.values["mu"]
    sigma = np.sqrt(max(n, 1))  # the size of the interval
    # MINOS' tolerance on each end is 5e-3 of its offset; 1e-2 sigma covers it
    assert x0 + me.upper == pytest.approx(up, abs=1e-2 * sigma)
    assert me.upper_valid
    if n == 0:
        # the end is the limit: reached (flagged at_lower_limit) or, where the cap jumps
        # over the target, crossed within 1e-6 of it
        assert me.lower_valid and x0 + me.lower == pytest.approx(0.0, abs=1e-6)
    else:
        assert me.lower_valid and not me.at_lower_limit
        assert x0 + me.lower == pytest.approx(lo, abs=1e-2 * sigma)
