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
of its counts and edges (flow bins left out). A weighted histogram (variances different
from the values) is fitted with BinnedNLL's scaled Poisson likelihood of the pairs
(sum w, sum w^2) (Bohm and Zech), and ``m.data_info`` says so (``weighted``, the effective
number of entries (sum w)^2 / sum w^2).

Starting values come from the model's ``guess`` (user values override them), limits from
the model's natural domain (widths > 0, fractions in [0, 1], yields >= 0). When MIGRAD
does not reach a valid minimum, the fit restarts from perturbed starting values (scaled
by 0.5, 2, 0.8, 1.25 in turn, a deterministic sequence) and keeps the best valid
minimum. A least-squares or binned fit whose χ² p-value is below 1e-6 counts as a failed
start too (a local minimum on a noise spike looks valid but does not describe the data);
if no start does better, a :class:`~thetahat.ThetahatWarning` says that the fit is poor.
The result is a :class:`~thetahat.cli._result.FitResult`: the ``Minuit`` object after
MIGRAD and HESSE (and MINOS with ``minos=True``), so every method of ``Minuit`` applies to
it, which also gives ``to_dict()`` / ``to_json()`` (JSON-able) and ``correlated_values()``
(``uncertainties`` numbers, when that package is installed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._core.numbers import as_floats
from .._core.warnings import ThetahatWarning, warn_user
from ..cost._base import histogram_counts, is_histogram
from ._gof import pvalue

__all__ = ["fit", "pvalue"]

_FACTORS = (0.5, 2.0, 0.8, 1.25)
POOR_PVALUE = 1e-6  # below this a "valid" minimum is a bad description of the data
MAX_BINS_PER_EVENT = 100  # more bins than this per event: nearly all bins are empty
MAX_BINS = 10_000_000  # 80 MB per array of bin contents


def _as_1d(name: str, a: Any) -> np.ndarray:
    arr = as_floats(a, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] = {arr[bad[0]]} is not finite")
    return arr


def _model(model: Any, density: bool, range: tuple[float, float] | None,
           extended: bool) -> Any:
    from .. import models
    if model is None:
        raise TypeError("fit needs a model: a name such as 'gauss' or 'expo+gauss', a model "
                        "object, or a function f(x, a, b, ...)")
    if isinstance(model, str):
        if density:
            d = models.density(model, range=range)
            return d.extended() if extended else d
        return models.parse(model)
    return model


def _good(m: Any, gof: bool) -> bool:
    if not m.valid:
        return False
    p = pvalue(m) if gof else None
    return p is None or p >= POOR_PVALUE


def _minimize(make: Callable[[Mapping[str, float]], Any], start: dict[str, float],
              nstart: int, gof: bool = False) -> Any:
    """MIGRAD from ``start``; on failure (an invalid minimum, or with ``gof`` a χ² p-value
    below POOR_PVALUE) from perturbed starts; the best minimum found, with the number of
    starts tried in ``best.starts``."""
    best = make(start).migrad()
    tried = 1
    if _good(best, gof):
        best.starts = tried
        return best
    for k in range(max(nstart - 1, 0)):
        tried += 1
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
    best.starts = tried
    return best


def _histogram(h: Any) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """``(counts, edges, weighted)`` of a 1-D histogram object (UHI protocol), None for
    other input. Counts are ``values()`` (no flow bins); for a weighted fill (variances
    different from the values) ``(sum w, sum w^2)`` on a last axis, which BinnedNLL fits
    with the scaled Poisson likelihood of Bohm and Zech."""
    if not is_histogram(h):
        return None
    axes = h.axes
    if len(axes) != 1:
        raise ValueError(f"fit takes a one-dimensional histogram, got {len(axes)} axes; "
                         "for more build cost.BinnedNLL(h, [ax.edges for ax in h.axes], cdf)")
    n, (xe,) = histogram_counts("histogram", h)
    weighted = n.ndim == 2
    if n.shape[0] != xe.size - 1:
        raise ValueError(f"histogram has {n.shape[0]} values for {xe.size} edges")
    w = n[:, 0] if weighted else n
    bad = np.flatnonzero(~np.isfinite(w) if weighted else ~(np.isfinite(w) & (w >= 0)))
    if bad.size:
        raise ValueError(f"histogram value [{bad[0]}] = {w[bad[0]]} is not a count")
    if weighted:
        bad = np.flatnonzero(~(np.isfinite(n[:, 1]) & (n[:, 1] >= 0)))
        if bad.size:
            raise ValueError(f"histogram variances()[{bad[0]}] = {n[bad[0], 1]} must be a "
                             "finite sum of squared weights >= 0")
    return n, xe, weighted


def _guess_counts(n: np.ndarray, weighted: bool) -> np.ndarray:
    """Counts per bin for the guess from pseudo-events: the counts, or for weighted
    contents the shape of sum w scaled to the effective number of entries
    (sum w)^2 / sum w^2 (Kish), the number of Poisson entries with the same precision."""
    if not weighted:
        return n
    w = np.clip(n[:, 0], 0.0, None)
    w2 = float(n[:, 1].sum())
    neff = float(w.sum()) ** 2 / w2 if w2 > 0 else 0.0
    return w / w.sum() * neff if w.sum() > 0 else w


def _binned_cost(n: np.ndarray, xe: np.ndarray, mod: Any, extended: bool) -> Any:
    """The binned likelihood of counts ``n`` on edges ``xe`` for a density model."""
    from ..cost import BinnedNLL, ExtendedBinnedNLL
    if extended:
        return ExtendedBinnedNLL(n, xe, mod.scaled_cdf, grad=mod.scaled_cdf.grad)
    return BinnedNLL(n, xe, mod.cdf, grad=mod.cdf.grad)


def _check_bins(bins: Any, nevents: int) -> None:
    if np.ndim(bins) != 0:
        edges = as_floats(bins, "bins")
        if edges.ndim != 1:
            raise ValueError(f"bins must be one-dimensional, got shape {edges.shape}")
        # the outer edges may be -inf and +inf (open underflow and overflow bins)
        inner = np.isnan(edges) | np.r_[False, np.isinf(edges[1:-1]), False]
        if inner.any():
            i = int(np.flatnonzero(inner)[0])
            raise ValueError(f"bins[{i}] = {edges[i]} is not finite (only the outer edges "
                             "may be -inf or +inf)")
        if edges.size < 2:
            raise ValueError(f"bins as edges needs at least 2 of them, got {edges.size}")
        down = np.flatnonzero(np.diff(edges) <= 0)
        if down.size:
            i = int(down[0]) + 1
            raise ValueError(f"bin edges must increase: bins[{i}] = {edges[i]:g} is not "
                             f"greater than bins[{i - 1}] = {edges[i - 1]:g}")
        return
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
        raise ValueError(f"bins = {bins!r} must be an integer or an array of edges")
    limit = min(max(MAX_BINS_PER_EVENT * nevents, 1000), MAX_BINS)
    if bins < 1:
        raise ValueError(f"bins = {bins} must be at least 1")
    if bins > limit:
        raise ValueError(f"bins = {bins} is too many for {nevents} events: at most {limit} "
                         f"(nearly every bin would be empty)")


def _is_table(obj: Any) -> bool:
    """A DataFrame or a mapping of columns (not an array, not a histogram)."""
    if isinstance(obj, Mapping):
        return True
    return hasattr(obj, "columns") and hasattr(obj, "__getitem__") and not is_histogram(obj)


def _column(table: Any, name: Any, arg: str) -> Any:
    if not isinstance(name, str):
        raise TypeError(f"with a table of data, {arg} must be a column name, got "
                        f"{type(name).__name__}")
    cols = list(table.columns) if hasattr(table, "columns") else list(table)
    if name not in cols:
        raise ValueError(f"{arg} = {name!r} is not a column of the data; columns: {cols}")
    return table[name]


def _is_model(obj: Any) -> bool:
    """A model name, a model or density object, or a function (not data)."""
    if isinstance(obj, str):
        return True
    return (callable(obj) or hasattr(obj, "parameters")) and not hasattr(obj, "__array__")


def _split(args: tuple, x: Any, y: Any, yerr: Any, model: Any) -> tuple[tuple, Any, dict]:
    """Positional and keyword data to ``(data, model, labels)``: data is ``(x, y, yerr)``
    for curves, ``(events,)`` for events, ``(histogram,)``."""
    args = tuple(args)
    if model is None and args and _is_model(args[-1]):
        model, args = args[-1], args[:-1]
    elif model is not None and args and _is_model(args[-1]) and not _is_table(args[-1]):
        raise TypeError("the model is given twice: positionally and as model=")
    labels: dict[str, Any] = {}
    if args and _is_table(args[0]):
        if len(args) > 1:
            raise TypeError("with a table of data, name its columns: fit(df, x='t', "
                            "y='counts', model=...)")
        table = args[0]
        if x is None:
            raise TypeError("with a table of data, give x= (and y= for curve data) as "
                            "column names")
        labels["x"] = x
        xs = _column(table, x, "x")
        if y is None:
            if yerr is not None:
                raise TypeError("yerr= needs y=: event data have no errors")
            return (xs,), model, labels
        labels["y"] = y
        if isinstance(yerr, str):
            labels["yerr"] = yerr
            yerr = _column(table, yerr, "yerr")
        return (xs, _column(table, y, "y"), yerr), model, labels
    for kw, v in (("x", x), ("y", y)):
        if v is not None and isinstance(v, str):
            raise TypeError(f"{kw} = {v!r} is a column name, but no table of data was given")
    given = list(args)
    if x is not None:
        if given:
            raise TypeError("x is given twice: positionally and as x=")
        given.append(x)
    if y is not None:
        if len(given) != 1:
            raise TypeError("y= needs x (positionally or as x=)")
        given.append(y)
    if len(given) == 2:
        return (given[0], given[1], yerr), model, labels
    if len(given) == 1:
        if yerr is not None:
            raise TypeError("yerr is for curve data (x, y); event data have no errors")
        return (given[0],), model, labels
    raise TypeError("fit takes (x, y, model) for curve data, (events, model) for event data "
                    "or (histogram, model); or a table with x=/y= column names; "
                    f"got {len(args)} positional data arguments")


def _plain(fn: Any) -> tuple[list[str], dict[str, float], dict[str, tuple]]:
    """Names, default values and ``Annotated`` limits of a user's function ``f(x, ...)``."""
    import inspect

    from .._core.signature import describe
    ann = describe(fn, annotations=True)
    names = list(ann)[1:]
    if not names:
        raise ValueError(f"the model function {getattr(fn, '__name__', fn)!r} has no "
                         "parameters after x")
    defaults: dict[str, float] = {}
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        sig = None
    if sig is not None:
        for n, par in sig.parameters.items():
            if n in names and par.default is not inspect.Parameter.empty:
                defaults[n] = float(par.default)
    lims = {n: tuple(v) for n, v in ann.items() if n in names and v is not None}
    return names, defaults, lims


def _p0(p0: Any, names: list[str]) -> dict[str, float]:
    if p0 is None:
        return {}
    if isinstance(p0, Mapping):
        return {str(k): float(v) for k, v in p0.items()}
    vals = np.atleast_1d(np.asarray(p0, dtype=float))
    if vals.ndim != 1 or vals.size != len(names):
        raise ValueError(f"p0 has {vals.size} values for {len(names)} parameters "
                         f"({', '.join(names)})")
    bad = np.flatnonzero(~np.isfinite(vals))
    if bad.size:
        raise ValueError(f"p0[{bad[0]}] = {vals[bad[0]]} is not finite")
    return dict(zip(names, vals.tolist()))


def fit(*args: Any, x: Any = None, y: Any = None, model: Any = None, yerr: Any = None,
        p0: Any = None, bins: Any = None, range: Any = None, extended: bool = False,
        start: Mapping[str, float] | None = None, limits: Mapping[str, tuple] | None = None,
        fixed: Any = (), minos: bool = False, nstart: int = 5) -> Any:
    """Fit a model to curve data or to events in one call.

    Parameters
    ----------
    *args
        ``(x, y, model)`` for curve data, ``(events, model)`` for event data,
        ``(histogram, model)`` for a 1-D histogram object, or ``(table,)`` with the columns
        named by ``x=``, ``y=``. ``model`` is a name from :mod:`thetahat.models`
        (``"line"``, ``"expo+gauss"``, ...), a model object or a plain function
        ``f(x, a, b, ...)``; it may also be given as ``model=``.
    x, y : array or str, optional
        The data as keywords; with a table (a pandas ``DataFrame`` or a dict of arrays),
        column names: ``y`` given means curve data, ``x`` alone means events.
    model : str, model object or callable, optional
        The model, when not given positionally.
    yerr : array, float or str, optional
        Errors of ``y`` (curve data; a column name with a table). Without them the errors
        are set so that χ²/ndof = 1 (``m.yerr_estimated`` holds that common error; there is
        then no goodness of fit).
    p0 : sequence or dict, optional
        Starting values (scipy's ``p0``): a sequence in parameter order or a dict by name;
        they replace the model's guess. A plain function without them starts from its
        parameters' default values, and 1 for those without one (as scipy's ``curve_fit``).
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
        Attempts from different starting values when the first minimum is invalid (or,
        for a least-squares or binned fit, has a χ² p-value below 1e-6).

    Returns
    -------
    FitResult
        A :class:`~thetahat.Minuit` after MIGRAD and HESSE (``m.fcn`` the cost,
        ``m.model`` the model, ``m.starts`` the number of starts tried) with
        ``to_dict()``, ``to_json()`` and ``correlated_values()``.

    Raises
    ------
    ValueError
        Data that are not finite, too few points or events for the parameters, an empty
        range, unknown parameter names, a column that is not in the table, or a bin count
        absurd for the number of events.
    TypeError
        Data or model given twice, or in a combination that is neither curve nor event data.

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

    A plain function with starting values, and columns of a table by name:

    >>> def f(x, a, k):
    ...     return a * np.exp(-k * x)
    >>> table = {"t": x, "n": 3 * np.exp(-2 * x)}
    >>> m = thetahat.fit(table, x="t", y="n", model=f, yerr=0.01, p0=[1, 1])
    >>> round(m.values["a"], 6), round(m.values["k"], 6)
    (3.0, 2.0)
    """
    from ..cost import Cost, ExtendedUnbinnedNLL, LeastSquares, UnbinnedNLL
    from ._result import FitResult

    data, model, labels = _split(args, x, y, yerr, model)
    yerr = data[2] if len(data) == 3 else None
    plain = callable(model) and not isinstance(model, str) and not hasattr(model, "parameters")
    plain_start: dict[str, float] = {}
    plain_limits: dict[str, tuple] = {}
    cost: Cost
    info: dict[str, Any] = dict(labels)
    hist = _histogram(data[0]) if len(data) == 1 else None
    if hist is not None:
        if plain:
            raise ValueError("a histogram is fitted with a density from thetahat.models; for "
                             "your own cdf build cost.BinnedNLL(counts, edges, cdf)")
        n, xe, weighted = hist
        lo, hi = float(xe[0]), float(xe[-1])
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"histogram edges ({lo}, {hi}) must be finite for fit()")
        mod = _model(model, True, (lo, hi), extended)
        names = list(mod.parameters)
        cx = 0.5 * (xe[1:] + xe[:-1])
        ng = _guess_counts(n, weighted)
        pseudo = np.repeat(cx, np.round(ng).astype(np.int64))  # for the guess only
        if pseudo.size < len(names):
            raise ValueError(f"{pseudo.size} {'effective ' if weighted else ''}entries "
                             f"cannot determine {len(names)} parameters")
        guess = mod.guess(pseudo)
        total = float(n[:, 0].sum()) if weighted else float(n.sum())
        if extended and weighted and pseudo.size > 0:  # yields in units of the weights
            for i in getattr(mod, "_yield_index", ()):
                guess[names[i]] *= total / pseudo.size
        cost = _binned_cost(n, xe, mod, extended)
        info.update(kind="histogram", n=int(xe.size - 1), entries=total, gof=True)
        if weighted:
            info.update(weighted=True, effective_entries=float(ng.sum()),
                        counts="weighted: (sum w, sum w^2) per bin, the scaled Poisson "
                               "likelihood of Bohm and Zech")
    elif len(data) == 3:
        x, y = _as_1d("x", data[0]), _as_1d("y", data[1])
        if x.size != y.size:
            raise ValueError(f"x and y have different lengths ({x.size} and {y.size})")
        if plain:
            mod = model
            names, plain_start, plain_limits = _plain(model)
        else:
            mod = _model(model, False, None, False)
            names = list(mod.parameters)
        nfree = len(names) - len(set(getattr(mod, "fixed", ())) | set(fixed))
        if x.size < nfree:
            raise ValueError(f"{x.size} data points cannot determine {nfree} parameters")
        if yerr is not None and np.ndim(yerr) != 0 and np.shape(yerr) != y.shape:
            raise ValueError(f"yerr has shape {np.shape(yerr)}: expected one number, or one "
                             f"per point, shape {y.shape}")
        err = np.ones_like(y) if yerr is None else np.broadcast_to(
            np.asarray(yerr, dtype=float), y.shape)
        bad = np.flatnonzero(~(np.isfinite(err) & (err > 0)))
        if bad.size:
            raise ValueError(f"yerr[{bad[0]}] = {err[bad[0]]} must be positive and finite")
        cost = LeastSquares(x, y, err, mod, grad=None if plain else getattr(mod, "grad", None))
        guess = {} if plain or p0 is not None else (
            mod.guess(x, y) if hasattr(mod, "guess") else {})
        info.update(kind="curve", n=int(x.size), gof=yerr is not None)
    else:
        events = _as_1d("events", data[0])
        if range is None:
            range = (float(events.min()), float(events.max())) if events.size else (0, 1)
        lo, hi = (float(v) for v in range)
        if not lo < hi:
            raise ValueError(f"range = ({lo}, {hi}): lower must be < upper")
        events = events[(events >= lo) & (events <= hi)]
        if plain:
            if bins is not None or extended:
                raise ValueError("a plain function is fitted as the normalised pdf of an "
                                 "unbinned likelihood; for a binned or extended fit build "
                                 "the cost (cost.BinnedNLL, cost.ExtendedUnbinnedNLL)")
            mod = model
            names, plain_start, plain_limits = _plain(model)
        else:
            mod = _model(model, True, (lo, hi), extended)
            names = list(mod.parameters)
        if events.size < len(names):
            raise ValueError(f"{events.size} events in range ({lo:g}, {hi:g}) cannot "
                             f"determine {len(names)} parameters")
        guess = {} if plain or p0 is not None else mod.guess(events)
        if plain:
            cost = UnbinnedNLL(events, mod)
        elif bins is not None:
            _check_bins(bins, events.size)
            n, xe = np.histogram(events, bins=bins, range=(lo, hi))
            cost = _binned_cost(n, xe, mod, extended)
        elif extended:
            cost = ExtendedUnbinnedNLL(events, mod.scaled_pdf, grad=mod.scaled_pdf.grad)
        else:
            cost = UnbinnedNLL(events, mod.pdf, grad=mod.pdf.grad)
        info.update(kind="events", n=int(events.size), range=[lo, hi],
                    bins=None if bins is None else int(np.size(bins) if np.ndim(bins)
                                                       else bins),
                    gof=bins is not None)

    if p0 is not None and start:
        raise TypeError("give starting values once: p0= or start=, not both")
    start = _p0(p0, names) if p0 is not None else dict(start or {})
    unknown = [k for k in list(start) + list(limits or {}) + list(fixed) if k not in names]
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; valid names: {names}")
    if plain:
        # a plain function has no guess: its defaults, else 1 (scipy's curve_fit start)
        guess = {k: plain_start.get(k, 1.0) for k in names}
        info["start"] = "p0" if p0 is not None else ("defaults, 1 for the rest" if
                                                      len(plain_start) < len(names)
                                                      else "defaults")
    init = {k: float(start.get(k, guess.get(k, 1.0))) for k in names}
    lims = dict(plain_limits if plain else (getattr(mod, "limits", {}) or {}))
    lims.update(limits or {})
    to_fix = set(() if plain else getattr(mod, "fixed", ())) | set(fixed)

    def make(values: Mapping[str, float]) -> FitResult:
        kw: dict[str, Any] = {k: values[k] for k in names}
        m = FitResult(cost, **kw)
        for k, lim in lims.items():
            # None is no limit on that side, as in iminuit
            lo_, hi_ = (float(d if v is None else v) for v, d in zip(lim, (-np.inf, np.inf)))
            if np.isfinite(lo_) or np.isfinite(hi_):
                v = m.values[k]
                if lo_ < v < hi_:
                    m.limits[k] = (lo_, hi_)
        for k in to_fix:
            m.fixed[k] = True
        return m

    estimated = len(data) == 3 and yerr is None
    gof = bool(info["gof"])
    m = _minimize(make, init, nstart, gof)
    starts = m.starts
    s = None
    if estimated and m.ndof > 0 and m.valid:
        s = float(np.sqrt(m.fval / m.ndof))  # curve_fit(absolute_sigma=False) scaling
        if s > 0:
            cost = LeastSquares(x, y, np.full_like(y, s), mod,
                                grad=None if plain else getattr(mod, "grad", None))
            m = _minimize(make, dict(zip(names, m.values)), 1)
        else:
            s = None
    m.hesse()
    p = pvalue(m) if gof else None
    if m.valid and p is not None and p < POOR_PVALUE:
        warn_user(f"poor fit: chi2/ndof = {m.fval:.4g}/{m.ndof:.0f} (p-value {p:.2g}) "
                  f"after {starts} start(s); the model does not describe the data "
                  "or the minimum is a local one", ThetahatWarning)
    if minos and m.valid:
        m.minos()
    m.model = mod  # the model object, for plotting and for evaluating the fit
    m.yerr_estimated = s  # the common error of y set from the scatter, or None
    m.data_info = info
    m.starts = starts  # MIGRAD starts tried: 1, or more after a failed or poor start
    m.cost_name = type(cost).__name__
    return m
