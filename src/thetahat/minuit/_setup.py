"""Building a ``Minuit``: parameter names and starting values from the call, the gradient
the ``grad`` argument stands for, and the ``FMin`` recorded after an algorithm.

Rules, as iminuit 2.33: starting values are given positionally, by keyword, or as one
sequence (then the cost is called with one array, and names come from the signature when it
has one per value, else ``x0, x1, ...``); mixing, missing or unknown names raise
RuntimeError. A minimum is valid when its parameters and value are finite, EDM < goal, the
call limit was not reached and HESSE did not fail. A free parameter is at a limit when
the limit is within half its error (or 1e-4 of its range, or rounding): :func:`limit_sides`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core import rules
from .._core.signature import positional_names
from ..cost._protocol import cost_gradient
from ..results import FMin
from ._state import FitState, Outcome

__all__ = ["resolve_grad", "init_names", "make_fmin", "at_limit", "limit_sides",
           "migrad_retries"]


def resolve_grad(fcn: Callable, grad: Any, structured: bool) -> Callable | None:
    """The gradient ``grad`` stands for (see the class docstring); ``structured``:
    whether ``fcn`` has Gauss-Newton structure."""
    if grad is False:
        return None
    if grad is True:
        g = cost_gradient(fcn)
        if g is None:
            raise ValueError("grad=True, but fcn provides no gradient (a callable "
                             "fcn.grad with fcn.has_grad not False)")
        return g
    if grad is None:
        return None if structured else cost_gradient(fcn)
    if not callable(grad):
        raise ValueError(f"provided gradient function is not a CostVector: grad must "
                         f"be callable, True, False or None, got {type(grad).__name__}")
    return grad

def init_names(fcn: Callable, args: tuple, name: Sequence[str] | None,
                kwds: dict) -> tuple[list[str], list[float], bool]:
    """Parameter names, starting values and whether ``fcn`` takes one array."""
    sig = positional_names(fcn) or None  # fcn(*args) has no usable names
    if args and kwds:
        raise RuntimeError("give starting values either positionally or by keyword, "
                           "not both")
    if len(args) == 1 and np.ndim(args[0]) == 1:
        # one sequence: fcn is called with one array, as iminuit does (the names come
        # from the signature when it has one name per value)
        start = [_start_value(f"[{i}]", v) for i, v in enumerate(args[0])]
        if name is None and sig is not None and len(sig) == len(start):
            return sig, start, True
        names = list(name) if name is not None else [f"x{i}" for i in range(len(start))]
        if len(names) != len(start):
            raise RuntimeError(f"name has {len(names)} entries but {len(start)} "
                               "starting values were given")
        return names, start, True
    if args:
        start = [_start_value(f"[{i}]", v) for i, v in enumerate(args)]
        names = list(name) if name is not None else (
            sig if sig is not None else [f"x{i}" for i in range(len(start))])
        if len(names) != len(start):
            raise RuntimeError(f"{len(start)} starting values given, but fcn has "
                               f"parameters {names}")
        return names, start, False
    names = list(name) if name is not None else (sig or [])
    if not names:
        raise RuntimeError("cannot determine the parameters of fcn; give starting "
                           "values as one sequence (and optionally name=...)")
    unknown = [k for k in kwds if k not in names]
    if unknown:
        raise RuntimeError(f"unknown parameter(s) {unknown}; valid names: {names}")
    missing = [k for k in names if k not in kwds]
    if missing:
        raise RuntimeError(f"starting value(s) missing for {missing}; valid names: "
                           f"{names}")
    return names, [_start_value(f" of {k!r}", kwds[k]) for k in names], False


def _start_value(label: str, value: Any) -> float:
    """One starting value as a float; a complex one with an imaginary part or a
    non-numeric one is refused by name (``float()`` would say only "must be a real
    number, not 'complex'")."""
    if type(value) is float or type(value) is int:  # the common case, without numpy
        return float(value)
    if np.iscomplexobj(value):
        if np.imag(value) != 0:
            raise TypeError(f"starting value{label} must be a real number, got {value!r}")
        value = np.real(value)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:  # the same kind of error, with the name
        raise type(exc)(f"starting value{label} must be a real number, "
                        f"got {value!r}") from exc


def limit_sides(values: np.ndarray, errors: np.ndarray, lower: np.ndarray,
                upper: np.ndarray, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which free parameters sit at their lower and at their upper limit.

    A parameter is at a limit when its distance ``d`` to it is at most

        max(0.5 * error, 1e-4 * (upper - lower), 8 eps * max(|limit|, |value|)),

    the range term only when both limits are finite. Within half a standard deviation of
    a limit the parabolic (HESSE) error means little: the cost cannot rise by
    ``errordef`` on that side, and the error mapped through the limit transform
    collapses towards 0 (about ``sqrt(2 d)`` times the internal error). A tenth of a per
    mille of the allowed range is at the edge whatever the error, and a few rounding
    units of the limit itself are no distance. Errors that are not finite count as 0.
    Absent limits never count.
    """
    err = np.where(np.isfinite(errors), np.abs(errors), 0.0)
    span = upper - lower  # inf unless both limits are finite
    tol = np.maximum(0.5 * err, np.where(span < np.inf, 1e-4 * span, 0.0))
    eps = 8.0 * np.finfo(float).eps
    with np.errstate(invalid="ignore"):  # an absent (infinite) limit is masked below
        d_lo, d_up = values - lower, upper - values
        at_lo = d_lo <= np.maximum(tol, eps * np.maximum(np.abs(lower), np.abs(values)))
        at_up = d_up <= np.maximum(tol, eps * np.maximum(np.abs(upper), np.abs(values)))
    free = ~fixed & np.isfinite(values)
    return at_lo & free & np.isfinite(lower), at_up & free & np.isfinite(upper)


def at_limit(values: np.ndarray, errors: np.ndarray, lower: np.ndarray,
             upper: np.ndarray, fixed: np.ndarray) -> bool:
    """Whether any free parameter is at a limit (``FMin.has_parameters_at_limit``), by
    the rule of :func:`limit_sides`."""
    if not (np.isfinite(lower).any() or np.isfinite(upper).any()):
        return False  # no limits (most fits): nothing to compare
    lo, up = limit_sides(values, errors, lower, upper, fixed)
    return bool((lo | up).any())


def make_fmin(algorithm: str, fval: float, edm: float, nfcn: int, ngrad: int,
              nhessian: int, flags: dict, t0: float, *, ndof: float, tol: float,
              errordef: float, values: np.ndarray, errors: np.ndarray, lower: np.ndarray,
              upper: np.ndarray, fixed: np.ndarray, ng2: int = 0) -> FMin:
    """The ``FMin`` of an algorithm that ended at ``values`` with the named ``flags``
    (the rest of the flags follow from the module docstring's rule)."""
    # a reduced chi2 only for a chi2 (errordef 1), as iminuit: nan for a likelihood
    red = fval / ndof if (np.isfinite(ndof) and ndof > 0 and errordef == 1) else np.nan
    # SCAN is judged with SIMPLEX's lax goal, as iminuit reports it
    goal = rules.goal_of("Simplex" if algorithm == "Scan" else algorithm, tol, errordef)
    above = bool(rules.is_above_max_edm(edm, goal) or np.isnan(edm))  # NaN: not converged
    valid_pars = bool(np.all(np.isfinite(values)) and np.isfinite(fval))
    f = dict(has_accurate_covar=False, has_covariance=False, has_made_posdef_covar=False,
             has_posdef_covar=False, has_reached_call_limit=False, hesse_failed=False)
    f.update(flags)
    is_valid = (valid_pars and not above and not f["has_reached_call_limit"]
                and not f["hesse_failed"] and f.pop("is_valid", True))
    f.pop("is_valid", None)
    return FMin(algorithm=algorithm, edm=float(edm), edm_goal=goal, errordef=errordef,
                fval=float(fval), nfcn=int(nfcn), ngrad=int(ngrad),
                has_parameters_at_limit=at_limit(values, errors, lower, upper, fixed),
                has_valid_parameters=valid_pars, is_above_max_edm=above,
                is_valid=bool(is_valid), reduced_chi2=float(red),
                time=time.perf_counter() - t0, nhessian=int(nhessian), ng2=int(ng2), **f)


def migrad_retries(st: FitState, out: Outcome, ncall: int | None, iterate: int) -> Outcome:
    """MINUIT's ``iterate`` for a structured cost: while the EDM of MIGRAD's outcome
    ``out`` is above the goal (finite, call limit not reached), run MIGRAD again from its
    end, with the errors of its covariance as steps, on the variable-metric engine (the
    Gauss-Newton steps can stall against a limit, where the limit transform flattens the
    cost), which repeats itself up to ``iterate - 1`` times; keep the new outcome unless
    its cost is higher. A degenerate model (``out.degenerate``: the data do not determine
    a combination) stays one at the new point: its flags are kept (the variable-metric
    engine does not test for it, and its HESSE of values can pass such a matrix)."""
    from ._engines import run_migrad
    goal = rules.goal_of("Migrad", st.tol, st.errordef)
    if not (rules.is_above_max_edm(out.edm, goal) and np.isfinite(out.fval)
            and np.all(np.isfinite(out.values))
            and not out.flags.get("has_reached_call_limit", False)) or iterate < 2:
        return out
    left = None if ncall is None else ncall - out.nfcn
    if left is not None and left <= 0:
        return out
    errors = st.errors.copy()
    if out.covariance is not None:
        d = np.diag(out.covariance)
        ok = ~st.fixed & np.isfinite(d) & (d > 0)
        errors[ok] = np.sqrt(d[ok])
    again = run_migrad(dataclasses.replace(st, values=out.values.copy(), errors=errors,
                                           structured=None, exact_hessian=False),
                       left, iterate - 1)
    again.nfcn += out.nfcn
    again.ngrad += out.ngrad
    if np.isfinite(again.fval) and again.fval <= out.fval + goal:
        if out.degenerate:
            again.flags.update(has_made_posdef_covar=True, has_posdef_covar=False,
                               has_accurate_covar=False)
            again.degenerate, again.hesse_at_values = True, False
        return again
    return out
