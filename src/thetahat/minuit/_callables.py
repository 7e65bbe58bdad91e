"""The user's callables as ``Minuit`` exposes them: ``Minuit.fcn`` / ``Minuit.grad`` take one
sequence of all parameter values (as iminuit's), whatever the cost's calling convention;
``g2`` and ``hessian`` are resolved like ``grad``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ArrayCall", "extra_derivative"]


class ArrayCall:
    """``fn`` called with one sequence of values ``x``: ``fn(x)`` for an array cost, else
    ``fn(*x)`` (several numbers are taken as that sequence, so that the object also works
    where the values are passed one by one); other attributes are those of ``fn``.

    Examples
    --------
    >>> f = ArrayCall(lambda a, b: a + b, array_call=False)
    >>> float(f([1.0, 2.0])), float(f(1.0, 2.0))
    (3.0, 3.0)
    """

    def __init__(self, fn: Callable, array_call: bool) -> None:
        self._fn = fn
        self._array_call = array_call

    def __call__(self, *args: Any) -> Any:
        x = np.asarray(args[0] if len(args) == 1 else args, dtype=float)
        return self._fn(x) if self._array_call else self._fn(*x)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fn, name)


def extra_derivative(fcn: Callable, value: Any, what: str) -> Callable | None:
    """The ``g2`` / ``hessian`` that ``value`` stands for: a callable as given, ``True``
    the cost's method of that name (ValueError if it has none), ``False`` / ``None``
    none (thetahat's own costs supply exact Hessians through their structure)."""
    if value is None or value is False:
        return None
    if value is True:
        fn = getattr(fcn, what, None)
        if not callable(fn):
            raise ValueError(f"{what}=True, but fcn provides no {what} method")
        return fn
    if not callable(value):
        raise ValueError(f"{what} must be callable, True, False or None, got "
                         f"{type(value).__name__}")
    return value
