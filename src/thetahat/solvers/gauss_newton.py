"""Damped Gauss-Newton minimization of a cost that knows its curvature (FUMILI's idea).

The cost supplies, at x, its value F, gradient g and a positive semi-definite matrix H
that approximates the second derivatives from first derivatives only: 2 JᵀWJ for a
least-squares cost, the Fisher information of the predicted counts for a binned
likelihood, the sum of outer products of per-event scores for an unbinned one. Then

    (H + λ D) p = -g,     D = diag(H) (Marquardt's scaling),

gives the step. The damping λ follows the gain ratio ρ = (F(x) - F(x + p)) / (-gᵀp - pᵀHp/2)
of actual to predicted decrease (Nielsen 1999): a step with ρ > 0 is taken and
λ ← λ · max(1/3, 1 - (2ρ - 1)³); a rejected step multiplies λ by ν, which doubles on each
consecutive rejection. Convergence is MINUIT's: EDM = gᵀH⁻¹g / 2 below ``tol_edm``
(Minuit passes 0.002 · tol · errordef). For a cost linear in its parameters the first
undamped step lands on the minimum.

Structured secant correction. H omits the residual (observed-information) terms R of the
Hessian, O(1/sqrt(N)) relative, so the plain steps converge only linearly. Near the
minimum (a step that starts at EDM below ``secant_edm``, where R varies little) each
accepted step s with gradient change y updates an estimate S of R so that the augmented
matrix satisfies the secant condition (H(x + s) + S) s = y, by the symmetric rank-two
update of J. E. Dennis, D. M. Gay and R. E. Welsch, "An adaptive nonlinear least-squares
algorithm", ACM TOMS 7 (1981) 348, with their sizing factor:

    y# = y - H(x + s) s,   S ← τ S,  τ = min(1, |sᵀy#| / |sᵀSs|),
    S ← S + (v yᵀ + y vᵀ) / (yᵀs) - (vᵀs) y yᵀ / (yᵀs)²,   v = y# - S s.

Steps and EDM then use H + S while it is positive definite (else H). The dominant error
direction of the linear convergence is the one the last step moved along, so the update
removes most of it: a step or two fewer at no extra cost function calls.

A trial point where F is not finite, or where the cost raises OverflowError (Python's
float arithmetic, ``math.exp``, raises it where numpy returns inf), is rejected as one of
infinite cost (ρ < 0); at the start it propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._core.linalg import spd_solve
from .._core.rules import default_ncall

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["FisherOptions", "FisherResult", "minimize_fisher"]


@dataclass
class FisherOptions:
    tol_edm: float = 2e-4
    max_nfev: int | None = None
    lambda0: float = 1e-6
    secant_edm: float = 3.0


@dataclass
class FisherResult:
    x: NDArray
    fval: float
    grad: NDArray
    hess: NDArray
    edm: float
    nfev: int
    niter: int
    converged: bool
    reached_call_limit: bool
    message: str
    steps: NDArray | None = None  # external steps used at x (set by minuit's engine)


def _edm(g: NDArray, h: NDArray) -> float:
    x = spd_solve(h, g)
    e = float(0.5 * g @ x) if x is not None else np.nan
    if not (e >= 0):  # singular or indefinite: the pseudo-inverse
        e = float(0.5 * g @ np.linalg.pinv(h) @ g)
    return e


def _secant_update(s_mat: NDArray, p: NDArray, y: NDArray, h_new: NDArray) -> NDArray:
    """Dennis-Gay-Welsch update of the residual-term estimate (module docstring)."""
    ys = float(y @ p)
    if not ys > 0:
        return s_mat
    ysh = y - h_new @ p
    sp = s_mat @ p
    sss = float(p @ sp)
    if sss != 0.0:
        tau = min(1.0, abs(float(p @ ysh)) / abs(sss))
        s_mat, sp = s_mat * tau, sp * tau
    v = ysh - sp
    vy = v[:, None] * (y / ys)
    return s_mat + vy + vy.T - (float(v @ p) / ys**2) * (y[:, None] * y)


def _damped_step(h: NDArray, damping: NDArray, g: NDArray, diag: tuple) -> NDArray | None:
    """The step p of (H + diag(damping)) p = -g, or None if that is not positive definite."""
    a = h.copy()
    a[diag] += damping
    return spd_solve(a, -g)


def minimize_fisher(fgh: Callable[[NDArray], tuple[float, NDArray, NDArray]], x0: NDArray,
                    options: FisherOptions,
                    move: Callable[[NDArray, NDArray], NDArray] | None = None
                    ) -> FisherResult:
    """Minimize with damped Gauss-Newton steps (module docstring).

    ``move(x, p)``, optional, returns the point a step p from x leads to (default x + p);
    Minuit passes one that takes the step in external coordinates when parameters have
    limits.
    """
    x = np.array(x0, dtype=float)
    n = x.size
    limit = options.max_nfev or default_ncall(n)
    f, g, h = fgh(x)
    nfev = 1
    if not np.isfinite(f):
        return FisherResult(x, f, g, h, np.inf, nfev, 0, False, False,
                            "cost not finite at the start")
    lam, nu = options.lambda0, 2.0
    niter = 0
    s_mat = np.zeros((n, n))  # secant estimate of the residual terms
    secant = False  # whether s_mat has been updated
    hs = h  # the matrix the steps use: h + s_mat, or h
    diag = np.diag_indices(n)
    edm = _edm(g, h)
    while edm >= options.tol_edm:
        if nfev >= limit:
            return FisherResult(x, f, g, h, edm, nfev, niter, False, True,
                                "call limit reached")
        niter += 1
        d = h.diagonal().copy()
        if not (d > 0).all():
            d[d <= 0] = max(float(d.max()), 1.0) * 1e-12
        p = _damped_step(hs, lam * d, g, diag)  # H ⪰ 0, λ D ≻ 0: positive definite
        if p is None and hs is not h:  # H + S is not: without the secant estimate
            hs = h
            p = _damped_step(hs, lam * d, g, diag)
        if p is None:  # numerically not: more damping
            lam = max(lam * nu, 1e-8)
            nu *= 2.0
            if lam > 1e16:
                return FisherResult(x, f, g, h, edm, nfev, niter, False, False,
                                    "the damped Gauss-Newton matrix is not positive definite")
            continue
        pred = -float(g @ p) - 0.5 * float(p @ hs @ p)
        xn = x + p if move is None else move(x, p)
        try:
            fn, gn, hn = fgh(xn)
        except OverflowError:  # Python floats (math.exp) far out: a trial of infinite cost
            fn, gn, hn = np.inf, g, h
        nfev += 1
        rho = (f - fn) / pred if (np.isfinite(fn) and pred > 0) else -1.0
        if rho > 0:
            gn, hn = np.asarray(gn, float), np.asarray(hn, float)
            if edm < options.secant_edm:
                s_mat = _secant_update(s_mat, xn - x, gn - g, hn)
                secant = True
            x, f, g, h = xn, fn, gn, hn
            lam *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            lam = max(lam, 1e-15)
            nu = 2.0
            hs = h
            if secant:
                v = spd_solve(h + s_mat, g)
                if v is not None and float(g @ v) >= 0:
                    hs = h + s_mat
                    edm = 0.5 * float(g @ v)
                    continue
            edm = _edm(g, h)
        else:
            if pred <= 0 and np.isfinite(fn) and abs(fn - f) <= 1e-15 * max(abs(f), 1.0):
                break  # no decrease is possible at double precision
            lam *= nu
            nu *= 2.0
            if lam > 1e16:
                return FisherResult(x, f, g, h, edm, nfev, niter, False, False,
                                    "no decrease along the damped Gauss-Newton step")
    return FisherResult(x, f, g, h, edm, nfev, niter, edm < options.tol_edm, False,
                        "converged" if edm < options.tol_edm else "stalled")
