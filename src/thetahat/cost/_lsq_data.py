"""The data of a least-squares cost (:mod:`._lsq`): the points ``(x, y, yerror)``.

- ``x`` has shape (n,) or (k, n) for a k-dimensional model input, ``y`` shape (n,), and
  ``yerror`` is a scalar or shape (n,); scalars broadcast (as iminuit).
- Every ``yerror`` is >= 0 and finite: an infinite error would give the point weight 0,
  so that it dropped out unseen while the fit looked valid; such a point is masked
  instead (the mask argument, or a ``numpy.ma.MaskedArray``, whose mask becomes the
  cost's).
- A 1-D histogram object as ``y`` is read as its ``values()``.
- The points are kept as one column-major block of rows ``(x..., y, yerror)``, of which
  ``x``, ``y``, ``yerror`` and ``data`` are contiguous views, so that in-place edits of any
  of them are seen by the cost (as iminuit); assigning one of them checks the new data and
  keeps the number of points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import check_finite, is_histogram, unmask

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

    from ..derivatives.model import FDCache

__all__ = ["PointData"]


def _unmasked(x: Any, y: Any, yerror: Any) -> tuple[tuple[Any, NDArray | None], ...]:
    """``unmask`` of the three inputs; a 1-D histogram object as ``y`` is its ``values()``
    (as iminuit reads a boost_histogram through the array protocol); as ``x`` or ``yerror``
    it is refused (TypeError naming the argument)."""
    if is_histogram(y):
        if len(y.axes) != 1:
            raise ValueError(f"y is a histogram with {len(y.axes)} axes; LeastSquares takes "
                             "one y value per point: pass the values flattened")
        y = np.asarray(y.values(), dtype=float)
    return unmask(x, label="x"), unmask(y, label="y"), unmask(yerror, 1.0, label="yerror")


class PointData:
    """The points of ``LeastSquares`` (module docstring); a mixin before ``MaskedCost``,
    whose mask and finite-difference cache it renews when the data change."""

    _fd_cache: FDCache
    _take_masks: Callable[..., None]  # MaskedCost's, in the class that uses this one

    def _update_cache(self) -> None:  # pragma: no cover - provided by the cost
        raise NotImplementedError

    @staticmethod
    def _checked_data(x: ArrayLike, y: ArrayLike, yerror: ArrayLike
                      ) -> tuple[NDArray, NDArray, NDArray]:
        """Positions, values and errors as arrays; scalars broadcast (as iminuit)."""
        x = np.array(x, dtype=float)
        y = np.array(y, dtype=float)
        if y.ndim == 0:
            y = y.reshape(1)
        if x.ndim == 0:
            x = np.full(y.shape, float(x))
        if y.ndim != 1:
            raise ValueError(f"y must be one-dimensional, got shape {y.shape}")
        n = y.size
        if x.ndim > 2 or x.shape[-1] != n:
            raise ValueError(f"shape mismatch: x has shape {x.shape} but y has {n} points "
                             "(x must have shape (n,) or (k, n))")
        ye = np.array(yerror, dtype=float)
        if ye.ndim == 0 or ye.shape == (1,):
            ye = np.full(n, float(ye.ravel()[0]))
        elif ye.shape != (n,):
            raise ValueError(f"shape mismatch: yerror has shape {ye.shape} but y has {n} "
                             "points")
        check_finite("x", x)
        bad = ~(ye >= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"yerror[{i}] = {ye[i]} must be >= 0")
        bad = np.isinf(ye)
        if bad.any():  # weight 0: the point would drop out unseen, and the fit look valid
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"yerror[{i}] = {ye[i]} is infinite: to leave the point out, mask "
                             "it (the mask argument, or a numpy.ma.MaskedArray)")
        return x, y, ye

    def _store(self, x: NDArray, y: NDArray, ye: NDArray) -> None:
        """Keep the data as one column-major block of rows (x..., y, yerror): ``x``, ``y``,
        ``yerror`` and ``data`` are contiguous views of it, so that in-place edits of any of
        them are seen by the cost (as iminuit)."""
        xs = x[:, None] if x.ndim == 1 else x.T
        self._data = np.asfortranarray(np.column_stack([xs, y, ye]))
        self._x = self._data[:, 0] if x.ndim == 1 else self._data[:, :-2].T
        self._y, self._ye = self._data[:, -2], self._data[:, -1]

    def _set_data(self, x: ArrayLike, y: ArrayLike, yerror: ArrayLike) -> None:
        (x, mx), (y, my), (yerror, me) = _unmasked(x, y, yerror)
        x, y, ye = self._checked_data(x, y, yerror)
        if y.shape != self._y.shape:
            raise ValueError(f"new data has {y.size} points, the cost has {self._y.size}")
        self._store(x, y, ye)
        self._fd_cache = type(self._fd_cache)()
        self._update_cache()
        self._take_masks(mx, my, me)

    @property
    def x(self) -> NDArray:
        """Positions (settable; the number of points cannot change).

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
        >>> c.x = [1.0, 2.0]  # the same y now lie on 1 + 2 (x - 1)
        >>> c.x.tolist(), c(-1.0, 2.0)
        ([1.0, 2.0], 0.0)
        """
        return self._x

    @x.setter
    def x(self, value: ArrayLike) -> None:
        self._set_data(value, self._y, self._ye)

    @property
    def y(self) -> NDArray:
        """Measured values (settable).

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
        >>> c.y = [1.0, 4.0]
        >>> c.y.tolist(), c(1.0, 2.0)  # (4 - 3)^2
        ([1.0, 4.0], 1.0)
        """
        return self._y

    @y.setter
    def y(self, value: ArrayLike) -> None:
        self._set_data(self._x, value, self._ye)

    @property
    def yerror(self) -> NDArray:
        """Standard deviations of ``y`` (settable; a scalar broadcasts).

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> c = LeastSquares([0.0, 1.0], [1.0, 4.0], 1.0, lambda x, a, b: a + b * x)
        >>> c.yerror = 0.5
        >>> c.yerror.tolist(), c(1.0, 2.0)  # ((4 - 3) / 0.5)^2
        ([0.5, 0.5], 4.0)
        """
        return self._ye

    @yerror.setter
    def yerror(self, value: ArrayLike) -> None:
        self._set_data(self._x, self._y, value)

    @property
    def data(self) -> NDArray:
        """Array of rows ``(x..., y, yerror)``, one per point (settable; editable in
        place).

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 0.5, lambda x, a, b: a + b * x)
        >>> c.data.tolist()  # rows (x, y, yerror)
        [[0.0, 1.0, 0.5], [1.0, 3.0, 0.5]]
        """
        return self._data

    @data.setter
    def data(self, value: ArrayLike) -> None:
        d = np.asarray(value, dtype=float)
        if d.ndim != 2 or d.shape[1] < 3:
            raise ValueError(f"data must have shape (n, k + 2) with rows (x..., y, yerror), "
                             f"got {d.shape}")
        x = d[:, 0] if d.shape[1] == 3 else d[:, :-2].T
        self._set_data(x, d[:, -2], d[:, -1])
