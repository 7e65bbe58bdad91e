"""Probability densities normalised over a finite range ``[lo, hi]``, and their mixtures.

Each density is an unnormalised shape ``s(x; p)`` with a closed-form integral
``I(x; p) = int_lo^x s``; then

    pdf(x) = s(x) / I(hi),        cdf(x) = I(clip(x, lo, hi)) / I(hi),

and ``pdf = 0`` outside the range, so ``int_lo^hi pdf = cdf(hi) - cdf(lo) = 1`` by
construction (to rounding). The shapes, ``t = (x - mu)/sigma``:

- ``expo`` (parameter ``c``, the decay length of ``exp(-x/c)``; ``c < 0`` rises):
  ``s = exp(-(x - r)/c)`` with the reference ``r = lo`` for ``c > 0`` and ``r = hi`` for
  ``c < 0``, so ``s <= 1`` and nothing overflows for steep slopes;
  ``I(x) = -c exp((r - lo)/c) expm1((lo - x)/c)`` (exact cancellation-free form; flat as
  ``|c| -> inf``).
- ``gauss`` (``mu, sigma``): ``s = exp(-t^2/2)``, ``I = sigma sqrt(pi/2) [erf]`` evaluated
  with ``erfc`` of the same-sign argument when the whole range lies in one tail (accurate to
  about 26 sigma from the mean).
- ``cauchy`` (``mu, gamma``; alias ``lorentz``, ``bw``): ``s = 1/(1 + t^2)``,
  ``I = gamma [arctan t]``.
- ``crystalball`` (``mu, sigma, alpha, n``): ``s = exp(-t^2/2)`` for ``t > -alpha``, else
  ``A (B - t)^-n``; the tail integrates to ``sigma A (B - t)^(1-n)/(n - 1)``, the core to
  ``sigma sqrt(2 pi) [Phi(t)]``.
- ``poly<k>`` (``a1 .. ak``): ``pdf = (1 + sum_j a_j P_j(u)) / (hi - lo)`` with Legendre
  polynomials ``P_j`` of ``u = 2 (x - lo)/(hi - lo) - 1``; ``int P_j = 0`` on [-1, 1] so it
  is normalised for any coefficients, and ``int_{-1}^u P_j = (P_{j+1} - P_{j-1})/(2j + 1)``.
  Positivity is not enforced (a negative pdf makes the likelihood NaN).
- ``uniform``: ``1/(hi - lo)``.

Mixtures: ``d1 + d2 + ...`` on the same range is
``pdf = (1 - sum_{j>=2} f_j) pdf_1 + sum_{j>=2} f_j pdf_j`` with one fraction per component
after the first, named ``<component>_frac`` (so ``expo + gauss`` has the signal fraction
``gauss_frac`` in [0, 1]); shape parameters are prefixed as for curve sums (``expo_c``,
``gauss_mu``, ``gauss_sigma``; repeated names numbered from 1). For more than two components
the fractions' sum is not bounded by the box limits; keep it below 1.

Extended form (:meth:`Density.extended`): each component gets a yield ``<component>_n``
(``n`` for a single density) in place of the fractions; ``scaled_pdf(x, *p)`` returns
``(sum n_j, sum n_j pdf_j(x))`` (as ``ExtendedUnbinnedNLL`` expects) and
``scaled_cdf(x, *p) = sum n_j cdf_j(x)`` (for ``ExtendedBinnedNLL``).

Gradients with respect to the parameters are computed by the complex step
``d f / d p_j = Im f(p + i h e_j) / h`` with ``h = 1e-20 max(1, |p_j|)`` (W. Squire and
G. Trapp, SIAM Rev. 40 (1998) 110): no subtraction, so exact to rounding; every shape above
is written with complex-analytic functions (``exp``, ``expm1``, ``erf``, ``arctan``, ``log``).
Each ``pdf``, ``cdf``, ``scaled_pdf`` and ``scaled_cdf`` carries a ``grad`` in the form the
cost functions take.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf, erfc

from ._base import INF
from ._density_base import Density, Extended, Mixture

__all__ = ["Density", "Exponential", "Gauss", "Cauchy", "CrystalBall", "Legendre",
           "Uniform", "Mixture", "Extended"]

_SQRT2 = np.sqrt(2.0)
_SQRT2PI = np.sqrt(2.0 * np.pi)


def _mad_sigma(ev: NDArray) -> float:
    s = 1.4826 * float(np.median(np.abs(ev - np.median(ev))))
    return s if s > 0 else float(np.std(ev)) or 1.0


class Exponential(Density):
    """``exp(-x/c)`` normalised on the range (``c`` the decay length; ``c < 0`` rises).

    Parameters
    ----------
    range : (float, float)
        ``(lo, hi)``, finite with ``lo < hi``; ``exp(-x/c)`` is normalised on it.

    Examples
    --------
    On (0, 2) with ``c = 1`` the pdf is ``exp(-x) / (1 - exp(-2))``:

    >>> import numpy as np
    >>> from thetahat.models import ExponentialDensity
    >>> d = ExponentialDensity((0.0, 2.0))
    >>> round(float(d.pdf(0.0, 1.0)), 6), round(1 / (1 - float(np.exp(-2.0))), 6)
    (1.156518, 1.156518)
    """

    name = "expo"
    parameters = ("c",)
    role = "background"

    def _shape(self, x: NDArray, p: tuple) -> NDArray:
        (c,) = p
        ref = self.range[0] if np.real(c) > 0 else self.range[1]
        return np.exp(-(x - ref) / c)

    def _integral(self, x: NDArray, p: tuple) -> NDArray:
        (c,) = p
        lo, hi = self.range
        ref = lo if np.real(c) > 0 else hi
        return -c * np.exp((ref - lo) / c) * np.expm1((lo - x) / c)

    def _guess_events(self, ev: NDArray) -> dict[str, float]:
        from ._guess import truncated_expo_rate
        lo, hi = self.range
        r = truncated_expo_rate(float(np.mean(ev)) - lo, hi - lo)
        big = 1e3 * (hi - lo)
        c = 1.0 / r if abs(r) > 1.0 / big else big
        return {"c": c}

    def _curve(self) -> Any:
        from ._curves import Exponential as E
        return E()

    def _from_curve(self, g: dict[str, float]) -> dict[str, float]:
        return {"c": g["c"]}


class Gauss(Density):
    """The normal density of ``mu``, ``sigma`` truncated to the range and normalised there.

    Parameters
    ----------
    range : (float, float)
        Where the normal density is truncated: ``(lo, hi)``, finite, ``lo < hi``.

    Examples
    --------
    scipy's ``truncnorm`` is the oracle:

    >>> from scipy.stats import truncnorm
    >>> from thetahat.models import GaussDensity
    >>> x = [0.0, 1.0, 3.0]
    >>> v = GaussDensity((0.0, 3.0)).pdf(x, 1.0, 2.0)
    >>> bool(abs(v - truncnorm.pdf(x, -0.5, 1.0, loc=1.0, scale=2.0)).max() < 1e-12)
    True
    """

    name = "gauss"
    parameters = ("mu", "sigma")
    role = "peak"
    _limits = {"sigma": (0.0, INF)}

    def _shape(self, x: NDArray, p: tuple) -> NDArray:
        mu, s = p
        return np.exp(-0.5 * ((x - mu) / s) ** 2)

    def _integral(self, x: NDArray, p: tuple) -> NDArray:
        mu, s = p
        lo, hi = self.range
        k = s * np.sqrt(np.pi / 2)
        tlo, thi = (lo - np.real(mu)) / np.real(s), (hi - np.real(mu)) / np.real(s)
        z, zlo = (x - mu) / (s * _SQRT2), (lo - mu) / (s * _SQRT2)
        if tlo > 0:  # range in the upper tail
            return k * (erfc(zlo) - erfc(z))
        if thi < 0:  # lower tail
            return k * (erfc(-z) - erfc(-zlo))
        return k * (erf(z) - erf(zlo))

    def _guess_events(self, ev: NDArray) -> dict[str, float]:
        return {"mu": float(np.median(ev)), "sigma": _mad_sigma(ev)}

    def _curve(self) -> Any:
        from ._peaks import Gaussian
        return Gaussian()

    def _from_curve(self, g: dict[str, float]) -> dict[str, float]:
        return {"mu": g["mu"], "sigma": abs(g["sigma"])}


class Cauchy(Density):
    """The Cauchy density ``1/(1 + ((x - mu)/gamma)^2)`` normalised on the range.

    Parameters
    ----------
    range : (float, float)
        The finite interval ``lo < hi`` that normalises the Cauchy shape (its tails
        have no finite cut of their own).

    Examples
    --------
    On (-1, 1) with ``gamma = 1`` the norm is ``2 atan(1) = pi/2``, so the pdf is ``2/pi``
    at the centre, and half the probability lies below it:

    >>> import numpy as np
    >>> from thetahat.models import CauchyDensity
    >>> d = CauchyDensity((-1.0, 1.0))
    >>> round(float(d.pdf(0.0, 0.0, 1.0)), 6), round(2 / np.pi, 6), float(d.cdf(0.0, 0.0, 1.0))
    (0.63662, 0.63662, 0.5)
    """

    name = "cauchy"
    parameters = ("mu", "gamma")
    role = "peak"
    _limits = {"gamma": (0.0, INF)}

    def _shape(self, x: NDArray, p: tuple) -> NDArray:
        mu, g = p
        return 1.0 / (1.0 + ((x - mu) / g) ** 2)

    def _integral(self, x: NDArray, p: tuple) -> NDArray:
        mu, g = p
        return g * (np.arctan((x - mu) / g) - np.arctan((self.range[0] - mu) / g))

    def _guess_events(self, ev: NDArray) -> dict[str, float]:
        q1, q2, q3 = np.percentile(ev, [25, 50, 75])
        return {"mu": float(q2), "gamma": float(q3 - q1) / 2 or 1.0}

    def _curve(self) -> Any:
        from ._peaks import Lorentzian
        return Lorentzian()

    def _from_curve(self, g: dict[str, float]) -> dict[str, float]:
        return {"mu": g["mu"], "gamma": abs(g["gamma"])}


class CrystalBall(Density):
    """The Crystal Ball shape (Gaussian core, power-law low tail) normalised on the range.

    Parameters
    ----------
    range : (float, float)
        The interval, ``lo < hi`` and both finite, over which the tail and the core
        integrate to 1.

    Examples
    --------
    scipy's ``crystalball`` (normalised on the real line) divided by its probability in
    the range is the oracle:

    >>> from scipy.stats import crystalball
    >>> from thetahat.models import CrystalBallDensity
    >>> x, lo, hi = [-6.0, -1.0, 2.0], -8.0, 4.0
    >>> v = CrystalBallDensity((lo, hi)).pdf(x, 0.5, 1.5, 1.2, 3.0)
    >>> cb = crystalball(1.2, 3.0, loc=0.5, scale=1.5)
    >>> bool(abs(v - cb.pdf(x) / (cb.cdf(hi) - cb.cdf(lo))).max() < 1e-12)
    True
    """

    name = "crystalball"
    parameters = ("mu", "sigma", "alpha", "n")
    role = "peak"
    _limits = {"sigma": (0.0, INF), "alpha": (0.0, INF), "n": (1.0, INF)}

    def _shape(self, x: NDArray, p: tuple) -> NDArray:
        mu, s, al, n = p
        t = (x - mu) / s
        tail = np.real(t) <= -np.real(al)
        bt = np.where(tail, n / al - al - t, 1.0)
        lna = n * np.log(n / al) - 0.5 * al * al
        return np.where(tail, np.exp(lna - n * np.log(bt)), np.exp(-0.5 * t * t))

    def _prim(self, x: NDArray, p: tuple) -> NDArray:
        """An antiderivative in x (continuous at the junction)."""
        mu, s, al, n = p
        t = (x - mu) / s
        tail = np.real(t) <= -np.real(al)
        bt = np.where(tail, n / al - al - t, 1.0)
        lna = n * np.log(n / al) - 0.5 * al * al
        i_tail = np.exp(lna + (1 - n) * np.log(bt)) / (n - 1)
        i_join = (n / al) * np.exp(-0.5 * al * al) / (n - 1)
        core = i_join + 0.5 * _SQRT2PI * (erf(t / _SQRT2) - erf(-al / _SQRT2))
        return s * np.where(tail, i_tail, core)

    def _integral(self, x: NDArray, p: tuple) -> NDArray:
        return self._prim(x, p) - self._prim(np.array([self.range[0]]), p)[0]

    def _guess_events(self, ev: NDArray) -> dict[str, float]:
        mu = float(np.median(ev))
        return {"mu": mu, "sigma": _mad_sigma(ev), "alpha": 1.5, "n": 3.0}

    def _curve(self) -> Any:
        from ._peaks import CrystalBall as C
        return C()

    def _from_curve(self, g: dict[str, float]) -> dict[str, float]:
        return {"mu": g["mu"], "sigma": abs(g["sigma"]), "alpha": g["alpha"], "n": g["n"]}


class Legendre(Density):
    """``(1 + sum a_j P_j(u)) / (hi - lo)``, a polynomial background of degree ``k``.

    ``u = 2 (x - lo) / (hi - lo) - 1`` maps the range onto [-1, 1], where the Legendre
    polynomials ``P_j`` integrate to 0, so the density is normalised for any ``a_j``.

    Parameters
    ----------
    degree : int
        The degree ``k >= 1``; the parameters are ``a1 ... ak``.
    range : (float, float)
        The interval ``(lo, hi)``, finite with ``lo < hi``, on which the pdf is normalised.

    Raises
    ------
    ValueError
        If ``degree`` is not an integer >= 1, or ``range`` is not finite with ``lo < hi``.

    Examples
    --------
    Degree 1 on (0, 2): ``(1 + a1 u)/2`` with ``u = x - 1``; normalised for any ``a1``:

    >>> from thetahat.models import LegendreDensity
    >>> d = LegendreDensity(1, (0.0, 2.0))
    >>> d.parameters, d.pdf([0.0, 2.0], 0.5).tolist(), float(d.cdf(2.0, 0.5))
    (('a1',), [0.25, 0.75], 1.0)
    """

    role = "background"

    def __init__(self, degree: int, range: Any) -> None:
        super().__init__(range)
        if int(degree) != degree or degree < 1:
            raise ValueError(f"degree = {degree!r} must be an integer >= 1")
        self.degree = int(degree)
        self.name = f"poly{self.degree}"
        self.parameters = tuple(f"a{j}" for j in builtins.range(1, self.degree + 1))

    def _u(self, x: NDArray) -> NDArray:
        lo, hi = self.range
        return 2 * (x - lo) / (hi - lo) - 1

    def _shape(self, x: NDArray, p: tuple) -> NDArray:
        return np.polynomial.legendre.legval(self._u(x), (1.0, *p)) + 0 * x

    def _integral(self, x: NDArray, p: tuple) -> NDArray:
        lo, hi = self.range
        u = self._u(x)
        c = np.zeros(self.degree + 2, dtype=complex if any(np.iscomplexobj(v) for v in p)
                     else float)
        for j, a in enumerate((1.0, *p)):  # int_{-1}^u P_j = (P_{j+1} - P_{j-1})/(2j+1)
            c[j + 1] += a / (2 * j + 1)
            if j >= 1:
                c[j - 1] -= a / (2 * j + 1)
            else:
                c[0] += a  # int_{-1}^u P_0 = u + 1
        return 0.5 * (hi - lo) * np.polynomial.legendre.legval(u, c) + 0 * x

    def _guess_events(self, ev: NDArray) -> dict[str, float]:
        u = self._u(ev)
        # E[P_j(u)] = a_j / (2j + 1) under the uniform weight on [-1, 1]
        return {f"a{j}": float((2 * j + 1) * np.mean(np.polynomial.legendre.legval(
            u, [0] * j + [1]))) for j in builtins.range(1, self.degree + 1)}

    def _curve(self) -> Any:
        from ._curves import Polynomial
        return Polynomial(self.degree)

    def _from_curve(self, g: dict[str, float]) -> dict[str, float]:
        curve = self._curve()
        lo, hi = self.range
        x = np.linspace(lo, hi, 2001)
        y = curve(x, *[g[n] for n in curve.parameters])
        coef = np.polynomial.legendre.legfit(self._u(x), y, self.degree)
        base = coef[0] if coef[0] != 0 else 1.0
        return {f"a{j}": float(coef[j] / base) for j in builtins.range(1, self.degree + 1)}


class Uniform(Density):
    """The constant density ``1/(hi - lo)`` on the range (no parameters).

    Parameters
    ----------
    range : (float, float)
        ``(lo, hi)``: the pdf is ``1/(hi - lo)`` inside and 0 outside.

    Examples
    --------
    >>> from thetahat.models import UniformDensity
    >>> d = UniformDensity((0.0, 4.0))
    >>> d.parameters, float(d.pdf(3.0)), float(d.cdf(1.0)), float(d.pdf(5.0))
    ((), 0.25, 0.25, 0.0)
    """

    name = "uniform"
    parameters = ()
    role = "background"

    def _shape(self, x: NDArray, p: tuple) -> NDArray:
        return np.ones_like(x)

    def _integral(self, x: NDArray, p: tuple) -> NDArray:
        return x - self.range[0]

    def _guess_events(self, ev: NDArray) -> dict[str, float]:
        return {}

    def _curve(self) -> Any:
        from ._curves import Constant
        return Constant()

    def _from_curve(self, g: dict[str, float]) -> dict[str, float]:
        return {}
