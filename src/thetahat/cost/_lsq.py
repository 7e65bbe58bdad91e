"""Chi-square fits of a model to points with Gaussian errors: ``LeastSquares``.

value(p) = sum_i rho(r_i^2),  r_i = (y_i - f(x_i; p)) / sigma_i,

with ``rho(z) = z`` (loss='linear', the chi-square), ``rho(z) = 2 (sqrt(1 + z) - 1)``
(loss='soft_l1', robust against outliers) or a user function of ``z``.

Gauss-Newton structure (``gauss_newton``). With the Jacobian ``J_ij = d r_i / d p_j =
-(d f_i / d p_j) / sigma_i`` (from the model's analytic gradient when given, else forward
differences: one model call per parameter),

    gradient  g = 2 J^T (rho'(z) * r),
    Hessian   H ~= 2 J^T diag(w) J,   w = rho'(z) + 2 z rho''(z)

(the second-order term in the residuals' curvature is dropped; for the linear loss
w = 1 and H = 2 J^T J). This is the robust-loss Gauss-Newton scaling of B. Triggs et al.,
"Bundle adjustment - a modern synthesis" (2000), sec. 4.3, as used by scipy's
``least_squares``; where ``w`` would be <= 0 it is replaced by ``eps * rho'`` so that H stays
positive semi-definite. For soft_l1, ``w = (1 + z)^(-3/2) > 0``. For a user loss, rho' and
rho'' come from second-order forward differences of ``rho`` on the array of ``z`` (three
extra calls of the loss, none of the model) with the step ``h = 1e-4 (1 + z)``: truncation
errors O(h^2) ~ 1e-8 for rho' and O(h) ~ 1e-4 for rho'' (which only scales H).

The points ``(x, y, yerror)``, their checks and their storage are :class:`._lsq_data.PointData`,
a base of ``LeastSquares``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._compiled import lmcore as _lmcore  # the compiled core, or None: the numpy code
from ..derivatives.model import fd_jacobian, observed_hessian
from ._base import MaskedCost, describe_model, model_array
from ._lsq_data import PointData, _unmasked
from ._stats import total

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["LeastSquares"]

_EPS = np.finfo(float).eps


def _soft_l1(z: NDArray) -> NDArray:
    return 2.0 * (np.sqrt(1.0 + z) - 1.0)


def _soft_l1_derivs(z: NDArray) -> tuple[NDArray, NDArray]:
    t = 1.0 + z
    return t**-0.5, -0.5 * t**-1.5


def _linear_derivs(z: NDArray) -> tuple[NDArray, NDArray]:
    return np.ones_like(z), np.zeros_like(z)


def _numerical_derivs(rho: Callable[[NDArray], NDArray]) -> Callable:
    """rho'(z), rho''(z) by one-sided second-order differences (module docstring)."""

    def derivs(z: NDArray) -> tuple[NDArray, NDArray]:
        h = 1e-4 * (1.0 + z)
        f0, f1, f2 = (np.asarray(rho(z + k * h), dtype=float) for k in (0, 1, 2))
        return (-3.0 * f0 + 4.0 * f1 - f2) / (2.0 * h), (f0 - 2.0 * f1 + f2) / (h * h)

    return derivs


class LeastSquares(PointData, MaskedCost):
    """Least-squares (chi-square) cost of a model ``model(x, *p)`` for points ``(x, y)``.

    Parameters
    ----------
    x : array_like
        Positions, shape (n,) or (k, n) for a k-dimensional model input.
    y : array_like
        Measured values, shape (n,).
    yerror : array_like
        Standard deviations of ``y``: a positive scalar or shape (n,).
    model : callable
        ``model(x, *p) -> array (n,)``; the parameter names are read from its signature
        (after ``x``) unless ``name`` is given.
    loss : {'linear', 'soft_l1'} or callable, optional
        ``rho(z)`` applied to the squared pulls ``z``.
    verbose : int, optional
        Print arguments and value on every call if >= 1.
    grad : callable, optional
        ``grad(x, *p) -> array (npar, n)``: gradient of the model in the parameters.
    name : sequence of str, optional
        Parameter names (replace the introspected ones).

    Raises
    ------
    TypeError
        If ``model`` is not callable.
    ValueError
        If the data have inconsistent shapes or invalid values (the message names them).

    Examples
    --------
    >>> import numpy as np
    >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 2.0, 3.5], 0.5, lambda x, a, b: a + b * x)
    >>> c(1.0, 1.0), c.ndata, c.npar
    (1.0, 3, 2)
    """

    def __init__(
        self,
        x: ArrayLike,
        y: ArrayLike,
        yerror: ArrayLike,
        model: Callable,
        *,
        loss: str | Callable[[NDArray], NDArray] = "linear",
        verbose: int = 0,
        grad: Callable | None = None,
        name: Sequence[str] | None = None,
    ) -> None:
        (x, mx), (y, my), (yerror, me) = _unmasked(x, y, yerror)
        x, y, ye = self._checked_data(x, y, yerror)
        if not callable(model):
            raise TypeError("model must be callable")
        self._store(x, y, ye)
        self._model = model
        self._model_grad = grad
        self.loss = loss
        super().__init__(describe_model(model, name, True), (y.size,), verbose)
        self._take_masks(mx, my, me)

    # --- settings (the data: PointData, cost/_lsq_data.py) ------------------------------
    @property
    def model(self) -> Callable:
        """The model ``model(x, *p)``.

        Examples
        --------
        >>> line = lambda x, a, b: a + b * x
        >>> LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, line).model is line
        True
        """
        return self._model

    @property
    def is_sum_of_squares(self) -> bool:  # type: ignore[override]
        """Whether the cost is exactly Σ r_i² (the linear loss): see cost/_protocol.py.

        Examples
        --------
        >>> line = lambda x, a, b: a + b * x
        >>> LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, line).is_sum_of_squares
        True
        >>> LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, line, loss="soft_l1").is_sum_of_squares
        False
        """
        return isinstance(self._loss, str) and self._loss == "linear"

    @property
    def loss(self) -> str | Callable:
        """The loss: 'linear', 'soft_l1' or a callable ``rho(z)``.

        Examples
        --------
        The soft_l1 loss ``2 (sqrt(1 + z) - 1)`` of a squared pull z = 9 is 2 (sqrt(10) - 1),
        not 9:

        >>> c = LeastSquares([0.0, 1.0], [1.0, 6.0], 1.0, lambda x, a, b: a + b * x, loss="soft_l1")
        >>> c.loss, round(c(1.0, 2.0), 4)
        ('soft_l1', 4.3246)
        """
        return self._loss

    @loss.setter
    def loss(self, loss: str | Callable) -> None:
        if loss == "linear":
            self._rho, self._rho_derivs = None, _linear_derivs
        elif loss == "soft_l1":
            self._rho, self._rho_derivs = _soft_l1, _soft_l1_derivs
        elif callable(loss):
            self._rho, self._rho_derivs = loss, _numerical_derivs(loss)
        elif isinstance(loss, str):
            raise ValueError(f"unknown loss {loss!r}: use 'linear', 'soft_l1' or a callable")
        else:
            raise ValueError(f"loss must be str or LossFunction (a callable), got {loss!r}")
        self._loss = loss

    def _update_cache(self) -> None:
        m = self._mask
        if m is None:
            self._xm, self._ym, self._yem = self._x, self._y, self._ye
        else:
            self._xm = self._x[..., m]
            self._ym, self._yem = self._y[m], self._ye[m]
        self._ym = np.ascontiguousarray(self._ym)  # read by the compiled core
        self._yem = np.ascontiguousarray(self._yem)

    def _ndata(self) -> float:
        return int(self._ym.size)

    @property
    def has_grad(self) -> bool:
        """Whether a model gradient was given (``grad=``): then :meth:`grad` works.

        Examples
        --------
        >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x,
        ...                  grad=lambda x, a, b: np.array([np.ones_like(x), x]))
        >>> c.has_grad, c.grad(0.0, 0.0).tolist()  # -2 (sum y, sum x y) at a = b = 0
        (True, [-8.0, -6.0])
        """
        return self._model_grad is not None

    # --- evaluation ----------------------------------------------------------------------
    def _eval_model(self, x: NDArray, args: tuple, wide: bool = False) -> NDArray:
        return self._checked(self._model(x, *args), x.shape[-1], wide)

    @staticmethod
    def _checked(out: Any, n: int, wide: bool = False) -> NDArray:
        """A model output as n float64 values (a scalar is broadcast; ``wide`` keeps long
        double values), or a clear error."""
        f = model_array(out, wide)
        if f.shape != (n,):
            if f.ndim == 0:
                return np.full(n, float(f))
            raise ValueError(
                f"output of model has shape {f.shape}, but ({n},) is required: one value "
                "per point of x"
            )
        return f

    def _as_values(self, out: Any) -> NDArray:
        """A model output in another form than m contiguous float64 values (the compiled
        loops hand those here): converted, or rejected as by :meth:`_eval_model`."""
        return np.ascontiguousarray(self._checked(out, self._xm.shape[-1]))

    def _model_rows(self, P: NDArray) -> NDArray:
        """Model values at the selected points for every row of the parameter matrix P."""
        P = np.ascontiguousarray(P, dtype=float)
        m = self._ym.size
        if _lmcore is None or not self._scalar_call(P.shape[1]):
            return np.array([self._model_at(q) for q in P]).reshape(P.shape[0], m)
        out = _lmcore.rows(self._model, self._xm, P, P.shape[1], m, self._as_values)
        return np.frombuffer(out, dtype=float).reshape(P.shape[0], m)

    def _model_at(self, q: NDArray) -> NDArray:
        """Model values at the selected points for the flat parameter vector ``q``
        (``_eval_model(self._xm, self._call_args(q))`` in one step, for differences)."""
        if self._scalar_call(q.size):
            f = np.asarray(self._model(self._xm, *q.tolist()), dtype=float)
            if f.shape == self._ym.shape:
                return f
        return self._eval_model(self._xm, self._call_args(q))

    def _eval_model_grad(self, x: NDArray, args: tuple, npar: int) -> NDArray:
        assert self._model_grad is not None  # used only when has_grad
        jac = np.asarray(self._model_grad(x, *args), dtype=float)
        n = x.shape[-1]
        if jac.shape == (n,) and npar == 1:
            jac = jac.reshape(1, n)
        if jac.shape != (npar, n):
            raise ValueError(
                f"grad returned an array of shape {jac.shape}; expected ({npar}, {n})"
            )
        return jac

    def _pulls_masked(self, args: tuple, wide: bool = False) -> NDArray:
        return (self._ym - self._eval_model(self._xm, args, wide)) / self._yem

    def _value(self, args: tuple) -> float:
        r = self._pulls_masked(args, wide=True)
        z = r * r
        return total(z if self._rho is None else self._rho(z))

    def _grad(self, args: tuple) -> NDArray:
        r = self._pulls_masked(args)
        npar = len(np.ravel(np.asarray(args, dtype=float))) if args else 0
        jf = self._eval_model_grad(self._xm, args, npar)
        d1, _ = self._rho_derivs(r * r)
        return -2.0 * (jf @ (d1 * r / self._yem))

    def _residual_jacobian(self, p: NDArray, free: NDArray | None,
                           steps: NDArray | None = None) -> tuple[NDArray, NDArray]:
        """Pulls ``r`` and ``J = dr/dp`` (shape (npar, n)) at the flat parameters ``p``."""
        call = self._call_args(p)
        f = self._eval_model(self._xm, call)
        if self._model_grad is not None:
            jf = self._eval_model_grad(self._xm, call, p.size)
        else:
            jf = fd_jacobian(self._model_at, p, f, free, steps, self._model_rows)
            self._fd_cache.store(p, steps, f, jf)
        r = (self._ym - f) / self._yem
        return r, -jf / self._yem

    def gauss_newton(self, args: ArrayLike, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """Value, gradient and Gauss-Newton Hessian ``2 J^T diag(w) J`` (module docstring).

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
            The approximate Hessian named above (positive semi-definite) over the free parameters.

        Examples
        --------
        For the line ``a + b x`` at x = (0, 1, 2) the Gauss-Newton Hessian is ``2 X^T X`` and the
        gradient ``-2 X^T r`` with the residuals r = y = (1, 3, 5) at a = b = 0:

        >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], 1.0, lambda x, a, b: a + b * x)
        >>> f, g, h = c.gauss_newton([0.0, 0.0])
        >>> f, g.round(6).tolist(), h.round(6).tolist()
        (35.0, [-18.0, -26.0], [[6.0, 6.0], [6.0, 10.0]])
        """
        p = np.asarray(args, dtype=float).ravel()
        if self._rho is None and self._model_grad is None and _lmcore is not None and \
                self._scalar_call(p.size):
            # the linear loss with differences, in one compiled call (_compiled/_lmcore.c)
            n, m = p.size, self._ym.size
            fb, jb, rb, gb, hb = _lmcore.lsq_fisher(
                self._model, self._xm, self._ym, self._yem, np.ascontiguousarray(p),
                None if steps is None else np.ascontiguousarray(steps, dtype=float),
                None if free is None else np.asarray(free, dtype=np.uint8),
                self._as_values)
            self._fd_cache.store(p, steps, np.frombuffer(fb, dtype=float),
                                 np.frombuffer(jb, dtype=float).reshape(n, m))
            r = np.frombuffer(rb, dtype=float)
            return (float(np.sum(r * r)), np.frombuffer(gb, dtype=float),
                    np.frombuffer(hb, dtype=float).reshape(n, n))
        r, jac = self._residual_jacobian(p, free, steps)
        if self._rho is None:  # the linear loss: ρ' = 1, ρ'' = 0, the weights are all 1
            h = jac @ jac.T
            h += h.T  # 2 JᵀJ, exactly symmetric
            return float(np.sum(r * r)), 2.0 * (jac @ r), h  # the sum as _value
        z = r * r
        d1, d2 = self._rho_derivs(z)
        value = float(np.sum(self._rho(z)))
        w = d1 + 2.0 * z * d2
        w = np.where(w > 0, w, _EPS * d1)
        g = 2.0 * (jac @ (d1 * r))
        h = 2.0 * (jac * w) @ jac.T
        h = 0.5 * (h + h.T)  # exactly symmetric
        return value, g, h

    def _loss_derivs(self, mu: NDArray) -> tuple[float, NDArray, NDArray]:
        """Value and elementwise d/dmu, d²/dmu² of ``sum rho(((y - mu) / sigma)^2)``."""
        r = (self._ym - mu) / self._yem
        z = r * r
        if self._rho is None:
            return float(np.sum(z)), -2.0 * r / self._yem, 2.0 / self._yem**2
        d1, d2 = self._rho_derivs(z)
        return (float(np.sum(self._rho(z))), -2.0 * d1 * r / self._yem,
                (2.0 * d1 + 4.0 * z * d2) / self._yem**2)

    def exact_hessian(self, args: ArrayLike, steps: NDArray, free: NDArray | None = None
                      ) -> tuple[float, NDArray, NDArray, bool] | None:
        """Value, gradient and exact Hessian
        (:func:`thetahat.derivatives.model.observed_hessian`).

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
        A linear model has no curvature term: the exact Hessian equals ``2 X^T X``:

        >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], 1.0, lambda x, a, b: a + b * x)
        >>> f, g, h, reused = c.exact_hessian([0.0, 0.0], np.array([1e-3, 1e-3]))
        >>> f, h.round(6).tolist()
        (35.0, [[6.0, 6.0], [6.0, 10.0]])
        """
        if self._model_grad is not None:
            return None
        return observed_hessian(self._model_at, self._loss_derivs,
                                np.asarray(args, dtype=float).ravel(), steps, free,
                                self._fd_cache, self._model_rows)

    # --- views -----------------------------------------------------------------------------
    def prediction(self, args: ArrayLike) -> NDArray:
        """Model values at every ``x`` (masked points included).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.

        Returns
        -------
        numpy.ndarray
            The prediction, one value per data point or bin.

        Examples
        --------
        >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 5.5], 1.0, lambda x, a, b: a + b * x)
        >>> c.prediction([1.0, 2.0]).tolist()  # the model 1 + 2 x
        [1.0, 3.0, 5.0]
        """
        return self._eval_model(self._x, self._call_args_user(args))

    def pulls(self, args: ArrayLike) -> NDArray:
        """``(y - model) / yerror`` at every point; NaN at masked points.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.

        Returns
        -------
        numpy.ndarray
            The pulls, one per data point or bin.

        Examples
        --------
        >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 6.0], 0.5, lambda x, a, b: a + b * x)
        >>> c.pulls([1.0, 2.0]).tolist()  # 0 where the line passes through the point
        [0.0, 0.0, 2.0]
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(self._ye > 0, (self._y - self.prediction(args)) / self._ye, np.nan)
        if self._mask is not None:
            p = np.where(self._mask, p, np.nan)
        return p

    def _call_args_user(self, args: ArrayLike) -> tuple:
        if len(self._parameters) == 1 and np.ndim(args) == 1 and np.size(args) != 1:
            return (np.asarray(args, dtype=float),)
        return tuple(np.atleast_1d(np.asarray(args, dtype=float)))

    def visualize(self, args: ArrayLike, model_points: int | Sequence[float] = 0) -> Any:
        """Draw the points with error bars and the model (1-D ``x`` only).

        Returns ``((x, y, yerror), (xm, ym))``, the data and the model curve drawn.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        model_points : int or sequence of float, default 0
            Points of the model curve: 0 a curve sampled densely enough to look smooth, an
            int that many equally spaced points (in log x for log-spaced data), a sequence
            those ``x``.

        Returns
        -------
        tuple
            ``((x, y, yerror), (xm, ym))``, the data and the model curve drawn.

        Examples
        --------
        Drawn with the Agg backend; here the model curve at two chosen x:

        >>> from matplotlib import pyplot as plt
        >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], 0.5, lambda x, a, b: a + b * x)
        >>> (x, y, ye), (xm, ym) = c.visualize([1.0, 2.0], model_points=[0.5, 1.5])
        >>> y.tolist(), ym.tolist()  # the data, and the model 1 + 2 x at 0.5 and 1.5
        ([1.0, 3.0, 5.0], [2.0, 4.0])
        >>> plt.close("all")
        """
        from ._visualize import visualize_lsq

        return visualize_lsq(self, args, model_points)
