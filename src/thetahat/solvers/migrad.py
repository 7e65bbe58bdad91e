"""MIGRAD: variable-metric minimization with MINUIT's stopping rule.

The method (Davidon 1959; Fletcher & Powell 1963; F. James, MINUIT Reference Manual):

- keep V ≈ H⁻¹, an approximation of the inverse of the matrix of second derivatives;
- at x with gradient g, step along p = -V g with a line search on F(x + α p): try α = 1,
  and if F does not fall by at least 10⁻⁴ α |gᵀp| fit a parabola through F(0), F'(0) = gᵀp
  and the last trial to place the next α (kept within [0.1, 0.5] of the last trial, at
  most a few trials); when α = 1 gives a large decrease, one extrapolated trial α = 2..4;
- update V with the BFGS formula (s = Δx, y = Δg, sᵀy > 0)
      V ← V + (1 + yᵀVy / sᵀy) ssᵀ / sᵀy - (s yᵀV + V y sᵀ) / sᵀy;
- stop when the estimated distance to the minimum EDM = gᵀ V g / 2 falls below
  goal = 0.002 · tol · errordef.

Gradients are numerical (:mod:`.mn_gradient`) unless an analytic one is given. The first
V is diag(1/g2) from the second derivatives the first gradient yields (strategy 2: the full
HESSE matrix). At convergence, strategies 1 and 2 run HESSE (:mod:`thetahat.intervals.hesse`)
to replace the variable-metric V by the inverse of the computed second-derivative matrix;
if the EDM computed with it is above the goal the iteration resumes (up to ``iterate``
times). The call limit defaults to MINUIT's 200 + 100 n + 5 n².

Non-finite function values are treated as larger than any finite value: a line-search
trial that returns one is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.typing import NDArray

from .mn_gradient import GradState, numerical_gradient

__all__ = ["MigradOptions", "MigradResult", "migrad"]


@dataclass
class MigradOptions:
    """Settings of MIGRAD (and of HESSE and SIMPLEX, which read the same fields)."""

    errordef: float = 1.0
    tol: float = 0.1
    strategy: int = 1
    max_nfcn: int | None = None
    precision: float | None = None
    grad: Callable | None = None
    iterate: int = 5


@dataclass
class MigradResult:
    x: NDArray
    fval: float
    edm: float
    grad: NDArray
    hess_inv: NDArray
    nfcn: int
    ngrad: int
    niter: int
    is_valid: bool
    is_above_max_edm: bool
    has_reached_call_limit: bool
    has_covariance: bool
    has_accurate_covar: bool
    has_posdef_covar: bool
    has_made_posdef_covar: bool
    hesse_failed: bool
    message: str


class _Counted:
    """Wraps fcn to count calls and raise when the call budget is spent."""

    class Limit(Exception):
        pass

    def __init__(self, fcn: Callable[[NDArray], float], limit: int) -> None:
        self.fcn = fcn
        self.limit = limit
        self.n = 0

    def __call__(self, x: NDArray) -> float:
        if self.n >= self.limit:
            raise _Counted.Limit
        self.n += 1
        v = float(self.fcn(x))
        return v if not np.isnan(v) else np.inf


def _edm(g: NDArray, v: NDArray) -> float:
    return float(0.5 * g @ v @ g)


def migrad(fcn: Callable[[NDArray], float], x0: NDArray, step0: NDArray,
           options: MigradOptions) -> MigradResult:
    """Minimize ``fcn`` from ``x0`` (internal coordinates); see the module docstring."""
    from ..intervals.hesse import hesse

    x = np.array(x0, dtype=float)
    n = x.size
    errordef = float(options.errordef)
    goal = 0.002 * float(options.tol) * errordef
    limit = options.max_nfcn or (200 + 100 * n + 5 * n * n)
    f = _Counted(fcn, limit)
    strategy = int(options.strategy)
    cycles = {0: 1, 1: 2, 2: 3}.get(strategy, 2)
    ngrad = 0
    state = GradState(gstep=np.maximum(np.abs(np.asarray(step0, float)), 1e-8),
                      g2=np.zeros(n))
    hmax = None
    niter = 0
    fval = np.nan
    g = np.zeros(n)
    v = np.eye(n)
    hesse_failed = made_posdef = accurate = False
    message = "ok"
    call_limit = False

    def gradient(x: NDArray, fval: float, ncyc: int) -> tuple[NDArray, NDArray]:
        nonlocal state, ngrad
        if options.grad is not None:
            ngrad += 1
            gg = np.asarray(options.grad(x), dtype=float)
            return gg, state.g2
        gg, g2, state, _ = numerical_gradient(f, x, fval, state, errordef, options.precision,
                                              cycles=ncyc, hmax=hmax)
        return gg, g2

    try:
        fval = f(x)
        if not np.isfinite(fval):
            return MigradResult(x=x, fval=float(fval), edm=np.inf, grad=g, hess_inv=v,
                                nfcn=f.n, ngrad=0, niter=0, is_valid=False,
                                is_above_max_edm=True, has_reached_call_limit=False,
                                has_covariance=False, has_accurate_covar=False,
                                has_posdef_covar=False, has_made_posdef_covar=False,
                                hesse_failed=False,
                                message="the cost is not finite at the starting point")
        g, g2 = gradient(x, fval, cycles)
        if options.grad is not None:  # second derivatives for the first metric
            _, g2, state, _ = numerical_gradient(f, x, fval, state, errordef,
                                                 options.precision, cycles=1)
        if strategy >= 2:
            h = hesse(f, x, fval, options, step0=state.gstep)
            v = h.hess_inv if not h.failed else np.diag(1.0 / np.where(g2 > 0, g2, 1.0))
        else:
            d = np.where(g2 > 0, g2, np.where(g2 < 0, -g2, 0.0))
            dflt = 2.0 * errordef / np.maximum(state.gstep, 1e-300) ** 2
            v = np.diag(1.0 / np.where(d > 0, d, dflt))
        edm = _edm(g, v)
        attempts = 0
        while True:
            # ---- variable-metric iterations ----
            stalled = 0
            while edm >= goal:
                niter += 1
                p = -v @ g
                slope = float(g @ p)
                if slope >= 0:  # V lost positive-definiteness: restart from the diagonal
                    d = np.abs(state.g2)
                    v = np.diag(1.0 / np.where(d > 0, d, 1.0))
                    p = -v @ g
                    slope = float(g @ p)
                    if slope >= 0:
                        break
                alpha, fnew = _line_search(f, x, fval, p, slope)
                if alpha == 0.0:
                    stalled += 1
                    d = np.abs(state.g2)
                    v = np.diag(1.0 / np.where(d > 0, d, 1.0))
                    if stalled >= 2:
                        break
                    continue
                s = alpha * p
                xnew = x + s
                gnew, g2 = gradient(xnew, fnew, 1)
                y = gnew - g
                x, fval, g = xnew, fnew, gnew
                sy = float(s @ y)
                if sy > 0:
                    vy = v @ y
                    yvy = float(y @ vy)
                    v = v + ((1.0 + yvy / sy) / sy) * np.outer(s, s) \
                        - (np.outer(s, vy) + np.outer(vy, s)) / sy
                edm = _edm(g, v)
                if edm < 0:  # V not positive definite: reset
                    d = np.abs(g2)
                    v = np.diag(1.0 / np.where(d > 0, d, 1.0))
                    edm = _edm(g, v)
            attempts += 1
            if strategy == 0 or edm < 0:
                break
            # ---- verify with HESSE (strategies 1, 2) ----
            h = hesse(f, x, fval, options, step0=state.gstep)
            if h.failed:
                hesse_failed = True
                message = h.message
                break
            v = h.hess_inv
            made_posdef = h.made_posdef
            accurate = not made_posdef
            g = h.grad
            state = GradState(gstep=h.gstep, g2=h.g2)
            edm = _edm(g, v)
            if edm < goal or attempts >= options.iterate:
                break
    except _Counted.Limit:
        call_limit = True
        message = "call limit reached"
        edm = _edm(g, v) if np.all(np.isfinite(g)) else np.inf
    above = bool(not np.isfinite(edm) or edm > 10 * goal)
    has_cov = not hesse_failed
    valid = not (call_limit or above or hesse_failed or not np.isfinite(fval))
    return MigradResult(x=x, fval=float(fval), edm=float(edm), grad=g, hess_inv=v, nfcn=f.n,
                        ngrad=ngrad, niter=niter, is_valid=valid, is_above_max_edm=above,
                        has_reached_call_limit=call_limit, has_covariance=has_cov,
                        has_accurate_covar=accurate and has_cov, has_posdef_covar=has_cov,
                        has_made_posdef_covar=made_posdef, hesse_failed=hesse_failed,
                        message=message)


def _line_search(f: Callable[[NDArray], float], x: NDArray, f0: float, p: NDArray,
                 slope: float, max_trials: int = 8) -> tuple[float, float]:
    """Step length along ``p`` with sufficient decrease (module docstring); 0 on failure."""
    alpha = 1.0
    fa = f(x + p)
    best_a, best_f = (1.0, fa) if fa < f0 else (0.0, f0)
    for _ in range(max_trials):
        if np.isfinite(fa) and fa <= f0 + 1e-4 * alpha * slope:
            break
        # parabola through f0, slope and (alpha, fa); infinite fa: halve
        if np.isfinite(fa):
            denom = 2.0 * (fa - f0 - slope * alpha)
            anew = -slope * alpha * alpha / denom if denom > 0 else 0.5 * alpha
            anew = min(max(anew, 0.1 * alpha), 0.5 * alpha)
        else:
            anew = 0.5 * alpha
        alpha = anew
        fa = f(x + alpha * p)
        if fa < best_f:
            best_a, best_f = alpha, fa
    else:
        return best_a, best_f
    if alpha == 1.0 and fa < f0 + 0.9 * slope:
        # a large decrease at the full step: the minimum may lie further out
        denom = 2.0 * (fa - f0 - slope)
        if denom > 0:
            aext = min(-slope / denom, 4.0)
            if aext > 1.5:
                fe = f(x + aext * p)
                if fe < fa:
                    return aext, fe
    return (alpha, fa) if fa < best_f or best_a == 0.0 else (best_a, best_f)
