"""``iminuit.minimize``: MIGRAD (or SIMPLEX) behind the calling convention of
``scipy.optimize.minimize``.

This is iminuit's front, not scipy's: the default method is ``"migrad"``, the options are
iminuit's (``disp``, ``stra``, ``maxfun``, ``eps``), ``callback`` is called on every
function evaluation (scipy calls it once per iteration), and the result carries the
``Minuit`` object that did the work. :func:`thetahat.minimize` keeps scipy's semantics
(default BFGS); use this one where code was written for ``iminuit.minimize``.

The function is minimized as a likelihood-like cost with ``errordef = 0.5``, so that the
covariance MINUIT reports, 2 · errordef · H⁻¹, is the inverse Hessian H⁻¹ that scipy calls
``hess_inv``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.warnings import warn_user
from ._minuit import Minuit

if TYPE_CHECKING:  # scipy.optimize costs ~0.3 s to import: only when a result is made
    from numpy.typing import ArrayLike
    from scipy.optimize import OptimizeResult

__all__ = ["minimize"]

_OPTIONS = ("disp", "stra", "maxfun", "maxfev", "maxiter", "eps")


def _limits(bounds: Any, n: int) -> list[tuple[float, float]]:
    """``bounds`` (a ``scipy.optimize.Bounds`` or a sequence of (min, max) pairs, None for
    no limit) as n pairs of floats."""
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lo = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,))
        hi = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,))
        pairs: Sequence[Any] = list(zip(lo, hi))
    else:
        pairs = list(bounds)
    if len(pairs) != n:
        raise ValueError(f"bounds has {len(pairs)} entries but x0 has {n}")
    out = []
    for i, pair in enumerate(pairs):
        try:
            a, b = pair
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{i}] = {pair!r} is not a pair (min, max)") from None
        out.append((-np.inf if a is None else float(a), np.inf if b is None else float(b)))
    return out


def _options(options: dict | None) -> tuple[bool, int, int | None, Any]:
    """disp, strategy, call limit and initial steps from iminuit's option names."""
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(_OPTIONS))
    if unknown:
        warn_user(f"options {unknown} are not understood and are ignored; known: "
                  f"{list(_OPTIONS)}", UserWarning)
    maxfun = opts.get("maxfun")
    if "maxfev" in opts:
        warn_user("maxfev is deprecated, use maxfun instead", DeprecationWarning)
        maxfun = opts["maxfev"]
    if "maxiter" in opts:
        warn_user("maxiter not supported, acts like maxfun instead", UserWarning)
        maxfun = opts["maxiter"]
    return bool(opts.get("disp", False)), int(opts.get("stra", 1)), maxfun, opts.get("eps")


def _message(m: Minuit) -> tuple[bool, int, str]:
    """success, a scipy-style status (0 converged, 1 call limit, 2 other failure) and
    iminuit's message."""
    fmin = m.fmin
    assert fmin is not None
    if fmin.is_valid:
        msg = "Optimization terminated successfully"
        if not fmin.has_accurate_covar:
            msg += ", but uncertainties are unreliable"
        return True, 0, msg + "."
    msg = "Optimization failed."
    if fmin.has_reached_call_limit:
        msg += " Call limit was reached."
    if fmin.is_above_max_edm:
        msg += " Estimated distance to minimum too large."
    return False, 1 if fmin.has_reached_call_limit else 2, msg


def minimize(fun: Callable, x0: ArrayLike, args: Sequence[Any] = (), method: str = "migrad",
             jac: Callable | None = None, hess: Any = None, hessp: Any = None,
             bounds: Any = None, constraints: Any = None, tol: float | None = None,
             callback: Callable | None = None, options: dict | None = None
             ) -> OptimizeResult:
    """Minimize ``fun`` with MIGRAD or SIMPLEX through scipy's ``minimize`` interface, as
    ``iminuit.minimize`` does (module docstring: this is not :func:`thetahat.minimize`).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` with x a 1-D array.
    x0 : array_like
        The starting point (a scalar is a point of one coordinate).
    args : tuple
        Extra arguments passed to ``fun`` and ``jac``.
    method : {"migrad", "simplex"}
        The MINUIT algorithm.
    jac : callable, optional
        ``jac(x, *args) -> array``, the gradient. ``jac=True`` (value and gradient from one
        call) is not supported.
    hess, hessp : optional
        Not used (a warning says so): MINUIT builds its own Hessian.
    bounds : scipy.optimize.Bounds or sequence of (min, max), optional
        Limits of the coordinates; None in a pair means no limit.
    constraints : must be None
        MINUIT supports no constraints other than bounds.
    tol : float, optional
        MINUIT's tolerance (``Minuit.tol``): MIGRAD stops at EDM < 0.002 · tol · errordef.
    callback : callable, optional
        ``callback(x)``, called after *every* function evaluation.
    options : dict, optional
        ``disp`` (bool, print the fit summaries), ``stra`` (strategy 0, 1, 2; default 1),
        ``maxfun`` (call limit; ``maxfev`` is a deprecated alias, ``maxiter`` acts like
        it), ``eps`` (initial step sizes, a number or one per coordinate).

    Returns
    -------
    OptimizeResult
        ``x``, ``fun``, ``success``, ``status`` (0 converged, 1 call limit reached,
        2 other failure), ``message``, ``hess_inv`` (the covariance with errordef 0.5, i.e.
        the inverse Hessian; NaN where there is no covariance, after SIMPLEX), ``nfev``,
        ``njev`` and ``minuit``, the :class:`~thetahat.Minuit` object.

    Raises
    ------
    ValueError
        For an unknown ``method``, ``jac=True``, constraints, or bounds that do not match
        x0.

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat.minuit import minimize
    >>> r = minimize(lambda x: (x[0] - 1) ** 2 + 4 * (x[1] + 2) ** 2, [0.0, 0.0])
    >>> r.success, np.round(r.x, 6).tolist(), np.round(np.diag(r.hess_inv), 6).tolist()
    (True, [1.0, -2.0], [0.5, 0.125])
    """
    if method not in ("migrad", "simplex"):
        raise ValueError(f"keyword method={method} not understood; use 'migrad' or "
                         "'simplex'")
    if constraints is not None:
        raise ValueError("Constraints are not supported by Minuit, only bounds")
    if jac is True:
        raise ValueError("jac=True is not supported, only jac=callable")
    if jac is not None and not callable(jac):
        raise ValueError(f"jac must be None or callable, got {jac!r}")
    if hess is not None or hessp is not None:
        warn_user("hess and hessp arguments cannot be handled and are ignored",
                  UserWarning)
    disp, strategy, maxfun, eps = _options(options)
    start = np.atleast_1d(np.asarray(x0, dtype=float))
    if start.ndim != 1:
        raise ValueError(f"x0 must be a scalar or a 1-D array, got shape {start.shape}")
    extra = tuple(args) if isinstance(args, (tuple, list)) else (args,)

    def fcn(x: np.ndarray) -> float:
        r = fun(x, *extra)
        if callback is not None:
            callback(x)
        return float(np.squeeze(r))

    def gradient(x: np.ndarray) -> np.ndarray:
        assert jac is not None
        return np.atleast_1d(np.asarray(jac(x, *extra), dtype=float))

    grad = gradient if jac is not None else None
    m = Minuit(fcn, start, grad=grad, name=[f"x{i}" for i in range(start.size)])
    m.errordef = 0.5
    m.strategy = strategy
    m.print_level = 2 if disp else 0
    if tol is not None:
        m.tol = tol
    if eps is not None:
        m.errors = np.broadcast_to(np.asarray(eps, dtype=float), start.shape)
    if bounds is not None:
        m.limits = _limits(bounds, start.size)
    if method == "migrad":
        m.migrad(ncall=maxfun)
    else:
        m.simplex(ncall=maxfun)
    success, status, message = _message(m)
    cov = m.covariance
    hess_inv = (np.array(cov, dtype=float) if cov is not None
                else np.full((start.size, start.size), np.nan))
    fval = m.fval if m.fval is not None else np.nan
    from scipy.optimize import OptimizeResult

    return OptimizeResult(x=np.array(m.values, dtype=float), success=success, status=status,
                          fun=float(fval), hess_inv=hess_inv, message=message, nfev=m.nfcn,
                          njev=m.ngrad, minuit=m)
