"""The lean refit of MINOS, profiles and contours on a plain cost function.

A refit minimises the cost over the free parameters with one or two of them held at given
values: the profiled cost ``F_prof(v) = min {F(theta) : theta_i = v}``. For a plain Python
cost (no Gauss-Newton structure, no analytic gradient) the engine is the variable-metric
MIGRAD at strategy 0 with the EDM goal ``REFIT_TOL_SCALE`` times tighter than MIGRAD's
(:mod:`thetahat._core.rules`), exactly what :func:`._engines.solve` runs with
``refit=True``; and, when every parameter is held, it is one call of the cost.

What this module saves is the bookkeeping around that engine. The free-parameter problem
(indices, limits and their transform ``x = T(u)``, the MIGRAD options) depends only on
*which* parameters are held, not on their values, so it is built once per set of held
parameters and reused by every refit of an interval, a profile or a contour: a refit then
writes the held values into it, maps the start to internal coordinates ``u0 = T^-1(x0)``,
and calls the MIGRAD driver (compiled when the core is built, its numpy twin otherwise)
on arrays. The answer is the same as the general path's, call for call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from .._core.rules import REFIT_TOL_SCALE
from ._engines import _migrad_on, migrad_options
from ._problem import Problem
from ._state import Calls, FitState

__all__ = ["lean_refit", "usable"]

R = TypeVar("R")


def usable(st: FitState) -> bool:
    """Whether the lean path applies: a plain cost the variable-metric engine minimises."""
    return st.structured is None and st.grad is None and not st.throw_nan


def lean_refit(st: FitState, calls: Calls, ncall: int | None, result: Callable[..., R]
               ) -> Callable[[dict, np.ndarray], R]:
    """``refit(fixed: dict[int, float], start) -> result(fval, values, valid, nfcn)`` for a
    plain cost (:func:`usable`); every call of the cost is added to ``calls``."""
    opts = migrad_options(st, ncall)
    opts.strategy = 0
    opts.tol = st.tol * REFIT_TOL_SCALE
    lower, upper, errors = st.lower, st.upper, st.errors
    limited = bool(np.isfinite(lower).any() or np.isfinite(upper).any())
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

    def refit(fixed: dict, start: np.ndarray) -> R:
        values = np.array(start, dtype=float)
        for i, v in fixed.items():
            values[i] = v
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
        r = _migrad_on(prob, u0, prob.steps_int(x0, errors), opts)
        calls.add(prob.nfcn)
        fval = float(r.fval)
        # as the general path: a cost flat in every free parameter has no determined
        # minimum (its strategy-0 MIGRAD alone would call it valid)
        valid = bool(r.is_valid and np.isfinite(fval) and not r.has_reached_call_limit
                     and not r.flat)
        return result(fval, prob.to_ext(np.asarray(r.x, float)), valid, prob.nfcn)

    return refit
