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
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", FutureWarning)  # deprecated, as in iminuit
...     y, ycov = propagate(lambda p: p ** 2, [3.0], [[0.5]])
>>> float(y[0]), round(float(ycov[0, 0]), 9)  # (dy/dx)² var = 36 · 0.5
(9.0, 18.0)
"""

from __future__ import annotations

import importlib.util
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._core.environment import is_jupyter
from ._core.signature import describe
from ._core.warnings import HesseFailedWarning, IMinuitWarning, PerformanceWarning, warn_user
from .cost._protocol import cost_gradient as gradient
from .cost._visualize import _detect_log_spacing, _smart_sampling  # noqa: F401
from .derivatives.propagate import central_jacobian, default_steps
from .minuit._views import ErrorView, FixedView, LimitView, ValueView
from .minuit._views import _View as BasicView
from .results import FMin, Matrix, MError, MErrors, Param, Params

__all__ = ["describe", "make_func_code", "make_with_signature", "merge_signatures",
           "propagate", "is_positive_definite", "gradient", "hessian", "FMin", "Param",
           "Params", "MError", "MErrors", "Matrix", "BasicView", "ValueView", "ErrorView",
           "FixedView", "LimitView", "IMinuitWarning", "HesseFailedWarning",
           "PerformanceWarning", "ProgressBar", "is_jupyter", "is_module_available",
           "Annotated"]


def make_func_code(params: Iterable[str]) -> SimpleNamespace:
    """An object with ``co_varnames`` and ``co_argcount``, which :func:`describe` and
    ``Minuit`` read as the parameters of a callable that carries it as ``func_code``.

    Deprecated, as in iminuit (a FutureWarning says so): declare parameters with a
    ``_parameters`` dict (name -> limits or None) instead.

    Parameters
    ----------
    params : iterable of str
        The parameter names.

    Returns
    -------
    types.SimpleNamespace
        With ``co_varnames`` (tuple of str) and ``co_argcount`` (int).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", FutureWarning)
    ...     make_func_code(["a", "b"]).co_varnames
    ('a', 'b')
    """
    warn_user("make_func_code is deprecated: Use of ``func_code`` attribute to declare "
              "parameters is deprecated. Use ``_parameters`` instead, which is a dict of "
              "parameter names to limits.", FutureWarning)
    names = tuple(params)
    return SimpleNamespace(co_varnames=names, co_argcount=len(names))


def make_with_signature(callable: Callable, *varnames: str, **replacements: str) -> Callable:
    """A wrapper of ``callable`` whose parameters are renamed: the first ones to
    ``varnames``, and any by ``old=new``; the wrapper passes its arguments on by position.

    Parameters
    ----------
    callable : callable
        The function to wrap.
    *varnames : str
        New names of the first parameters.
    **replacements : str
        ``old=new`` renames the parameter ``old``.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        If there are more varnames than parameters, or ``old`` is not a parameter.

    Examples
    --------
    >>> g = make_with_signature(lambda x, y: x + y, y="z")
    >>> describe(g), g(1, 2)
    (['x', 'z'], 3)
    >>> describe(make_with_signature(lambda a, b: 0, "x", b="z"))
    ['x', 'z']
    """
    names = describe(callable)
    if varnames:
        if len(varnames) > len(names) and names:
            raise ValueError(f"varnames {list(varnames)} longer than the original signature "
                             f"{names}")
        names = list(varnames) + names[len(varnames):]
    unknown = [k for k in replacements if k not in describe(callable)]
    if unknown:
        raise ValueError(f"cannot replace {unknown}: not among the parameters "
                         f"{describe(callable)}")
    original = describe(callable)
    names = [replacements.get(o, n) for o, n in zip(original, names)] + names[len(original):]

    def wrapper(*args: Any) -> Any:
        return callable(*args)

    wrapper._parameters = dict.fromkeys(names)  # type: ignore[attr-defined]
    wrapper.__doc__ = getattr(callable, "__doc__", None)
    return wrapper


def merge_signatures(callables: Iterable[Callable], annotations: bool = False
                     ) -> tuple[Any, list[list[int]]]:
    """The union of the parameters of ``callables`` in order of first appearance, and for
    each callable the positions of its parameters in that union.

    Parameters
    ----------
    callables : iterable of callable
        The functions (or costs) whose parameters are merged.
    annotations : bool, optional
        Return the union as a dict of name to limits (or None), as
        ``describe(fn, annotations=True)``, instead of a list of names (default False).

    Returns
    -------
    names : list of str or dict of str to (float, float) or None
        The union of the parameters.
    mapping : list of list of int
        For each callable, the positions of its parameters in ``names``.

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
            # a parameter's limits come from the first callable that declares them
            if merged.get(k) is None:
                merged[k] = v
        names = list(merged)
        maps.append([names.index(k) for k in params])
    return (merged if annotations else list(merged)), maps


# --- numbers -------------------------------------------------------------------------------
def is_positive_definite(m: ArrayLike) -> bool:
    """Whether the symmetric matrix ``m`` is positive definite (a Cholesky succeeds).

    Parameters
    ----------
    m : array_like, shape (n, n)
        The matrix; one that is not square or not finite is not positive definite.

    Returns
    -------
    bool

    Examples
    --------
    ``[[2, 1], [1, 2]]`` has the eigenvalues 1 and 3, ``[[1, 2], [2, 1]]`` 3 and -1:

    >>> is_positive_definite([[2, 1], [1, 2]]), is_positive_definite([[1, 2], [2, 1]])
    (True, False)
    """
    a = np.atleast_2d(np.asarray(m, dtype=float))
    if a.ndim != 2 or a.shape[0] != a.shape[1] or not np.all(np.isfinite(a)):
        return False
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    return True


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
        If ``cov`` is not 2-D and of shape (n, n), has a negative or NaN variance, or x is
        not finite.

    Warns
    -----
    FutureWarning
        As iminuit, which deprecates ``propagate`` in favour of the jacobi library.

    Examples
    --------
    For a linear ``y = A x`` the first-order result is exact, ``A cov A^T``:

    >>> import warnings
    >>> import numpy as np
    >>> A, cov = np.array([[1.0, 2.0], [0.0, 3.0]]), np.array([[1.0, 0.5], [0.5, 2.0]])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", FutureWarning)  # deprecated, as in iminuit
    ...     y, ycov = propagate(lambda x: A @ x, [1.0, 1.0], cov)
    >>> y.tolist(), np.allclose(ycov, A @ cov @ A.T, rtol=1e-9, atol=0)
    ([3.0, 3.0], True)
    """
    warn_user("propagate is deprecated in iminuit in favour of jacobi.propagate; "
              "thetahat keeps it, with the same FutureWarning as iminuit",
              FutureWarning)
    xa = np.atleast_1d(np.asarray(x, dtype=float))
    c = np.asarray(cov, dtype=float)
    if c.ndim != 2:
        raise ValueError("cov must be 2D array-like")
    if c.shape[0] == c.shape[1] and not np.all(np.diag(c) >= 0):
        bad_diag = int(np.flatnonzero(~(np.diag(c) >= 0))[0])
        raise ValueError("diagonal elements of covariance matrix must be non-negative: "
                         f"cov[{bad_diag}, {bad_diag}] = {c[bad_diag, bad_diag]}")
    if xa.ndim != 1 or c.shape != (xa.size, xa.size):
        raise ValueError(f"x has shape {xa.shape} but cov has shape {c.shape}, expected "
                         f"({xa.size}, {xa.size})")
    bad = np.flatnonzero(~np.isfinite(xa))
    if bad.size:
        raise ValueError(f"x[{bad[0]}] = {xa[bad[0]]} is not finite")
    y0 = np.asarray(fn(xa.copy()), dtype=float)
    J = central_jacobian(fn, xa, y0.ravel(), default_steps(xa, c))
    ycov = J @ c @ J.T
    return y0, ycov


def hessian(fcn: Any) -> Callable | None:
    """``fcn.hessian`` if the cost provides a usable Hessian (a callable ``hessian`` and
    ``has_hessian`` not False), else None (iminuit's rule, like :func:`gradient`).

    Parameters
    ----------
    fcn : callable
        A cost function, with or without a ``hessian`` method.

    Returns
    -------
    callable or None
        ``fcn.hessian``, or None when the cost offers no usable one.

    Examples
    --------
    >>> hessian(lambda x: x ** 2) is None
    True
    """
    h = getattr(fcn, "hessian", None)
    if h is None or not callable(h) or getattr(fcn, "has_hessian", True) is False:
        return None
    return h


def is_module_available(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it).

    Parameters
    ----------
    module : str
        Dotted module name, such as ``"matplotlib.pyplot"``.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_module_available("numpy"), is_module_available("no_such_module_xyz")
    (True, False)
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package, or an empty name
        return False


class ProgressBar:
    """A percentage counter on the terminal (an HTML progress bar in Jupyter), as
    iminuit's: used as a context manager, advanced with ``bar += n``.

    The output goes to the ``sys.stdout`` of the moment the bar is made. When that stream
    is a Jupyter kernel's (an ``ipykernel`` ``OutStream``), each update replaces the
    cell's output with an HTML ``<progress>`` element (``IPython.display.display`` with
    ``clear=True``) and the bar is cleared at the end; elsewhere it writes ``"\\rNN %"``
    and blanks the line at the end.

    Parameters
    ----------
    max_value : int
        The count at 100 %.

    Examples
    --------
    >>> with ProgressBar(max_value=2) as bar:  # doctest: +SKIP
    ...     bar += 1
    """

    value: int = 0

    def __init__(self, max_value: int) -> None:
        self.max_value = max_value
        self._out = sys.stdout
        self._show: Callable[[str], None] | None = None
        if _writes_to_kernel(self._out):
            from IPython.display import HTML, display

            def show(html: str) -> None:
                display(HTML(html), clear=True)

            self._show = show
        self._update(0)

    def _update(self, value: int) -> None:
        self.value = value
        percent = 100.0 * value / self.max_value if self.max_value else 100.0
        if self._show is not None:
            self._show(f"<progress value='{percent:.0f}' max='100'></progress> "
                       f"{percent:.0f} %")
        else:
            self._out.write(f"\r{percent:.0f} %")
            self._out.flush()

    def __iadd__(self, v: int) -> ProgressBar:
        self._update(self.value + v)
        return self

    def __add__(self, v: int) -> ProgressBar:
        return self.__iadd__(v)

    def __enter__(self, *args: Any) -> ProgressBar:
        return self

    def __exit__(self, *args: Any) -> None:
        if self._show is not None:
            self._show("")
        else:
            self._out.write("\r     ")
            self._out.flush()


def _writes_to_kernel(stream: Any) -> bool:
    """Whether ``stream`` is a Jupyter kernel's output stream (ipykernel's ``OutStream``)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # jupyter's path migration
            from ipykernel.iostream import OutStream
    except ImportError:
        return False
    return isinstance(stream, OutStream)


# --- private helpers with iminuit's names (its test suite calls them) --------------------
def _ndim(obj: Any) -> int:
    """Nesting depth of sequences in ``obj`` (None and scalars: 0)."""
    if isinstance(obj, (list, tuple, np.ndarray)):
        return 1 + max((_ndim(o) for o in obj), default=0)
    return 0


def _normalize_limit(lim: Any) -> tuple[float, float]:
    """A limit (None, or a pair with None for no limit) as (lower, upper) floats."""
    if lim is None:
        return (-math.inf, math.inf)
    a, b = lim
    a = -math.inf if a is None else a
    b = math.inf if b is None else b
    if a > b:
        raise ValueError(f"limit {lim!r} is invalid: lower limit {a} > upper limit {b}")
    return (a, b)


def _guess_initial_step(value: float) -> float:
    """MINUIT's first step: 1 % of the value, 0.1 for a value of zero."""
    return 1e-2 * abs(value) if value != 0 else 1e-1


def _iterate(x: Any) -> Iterator[Any]:
    """``x`` itself if it is iterable, else a sequence of one."""
    if isinstance(x, Iterable) and not isinstance(x, str):
        return iter(x)
    return iter((x,))


def _replace_none(x: Any, default: Any) -> Any:
    return default if x is None else x


def _histogram_segments(mask: Any, xe: Any, masked: Any) -> list[tuple[NDArray, NDArray]]:
    """Contiguous runs of the bins that ``mask`` keeps (all bins if None), as pairs (the
    entries of ``masked`` in the run, the bin edges of the run)."""
    xe = np.asarray(xe)
    masked = np.asarray(masked)
    keep = np.ones(len(xe) - 1, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    bins = np.flatnonzero(keep)
    if bins.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(bins) > 1) + 1
    out = []
    start = 0
    for run in np.split(bins, breaks):
        out.append((masked[start:start + run.size], xe[run[0]:run[-1] + 2]))
        start += run.size
    return out


class _Timer:
    """Context manager that adds the wall time spent inside it to ``value``, which starts
    at ``fmin.time`` (0 without an FMin), as iminuit's private timer of a fit."""

    def __init__(self, fmin: Any) -> None:
        self.value = float(getattr(fmin, "time", 0.0) or 0.0) if fmin is not None else 0.0

    def __enter__(self) -> _Timer:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *args: Any) -> None:
        self.value += time.perf_counter() - self._t0
