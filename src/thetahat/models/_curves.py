"""Smooth curve models (backgrounds and steps), with analytic gradients and guesses.

=================  ==========================================  =============================
name               f(x)                                        guess
=================  ==========================================  =============================
``constant``       ``c``                                       mean of y
``line``           ``a + b x``                                 least squares
``poly<n>``        ``c0 + c1 x + ... + cn x^n``                least squares (scaled x)
``expo``           ``a exp(-(x - b)/c)`` (the seed's form)     weighted line through ln y;
                                                               ``b`` = smallest x, fixed
``expo_rate``      ``a exp(-k x)``                             weighted line through ln y
``powerlaw``       ``a x^k`` (x > 0)                           weighted line in ln-ln
``sigmoid``        ``a / (1 + exp(-(x - mu)/s))``              level, half-level crossing,
                                                               25 % - 75 % distance
=================  ==========================================  =============================

In ``expo``, ``a`` and ``b`` are degenerate (``a exp(b/c)`` is the only combination the data
fix): the model lists ``b`` in ``fixed`` and its guess puts ``b`` at the smallest x, so ``a``
is the curve's value at the start of the range. Gradients:

- expo: ``df/da = f/a``, ``df/db = f/c``, ``df/dc = f (x - b)/c^2``;
- expo_rate: ``df/da = e^{-kx}``, ``df/dk = -x f``; powerlaw: ``df/dk = f ln x``;
- sigmoid with ``s = 1/(1 + e^{-t})``, ``t = (x - mu)/s``: ``df/da = s``,
  ``df/dmu = -a s (1 - s)/s``, ``df/ds = -a s (1 - s) t/s``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from ._base import INF, Model
from ._guess import log_linear

__all__ = ["Constant", "Line", "Polynomial", "Exponential", "ExponentialRate", "PowerLaw",
           "Sigmoid"]


class Constant(Model):
    name = "constant"
    parameters = ("c",)
    role = "background"

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        return np.full_like(x, p[0])

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        return np.ones((1,) + x.shape)

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        return {"c": float(np.mean(y))}


class Polynomial(Model):
    """``c0 + c1 x + … + cn x^n`` (ascending powers; ``np.polyval`` order is reversed)."""

    role = "background"

    def __init__(self, degree: int) -> None:
        if int(degree) != degree or degree < 0:
            raise ValueError(f"degree = {degree!r} must be an integer >= 0")
        self.degree = int(degree)
        self.name = f"poly{self.degree}"
        self.parameters = tuple(f"c{k}" for k in range(self.degree + 1))

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        return np.polynomial.polynomial.polyval(x, p) + 0.0 * x

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        return np.stack([x**k for k in range(self.degree + 1)])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        deg = min(self.degree, x.size - 1)
        # fit in scaled u = (x - m)/h for conditioning, then expand back to powers of x
        m, h = float(np.mean(x)), float(np.ptp(x) / 2 or 1.0)
        cu = np.polynomial.polynomial.polyfit((x - m) / h, y, deg)
        px = np.polynomial.Polynomial(cu, domain=[m - h, m + h], window=[-1, 1])
        c = np.zeros(self.degree + 1)
        coef = px.convert().coef
        c[:coef.size] = coef
        return dict(zip(self.parameters, c))


class Line(Polynomial):
    """``a + b x``."""

    def __init__(self) -> None:
        super().__init__(1)
        self.name = "line"
        self.parameters = ("a", "b")


class Exponential(Model):
    """The seed's ``a exp(-(x - b)/c)``; ``b`` is a reference point (recommended fixed)."""

    name = "expo"
    parameters = ("a", "b", "c")
    role = "background"
    fixed = frozenset({"b"})
    _limits = {"a": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, b, c = p
        return a * np.exp(-(x - b) / c)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, b, c = p
        e = np.exp(-(x - b) / c)
        return np.stack([e, a * e / c, a * e * (x - b) / c**2])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        b = float(x[0])
        slope, icpt = log_linear(x - b, y)
        span = float(np.ptp(x) or 1.0)
        if abs(slope) < 1e-3 / span:  # flat: a decay length of 1000 spans
            slope = -1e-3 / span
        return {"a": float(np.exp(icpt)), "b": b, "c": -1.0 / slope}


class ExponentialRate(Model):
    """``a exp(-k x)``."""

    name = "expo_rate"
    parameters = ("a", "k")
    role = "background"
    _limits = {"a": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        return p[0] * np.exp(-p[1] * x)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        e = np.exp(-p[1] * x)
        return np.stack([e, -x * p[0] * e])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        slope, icpt = log_linear(x, y)
        return {"a": float(np.exp(icpt)), "k": -slope}


class PowerLaw(Model):
    """``a x^k`` for ``x > 0``."""

    name = "powerlaw"
    parameters = ("a", "k")
    role = "background"
    _limits = {"a": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        return p[0] * np.power(x, p[1])

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        f = np.power(x, p[1])
        return np.stack([f, p[0] * f * np.log(x)])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        pos = x > 0
        if pos.sum() < 2:
            raise ValueError("powerlaw needs at least 2 points with x > 0 to guess")
        slope, icpt = log_linear(np.log(x[pos]), y[pos])
        return {"a": float(np.exp(icpt)), "k": slope}


class Sigmoid(Model):
    """Logistic step ``a / (1 + exp(-(x - mu)/s))``; ``s < 0`` gives a falling step."""

    name = "sigmoid"
    parameters = ("a", "mu", "s")
    role = "other"

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        return a * expit((x - mu) / s)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        t = (x - mu) / s
        e = expit(t)
        d = a * e * (1 - e) / s
        return np.stack([e, -d, -d * t])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        k = max(1, x.size // 10)
        left, right = float(np.mean(y[:k])), float(np.mean(y[-k:]))
        rising = abs(right) >= abs(left)
        a = right if rising else left
        if a == 0:
            a = float(np.max(np.abs(y))) or 1.0
        frac = np.clip(y / a, 0, 1)
        if not rising:
            frac = 1 - frac
        # monotone envelope, then interpolate the 25 %, 50 %, 75 % crossings
        env = np.maximum.accumulate(frac)
        q = np.interp([0.25, 0.5, 0.75], env + np.arange(env.size) * 1e-12, x)
        spread = float(q[2] - q[0]) / (2 * np.log(3.0))
        if not spread > 0:
            spread = float(np.median(np.diff(x)))
        return {"a": a, "mu": float(q[1]), "s": spread if rising else -spread}
