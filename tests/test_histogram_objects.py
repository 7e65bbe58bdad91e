"""Issues 15 and 18: real ``boost_histogram`` / ``hist`` objects in the costs and in ``fit``.

A histogram object given to BinnedNLL, ExtendedBinnedNLL, Template or LeastSquares is read
as ``values()`` (the flow bins are not data: neither the UHI default nor iminuit, which
reads a Double histogram through the array protocol, counts them) and, for a weighted
fill, as the pairs ``(values, variances)``. Oracles: the same cost built from those arrays
(equal to rounding), iminuit's cost built from the same object (or from the same arrays
where iminuit refuses the object), and, for the weighted fit, the closed form of a
constant density's yield under the scaled Poisson likelihood of Bohm and Zech.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

import thetahat
from thetahat import Minuit, cost

bh = pytest.importorskip("boost_histogram")
hist = pytest.importorskip("hist")
icost = pytest.importorskip("iminuit.cost")
iminuit = pytest.importorskip("iminuit")

LO, HI = -1.0, 3.0
RTOL_SAME = 1e-13  # the same arithmetic on the same numbers: equal up to rounding


def _cdf(x, mu, sigma):
    return norm.cdf(x, mu, sigma)


def _scdf(x, mu, sigma, n):
    return n * norm.cdf(x, mu, sigma)


def _axis(kind):
    if kind == "regular":
        return bh.axis.Regular(20, LO, HI)
    if kind == "variable":
        return bh.axis.Variable([LO, -0.5, 0.0, 0.3, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, HI])
    return bh.axis.Integer(int(LO), int(HI))  # bins [-1, 0), [0, 1), ..., [2, 3)


def _filled(kind, storage, seed=11, make=None):
    """A histogram of a normal(1, 0.7) sample, with events in the under- and overflow."""
    rng = np.random.default_rng(seed)
    ev = rng.normal(1.0, 0.7, 3000)
    ev = np.concatenate([ev, [-5.0] * 40, [9.0] * 30])  # flow bins that must not count
    if kind == "integer":
        ev = np.floor(ev).astype(np.int64)
    h = make() if make else bh.Histogram(_axis(kind), storage=storage)
    if isinstance(storage, bh.storage.Weight):
        h.fill(ev, weight=rng.uniform(0.5, 1.5, ev.size))
    else:
        h.fill(ev)
    return h


def _arrays(h):
    """What the costs must read: values() (no flow), stacked with the variances when
    they differ (a weighted fill)."""
    v, var = h.values(), h.variances()
    return np.stack([v, var], -1) if not np.array_equal(v, var) else np.asarray(v, float)


CASES = [(k, s) for k in ("regular", "variable", "integer")
         for s in ("double", "weight")]


def _make(kind, s):
    return _filled(kind, bh.storage.Weight() if s == "weight" else bh.storage.Double())


@pytest.mark.parametrize(("kind", "store"), CASES)
def test_costs_read_a_histogram_as_its_values_without_flow(kind, store):
    h = _make(kind, store)
    xe = h.axes[0].edges
    n = _arrays(h)
    assert (n.ndim == 2) == (store == "weight")
    for c_obj, c_arr, p in [
        (cost.BinnedNLL(h, xe, _cdf), cost.BinnedNLL(n, xe, _cdf), (0.9, 0.8)),
        (cost.ExtendedBinnedNLL(h, xe, _scdf), cost.ExtendedBinnedNLL(n, xe, _scdf),
         (0.9, 0.8, 2500.0)),
    ]:
        np.testing.assert_array_equal(c_obj.n, n)  # values(), not values(flow=True)
        assert c_obj(*p) == pytest.approx(c_arr(*p), rel=RTOL_SAME)
    # the flow events are not data: 70 of them were filled outside the axis
    total = float(np.sum(n[..., 0] if n.ndim == 2 else n))
    flow = h.values(flow=True)
    assert np.sum(flow) - total == pytest.approx(np.sum(flow[[0, -1]]), rel=RTOL_SAME)
    assert np.sum(flow[[0, -1]]) > 0


def _fit_pair(c_th, c_im, start, limits):
    m = Minuit(c_th, **start)
    r = iminuit.Minuit(c_im, **start)
    for k, lim in limits.items():
        m.limits[k] = lim
        r.limits[k] = lim
    m.migrad()
    r.migrad()
    assert m.valid and r.valid
    # the same cost minimised by two MIGRADs: each within sqrt(2 EDM) ~ 0.02 sigma of the
    # minimum, errors within 1 % (HESSE at slightly different points)
    np.testing.assert_allclose(np.asarray(m.values), np.asarray(r.values),
                               atol=0.03 * np.max(np.asarray(r.errors)))
    np.testing.assert_allclose(np.asarray(m.errors), np.asarray(r.errors), rtol=0.01)
    assert m.fval == pytest.approx(r.fval, abs=1e-3)  # both reach the minimum within EDM


@pytest.mark.parametrize(("kind", "store"), CASES)
@pytest.mark.parametrize("extended", [False, True])
def test_fit_from_a_histogram_matches_iminuit(kind, store, extended):
    h = _make(kind, store)
    xe = h.axes[0].edges
    # iminuit reads a Double histogram through the array protocol (values, no flow); it
    # refuses a Weight histogram (a structured array), so it gets the stacked arrays
    n_im = h if store == "double" else _arrays(h)
    if extended:
        c_th = cost.ExtendedBinnedNLL(h, xe, _scdf)
        c_im = icost.ExtendedBinnedNLL(n_im, xe, _scdf)
        start = {"mu": 0.8, "sigma": 0.6, "n": 2000.0}
    else:
        c_th, c_im = cost.BinnedNLL(h, xe, _cdf), icost.BinnedNLL(n_im, xe, _cdf)
        start = {"mu": 0.8, "sigma": 0.6}
    p = tuple(start.values())
    assert c_th(*p) == pytest.approx(c_im(*p), rel=1e-12)  # the same formula, reordered
    _fit_pair(c_th, c_im, start, {"sigma": (0.01, None)})


def test_hist_Hist_is_read_like_boost_histogram():
    rng = np.random.default_rng(12)
    ev = rng.normal(1.0, 0.7, 2000)
    for storage in ("Double", "Weight"):
        hh = getattr(hist.Hist.new.Reg(16, LO, HI, name="x"), storage)()
        w = rng.uniform(0.5, 1.5, ev.size) if storage == "Weight" else None
        hh.fill(x=ev, weight=w) if w is not None else hh.fill(x=ev)
        xe = hh.axes[0].edges
        n = _arrays(hh)
        c = cost.BinnedNLL(hh, xe, _cdf)
        np.testing.assert_array_equal(c.n, n)
        c_im = icost.BinnedNLL(n, xe, _cdf)
        assert c(1.0, 0.7) == pytest.approx(c_im(1.0, 0.7), rel=1e-12)  # same formula
        _fit_pair(c, c_im, {"mu": 0.8, "sigma": 0.6}, {"sigma": (0.01, None)})


def test_two_dimensional_histogram_in_binned_nll_matches_iminuit():
    rng = np.random.default_rng(13)
    h = bh.Histogram(bh.axis.Regular(8, -2, 2), bh.axis.Variable([-2, -1, 0, 0.5, 1, 2]))
    h.fill(rng.normal(0.2, 1, 4000), rng.normal(-0.1, 0.8, 4000))

    def cdf2(xy, mx, my):
        x, y = xy
        return norm.cdf(x, mx) * norm.cdf(y, my, 0.8)

    xe = [a.edges for a in h.axes]
    c_th, c_im = cost.BinnedNLL(h, xe, cdf2), icost.BinnedNLL(h, xe, cdf2)
    np.testing.assert_array_equal(c_th.n, h.values())
    assert c_th(0.1, 0.0) == pytest.approx(c_im(0.1, 0.0), rel=1e-12)  # same formula
    _fit_pair(c_th, c_im, {"mx": 0.0, "my": 0.0}, {})


def test_template_with_histogram_objects_matches_iminuit_on_their_arrays():
    rng = np.random.default_rng(14)
    ax = bh.axis.Regular(12, 0, 1)
    data = bh.Histogram(ax)
    data.fill(np.concatenate([rng.uniform(size=300), rng.uniform(size=500) ** 2]))
    t1 = bh.Histogram(ax)
    t1.fill(rng.uniform(size=2000))
    t2 = bh.Histogram(ax, storage=bh.storage.Weight())
    x2 = rng.uniform(size=3000) ** 2
    t2.fill(x2, weight=rng.uniform(0.2, 0.6, x2.size))
    xe = ax.edges
    # iminuit's Template refuses histogram objects: it gets the same arrays
    arrays = [t1.values(), _arrays(t2)]
    for method in ("da", "jsc", "asy"):
        c_th = cost.Template(data, xe, [t1, t2], method=method)
        c_im = icost.Template(data.values(), xe, arrays, method=method)
        assert c_th(300.0, 500.0) == pytest.approx(c_im(300.0, 500.0), rel=1e-9)  # same
        # formula; 'da' solves for the nuisance parameters iteratively in both (1e-9)
    _fit_pair(cost.Template(data, xe, [t1, t2]), icost.Template(data.values(), xe, arrays),
              {"x0": 250.0, "x1": 450.0}, {})


def test_least_squares_takes_a_histogram_as_y_like_iminuit():
    rng = np.random.default_rng(15)
    h = bh.Histogram(bh.axis.Regular(10, 0, 1))
    h.fill(rng.uniform(size=500))
    x, err = h.axes[0].centers, np.sqrt(h.values())

    def line(x, a, b):
        return a + b * x

    c_th, c_im = cost.LeastSquares(x, h, err, line), icost.LeastSquares(x, h, err, line)
    assert c_th(45.0, 5.0) == pytest.approx(c_im(45.0, 5.0), rel=RTOL_SAME)
    _fit_pair(c_th, c_im, {"a": 40.0, "b": 0.0}, {})


def test_unknown_variances_and_category_axes_are_refused():
    rng = np.random.default_rng(16)
    h = bh.Histogram(bh.axis.Regular(5, 0, 1))  # Double storage filled with weights
    h.fill(rng.uniform(size=50), weight=2.0)
    assert h.variances() is None
    xe = h.axes[0].edges
    with pytest.raises(ValueError, match=r"n\.variances\(\) is None.*storage=Weight"):
        cost.BinnedNLL(h, xe, _cdf)
    with pytest.raises(ValueError, match=r"variances\(\) is None"):
        thetahat.fit(h, "gauss")
    hc = bh.Histogram(bh.axis.StrCategory(["a", "b"]))
    hc.fill(["a", "b", "b"])
    with pytest.raises(TypeError, match=r"n\.axes\[0\] is a category axis"):
        cost.BinnedNLL(hc, [0.0, 1.0, 2.0], _cdf)


# --- thetahat.fit on a weighted histogram ---------------------------------------------

def _weighted(seed=17, size=4000, nbins=25, uniform=False):
    rng = np.random.default_rng(seed)
    h = bh.Histogram(bh.axis.Regular(nbins, LO, HI), storage=bh.storage.Weight())
    ev = rng.uniform(LO, HI, size) if uniform else rng.normal(1.0, 0.6, size)
    h.fill(ev, weight=rng.uniform(0.2, 1.8, ev.size))
    return h


def _truncated(f):
    """The normal cdf normalised on [LO, HI], the density that fit() builds."""
    def cdf(x, mu, sigma):
        a, b = norm.cdf(LO, mu, sigma), norm.cdf(HI, mu, sigma)
        return (norm.cdf(x, mu, sigma) - a) / (b - a)

    def scdf(x, mu, sigma, n):
        return n * cdf(x, mu, sigma)

    return scdf if f else cdf


@pytest.mark.parametrize("extended", [False, True])
def test_fit_weighted_histogram_is_the_weighted_binned_likelihood(extended):
    h = _weighted()
    m = thetahat.fit(h, "gauss", extended=extended)
    assert m.valid and m.data_info["weighted"] is True
    assert "weighted" in m.to_dict()["data"]["counts"]
    w, w2 = h.values(), h.variances()
    assert m.data_info["effective_entries"] == pytest.approx(w.sum() ** 2 / w2.sum(),
                                                             rel=RTOL_SAME)  # Kish
    n, xe = np.stack([w, w2], -1), h.axes[0].edges
    c_im = (icost.ExtendedBinnedNLL if extended else icost.BinnedNLL)(
        n, xe, _truncated(extended))
    r = iminuit.Minuit(c_im, **dict(zip(m.parameters, m.values)))
    r.limits["sigma"] = (0.01, None)
    r.migrad()
    assert r.valid
    # iminuit's weighted cost, minimised from thetahat's minimum: the same point within
    # 0.03 sigma (both EDMs ~ 2e-4), the same errors within 1 %, the same minimum value
    np.testing.assert_allclose(np.asarray(m.values), np.asarray(r.values),
                               atol=0.03 * np.max(np.asarray(r.errors)))
    np.testing.assert_allclose(np.asarray(m.errors), np.asarray(r.errors), rtol=0.01)
    assert m.fval == pytest.approx(r.fval, abs=1e-3)  # within EDM of the same minimum
    # the cost built by hand on the same stacked array gives the same value everywhere
    mod = thetahat.models.density("gauss", range=(LO, HI))
    hand = (cost.ExtendedBinnedNLL(n, xe, mod.extended().scaled_cdf) if extended
            else cost.BinnedNLL(n, xe, mod.cdf))
    assert hand(*m.values) == pytest.approx(m.fval, rel=RTOL_SAME)
    # and the weights matter: the errors are not those of the unweighted counts
    plain = thetahat.fit(_UHIPlain(w, xe), "gauss", extended=extended)
    assert abs(m.errors["mu"] / plain.errors["mu"] - 1) > 0.02  # sum w^2 != sum w here


class _UHIPlain:
    """The values of a histogram claimed to be plain counts (variances = values)."""

    def __init__(self, v, xe):
        self._v, self._xe = np.asarray(v, float), xe
        self.axes = (type("A", (), {"edges": xe})(),)

    def values(self):
        return self._v

    def variances(self):
        return self._v


def test_fit_weighted_uniform_yield_has_its_closed_form():
    h = _weighted(seed=18, uniform=True)
    w, w2 = h.values(), h.variances()
    m = thetahat.fit(h, "uniform", extended=True)
    assert m.valid
    # scaled Poisson (s = w / w2): 2 sum s (mu - w ln mu), mu_i = n f_i with f_i the bin's
    # share of the range; d/dn = 0 gives n = sum s w / sum s f, and d2/dn2 = 2 sum s w / n^2
    s = w / w2
    f = np.diff(h.axes[0].edges) / (HI - LO)
    n_hat = np.sum(s * w) / np.sum(s * f)
    assert m.values["n"] == pytest.approx(n_hat, rel=1e-5)  # MIGRAD's EDM goal on a 1-D fit
    # HESSE by finite differences of an exactly quadratic-in-log cost: 1e-3
    assert m.errors["n"] == pytest.approx(n_hat / np.sqrt(np.sum(s * w)), rel=1e-3)


def test_fit_refuses_negative_variances_and_2d_histograms():
    h = bh.Histogram(bh.axis.Regular(10, 0, 1), bh.axis.Regular(4, 0, 1))
    h.fill(np.linspace(0.05, 0.95, 50), np.linspace(0.05, 0.95, 50))
    with pytest.raises(ValueError, match="one-dimensional histogram, got 2 axes"):
        thetahat.fit(h, "gauss")
    bad = _UHIPlain(np.full(10, 5.0), np.linspace(0, 1, 11))
    var = np.full(10, 5.0)
    var[3] = -1.0
    bad.variances = lambda: var
    with pytest.raises(ValueError, match=r"variances\(\)\[3\] = -1\.0"):
        thetahat.fit(bad, "gauss")
