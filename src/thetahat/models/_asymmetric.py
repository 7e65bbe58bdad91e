"""Asymmetric peaks and resonances (lmfit's families), with analytic gradients.

``d = x - mu``, ``t = d/sigma``; ``a`` is the area unless said otherwise.

- ``skewgauss``: ``a/(sigma sqrt(2 pi)) exp(-t^2/2) (1 + erf(gamma t/sqrt 2))``. With
  ``g`` the Gaussian factor, ``E = 1 + erf(u)``, ``u = gamma t/sqrt 2``,
  ``E' = 2 exp(-u^2)/sqrt(pi)``: ``df/dt = -t f + a g E' gamma/sqrt 2``,
  ``df/dgamma = a g E' t/sqrt 2``, ``dt/dmu = -1/sigma``, ``dt/dsigma = -t/sigma``.
- ``emg`` (exponentially modified Gaussian: a Gaussian convolved with the decay of rate
  ``gamma``): ``(a gamma/2) exp(gamma (mu - x + gamma sigma^2/2)) erfc(z)``,
  ``z = (mu + gamma sigma^2 - x)/(sigma sqrt 2)``. Evaluated as
  ``(a gamma/2) exp(-d^2/(2 sigma^2)) erfcx(z)`` for ``z >= 0`` (the exponent and
  ``erfc`` over- and underflow separately; ``erfcx(z) = exp(z^2) erfc(z)``). With
  ``R = erfc'(z)/erfc(z) = -2/(sqrt(pi) erfcx(z))``: ``d ln f/dmu = gamma + R/(sigma sqrt 2)``,
  ``d ln f/dgamma = 1/gamma - d + gamma sigma^2 + R sigma/sqrt 2``,
  ``d ln f/dsigma = gamma^2 sigma + R (d/(sigma^2 sqrt 2) + gamma/sqrt 2)``.
- ``lognormal``: ``a/(sigma sqrt(2 pi) x) exp(-(ln x - mu)^2/(2 sigma^2))`` for ``x > 0``,
  0 elsewhere. With ``u = (ln x - mu)/sigma``: ``d ln f/dmu = u/sigma``,
  ``d ln f/dsigma = (u^2 - 1)/sigma``.
- ``doniach`` (Doniach-Sunjic): ``a sigma^(g-1) cos(pi g/2 + (1 - g) atan t)/(1 +
  t^2)^((1 - g)/2)`` with asymmetry ``g`` (``gamma``). With ``k = 1 - g``,
  ``phi = pi g/2 + k atan t``, ``W = (1 + t^2)^(-k/2)``:
  ``df/dt = -a k sigma^-k W (sin phi + t cos phi)/(1 + t^2)``,
  ``df/dsigma = -k f/sigma - t df/dt/sigma``, ``df/dg = f (ln sigma + ln(1 + t^2)/2) -
  a sigma^-k W sin(phi) (pi/2 - atan t)``.
- ``bwf`` (Breit-Wigner-Fano): ``a (q h + d)^2/(h^2 + d^2)``, ``h = sigma/2``; ``a`` is the
  level far from the resonance, ``q`` the Fano asymmetry (``|q| -> inf``: a Lorentzian peak;
  ``q = 0``: a symmetric dip). With ``P = q h + d``, ``D = h^2 + d^2``:
  ``df/dmu = a (-2 P/D + 2 d P^2/D^2)``, ``df/dsigma = a (q P/D - h P^2/D^2)``,
  ``df/dq = 2 a h P/D``.
- ``damped_oscillator``: amplitude of a driven damped oscillator,
  ``a/sqrt((1 - r^2)^2 + (2 sigma r)^2)``, ``r = x/mu`` (``a`` the response at ``x = 0``,
  ``sigma`` the damping ratio). With ``S`` the radicand, ``dS/dr = -4 r (1 - r^2) + 8
  sigma^2 r``, ``dr/dmu = -r/mu``, ``dS/dsigma = 8 sigma r^2``, ``df = -a S^(-3/2) dS/2``.

Guesses start from the tallest peak (``peak_moments``) with the shape parameter at its
symmetric value (``gamma = 0`` for ``skewgauss``, ``0.1`` for ``doniach``; ``emg`` with the
decay length equal to ``sigma``); the resonance ``bwf`` tries a few ``q`` on the peak and on
the dip and keeps the candidate closest to the data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf, erfc, erfcx

from ._base import INF
from ._guess import FWHM_PER_SIGMA, peak_moments
from ._lineshapes import ShapePeak

__all__ = ["SkewedGaussian", "ExpGaussian", "LogNormal", "Doniach", "BreitWignerFano",
           "DampedOscillator"]

_SQRT2 = np.sqrt(2.0)
_SQRT2PI = np.sqrt(2.0 * np.pi)
_SQRTPI = np.sqrt(np.pi)


class SkewedGaussian(ShapePeak):
    """Area-``a`` skewed Gaussian (skewness parameter ``gamma``; 0 is a Gaussian).

    Examples
    --------
    ``a`` times scipy's skew-normal density (same skewness, location and scale):

    >>> import numpy as np
    >>> from scipy.stats import skewnorm
    >>> from thetahat.models import SkewedGaussian
    >>> x = np.linspace(-2, 4, 7)
    >>> np.allclose(SkewedGaussian()(x, 2.0, 0.5, 1.5, 3.0), 2 * skewnorm.pdf(x, 3, 0.5, 1.5))
    True
    """

    name = "skewgauss"
    parameters = ("a", "mu", "sigma", "gamma")
    formula = "a/(sigma sqrt(2 pi)) exp(-t^2/2) (1 + erf(gamma t/sqrt 2)), t = (x-mu)/sigma"
    _limits = {"sigma": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, g = p
        t = (x - mu) / s
        return a / (s * _SQRT2PI) * np.exp(-0.5 * t * t) * (1 + erf(g * t / _SQRT2))

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, g = p
        t = (x - mu) / s
        gauss = np.exp(-0.5 * t * t) / (s * _SQRT2PI)
        e = 1 + erf(g * t / _SQRT2)
        ep = 2 / _SQRTPI * np.exp(-0.5 * (g * t) ** 2)
        u = gauss * e
        dft = a * (-t * u + gauss * ep * g / _SQRT2)
        return np.stack([u, -dft / s, -a * u / s - dft * t / s, a * gauss * ep * t / _SQRT2])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        return {"mu": mu, "sigma": 2 * hwhm / FWHM_PER_SIGMA, "gamma": 0.0}


class ExpGaussian(ShapePeak):
    """Area-``a`` exponentially modified Gaussian (decay rate ``gamma`` towards larger x).

    Examples
    --------
    ``a`` times scipy's ``exponnorm`` density, whose shape is ``K = 1/(sigma gamma)``:

    >>> from scipy.stats import exponnorm
    >>> from thetahat.models import ExpGaussian
    >>> sigma, gamma = 1.5, 0.4
    >>> ref = 2 * exponnorm.pdf(2.0, 1 / (sigma * gamma), 0.5, sigma)
    >>> round(float(ExpGaussian()(2.0, 2.0, 0.5, sigma, gamma)), 9), round(float(ref), 9)
    (0.344514217, 0.344514217)
    """

    name = "emg"
    parameters = ("a", "mu", "sigma", "gamma")
    formula = ("a gamma/2 exp(gamma (mu - x + gamma sigma^2/2)) "
               "erfc((mu + gamma sigma^2 - x)/(sigma sqrt 2))")
    _limits = {"sigma": (0.0, INF), "gamma": (0.0, INF)}

    @staticmethod
    def _parts(x: NDArray, p: tuple) -> tuple:
        _, mu, s, g = p
        d = x - mu
        z = (g * s * s - d) / (s * _SQRT2)
        zp = np.maximum(z, 0.0)
        with np.errstate(over="ignore"):
            big = 0.5 * g * np.exp(-0.5 * (d / s) ** 2) * erfcx(zp)
            small = 0.5 * g * np.exp(np.minimum(g * (0.5 * g * s * s - d), 700.0)) * erfc(z)
            u = np.where(z >= 0, big, small)
            ratio = -2 / (_SQRTPI * erfcx(z))  # erfcx(z -> -inf) -> inf: the ratio -> 0
        return d, u, ratio

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        return p[0] * self._parts(x, p)[1]

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, g = p
        d, u, r = self._parts(x, p)
        dmu = g + r / (s * _SQRT2)
        dg = 1 / g - d + g * s * s + r * s / _SQRT2
        ds = g * g * s + r * (d / (s * s * _SQRT2) + g / _SQRT2)
        f = a * u
        return np.stack([u, f * dmu, f * ds, f * dg])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        s = 2 * hwhm / FWHM_PER_SIGMA / _SQRT2
        # the mode of an EMG with decay length tau = sigma sits about 0.4 sigma above mu
        return {"mu": mu - 0.4 * s, "sigma": s, "gamma": 1.0 / s}


class LogNormal(ShapePeak):
    """Area-``a`` log-normal: ``ln x`` normal with mean ``mu`` and width ``sigma``.

    Examples
    --------
    ``a`` times scipy's ``lognorm`` density (shape ``sigma``, scale ``exp(mu)``):

    >>> import math
    >>> from scipy.stats import lognorm
    >>> from thetahat.models import LogNormal
    >>> [round(float(v), 9) for v in (LogNormal()(3.0, 2.0, 0.2, 0.6),
    ...                               2 * lognorm(0.6, scale=math.exp(0.2)).pdf(3.0))]
    [0.144408179, 0.144408179]
    """

    name = "lognormal"
    parameters = ("a", "mu", "sigma")
    formula = "a/(sigma sqrt(2 pi) x) exp(-(ln x - mu)^2/(2 sigma^2)), x > 0"
    _limits = {"sigma": (0.0, INF)}

    @staticmethod
    def _parts(x: NDArray, p: tuple) -> tuple:
        _, mu, s = p
        pos = x > 0
        lx = np.log(np.where(pos, x, 1.0))
        u = (lx - mu) / s
        unit = np.where(pos, np.exp(-0.5 * u * u) / (s * _SQRT2PI * np.where(pos, x, 1.0)), 0.0)
        return u, unit

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        return p[0] * self._parts(x, p)[1]

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        u, unit = self._parts(x, p)
        return np.stack([unit, a * unit * u / s, a * unit * (u * u - 1) / s])

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:
        pos = (x > 0) & (y > 0)
        if pos.sum() < 3:
            return {"a": 0.0, "mu": 0.0, "sigma": 1.0}
        lx, w = np.log(x[pos]), y[pos]
        mu = float(np.sum(w * lx) / np.sum(w))
        sig = float(np.sqrt(np.sum(w * (lx - mu) ** 2) / np.sum(w))) or 1.0
        area = float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))
        return {"a": area, "mu": mu, "sigma": sig}

    def _center_width(self, g: dict[str, float]) -> tuple[float, float]:
        mu, s = g["mu"], abs(g["sigma"])
        return float(np.exp(mu)), float(np.exp(mu) * np.sinh(s))


class Doniach(ShapePeak):
    """Doniach-Sunjic lineshape: asymmetry ``gamma`` in [0, 1) (0: a Lorentzian of area
    ``pi a``), half width ``sigma``.

    Examples
    --------
    With ``gamma = 0``: the Lorentzian ``(a/sigma) / (1 + t^2)``, ``a/sigma`` at the centre
    and half that one ``sigma`` away:

    >>> from thetahat.models import Doniach
    >>> [round(float(v), 12) for v in Doniach()([1.0, 1.5], 2.0, 1.0, 0.5, 0.0)]
    [4.0, 2.0]
    """

    name = "doniach"
    parameters = ("a", "mu", "sigma", "gamma")
    formula = ("a sigma^(gamma-1) cos(pi gamma/2 + (1-gamma) atan(t)) / "
               "(1 + t^2)^((1-gamma)/2), t = (x-mu)/sigma")
    _limits = {"sigma": (0.0, INF), "gamma": (0.0, 1.0)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, g = p
        t = (x - mu) / s
        k = 1 - g
        return a * s ** (-k) * np.cos(0.5 * np.pi * g + k * np.arctan(t)) * (1 + t * t) ** (-k / 2)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, g = p
        t = (x - mu) / s
        k = 1 - g
        th = np.arctan(t)
        phi = 0.5 * np.pi * g + k * th
        w = (1 + t * t) ** (-k / 2)
        base = s ** (-k) * w
        u = base * np.cos(phi)
        dft = -a * k * base * (np.sin(phi) + t * np.cos(phi)) / (1 + t * t)
        dg = a * u * (np.log(s) + 0.5 * np.log1p(t * t)) - a * base * np.sin(phi) * (
            0.5 * np.pi - th)
        return np.stack([u, -dft / s, -k * a * u / s - t * dft / s, dg])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        return {"mu": mu, "sigma": hwhm, "gamma": 0.1}


class BreitWignerFano(ShapePeak):
    """Breit-Wigner-Fano resonance: level ``a`` far away, asymmetry ``q``, full width
    ``sigma``.

    Examples
    --------
    With ``h = sigma/2``: ``a q^2`` at ``mu``, the Fano zero at ``mu - q h`` and the level
    ``a`` far away:

    >>> from thetahat.models import BreitWignerFano
    >>> [round(float(v), 6) for v in BreitWignerFano()([0.0, -3.0, 1e9], 2.0, 0.0, 2.0, 3.0)]
    [18.0, 0.0, 2.0]
    """

    name = "bwf"
    parameters = ("a", "mu", "sigma", "q")
    formula = "a (q sigma/2 + x - mu)^2 / ((sigma/2)^2 + (x - mu)^2)"
    _limits = {"sigma": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, q = p
        d, h = x - mu, 0.5 * s
        return a * (q * h + d) ** 2 / (h * h + d * d)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, q = p
        d, h = x - mu, 0.5 * s
        pp, den = q * h + d, h * h + d * d
        return np.stack([pp * pp / den, a * (-2 * pp / den + 2 * d * pp * pp / den**2),
                         a * (q * pp / den - h * pp * pp / den**2), 2 * a * h * pp / den])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        k = max(2, x.size // 10)
        level = float(np.median(np.concatenate([y[:k], y[-k:]])))
        if level == 0:
            level = float(np.median(y)) or 1.0
        best: dict[str, float] = {}
        best_sse = np.inf
        for sign in (1.0, -1.0):
            h, mu, s = peak_moments(x, sign * (y - level))
            width = FWHM_PER_SIGMA * s
            top = float(np.max(np.abs(y - level))) / abs(level)
            for q in (np.sqrt(1 + top), -np.sqrt(1 + top), 1.0, -1.0, 0.3, -0.3, 0.0):
                g = {"a": level, "mu": mu, "sigma": width, "q": float(q)}
                r = y - self._value(x, tuple(g.values()))
                sse = float(np.dot(r, r))
                if sse < best_sse:
                    best, best_sse = g, sse
        return best

    def _center_width(self, g: dict[str, float]) -> tuple[float, float]:
        return g["mu"], abs(g["sigma"])


class DampedOscillator(ShapePeak):
    """Amplitude response ``a/sqrt((1 - (x/mu)^2)^2 + (2 sigma x/mu)^2)`` (resonance ``mu``,
    damping ratio ``sigma``).

    Examples
    --------
    ``a`` at ``x = 0`` and ``a / (2 sigma)`` at the resonance:

    >>> from thetahat.models import DampedOscillator
    >>> [round(float(v), 12) for v in DampedOscillator()([0.0, 2.0], 1.0, 2.0, 0.1)]
    [1.0, 5.0]
    """

    name = "damped_oscillator"
    parameters = ("a", "mu", "sigma")
    formula = "a / sqrt((1 - (x/mu)^2)^2 + (2 sigma x/mu)^2)"
    _limits = {"mu": (0.0, INF), "sigma": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        r = x / mu
        return a / np.sqrt((1 - r * r) ** 2 + (2 * s * r) ** 2)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        r = x / mu
        big_s = (1 - r * r) ** 2 + (2 * s * r) ** 2
        c = -0.5 * a * big_s ** -1.5
        ds_dr = -4 * r * (1 - r * r) + 8 * s * s * r
        return np.stack([big_s ** -0.5, c * ds_dr * (-r / mu), c * 8 * s * r * r])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        # near x = mu the curve is a/(2 sqrt((d/mu)^2 + sigma^2)): half height at
        # |d| = sqrt(3) sigma mu
        mu = mu if mu > 0 else 1.0
        return {"mu": mu, "sigma": hwhm / (np.sqrt(3.0) * mu)}
