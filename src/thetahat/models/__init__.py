"""A library of fit models with analytic derivatives and automatic starting values.

Curve models (for ``LeastSquares``)
-----------------------------------
``m = models.parse("expo+gauss")`` (or ``models.Exponential() + models.Gaussian()``) is a
callable ``m(x, *p)`` with ``m.parameters`` (here ``expo_a, expo_b, expo_c, gauss_a,
gauss_mu, gauss_sigma``: component name + ``_`` + parameter, a repeated component numbered
from 1: ``gauss1_mu``), ``m.grad(x, *p)`` (analytic, shape ``(npar, len(x))``),
``m.guess(x, y)`` (a dict of starting values), ``m.limits`` (natural domain) and ``m.fixed``
(parameters to keep fixed because they are degenerate: the reference point ``expo_b`` of the
seed's ``a exp(-(x - b)/c)``). ``LeastSquares(x, y, yerr, m, grad=m.grad)`` introspects the
names through ``inspect.signature(m)`` = ``(x, expo_a, ...)``. Names: ``constant``,
``line``, ``poly<n>``, ``expo``, ``expo_rate``, ``powerlaw``, ``sigmoid``, ``gauss``,
``lorentz`` (``cauchy``), ``rbw`` (relativistic Breit-Wigner), ``voigt``,
``crystalball`` (``cb``), ``sine``; lmfit's lineshapes ``pvoigt``, ``split_lorentz``,
``moffat``, ``pearson7``, ``students_t`` (:mod:`._lineshapes`), ``skewgauss``, ``emg``
(exponentially modified Gaussian), ``lognormal``, ``doniach``, ``bwf`` (Breit-Wigner-Fano),
``damped_oscillator`` (:mod:`._asymmetric`), ``step_<form>`` and ``rectangle_<form>`` with
form ``linear`` (``step``, ``rectangle``), ``erf``, ``arctan`` or ``logistic``
(:mod:`._steps`), ``bose``, ``fermi``, ``maxwell`` (:mod:`._thermal`). The old names ``bw``
and ``breitwigner`` (the Lorentzian) still work with a ``FutureWarning``: say ``lorentz``,
``rbw`` or ``bwf``. :func:`catalog` lists each model with its parameters and ``formula``.
Formulas and gradients: :mod:`._curves`, :mod:`._peaks`; the staged guess of sums:
:mod:`._base`.

Densities (for the likelihood costs)
------------------------------------
``d = models.density("expo+gauss", range=(110, 160))`` is normalised on the range::

    pdf(x) = (1 - f) e(x; c) + f g(x; mu, sigma),
    e(x; c) = exp(-(x - lo)/c) / (c (1 - exp(-(hi - lo)/c))),
    g(x; mu, sigma) = exp(-t^2/2) / (sigma sqrt(pi/2) [erf(t/sqrt 2)]_lo^hi),

with parameters ``expo_c, gauss_mu, gauss_sigma, gauss_frac`` (``f``, the signal fraction
in [0, 1]). Each object the costs want is one attribute away::

    UnbinnedNLL(events, d.pdf, grad=d.pdf.grad)
    BinnedNLL(counts, edges, d.cdf, grad=d.cdf.grad)
    e = d.extended()          # yields expo_n, gauss_n instead of the fraction
    ExtendedUnbinnedNLL(events, e.scaled_pdf, grad=e.scaled_pdf.grad)
    ExtendedBinnedNLL(counts, edges, e.scaled_cdf, grad=e.scaled_cdf.grad)

and ``d.guess(events)`` / ``e.guess(events)`` give starting values. Density names:
``expo``, ``gauss``, ``cauchy`` (``lorentz``), ``crystalball`` (``cb``),
``poly<n>`` (Legendre series), ``uniform`` (``flat``). The maths: :mod:`._densities`.

Unknown names raise ``ValueError`` with the closest known names (``difflib``).

Examples
--------
A curve model: its parameters, its value (the oracle: 1 + 0.1 x + 5 at the peak x = 4)
and starting values guessed from the data:

>>> import numpy as np
>>> from thetahat import models
>>> m = models.parse("line+gauss")
>>> m.parameters
('line_a', 'line_b', 'gauss_a', 'gauss_mu', 'gauss_sigma')
>>> x = np.linspace(0, 10, 201)
>>> y = m(x, 1.0, 0.1, 5.0, 4.0, 0.4)
>>> round(float(y[80]), 12)
6.4
>>> g = m.guess(x, y)
>>> round(g["gauss_mu"], 3), round(g["gauss_sigma"], 2)
(4.0, 0.4)

A density is normalised on its range (the oracle: numerical integration by quad):

>>> from scipy.integrate import quad
>>> d = models.density("expo+gauss", range=(110, 160))
>>> d.parameters
('expo_c', 'gauss_mu', 'gauss_sigma', 'gauss_frac')
>>> area, _ = quad(lambda t: d.pdf(np.array([t]), 20.0, 125.0, 2.0, 0.1)[0], 110, 160,
...                points=[125])
>>> round(area, 9)
1.0
>>> d.cdf(np.array([110.0, 160.0]), 20.0, 125.0, 2.0, 0.1).round(12).tolist()
[0.0, 1.0]
>>> models.parse("gaus")
Traceback (most recent call last):
...
ValueError: unknown model 'gaus'; did you mean 'gauss' or 'gaussian'...
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from .._core.warnings import warn_user
from ._asymmetric import (
    BreitWignerFano,
    DampedOscillator,
    Doniach,
    ExpGaussian,
    LogNormal,
    SkewedGaussian,
)
from ._base import Model, ParamFunction, SumModel
from ._curves import (
    Constant,
    Exponential,
    ExponentialRate,
    Line,
    Polynomial,
    PowerLaw,
    Sigmoid,
    Sine,
)
from ._densities import Cauchy as CauchyDensity
from ._densities import CrystalBall as CrystalBallDensity
from ._densities import Exponential as ExponentialDensity
from ._densities import Gauss as GaussDensity
from ._densities import Legendre as LegendreDensity
from ._densities import Uniform as UniformDensity
from ._density_base import Density, Extended, Mixture
from ._lineshapes import Moffat, Pearson7, PseudoVoigt, SplitLorentzian, StudentsT
from ._peaks import CrystalBall, Gaussian, Lorentzian, RelativisticBreitWigner, Voigt
from ._steps import STEP_FORMS, Rectangle, Step
from ._thermal import Bose, Fermi, Maxwell

__all__ = [
    "Model", "SumModel", "ParamFunction", "Constant", "Line", "Polynomial", "Exponential",
    "ExponentialRate", "PowerLaw", "Sigmoid", "Gaussian", "Lorentzian",
    "RelativisticBreitWigner", "Voigt", "CrystalBall", "Density", "Mixture", "Extended",
    "ExponentialDensity", "GaussDensity", "CauchyDensity", "CrystalBallDensity",
    "LegendreDensity", "UniformDensity", "get", "parse", "density", "curve_names",
    "density_names", "catalog", "Sine", "PseudoVoigt", "SplitLorentzian", "Moffat",
    "Pearson7", "StudentsT", "SkewedGaussian", "ExpGaussian", "LogNormal", "Doniach",
    "BreitWignerFano", "DampedOscillator", "Step", "Rectangle", "Bose", "Fermi", "Maxwell",
]

_CURVES: dict[str, Any] = {
    "constant": Constant, "const": Constant, "line": Line, "expo": Exponential,
    "exp": Exponential, "exponential": Exponential, "expo_rate": ExponentialRate,
    "powerlaw": PowerLaw, "sigmoid": Sigmoid, "logistic": Sigmoid, "gauss": Gaussian,
    "gaussian": Gaussian, "lorentz": Lorentzian, "cauchy": Lorentzian,
    "lorentzian": Lorentzian, "rbw": RelativisticBreitWigner, "voigt": Voigt,
    "crystalball": CrystalBall, "cb": CrystalBall, "sine": Sine, "sin": Sine,
    "pvoigt": PseudoVoigt, "pseudovoigt": PseudoVoigt, "split_lorentz": SplitLorentzian,
    "moffat": Moffat, "pearson7": Pearson7, "students_t": StudentsT, "student": StudentsT,
    "skewgauss": SkewedGaussian, "skewed_gaussian": SkewedGaussian, "emg": ExpGaussian,
    "expgauss": ExpGaussian, "exponential_gaussian": ExpGaussian, "lognormal": LogNormal,
    "doniach": Doniach, "bwf": BreitWignerFano, "fano": BreitWignerFano,
    "breit_wigner_fano": BreitWignerFano, "damped_oscillator": DampedOscillator,
    "bose": Bose, "fermi": Fermi, "maxwell": Maxwell,
    "step": lambda: Step("linear"), "rectangle": lambda: Rectangle("linear"),
    **{f"step_{f}": (lambda f=f: Step(f)) for f in STEP_FORMS},
    **{f"rectangle_{f}": (lambda f=f: Rectangle(f)) for f in STEP_FORMS},
}
# old names that did not say what they are: they keep working, with a FutureWarning
_RENAMED = {"bw": "lorentz", "breitwigner": "lorentz"}
_RENAMED_DENSITIES = {"bw": "cauchy", "breitwigner": "cauchy"}
_DENSITIES: dict[str, Any] = {
    "expo": ExponentialDensity, "exp": ExponentialDensity,
    "exponential": ExponentialDensity, "gauss": GaussDensity, "gaussian": GaussDensity,
    "cauchy": CauchyDensity, "lorentz": CauchyDensity, "crystalball": CrystalBallDensity,
    "cb": CrystalBallDensity, "uniform": UniformDensity, "flat": UniformDensity,
}
_POLY = re.compile(r"^(?:poly|pol|polynomial)\(?(\d+)\)?$")


def curve_names() -> list[str]:
    """Known curve model names (aliases included; ``poly<n>`` for any n).

    Returns
    -------
    list of str

    Examples
    --------
    Each name (but the ``poly<n>`` pattern) is one that :func:`get` accepts:

    >>> names = curve_names()
    >>> "gauss" in names, names[-1], all(get(n).npar > 0 for n in names[:-1])
    (True, 'poly<n>', True)
    """
    return sorted(_CURVES) + ["poly<n>"]


def density_names() -> list[str]:
    """Known density names (aliases included; ``poly<n>`` for any n >= 1).

    Returns
    -------
    list of str

    Examples
    --------
    Each name (but the ``poly<n>`` pattern) is one that :func:`density` accepts:

    >>> names = density_names()
    >>> names[-1], [density(n, range=(0, 1)).name for n in ("flat", "cb", "poly2")]
    ('poly<n>', ['uniform', 'crystalball', 'poly2'])
    """
    return sorted(_DENSITIES) + ["poly<n>"]


def _renamed(key: str, table: dict[str, str], what: str) -> str:
    if key not in table:
        return key
    new = table[key]
    warn_user(f"{what} name {key!r} is deprecated: it means the non-relativistic "
              f"Breit-Wigner, i.e. the Lorentzian (Cauchy) {new!r}; say {new!r}, or 'rbw' "
              "for the relativistic Breit-Wigner, 'bwf' for the Breit-Wigner-Fano "
              "resonance", FutureWarning)
    return new


def catalog() -> dict[str, dict[str, Any]]:
    """Each curve model once (its canonical name): ``{"parameters": (...), "formula": str}``.

    Returns
    -------
    dict of str to dict
        Canonical name to ``{"parameters": tuple of str, "formula": str}``.

    Examples
    --------
    >>> catalog()["pvoigt"]["parameters"]
    ('a', 'mu', 'sigma', 'eta')
    """
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(_CURVES):
        m = _CURVES[key]()
        out.setdefault(m.name, {"parameters": m.parameters, "formula": m.formula})
    p = Polynomial(2)
    out["poly<n>"] = {"parameters": ("c0", "c1", "...", "cn"),
                      "formula": p.formula + " + ... + cn x^n"}
    return dict(sorted(out.items()))


def _unknown(name: str, known: list[str], what: str) -> ValueError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"unknown {what} {name!r}{hint} (known: {', '.join(known)})")


def get(name: str) -> Model:
    """One curve model by name, e.g. ``get("gauss")``, ``get("poly3")``.

    Parameters
    ----------
    name : str
        A name of :func:`curve_names` (case-insensitive), or ``poly<n>``.

    Returns
    -------
    Model
        A new instance.

    Raises
    ------
    ValueError
        If the name is unknown (the message suggests close names).

    Examples
    --------
    >>> get("gauss").parameters, get("poly2").parameters
    (('a', 'mu', 'sigma'), ('c0', 'c1', 'c2'))
    """
    key = _renamed(str(name).strip().lower(), _RENAMED, "model")
    m = _POLY.match(key)
    if m:
        return Polynomial(int(m.group(1)))
    if key not in _CURVES:
        raise _unknown(key, curve_names(), "model")
    return _CURVES[key]()


def parse(spec: str | Model) -> Model:
    """A curve model from ``"expo+gauss"`` (components joined by ``+``); models pass through.

    Parameters
    ----------
    spec : str or Model
        Names of :func:`curve_names` joined by ``+``, or a model (returned as it is).

    Returns
    -------
    Model
        One model, or a :class:`SumModel` of several.

    Raises
    ------
    ValueError
        If ``spec`` is empty or not a string, or names an unknown model.

    Examples
    --------
    >>> parse("expo+gauss").parameters
    ('expo_a', 'expo_b', 'expo_c', 'gauss_a', 'gauss_mu', 'gauss_sigma')
    """
    if isinstance(spec, Model):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"model spec must be a non-empty string like 'expo+gauss', "
                         f"got {spec!r}")
    parts = [get(p) for p in spec.split("+")]
    return parts[0] if len(parts) == 1 else SumModel(parts)


def _density_one(name: str, range: Any) -> Density:
    key = _renamed(name.strip().lower(), _RENAMED_DENSITIES, "density")
    m = _POLY.match(key)
    if m:
        return LegendreDensity(int(m.group(1)), range)
    if key not in _DENSITIES:
        raise _unknown(key, density_names(), "density")
    return _DENSITIES[key](range)


def density(spec: str | Density, range: Any = None) -> Density:
    """A range-normalised density or mixture from ``"expo+gauss"`` on ``range=(lo, hi)``.

    Parameters
    ----------
    spec : str or Density
        Names of :func:`density_names` joined by ``+``, or a density (returned as it is).
    range : (float, float)
        The interval on which the densities are normalised (required with a string).

    Returns
    -------
    Density
        One density, or a :class:`Mixture` of several.

    Raises
    ------
    ValueError
        If ``range`` is missing or invalid, ``spec`` is empty or not a string, or names an
        unknown density.

    Examples
    --------
    The fraction of the second component is a parameter of the mixture:

    >>> density("expo+gauss", range=(0, 1)).parameters
    ('expo_c', 'gauss_mu', 'gauss_sigma', 'gauss_frac')
    """
    if isinstance(spec, Density):
        return spec
    if range is None:
        raise ValueError("density needs range=(lo, hi): the pdf is normalised on it")
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"density spec must be a non-empty string like 'expo+gauss', "
                         f"got {spec!r}")
    parts = [_density_one(p, range) for p in spec.split("+")]
    return parts[0] if len(parts) == 1 else Mixture(parts)
