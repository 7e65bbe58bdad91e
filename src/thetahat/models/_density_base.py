"""The density base: a range-normalised :class:`Density`, its :class:`Mixture` and
:class:`Extended` forms, and the helpers they share.

See :mod:`thetahat.models._densities` for the maths, the parameter names and the concrete
shapes (which subclass :class:`Density`). ``Density``, ``Mixture`` and ``Extended`` live in
one module because they refer to each other (``d1 + d2`` is a ``Mixture``, which is a
``Density``; ``d.extended()`` is an ``Extended``); the shapes import them from here, and
nothing here imports the shapes, so the package has no import cycle.

The guess of a mixture histograms the events in the range (``clip(sqrt(N), 10, 200)``
bins), guesses the curve sum of the components' curve shapes on the counts (backgrounds
from the sidebands, peaks from the residual; :class:`thetahat.models.SumModel`), and
converts each component's curve to its density parameters and its area (number of events)
by the trapezoidal rule on a fine grid; fractions are the areas over their sum (kept in
[0.001, 0.999]) and yields the fractions times the number of events in the range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import trapezoid  # np.trapezoid needs numpy 2; np.trapz is removed there

from ._base import INF, ParamFunction, SumModel, _prefixes

__all__ = ["Density", "Mixture", "Extended"]

_H = 1e-20


def check_range(range: Any) -> tuple[float, float]:
    """Validate ``range = (lo, hi)`` with finite ``lo < hi``."""
    try:
        lo, hi = (float(v) for v in range)
    except (TypeError, ValueError):
        raise TypeError(f"range must be a pair (lo, hi), got {range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"range = ({lo}, {hi}) must be finite with lo < hi")
    return lo, hi


def _complex_step(fun: Callable[[tuple], NDArray], p: tuple) -> NDArray:
    """Rows ``d fun / d p_j`` by the complex step (module docstring)."""
    rows = []
    for j in range(len(p)):
        h = _H * max(1.0, abs(p[j]))
        q = tuple(complex(v) + (1j * h if k == j else 0) for k, v in enumerate(p))
        rows.append(np.imag(fun(q)) / h)
    return np.array(rows)


def _args(obj: Any, p: tuple) -> tuple:
    if len(p) == 1 and len(obj.parameters) > 1 and np.size(p[0]) == len(obj.parameters):
        p = tuple(np.ravel(p[0]))
    if len(p) != len(obj.parameters):
        raise TypeError(f"{obj.name} takes {len(obj.parameters)} parameters "
                        f"{obj.parameters}, got {len(p)}")
    return tuple(float(v) for v in p)


class Density:
    """A range-normalised density (see the module docstring).

    Attributes: ``name``, ``parameters``, ``range``, ``limits`` (natural domain),
    ``pdf`` / ``cdf`` (callables with a signature and ``grad``), ``guess(events)``.

    Parameters
    ----------
    range : (float, float)
        The interval ``(lo, hi)``, finite with ``lo < hi``, on which the pdf is normalised.

    Raises
    ------
    TypeError
        If ``range`` is not a pair of numbers.
    ValueError
        If ``range`` is not finite with ``lo < hi``.

    Examples
    --------
    A density integrates to 1 on its range (numerical integration as the oracle):

    >>> from scipy.integrate import quad
    >>> from thetahat.models import GaussDensity
    >>> d = GaussDensity((0.0, 3.0))
    >>> d.parameters, round(quad(lambda t: float(d.pdf(t, 1.0, 2.0)), 0.0, 3.0)[0], 12)
    (('mu', 'sigma'), 1.0)
    """

    name = "density"
    parameters: tuple[str, ...] = ()
    role = "other"
    _limits: dict[str, tuple[float, float]] = {}

    def __init__(self, range: Any) -> None:
        self.range = check_range(range)

    # -- subclass hooks (complex-safe): shape s and its integral from lo ----------------
    def _shape(self, x: NDArray, p: tuple) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _integral(self, x: NDArray, p: tuple) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _guess_events(self, ev: NDArray) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    # -- evaluation on (possibly complex) parameter tuples ------------------------------
    def _pdf(self, x: NDArray, p: tuple) -> NDArray:
        lo, hi = self.range
        inside = (x >= lo) & (x <= hi)
        norm = self._integral(np.array([hi]), p)[0]
        return np.where(inside, self._shape(np.clip(x, lo, hi), p) / norm, 0.0)

    def _cdf(self, x: NDArray, p: tuple) -> NDArray:
        lo, hi = self.range
        norm = self._integral(np.array([hi]), p)[0]
        return self._integral(np.clip(x, lo, hi), p) / norm

    # -- public ---------------------------------------------------------------------------
    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        """The support of each parameter, ``(lower, upper)`` by name (infinite where unbounded).

        Examples
        --------
        >>> from thetahat.models import GaussDensity
        >>> GaussDensity((0.0, 1.0)).limits
        {'mu': (-inf, inf), 'sigma': (0.0, inf)}
        """
        return {n: self._limits.get(n, (-INF, INF)) for n in self.parameters}

    def _wrap(self, method: Callable, label: str) -> ParamFunction:
        def fn(x: ArrayLike, *p: float) -> NDArray:
            xa = np.asarray(x, dtype=float)
            return method(xa, _args(self, p)).real

        def grad(x: ArrayLike, *p: float) -> NDArray:
            xa = np.atleast_1d(np.asarray(x, dtype=float))
            return _complex_step(lambda q: method(xa, q), _args(self, p))

        return ParamFunction(fn, self.parameters, self.limits, grad,
                             f"{label} of {self.name} on {self.range}")

    @property
    def pdf(self) -> ParamFunction:
        """``pdf(x, *p)``, normalised on ``range``; ``pdf.grad(x, *p)`` has shape (npar, n).

        Examples
        --------
        On (0, 4) the uniform pdf is 1/4 inside and 0 outside; the exponential's derivative
        in its decay length ``c`` matches a central difference:

        >>> from thetahat.models import ExponentialDensity, UniformDensity
        >>> UniformDensity((0.0, 4.0)).pdf([-1.0, 2.0]).tolist()
        [0.0, 0.25]
        >>> pdf = ExponentialDensity((0.0, 2.0)).pdf
        >>> h = 1e-6
        >>> d = (pdf(0.5, 1.0 + h) - pdf(0.5, 1.0 - h)) / (2 * h)
        >>> bool(abs(pdf.grad([0.5], 1.0)[0, 0] - d) < 1e-8)
        True
        """
        return self._wrap(self._pdf, "pdf")

    @property
    def cdf(self) -> ParamFunction:
        """``cdf(x, *p)`` = integral of the pdf from ``lo`` to ``x`` (0 below, 1 above).

        Examples
        --------
        A Gaussian centred on its symmetric range has half its probability below the
        centre:

        >>> from thetahat.models import GaussDensity
        >>> GaussDensity((0.0, 10.0)).cdf([-1.0, 5.0, 11.0], 5.0, 1.0).round(12).tolist()
        [0.0, 0.5, 1.0]
        """
        return self._wrap(self._cdf, "cdf")

    def __call__(self, x: ArrayLike, *p: float) -> NDArray:
        return self.pdf(x, *p)

    def guess(self, events: ArrayLike) -> dict[str, float]:
        """Starting values from event data (events outside ``range`` are ignored).

        Parameters
        ----------
        events : array_like
            The event sample.

        Returns
        -------
        dict of str to float
            A starting value for each parameter.

        Examples
        --------
        Near the mean and width of a normal sample:

        >>> import numpy as np
        >>> from thetahat.models import GaussDensity
        >>> events = np.random.default_rng(1).normal(5.0, 1.0, 10_000)
        >>> {k: round(v, 1) for k, v in GaussDensity((0.0, 10.0)).guess(events).items()}
        {'mu': 5.0, 'sigma': 1.0}
        """
        ev = _events_in_range(events, self.range, len(self.parameters))
        return {k: float(v) for k, v in self._guess_events(ev).items()}

    guess_events = guess

    def extended(self) -> Extended:
        """The extended form with yields (``scaled_pdf``, ``scaled_cdf``).

        Returns
        -------
        Extended

        Examples
        --------
        A yield ``n`` is added; the scaled cdf reaches it at the end of the range:

        >>> from thetahat.models import GaussDensity
        >>> e = GaussDensity((0.0, 10.0)).extended()
        >>> e.parameters, round(float(e.scaled_cdf(10.0, 5.0, 1.0, 250.0)), 9)
        (('mu', 'sigma', 'n'), 250.0)
        """
        return Extended([self])

    def __add__(self, other: Density) -> Mixture:
        if not isinstance(other, Density):
            return NotImplemented
        left = self.components if isinstance(self, Mixture) else [self]
        right = other.components if isinstance(other, Mixture) else [other]
        return Mixture([*left, *right])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}({', '.join(self.parameters)}) on {self.range}>"

    # curve model of the same shape and the conversion of its guess (for mixture guesses)
    def _curve(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _from_curve(self, g: dict[str, float]) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError


def _events_in_range(events: ArrayLike, range: tuple[float, float], npar: int) -> NDArray:
    ev = np.asarray(events, dtype=float).ravel()
    bad = np.flatnonzero(~np.isfinite(ev))
    if bad.size:
        raise ValueError(f"events[{bad[0]}] = {ev[bad[0]]} must be finite")
    lo, hi = range
    ev = ev[(ev >= lo) & (ev <= hi)]
    if ev.size < max(npar, 2):
        raise ValueError(f"range ({lo}, {hi}) holds {ev.size} events; need at least "
                         f"{max(npar, 2)} to guess starting values")
    return ev




def _component_areas(components: Sequence[Density], ev: NDArray
                     ) -> tuple[list[dict[str, float]], NDArray]:
    """Per-component density guesses and event counts from a histogram (module docstring)."""
    lo, hi = components[0].range
    nb = int(np.clip(np.sqrt(ev.size), 10, 200))
    counts, edges = np.histogram(ev, bins=nb, range=(lo, hi))
    centres = 0.5 * (edges[1:] + edges[:-1])
    width = edges[1] - edges[0]
    curves = [c._curve() for c in components]
    for cu, co in zip(curves, components):
        cu.name = co.name  # so that the sum's prefixes match the mixture's
    total = SumModel(curves) if len(curves) > 1 else curves[0]
    g = total.guess(centres, counts.astype(float))
    pres = _prefixes(curves) if len(curves) > 1 else [None]
    grid = np.linspace(lo, hi, 4001)
    shapes, areas = [], []
    for pre, cu, co in zip(pres, curves, components):
        gc = {n: g[f"{pre}_{n}" if pre else n] for n in cu.parameters}
        shapes.append(co._from_curve(gc))
        yv = cu(grid, *[gc[n] for n in cu.parameters])
        areas.append(max(float(trapezoid(yv, grid)) / width, 0.0))
    a = np.array(areas)
    if not a.sum() > 0:
        a = np.ones(len(components))
    return shapes, a / a.sum() * ev.size


class Mixture(Density):
    """``(1 - sum_{j>=2} f_j) pdf_1 + sum_{j>=2} f_j pdf_j`` on a common range.

    Parameters
    ----------
    components : sequence of Density
        At least two densities on the same range; the fractions ``f_j`` of the second
        and later ones become parameters.

    Raises
    ------
    ValueError
        If there are fewer than two components or their ranges differ.

    Examples
    --------
    ``d1 + d2`` makes one; its pdf is ``(1 - f) pdf_1 + f pdf_2``:

    >>> from thetahat.models import GaussDensity, UniformDensity
    >>> g, u = GaussDensity((0.0, 4.0)), UniformDensity((0.0, 4.0))
    >>> m = u + g
    >>> v = m.pdf(2.0, 2.0, 0.5, 0.3)
    >>> m.parameters, bool(abs(v - (0.7 * u.pdf(2.0) + 0.3 * g.pdf(2.0, 2.0, 0.5))) < 1e-15)
    (('gauss_mu', 'gauss_sigma', 'gauss_frac'), True)
    """

    def __init__(self, components: Sequence[Density]) -> None:
        comps = list(components)
        if len(comps) < 2:
            raise ValueError("a mixture needs at least 2 components")
        for j, c in enumerate(comps):
            if c.range != comps[0].range:
                raise ValueError(f"components[{j}] has range {c.range}; all components "
                                 f"of a mixture need the range {comps[0].range}")
        super().__init__(comps[0].range)
        self.components = comps
        self.prefixes = _prefixes(comps)
        self.name = "+".join(c.name for c in comps)
        names: list[str] = []
        limits, self._slices, self._frac_index = {}, [], []
        for k, (pre, c) in enumerate(zip(self.prefixes, comps)):
            start = len(names)
            for n in c.parameters:
                names.append(f"{pre}_{n}")
                limits[f"{pre}_{n}"] = c.limits[n]
            self._slices.append(slice(start, len(names)))
            if k > 0:
                self._frac_index.append(len(names))
                names.append(f"{pre}_frac")
                limits[f"{pre}_frac"] = (0.0, 1.0)
        self.parameters = tuple(names)
        self._limits = limits
        self.role = "other"

    def _weights(self, p: tuple) -> list:
        f = [p[i] for i in self._frac_index]
        return [1 - sum(f), *f]

    def _pdf(self, x: NDArray, p: tuple) -> NDArray:
        return sum(w * c._pdf(x, p[s]) for w, c, s in
                   zip(self._weights(p), self.components, self._slices))

    def _cdf(self, x: NDArray, p: tuple) -> NDArray:
        return sum(w * c._cdf(x, p[s]) for w, c, s in
                   zip(self._weights(p), self.components, self._slices))

    def _guess_events(self, ev: NDArray) -> dict[str, float]:
        shapes, n = _component_areas(self.components, ev)
        frac = np.clip(n / n.sum(), 1e-3, 0.999)
        out: dict[str, float] = {}
        for k, (pre, c, g) in enumerate(zip(self.prefixes, self.components, shapes)):
            out.update({f"{pre}_{m}": g[m] for m in c.parameters})
            if k > 0:
                out[f"{pre}_frac"] = float(frac[k])
        return out

    def extended(self) -> Extended:
        """The extended form with yields (``scaled_pdf``, ``scaled_cdf``).

        Returns
        -------
        Extended
            A yield per component in place of the fractions.

        Examples
        --------
        >>> from thetahat.models import GaussDensity, UniformDensity
        >>> m = UniformDensity((0.0, 4.0)) + GaussDensity((0.0, 4.0))
        >>> m.extended().parameters
        ('uniform_n', 'gauss_mu', 'gauss_sigma', 'gauss_n')
        """
        return Extended(self.components)


class Extended:
    """Extended form of a density or mixture: yields instead of fractions.

    Parameters are the components' (prefixed) shape parameters, each followed by the
    component's yield ``<component>_n`` (``n`` for a single density). ``scaled_pdf`` and
    ``scaled_cdf`` are callables with a signature and ``grad`` for
    ``ExtendedUnbinnedNLL`` / ``ExtendedBinnedNLL``.

    Parameters
    ----------
    components : sequence of Density
        One or more densities on the same range.

    Examples
    --------
    The expected number of events in the range is the sum of the yields:

    >>> from thetahat.models import Extended, GaussDensity, UniformDensity
    >>> e = Extended([UniformDensity((0.0, 4.0)), GaussDensity((0.0, 4.0))])
    >>> p = (100.0, 2.0, 0.5, 40.0)  # uniform_n, gauss_mu, gauss_sigma, gauss_n
    >>> round(float(e.scaled_cdf(4.0, *p)), 9), round(float(e.scaled_cdf(2.0, *p)), 9)
    (140.0, 70.0)
    """

    def __init__(self, components: Sequence[Density]) -> None:
        self.components = list(components)
        self.range = self.components[0].range
        single = len(self.components) == 1
        self.prefixes = [None] if single else _prefixes(self.components)
        self.name = "+".join(c.name for c in self.components)
        names: list[str] = []
        limits, self._slices, self._yield_index = {}, [], []
        for pre, c in zip(self.prefixes, self.components):
            start = len(names)
            for n in c.parameters:
                name = f"{pre}_{n}" if pre else n
                names.append(name)
                limits[name] = c.limits[n]
            self._slices.append(slice(start, len(names)))
            self._yield_index.append(len(names))
            yname = f"{pre}_n" if pre else "n"
            names.append(yname)
            limits[yname] = (0.0, INF)
        self.parameters = tuple(names)
        self.limits = limits

    def _total(self, p: tuple) -> Any:
        return sum(p[i] for i in self._yield_index)

    def _spdf(self, x: NDArray, p: tuple) -> NDArray:
        return sum(p[i] * c._pdf(x, p[s]) for i, c, s in
                   zip(self._yield_index, self.components, self._slices))

    def _scdf(self, x: NDArray, p: tuple) -> NDArray:
        return sum(p[i] * c._cdf(x, p[s]) for i, c, s in
                   zip(self._yield_index, self.components, self._slices))

    @property
    def scaled_pdf(self) -> ParamFunction:
        """``(x, *p) -> (total yield, sum n_j pdf_j(x))``; grad -> ``(dN (npar,), dg)``.

        Examples
        --------
        The form ``ExtendedUnbinnedNLL`` takes; a uniform density on (0, 4) with yield 100
        has the density 25 everywhere inside:

        >>> from thetahat.models import UniformDensity
        >>> n, v = UniformDensity((0.0, 4.0)).extended().scaled_pdf([1.0, 3.0], 100.0)
        >>> n, v.tolist()
        (100.0, [25.0, 25.0])
        """
        def fn(x: ArrayLike, *p: float) -> tuple[float, NDArray]:
            q = _args(self, p)
            return float(self._total(q)), self._spdf(np.asarray(x, dtype=float), q).real

        def grad(x: ArrayLike, *p: float) -> tuple[NDArray, NDArray]:
            q = _args(self, p)
            xa = np.atleast_1d(np.asarray(x, dtype=float))
            dn = np.zeros(len(q))
            dn[self._yield_index] = 1.0
            return dn, _complex_step(lambda r: self._spdf(xa, r), q)

        return ParamFunction(fn, self.parameters, self.limits, grad, "scaled pdf")

    @property
    def scaled_cdf(self) -> ParamFunction:
        """``(x, *p) -> sum n_j cdf_j(x)`` (expected events below x); grad (npar, n).

        Examples
        --------
        The form ``ExtendedBinnedNLL`` takes; a quarter of a uniform yield lies below 1 on
        (0, 4):

        >>> from thetahat.models import UniformDensity
        >>> UniformDensity((0.0, 4.0)).extended().scaled_cdf([1.0, 4.0], 100.0).tolist()
        [25.0, 100.0]
        """
        def fn(x: ArrayLike, *p: float) -> NDArray:
            return self._scdf(np.asarray(x, dtype=float), _args(self, p)).real

        def grad(x: ArrayLike, *p: float) -> NDArray:
            xa = np.atleast_1d(np.asarray(x, dtype=float))
            return _complex_step(lambda r: self._scdf(xa, r), _args(self, p))

        return ParamFunction(fn, self.parameters, self.limits, grad, "scaled cdf")

    def guess(self, events: ArrayLike) -> dict[str, float]:
        """Shape parameters as for the mixture; yields from the events in the range.

        Parameters
        ----------
        events : array_like
            The event sample.

        Returns
        -------
        dict of str to float
            A starting value for each parameter, yields included.

        Examples
        --------
        The yields add up to the number of events in the range (those outside are ignored):

        >>> import numpy as np
        >>> from thetahat.models import density
        >>> rng = np.random.default_rng(2)
        >>> ev = np.concatenate([rng.uniform(0, 10, 600), rng.normal(5, 0.5, 400), [12.0]])
        >>> g = density("uniform+gauss", range=(0, 10)).extended().guess(ev)
        >>> round(g["uniform_n"] + g["gauss_n"]), round(g["gauss_mu"], 1)
        (1000, 5.0)
        """
        ev = _events_in_range(events, self.range, len(self.parameters))
        if len(self.components) == 1:
            c = self.components[0]
            out = {k: float(v) for k, v in c._guess_events(ev).items()}
            out["n"] = float(ev.size)
            return out
        shapes, n = _component_areas(self.components, ev)
        out = {}
        for k, (pre, c, g) in enumerate(zip(self.prefixes, self.components, shapes)):
            out.update({f"{pre}_{m}": float(g[m]) for m in c.parameters})
            out[f"{pre}_n"] = float(max(n[k], 1.0))
        return out

    guess_events = guess

    def __repr__(self) -> str:
        return f"<Extended {self.name}({', '.join(self.parameters)}) on {self.range}>"
