"""Thermal distributions (Bose-Einstein, Fermi-Dirac, Maxwell-Boltzmann) with gradients.

With ``v = (x - mu)/kt`` (``mu`` the chemical potential, ``kt`` the temperature in the
units of ``x``) and a scale ``a``:

- ``bose``: ``a/(exp(v) - 1)`` (defined for ``v > 0``). ``df/da = 1/expm1(v)``,
  ``df/dv = -a exp(v)/expm1(v)^2 = -a/(expm1(v) (-expm1(-v)))``;
- ``fermi``: ``a/(exp(v) + 1) = a expit(-v)``. ``df/dv = -a e (1 - e)``, ``e = expit(-v)``;
- ``maxwell``: ``a exp(-v)``: ``a`` and ``mu`` are degenerate (only ``a exp(mu/kt)`` is
  determined), so ``mu`` is in ``fixed`` and guessed at the smallest x (the ``expo`` form).

and ``dv/dmu = -1/kt``, ``dv/dkt = -v/kt``. lmfit's ``ThermalDistributionModel`` writes
``1/(A exp(v) -+ 1)``, whose ``A`` and ``mu`` are degenerate; here the scale multiplies the
whole curve instead, and the lmfit curve is the one with ``a = 1``.

Guesses. ``fermi`` is a falling logistic step (the guess of ``step_logistic``). ``bose``:
``ln(1 + a/y) = (x - mu)/kt`` is a straight line in x for the right ``a``; for ``a`` on a
logarithmic grid from 1/100 to 100 times the largest y, a line through the points above
5 % of the maximum (weights ``y (y + a)/a``, the inverse error of the logarithm for equal
errors of y) gives ``mu`` and ``kt``, and the candidate (with ``mu`` below the
smallest x) closest to the data is kept.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from ._base import Model
from ._curves import Exponential
from ._steps import Step

__all__ = ["Bose", "Fermi", "Maxwell"]


class Bose(Model):
    """Bose-Einstein occupation ``a/(exp((x - mu)/kt) - 1)``.

    Examples
    --------
    ``a`` at ``x = mu + kt ln 2`` and ``a/2`` at ``mu + kt ln 3``:

    >>> import numpy as np
    >>> from thetahat.models import Bose
    >>> [round(float(v), 12) for v in Bose()(2 * np.log([2.0, 3.0]), 3.0, 0.0, 2.0)]
    [3.0, 1.5]
    """

    name = "bose"
    parameters = ("a", "mu", "kt")
    formula = "a / (exp((x-mu)/kt) - 1)"

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, kt = p
        return a / np.expm1((x - mu) / kt)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, kt = p
        v = (x - mu) / kt
        em = np.expm1(v)
        dv = -a / (em * -np.expm1(-v))
        return np.stack([1 / em, -dv / kt, -dv * v / kt])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        top = float(np.max(y))
        use = y > 0.05 * top  # the tail below 5 % of the maximum is mostly noise
        if top <= 0 or use.sum() < 3:
            return {"a": top if top > 0 else 1.0, "mu": float(x[0]) - 1.0,
                    "kt": float(np.ptp(x) or 1.0)}
        xu, yu = x[use], y[use]
        best = {"a": top, "mu": float(x[0]) - 1.0, "kt": float(np.ptp(x) or 1.0)}
        best_sse = np.inf
        for a in top * np.logspace(-2, 2, 41):
            # ln(1 + a/y) = (x - mu)/kt: a straight line in x for the right a; an error s
            # of y is an error a s/(y (y + a)) of the logarithm, hence the weights
            slope, icpt = np.polyfit(xu, np.log1p(a / yu), 1, w=yu * (yu + a) / a)
            if not slope > 0:
                continue
            g = {"a": float(a), "mu": float(-icpt / slope), "kt": float(1 / slope)}
            if g["mu"] >= x[0]:
                continue
            r = y - self._value(x, (g["a"], g["mu"], g["kt"]))
            sse = float(np.dot(r, r))
            if sse < best_sse:
                best, best_sse = g, sse
        return best


class Fermi(Model):
    """Fermi-Dirac occupation ``a/(exp((x - mu)/kt) + 1)``.

    Examples
    --------
    ``a/2`` at ``x = mu`` and ``a/4`` at ``mu + kt ln 3``:

    >>> import numpy as np
    >>> from thetahat.models import Fermi
    >>> [round(float(v), 12) for v in Fermi()([1.0, 1.0 + 2 * np.log(3.0)], 3.0, 1.0, 2.0)]
    [1.5, 0.75]
    """

    name = "fermi"
    parameters = ("a", "mu", "kt")
    formula = "a / (exp((x-mu)/kt) + 1)"

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, kt = p
        return a * expit(-(x - mu) / kt)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, kt = p
        v = (x - mu) / kt
        e = expit(-v)
        dv = -a * e * (1 - e)
        return np.stack([e, -dv / kt, -dv * v / kt])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        g = Step("logistic")._guess(x, y)  # a expit(-(x - mu)/kt): sigma = -kt
        return {"a": g["a"], "mu": g["mu"], "kt": -g["sigma"]}


class Maxwell(Exponential):
    """Maxwell-Boltzmann factor ``a exp(-(x - mu)/kt)`` (``mu`` fixed: degenerate with ``a``).

    Examples
    --------
    The guess puts ``mu`` at the smallest x, where ``a`` is the curve's value:

    >>> import numpy as np
    >>> from thetahat.models import Maxwell
    >>> x = np.linspace(1, 5, 9)
    >>> {k: round(v, 9) for k, v in Maxwell().guess(x, 4 * np.exp(-(x - 1) / 0.5)).items()}
    {'a': 4.0, 'mu': 1.0, 'kt': 0.5}
    """

    name = "maxwell"
    parameters = ("a", "mu", "kt")
    formula = "a exp(-(x-mu)/kt)"
    fixed = frozenset({"mu"})

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        g = super()._guess(x, y)
        return {"a": g["a"], "mu": g["b"], "kt": g["c"]}
