"""``minimize``: scipy-compatible minimisation of a scalar cost ``f(x)``.

The front validates input, wraps the cost (call counting, scalar check, derivatives) and
hands pure array functions to one solver per method:

- ``'BFGS'`` (default without bounds): :mod:`thetahat.solvers.bfgs`;
- ``'L-BFGS-B'`` (default with bounds): :mod:`thetahat.solvers.lbfgsb`;
- ``'Nelder-Mead'``: :mod:`thetahat.solvers.nelder_mead`;
- ``'migrad'``: :class:`thetahat.Minuit` (MIGRAD then HESSE) with ``errordef = 1``.

Gradients.  ``jac=True`` means ``fun`` returns ``(f, g)``; a callable ``jac(x, *args)``
returns ``g``; otherwise ``g`` is approximated by forward differences
``g_i = (f(x + h_i e_i) - f(x)) / h_i`` with scipy's absolute step ``h = eps``
(``sqrt(machine eps)`` for BFGS, ``1e-8`` for L-BFGS-B, option ``eps``), or the relative
step ``h_i = r max(1, |x_i|)`` when ``finite_diff_rel_step=r`` is given.  Steps are
flipped to stay inside bounds.  ``jac='3-point'`` uses central differences and
``jac='cs'`` the complex step ``g_i = Im f(x + i h e_i) / h`` (``fun`` must accept complex
input).  Each
gradient by differences costs ``n`` calls of ``fun`` on top of ``f(x)``, counted in
``nfev`` as scipy does.

Inverse Hessian.  BFGS returns its dense ``hess_inv``.  L-BFGS-B returns
:class:`thetahat.solvers.lbfgsb.LbfgsInvHess`, a ``scipy.sparse.linalg.LinearOperator``
holding the limited-memory pairs (``.todense()`` gives the matrix), like scipy.  For
``'migrad'`` ``hess_inv = covariance / 2`` since MINUIT's covariance with ``errordef = 1``
is ``2 H^-1``; its ``nit`` is MINUIT's call count ``nfcn`` (MINUIT has no iteration count)
and the ``Minuit`` object is returned in the extra field ``minuit``.

The callback follows scipy 1.17: if its signature has a parameter named
``intermediate_result`` it is called as ``callback(intermediate_result=OptimizeResult(x=,
fun=))``, otherwise as ``callback(xk)``; raising ``StopIteration`` ends the run with
status 99.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..derivatives.gradient import central_gradient, complex_step_gradient, forward_gradient
from ..solvers import bfgs as _bfgs
from ..solvers import nelder_mead as _nm
from ._fronts import MINIMIZE, check_finite, parse_bounds, wrap_callback
from ._result import OptimizeResult

__all__ = ["minimize"]

_EPS = np.finfo(float).eps

_METHOD_OPTIONS = {
    "bfgs": {"gtol", "norm", "eps", "maxiter", "disp", "return_all", "finite_diff_rel_step",
             "xrtol", "c1", "c2", "hess_inv0"},
    "l-bfgs-b": {"disp", "maxcor", "ftol", "gtol", "eps", "maxfun", "maxiter", "iprint",
                 "maxls", "finite_diff_rel_step", "workers"},
    "nelder-mead": {"disp", "maxiter", "maxfev", "return_all", "initial_simplex", "xatol",
                    "fatol", "adaptive", "bounds"},
    "migrad": {"disp", "maxfun", "maxfev", "maxiter", "strategy", "tol"},
}
_METHOD_NAMES = {"bfgs": "BFGS", "l-bfgs-b": "L-BFGS-B", "nelder-mead": "Nelder-Mead",
                 "migrad": "migrad"}


class _Objective:
    """The user's cost with counting, a scalar check and a gradient.

    ``f(x)`` returns the value; ``fg(x)`` value and gradient (by differences if needed).
    """

    def __init__(self, fun: Callable, jac: Any, args: tuple, eps: float,
                 rel_step: float | None, lower: np.ndarray, upper: np.ndarray) -> None:
        self.fun, self.args = fun, args
        self.jac_mode = "fd2"
        if jac is True:
            self.jac_mode = "fun"
        elif callable(jac):
            self.jac_mode = "callable"
        elif jac == "3-point":
            self.jac_mode = "fd3"
        elif jac == "cs":
            self.jac_mode = "cs"
        elif jac in (None, False, "2-point"):
            self.jac_mode = "fd2"
        else:
            raise ValueError(f"jac must be None, True, a callable, '2-point', '3-point' or "
                             f"'cs', got {jac!r}")
        self.jac = jac
        self.eps, self.rel_step = eps, rel_step
        self.lower, self.upper = lower, upper
        self.nfev = 0
        self.njev = 0
        self.last: tuple[np.ndarray, float, np.ndarray] | None = None  # x, f, gradient (jac=True)

    def _scalar(self, value: Any, x: np.ndarray) -> float:
        arr = np.asarray(value)
        if arr.size != 1:
            raise ValueError(f"fun must return a scalar, got an array of shape {arr.shape} "
                             f"at x={x!r}")
        try:
            return float(arr.reshape(()))
        except (TypeError, ValueError) as e:
            raise TypeError(f"fun must return a real scalar, got {value!r}") from e

    def _call(self, x: np.ndarray) -> Any:
        self.nfev += 1
        return self.fun(np.array(x), *self.args)

    def f(self, x: np.ndarray) -> float:
        if self.jac_mode == "fun":
            value, grad = self._call(x)
            self.njev += 1
            f = self._scalar(value, x)
            self.last = (x.copy(), f, np.asarray(grad, dtype=float).reshape(x.shape))
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
        self.njev += 1
        if self.jac_mode == "callable":
            g = np.asarray(self.jac(np.array(x), *self.args), dtype=float)
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


def _check_x0(x0: Any) -> np.ndarray:
    try:
        x = np.atleast_1d(np.asarray(x0, dtype=float))
    except (TypeError, ValueError) as e:
        raise TypeError(f"x0 must be a sequence of real numbers, got {x0!r}") from e
    if x.ndim != 1:
        raise ValueError(f"x0 must be one-dimensional, got shape {x.shape}")
    if x.size == 0:
        raise ValueError("x0 must not be empty")
    check_finite(x, "x0", message="{entry} is not finite; start values must be finite")
    return x


def _bounds(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(lower, upper) arrays from ``Bounds`` or (min, max) pairs; None for no bounds."""
    return None if bounds is None else parse_bounds(bounds, n, MINIMIZE)


def _solver_callback(callback: Callable | None) -> Callable[[np.ndarray, float], bool] | None:
    """The solvers' ``(x, f) -> stop`` from a user callback (scipy 1.17 rules)."""
    cb = wrap_callback(callback, sole_result_param=False, stop_on_true=False)
    if cb is None:
        return None
    return lambda x, f: cb({"x": x.copy(), "fun": f})


def minimize(fun: Callable, x0: Any, args: tuple = (), method: str | None = None,
             jac: Any = None, hess: Any = None, hessp: Any = None, bounds: Any = None,
             constraints: Sequence = (), tol: float | None = None,
             callback: Callable | None = None, options: dict | None = None) -> OptimizeResult:
    """Minimise a scalar function of one or more variables (scipy's interface).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (or ``(float, ndarray)`` with ``jac=True``).
    x0 : array_like, shape (n,)
        Start point; must be finite.
    args : tuple
        Extra arguments passed to ``fun`` and ``jac``.
    method : {'BFGS', 'L-BFGS-B', 'Nelder-Mead', 'migrad'}, optional
        Default ``'BFGS'``, or ``'L-BFGS-B'`` when ``bounds`` are given.
    jac : callable, True, '2-point', '3-point' or 'cs', optional
        Gradient; forward differences when omitted.
    hess, hessp : ignored
        Present for compatibility (scipy's argument order); a warning is issued if given.
    bounds : sequence of (min, max) pairs or ``Bounds``, optional
        ``None`` means unbounded on that side.
    constraints : ()
        Only an empty sequence is supported; others raise ``ValueError``.
    tol : float, optional
        Sets ``gtol`` (BFGS), ``ftol`` and ``gtol`` (L-BFGS-B), ``xatol`` and ``fatol``
        (Nelder-Mead), the EDM tolerance (migrad).
    callback : callable, optional
        ``callback(xk)`` or ``callback(intermediate_result)`` after each iteration.
    options : dict, optional
        Method options with scipy's names (``maxiter``, ``gtol``, ``disp``, ``xatol``,
        ``fatol``, ``adaptive``, ``maxfun``, ``ftol``, ``maxcor``, ``eps``, ...).  Unknown
        options raise a ``RuntimeWarning`` naming them.

    Returns
    -------
    OptimizeResult
        With scipy's fields for the method (``x, fun, jac, hess_inv, nfev, njev, nit,
        status, success, message``; ``final_simplex`` for Nelder-Mead).

    Examples
    --------
    >>> from thetahat import minimize
    >>> res = minimize(lambda x: (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2, [0.0, 0.0])
    >>> res.success, [round(float(v), 5) for v in res.x]
    (True, [1.0, -2.0])
    """
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {type(fun).__name__}")
    if not isinstance(args, tuple):
        args = (args,)
    x = _check_x0(x0)
    n = x.size
    if constraints:
        raise ValueError("constraints are not supported by thetahat.minimize")
    box = _bounds(bounds, n)
    if method is None:
        method = "L-BFGS-B" if box is not None else "BFGS"
    if not isinstance(method, str) or method.lower() not in _METHOD_OPTIONS:
        raise ValueError(f"unknown method {method!r}; choose one of "
                         f"{sorted(_METHOD_NAMES.values())}")
    meth = method.lower()
    options = dict(options or {})
    unknown = sorted(set(options) - _METHOD_OPTIONS[meth])
    if unknown:
        warnings.warn(f"Unknown solver options for method {_METHOD_NAMES[meth]}: "
                      f"{', '.join(unknown)}", RuntimeWarning, stacklevel=2)
    if hess is not None:
        warnings.warn(f"Method {_METHOD_NAMES[meth]} does not use Hessian information "
                      "(hess).", RuntimeWarning, stacklevel=2)
    if hessp is not None:
        warnings.warn(f"Method {_METHOD_NAMES[meth]} does not use Hessian-vector product "
                      "information (hessp).", RuntimeWarning, stacklevel=2)
    if meth == "nelder-mead" and jac is not None and jac is not False:
        warnings.warn("Method Nelder-Mead does not use gradient information (jac).",
                      RuntimeWarning, stacklevel=2)
    if meth == "bfgs" and box is not None:
        warnings.warn("Method BFGS cannot handle constraints nor bounds.", RuntimeWarning,
                      stacklevel=2)
        box = None
    if meth == "nelder-mead" and box is None and options.get("bounds") is not None:
        box = _bounds(options["bounds"], n)
    lower = box[0] if box is not None else np.full(n, -np.inf)
    upper = box[1] if box is not None else np.full(n, np.inf)
    if box is not None and (np.any(x < lower) or np.any(x > upper)):
        warnings.warn("Initial guess is not within the specified bounds", RuntimeWarning,
                      stacklevel=2)
        x = np.clip(x, lower, upper)
    default_eps = 1e-8 if meth == "l-bfgs-b" else float(np.sqrt(_EPS))
    obj = _Objective(fun, jac if meth != "nelder-mead" else None, args,
                     float(options.get("eps", default_eps)),
                     options.get("finite_diff_rel_step"), lower, upper)
    cb = _solver_callback(callback)
    if meth == "bfgs":
        res = _run_bfgs(obj, x, tol, options, cb)
    elif meth == "l-bfgs-b":
        res = _run_lbfgsb(obj, x, lower, upper, tol, options, cb)
    elif meth == "nelder-mead":
        res = _run_nelder_mead(obj, x, box, tol, options, cb)
    else:
        if callback is not None:
            warnings.warn("method migrad does not support callback; it is ignored",
                          RuntimeWarning, stacklevel=2)
        res = _run_migrad(obj, x, box, tol, options)
    if options.get("disp"):
        print(res.message)
        print(f"         Current function value: {res.fun:.6f}")
        print(f"         Iterations: {res.get('nit', 0)}")
        print(f"         Function evaluations: {res.nfev}")
    return res


def _set_options(opt: Any, options: dict, keys: Sequence[str]) -> None:
    """Copy the given ``options`` (those that are not None) onto a solver's settings."""
    for key in keys:
        if options.get(key) is not None:
            setattr(opt, key, options[key])


def _recording(cb: Callable | None, x: np.ndarray, options: dict
               ) -> tuple[Callable | None, list[np.ndarray]]:
    """With ``return_all``, a callback that also records every iterate (scipy's
    ``allvecs``, starting with x0) around the user's ``cb``; else ``cb`` unchanged."""
    allvecs = [x.copy()]
    if not options.get("return_all"):
        return cb, allvecs

    def recording(xk: np.ndarray, fk: float) -> bool:
        allvecs.append(xk.copy())
        return bool(cb(xk, fk)) if cb else False

    return recording, allvecs


def _run_bfgs(obj: _Objective, x: np.ndarray, tol: float | None, options: dict,
              cb: Callable | None) -> OptimizeResult:
    opt = _bfgs.BFGSOptions()
    if tol is not None:
        opt.gtol = float(tol)
    _set_options(opt, options, ("gtol", "norm", "maxiter", "xrtol", "c1", "c2", "hess_inv0"))
    cb, allvecs = _recording(cb, x, options)
    r = _bfgs.bfgs(obj.fg, x, opt, cb)
    res = OptimizeResult(x=r.x, fun=r.fun, jac=r.jac, hess_inv=r.hess_inv, nfev=obj.nfev,
                         njev=obj.njev, nit=r.nit, status=r.status, message=r.message,
                         success=r.status == 0)
    if options.get("return_all"):
        res["allvecs"] = allvecs
    return res


def _run_lbfgsb(obj: _Objective, x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                tol: float | None, options: dict, cb: Callable | None) -> OptimizeResult:
    from ..solvers import lbfgsb as _lb

    opt = _lb.LBFGSBOptions()
    if tol is not None:
        opt.ftol = opt.gtol = float(tol)
    _set_options(opt, options, ("maxcor", "ftol", "gtol", "maxfun", "maxiter", "maxls"))

    r = _lb.lbfgsb(obj.fg, x, lower, upper, opt, cb, nfev=lambda: obj.nfev)
    return OptimizeResult(x=r.x, fun=r.fun, jac=r.jac, hess_inv=r.hess_inv, nfev=obj.nfev,
                          njev=obj.njev, nit=r.nit, status=r.status, message=r.message,
                          success=r.status == 0)


def _run_nelder_mead(obj: _Objective, x: np.ndarray, box: Any, tol: float | None,
                     options: dict, cb: Callable | None) -> OptimizeResult:
    opt = _nm.NelderMeadOptions()
    if tol is not None:
        opt.xatol = opt.fatol = float(tol)
    _set_options(opt, options,
                 ("xatol", "fatol", "maxiter", "maxfev", "adaptive", "initial_simplex"))
    if opt.initial_simplex is not None:
        sim = np.asarray(opt.initial_simplex, dtype=float)
        if sim.shape != (x.size + 1, x.size):
            raise ValueError(f"initial_simplex must have shape {(x.size + 1, x.size)}, got "
                             f"{sim.shape}")
    if box is not None:
        opt.lower, opt.upper = box
    cb, allvecs = _recording(cb, x, options)
    r = _nm.nelder_mead(obj.f, x, opt, cb)
    res = OptimizeResult(x=r.x, fun=r.fun, nit=r.nit, nfev=r.nfev, status=r.status,
                         message=r.message, success=r.status == 0,
                         final_simplex=r.final_simplex)
    if options.get("return_all"):
        res["allvecs"] = allvecs
    return res


def _run_migrad(obj: _Objective, x: np.ndarray, box: Any, tol: float | None,
                options: dict) -> OptimizeResult:
    try:
        from ..minuit import Minuit
    except ImportError as e:  # pragma: no cover - Minuit ships with thetahat
        raise ValueError("method 'migrad' needs thetahat.minuit.Minuit") from e
    names = [f"x{i}" for i in range(x.size)]
    grad = None
    if obj.jac_mode == "callable":
        def grad(p: np.ndarray) -> np.ndarray:
            return obj.grad(np.asarray(p, dtype=float), np.nan)
    elif obj.jac_mode == "fun":
        def grad(p: np.ndarray) -> np.ndarray:
            p = np.asarray(p, dtype=float)
            obj.f(p)
            assert obj.last is not None
            return obj.last[2]

    m = Minuit(lambda p: obj.f(np.asarray(p, dtype=float)), x, grad=grad, name=names)
    m.errordef = 1.0
    if tol is not None:
        m.tol = float(tol)
    if options.get("tol") is not None:
        m.tol = float(options["tol"])
    if options.get("strategy") is not None:
        m.strategy = int(options["strategy"])
    if box is not None:
        for i in range(x.size):
            lo = None if np.isinf(box[0][i]) else float(box[0][i])
            hi = None if np.isinf(box[1][i]) else float(box[1][i])
            if lo is not None or hi is not None:
                m.limits[i] = (lo, hi)
    ncall = options.get("maxfun", options.get("maxfev"))
    m.migrad(ncall=ncall)
    m.hesse()
    fmin = m.fmin
    assert fmin is not None and m.fval is not None  # migrad() always records a minimum
    xr = np.array(m.values, dtype=float)
    cov = np.array(m.covariance, dtype=float) if m.covariance is not None else None
    hess_inv = cov / 2.0 if cov is not None else None  # covariance = 2 errordef H^-1
    status = 0 if fmin.is_valid else (1 if fmin.has_reached_call_limit else 2)
    message = "Optimization terminated successfully." if status == 0 else (
        "Call limit reached." if status == 1 else "MIGRAD did not reach a valid minimum.")
    return OptimizeResult(x=xr, fun=float(m.fval), hess_inv=hess_inv, nfev=obj.nfev,
                          njev=obj.njev, nit=int(m.nfcn), status=status, message=message,
                          success=status == 0, minuit=m)
