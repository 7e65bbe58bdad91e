"""Peak curve models with analytic gradients and guesses.

With ``t = (x - mu)/sigma`` (or ``/gamma``):

- ``gauss``: ``a exp(-t^2/2)`` (a = height). ``df/dmu = f t/sigma``,
  ``df/dsigma = f t^2/sigma``.
- ``lorentz`` (Cauchy, non-relativistic Breit-Wigner): ``a / (1 + t^2)``, ``t = (x-mu)/gamma``,
  gamma = half width at half maximum. With ``q = 1/(1 + t^2)``: ``df/dmu = 2 a q^2 t/gamma``,
  ``df/dgamma = 2 a q^2 t^2/gamma``.
- ``rbw`` (relativistic Breit-Wigner): ``a (m G)^2 / ((x^2 - m^2)^2 + (m G)^2)``, height a at
  ``x = m``. With ``D = (x^2 - m^2)^2 + m^2 G^2``, ``f = a m^2 G^2 / D``:
  ``df/dm = f (2/m - (-4 m (x^2 - m^2) + 2 m G^2)/D)``, ``df/dG = f (2/G - 2 m^2 G/D)``.
- ``voigt``: ``a V(x - mu; sigma, gamma)`` (a = area), ``V = Re w(z)/(sigma sqrt(2 pi))``,
  ``z = (x - mu + i gamma)/(sigma sqrt 2)``, Faddeeva ``w`` (``scipy.special.wofz``). With
  ``w'(z) = -2 z w + 2i/sqrt(pi)``: ``dV/dmu = Re(w' dz/dmu)/(sigma sqrt(2pi))`` with
  ``dz/dmu = -1/(sigma sqrt 2)``, ``dz/dgamma = i/(sigma sqrt 2)``, and
  ``dV/dsigma = Re(w' (-z/sigma))/(sigma sqrt(2pi)) - V/sigma``.
- ``crystalball``: height-``a`` Crystal Ball (J. Gaiser, SLAC-R-255, 1982): ``exp(-t^2/2)``
  for ``t > -alpha``, else ``A (B - t)^-n`` with ``A = (n/alpha)^n exp(-alpha^2/2)``,
  ``B = n/alpha - alpha`` (continuous with a continuous first derivative). In the tail
  ``ln f = ln a + n ln(n/alpha) - alpha^2/2 - n ln(B - t)``, so
  ``d ln f/dn = ln(n/alpha) + 1 - ln(B - t) - n/(alpha (B - t))``,
  ``d ln f/dalpha = -n/alpha - alpha + n (n/alpha^2 + 1)/(B - t)``,
  ``d ln f/dt = n/(B - t)``; in the core ``d ln f/dt = -t``; and ``dt/dmu = -1/sigma``,
  ``dt/dsigma = -t/sigma``. Its guess takes the Gaussian guess with ``alpha = 1.5``, ``n = 3``
  (the tail is fitted, not guessed).

Every peak is guessed both as a peak and as a dip (negative amplitude); the guess whose curve
is closer to the data (smaller sum of squared residuals) is kept.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import voigt_profile, wofz

from ._base import INF, Model
from ._guess import peak_moments

__all__ = ["Gaussian", "Lorentzian", "RelativisticBreitWigner", "Voigt", "CrystalBall"]

_SQRT2 = np.sqrt(2.0)
_SQRT2PI = np.sqrt(2.0 * np.pi)


class _Peak(Model):
    role = "peak"

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        """The better of a peak and a dip: each is guessed by ``_guess_peak`` (on ``y`` and on
        ``-y``, the dip's amplitude then negated), and the one whose guessed curve leaves the
        smaller sum of squared residuals wins, so that a dip is not mistaken for the tallest
        noise spike above it."""
        up = self._guess_peak(x, y)
        down = self._guess_peak(x, -y)
        amp = self.parameters[0]
        down[amp] = -down[amp]

        def sse(g: dict[str, float]) -> float:
            r = y - self._value(x, tuple(g[n] for n in self.parameters))
            s = float(np.dot(r, r))
            return s if np.isfinite(s) else np.inf

        return down if sse(down) < sse(up) else up

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    def _center_width(self, g: dict[str, float]) -> tuple[float, float]:
        names = self.parameters
        return g[names[1]], abs(g[names[2]])


class Gaussian(_Peak):
    """Height-``a`` Gaussian ``a exp(-((x - mu)/sigma)^2/2)``.

    Examples
    --------
    ``a / sqrt(e)`` one sigma from the centre; the guess of a clean peak is the peak:

    >>> import numpy as np
    >>> from thetahat.models import Gaussian
    >>> m = Gaussian()
    >>> round(float(m(3.0, 2.0, 1.0, 2.0)), 6), round(2 / float(np.sqrt(np.e)), 6)
    (1.213061, 1.213061)
    >>> x = np.linspace(0, 10, 101)
    >>> {k: round(v, 2) for k, v in m.guess(x, m(x, 5.0, 4.0, 0.8)).items()}
    {'a': 5.0, 'mu': 4.0, 'sigma': 0.8}
    """

    name = "gauss"
    formula = "a exp(-((x-mu)/sigma)^2/2)"
    parameters = ("a", "mu", "sigma")
    _limits = {"sigma": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        return a * np.exp(-0.5 * ((x - mu) / s) ** 2)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        t = (x - mu) / s
        e = np.exp(-0.5 * t * t)
        return np.stack([e, a * e * t / s, a * e * t * t / s])

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:
        h, mu, s = peak_moments(x, y)
        return {"a": h, "mu": mu, "sigma": s}


class Lorentzian(_Peak):
    """Cauchy / non-relativistic Breit-Wigner with height ``a`` and half width ``gamma``.

    Examples
    --------
    Height ``a`` at ``mu``, half of it one ``gamma`` away:

    >>> from thetahat.models import Lorentzian
    >>> m = Lorentzian()
    >>> m([1.0, 1.5, 0.5], 4.0, 1.0, 0.5).tolist()
    [4.0, 2.0, 2.0]
    """

    name = "lorentz"
    formula = "a / (1 + ((x-mu)/gamma)^2)"
    parameters = ("a", "mu", "gamma")
    _limits = {"gamma": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, g = p
        return a / (1.0 + ((x - mu) / g) ** 2)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, g = p
        t = (x - mu) / g
        q = 1.0 / (1.0 + t * t)
        return np.stack([q, 2 * a * q * q * t / g, 2 * a * q * q * t * t / g])

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:
        h, mu, s = peak_moments(x, y)
        return {"a": h, "mu": mu, "gamma": s * np.sqrt(2 * np.log(2.0))}  # HWHM


class RelativisticBreitWigner(_Peak):
    """``a (m G)^2 / ((x^2 - m^2)^2 + (m G)^2)`` (height ``a`` at ``x = m``).

    Examples
    --------
    Height ``a`` at ``x = m``, half of it where ``x^2 - m^2 = m G``:

    >>> import numpy as np
    >>> from thetahat.models import RelativisticBreitWigner
    >>> m = RelativisticBreitWigner()
    >>> [round(float(v), 12) for v in m([2.0, np.sqrt(5.0)], 3.0, 2.0, 0.5)]
    [3.0, 1.5]
    """

    name = "rbw"
    formula = "a (m gamma)^2 / ((x^2-m^2)^2 + (m gamma)^2)"
    parameters = ("a", "m", "gamma")
    _limits = {"m": (0.0, INF), "gamma": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, m, g = p
        mg2 = (m * g) ** 2
        return a * mg2 / ((x * x - m * m) ** 2 + mg2)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, m, g = p
        mg2 = (m * g) ** 2
        d = (x * x - m * m) ** 2 + mg2
        f = a * mg2 / d
        dm = f * (2 / m - (-4 * m * (x * x - m * m) + 2 * m * g * g) / d)
        dg = f * (2 / g - 2 * m * m * g / d)
        return np.stack([f / a if a != 0 else mg2 / d, dm, dg])

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:
        h, mu, s = peak_moments(x, y)
        # near the peak the width in x is about G/2 per side: FWHM_x ~ G for G << m
        return {"a": h, "m": mu, "gamma": 2 * s * np.sqrt(2 * np.log(2.0))}


class Voigt(_Peak):
    """Area-``a`` Voigt profile: Gaussian ``sigma`` convolved with Cauchy ``gamma`` (HWHM).

    Examples
    --------
    The area is ``a`` (numerical integration as the oracle):

    >>> import numpy as np
    >>> from scipy.integrate import quad
    >>> from thetahat.models import Voigt
    >>> area, _ = quad(lambda t: float(Voigt()(t, 2.0, 0.0, 0.5, 0.3)), -np.inf, np.inf)
    >>> round(area, 6)
    2.0
    """

    name = "voigt"
    formula = "a Re w((x-mu+i gamma)/(sigma sqrt 2))/(sigma sqrt(2 pi))"
    parameters = ("a", "mu", "sigma", "gamma")
    _limits = {"sigma": (0.0, INF), "gamma": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, g = p
        return a * voigt_profile(x - mu, s, g)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, g = p
        z = (x - mu + 1j * g) / (s * _SQRT2)
        w = wofz(z)
        wp = -2 * z * w + 2j / np.sqrt(np.pi)
        norm = 1.0 / (s * _SQRT2PI)
        v = w.real * norm
        dmu = (wp * (-1.0 / (s * _SQRT2))).real * norm
        dg = (wp * (1j / (s * _SQRT2))).real * norm
        ds = (wp * (-z / s)).real * norm - v / s
        return np.stack([v, a * dmu, a * ds, a * dg])

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:
        h, mu, s = peak_moments(x, y)
        # split the width between the two; the area is height * sqrt(2 pi) * width
        sig, gam = s / np.sqrt(2.0), s / np.sqrt(2.0)
        area = h / voigt_profile(0.0, sig, gam)
        return {"a": float(area), "mu": mu, "sigma": sig, "gamma": gam}

    def _center_width(self, g: dict[str, float]) -> tuple[float, float]:
        return g["mu"], abs(g["sigma"]) + abs(g["gamma"])


class CrystalBall(_Peak):
    """Height-``a`` Crystal Ball with a power-law low tail (``alpha > 0``, ``n > 1``).

    Examples
    --------
    With ``alpha = 1``, ``n = 2``: height ``a`` at ``mu``, and at ``t = -3`` in the tail
    ``A (B - t)^-n = 4 e^(-1/2) / 4^2``:

    >>> import numpy as np
    >>> from thetahat.models import CrystalBall
    >>> v = CrystalBall()([0.0, -3.0], 1.0, 0.0, 1.0, 1.0, 2.0)
    >>> [round(float(t), 6) for t in v], round(float(np.exp(-0.5)) / 4, 6)
    ([1.0, 0.151633], 0.151633)
    """

    name = "crystalball"
    formula = ("a exp(-t^2/2) for t > -alpha, else a (n/alpha)^n exp(-alpha^2/2) "
               "(n/alpha - alpha - t)^-n; t = (x-mu)/sigma")
    parameters = ("a", "mu", "sigma", "alpha", "n")
    _limits = {"sigma": (0.0, INF), "alpha": (0.0, INF), "n": (1.0, INF)}

    @staticmethod
    def _parts(x: NDArray, p: tuple) -> tuple:
        a, mu, s, al, n = p
        t = (x - mu) / s
        tail = t <= -al
        b = n / al - al
        bt = np.where(tail, b - t, 1.0)
        lnf = np.where(tail, n * np.log(n / al) - 0.5 * al * al - n * np.log(bt), -0.5 * t * t)
        return t, tail, bt, lnf

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        _, _, _, lnf = self._parts(x, p)
        return p[0] * np.exp(lnf)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s, al, n = p
        t, tail, bt, lnf = self._parts(x, p)
        f0 = np.exp(lnf)
        f = a * f0
        dlt = np.where(tail, n / bt, -t)
        dln = np.where(tail, np.log(n / al) + 1 - np.log(bt) - n / (al * bt), 0.0)
        dla = np.where(tail, -n / al - al + n * (n / al**2 + 1) / bt, 0.0)
        return np.stack([f0, f * dlt * (-1 / s), f * dlt * (-t / s), f * dla, f * dln])

    def _guess_peak(self, x: NDArray, y: NDArray) -> dict[str, float]:
        h, mu, s = peak_moments(x, y)
        return {"a": h, "mu": mu, "sigma": s, "alpha": 1.5, "n": 3.0}
