"""Issue 15, statistics 3-5: fits that end at (or near) a parameter limit.

The toy model is a signal yield ``s >= 0`` (a narrow Gaussian, sigma 0.1) on a flat
background ``b`` in [-1, 1], fitted with an extended unbinned likelihood: with one expected
signal event the maximum is at ``s = 0`` in about 40 % of the toys. There the HESSE error
of ``s`` collapses towards 0 (the error mapped through the limit transform is about
``sqrt(2 d)`` times the internal one at a distance ``d``), so the pull ``(s - 1) / error``
reached 1e9. The fix is not a different error but a flag: ``Param.at_lower_limit``, shown in
the display, and MINOS' one-sided interval. Oracles: iminuit on the same data (its
``has_parameters_at_limit`` is "the limit within half an error") and closed forms.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import norm

from thetahat import Minuit
from thetahat.cost import ExtendedUnbinnedNLL

iminuit = pytest.importorskip("iminuit")


def _model(x, s, b):
    return s + b, s * norm.pdf(x, 0, 0.1) + b * 0.5


def _toys(seed: int, n: int):
    """The events of ``n`` toys: Poisson(1) signal events, Poisson(100) background."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        ns, nb = rng.poisson(1.0), rng.poisson(100.0)
        x = np.concatenate([rng.normal(0, 0.1, ns), rng.uniform(-1, 1, nb)])
        yield x[(x > -1) & (x < 1)]


def _fit(cls, x):
    m = cls(ExtendedUnbinnedNLL(x, _model), s=1.0, b=100.0)
    m.limits["s"] = (0, None)
    m.limits["b"] = (0, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # iminuit's own warnings near the limit
        m.migrad()
    return m


# --- stat 3: the HESSE error of a parameter at its limit ----------------------------------
def test_issue_15_stat3_hesse_error_at_a_limit_is_flagged():
    flagged, agree, collapsed, pulls = 0, 0, 0, []
    for x in _toys(7, 100):
        m, r = _fit(Minuit, x), _fit(iminuit.Minuit, x)
        p = m.params["s"]
        assert not p.at_upper_limit and not m.params["b"].at_limit
        assert p.at_lower_limit == m.fmin.has_parameters_at_limit
        agree += m.fmin.has_parameters_at_limit == r.fmin.has_parameters_at_limit
        if p.error < 0.1:  # collapsed: a yield of ~1 event has an error of ~1 or more
            collapsed += 1
            assert p.at_lower_limit
        if p.at_lower_limit:
            flagged += 1
        else:
            pulls.append((p.value - 1.0) / p.error)
    # s ends within half an error of 0 in most toys (P(no signal event) = e^-1 alone)
    assert collapsed > 20 and flagged > 40
    # iminuit's flag ("the limit within half an error") at its own minimum: the two minima
    # differ near the limit (both within the EDM goal), which moves a few toys across
    assert agree >= 80
    # the unflagged fits have honest errors: the pull's spread is below 1 (a yield of one
    # event is far from Gaussian); the collapsed errors gave a spread of 1e8
    assert np.std(pulls) < 1


def test_issue_15_stat3_display_marks_the_limit_reached():
    x = next(x for x in _toys(7, 50) if _fit(Minuit, x).params["s"].at_lower_limit)
    m = _fit(Minuit, x)
    text = str(m.params)
    row = next(line for line in text.splitlines() if " s " in line)
    assert "at 0" in row
    assert "at " not in next(line for line in text.splitlines() if " b " in line)
    html = m.params._repr_html_()
    assert html.count("#FFF79A") == 2  # the HESSE error and the limit of s
    assert "at 0" in html


@pytest.mark.parametrize("capped", [False, True], ids=["clamped", "capped"])
def test_issue_15_stat3_one_sided_minos_interval_reports_the_limit(capped):
    # n = 0 Poisson events: the cost 2 mu has its minimum at the limit mu = 0, and the
    # 68 % interval is [0, 1/2] (closed form); a capped cost jumps over the target at 0
    def cost(mu):
        if capped:
            return 2 * mu if mu > 0 else 1e300
        return 2 * mu
    cost.errordef = 1
    m = Minuit(cost, mu=0.5)
    m.limits["mu"] = (0, None)
    m.migrad()
    assert m.params["mu"].at_lower_limit
    m.minos()
    me = m.merrors["mu"]
    assert me.at_lower_limit and not me.at_upper_limit and me.is_valid
    assert m.values["mu"] + me.upper == pytest.approx(0.5, abs=5e-3)  # MINOS tol 5e-3
    r = iminuit.Minuit(cost, mu=0.5)
    r.limits["mu"] = (0, None)
    r.migrad()
    r.minos()
    assert r.merrors["mu"].at_lower_limit  # iminuit agrees


def test_issue_15_stat3_two_sided_minos_interval_is_not_at_a_limit():
    def cost(mu):  # n = 5 Poisson events: the interval is well inside mu > 0
        return 2 * (mu - 5 * np.log(mu)) if mu > 0 else 1e300
    cost.errordef = 1
    m = Minuit(cost, mu=1.0)
    m.limits["mu"] = (0, None)
    m.migrad()
    m.minos()
    me = m.merrors["mu"]
    assert not (me.at_lower_limit or me.at_upper_limit or m.params["mu"].at_limit)


# --- stat 4: MIGRAD gave up early near a limit -------------------------------------------
def test_issue_15_stat4_migrad_retries_near_a_limit():
    # toys 2598, 2782, 10768, 14649 of seed 1: MIGRAD stopped after 13-19 calls with EDM
    # 0.005-0.014 (goal 1e-4) and iterate did not retry
    want = {2598, 2782, 10768, 14649}
    for t, x in enumerate(_toys(1, 14650)):
        if t not in want:
            continue
        m, r = _fit(Minuit, x), _fit(iminuit.Minuit, x)
        assert m.valid and r.valid
        # both at the minimum within MINUIT's EDM tolerance (10 x the goal 1e-4)
        assert m.fval == pytest.approx(r.fval, abs=1e-3)
        assert m.fmin.edm < 10 * m.fmin.edm_goal


def test_issue_15_stat4_retry_respects_iterate_1():
    # iterate=1 asks for one run: no retry, and the stalled fit is reported invalid
    x = next(x for t, x in enumerate(_toys(1, 2599)) if t == 2598)
    m = Minuit(ExtendedUnbinnedNLL(x, _model), s=1.0, b=100.0)
    m.limits["s"] = (0, None)
    m.limits["b"] = (0, None)
    m.migrad(iterate=1)
    assert not m.valid and m.fmin.is_above_max_edm  # the stall, reported
    m.migrad(iterate=2)  # one retry from there is enough
    assert m.valid


# --- stat 5: has_parameters_at_limit relative to the error and the range ------------------
@pytest.mark.parametrize("mu, sigma, lim, expect", [
    (1e-5, 1e-8, (0, None), False),   # 1000 errors away: the absolute 1e-4 rule said "at"
    (0.01, 1.0, (0, None), True),     # 0.01 errors away: the absolute rule said "not at"
    (5e-7, 1e-9, (0, 1e-6), False),   # mid-range of a range 1e-6 wide
    (1e-6 - 1e-10, 1e-9, (0, 1e-6), True),  # 0.1 errors from the upper end of that range
    (-0.3, 1.0, (None, 0), True),     # an upper limit 0.3 errors away
    (3.0, 1.0, (0, None), False),     # 3 errors away
    (-0.2, 1.0, (0, None), True),     # the minimum is beyond the limit: pinned at it
])
def test_issue_15_stat5_at_limit_is_relative_to_error_and_range(mu, sigma, lim, expect):
    def cost(x):
        return ((x - mu) / sigma) ** 2
    start = lim[0] + sigma if lim[0] is not None else lim[1] - sigma
    out = []
    for cls in (Minuit, iminuit.Minuit):
        m = cls(cost, x=start)
        m.errordef = 1
        m.limits["x"] = lim
        m.migrad()
        assert m.valid
        out.append(m.fmin.has_parameters_at_limit)
    assert out == [expect, expect]  # iminuit is the oracle


def test_issue_15_stat5_limit_sides_rule():
    from thetahat.minuit._setup import at_limit, limit_sides
    inf = np.inf
    v = np.array([1e-5, 0.01, 5e-7, 1e-6 - 1e-10, 1.0, 0.0, 2.0, 1e8 + 1e-6])
    e = np.array([1e-8, 1.0, 1e-9, 1e-9, np.nan, 0.0, 0.1, 0.0])
    lo = np.array([0, 0, 0, 0, 1.0, -inf, -inf, 1e8])
    up = np.array([inf, inf, 1e-6, 1e-6, 2.0, inf, inf, inf])
    fixed = np.zeros(v.size, bool)
    at_lo, at_up = limit_sides(v, e, lo, up, fixed)
    # by hand: d <= max(0.5 e, 1e-4 span, 8 eps |limit|)
    assert at_lo.tolist() == [False, True, False, False, True, False, False, False]
    assert at_up.tolist() == [False, False, False, True, False, False, False, False]
    # a value a few rounding units above a limit of 1e8 (error 0) is at it
    assert limit_sides(np.array([1e8 + 1.5e-8]), np.zeros(1), np.array([1e8]),
                       np.array([inf]), np.zeros(1, bool))[0][0]
    # fixed parameters never count
    assert not at_limit(v, e, lo, up, np.ones(v.size, bool))
