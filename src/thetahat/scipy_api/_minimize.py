"""``minimize``: scipy-compatible minimisation of a scalar cost ``f(x)``.

thetahat's own methods.  The front validates input, wraps the cost (call counting, the
scalar check, derivatives: :mod:`thetahat.scipy_api._objective`) and hands pure array
functions to one solver per method:

- ``'BFGS'`` (default without bounds or constraints): :mod:`thetahat.solvers.bfgs`;
- ``'L-BFGS-B'`` (default with bounds): :mod:`thetahat.solvers.lbfgsb`;
- ``'Nelder-Mead'``: :mod:`thetahat.solvers.nelder_mead`;
- ``'migrad'``: :class:`thetahat.Minuit` (MIGRAD then HESSE) with ``errordef = 1``.

Every other method scipy offers (``Powell``, ``CG``, ``Newton-CG``, ``TNC``, ``COBYLA``,
``COBYQA``, ``SLSQP``, ``trust-constr``, ``dogleg``, ``trust-ncg``, ``trust-krylov``,
``trust-exact``), a callable ``method``, and the default with ``constraints`` (SLSQP)
run scipy's own code through the one adapter :mod:`thetahat.scipy_api._scipy_methods`.

Inverse Hessian.  BFGS returns its dense ``hess_inv``.  L-BFGS-B returns
:class:`thetahat.solvers.lbfgsb.LbfgsInvHess`, a ``scipy.sparse.linalg.LinearOperator``
holding the limited-memory pairs (``.todense()`` gives the matrix), like scipy.  For
``'migrad'`` ``hess_inv = covariance / 2`` since MINUIT's covariance with ``errordef = 1``
is ``2 H^-1``; its ``nit`` is MINUIT's call count ``nfcn`` (MINUIT has no iteration count)
and the ``Minuit`` object is returned in the extra field ``minuit``.

Callbacks follow scipy 1.17: a callback whose only parameter is named
``intermediate_result`` is called as ``callback(intermediate_result=OptimizeResult(x=,
fun=))``, any other as ``callback(xk)``; raising ``StopIteration`` ends the run with
status 99 and the message "`callback` raised `StopIteration`.".  The return value is
ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import OptimizeWarning

from .._core.warnings import warn_user
from ..solvers import bfgs as _bfgs
from ..solvers import nelder_mead as _nm
from ._fronts import MINIMIZE, parse_bounds, wrap_callback
from ._objective import Objective, check_x0
from ._result import OptimizeResult
from ._scipy_methods import SCIPY_METHODS, scipy_minimize

__all__ = ["minimize"]

_EPS = np.finfo(float).eps

_METHOD_OPTIONS = {
    "bfgs": {"gtol", "norm", "eps", "maxiter", "disp", "return_all", "finite_diff_rel_step",
             "xrtol", "c1", "c2", "hess_inv0", "workers"},
    "l-bfgs-b": {"disp", "maxcor", "ftol", "gtol", "eps", "maxfun", "maxiter", "iprint",
                 "maxls", "finite_diff_rel_step", "workers"},
    "nelder-mead": {"disp", "maxiter", "maxfev", "return_all", "initial_simplex", "xatol",
                    "fatol", "adaptive", "bounds"},
    "migrad": {"disp", "maxfun", "maxfev", "maxiter", "strategy", "tol"},
}
_METHOD_NAMES = {"bfgs": "BFGS", "l-bfgs-b": "L-BFGS-B", "nelder-mead": "Nelder-Mead",
                 "migrad": "migrad"}
_TOL_OPTIONS = {"bfgs": ("gtol",), "l-bfgs-b": ("ftol", "gtol"),
                "nelder-mead": ("xatol", "fatol"), "migrad": ("tol",)}
"""The options that ``tol`` sets unless they are given (scipy's ``setdefault``)."""


def _has_constraints(constraints: Any) -> bool:
    """Whether ``constraints`` holds any (a dict or constraint object is one)."""
    if constraints is None:
        return False
    if isinstance(constraints, (list, tuple)):
        return len(constraints) > 0
    return True


def _solver_callback(callback: Callable | None) -> Callable[[np.ndarray, float], bool] | None:
    """The solvers' ``(x, f) -> stop`` from a user callback (scipy 1.17 rules)."""
    cb = wrap_callback(callback, stop_on_true=False)
    if cb is None:
        return None
    return lambda x, f: cb({"x": x.copy(), "fun": f})


def minimize(fun: Callable, x0: Any, args: tuple = (), method: str | Callable | None = None,
             jac: Any = None, hess: Any = None, hessp: Any = None, bounds: Any = None,
             constraints: Any = (), tol: float | None = None,
             callback: Callable | None = None, options: dict | None = None) -> OptimizeResult:
    """Minimise a scalar function of one or more variables (scipy's interface).

    ``'BFGS'``, ``'L-BFGS-B'``, ``'Nelder-Mead'`` and ``'migrad'`` are thetahat's own
    implementations.  All other scipy methods (``'Powell'``, ``'CG'``, ``'Newton-CG'``,
    ``'TNC'``, ``'COBYLA'``, ``'COBYQA'``, ``'SLSQP'``, ``'trust-constr'``, ``'dogleg'``,
    ``'trust-ncg'``, ``'trust-krylov'``, ``'trust-exact'``) and a callable ``method`` run
    scipy's own code with the arguments unchanged; only the result type is ours.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (or ``(float, ndarray)`` with ``jac=True``).
    x0 : array_like, shape (n,)
        Start point (one dimension; a float32 ``x0`` gives a float32 ``x`` for BFGS and
        Nelder-Mead, as in scipy).
    args : tuple
        Extra arguments passed to ``fun``, ``jac`` (and ``hess``); a non-tuple is one
        argument.
    method : str or callable, optional
        Default ``'BFGS'``; ``'L-BFGS-B'`` when ``bounds`` are given; ``'SLSQP'`` when
        ``constraints`` are given.
    jac : callable, True, '2-point', '3-point' or 'cs', optional
        Gradient; forward differences when omitted.
    hess, hessp : callable, optional
        Hessian or Hessian-vector product, for the methods that use them (scipy's);
        thetahat's own methods warn that they do not.
    bounds : sequence of (min, max) pairs or ``Bounds``, optional
        ``None`` means unbounded on that side; a single pair applies to every variable.
        BFGS warns that it cannot handle bounds and ignores them.
    constraints : dict, ``NonlinearConstraint``, ``LinearConstraint`` or a sequence
        For COBYLA, COBYQA, SLSQP and trust-constr; thetahat's own methods warn
        ("Method X cannot handle constraints.") and ignore them, as scipy does.
    tol : float, optional
        Sets ``gtol`` (BFGS), ``ftol`` and ``gtol`` (L-BFGS-B), ``xatol`` and ``fatol``
        (Nelder-Mead), the EDM tolerance (migrad), unless those options are given.
    callback : callable, optional
        ``callback(intermediate_result)`` (the sole parameter has that name) or
        ``callback(xk)``, after each iteration; raising ``StopIteration`` stops.
    options : dict, optional
        Method options with scipy's names: BFGS ``gtol, norm, eps, maxiter, disp,
        return_all, finite_diff_rel_step, xrtol, c1, c2, hess_inv0, workers``; L-BFGS-B
        ``maxcor, ftol, gtol, eps, maxfun, maxiter, maxls, finite_diff_rel_step,
        workers`` (``disp``, ``iprint`` are deprecated in scipy and warn); Nelder-Mead
        ``maxiter, maxfev, disp, return_all, initial_simplex, xatol, fatol, adaptive,
        bounds``; migrad ``maxfun``/``maxfev``, ``strategy``, ``tol``, ``disp``.
        ``workers`` is accepted and the gradient differences are evaluated in turn (the
        result is the same).  Unknown options give an ``OptimizeWarning`` naming them.

    Returns
    -------
    OptimizeResult
        A ``scipy.optimize.OptimizeResult`` with scipy's fields for the method (``x, fun,
        jac, hess_inv, nfev, njev, nit, status, success, message``; ``final_simplex``
        for Nelder-Mead; ``allvecs`` with ``return_all``).

    Raises
    ------
    ValueError
        ``'x0' must only have one dimension.``; a ``fun`` that does not return a scalar;
        bounds of the wrong length or out of order; an unknown method; a ``hess_inv0``
        that is not a symmetric positive definite (n, n) matrix.

    Examples
    --------
    >>> from thetahat import minimize
    >>> res = minimize(lambda x: (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2, [0.0, 0.0])
    >>> res.success, [round(float(v), 5) for v in res.x]
    (True, [1.0, -2.0])
    >>> res = minimize(lambda x: x[0] ** 2 + x[1] ** 2, [1.0, 1.0], method="SLSQP",
    ...                constraints={"type": "eq", "fun": lambda x: x[0] + x[1] - 1})
    >>> [round(float(v), 5) for v in res.x]
    [0.5, 0.5]
    """
    if method is None:
        if _has_constraints(constraints):
            method = "SLSQP"
        else:
            method = "BFGS" if bounds is None else "L-BFGS-B"
    if callable(method) or (isinstance(method, str) and method.lower() in SCIPY_METHODS):
        return scipy_minimize(fun, x0, args, method, jac, hess, hessp, bounds, constraints,
                              tol, callback, options)
    if not isinstance(method, str) or method.lower() not in _METHOD_OPTIONS:
        raise ValueError(f"Unknown solver {method!r}; choose one of "
                         f"{sorted(_METHOD_NAMES.values()) + sorted(SCIPY_METHODS.values())}"
                         " or pass a callable")
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {type(fun).__name__}")
    meth = method.lower()
    if not isinstance(args, tuple):
        args = (args,)
    x = check_x0(x0)
    dtype = x.dtype if meth in ("bfgs", "nelder-mead") else np.dtype(float)
    x = x.astype(float)
    n = x.size
    options = dict(options or {})
    _warn_unused(meth, options, jac, hess, hessp, bounds, constraints)
    if tol is not None:
        for key in _TOL_OPTIONS[meth]:
            options.setdefault(key, tol)
    box = None if bounds is None or meth == "bfgs" else parse_bounds(bounds, n, MINIMIZE)
    if meth == "nelder-mead" and box is None and options.get("bounds") is not None:
        box = parse_bounds(options["bounds"], n, MINIMIZE)
    lower = box[0] if box is not None else np.full(n, -np.inf)
    upper = box[1] if box is not None else np.full(n, np.inf)
    if box is not None and (np.any(x < lower) or np.any(x > upper)):
        if meth != "l-bfgs-b":  # scipy's L-BFGS-B projects x0 without a word
            warn_user("Initial guess is not within the specified bounds",
                      OptimizeWarning)
        x = np.clip(x, lower, upper)
    default_eps = 1e-8 if meth == "l-bfgs-b" else float(np.sqrt(_EPS))
    obj = Objective(fun, jac if meth != "nelder-mead" else None, args,
                    float(options.get("eps", default_eps)),
                    options.get("finite_diff_rel_step"), lower, upper, dtype)
    cb = _solver_callback(callback)
    if meth == "l-bfgs-b" and np.any(lower == upper):
        return _run_lbfgsb_fixed(obj, x, lower, upper, options, cb)
    if meth == "bfgs":
        res = _run_bfgs(obj, x, options, cb)
    elif meth == "l-bfgs-b":
        res = _run_lbfgsb(obj, x, lower, upper, options, cb)
    elif meth == "nelder-mead":
        res = _run_nelder_mead(obj, x, box, options, cb)
    else:
        if callback is not None:
            warn_user("method migrad does not support callback; it is ignored",
                      RuntimeWarning)
        res = _run_migrad(obj, x, box, options)
    if dtype != np.dtype(float):
        res["x"] = res.x.astype(dtype)
    _report(meth, res, options)
    return res


def _warn_unused(meth: str, options: dict, jac: Any, hess: Any, hessp: Any, bounds: Any,
                 constraints: Any) -> None:
    """scipy's warnings for arguments and options that the method does not use."""
    name = _METHOD_NAMES[meth]
    unknown = sorted(set(options) - _METHOD_OPTIONS[meth])
    if unknown:
        warn_user(f"Unknown solver options: {', '.join(unknown)}", OptimizeWarning)
    if meth == "l-bfgs-b" and (options.get("disp") is not None
                               or options.get("iprint") is not None):
        warn_user("scipy.optimize: The `disp` and `iprint` options of the L-BFGS-B "
                  "solver are deprecated and will be removed in SciPy 1.18.0.",
                  DeprecationWarning)
    if meth == "nelder-mead" and jac is not None and jac is not False:
        warn_user("Method Nelder-Mead does not use gradient information (jac).",
                  RuntimeWarning)
    if hess is not None:
        warn_user(f"Method {name} does not use Hessian information (hess).",
                  RuntimeWarning)
    if hessp is not None:
        warn_user(f"Method {name} does not use Hessian-vector product information "
                  "(hessp).", RuntimeWarning)
    if _has_constraints(constraints):
        warn_user(f"Method {name} cannot handle constraints.", RuntimeWarning)
    if meth == "bfgs" and bounds is not None:
        warn_user("Method BFGS cannot handle bounds.", RuntimeWarning)


def _report(meth: str, res: OptimizeResult, options: dict) -> None:
    """With ``disp``: scipy's printout, or its warning when the run did not converge."""
    if not options.get("disp") or meth == "l-bfgs-b":  # scipy's L-BFGS-B prints nothing
        return
    ok = res.status in (0, 99)  # scipy reports a callback stop as a success here
    if meth == "nelder-mead" and not ok:
        warn_user(res.message, RuntimeWarning)
        return
    if meth == "bfgs" and not ok:
        warn_user(res.message, OptimizeWarning)
    else:
        print("Optimization terminated successfully." if ok else res.message)
    print(f"         Current function value: {res.fun:.6f}")
    print(f"         Iterations: {res.get('nit', 0)}")
    print(f"         Function evaluations: {res.nfev}")
    if meth == "bfgs":
        print(f"         Gradient evaluations: {res.njev}")


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


def _check_bfgs_options(opt: _bfgs.BFGSOptions, n: int) -> None:
    """scipy's checks of the line-search constants and of ``hess_inv0``."""
    if not 0 < opt.c1 < opt.c2 < 1:
        raise ValueError("'c1' and 'c2' do not satisfy '0 < c1 < c2 < 1'.")
    if opt.hess_inv0 is None:
        return
    h = np.asarray(opt.hess_inv0, dtype=float)
    if h.shape != (n, n):
        raise ValueError(f"'hess_inv0' must have shape {(n, n)}, got {h.shape}")
    if not np.array_equal(h, h.T):
        raise ValueError("'hess_inv0' matrix isn't positive definite. (it is not symmetric)")
    try:
        np.linalg.cholesky(h)
    except np.linalg.LinAlgError:
        raise ValueError("'hess_inv0' matrix isn't positive definite.") from None
    opt.hess_inv0 = h


def _run_bfgs(obj: Objective, x: np.ndarray, options: dict,
              cb: Callable | None) -> OptimizeResult:
    opt = _bfgs.BFGSOptions()
    _set_options(opt, options, ("gtol", "norm", "maxiter", "xrtol", "c1", "c2", "hess_inv0"))
    _check_bfgs_options(opt, x.size)
    cb, allvecs = _recording(cb, x, options)
    r = _bfgs.bfgs(obj.fg, x, opt, cb)
    res = OptimizeResult(x=r.x, fun=r.fun, jac=r.jac, hess_inv=r.hess_inv, nfev=obj.nfev,
                         njev=obj.njev, nit=r.nit, status=r.status, message=r.message,
                         success=r.status == 0)
    if options.get("return_all"):
        res["allvecs"] = allvecs
    return res


def _run_lbfgsb(obj: Objective, x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                options: dict, cb: Callable | None) -> OptimizeResult:
    from ..solvers import lbfgsb as _lb

    opt = _lb.LBFGSBOptions()
    _set_options(opt, options, ("maxcor", "ftol", "gtol", "maxfun", "maxiter", "maxls"))
    r = _lb.lbfgsb(obj.fg, x, lower, upper, opt, cb, nfev=lambda: obj.nfev)
    return OptimizeResult(x=r.x, fun=r.fun, jac=r.jac, hess_inv=r.hess_inv, nfev=obj.nfev,
                          njev=obj.njev, nit=r.nit, status=r.status, message=r.message,
                          success=r.status == 0)


_ALL_FIXED = "All independent variables were fixed by bounds."


def _run_lbfgsb_fixed(obj: Objective, x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                      options: dict, cb: Callable | None) -> OptimizeResult:
    """L-BFGS-B with variables fixed by ``lb == ub``, as scipy treats them.

    All fixed: one call of ``fun`` at the bounds.  Some fixed and the gradient by
    differences: the free variables are solved for alone (no difference step is taken
    across a fixed variable); ``jac`` is NaN at the fixed ones and ``hess_inv`` is None,
    as in scipy.  With an analytic gradient the full problem is solved.
    """
    fixed = lower == upper
    if fixed.all():
        fun = obj.f(lower.copy())
        return OptimizeResult(x=lower.copy(), fun=fun, nfev=obj.nfev, njev=0, nhev=0,
                              status=0, success=True, message=_ALL_FIXED)
    if obj.jac_mode in ("callable", "fun"):
        return _run_lbfgsb(obj, x, lower, upper, options, cb)
    free = ~fixed

    def expand(z: np.ndarray) -> np.ndarray:
        full = lower.astype(np.result_type(z, lower))
        full[free] = z
        return full

    user = obj.fun
    red = Objective(lambda z, *a: user(expand(z), *a), obj.jac, obj.args, obj.eps,
                    obj.rel_step, lower[free], upper[free], obj.dtype)
    red_cb = None if cb is None else (lambda z, f: cb(expand(z), f))
    res = _run_lbfgsb(red, x[free], lower[free], upper[free], options, red_cb)
    jac = np.full(x.size, np.nan)
    jac[free] = res.jac
    res.update(x=expand(res.x), jac=jac, hess_inv=None)
    return res


def _run_nelder_mead(obj: Objective, x: np.ndarray, box: Any, options: dict,
                     cb: Callable | None) -> OptimizeResult:
    opt = _nm.NelderMeadOptions()
    _set_options(opt, options,
                 ("xatol", "fatol", "maxiter", "maxfev", "adaptive", "initial_simplex"))
    if opt.initial_simplex is not None:
        sim = np.asarray(opt.initial_simplex, dtype=float)
        if sim.shape != (x.size + 1, x.size):
            raise ValueError(f"`initial_simplex` should be an array of shape (N+1,N) "
                             f"= {(x.size + 1, x.size)}, got {sim.shape}")
        if np.linalg.matrix_rank(sim[1:] - sim[0]) < x.size:
            raise ValueError("`initial_simplex` is degenerate: its vertices do not span "
                             f"{x.size} dimensions")
        opt.initial_simplex = sim
    if box is not None:
        opt.lower, opt.upper = box
    cb, allvecs = _recording(cb, x, options)
    r = _nm.nelder_mead(obj.f, x, opt, cb)
    sim, fsim = r.final_simplex
    res = OptimizeResult(x=r.x, fun=r.fun, nit=r.nit, nfev=r.nfev, status=r.status,
                         message=r.message, success=r.status == 0,
                         final_simplex=(sim.astype(obj.dtype), fsim))
    if options.get("return_all"):
        res["allvecs"] = allvecs
    return res


def _run_migrad(obj: Objective, x: np.ndarray, box: Any,
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
