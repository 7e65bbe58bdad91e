"""Issue 15: property-based fuzz of the inputs of curve_fit, least_squares and the costs.

The contract under test is "no silent result": for any input, a call either raises a
clear error of a documented type (ValueError, TypeError, RuntimeError — never a numpy
internal such as LinAlgError, ZeroDivisionError or IndexError), or flags its result
(``success`` False, an OptimizeWarning, an invalid minimum), or returns the right answer.
"Right" has an independent oracle on linear models: the weighted linear least-squares
solution from ``numpy.linalg.lstsq``. Examples are bounded and derandomised (hypothesis'
``derandomize=True``: the same examples on every run).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import OptimizeWarning as ScipyOptimizeWarning

import thetahat
from thetahat import Minuit, cost

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
CLEAR = (ValueError, TypeError, RuntimeError)

nasty = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e300, -1e300, 1e-300])
moderate = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def line_data(draw, min_points=3, max_points=12):
    n = draw(st.integers(min_points, max_points))
    x = np.array(draw(st.lists(moderate, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(moderate, min_size=n, max_size=n)))
    s = np.array(draw(st.lists(st.floats(1e-2, 1e2), min_size=n, max_size=n)))
    return x, y, s


@st.composite
def spoiled(draw, data):
    """The line data with one entry of x, y or sigma replaced by a nasty value."""
    x, y, s = (a.copy() for a in draw(data))
    which = draw(st.sampled_from(["x", "y", "s"]))
    arr = {"x": x, "y": y, "s": s}[which]
    arr[draw(st.integers(0, arr.size - 1))] = draw(nasty)
    return x, y, s, which


def _line(x, a, b):
    return a + b * x


def _oracle(x, y, s):
    A = np.stack([np.ones_like(x), x], axis=1) / s[:, None]
    return np.linalg.lstsq(A, y / s, rcond=None)[0], np.linalg.cond(A)


def _warned(rec, category=None) -> bool:
    return any(category is None or issubclass(w.category, category) for w in rec)


@FUZZ
@given(line_data())
def test_curve_fit_line_is_right_or_flagged(data):
    x, y, s = data
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            popt, pcov = thetahat.curve_fit(_line, x, y, sigma=s, absolute_sigma=True)
        except CLEAR:
            return
    ref, cond = _oracle(x, y, s)
    if _warned(rec, ScipyOptimizeWarning) or not np.all(np.isfinite(pcov)):
        return  # flagged: a covariance that could not be estimated
    if cond > 1e8:
        pytest.fail(f"no warning for an ill-conditioned line fit (cond {cond:.2g})")
    scale = np.sqrt(np.diag(pcov))
    # lm's forward-difference Jacobian carries rounding noise ~ eps |r| / h, which a large
    # residual (here up to 1e5 times its sigma) carries into the gradient: the minimum found
    # moves by up to ~1e-3 sigma (scipy's lm by the same order on the same data)
    np.testing.assert_allclose(popt, ref, atol=1e-3 * scale.max() + 1e-9 * np.abs(ref).max())


@FUZZ
@given(spoiled(line_data()))
def test_curve_fit_nonfinite_or_bad_sigma_is_refused(data):
    x, y, s, which = data
    bad = not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.isfinite(s)))
    bad_sigma = which == "s" and not np.all(s > 0)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            popt, pcov = thetahat.curve_fit(_line, x, y, sigma=s)
        except CLEAR as e:
            assert str(e), "an error without a message"
            return
    assert not bad, f"non-finite {which} accepted silently"
    if bad_sigma:
        assert _warned(rec), f"sigma {s} <= 0 accepted without a word"
        return
    if not _warned(rec) and np.all(np.isfinite(pcov)):
        ref, cond = _oracle(x, y, s)
        if cond < 1e8:
            scale = np.sqrt(np.diag(pcov))
            # as above; huge but finite values scale the answer, hence the relative term
            np.testing.assert_allclose(popt, ref, atol=1e-4 * scale.max()
                                       + 1e-7 * np.abs(ref).max())


@FUZZ
@given(spoiled(line_data()), st.sampled_from(["trf", "dogbox", "lm"]))
def test_least_squares_never_crashes_and_never_lies(data, method):
    x, y, s, _ = data

    def resid(p):
        return (_line(x, *p) - y) / s

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            r = thetahat.least_squares(resid, np.zeros(2), method=method)
        except CLEAR as e:
            assert str(e)
            return
    if not r.success:
        return
    assert np.all(np.isfinite(r.fun)), "success with non-finite residuals"
    ref, cond = _oracle(x, y, s)
    if cond < 1e8 and np.all(np.isfinite(ref)) and np.abs(ref).max() < 1e100:
        # ftol = xtol = 1e-8 on an exactly linear problem: agreement to ~1e-6 relative
        np.testing.assert_allclose(r.x, ref, rtol=1e-5, atol=1e-6 * (1 + np.abs(ref).max()))


@FUZZ
@given(spoiled(line_data()))
def test_least_squares_cost_constructor_refuses_or_fits_right(data):
    x, y, s, which = data
    try:
        c = cost.LeastSquares(x, y, s, _line)
    except CLEAR as e:
        assert str(e)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = Minuit(c, a=0, b=0).migrad()
        except CLEAR as e:
            assert str(e)
            return
    good = np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.isfinite(s) & (s > 0))
    if not good:  # accepted, as iminuit does (to be masked out): the fit must not look valid
        assert not m.valid, f"a valid fit with {which} = {dict(x=x, y=y, s=s)[which]}"
        return
    ref, cond = _oracle(x, y, s)
    if m.valid and cond < 1e8 and np.abs(ref).max() < 1e100:
        err = np.asarray(m.errors)
        # MIGRAD's EDM goal allows about 0.02 sigma; 0.05 sigma with a margin
        np.testing.assert_allclose(np.asarray(m.values), ref, atol=0.05 * err.max())


@FUZZ
@given(st.lists(st.one_of(moderate, nasty), min_size=1, max_size=20))
def test_unbinned_nll_refuses_nonfinite_data(events):
    ev = np.array(events)

    def pdf(x, mu):
        return np.exp(-0.5 * (x - mu) ** 2) / np.sqrt(2 * np.pi)

    try:
        c = cost.UnbinnedNLL(ev, pdf)
    except CLEAR as e:
        assert str(e)
        return
    with np.errstate(over="ignore", under="ignore"):  # the user's pdf at x = 1e300
        v = c(0.5)
    if not np.all(np.isfinite(ev)):  # accepted, as iminuit does: the cost says NaN
        assert not np.isfinite(v), "non-finite events gave a finite cost"
    else:
        assert np.isfinite(v)


@FUZZ
@given(st.lists(st.integers(0, 50), min_size=2, max_size=10), nasty, st.integers(0, 10))
def test_binned_nll_refuses_bad_counts(counts, value, where):
    n = np.array(counts, dtype=float)
    n[where % n.size] = value
    xe = np.linspace(0, 1, n.size + 1)

    def cdf(x, mu):
        return np.clip(x, 0, 1) ** mu

    try:
        c = cost.BinnedNLL(n, xe, cdf)
    except CLEAR as e:
        assert str(e)
        return
    v = c(1.0)
    if np.all(np.isfinite(n)):
        assert np.isfinite(v), "a finite cost was expected for accepted counts"
    else:  # accepted, as iminuit does (to be masked out): the cost says so
        assert not np.isfinite(v), f"counts {n} gave a finite cost"
