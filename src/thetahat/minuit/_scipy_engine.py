"""The SciPy engine of ``Minuit``: :func:`scipy.optimize.minimize` on the free parameters.

The free parameters x_F (the others held at their values) are handed to
``scipy.optimize.minimize`` in *external* coordinates: limits become the method's
``bounds``, constraints on all parameters become constraints on x_F (a linear constraint
``lb <= A x <= ub`` becomes ``lb - A_X x_X <= A_F x_F <= ub - A_X x_X`` for the fixed block
X; a non-linear one gets its function and Jacobian composed with the embedding
x_F -> x), and the user's gradient, Hessian and Hessian-vector product are restricted the
same way (g_F, H_FF, (H [v_F; 0])_F).

SciPy stops by its own rules; MINUIT's rule is applied afterwards, as iminuit does: the
minimum is valid when EDM = gᵀ V g / 2 < 0.002 · tol · errordef with V = H⁻¹ from

- the user's exact Hessian ``hess`` when given (then the covariance is accurate);
- with strategy 0, the method's own inverse-Hessian estimate (``hess_inv`` of BFGS and
  L-BFGS-B: an approximation, so ``has_accurate_covar`` is False);
- otherwise HESSE at the point found (:func:`._engines.run_hesse`, in MINUIT's internal
  coordinates, where a parameter that stopped on its limit has zero gradient).

Default method, as :func:`scipy.optimize.minimize` chooses it: SLSQP with constraints,
L-BFGS-B with limits, BFGS otherwise. The call limit ``ncall`` becomes the method's
``maxfev`` / ``maxfun`` / ``maxiter`` option unless ``options`` sets one of those.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core.linalg import spd_inverse
from ._engines import _all_fixed, run_hesse
from ._state import FitState, Outcome

__all__ = ["run_scipy", "default_method"]

_BOUNDED = {"nelder-mead", "powell", "l-bfgs-b", "tnc", "slsqp", "trust-constr", "cobyla",
            "cobyqa"}
_MAXFEV = {"nelder-mead": "maxfev", "powell": "maxfev", "l-bfgs-b": "maxfun",
           "tnc": "maxfun", "cobyqa": "maxfev"}
_CALL_OPTIONS = ("maxiter", "maxfev", "maxfun")


def default_method(constraints: Any, limited: bool) -> str:
    """SciPy's own choice: SLSQP with constraints, L-BFGS-B with bounds, else BFGS."""
    if constraints is not None:
        return "SLSQP"
    return "L-BFGS-B" if limited else "BFGS"


def _constraint_list(constraints: Any) -> list:
    """``constraints`` as a list of SciPy constraint objects (ValueError otherwise)."""
    from scipy.optimize import LinearConstraint, NonlinearConstraint
    kinds = (LinearConstraint, NonlinearConstraint)
    items = [constraints] if isinstance(constraints, kinds) else constraints
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ValueError("constraints must be a scipy.optimize.LinearConstraint or "
                         f"NonlinearConstraint or a list of them, got {constraints!r}")
    for i, c in enumerate(items):
        if not isinstance(c, kinds):
            raise ValueError(f"constraints[{i}] must be a scipy.optimize.LinearConstraint "
                             f"or NonlinearConstraint, got {c!r}")
    return list(items)


class _Embed:
    """Functions of all parameters as functions of the free ones, x_F -> x."""

    def __init__(self, st: FitState) -> None:
        self.st = st
        self.idx = np.flatnonzero(~st.fixed)
        self.fixed = np.flatnonzero(st.fixed)

    def full(self, xf: np.ndarray) -> np.ndarray:
        x = self.st.values.copy()
        x[self.idx] = xf
        return x

    def call(self, fn: Callable, xf: np.ndarray, *extra: Any) -> Any:
        x = self.full(xf)
        return fn(x, *extra) if self.st.array_call else fn(*x, *extra)

    def constraint(self, c: Any) -> Any:
        """A copy of SciPy constraint ``c`` (never mutated) acting on x_F."""
        from scipy.optimize import LinearConstraint, NonlinearConstraint
        if isinstance(c, LinearConstraint):
            a = np.atleast_2d(np.asarray(c.A, dtype=float))
            shift = a[:, self.fixed] @ self.st.values[self.fixed]
            return LinearConstraint(a[:, self.idx], np.asarray(c.lb) - shift,
                                    np.asarray(c.ub) - shift, keep_feasible=c.keep_feasible)
        jac = c.jac
        if callable(jac):
            fn_jac = jac

            def jac(xf: np.ndarray) -> np.ndarray:
                return np.atleast_2d(np.asarray(self.call(fn_jac, xf), float))[:, self.idx]
        fn = c.fun
        return NonlinearConstraint(lambda xf: self.call(fn, xf), c.lb, c.ub, jac=jac,
                                   keep_feasible=c.keep_feasible,
                                   finite_diff_rel_step=c.finite_diff_rel_step)


def _options(method: str, ncall: int | None, options: dict | None) -> dict:
    """The method's options with the call limit (the user's own limit takes precedence)."""
    opts = dict(options or {})
    if ncall is not None and not any(k in opts for k in _CALL_OPTIONS):
        opts[_MAXFEV.get(method.lower(), "maxiter")] = int(ncall)
    return opts


def _dense(h: Any) -> np.ndarray | None:
    """SciPy's ``hess_inv`` as an array (L-BFGS-B returns a linear operator)."""
    if h is None:
        return None
    todense = getattr(h, "todense", None)
    return np.asarray(todense() if todense is not None else h, dtype=float)


def _num_grad(fun: Callable, xf: np.ndarray, errors: np.ndarray, lo: np.ndarray,
              hi: np.ndarray) -> np.ndarray:
    """Central differences with steps of 1e-3 errors kept inside the limits (one-sided at
    a limit)."""
    g = np.empty(xf.size)
    h = 1e-3 * np.maximum(np.abs(errors), 1e-8 * (1 + np.abs(xf)))
    for k in range(xf.size):
        up, dn = xf.copy(), xf.copy()
        up[k] = min(xf[k] + h[k], hi[k])
        dn[k] = max(xf[k] - h[k], lo[k])
        g[k] = (fun(up) - fun(dn)) / (up[k] - dn[k])
    return g


def run_scipy(st: FitState, ncall: int | None, method: str | Callable | None,
              hess: Callable | None, hessp: Callable | None, constraints: Any,
              options: dict | None) -> tuple[Outcome, Any]:
    """Minimise with :func:`scipy.optimize.minimize` (module docstring); returns the
    outcome and SciPy's ``OptimizeResult``."""
    from scipy.optimize import minimize
    cons = None if constraints is None else _constraint_list(constraints)
    em = _Embed(st)
    idx = em.idx
    prob = st.problem()
    if idx.size == 0:
        return _all_fixed(st, prob, "SciPy"), None
    lo, hi = st.lower[idx], st.upper[idx]
    limited = bool(np.isfinite(lo).any() or np.isfinite(hi).any())
    if method is None:
        method = default_method(cons, limited)
    name = method if isinstance(method, str) else getattr(method, "__name__", "custom")

    def fun(xf: np.ndarray) -> float:
        return prob.call_ext(em.full(xf))

    jac = None
    user_grad = st.grad
    if user_grad is not None:
        def jac(xf: np.ndarray) -> np.ndarray:
            prob.ngrad += 1
            return np.asarray(em.call(user_grad, xf), dtype=np.float64)[idx]

    kw: dict[str, Any] = {}
    if hess is not None:
        kw["hess"] = lambda xf: np.atleast_2d(np.asarray(em.call(hess, xf), float))[
            np.ix_(idx, idx)]
    if hessp is not None:
        def _hessp(xf: np.ndarray, v: np.ndarray) -> np.ndarray:
            vf = np.zeros(st.values.size)
            vf[idx] = v
            return np.asarray(em.call(hessp, xf, vf), float)[idx]
        kw["hessp"] = _hessp
    if limited:
        kw["bounds"] = list(zip(lo.tolist(), hi.tolist()))
    if cons is not None:
        kw["constraints"] = [em.constraint(c) for c in cons]
    x0 = np.clip(st.values[idx], lo, hi)
    r = minimize(fun, x0, method=method, jac=jac,
                 options=_options(name, ncall, options), **kw)
    xf = np.clip(np.asarray(r.x, dtype=float), lo, hi)
    x = em.full(xf)
    hit_limit = bool(not r.success and ncall is not None
                     and max(int(getattr(r, "nfev", 0)), int(getattr(r, "nit", 0)) or 0)
                     >= ncall)
    algorithm = f"SciPy[{name}]"
    hinv, accurate = None, False
    if hess is not None:
        hinv = spd_inverse(kw["hess"](xf))
        accurate = hinv is not None
    elif st.strategy == 0:
        hinv = _dense(getattr(r, "hess_inv", None))
        if hinv is not None and (hinv.shape != (idx.size, idx.size)
                                 or spd_inverse(hinv) is None):
            hinv = None
    if hinv is None:
        h = run_hesse(dataclasses.replace(st, values=x), None, None)
        flags = dict(h.flags, has_reached_call_limit=hit_limit)
        out = Outcome(algorithm, x, h.fval, h.edm,
                      h.covariance, flags, prob.nfcn + h.nfcn, prob.ngrad + h.ngrad,
                      hesse_at_values=h.hesse_at_values)
        return out, r
    g = None if getattr(r, "jac", None) is None else np.asarray(r.jac, float)
    if g is None or g.shape != xf.shape:
        g = _num_grad(fun, xf, st.errors[idx], lo, hi)
    # a parameter stopped on its limit with the gradient pushing outwards is at a
    # constrained minimum in that direction: its component does not count in the EDM
    g = np.where(((xf <= lo) & (g > 0)) | ((xf >= hi) & (g < 0)), 0.0, g)
    edm = float(0.5 * g @ hinv @ g)
    cov = np.zeros((st.values.size, st.values.size))
    cov[np.ix_(idx, idx)] = 2.0 * st.errordef * hinv
    flags = dict(has_covariance=True, has_posdef_covar=True, has_accurate_covar=accurate,
                 has_reached_call_limit=hit_limit)
    return Outcome(algorithm, x, float(r.fun), edm, cov, flags, prob.nfcn, prob.ngrad), r
