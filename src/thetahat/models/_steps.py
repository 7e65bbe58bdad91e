"""Steps and rectangles (lmfit's four forms), with analytic gradients.

A unit step ``S(alpha)`` rising from 0 to 1, ``alpha = (x - mu)/sigma``, in one of four forms:

==============  ===================================  ===========================
form            ``S(alpha)``                         ``S'(alpha)``
==============  ===================================  ===========================
``linear``      ``min(1, max(0, alpha + 1/2))``      1 on (-1/2, 1/2), else 0
``erf``         ``(1 + erf(alpha))/2``               ``exp(-alpha^2)/sqrt(pi)``
``arctan``      ``1/2 + atan(alpha)/pi``             ``1/(pi (1 + alpha^2))``
``logistic``    ``1/(1 + exp(-alpha))``              ``S (1 - S)``
==============  ===================================  ===========================

Each is 1/2 at ``alpha = 0`` (``mu`` is the half-way point), as in lmfit's ``step``.

- ``step_<form>``: ``a S((x - mu)/sigma)`` (``sigma < 0``: a falling step). ``df/da = S``,
  ``df/dmu = -a S'/sigma``, ``df/dsigma = -a S' alpha/sigma``. ``step`` is
  ``step_linear`` (lmfit's default form).
- ``rectangle_<form>``: ``a (S(alpha1) + S(alpha2) - 1)`` with ``alpha1 = (x - mu1)/sigma1``
  (the rising edge) and ``alpha2 = -(x - mu2)/sigma2`` (the falling edge);
  ``df/dmu1 = -a S'(alpha1)/sigma1``, ``df/dsigma1 = -a S'(alpha1) alpha1/sigma1``,
  ``df/dmu2 = a S'(alpha2)/sigma2``, ``df/dsigma2 = -a S'(alpha2) alpha2/sigma2``.
  ``rectangle`` is ``rectangle_linear``. (lmfit's linear ``rectangle`` is not this sum of two
  linear steps: it does not return to 0 outside the edges; the other three forms agree.)

The linear form has corners: the χ² of a fit is not smooth where a data point crosses one,
and MIGRAD can reach the minimum without meeting its EDM goal (the fit then says
``valid = False``); the erf, arctan and logistic forms are smooth.

Guess of a step: the level and the 25 %, 50 %, 75 % crossings (``step_quartiles``): ``mu``
at 50 %, and the distance between the 25 % and 75 % crossings is ``w sigma`` with
``w = 1/2`` (linear), ``2 erfinv(1/2)`` (erf), 2 (arctan), ``2 ln 3`` (logistic). A
rectangle is split at the middle of the points above half its level and each half guessed
as a step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf, erfinv, expit

from ._base import INF, Model
from ._guess import step_quartiles

__all__ = ["Step", "Rectangle", "STEP_FORMS"]

_SQRTPI = np.sqrt(np.pi)


def _linear(a: NDArray) -> tuple[NDArray, NDArray]:
    return np.clip(a + 0.5, 0.0, 1.0), (np.abs(a) < 0.5).astype(float)


def _erf(a: NDArray) -> tuple[NDArray, NDArray]:
    return 0.5 * (1 + erf(a)), np.exp(-a * a) / _SQRTPI


def _arctan(a: NDArray) -> tuple[NDArray, NDArray]:
    return 0.5 + np.arctan(a) / np.pi, 1 / (np.pi * (1 + a * a))


def _logistic(a: NDArray) -> tuple[NDArray, NDArray]:
    s = expit(a)
    return s, s * (1 - s)


# form -> (S and S', alpha distance from 25 % to 75 %, formula of S)
STEP_FORMS: dict[str, tuple[Callable, float, str]] = {
    "linear": (_linear, 0.5, "min(1, max(0, {t} + 1/2))"),
    "erf": (_erf, 2 * float(erfinv(0.5)), "(1 + erf({t}))/2"),
    "arctan": (_arctan, 2.0, "(1/2 + atan({t})/pi)"),
    "logistic": (_logistic, 2 * float(np.log(3.0)), "1/(1 + exp(-{t}))"),
}


def _form(form: str) -> str:
    if form not in STEP_FORMS:
        raise ValueError(f"form = {form!r} must be one of {sorted(STEP_FORMS)}")
    return form


class Step(Model):
    """``a S((x - mu)/sigma)``, a step from 0 to ``a`` of the given ``form``.

    Parameters
    ----------
    form : {"linear", "erf", "arctan", "logistic"}
        The shape ``S`` of the step (default ``"linear"``: a ramp of width ``sigma``).

    Raises
    ------
    ValueError
        If ``form`` is not one of these.

    Examples
    --------
    Half the height at ``mu``; the erf step is ``a (1 + erf(1))/2`` one ``sigma`` above:

    >>> from scipy.special import erf
    >>> from thetahat.models import Step
    >>> v = Step("erf")([1.0, 1.5], 2.0, 1.0, 0.5)
    >>> [round(float(t), 12) for t in v], round(1 + float(erf(1.0)), 12)
    ([1.0, 1.84270079295], 1.84270079295)
    """

    parameters = ("a", "mu", "sigma")
    role = "other"

    def __init__(self, form: str = "linear") -> None:
        self.form = _form(form)
        self.name = f"step_{form}"
        self.formula = "a * " + STEP_FORMS[form][2].format(t="(x-mu)/sigma")

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        return a * STEP_FORMS[self.form][0]((x - mu) / s)[0]

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, mu, s = p
        al = (x - mu) / s
        v, dv = STEP_FORMS[self.form][0](al)
        return np.stack([v, -a * dv / s, -a * dv * al / s])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        w = STEP_FORMS[self.form][1]
        a, q, rising = step_quartiles(x, y)
        s = float(q[2] - q[0]) / w
        if not s > 0:
            s = float(np.median(np.diff(x)))
        s = s if rising else -s
        return {"a": a, "mu": float(q[1]), "sigma": s}


class Rectangle(Model):
    """``a (S(alpha1) + S(alpha2) - 1)``: up at ``mu1``, down at ``mu2`` (module docstring).

    Parameters
    ----------
    form : {"linear", "erf", "arctan", "logistic"}
        The shape ``S`` of both edges (default ``"linear"``), as for :class:`Step`.

    Raises
    ------
    ValueError
        If ``form`` is not one of these.

    Examples
    --------
    Height ``a`` between the edges, half of it on the rising edge ``mu1``, 0 outside:

    >>> from thetahat.models import Rectangle
    >>> Rectangle("linear")([2.5, 0.0, 10.0], 3.0, 0.0, 1.0, 5.0, 1.0).tolist()
    [3.0, 1.5, 0.0]
    """

    parameters = ("a", "mu1", "sigma1", "mu2", "sigma2")
    role = "peak"
    _limits = {"sigma1": (0.0, INF), "sigma2": (0.0, INF)}

    def __init__(self, form: str = "linear") -> None:
        self.form = _form(form)
        self.name = f"rectangle_{form}"
        f = STEP_FORMS[form][2]
        self.formula = (f"a * ({f.format(t='(x-mu1)/sigma1')} + "
                        f"{f.format(t='(mu2-x)/sigma2')} - 1)")

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        a, m1, s1, m2, s2 = p
        step = STEP_FORMS[self.form][0]
        return a * (step((x - m1) / s1)[0] + step(-(x - m2) / s2)[0] - 1)

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        a, m1, s1, m2, s2 = p
        step = STEP_FORMS[self.form][0]
        a1, a2 = (x - m1) / s1, -(x - m2) / s2
        v1, d1 = step(a1)
        v2, d2 = step(a2)
        return np.stack([v1 + v2 - 1, -a * d1 / s1, -a * d1 * a1 / s1, a * d2 / s2,
                         -a * d2 * a2 / s2])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        top = y[int(np.argmax(np.abs(y)))]
        above = np.flatnonzero(np.abs(y) > 0.5 * abs(top))
        mid = int((above[0] + above[-1]) // 2) if above.size else x.size // 2
        mid = min(max(mid, 2), x.size - 3)
        step = Step(self.form)
        left = step._guess(x[:mid + 1], y[:mid + 1])
        right = step._guess(x[mid:], y[mid:])
        return {"a": 0.5 * (left["a"] + right["a"]), "mu1": left["mu"],
                "sigma1": abs(left["sigma"]), "mu2": right["mu"], "sigma2": abs(right["sigma"])}

    def _center_width(self, g: dict[str, float]) -> tuple[float, float]:
        return 0.5 * (g["mu1"] + g["mu2"]), 0.5 * abs(g["mu2"] - g["mu1"]) + abs(g["sigma2"])
