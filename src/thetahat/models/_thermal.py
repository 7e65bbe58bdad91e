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

Guesses. ``fermi`` is a falling logistic step (the guess of ``step_logistic``). ``bose``: a
line through ``ln y`` on the upper half of x gives the tail ``T(x) = C exp(-x/kt)``; at the smallest
``x0``, ``y0 = a/(u - 1)`` and ``T(x0) = a/u`` with ``u = exp((x0 - mu)/kt)``, so
``u = y0/(y0 - T(x0))`` (``u = 10`` when ``y0 <= T(x0)``), ``a = T(x0) u``,
``mu = x0 - kt ln u``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from ._base import Model
from ._curves import Exponential
from ._guess import log_linear
from ._steps import Step

__all__ = ["Bose", "Fermi", "Maxwell"]


class Bose(Model):
    """Bose-Einstein occupation ``a/(exp((x - mu)/kt) - 1)``."""

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
        half = x >= np.median(x)
        slope, icpt = log_linear(x[half], y[half])
        kt = -1.0 / slope if slope < 0 else float(np.ptp(x) or 1.0)
        x0, y0 = float(x[0]), float(y[0])
        tail = float(np.exp(icpt + slope * x0)) if slope < 0 else 0.5 * y0
        u = y0 / (y0 - tail) if y0 > tail > 0 else 10.0
        return {"a": tail * u, "mu": x0 - kt * float(np.log(u)), "kt": kt}


class Fermi(Model):
    """Fermi-Dirac occupation ``a/(exp((x - mu)/kt) + 1)``."""

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
    """Maxwell-Boltzmann factor ``a exp(-(x - mu)/kt)`` (``mu`` fixed: degenerate with ``a``)."""

    name = "maxwell"
    parameters = ("a", "mu", "kt")
    formula = "a exp(-(x-mu)/kt)"
    fixed = frozenset({"mu"})

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        g = super()._guess(x, y)
        return {"a": g["a"], "mu": g["b"], "kt": g["c"]}
