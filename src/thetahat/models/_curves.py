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
``sine``           ``a sin(omega x + phi)``                    periodogram peak, refined by
                                                               linear least squares
=================  ==========================================  =============================

In ``expo``, ``a`` and ``b`` are degenerate (``a exp(b/c)`` is the only combination the data
fix): the model lists ``b`` in ``fixed`` and its guess puts ``b`` at the smallest x, so ``a``
is the curve's value at the start of the range. Gradients:

- expo: ``df/da = f/a``, ``df/db = f/c``, ``df/dc = f (x - b)/c^2``;
- expo_rate: ``df/da = e^{-kx}``, ``df/dk = -x f``; powerlaw: ``df/dk = f ln x``;
- sigmoid with ``s = 1/(1 + e^{-t})``, ``t = (x - mu)/s``: ``df/da = s``,
  ``df/dmu = -a s (1 - s)/s``, ``df/ds = -a s (1 - s) t/s``;
- sine: ``df/da = sin(omega x + phi)``, ``df/domega = a x cos(.)``, ``df/dphi = a cos(.)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from ._base import INF, Model
from ._guess import log_linear
from ._steps import Step

__all__ = ["Constant", "Line", "Polynomial", "Exponential", "ExponentialRate", "PowerLaw",
           "Sigmoid", "Sine"]


class Constant(Model):
    """``c``, a constant level; its guess is the mean of y.

    Examples
    --------
    >>> from thetahat.models import Constant
    >>> m = Constant()
    >>> m([0.0, 5.0], 2.5).tolist(), m.guess([0, 1, 2], [1.0, 2.0, 6.0])
    ([2.5, 2.5], {'c': 3.0})
    """

    name = "constant"
    formula = "c"
    parameters = ("c",)
    role = "background"

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        return np.full_like(x, p[0])

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        return np.ones((1,) + x.shape)

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        return {"c": float(np.mean(y))}


class Polynomial(Model):
    """``c0 + c1 x + … + cn x^n`` (ascending powers; ``np.polyval`` order is reversed).

    Parameters
    ----------
    degree : int
        The degree ``n >= 0``; the parameters are ``c0 ... cn``.

    Raises
    ------
    ValueError
        If ``degree`` is not an integer >= 0.

    Examples
    --------
    ``1 - 3 x + 0.5 x^2`` at ``x = 2`` is ``1 - 6 + 2 = -3``; the guess of exact data is the
    least-squares solution, the coefficients themselves:

    >>> import numpy as np
    >>> from thetahat.models import Polynomial
    >>> p = Polynomial(2)
    >>> p.parameters, float(p(2.0, 1.0, -3.0, 0.5))
    (('c0', 'c1', 'c2'), -3.0)
    >>> x = np.linspace(-1, 4, 11)
    >>> {k: round(v, 9) for k, v in p.guess(x, 1 - 3 * x + 0.5 * x**2).items()}
    {'c0': 1.0, 'c1': -3.0, 'c2': 0.5}
    """

    role = "background"

    def __init__(self, degree: int) -> None:
        if int(degree) != degree or degree < 0:
            raise ValueError(f"degree = {degree!r} must be an integer >= 0")
        self.degree = int(degree)
        self.name = f"poly{self.degree}"
        self.parameters = tuple(f"c{k}" for k in range(self.degree + 1))
        self.formula = " + ".join(["c0", "c1 x"][:self.degree + 1]
                                  + [f"c{k} x^{k}" for k in range(2, self.degree + 1)])

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
    """``a + b x``; its guess is the least-squares line.

    Examples
    --------
    >>> from thetahat.models import Line
    >>> g = Line().guess([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0])
    >>> round(g["a"], 12), round(g["b"], 12), float(Line()(10.0, 1.0, 2.0))
    (1.0, 2.0, 21.0)
    """

    def __init__(self) -> None:
        super().__init__(1)
        self.name = "line"
        self.parameters = ("a", "b")
        self.formula = "a + b x"


class Exponential(Model):
    """The seed's ``a exp(-(x - b)/c)``; ``b`` is a reference point (recommended fixed).

    Examples
    --------
    One decay length ``c`` after ``b`` the curve is ``a / e``; the guess puts ``b`` at the
    smallest x, where ``a`` is the curve's value:

    >>> import numpy as np
    >>> from thetahat.models import Exponential
    >>> m = Exponential()
    >>> round(float(m(3.0, 2.0, 1.0, 2.0)), 6), round(2 / np.e, 6), m.fixed
    (0.735759, 0.735759, frozenset({'b'}))
    >>> x = np.linspace(1, 6, 11)
    >>> {k: round(v, 9) for k, v in m.guess(x, 5 * np.exp(-(x - 1) / 2)).items()}
    {'a': 5.0, 'b': 1.0, 'c': 2.0}
    """

    name = "expo"
    formula = "a exp(-(x-b)/c)"
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
    """``a exp(-k x)``; its guess is a weighted line through ``ln y``.

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat.models import ExponentialRate
    >>> x = np.linspace(0, 4, 9)
    >>> g = ExponentialRate().guess(x, 3 * np.exp(-0.5 * x))
    >>> round(g["a"], 9), round(g["k"], 9)
    (3.0, 0.5)
    """

    name = "expo_rate"
    formula = "a exp(-k x)"
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
    """``a x^k`` for ``x > 0``; its guess is a weighted line through ``(ln x, ln y)``.

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat.models import PowerLaw
    >>> x = np.linspace(1, 9, 9)
    >>> g = PowerLaw().guess(x, 3 * x**-1.5)
    >>> float(PowerLaw()(4.0, 3.0, 0.5)), round(g["a"], 9), round(g["k"], 9)
    (6.0, 3.0, -1.5)
    """

    name = "powerlaw"
    formula = "a x^k"
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
    """Logistic step ``a / (1 + exp(-(x - mu)/s))``; ``s < 0`` gives a falling step.

    Examples
    --------
    Half the level at ``mu``; ``a / (1 + e^-1)`` one ``s`` above it:

    >>> from thetahat.models import Sigmoid
    >>> m = Sigmoid()
    >>> float(m(1.0, 4.0, 1.0, 0.5)), round(float(m(1.5, 4.0, 1.0, 0.5)), 6)
    (2.0, 2.924234)
    """

    name = "sigmoid"
    formula = "a / (1 + exp(-(x-mu)/s))"
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
        # the same curve as step_logistic, with s for its sigma
        g = Step("logistic")._guess(x, y)
        return {"a": g["a"], "mu": g["mu"], "s": g["sigma"]}


class Sine(Model):
    """``a sin(omega x + phi)`` (``omega`` the angular frequency).

    Examples
    --------
    The guess of a clean sine recovers its amplitude, frequency and phase:

    >>> import numpy as np
    >>> from thetahat.models import Sine
    >>> x = np.linspace(0, 10, 201)
    >>> g = Sine().guess(x, 2 * np.sin(3 * x + 0.5))
    >>> round(g["a"], 2), round(g["omega"], 2), round(g["phi"], 2)
    (2.0, 3.0, 0.5)
    """

    name = "sine"
    parameters = ("a", "omega", "phi")
    formula = "a sin(omega x + phi)"
    _limits = {"omega": (0.0, INF)}

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, w, ph = p
        return a * np.sin(w * x + ph)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, w, ph = p
        c = np.cos(w * x + ph)
        return np.stack([np.sin(w * x + ph), a * x * c, a * c])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        # periodogram on a uniform resampling, refined on a fine grid around its peak by the
        # residual of the linear fit y ~ c1 sin(w x) + c2 cos(w x)
        n = x.size
        span = float(np.ptp(x)) or 1.0
        xu = np.linspace(x[0], x[-1], n)
        yu = np.interp(xu, x, y)
        spec = np.abs(np.fft.rfft(yu - yu.mean()))
        k = int(np.argmax(spec[1:])) + 1 if spec.size > 1 else 1
        w0 = 2 * np.pi * k * (n - 1) / (n * span)
        step = 2 * np.pi / span

        def lin(w: float) -> tuple[float, NDArray]:
            basis = np.stack([np.sin(w * x), np.cos(w * x)], axis=1)
            c, *_ = np.linalg.lstsq(basis, y, rcond=None)
            r = y - basis @ c
            return float(r @ r), c

        grid = np.linspace(max(w0 - step, 0.1 * step), w0 + step, 81)
        w = float(grid[int(np.argmin([lin(g)[0] for g in grid]))])
        c = lin(w)[1]
        return {"a": float(np.hypot(*c)), "omega": w, "phi": float(np.arctan2(c[1], c[0]))}
