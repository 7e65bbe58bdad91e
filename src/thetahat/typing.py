"""Types for code that uses thetahat (and iminuit): the names of ``iminuit.typing``.

The protocols say what a user's callable must offer (:class:`Cost`, :class:`Model`, ...);
they are checked by mypy-like tools and, being ``runtime_checkable``, by ``isinstance``
(which tests only that the object is callable).

The annotations :class:`Gt`, :class:`Ge`, :class:`Lt`, :class:`Le` and :class:`Interval`
declare limits of a parameter in the style of the annotated-types library (which pydantic
uses); ``Minuit`` and :func:`thetahat.util.describe` read them, and any object with
``gt``/``ge``/``lt``/``le`` attributes works the same way. A slice works too:

>>> from thetahat.typing import Annotated, Gt, Interval
>>> from thetahat.util import describe
>>> def model(x, a: Annotated[float, Gt(0)], b: Annotated[float, Interval(gt=0, lt=1)],
...           c: Annotated[float, 0:10]): ...
>>> describe(model, annotations=True)
{'x': None, 'a': (0, inf), 'b': (0, 1), 'c': (0, 10)}

``Gt(0)`` and ``Ge(0)`` both give the limit 0: MINUIT's limits are closed intervals, so the
strict and the non-strict bound are the same limit to the minimizer.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, NamedTuple, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["UserBound", "Key", "Cost", "CostGradient", "CostVector", "Model",
           "ModelGradient", "LossFunction", "Interval", "Gt", "Ge", "Lt", "Le",
           "PositiveFloat", "Probability", "Annotated", "NDArray"]


class UserBound(NamedTuple):
    """A limit as a user gives it: ``(min, max)``, either may be None (no limit).

    Examples
    --------
    >>> UserBound(0, None).min
    0
    """

    min: float | None
    max: float | None


#: What indexes a view or a matrix: a position, a name, a slice, or a list of either.
Key = int | str | slice | list[int | str]


@runtime_checkable
class Cost(Protocol):
    """A cost function: ``fcn(*par) -> float`` (the value to minimize)."""

    def __call__(self, *args: float) -> float: ...  # pragma: no cover


@runtime_checkable
class CostVector(Protocol):
    """The gradient, G2 or Hessian of a cost: ``fn(*par) -> ndarray``."""

    def __call__(self, *args: float) -> np.ndarray: ...  # pragma: no cover


#: iminuit's name for :class:`CostVector` when it is a gradient.
CostGradient = CostVector


@runtime_checkable
class Model(Protocol):
    """A model: ``model(x, *par) -> ndarray`` (a density or a curve at the points x)."""

    def __call__(self, x: np.ndarray, *args: float) -> np.ndarray: ...  # pragma: no cover


@runtime_checkable
class ModelGradient(Protocol):
    """The gradient of a model: ``grad(x, *par) -> ndarray`` of shape (npar, len(x))."""

    def __call__(self, x: np.ndarray, *args: float) -> np.ndarray: ...  # pragma: no cover


@runtime_checkable
class LossFunction(Protocol):
    """A loss for least squares: ``rho(z) -> ndarray`` of the squared residuals z."""

    def __call__(self, z: np.ndarray) -> np.ndarray: ...  # pragma: no cover


@dataclasses.dataclass
class Gt:
    """Annotation: the parameter is greater than ``gt`` (annotated-types compatible).

    Examples
    --------
    >>> Gt(0).gt
    0
    """

    gt: float


@dataclasses.dataclass
class Ge:
    """Annotation: the parameter is at least ``ge`` (annotated-types compatible)."""

    ge: float


@dataclasses.dataclass
class Lt:
    """Annotation: the parameter is less than ``lt`` (annotated-types compatible)."""

    lt: float


@dataclasses.dataclass
class Le:
    """Annotation: the parameter is at most ``le`` (annotated-types compatible)."""

    le: float


@dataclasses.dataclass
class Interval:
    """Annotation: the parameter lies in an interval (annotated-types compatible).

    Examples
    --------
    >>> Interval(ge=0, le=1)
    Interval(gt=None, ge=0, lt=None, le=1)
    """

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None


#: A parameter > 0.
PositiveFloat = Annotated[float, Gt(0)]
#: A parameter in [0, 1].
Probability = Annotated[float, Interval(ge=0, le=1)]
