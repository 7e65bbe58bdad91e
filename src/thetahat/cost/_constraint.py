"""Gaussian penalty on parameters: ``NormalConstraint``.

value(p) = (p - v)^T C^-1 (p - v), with ``C = diag(e^2)`` for a vector of errors ``e`` or the
given covariance matrix ``C``. The cost is exactly quadratic, so its gradient
``2 C^-1 (p - v)`` and Hessian ``2 C^-1`` are exact (the Gauss-Newton matrix is the Hessian).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._base import Cost, check_finite

__all__ = ["NormalConstraint"]


class NormalConstraint(Cost):
    """Gaussian constraint on one or several parameters.

    Parameters
    ----------
    args : str or iterable of str
        Names of the constrained parameters.
    value : array_like
        Expected values.
    error : array_like
        Standard deviations (one per parameter) or a covariance matrix.

    Examples
    --------
    >>> round(NormalConstraint(["a", "b"], [1.0, 2.0], [0.5, 0.1])(1.5, 2.1), 12)
    2.0
    """

    def __init__(self, args: str | Iterable[str], value: ArrayLike, error: ArrayLike) -> None:
        names = [args] if isinstance(args, str) else [str(a) for a in args]
        v = np.atleast_1d(np.asarray(value, dtype=float))
        e = np.asarray(error, dtype=float)
        k = len(names)
        if v.shape != (k,):
            raise ValueError(f"value has shape {v.shape}, expected ({k},) (one per parameter)")
        check_finite("value", v)
        check_finite("error", np.atleast_1d(e))
        if e.ndim <= 1:
            e = np.broadcast_to(np.atleast_1d(e), (k,))
            for i, ei in enumerate(e):
                if not ei > 0:
                    raise ValueError(f"error[{i}] = {ei} must be > 0")
            cov = np.diag(e**2)
        elif e.shape == (k, k):
            cov = 0.5 * (e + e.T)
            try:
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                raise ValueError("error (covariance matrix) is not positive definite") from None
        else:
            raise ValueError(f"error has shape {e.shape}, expected ({k},) or ({k}, {k})")
        super().__init__({n: None for n in names}, 0)
        self._expected = v
        self._cov = cov
        self._covinv = np.linalg.inv(cov)

    @property
    def value(self) -> NDArray:
        """Expected values."""
        return self._expected

    @property
    def covariance(self) -> NDArray:
        """Covariance matrix of the constraint."""
        return self._cov

    def _ndata(self) -> float:
        return len(self._expected)

    @property
    def has_grad(self) -> bool:
        return True

    def _value(self, args: tuple) -> float:
        d = np.asarray(args, dtype=float).ravel() - self._expected
        return float(d @ self._covinv @ d)

    def _grad(self, args: tuple) -> NDArray:
        d = np.asarray(args, dtype=float).ravel() - self._expected
        return 2.0 * (self._covinv @ d)

    def gauss_newton(self, args: NDArray, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        d = np.asarray(args, dtype=float).ravel() - self._expected
        cd = self._covinv @ d
        return float(d @ cd), 2.0 * cd, 2.0 * self._covinv

    def exact_hessian(self, args: NDArray, steps: NDArray, free: NDArray | None = None
                      ) -> tuple[float, NDArray, NDArray, bool]:
        return (*self.gauss_newton(args, free), True)  # exactly quadratic: no differences

    def visualize(self, args: ArrayLike, **kwargs: Any) -> Any:
        """Draw the constrained values with their errors and the parameter values."""
        from ._visualize import visualize_constraint

        return visualize_constraint(self, args)
