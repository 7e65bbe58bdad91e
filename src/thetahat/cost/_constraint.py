"""Gaussian penalty on parameters: ``NormalConstraint``.

value(p) = (p - v)^T C^-1 (p - v), with ``C = diag(e^2)`` for a vector of errors ``e`` or the
given covariance matrix ``C``. The cost is exactly quadratic, so its gradient
``2 C^-1 (p - v)`` and Hessian ``2 C^-1`` are exact (the Gauss-Newton matrix is the Hessian).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._base import Cost, check_finite

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

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
        super().__init__({n: None for n in names}, 0)
        self._set(value, error)

    def _set(self, value: ArrayLike, error: ArrayLike, is_cov: bool = False) -> None:
        """Check and store the expected values and the errors (or, with ``is_cov``, the
        variances / covariance matrix)."""
        v = np.array(value, dtype=float)
        if v.ndim > 1:
            raise ValueError(f"value must be a scalar or one-dimensional, got shape {v.shape}")
        v = np.atleast_1d(v)
        k = len(self._parameters)
        if k > 1 and v.size != k:
            raise ValueError(f"size of value ({v.size}) does not match size of args ({k})")
        e = np.array(error, dtype=float)
        if e.ndim > 2:
            raise ValueError(f"error cannot have more than two dimensions, got {e.shape}")
        check_finite("value", v)
        check_finite("error", np.atleast_1d(e))
        if e.ndim <= 1:
            e = np.atleast_1d(e)
            if e.size not in (1, v.size):
                raise ValueError(f"size of error ({e.size}) does not match size of value "
                                 f"({v.size})")
            var = np.broadcast_to(e if is_cov else e**2, v.shape).copy()
            for i, ei in enumerate(var):
                if not ei > 0:
                    raise ValueError(f"error[{i}] = {e.ravel()[min(i, e.size - 1)]} must "
                                     "be > 0")
            cov, self._cov_shown = np.diag(var), var
        elif e.shape == (v.size, v.size):
            cov = 0.5 * (e + e.T)
            try:
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                raise ValueError("error (covariance matrix) is not positive definite") from None
            self._cov_shown = cov
        else:
            raise ValueError(f"size of error does not match size of value: error has shape "
                             f"{e.shape}, value has {v.size} entries")
        self._expected = v
        self._cov = cov
        self._covinv = np.linalg.inv(cov)

    @property
    def value(self) -> NDArray:
        """Expected values (settable).

        Examples
        --------
        >>> c = NormalConstraint("a", 1.0, 0.5)
        >>> c.value = 2.0
        >>> c.value.tolist(), c(3.0)  # ((3 - 2) / 0.5)^2
        ([2.0], 4.0)
        """
        return self._expected

    @value.setter
    def value(self, value: ArrayLike) -> None:
        self._set(value, self._cov_shown, True)

    @property
    def covariance(self) -> NDArray:
        """Variances (for independent errors) or the covariance matrix (settable).

        Examples
        --------
        >>> c = NormalConstraint(["a", "b"], [1.0, 2.0], [0.5, 0.1])
        >>> c.covariance.round(12).tolist()  # the squared errors
        [0.25, 0.01]
        """
        return self._cov_shown

    @covariance.setter
    def covariance(self, cov: ArrayLike) -> None:
        self._set(self._expected, cov, True)

    def _ndata(self) -> float:
        return int(self._expected.size)

    @property
    def has_grad(self) -> bool:
        """Always True: the gradient ``2 C^-1 (p - value)`` is exact.

        Examples
        --------
        >>> c = NormalConstraint("a", 1.0, 0.5)
        >>> c.has_grad, c.grad(2.0).tolist()  # 2 (2 - 1) / 0.25
        (True, [8.0])
        """
        return True

    def _value(self, args: tuple) -> float:
        d = np.asarray(args, dtype=float).ravel() - self._expected
        return float(d @ self._covinv @ d)

    def _grad(self, args: tuple) -> NDArray:
        d = np.asarray(args, dtype=float).ravel() - self._expected
        return 2.0 * (self._covinv @ d)

    def gauss_newton(self, args: NDArray, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """Value ``d^T C^-1 d``, gradient ``2 C^-1 d`` and Hessian ``2 C^-1``, with
        ``d = args - expected``.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).
        steps : numpy.ndarray, optional
            Finite-difference step of each parameter, used where a derivative is numerical.

        Returns
        -------
        value : float
            The cost at ``args``.
        grad : numpy.ndarray
            Its gradient over the free parameters.
        hessian : numpy.ndarray
            The exact Hessian (the cost is quadratic).

        Examples
        --------
        >>> c = NormalConstraint(["a", "b"], [1.0, 2.0], [0.5, 0.1])
        >>> f, g, h = c.gauss_newton(np.array([1.5, 2.1]))
        >>> round(f, 12), g.round(12).tolist(), h.round(12).tolist()  # C^-1 = diag(4, 100)
        (2.0, [4.0, 20.0], [[8.0, 0.0], [0.0, 200.0]])
        """
        d = np.asarray(args, dtype=float).ravel() - self._expected
        cd = self._covinv @ d
        return float(d @ cd), 2.0 * cd, 2.0 * self._covinv

    def exact_hessian(self, args: NDArray, steps: NDArray, free: NDArray | None = None
                      ) -> tuple[float, NDArray, NDArray, bool]:
        """The same as :meth:`gauss_newton` (the cost is quadratic), marked as reused.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        steps : numpy.ndarray
            Finite-difference step of each parameter, used where a derivative is numerical.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).

        Returns
        -------
        tuple or None
            ``(value, grad, hessian, reused)``: the cost, its gradient and exact Hessian over the
            free parameters, and whether the model values of the last :meth:`gauss_newton` call at
            this point with these steps were reused; None when the model is not finite at a
            difference point.

        Examples
        --------
        >>> c = NormalConstraint("a", 1.0, 0.5)
        >>> f, g, h, reused = c.exact_hessian(np.array([2.0]), np.array([1e-3]))
        >>> f, g.tolist(), h.tolist(), reused  # ((2 - 1) / 0.5)^2, 2 C^-1 d, 2 C^-1
        (4.0, [8.0], [[8.0]], True)
        """
        return (*self.gauss_newton(args, free), True)  # exactly quadratic: no differences

    def visualize(self, args: ArrayLike, **kwargs: Any) -> Any:
        """Draw the constrained values with their errors and the parameter values.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        **kwargs
            Accepted for a common signature with the other costs, and ignored.

        Returns
        -------
        object
            What was drawn.

        Examples
        --------
        Drawn with the Agg backend: the constrained values with their errors:

        >>> from matplotlib import pyplot as plt
        >>> c = NormalConstraint(["a", "b"], [1.0, 2.0], [0.5, 0.1])
        >>> (idx, v, e), par = c.visualize([1.5, 2.1])
        >>> v.tolist(), e.round(12).tolist(), par.tolist()
        ([1.0, 2.0], [0.5, 0.1], [1.5, 2.1])
        >>> plt.close("all")
        """
        from ._visualize import visualize_constraint

        return visualize_constraint(self, args)
