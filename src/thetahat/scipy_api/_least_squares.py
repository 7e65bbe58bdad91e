"""``least_squares``: scipy-compatible front of the nonlinear least-squares solvers.

Problem: find a local minimum of F(x) = ½ Σ_i ρ(f_i(x)²) subject to lb <= x <= ub, where
f: R^n -> R^m are the residuals and ρ a robust loss (``loss``, with soft margin
C = ``f_scale``: ρ_C(f²) = C² ρ(f²/C²)).  This module only validates the input (the
checks of each argument are in :mod:`._least_squares_checks`), builds the Jacobian
callable (user function or finite differences with MINPACK-style relative steps,
:mod:`thetahat.derivatives.jacobian`) and dispatches:

- ``'trf'``: Trust Region Reflective (:mod:`thetahat.solvers.trf`), bounds and losses;
- ``'dogbox'``: rectangular trust-region dogleg (:mod:`thetahat.solvers.dogbox`);
- ``'lm'``: Levenberg–Marquardt (:mod:`thetahat.solvers.levmar`), no bounds, m >= n,
  linear loss only.

The result has scipy's fields and meanings: x, cost, fun, jac (loss-scaled), grad,
optimality, active_mask, nfev (calls of ``fun`` outside the Jacobian), njev, status,
message, success.

Where we differ from scipy, on purpose:

- finite differences use steps relative to |x_j| (MINPACK's rule), not to max(1, |x_j|);
- with ``jac='2-point'`` (and no ``diff_step``) 'trf' and 'dogbox' confirm convergence with one more
  round of iterations on a central-difference Jacobian, and a tolerance test ends the
  solve only when the Gauss–Newton model agrees (see :mod:`thetahat.solvers.trf`);
  on the NIST StRD problems this gives ~8.8 correct digits at default tolerances where
  scipy gives ~6.4;
- a callback may also stop the solve by returning True (scipy: StopIteration only);
- complex residuals raise ValueError (scipy warns and fits their real part);
- a dense Jacobian with ``tr_solver='lsmr'`` gets the exact subproblem solution.

Sparse Jacobians (a ``scipy.sparse`` result of ``jac``, a LinearOperator, or
``jac_sparsity`` with finite differences) are never made dense: 'trf' and 'dogbox' then
run their LSMR forms (:mod:`thetahat.solvers.lsq_lsmr`), as scipy does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator

from .._core.linalg import (
    DEGENERATE_FACTOR,
    TRUNCATION_GATE,
    clearly_determined,
    degenerate_message,
    jacobian_noise,
    null_direction,
    thin_svd,
    truncation_noise,
    zero_step_columns,
    zero_step_message,
)
from .._core.warnings import DegenerateFitWarning, warn_user
from ..derivatives.jacobian import approx_jacobian, default_rel_step
from ..solvers.lsq_common import (
    MESSAGES,
    LSQOptions,
    LSQResult,
    make_loss,
    strictly_feasible,
)
from ..solvers.lsq_sparse import diff_jacobian_sparse, group_columns_sparse
from ._fronts import LEAST_SQUARES, check_finite, parse_bounds, wrap_callback
from ._least_squares_checks import (
    LSQRequest,
    check_bound_lengths,
    check_choices,
    check_no_overflow,
    check_trust_region,
    nfev_budget,
    start_vector,
    tolerance,
    x_scales,
)
from ._result import OptimizeResult

__all__ = ["least_squares"]

_EPS = np.finfo(float).eps
_NO_BOUNDS = (-np.inf, np.inf)  # least_squares' default bounds


def least_squares(fun: Callable[..., Any], x0: Any, jac: str | Callable = "2-point",
                  bounds: Any = _NO_BOUNDS, method: str = "trf",
                  ftol: float | None = 1e-8, xtol: float | None = 1e-8, gtol: float | None = 1e-8,
                  x_scale: Any = None, loss: str | Callable = "linear", f_scale: float = 1.0,
                  diff_step: Any = None, tr_solver: str | None = None,
                  tr_options: dict | None = None, jac_sparsity: Any = None,
                  max_nfev: int | None = None, verbose: int = 0,
                  args: tuple = (), kwargs: dict | None = None,
                  callback: Callable | None = None, workers: Any = None) -> OptimizeResult:
    """Solve a nonlinear least-squares problem with bounds on the variables.

    Minimises F(x) = ½ Σ ρ(f_i(x)²) subject to lb <= x <= ub, as
    ``scipy.optimize.least_squares`` (dense and sparse problems) with the same arguments and result.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)`` returning the residuals, shape (m,) (or a scalar).
    x0 : array_like, shape (n,) or float
        Starting point; must be finite and within ``bounds``.
    jac : {'2-point', '3-point', 'cs'} or callable
        Finite-difference scheme (relative steps ``diff_step * |x|``) or
        ``jac(x, *args, **kwargs)`` returning the (m, n) Jacobian: an array, a
        ``scipy.sparse`` matrix or a ``LinearOperator`` (not with ``method='lm'``).
    bounds : (lb, ub) or scipy.optimize.Bounds
        Scalars or arrays of shape (n,); ±inf disables a bound.
    method : {'trf', 'dogbox', 'lm'}
    ftol, xtol, gtol : float or None
        Termination tolerances on the relative cost change, the step and the (scaled)
        gradient; None disables a condition ('trf', 'dogbox').
    x_scale : None, array_like or 'jac'
        Characteristic scales of the variables; None means 1 for 'trf'/'dogbox' and
        'jac' for 'lm' (as scipy 1.16+).
    loss : {'linear', 'soft_l1', 'huber', 'cauchy', 'arctan'} or callable
        Robust loss ρ(z); a callable takes z = f² and returns an array (3, m) of
        ρ, ρ', ρ''.
    f_scale : float
        Soft margin C between inliers and outliers.
    diff_step : None or array_like
        Relative finite-difference step; default eps^(1/2) ('2-point', 'cs') or
        eps^(1/3) ('3-point').
    tr_solver : {None, 'exact', 'lsmr'}
        None: 'exact' for a dense Jacobian, 'lsmr' for a sparse one or a LinearOperator
        (which 'exact' cannot take). With 'lsmr' and a sparse or matrix-free Jacobian the
        subproblem is solved by ``scipy.sparse.linalg.lsmr`` in a two-dimensional subspace
        (:mod:`thetahat.solvers.lsq_lsmr`) and J is never made dense; a dense Jacobian is
        always solved exactly (by SVD), 'lsmr' included.
    tr_options : dict, optional
        Options of ``lsmr`` (atol, btol, conlim, maxiter, show, x0) and, for 'trf',
        ``regularize`` (default True); another key raises TypeError.
    jac_sparsity : array_like or sparse matrix, shape (m, n), optional
        Which Jacobian entries can be nonzero. The difference Jacobian is then computed
        with grouped columns (Curtis-Powell-Reid), one evaluation per group instead of one
        per variable, kept sparse (CSR), and ``tr_solver='lsmr'`` is used. Not with
        ``method='lm'``; ignored for a callable ``jac``.
    max_nfev : int, optional
        Maximum number of calls of ``fun`` (Jacobian evaluations excluded, for every
        method as scipy >= 1.16); default 100 n.
    verbose : {0, 1, 2}
        1 prints a termination report, 2 also a line per iteration.
    args, kwargs : extra arguments of ``fun`` and ``jac``.
    callback : callable, optional
        ``callback(intermediate_result)`` (an OptimizeResult with x, fun, cost, nit, nfev)
        or ``callback(x)``, called after each iteration; raising StopIteration or
        returning True stops the solve with status -2.
    workers : int or map-like callable, optional
        Accepted for scipy compatibility; the difference Jacobian is evaluated serially
        (the result is the same).

    Returns
    -------
    OptimizeResult
        Fields x, cost, fun, jac, grad, optimality, active_mask, nfev, njev, status,
        message, success with scipy's meanings; ``jac`` is an array, a CSR matrix or a
        LinearOperator, of the kind the Jacobian was given in.

    Examples
    --------
    >>> import numpy as np
    >>> def rosen(x):
    ...     return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])
    >>> res = least_squares(rosen, [-1.2, 1.0])
    >>> np.round(res.x, 6).tolist(), res.success
    ([1.0, 1.0], True)
    """
    return _solve(LSQRequest(
        fun=fun, x0=x0, jac=jac, bounds=bounds, method=method, ftol=ftol, xtol=xtol,
        gtol=gtol, x_scale=x_scale, loss=loss, f_scale=f_scale, diff_step=diff_step,
        tr_solver=tr_solver, tr_options=tr_options, jac_sparsity=jac_sparsity,
        max_nfev=max_nfev, verbose=verbose, args=args, kwargs=kwargs, callback=callback,
        workers=workers, careful=True))


_DEFAULTS: dict[str, Any] = {}  # least_squares' parameters and defaults, at the first use


def least_squares_lean(*args: Any, **kwargs: Any) -> OptimizeResult:
    """:func:`least_squares` with scipy's stopping rules (``careful=False``).

    Takes :func:`least_squares`' arguments (its defaults fill the rest).

    Raises
    ------
    TypeError
        An argument :func:`least_squares` does not take.
    """
    if not _DEFAULTS:
        _DEFAULTS.update((k, p.default) for k, p in
                         inspect.signature(least_squares).parameters.items())
    if len(args) != 2 or not kwargs.keys() <= _DEFAULTS.keys() or \
            kwargs.keys() & {"fun", "x0"}:  # any other call: bound as Python would
        bound = inspect.signature(least_squares).bind(*args, **kwargs)
        bound.apply_defaults()
        return _solve(LSQRequest(**bound.arguments, careful=False))
    fields = dict(_DEFAULTS, fun=args[0], x0=args[1])
    fields.update(kwargs)
    return _solve(LSQRequest(**fields, careful=False))


def _kind(J: Any) -> str:
    """'sparse', 'operator' or 'dense': how a Jacobian is held."""
    if sp.issparse(J):
        return "sparse"
    if isinstance(J, LinearOperator):
        return "operator"
    return "dense"


def _jacobian(q: LSQRequest, fun: Callable, x0: NDArray, f0: NDArray, lb: NDArray,
              ub: NDArray, rel_step: Any) -> tuple[Callable, Any, str]:
    """The Jacobian callable (x, f) -> J, J at x0, and its kind ('dense', 'sparse',
    'operator'); a sparse ``jac`` or ``jac_sparsity`` keeps J sparse (CSR)."""
    m, n = f0.size, x0.size
    args, kwargs = tuple(q.args), {} if q.kwargs is None else dict(q.kwargs)
    jac = q.jac
    if callable(jac):
        def jac_w(x: NDArray, f: NDArray) -> Any:
            J = jac(x, *args, **kwargs)
            if sp.issparse(J):
                return sp.csr_array(J)
            if isinstance(J, LinearOperator):
                return J
            return np.atleast_2d(np.asarray(J, dtype=float))
        J0 = jac_w(x0, f0)
        if J0.shape != (m, n):
            raise ValueError(f"jac returned shape {J0.shape} at x0; expected (m, n) = ({m}, {n})")
        return jac_w, J0, _kind(J0)
    fd_bounds = (lb, ub) if q.method != "lm" else (-np.inf, np.inf)
    if q.jac_sparsity is not None:
        try:
            pattern = sp.csr_array(sp.csr_array(q.jac_sparsity) != 0, dtype=float)
        except (TypeError, ValueError) as e:
            raise ValueError(f"jac_sparsity must be a 2-d array or sparse matrix: {e}") from e
        if pattern.shape != (m, n):
            raise ValueError(f"jac_sparsity must have shape (m, n) = ({m}, {n}), got "
                             f"{pattern.shape}")
        groups = group_columns_sparse(pattern)
        rel = np.full(n, default_rel_step(jac)) if rel_step is None else rel_step

        def call(x: NDArray) -> NDArray:
            return np.atleast_1d(fun(x, *args, **kwargs))

        def jac_s(x: NDArray, f: NDArray) -> Any:
            r = rel(x) if callable(rel) else rel
            return diff_jacobian_sparse(call, x, f, jac, r, lb, ub, pattern, groups)
        return jac_s, jac_s(x0, f0), "sparse"

    def jac_d(x: NDArray, f: NDArray) -> NDArray:
        r = rel_step(x) if callable(rel_step) else rel_step
        return approx_jacobian(fun, x, f, method=jac, rel_step=r, bounds=fd_bounds,
                               args=args, kwargs=kwargs)[0]
    return jac_d, jac_d(x0, f0), "dense"


def _solve(q: LSQRequest) -> OptimizeResult:
    """:func:`least_squares` for a request; ``q.careful=False`` stops trf and dogbox as
    scipy does, without confirming a met tolerance by the Gauss-Newton step and central
    differences (for curve_fit, whose answer is read against statistical errors)."""
    check_choices(q)
    fun, jac, method = q.fun, q.jac, q.method
    kwargs = {} if q.kwargs is None else dict(q.kwargs)
    args = tuple(q.args)
    x0a = start_vector(q.x0)
    n = x0a.size
    check_trust_region(q)

    if q.bounds is _NO_BOUNDS:  # the default, by identity: nothing to parse
        lb, ub, bounded = np.full(n, -np.inf), np.full(n, np.inf), False
    else:
        check_bound_lengths(q.bounds, n)
        lb, ub = parse_bounds(q.bounds, n, LEAST_SQUARES)
        bounded = bool(np.isfinite(lb).any() or np.isfinite(ub).any())
    if method == "lm" and bounded:
        raise ValueError("method='lm' does not support bounds; use method='trf' or 'dogbox'")
    if np.any((x0a < lb) | (x0a > ub)):
        i = int(np.flatnonzero((x0a < lb) | (x0a > ub))[0])
        raise ValueError(f"x0 is infeasible: x0[{i}] = {float(x0a[i])!r} is outside "
                         f"[{float(lb[i])!r}, {float(ub[i])!r}]")

    ftol, xtol, gtol = (tolerance("ftol", q.ftol, method), tolerance("xtol", q.xtol, method),
                        tolerance("gtol", q.gtol, method))
    if method != "lm" and max(ftol, xtol, gtol) < _EPS:
        raise ValueError(f"at least one of ftol, xtol, gtol must be at least machine epsilon "
                         f"({_EPS:.2e}); got {q.ftol!r}, {q.xtol!r}, {q.gtol!r}")
    f_scale = float(q.f_scale)
    if not (f_scale > 0 and np.isfinite(f_scale)):
        raise ValueError(f"f_scale must be positive and finite, got {f_scale!r}")
    max_nfev = nfev_budget(q.max_nfev, n)
    xs = x_scales(q.x_scale, method, n)

    rel_step: Any = None  # None, an array, or x -> array (low-precision residuals)
    if q.diff_step is not None:
        rel_step = np.array(np.broadcast_to(np.asarray(q.diff_step, dtype=float), (n,)))
        rel_step = np.where(rel_step == 0, 1e-300, np.abs(rel_step))

    if method == "trf" and bounded:
        x0a = strictly_feasible(x0a, lb, ub, rstep=1e-10)

    def fun_w(x: NDArray) -> NDArray:
        return np.atleast_1d(np.asarray(fun(x, *args, **kwargs), dtype=float))

    f0 = fun(x0a, *args, **kwargs)
    if np.ma.is_masked(f0):
        raise ValueError(f"fun returned a numpy.ma.MaskedArray with "
                         f"{int(np.ma.count_masked(f0))} masked residuals at x0: least_squares "
                         "has no mask and would use the values under it; return only the "
                         "residuals to fit (r.compressed())")
    f0 = np.atleast_1d(np.asarray(f0))
    if f0.ndim != 1:
        raise ValueError(f"fun must return at most 1-d array_like; got shape {f0.shape} at x0")
    if np.iscomplexobj(f0):
        raise ValueError("fun must return real residuals; wrap complex residuals in a real "
                         "function")
    if rel_step is None and isinstance(jac, str) and np.issubdtype(f0.dtype, np.floating) \
            and np.finfo(f0.dtype).eps > _EPS:
        # residuals computed in lower precision (float32): steps for that precision
        # and, as their rounding is coarse, absolute steps for |x_j| < 1 (scipy's rule)
        r32 = np.finfo(f0.dtype).eps ** (1 / 3 if jac == "3-point" else 0.5)

        def rel_step(x: NDArray) -> NDArray:
            ax = np.abs(x)
            return np.where(ax > 0, r32 * np.maximum(1.0, ax) / np.where(ax > 0, ax, 1.0), r32)
    f0 = f0.astype(float)
    check_finite(f0, "fun(x0)", message="Residuals are not finite in the initial point: {entry}")
    check_no_overflow(f0)
    m = f0.size
    if method == "lm" and m < n:
        raise ValueError(f"method='lm' requires at least as many residuals as variables; "
                         f"got m={m} residuals < n={n} variables")

    jac_w, J0, kind = _jacobian(q, fun, x0a, f0, lb, ub, rel_step)
    tr_solver = q.tr_solver or ("exact" if kind == "dense" else "lsmr")
    if method == "lm" and kind != "dense":
        raise ValueError("method='lm' works only with dense Jacobian matrices; got a "
                         f"{'LinearOperator' if kind == 'operator' else 'sparse matrix'}")
    if tr_solver == "exact" and kind != "dense":
        raise ValueError("tr_solver='exact' works only with dense Jacobian matrices; use "
                         "tr_solver='lsmr' for a sparse Jacobian or a LinearOperator")
    if kind == "operator" and isinstance(xs, str):
        raise ValueError("x_scale='jac' can't be used when `jac` returns LinearOperator")

    initial_cost = 0.5 * float(f0 @ f0)
    if method == "lm":
        if q.callback is not None:
            warn_user("Callback function specified, but not supported with `lm` method.",
                      UserWarning)
        res = _run_lm(fun_w, jac_w, x0a, f0, xs, ftol, xtol, gtol, max_nfev, jac)
    else:
        rho = make_loss(q.loss, f_scale)
        if rho is not None:
            initial_cost = 0.5 * float(np.sum(rho(f0)[0]))
        jac_refine = None
        if jac == "2-point" and rel_step is None and q.careful and kind == "dense":
            # convergence is confirmed with central differences (error eps^(2/3), not
            # eps^(1/2)): the forward-difference model's stationary point is off by ~sqrt(eps)
            def jac_refine(x: NDArray, f: NDArray) -> NDArray:
                return approx_jacobian(fun, x, f, method="3-point", bounds=(lb, ub),
                                       args=args, kwargs=kwargs)[0]
        cb = wrap_callback(q.callback, sole_result_param=True, stop_on_true=True)
        opts = LSQOptions(ftol=ftol, xtol=xtol, gtol=gtol, max_nfev=max_nfev, x_scale=xs,
                          loss=rho, verbose=q.verbose, callback=cb,
                          jac_refine=jac_refine, confirm=q.careful)
        if kind != "dense":
            from ..solvers.lsq_lsmr import dogbox_lsmr, trf_lsmr
            iterative = trf_lsmr if method == "trf" else dogbox_lsmr
            r = iterative(fun_w, jac_w, x0a, f0, J0, lb, ub, opts, q.tr_options)
        else:
            if method == "trf":
                from ..solvers.trf import trf as solver
            else:
                from ..solvers.dogbox import dogbox as solver
            r = solver(fun_w, jac_w, x0a, f0, J0, lb, ub, opts)
        res = _result(r)
    if callable(jac) and kind == "dense" and res.success and res.nfev > 1 \
            and np.array_equal(res.x, x0a) \
            and res.optimality > 1e3 * gtol * max(1.0, 2.0 * float(res.cost)):
        _check_user_jacobian(res, fun, x0a, f0, np.asarray(J0, dtype=float), lb, ub, args,
                             kwargs)
    if q.careful and res.success and kind == "dense" and not callable(rel_step) and m > n:
        _warn_degenerate(res, None if callable(jac) or jac == "cs" else
                         float(np.max(rel_step)) if rel_step is not None else
                         default_rel_step(jac), fun_w, jac == "3-point", lb, ub)
    if q.verbose >= 1:
        print(res.message)
        print(f"Function evaluations {res.nfev}, initial cost {initial_cost:.4e}, final cost "
              f"{res.cost:.4e}, first-order optimality {res.optimality:.2e}.")
    return res


def _check_user_jacobian(res: OptimizeResult, fun: Callable, x0: NDArray, f0: NDArray,
                         J0: NDArray, lb: NDArray, ub: NDArray, args: tuple,
                         kwargs: dict) -> None:
    """The solve never left x0 although its gradient is far from 0: every trial step was
    rejected. With a ``jac`` that disagrees with differences of ``fun`` (a sign or a
    column wrong), that is the reason, and the "convergence" a failure (scipy reports
    success at x0): ``res`` is marked failed, naming the column. A central difference is
    good to ~eps^(2/3) of the column's scale; a wrong Jacobian is off by O(1)."""
    Jd = approx_jacobian(fun, x0, f0, method="3-point", bounds=(lb, ub), args=args,
                         kwargs=kwargs)[0]
    scale = np.maximum(np.linalg.norm(Jd, axis=0), np.linalg.norm(J0, axis=0))
    off = np.linalg.norm(J0 - Jd, axis=0) > 1e-3 * np.where(scale > 0, scale, 1.0)
    if off.any():
        j = int(np.flatnonzero(off)[0])
        res.status, res.success = -1, False  # improper input (0 would say: budget spent)
        res.message = (f"no step reduced the cost: the Jacobian given as jac= disagrees with "
                       f"differences of fun at x0 (column {j}; {int(off.sum())} of {off.size} "
                       f"columns differ); check jac")


def _warn_degenerate(res: OptimizeResult, rel_step: float | None,
                     fun: Callable | None = None, central: bool = False,
                     lb: NDArray | None = None, ub: NDArray | None = None) -> None:
    """A :class:`~thetahat.warnings.DegenerateFitWarning` when the Jacobian at the solution
    determines a combination of the parameters only at its rounding level (a degenerate
    model, :mod:`thetahat._core.linalg`; the residuals' inputs are unknown here, so their
    rounding is taken from ‖r‖ and each parameter's own contribution, s_j ‖J_j‖). Only a
    fit (more residuals than parameters) is judged, on the parameters not held at a bound
    (an underdetermined or square system has its own, known, freedom). A difference J
    below the truncation gate has its truncation error measured through ``fun`` (central
    differences for ``central``; steps inside ``lb``, ``ub``) and added to the noise; a
    zero column whose difference step vanished at the parameter's value is named as such
    (:func:`~thetahat._core.linalg.zero_step_columns`).

    s_min(J) / max_j ‖J_j‖ is a lower bound on s_min of the column-scaled J: a J whose
    singular values clear the level (and the truncation gate, for a difference J) needs
    no further test, and most fits end there at the cost of one small SVD."""
    free = np.asarray(res.active_mask) == 0
    if not free.any():
        return
    J = np.asarray(res.jac, dtype=float)
    if not free.all():
        J = J[:, free]
    colnorm = np.sqrt(np.einsum("ij,ij->j", J, J))
    fnorm = float(res.fun @ res.fun) ** 0.5
    noise = jacobian_noise(res.x[free], colnorm, J.shape[0], rel_step, fnorm)
    difference = rel_step is not None and fun is not None
    if np.isfinite(np.add.reduce(J, axis=None)) and \
            clearly_determined(float(thin_svd(J)[1][-1]), colnorm, noise, difference):
        return  # every entry finite, and s_min(J) alone clears the test
    found = null_direction(J, noise)
    x = np.asarray(res.x, dtype=float)

    def fun_free(q: NDArray) -> NDArray:
        full = x.copy()
        full[free] = q
        return np.asarray(fun(full), dtype=float)  # type: ignore[misc]  # difference only
    if found is None and difference and \
            null_direction(J, np.array([TRUNCATION_GATE / DEGENERATE_FACTOR])) is not None:
        assert rel_step is not None
        noise = noise + truncation_noise(
            fun_free, x[free], colnorm, rel_step, central,
            None if lb is None else np.asarray(lb, dtype=float)[free],
            None if ub is None else np.asarray(ub, dtype=float)[free])
        found = null_direction(J, noise)
    if found is None:
        return
    names = [f"x[{j}]" for j in np.flatnonzero(free)]
    if found[1] == 0 and difference:
        assert rel_step is not None
        cols = zero_step_columns(fun_free, x[free], colnorm, rel_step)
        if cols:
            warn_user("least_squares: " + zero_step_message(
                names, x[free], cols, rel_step, "give diff_step or x_scale, or an analytic "
                "jac"), DegenerateFitWarning)
            return
    warn_user("least_squares: " + degenerate_message(names, found, noise),
              DegenerateFitWarning)


def _result(r: LSQResult) -> OptimizeResult:
    return OptimizeResult(x=r.x, cost=r.cost, fun=r.fun, jac=r.jac, grad=r.grad,
                          optimality=r.optimality, active_mask=r.active_mask, nfev=r.nfev,
                          njev=r.njev, status=r.status,
                          message=r.message or MESSAGES[r.status],
                          success=r.status > 0)


def _run_lm(fun: Callable, jac: Callable, x0: NDArray, f0: NDArray, x_scale: Any, ftol: float,
            xtol: float, gtol: float, max_nfev: int, jac_kind: Any) -> OptimizeResult:
    """Levenberg-Marquardt; ``nfev`` counts calls of ``fun`` outside difference Jacobians
    (scipy >= 1.16), and so does ``max_nfev``."""
    from ..solvers.levmar import LMOptions, levmar

    # the central-difference polish corrects a forward-difference Jacobian's offset of the
    # minimum; an analytic, central or complex-step Jacobian has none to correct
    polish = isinstance(jac_kind, str) and jac_kind == "2-point"
    r = levmar(fun, jac, x0, LMOptions(ftol=ftol, xtol=xtol, gtol=gtol, max_nfev=max_nfev,
                                       x_scale=x_scale, raise_nonfinite=False,
                                       polish=polish), f0=f0)
    f = np.asarray(r.fun, dtype=float)
    J = np.asarray(r.jac, dtype=float)
    g = J.T @ f
    status = int(r.status)
    return OptimizeResult(x=np.asarray(r.x, dtype=float), cost=0.5 * float(f @ f), fun=f, jac=J,
                          grad=g, optimality=float(np.max(np.abs(g))),
                          active_mask=np.zeros(x0.size, dtype=int),
                          nfev=int(r.nfev - r.nfev_jac),
                          njev=int(r.njev) if callable(jac_kind) else None, status=status,
                          message=str(r.message) if getattr(r, "message", None)
                          else MESSAGES.get(status, ""),
                          success=status > 0)
