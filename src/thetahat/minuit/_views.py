"""Views of Minuit's parameter state: ``values``, ``errors``, ``fixed``, ``limits``.

A view is indexable by name, position, slice, a list (or tuple) of names or positions, and
a boolean mask, and assignable with broadcasting, as in iminuit 2.x::

    m.values["a"] = 1.0            m.fixed[:] = True        m.fixed["mu", "sigma"] = True
    m.limits["x"] = (0, None)      m.limits = [(0, None), (0, 10)]

Views hold no data: they read and write the arrays of the :class:`~thetahat.Minuit` they
belong to, through ``_get`` / ``_set`` of one position.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["ValueView", "ErrorView", "FixedView", "LimitView"]


class _View:
    """Array-like view of one per-parameter property of a :class:`~thetahat.Minuit`.

    Indexed by position, name, slice or a sequence of them; assigning writes through to
    the minimizer (iminuit's ``BasicView``).

    Parameters
    ----------
    minuit : Minuit
        The minimizer whose state the view reads and writes (views are made by
        :class:`~thetahat.Minuit`, not by users).

    Examples
    --------
    >>> from thetahat import Minuit
    >>> from thetahat.util import BasicView
    >>> m = Minuit(lambda x, y: (x - 2) ** 2 + (y - 1) ** 2, x=0, y=0).migrad()
    >>> isinstance(m.values, BasicView), [round(v, 6) for v in m.values], len(m.errors)
    (True, [2.0, 1.0], 2)
    """
    _kind = ""

    def __init__(self, minuit: Any) -> None:
        self._minuit = minuit

    # positions ---------------------------------------------------------------------------
    def _names(self) -> tuple[str, ...]:
        return self._minuit._pos2var

    def _pos(self, key: Any) -> int:
        names = self._names()
        if isinstance(key, str):
            try:
                return self._minuit._var2pos[key]
            except KeyError:
                raise KeyError(f"unknown parameter {key!r}; valid names: {list(names)}") \
                    from None
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            i = int(key)
            if i < 0:
                i += len(names)
            if not 0 <= i < len(names):
                raise IndexError(f"parameter index {key} out of range for {len(names)} "
                                 "parameters")
            return i
        raise TypeError(f"cannot index parameters with {key!r}")

    def _positions(self, key: Any) -> list[int] | None:
        """Positions selected by ``key``, or None if ``key`` selects a single parameter."""
        n = len(self._names())
        if isinstance(key, slice):
            return list(range(n))[key]
        if key is Ellipsis:
            return list(range(n))
        if isinstance(key, (list, tuple, np.ndarray)):
            arr = np.asarray(key) if not isinstance(key, tuple) else None
            if arr is not None and arr.dtype == bool:
                if arr.shape != (n,):
                    raise IndexError(f"boolean mask has length {arr.size}, expected {n}")
                return list(np.flatnonzero(arr))
            return [self._pos(k) for k in key]
        return None

    # access ------------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        pos = self._positions(key)
        if pos is None:
            return self._get(self._pos(key))
        return [self._get(i) for i in pos]

    def __setitem__(self, key: Any, value: Any) -> None:
        pos = self._positions(key)
        if pos is None:
            self._set(self._pos(key), value)
            return
        if self._is_scalar(value):
            for i in pos:
                self._set(i, value)
            return
        value = list(value)
        if len(value) != len(pos):
            raise ValueError(f"{self._kind}: length of argument ({len(value)}) does not "
                             f"match the number of selected parameters ({len(pos)})")
        for i, v in zip(pos, value):
            self._set(i, v)

    @staticmethod
    def _is_scalar(value: Any) -> bool:
        return np.ndim(value) == 0

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self._get(i)

    def __eq__(self, other: Any) -> bool:
        try:
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        except TypeError:
            return NotImplemented

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(list(self), dtype=dtype)

    def to_dict(self) -> dict[str, Any]:
        """The view as a dict from parameter name to value.

        Returns
        -------
        dict
            Parameter name to value, in positional order.

        Examples
        --------
        >>> from thetahat import Minuit
        >>> m = Minuit(lambda x, y: (x - 2) ** 2 + 4 * (y - 1) ** 2, x=0, y=0).migrad()
        >>> {k: round(v, 6) for k, v in m.errors.to_dict().items()}
        {'x': 1.0, 'y': 0.5}
        """
        return {k: self._get(i) for i, k in enumerate(self._names())}

    def __repr__(self) -> str:
        body = " ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"<{type(self).__name__} {body}>"

    def _get(self, i: int) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _set(self, i: int, value: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class ValueView(_View):
    """Parameter values (``m.values``).

    Parameters
    ----------
    minuit : Minuit

    Examples
    --------
    Assigning sets the start of the next minimization:

    >>> from thetahat import Minuit
    >>> m = Minuit(lambda x: (x - 2) ** 2, x=0)
    >>> m.values["x"] = 1.5
    >>> float(m.values["x"]), round(float(m.migrad().values["x"]), 6)
    (1.5, 2.0)
    """

    _kind = "values"

    def _get(self, i: int) -> float:
        return float(self._minuit._values[i])

    def _set(self, i: int, value: Any) -> None:
        # as iminuit: a value outside the limits is moved onto the nearest limit, and a
        # NaN is accepted (the next fit then reports invalid parameters)
        v = float(value)
        lo, hi = self._minuit._lower[i], self._minuit._upper[i]
        if v < lo or v > hi:
            v = min(max(v, lo), hi)
        self._minuit._values[i] = v


class ErrorView(_View):
    """Parameter errors, also the initial step sizes (``m.errors``).

    Parameters
    ----------
    minuit : Minuit

    Examples
    --------
    A step size before the fit, the HESSE error after it (``1/sqrt(3)`` for ``3 x^2``):

    >>> from thetahat import Minuit
    >>> m = Minuit(lambda x: 3 * x**2, x=1)
    >>> m.errors["x"] = 0.5
    >>> float(m.errors["x"]), round(float(m.migrad().errors["x"]), 6), round(3**-0.5, 6)
    (0.5, 0.57735, 0.57735)
    """

    _kind = "errors"

    def _get(self, i: int) -> float:
        return float(self._minuit._errors[i])

    def _set(self, i: int, value: Any) -> None:
        v = float(value)
        if not (np.isfinite(v) and v > 0):
            # iminuit's rule: warn and use the default step (1 % of the value, else 0.1)
            self._minuit._warn("Assigned errors must be positive. Non-positive values are "
                          f"replaced by a heuristic (errors[{self._names()[i]!r}] = "
                          f"{value!r})")
            x = self._minuit._values[i]
            v = 0.01 * abs(x) if x != 0 and np.isfinite(x) else 0.1
        self._minuit._errors[i] = v


class FixedView(_View):
    """Fixed flags (``m.fixed``); ``None`` counts as False, as in iminuit.

    Parameters
    ----------
    minuit : Minuit

    Examples
    --------
    A fixed parameter keeps its start value; ``~m.fixed`` marks the free ones:

    >>> from thetahat import Minuit
    >>> m = Minuit(lambda x, y: (x - 2) ** 2 + (y - 1) ** 2, x=0, y=0)
    >>> m.fixed["y"] = True
    >>> (~m.fixed).tolist(), [round(v, 6) for v in m.migrad().values]
    ([True, False], [2.0, 0.0])
    """

    _kind = "fixed"

    def _get(self, i: int) -> bool:
        return bool(self._minuit._fixed[i])

    def _set(self, i: int, value: Any) -> None:
        self._minuit._fixed[i] = bool(value) if value is not None else False

    def __invert__(self) -> np.ndarray:
        return ~np.array(self._minuit._fixed, dtype=bool)


class LimitView(_View):
    """Limits as ``(lower, upper)`` pairs with ±inf for no limit (``m.limits``).

    Parameters
    ----------
    minuit : Minuit

    Examples
    --------
    ``None`` is read as no limit:

    >>> from thetahat import Minuit
    >>> m = Minuit(lambda x, y: x**2 + y**2, x=1, y=1)
    >>> m.limits["x"] = (0, None)
    >>> m.limits["x"], m.limits["y"]
    ((0.0, inf), (-inf, inf))
    """

    _kind = "limits"

    @staticmethod
    def _is_scalar(value: Any) -> bool:
        # a single pair (or None) broadcasts; a sequence of pairs assigns one by one
        if value is None:
            return True
        try:
            items = list(value)
        except TypeError:
            return True
        return len(items) == 2 and all(v is None or np.ndim(v) == 0 for v in items)

    def _get(self, i: int) -> tuple[float, float]:
        return (float(self._minuit._lower[i]), float(self._minuit._upper[i]))

    def _set(self, i: int, value: Any) -> None:
        name = self._names()[i]
        if value is None:
            lo, hi = -np.inf, np.inf
        else:
            try:
                lo, hi = value
            except (TypeError, ValueError):
                raise ValueError(f"limits[{name!r}] must be a pair (lower, upper), got "
                                 f"{value!r}") from None
            lo = -np.inf if lo is None else float(lo)
            hi = np.inf if hi is None else float(hi)
        if np.isnan(lo) or np.isnan(hi) or lo > hi:
            raise ValueError(f"limits[{name!r}] = ({lo}, {hi}): lower must be < upper")
        self._minuit._lower[i] = lo
        self._minuit._upper[i] = hi
        v = self._minuit._values[i]
        if v < lo or v > hi:  # moved onto the nearest limit, silently as in iminuit
            self._minuit._values[i] = min(max(v, lo), hi)
        if lo == hi:  # equal limits fix the parameter there, as in iminuit
            self._minuit._fixed[i] = True
