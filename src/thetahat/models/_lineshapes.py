"""Symmetric and split peak lineshapes (lmfit's families), with analytic gradients.

``a`` is the area of the peak unless said otherwise; ``d = x - mu``, ``t = d/sigma``.

- ``pvoigt`` (pseudo-Voigt): ``(1 - eta) a G(d; sg) + eta a L(d; sigma)`` with the
  normalised Gaussian ``G = exp(-d^2/(2 sg^2))/(sg sqrt(2 pi))``, ``sg = sigma/sqrt(2 ln 2)``
  (both parts have the full width at half maximum ``2 sigma``) and the normalised Lorentzian
  ``L = sigma/(pi (d^2 + sigma^2))``. ``dG/dmu = G d/sg^2``, ``dG/dsg = G (d^2/sg^3 - 1/sg)``,
  ``dL/dmu = 2 d L/(d^2 + sigma^2)``, ``dL/dsigma = L/sigma - 2 sigma L/(d^2 + sigma^2)``,
  ``df/deta = a (L - G)``.
- ``split_lorentz``: ``2 a/(pi (sigma + sigma_r)) s^2/(d^2 + s^2)`` with ``s = sigma`` left
  of ``mu`` and ``s = sigma_r`` right of it (area ``a``). With ``N = 2/(pi (sigma +
  sigma_r))`` and ``Q = s^2/(d^2 + s^2)``: ``dQ/dmu = 2 d s^2/(d^2 + s^2)^2``,
  ``dQ/ds = 2 s d^2/(d^2 + s^2)^2``, ``dN/dsigma = dN/dsigma_r = -N/(sigma + sigma_r)``.
- ``moffat``: ``a (t^2 + 1)^(-beta)`` (``a`` = height). ``d ln f/dt = -2 beta t/(1 + t^2)``,
  ``d ln f/dbeta = -ln(1 + t^2)``.
- ``pearson7``: ``a/(sigma B(m - 1/2, 1/2)) (1 + t^2)^(-m)`` (``B`` the beta function; area
  ``a``; ``m > 1/2``). ``d ln f/dm = psi(m) - psi(m - 1/2) - ln(1 + t^2)`` (``psi`` the
  digamma function), ``d ln f/dt = -2 m t/(1 + t^2)``, plus ``-1/sigma`` in ``d/dsigma``.
- ``students_t``: ``a Gamma((nu + 1)/2)/(sigma sqrt(nu pi) Gamma(nu/2)) (1 + t^2/nu)^(-(nu +
  1)/2)``, the t density of ``nu`` degrees of freedom with scale ``sigma`` (area ``a``).
  lmfit's ``StudentsTModel`` is this with ``sigma = 1`` and its ``sigma`` playing ``nu``.
  ``d ln f/dt = -(nu + 1) t/(nu + t^2)``, ``d ln f/dnu = (psi((nu + 1)/2) - psi(nu/2))/2 -
  1/(2 nu) - ln(1 + t^2/nu)/2 + (nu + 1) t^2/(2 nu (nu + t^2))``.

Guesses: the centre, height and width of the tallest peak (``peak_moments``); the shape
parameter at a middle value (``eta = 1/2``, ``beta = 1``, ``m = 3/2``, ``nu = 5``), the width
set so that the half width at half maximum matches, the amplitude so that the height does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, digamma, gammaln

from ._base import INF
from ._guess import FWHM_PER_SIGMA, peak_moments
from ._peaks import _Peak

__all__ = ["PseudoVoigt", "SplitLorentzian", "Moffat", "Pearson7", "StudentsT", "ShapePeak"]

_LN2 = np.log(2.0)
_SQRT2PI = np.sqrt(2.0 * np.pi)


class ShapePeak(_Peak):
    """A peak whose guess is: shape parameters from the half width, then the amplitude
    (the first parameter) set so that the curve's maximum on the data equals the height."""

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:
        h, mu, s = peak_moments(x, y)
        g = self._shape_guess(mu, 0.5 * FWHM_PER_SIGMA * s)
        amp = self.parameters[0]
        g[amp] = 1.0
        fine = np.linspace(x[0], x[-1], 4 * x.size + 1)
        peak = float(np.max(np.abs(self._value(fine, tuple(g[n] for n in self.parameters)))))
        g[amp] = h / peak if peak > 0 and np.isfinite(peak) else h
        return {n: g[n] for n in self.parameters}


class PseudoVoigt(ShapePeak):
    """Area-``a`` pseudo-Voigt: Lorentzian fraction ``eta``, half width ``sigma``.

    Examples
    --------
    Both parts have the half width ``sigma``, so the mixture is at half its height there,
    and the area is ``a`` (numerical integration as the oracle):

    >>> import numpy as np
    >>> from scipy.integrate import quad
    >>> from thetahat.models import PseudoVoigt
    >>> m = PseudoVoigt()
    >>> v = m([0.0, 1.0], 2.0, 0.0, 1.0, 0.3)
    >>> area, _ = quad(lambda t: float(m(t, 2.0, 0.0, 1.0, 0.3)), -np.inf, np.inf)
    >>> round(float(v[1] / v[0]), 12), round(area, 6)
    (0.5, 2.0)
    """

    name = "pvoigt"
    parameters = ("a", "mu", "sigma", "eta")
    formula = ("(1-eta) a exp(-d^2/(2 sg^2))/(sg sqrt(2 pi)) + eta a sigma/(pi (d^2+sigma^2)),"
               " d = x-mu, sg = sigma/sqrt(2 ln 2)")
    _limits = {"sigma": (0.0, INF), "eta": (0.0, 1.0)}

    @staticmethod
    def _parts(x: NDArray, mu: float, s: float) -> tuple:
        d = x - mu
        sg = s / np.sqrt(2 * _LN2)
        g = np.exp(-0.5 * (d / sg) ** 2) / (sg * _SQRT2PI)
        den = d * d + s * s
        lor = s / (np.pi * den)
        return d, sg, g, den, lor

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, eta = p
        _, _, g, _, lor = self._parts(x, mu, s)
        return a * ((1 - eta) * g + eta * lor)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, eta = p
        d, sg, g, den, lor = self._parts(x, mu, s)
        dg_mu, dl_mu = g * d / sg**2, 2 * d * lor / den
        dg_s = g * (d * d / sg**3 - 1 / sg) / np.sqrt(2 * _LN2)
        dl_s = lor / s - 2 * s * lor / den
        return np.stack([(1 - eta) * g + eta * lor, a * ((1 - eta) * dg_mu + eta * dl_mu),
                         a * ((1 - eta) * dg_s + eta * dl_s), a * (lor - g)])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        return {"mu": mu, "sigma": hwhm, "eta": 0.5}


class SplitLorentzian(ShapePeak):
    """Area-``a`` Lorentzian with half width ``sigma`` left and ``sigma_r`` right of ``mu``.

    Examples
    --------
    Height ``2 a / (pi (sigma + sigma_r))``, half of it at ``mu - sigma`` and at
    ``mu + sigma_r``:

    >>> import numpy as np
    >>> from thetahat.models import SplitLorentzian
    >>> v = SplitLorentzian()([0.0, -1.0, 2.0], 1.0, 0.0, 1.0, 2.0)
    >>> round(float(v[0]), 6), round(2 / (3 * np.pi), 6), (v / v[0]).round(12).tolist()
    (0.212207, 0.212207, [1.0, 0.5, 0.5])
    """

    name = "split_lorentz"
    parameters = ("a", "mu", "sigma", "sigma_r")
    formula = "2 a/(pi (sigma+sigma_r)) s^2/((x-mu)^2+s^2), s = sigma (x<mu), sigma_r (x>=mu)"
    _limits = {"sigma": (0.0, INF), "sigma_r": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, sl, sr = p
        d = x - mu
        s = np.where(d < 0, sl, sr)
        return 2 * a / (np.pi * (sl + sr)) * s * s / (d * d + s * s)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, sl, sr = p
        d = x - mu
        left = d < 0
        s = np.where(left, sl, sr)
        den = d * d + s * s
        n = 2 / (np.pi * (sl + sr))
        q = s * s / den
        dq_mu = 2 * d * s * s / den**2
        dq_s = 2 * s * d * d / den**2
        dn = -n / (sl + sr)
        return np.stack([n * q, a * n * dq_mu, a * (dn * q + n * np.where(left, dq_s, 0.0)),
                         a * (dn * q + n * np.where(left, 0.0, dq_s))])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        return {"mu": mu, "sigma": hwhm, "sigma_r": hwhm}

    def _center_width(self, g: dict[str, float]) -> tuple[float, float]:
        return g["mu"], max(abs(g["sigma"]), abs(g["sigma_r"]))


class Moffat(ShapePeak):
    """Height-``a`` Moffat profile ``a ((x - mu)^2/sigma^2 + 1)^(-beta)``.

    Examples
    --------
    ``a 2^-beta`` one ``sigma`` from the centre:

    >>> from thetahat.models import Moffat
    >>> [round(float(v), 12) for v in Moffat()([1.0, 1.5], 3.0, 1.0, 0.5, 2.0)]
    [3.0, 0.75]
    """

    name = "moffat"
    parameters = ("a", "mu", "sigma", "beta")
    formula = "a (((x-mu)/sigma)^2 + 1)^(-beta)"
    _limits = {"sigma": (0.0, INF), "beta": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, b = p
        return a * (((x - mu) / s) ** 2 + 1) ** (-b)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, b = p
        t = (x - mu) / s
        u = (t * t + 1) ** (-b)
        dlt = -2 * b * t / (1 + t * t)
        return np.stack([u, a * u * dlt * (-1 / s), a * u * dlt * (-t / s),
                         -a * u * np.log1p(t * t)])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        return {"mu": mu, "sigma": hwhm, "beta": 1.0}  # beta = 1: a Lorentzian


class Pearson7(ShapePeak):
    """Area-``a`` Pearson VII profile with exponent ``m > 1/2`` (``m = 1``: Lorentzian).

    Examples
    --------
    With ``m = 1`` it is the Cauchy density times ``a`` (scipy as the oracle):

    >>> from scipy.stats import cauchy
    >>> from thetahat.models import Pearson7
    >>> v = Pearson7()(2.0, 2.0, 0.5, 1.5, 1.0)
    >>> round(float(v), 9), round(2 * float(cauchy.pdf(2, 0.5, 1.5)), 9)
    (0.212206591, 0.212206591)
    """

    name = "pearson7"
    parameters = ("a", "mu", "sigma", "m")
    formula = "a/(sigma B(m-1/2, 1/2)) (1 + ((x-mu)/sigma)^2)^(-m)"
    _limits = {"sigma": (0.0, INF), "m": (0.5, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, m = p
        t = (x - mu) / s
        return a * np.exp(-np.log(s) - betaln(m - 0.5, 0.5) - m * np.log1p(t * t))

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, m = p
        t = (x - mu) / s
        u = np.exp(-np.log(s) - betaln(m - 0.5, 0.5) - m * np.log1p(t * t))
        dlt = -2 * m * t / (1 + t * t)
        dlm = digamma(m) - digamma(m - 0.5) - np.log1p(t * t)
        return np.stack([u, a * u * dlt * (-1 / s), a * u * (-1 / s - dlt * t / s),
                         a * u * dlm])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        m = 1.5
        return {"mu": mu, "sigma": hwhm / np.sqrt(2 ** (1 / m) - 1), "m": m}


class StudentsT(ShapePeak):
    """Area-``a`` Student's t density: ``nu`` degrees of freedom, scale ``sigma``.

    Examples
    --------
    ``a`` times scipy's t density of ``nu = 4``, at ``x = 3``:

    >>> import scipy.stats
    >>> from thetahat.models import StudentsT
    >>> ref = 2 * float(scipy.stats.t(4.0, loc=0.5, scale=1.5).pdf(3.0))
    >>> f"{float(StudentsT()(3.0, 2.0, 0.5, 1.5, 4.0)):.9f} {ref:.9f}"
    '0.133783227 0.133783227'
    """

    name = "students_t"
    parameters = ("a", "mu", "sigma", "nu")
    formula = ("a Gamma((nu+1)/2)/(sigma sqrt(nu pi) Gamma(nu/2)) "
               "(1 + ((x-mu)/sigma)^2/nu)^(-(nu+1)/2)")
    _limits = {"sigma": (0.0, INF), "nu": (0.0, INF)}

    @staticmethod
    def _log_unit(t: NDArray, s: float, nu: float) -> NDArray:
        return (gammaln(0.5 * (nu + 1)) - gammaln(0.5 * nu) - np.log(s)
                - 0.5 * np.log(nu * np.pi) - 0.5 * (nu + 1) * np.log1p(t * t / nu))

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, nu = p
        return a * np.exp(self._log_unit((x - mu) / s, s, nu))

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, nu = p
        t = (x - mu) / s
        u = np.exp(self._log_unit(t, s, nu))
        dlt = -(nu + 1) * t / (nu + t * t)
        dlnu = (0.5 * (digamma(0.5 * (nu + 1)) - digamma(0.5 * nu)) - 0.5 / nu
                - 0.5 * np.log1p(t * t / nu) + (nu + 1) * t * t / (2 * nu * (nu + t * t)))
        return np.stack([u, a * u * dlt * (-1 / s), a * u * (-1 / s - dlt * t / s),
                         a * u * dlnu])

    def _shape_guess(self, mu: float, hwhm: float) -> dict[str, float]:
        nu = 5.0
        # half maximum where (1 + t^2/nu)^(-(nu+1)/2) = 1/2
        return {"mu": mu, "sigma": hwhm / np.sqrt(nu * (2 ** (2 / (nu + 1)) - 1)), "nu": nu}
