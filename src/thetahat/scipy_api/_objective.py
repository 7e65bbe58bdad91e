"""The user's scalar cost as ``minimize``'s own solvers see it.

:class:`Objective` wraps ``fun(x, *args)``: it counts calls (``nfev``) and gradient
evaluations (``njev``), hands ``fun`` the point in the floating type of ``x0`` (scipy
keeps a float32 ``x0`` float32), insists on a scalar value (a one-element array counts,
as in scipy) and supplies the gradient:

- ``jac=True``: ``fun`` returns ``(f, g)``;
- a callable ``jac(x, *args)`` returns ``g``;
- otherwise forward differences ``g_i = (f(x + h_i e_i) - f(x)) / h_i`` with scipy's
  absolute step ``h = eps`` (option ``eps``) or the relative step
  ``h_i = r sign(x_i) max(1, |x_i|)`` when ``finite_diff_rel_step=r`` is given; steps
  flip sign to stay inside bounds.  ``jac='3-point'`` uses central differences,
  ``jac='cs'`` the complex step ``g_i = Im f(x + i h e_i) / h``.  Each difference
  gradient costs ``n`` (``2n`` central) calls on top of ``f(x)``, counted in ``nfev`` as
  scipy does.

:func:`check_x0` reads the start point with scipy's rules (one dimension; integers become
float; a floating type is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..derivatives.gradient import central_gradient, complex_step_gradient, forward_gradient
from ._fronts import check_finite

__all__ = ["Objective", "check_x0", "SCALAR_MESSAGE"]

_EPS = np.finfo(float).eps

SCALAR_MESSAGE = "The user-provided objective function must return a scalar value."
"""scipy's words (ValueError) for a ``fun`` that returns an array of more than one value."""

_JAC_MODES = {"2-point": "fd2", "3-point": "fd3", "cs": "cs"}


def check_x0(x0: Any) -> np.ndarray:
    """The start point as a 1-d array, as scipy reads it.

    Parameters
    ----------
    x0 : array_like
        A scalar or a 1-d sequence of real numbers.

    Returns
    -------
    ndarray, shape (n,)
        A new array; integer and boolean entries become float64, a floating type (float32)
        is kept.

    Raises
    ------
    ValueError
        ``'x0' must only have one dimension.`` (scipy's words) for a 2-d ``x0``; an empty
        ``x0``; a NaN or infinite entry (named).
    TypeError
        Entries that are not real numbers.

    Examples
    --------
    >>> check_x0(3).tolist(), check_x0(np.float32([1, 2])).dtype
    ([3.0], dtype('float32'))
    """
    arr = np.atleast_1d(np.asarray(x0))
    if arr.ndim != 1:
        raise ValueError(f"'x0' must only have one dimension. (got shape {arr.shape})")
    if arr.dtype.kind != "f":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError) as e:
            raise TypeError(f"x0 must be a sequence of real numbers, got {x0!r}") from e
        if arr.dtype.kind != "f":  # pragma: no cover - astype(float) gives float
            raise TypeError(f"x0 must be real, got {x0!r}")
    if arr.size == 0:
        raise ValueError("x0 must not be empty")
    # scipy runs on and reports status 3; a start that cannot be evaluated is an input error
    check_finite(arr, "x0", message="{entry} is not finite; start values must be finite")
    return np.array(arr)


class Objective:
    """The user's cost with counting, a scalar check and a gradient.

    ``f(x)`` returns the value; ``fg(x)`` value and gradient (by differences if needed).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args)``.
    jac : None, False, True, callable, '2-point', '3-point' or 'cs'
        How the gradient is obtained (see the module docstring).
    args : tuple
        Extra arguments of ``fun`` and ``jac``.
    eps : float
        Absolute difference step.
    rel_step : float or None
        Relative difference step; overrides ``eps``.
    lower, upper : ndarray, shape (n,)
        Bounds (difference steps stay inside them).
    dtype : numpy dtype, optional
        The floating type in which ``fun`` receives ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> obj = Objective(lambda x: float(x @ x), None, (), 1e-8, None,
    ...                 np.full(2, -np.inf), np.full(2, np.inf))
    >>> f, g = obj.fg(np.array([1.0, 2.0]))
    >>> f, np.round(g, 5).tolist(), obj.nfev
    (5.0, [2.0, 4.0], 3)
    """

    def __init__(self, fun: Callable, jac: Any, args: tuple, eps: float,
                 rel_step: float | None, lower: np.ndarray, upper: np.ndarray,
                 dtype: Any = float) -> None:
        self.fun, self.args = fun, args
        if jac is True:
            self.jac_mode = "fun"
        elif callable(jac):
            self.jac_mode = "callable"
        elif jac is None or jac is False:
            self.jac_mode = "fd2"
        elif isinstance(jac, str) and jac in _JAC_MODES:
            self.jac_mode = _JAC_MODES[jac]
        else:  # scipy silently uses forward differences here; a typo deserves an error
            raise ValueError(f"jac must be None, True, a callable, '2-point', '3-point' or "
                             f"'cs', got {jac!r}")
        self.jac = jac
        self.eps, self.rel_step = eps, rel_step
        self.lower, self.upper = lower, upper
        self.dtype = np.dtype(dtype)
        self.nfev = 0
        self.njev = 0
        self.last: tuple[np.ndarray, float, np.ndarray] | None = None  # x, f, gradient (jac=True)

    def _scalar(self, value: Any, x: np.ndarray) -> float:
        arr = np.asarray(value)
        if arr.size != 1:
            raise ValueError(f"{SCALAR_MESSAGE} (got an array of shape {arr.shape} at "
                             f"x={x!r})")
        try:
            return float(arr.reshape(()))
        except (TypeError, ValueError) as e:
            raise TypeError(f"fun must return a real scalar, got {value!r}") from e

    def _call(self, x: np.ndarray) -> Any:
        self.nfev += 1
        z = np.array(x) if np.iscomplexobj(x) else np.array(x, dtype=self.dtype)
        return self.fun(z, *self.args)

    def f(self, x: np.ndarray) -> float:
        """The cost at ``x`` (with ``jac=True`` the gradient is kept in ``last``)."""
        if self.jac_mode == "fun":
            out = self._call(x)
            try:
                value, grad = out
            except (TypeError, ValueError) as e:
                raise TypeError("with jac=True fun must return a pair (f, g), got "
                                f"{out!r}") from e
            self.njev += 1
            f = self._scalar(value, x)
            self.last = (x.copy(), f, np.asarray(grad, dtype=float).reshape(-1))
            return f
        return self._scalar(self._call(x), x)

    def _steps(self, x: np.ndarray) -> np.ndarray:
        if self.rel_step is not None:
            h = self.rel_step * np.where(x >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(x))
        else:
            h = np.full(x.shape, self.eps)
        h = (x + h) - x
        h = np.where(h == 0, np.sqrt(_EPS) * np.maximum(1.0, np.abs(x)), h)
        flip = (x + h > self.upper) & (x - h >= self.lower)
        return np.where(flip, -h, h)

    def grad(self, x: np.ndarray, f0: float) -> np.ndarray:
        """The gradient at ``x`` (``f0 = f(x)`` for forward differences)."""
        self.njev += 1
        if self.jac_mode == "callable":
            g = np.atleast_1d(np.asarray(self.jac(np.array(x, dtype=self.dtype), *self.args),
                                         dtype=float))
            if g.shape != x.shape:
                raise ValueError(f"jac must return an array of shape {x.shape}, got {g.shape}")
            return g
        if self.jac_mode == "cs":  # complex step: g_i = Im f(x + i h e_i) / h, no cancellation
            return complex_step_gradient(self._call, x)
        h = self._steps(x)
        if self.jac_mode == "fd3":
            return central_gradient(self._value, x, h)
        return forward_gradient(self._value, x, f0, h)

    def _value(self, x: np.ndarray) -> float:
        """The cost at ``x`` as a float (counted), for the difference schemes."""
        return self._scalar(self._call(x), x)

    def fg(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Value and gradient at ``x``."""
        if self.jac_mode == "fun":
            f = self.f(x)
            assert self.last is not None
            g = self.last[2]
            if g.shape != x.shape:
                raise ValueError(f"with jac=True fun must return (f, g) with g of shape "
                                 f"{x.shape}, got {g.shape}")
            return f, g
        f = self.f(x)
        return f, self.grad(x, f)
