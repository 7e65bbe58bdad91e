"""``thetahat.fit``: one call from data and a model name to a finished ``Minuit``.

Curve data, ``fit(x, y, "expo+gauss", yerr=...)``, is a least-squares fit
(:class:`~thetahat.cost.LeastSquares`). Without ``yerr`` every point gets the same error
s, chosen after the fit so that χ²/ndof = 1 (s² = Σ r² / (m - n)), which gives the
parameter errors of ``scipy.optimize.curve_fit(absolute_sigma=False)``; the result then
carries ``m.yerr_estimated = s``, and there is no goodness of fit (χ²/ndof is 1 by
construction).

Event data, ``fit(events, "expo+gauss", bins=..., range=..., extended=...)``, is a
likelihood fit of the model's density normalised on ``range``: binned
(:class:`~thetahat.cost.BinnedNLL` / ``ExtendedBinnedNLL``) when ``bins`` is given,
unbinned otherwise. A histogram object (``hist``, ``boost_histogram`` or anything with
the UHI ``values()`` / ``axes`` protocol), ``fit(h, "gauss")``, is a binned likelihood fit
of its counts and edges.

Starting values come from the model's ``guess`` (user values override them), limits from
the model's natural domain (widths > 0, fractions in [0, 1], yields >= 0). When MIGRAD
does not reach a valid minimum, the fit restarts from perturbed starting values (scaled
by 0.5, 2, 0.8, 1.25 in turn, a deterministic sequence) and keeps the best valid
minimum. A least-squares or binned fit whose χ² p-value is below 1e-6 counts as a failed
start too (a local minimum on a noise spike looks valid but does not describe the data);
if no start does better, a :class:`~thetahat.ThetahatWarning` says that the fit is poor.
The result is the ``Minuit`` object after MIGRAD and HESSE (and MINOS with
``minos=True``), so every method of ``Minuit`` applies to it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._core.warnings import ThetahatWarning

__all__ = ["fit"]

_FACTORS = (0.5, 2.0, 0.8, 1.25)
POOR_PVALUE = 1e-6  # below this a "valid" minimum is a bad description of the data
MAX_BINS_PER_EVENT = 100  # more bins than this per event: nearly all bins are empty
MAX_BINS = 10_000_000  # 80 MB per array of bin contents


def _as_1d(name: str, a: Any) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] = {arr[bad[0]]} is not finite")
    return arr


def _model(model: Any, density: bool, range: tuple[float, float] | None,
           extended: bool) -> Any:
    from .. import models
    if isinstance(model, str):
        if density:
            d = models.density(model, range=range)
            return d.extended() if extended else d
        return models.parse(model)
    return model


def pvalue(m: Any) -> float | None:
    """The χ² p-value of a minimum whose cost defines a goodness of fit, else None."""
    from scipy.stats import chi2
    red, ndof = m.fmin.reduced_chi2, m.ndof
    if not (np.isfinite(red) and np.isfinite(ndof) and ndof > 0):
        return None
    return float(chi2.sf(m.fval, ndof))


def _good(m: Any, gof: bool) -> bool:
    if not m.valid:
        return False
    p = pvalue(m) if gof else None
    return p is None or p >= POOR_PVALUE


def _minimize(make: Callable[[Mapping[str, float]], Any], start: dict[str, float],
              nstart: int, gof: bool = False) -> Any:
    """MIGRAD from ``start``; on failure (an invalid minimum, or with ``gof`` a χ² p-value
    below POOR_PVALUE) from perturbed starts; the best minimum found."""
    best = make(start).migrad()
    if _good(best, gof):
        return best
    for k in range(max(nstart - 1, 0)):
        f = _FACTORS[k % len(_FACTORS)]
        m = make({n: v * f if v != 0 else 0.1 * f for n, v in start.items()})
        try:
            m.migrad()
        except (FloatingPointError, ValueError, ZeroDivisionError):  # pragma: no cover
            continue
        if m.valid and (not best.valid or m.fval < best.fval):
            best = m
            if _good(best, gof):
                break
    return best


def _histogram(h: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(counts, edges)`` of a 1-D histogram object (UHI protocol), None for other input."""
    if not (callable(getattr(h, "values", None)) and hasattr(h, "axes")):
        return None
    axes = h.axes
    if len(axes) != 1:
        raise ValueError(f"fit takes a one-dimensional histogram, got {len(axes)} axes")
    ax = axes[0]
    edges = getattr(ax, "edges", None)
    if edges is None:  # UHI PlottableAxis: ax[i] is the (lower, upper) edge pair of bin i
        pairs = [ax[i] for i in range(len(ax))]
        edges = [p[0] for p in pairs] + [pairs[-1][1]]
    xe = np.asarray(edges, dtype=float)
    n = np.asarray(h.values(), dtype=float)
    if n.shape != (xe.size - 1,):
        raise ValueError(f"histogram has {n.size} values for {xe.size} edges")
    var = h.variances() if callable(getattr(h, "variances", None)) else None
    if var is not None and not np.allclose(np.asarray(var, dtype=float), n):
        raise ValueError("fit reads unweighted histograms (variances equal to the counts); "
                         "for a weighted histogram build the cost yourself, e.g. "
                         "cost.BinnedNLL(np.stack([values, variances], -1), edges, cdf)")
    bad = np.flatnonzero(~np.isfinite(n) | (n < 0))
    if bad.size:
        raise ValueError(f"histogram value [{bad[0]}] = {n[bad[0]]} is not a count")
    return n, xe


def _binned_cost(n: np.ndarray, xe: np.ndarray, mod: Any, extended: bool) -> Any:
    """The binned likelihood of counts ``n`` on edges ``xe`` for a density model."""
    from ..cost import BinnedNLL, ExtendedBinnedNLL
    if extended:
        return ExtendedBinnedNLL(n, xe, mod.scaled_cdf, grad=mod.scaled_cdf.grad)
    return BinnedNLL(n, xe, mod.cdf, grad=mod.cdf.grad)


def _check_bins(bins: Any, nevents: int) -> None:
    if np.ndim(bins) != 0:
        return
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
        raise ValueError(f"bins = {bins!r} must be an integer or an array of edges")
    limit = min(max(MAX_BINS_PER_EVENT * nevents, 1000), MAX_BINS)
    if bins < 1:
        raise ValueError(f"bins = {bins} must be at least 1")
    if bins > limit:
        raise ValueError(f"bins = {bins} is too many for {nevents} events: at most {limit} "
                         f"(nearly every bin would be empty)")


def fit(*args: Any, yerr: Any = None, bins: Any = None, range: Any = None,
        extended: bool = False, start: Mapping[str, float] | None = None,
        limits: Mapping[str, tuple] | None = None, fixed: Any = (), minos: bool = False,
        nstart: int = 5) -> Any:
    """Fit a model to curve data or to events in one call.

    Parameters
    ----------
    *args
        ``(x, y, model)`` for curve data, ``(events, model)`` for event data or
        ``(histogram, model)`` for a 1-D histogram object. ``model`` is a name from
        :mod:`thetahat.models` (``"line"``, ``"expo+gauss"``, ...) or a model object.
    yerr : array or float, optional
        Errors of ``y`` (curve data). Without them the errors are set so that χ²/ndof = 1
        (``m.yerr_estimated`` holds that common error; there is then no goodness of fit).
    bins : int or array, optional
        Bin the events (binned likelihood); unbinned likelihood otherwise.
    range : (float, float), optional
        Range of the events that is fitted and on which densities are normalised
        (default: the events' minimum and maximum).
    extended : bool
        Fit yields (extended likelihood) instead of fractions.
    start, limits, fixed
        Override starting values, limits by name; names of parameters to fix.
    minos : bool
        Also run MINOS on all free parameters.
    nstart : int
        Attempts from different starting values when the first minimum is invalid.

    Returns
    -------
    thetahat.Minuit
        After MIGRAD and HESSE; ``m.fcn`` is the cost, ``m.model`` the model object.

    Raises
    ------
    ValueError
        Data that are not finite, too few points or events for the parameters, an empty
        range, unknown parameter names, or a bin count absurd for the number of events.

    Warns
    -----
    ThetahatWarning
        When the best minimum found has a χ² p-value below 1e-6.

    Examples
    --------
    >>> import numpy as np, thetahat
    >>> x = np.linspace(0, 1, 11)
    >>> m = thetahat.fit(x, 1 + 2 * x, "line", yerr=0.1)
    >>> m.parameters, round(m.values["b"], 6), m.valid
    (('a', 'b'), 2.0, True)
    """
    from ..cost import Cost, ExtendedUnbinnedNLL, LeastSquares, UnbinnedNLL
    from ..minuit import Minuit

    cost: Cost
    hist = _histogram(args[0]) if len(args) == 2 else None
    if hist is not None:
        n, xe = hist
        model = args[1]
        lo, hi = float(xe[0]), float(xe[-1])
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"histogram edges ({lo}, {hi}) must be finite for fit()")
        mod = _model(model, True, (lo, hi), extended)
        names = list(mod.parameters)
        cx = 0.5 * (xe[1:] + xe[:-1])
        pseudo = np.repeat(cx, np.round(n).astype(np.int64))  # for the guess only
        if pseudo.size < len(names):
            raise ValueError(f"{pseudo.size} entries cannot determine {len(names)} parameters")
        guess = mod.guess(pseudo)
        cost = _binned_cost(n, xe, mod, extended)
    elif len(args) == 3:
        x, y, model = args
        x, y = _as_1d("x", x), _as_1d("y", y)
        if x.size != y.size:
            raise ValueError(f"x and y have different lengths ({x.size} and {y.size})")
        mod = _model(model, False, None, False)
        names = list(mod.parameters)
        nfree = len(names) - len(set(getattr(mod, "fixed", ())) | set(fixed))
        if x.size < nfree:
            raise ValueError(f"{x.size} data points cannot determine {nfree} parameters")
        err = np.ones_like(y) if yerr is None else np.broadcast_to(
            np.asarray(yerr, dtype=float), y.shape)
        bad = np.flatnonzero(~(np.isfinite(err) & (err > 0)))
        if bad.size:
            raise ValueError(f"yerr[{bad[0]}] = {err[bad[0]]} must be positive and finite")
        cost = LeastSquares(x, y, err, mod, grad=getattr(mod, "grad", None))
        guess = mod.guess(x, y) if hasattr(mod, "guess") else {}
    elif len(args) == 2:
        events, model = args
        events = _as_1d("events", events)
        if range is None:
            range = (float(events.min()), float(events.max())) if events.size else (0, 1)
        lo, hi = (float(v) for v in range)
        if not lo < hi:
            raise ValueError(f"range = ({lo}, {hi}): lower must be < upper")
        events = events[(events >= lo) & (events <= hi)]
        mod = _model(model, True, (lo, hi), extended)
        names = list(mod.parameters)
        if events.size < len(names):
            raise ValueError(f"{events.size} events in range ({lo:g}, {hi:g}) cannot "
                             f"determine {len(names)} parameters")
        guess = mod.guess(events)
        if bins is not None:
            _check_bins(bins, events.size)
            n, xe = np.histogram(events, bins=bins, range=(lo, hi))
            cost = _binned_cost(n, xe, mod, extended)
        elif extended:
            cost = ExtendedUnbinnedNLL(events, mod.scaled_pdf, grad=mod.scaled_pdf.grad)
        else:
            cost = UnbinnedNLL(events, mod.pdf, grad=mod.pdf.grad)
    else:
        raise TypeError("fit takes (x, y, model) for curve data or (events, model) for "
                        f"event data; got {len(args)} positional arguments")

    start = dict(start or {})
    unknown = [k for k in list(start) + list(limits or {}) + list(fixed) if k not in names]
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; valid names: {names}")
    init = {k: float(start.get(k, guess.get(k, 1.0))) for k in names}
    lims = dict(getattr(mod, "limits", {}) or {})
    lims.update(limits or {})
    to_fix = set(getattr(mod, "fixed", ())) | set(fixed)

    def make(values: Mapping[str, float]) -> Minuit:
        kw: dict[str, Any] = {k: values[k] for k in names}
        m = Minuit(cost, **kw)
        for k, lim in lims.items():
            lo_, hi_ = lim
            if np.isfinite(lo_) or np.isfinite(hi_):
                v = m.values[k]
                if lo_ < v < hi_:
                    m.limits[k] = lim
        for k in to_fix:
            m.fixed[k] = True
        return m

    estimated = len(args) == 3 and yerr is None
    gof = not estimated and (len(args) == 3 or bins is not None or hist is not None)
    m = _minimize(make, init, nstart, gof)
    s = None
    if estimated and m.ndof > 0 and m.valid:
        s = float(np.sqrt(m.fval / m.ndof))  # curve_fit(absolute_sigma=False) scaling
        if s > 0:
            cost = LeastSquares(x, y, np.full_like(y, s), mod, grad=getattr(mod, "grad", None))
            m = _minimize(make, dict(zip(names, m.values)), 1)
        else:
            s = None
    m.hesse()
    p = pvalue(m) if gof else None
    if m.valid and p is not None and p < POOR_PVALUE:
        warnings.warn(f"poor fit: chi2/ndof = {m.fval:.4g}/{m.ndof:.0f} (p-value {p:.2g}) "
                      f"after {max(nstart, 1)} start(s); the model does not describe the data "
                      "or the minimum is a local one", ThetahatWarning, stacklevel=2)
    if minos and m.valid:
        m.minos()
    m.model = mod  # the model object, for plotting and for evaluating the fit
    m.yerr_estimated = s  # the common error of y set from the scatter, or None
    return m
