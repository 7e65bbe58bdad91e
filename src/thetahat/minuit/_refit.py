"""The lean refit of MINOS, profiles and contours on a plain cost function.

A refit minimises the cost over the free parameters with one or two of them held at given
values: the profiled cost ``F_prof(v) = min {F(theta) : theta_i = v}``. For a plain Python
cost (no Gauss-Newton structure, no analytic gradient) the engine is the variable-metric
MIGRAD at strategy 0 with the EDM goal ``REFIT_TOL_SCALE`` times MIGRAD's
(``MINOS_REFIT_TOL_SCALE`` for MINOS; :mod:`thetahat._core.rules`), exactly what
:func:`._engines.solve` runs with ``refit=True``; and, when every parameter is held, it is
one call of the cost.

What this module saves is the bookkeeping around that engine. The free-parameter problem
(indices, limits and their transform ``x = T(u)``, the MIGRAD options) depends only on
*which* parameters are held, not on their values, so it is built once per set of held
parameters and reused by every refit of an interval, a profile or a contour: a refit then
writes the held values into it, maps the start to internal coordinates ``u0 = T^-1(x0)``,
and calls the MIGRAD driver on arrays. With the compiled core that is the C driver itself
(:func:`thetahat.solvers.migrad.migrad` after its checks, which hold by construction here:
a finite start inside the limits, positive steps, checked settings), called with the
settings computed once; without it, the numpy twin through the general
:func:`~thetahat.solvers.migrad.migrad`. The answer is the same as the general path's,
call for call, on either engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from .. import _compiled
from .._core.rules import REFIT_TOL_SCALE, default_ncall, edm_goal
from ..derivatives.hesse import _CYCLES, _G2TOL
from ..derivatives.mn_gradient import CYCLES, STEP_RATIO, _eps
from ..solvers import migrad as _mg
from ._engines import _migrad_on, migrad_options
from ._problem import Problem, _as_float
from ._state import Calls, FitState

__all__ = ["lean_refit", "usable", "held_problems"]

R = TypeVar("R")


def usable(st: FitState) -> bool:
    """Whether the lean path applies: a plain cost the variable-metric engine minimises."""
    return st.structured is None and st.grad is None and not st.throw_nan


def held_problems(st: FitState) -> Callable[[dict, np.ndarray], Problem]:
    """``problem(fixed, values)``: the free-parameter problem of ``st`` with the parameters
    ``fixed`` (index -> value) held at ``values`` (all parameters, external), built once per
    set of held parameters (module docstring), its call count reset."""
    problems: dict[tuple, Problem] = {}

    def problem(fixed: dict, values: np.ndarray) -> Problem:
        key = tuple(fixed)
        prob = problems.get(key)
        if prob is None:
            free = ~st.fixed
            free[list(fixed)] = False
            prob = problems[key] = st.problem(values, free)
        else:
            prob.full = values  # only the held values differ from the cached problem's
        prob.nfcn = 0
        return prob

    return problem


def _compiled_driver(st: FitState, opts: Any, core: Any) -> Callable:
    """``run(full, idx, lo, hi, u0, step) -> (x, fval, valid, nfcn)``: the C MIGRAD on the
    free parameters ``idx`` (a list; limits ``lo``, ``hi``) of the cost at the external
    values ``full``, from internal ``u0`` with steps ``step``, with the settings of ``opts``
    (strategy 0), as :func:`thetahat.solvers.migrad.migrad` calls it."""
    errordef = float(opts.errordef)
    goal = edm_goal(opts.tol, errordef)
    prec = opts.precision
    s = 0  # the refit's strategy
    tail = (errordef, float(goal), s, max(1, opts.iterate), _eps(prec),
            float(prec) if prec else _mg._EPS, STEP_RATIO.get(s, 1.5), CYCLES.get(s, 3),
            _CYCLES.get(s, 3), _G2TOL.get(s, 0.05), _mg._hesse_slow, _mg._escape)
    max_edm = 10.0 * goal
    limit0 = opts.max_nfcn
    Cost, Counted, run_c = core.Cost, core.Counted, core.migrad
    fcn, array_call = st.fcn, st.array_call

    def onerror(e: Exception, x: np.ndarray) -> None:
        st.problem(x).reraise(e, x)  # names the values (the problem only for that)

    def run(full: np.ndarray, idx: list, lo: np.ndarray, hi: np.ndarray, x: np.ndarray,
            step: np.ndarray, g: np.ndarray | None = None, v: np.ndarray | None = None
            ) -> tuple:
        """(``x``, the start, is overwritten by the minimum; ``g``, ``v``: work arrays of
        the gradient and the metric, which the driver overwrites.)"""
        n = x.size
        if g is None or v is None:
            g, v = np.zeros(n), np.zeros((n, n))
        cost = Cost(fcn, full, idx, lo, hi, array_call, _as_float, onerror)
        f = Counted(cost, int(limit0 or default_ncall(n)), _mg._Limit, x)
        fval = f(x)
        if not math.isfinite(fval):
            return x, fval, False, cost.n
        try:
            (fval, edm, _, call_limit, hfail, _, _, _, saddle, flat, _) = run_c(
                f, x, fval, step, g, v, *tail)
        except _mg._Limit:  # from a callback of a rare branch: x holds the best point
            return x, fval, False, cost.n  # (as migrad: the start value)
        # MigradResult.is_valid, and not flat (the general path's rule, make_refit)
        valid = not (call_limit or hfail or saddle or flat) and edm <= max_edm \
            and math.isfinite(fval)
        return x, fval, valid, cost.n

    return run


def lean_refit(st: FitState, calls: Calls, ncall: int | None, result: Callable[..., R],
               steps: np.ndarray | None = None, tol_scale: float = REFIT_TOL_SCALE
               ) -> Callable[[dict, np.ndarray], R]:
    """``refit(fixed: dict[int, float], start) -> result(fval, values, valid, nfcn)`` for a
    plain cost (:func:`usable`); every call of the cost is added to ``calls``. ``steps``
    (external, all parameters; default the errors) start the numerical gradient;
    ``tol_scale``: the EDM goal relative to MIGRAD's."""
    opts = migrad_options(st, ncall)
    opts.strategy = 0
    opts.tol = st.tol * tol_scale
    lower, upper = st.lower, st.upper
    errors = st.errors if steps is None else steps
    limited = bool(np.isfinite(lower).any() or np.isfinite(upper).any())
    core = _compiled.migradcore  # read here: the tests switch it off
    fast = _compiled_driver(st, opts, core) if core is not None else None
    problem = held_problems(st)
    # without limits, the compiled driver needs only the free indices of each held set
    free_sets: dict[tuple, tuple] = {}
    nall = st.values.size
    inf = np.full(nall, np.inf)
    ninf = -inf
    # (Python lists: the held sets are built in every MINOS call, for a few parameters)
    user_fixed, err_list = st.fixed.tolist(), errors.tolist()

    def free_set(fixed: dict) -> tuple:
        key = tuple(fixed)
        fs = free_sets.get(key)
        if fs is None:
            idx_list = [j for j in range(nall) if not (user_fixed[j] or j in fixed)]
            n = len(idx_list)
            steps_l = [abs(err_list[j]) for j in idx_list]
            ok = n > 0 and min(steps_l) > 0 and math.isfinite(sum(steps_l))
            # (no free parameter, or steps migrad's checks replace: the general call)
            step = np.array(steps_l) if ok else None
            fs = free_sets[key] = (np.array(idx_list, dtype=np.intp), idx_list, ninf[:n],
                                   inf[:n], step, np.zeros(n), np.zeros((n, n)))
        return fs

    def refit(fixed: dict, start: np.ndarray) -> R:
        values = np.array(start, dtype=float)
        for i, v in fixed.items():
            values[i] = v
        if fast is not None and not limited:
            idx, idx_list, lo, hi, step, g, vm = free_set(fixed)
            if step is not None:
                # (values[idx] is a copy, which the driver overwrites with the minimum)
                x, fval, valid, nfcn = fast(values, idx_list, lo, hi, values[idx], step,
                                            g, vm)
                calls.add(nfcn)
                values[idx] = x
                return result(float(fval), values, bool(valid), nfcn)
        if limited:
            np.clip(values, lower, upper, out=values)
        prob = problem(fixed, values)
        if prob.idx.size == 0:
            f = prob.call_ext(values)
            calls.add(1)
            return result(f, values, bool(np.isfinite(f)), 1)
        u0 = prob.to_int(values)
        # the steps where the engine starts, T(u0) (values up to the round trip's rounding)
        x0 = prob.to_ext(u0) if prob.limited else values
        step = prob.steps_int(x0, errors)
        if fast is not None and step.min() > 0 and math.isfinite(step.sum()):
            # (other steps: migrad's checks replace them; the general call does that)
            x, fval, valid, nfcn = fast(prob.full, prob.idx.tolist(), prob.lo, prob.hi,
                                        u0.copy(), step)
            calls.add(nfcn)
            return result(float(fval), prob.to_ext(x), bool(valid), nfcn)
        r = _migrad_on(prob, u0, step, opts)
        calls.add(prob.nfcn)
        fval = float(r.fval)
        # as the general path: a cost flat in every free parameter has no determined
        # minimum (its strategy-0 MIGRAD alone would call it valid)
        valid = bool(r.is_valid and np.isfinite(fval) and not r.has_reached_call_limit
                     and not r.flat)
        return result(fval, prob.to_ext(np.asarray(r.x, float)), valid, prob.nfcn)

    return refit
