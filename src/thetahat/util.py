"""iminuit-compatible helpers: signatures, error propagation, and the result types.

``thetahat.util`` offers what ``iminuit.util`` offers to users, so that code importing from
one imports from the other unchanged:

- :func:`describe` — the parameter names of a callable (and, with ``annotations=True``,
  the limits declared with ``typing.Annotated``, e.g. ``Annotated[float, 0:1]`` or
  ``Annotated[float, Gt(0)]``);
- :func:`make_func_code`, :func:`make_with_signature`, :func:`merge_signatures` — build or
  combine signatures (for costs assembled from several models);
- :func:`propagate` — the covariance of y = fn(x) from that of x, by the Jacobian;
- :func:`is_positive_definite`, :func:`gradient`;
- the result and view types (``FMin``, ``Param``, ``Params``, ``MError``, ``MErrors``,
  ``Matrix``, ``ValueView``, ``ErrorView``, ``FixedView``, ``LimitView``) and the warning
  classes (``IMinuitWarning``, ``HesseFailedWarning``, ``PerformanceWarning``).

**Error propagation.** For y = f(x) and Cov(x) = C, to first order Cov(y) = J C Jᵀ with
J = ∂f/∂x at x. J comes from central differences with steps h_j = 1e-3 sqrt(C_jj)
(|x_j| · 1e-3 where C_jj = 0), Richardson-extrapolated from steps h and h/2:
J = (4 D(h/2) - D(h)) / 3, whose error is O(h⁴) — far below the first-order
approximation itself. iminuit's ``propagate`` (deprecated there in favour of the jacobi
library) differences without extrapolation; both agree to its accuracy.

Examples
--------
>>> import numpy as np
>>> from thetahat.util import describe, propagate
>>> def model(x, a, b): return a + b * x
>>> describe(model)
['x', 'a', 'b']
>>> y, ycov = propagate(lambda p: p ** 2, [3.0], [[0.5]])
>>> float(y[0]), round(float(ycov[0, 0]), 9)  # (dy/dx)² var = 36 · 0.5
(9.0, 18.0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._core.signature import describe
from ._core.warnings import HesseFailedWarning, IMinuitWarning, PerformanceWarning
from .cost._protocol import cost_gradient as gradient
from .minuit._views import ErrorView, FixedView, LimitView, ValueView
from .results import FMin, Matrix, MError, MErrors, Param, Params

__all__ = ["describe", "make_func_code", "make_with_signature", "merge_signatures",
           "propagate", "is_positive_definite", "gradient", "FMin", "Param", "Params",
           "MError", "MErrors", "Matrix", "ValueView", "ErrorView", "FixedView", "LimitView",
           "IMinuitWarning", "HesseFailedWarning", "PerformanceWarning", "Annotated"]


def make_func_code(params: Iterable[str]) -> SimpleNamespace:
    """An object with ``co_varnames`` and ``co_argcount``, which :func:`describe` and
    ``Minuit`` read as the parameters of a callable that carries it as ``func_code``."""
    names = tuple(params)
    return SimpleNamespace(co_varnames=names, co_argcount=len(names))


def make_with_signature(callable: Callable, *varnames: str, **replacements: str) -> Callable:
    """A wrapper of ``callable`` whose parameters are ``varnames``, or the original names
    with some replaced (``old=new``); the wrapper passes its arguments on by position.

    Examples
    --------
    >>> g = make_with_signature(lambda x, y: x + y, y="z")
    >>> describe(g), g(1, 2)
    (['x', 'z'], 3)
    """
    if varnames and replacements:
        raise ValueError("give either varnames or replacements, not both")
    if varnames:
        names = list(varnames)
    else:
        names = describe(callable)
        unknown = [k for k in replacements if k not in names]
        if unknown:
            raise ValueError(f"cannot replace {unknown}: not among the parameters {names}")
        names = [replacements.get(n, n) for n in names]

    def wrapper(*args: Any) -> Any:
        return callable(*args)

    wrapper._parameters = dict.fromkeys(names)  # type: ignore[attr-defined]
    wrapper.__doc__ = getattr(callable, "__doc__", None)
    return wrapper


def merge_signatures(callables: Iterable[Callable], annotations: bool = False
                     ) -> tuple[Any, list[list[int]]]:
    """The union of the parameters of ``callables`` in order of first appearance, and for
    each callable the positions of its parameters in that union.

    Examples
    --------
    >>> merge_signatures([lambda x, a, b: 0, lambda x, b, c: 0])
    (['x', 'a', 'b', 'c'], [[0, 1, 2], [0, 2, 3]])
    """
    merged: dict[str, Any] = {}
    maps = []
    for fn in callables:
        params = describe(fn, annotations=True)
        for k, v in params.items():
            merged.setdefault(k, v)
        names = list(merged)
        maps.append([names.index(k) for k in params])
    return (merged if annotations else list(merged)), maps


# --- numbers -------------------------------------------------------------------------------
def is_positive_definite(m: ArrayLike) -> bool:
    """Whether the symmetric matrix ``m`` is positive definite (a Cholesky succeeds)."""
    a = np.atleast_2d(np.asarray(m, dtype=float))
    if a.ndim != 2 or a.shape[0] != a.shape[1] or not np.all(np.isfinite(a)):
        return False
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    return True


def _jacobian(fn: Callable[[NDArray], Any], x: NDArray, y0: NDArray, h: NDArray) -> NDArray:
    """Central differences of ``fn`` at ``x``, Richardson-extrapolated from h and h/2."""
    J = np.empty((y0.size, x.size))
    for j in range(x.size):
        d = []
        for step in (h[j], 0.5 * h[j]):
            xp, xm = x.copy(), x.copy()
            xp[j] += step
            xm[j] -= step
            yp = np.asarray(fn(xp), dtype=float).ravel()
            ym = np.asarray(fn(xm), dtype=float).ravel()
            d.append((yp - ym) / (xp[j] - xm[j]))
        J[:, j] = (4.0 * d[1] - d[0]) / 3.0
    return J


def propagate(fn: Callable, x: ArrayLike, cov: ArrayLike) -> tuple[NDArray, NDArray]:
    """y = fn(x) and its covariance J cov Jᵀ (module docstring).

    Parameters
    ----------
    fn : callable
        ``fn(x) -> y``, x and y arrays (or y a scalar).
    x : array_like, shape (n,)
        The point.
    cov : array_like, shape (n, n)
        The covariance of x.

    Returns
    -------
    y : ndarray
    ycov : ndarray, shape (m, m)

    Raises
    ------
    ValueError
        If ``cov`` is not 2-D and of shape (n, n), or x is not finite.
    """
    xa = np.atleast_1d(np.asarray(x, dtype=float))
    c = np.asarray(cov, dtype=float)
    if c.ndim != 2:
        raise ValueError("cov must be 2D array-like")
    if xa.ndim != 1 or c.shape != (xa.size, xa.size):
        raise ValueError(f"x has shape {xa.shape} but cov has shape {c.shape}, expected "
                         f"({xa.size}, {xa.size})")
    bad = np.flatnonzero(~np.isfinite(xa))
    if bad.size:
        raise ValueError(f"x[{bad[0]}] = {xa[bad[0]]} is not finite")
    y0 = np.asarray(fn(xa.copy()), dtype=float)
    sd = np.sqrt(np.clip(np.diag(c), 0.0, None))
    h = np.where(sd > 0, 1e-3 * sd, 1e-3 * np.where(xa != 0, np.abs(xa), 1.0))
    J = _jacobian(fn, xa, y0.ravel(), h)
    ycov = J @ c @ J.T
    return y0, ycov
