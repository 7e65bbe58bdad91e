"""Shared mathematics of the bounded nonlinear least-squares solvers (trf, dogbox).

Problem: minimise F(x) = ½ Σ_i ρ(f_i(x)²) subject to lb <= x <= ub.

Robust loss.  With the soft margin C (``f_scale``) and z = f²/C², the loss is
ρ_C(f²) = C² ρ(z); its derivatives with respect to f² are ρ'(z) and ρ''(z)/C².
``loss_rho`` returns the (3, m) array [ρ_C, ρ_C', ρ_C''].  The gradient of F is
g = Jᵀ(ρ' f) and a Gauss-Newton model of its Hessian is Jᵀ diag(ρ' + 2ρ'' f²) J
(Triggs et al., "Bundle adjustment — a modern synthesis", 2000).  Both are reproduced
by an ordinary least-squares model in the *scaled* residuals and Jacobian

    J̃ = diag(s) J,  f̃ = (ρ'/s) f,   s = sqrt(max(ρ' + 2ρ'' f², eps)),

which is what ``scale_for_loss`` returns: then g = J̃ᵀ f̃ and the model Hessian is J̃ᵀJ̃.

Coleman–Li scaling.  For bounds the first-order conditions are v_j g_j = 0 with
v_j = u_j - x_j if g_j < 0 and u_j < ∞, x_j - l_j if g_j > 0 and l_j > -∞, else 1;
``cl_scaling`` returns v and dv = dv_j/dx_j ∈ {-1, 0, 1}.

Trust-region subproblem.  min ½‖J p + f‖² s.t. ‖p‖ <= Δ.  With the thin SVD
J = U S Vᵀ and uf = Uᵀ f the solution is p(α) = -V (s·uf / (s² + α)) with α = 0 if the
Gauss–Newton step is inside (and J has full rank), otherwise the α > 0 with ‖p(α)‖ = Δ.
α is found by Newton's method on φ(α) = 1/‖p(α)‖ - 1/Δ, which is nearly linear in α
(Hebden 1973; Moré 1978), safeguarded by the bracket [α_l, α_u] with
α_l = -φ(0)/φ'(0) (if J has full rank) and α_u = ‖Jᵀf‖/Δ.

Non-finite residuals.  A trial point whose residuals are NaN or inf is rejected and the
radius shrunk, as for any failed step.  When every trial since the last accepted step was
non-finite and the solve must stop (the budget is spent, or the step has shrunk below the
resolution of x), the point reached is not a minimum: the solvers stop with status
``NONFINITE`` (-3) and a message naming the parameters (``nonfinite_message``).  The same
status ends a solve whose Jacobian, at an accepted point, is not finite (its gradient
Jᵀf is then not finite: one n-vector test per iteration, no per-call watching).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_EPS = np.finfo(float).eps

LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")


# --------------------------------------------------------------------------- losses
def _rho_soft_l1(z: NDArray) -> NDArray:
    t = 1 + z
    r = np.empty((3, z.size))
    r[0] = 2 * (np.sqrt(t) - 1)
    r[1] = 1 / np.sqrt(t)
    r[2] = -0.5 * t ** -1.5
    return r


def _rho_huber(z: NDArray) -> NDArray:
    inl = z <= 1
    r = np.empty((3, z.size))
    sz = np.sqrt(np.where(inl, 1.0, z))
    r[0] = np.where(inl, z, 2 * sz - 1)
    r[1] = np.where(inl, 1.0, 1 / sz)
    r[2] = np.where(inl, 0.0, -0.5 / (sz * np.where(inl, 1.0, z)))
    return r


def _rho_cauchy(z: NDArray) -> NDArray:
    t = 1 + z
    r = np.empty((3, z.size))
    r[0] = np.log1p(z)
    r[1] = 1 / t
    r[2] = -1 / t ** 2
    return r


def _rho_arctan(z: NDArray) -> NDArray:
    t = 1 + z * z
    r = np.empty((3, z.size))
    r[0] = np.arctan(z)
    r[1] = 1 / t
    r[2] = -2 * z / t ** 2
    return r


_RHO = {"soft_l1": _rho_soft_l1, "huber": _rho_huber, "cauchy": _rho_cauchy, "arctan": _rho_arctan}


def make_loss(loss: str | Callable, f_scale: float) -> Callable[[NDArray], NDArray] | None:
    """A function f -> (3, m) array [ρ_C(f²), ρ_C'(f²), ρ_C''(f²)]; None for 'linear'.

    ``loss`` is a name of :data:`LOSSES` or a callable z -> (3, m) of the unit-margin
    loss (as scipy); the soft margin C = ``f_scale`` is applied here.
    """
    if loss == "linear":
        return None
    base = _RHO[loss] if isinstance(loss, str) else loss
    c2 = f_scale ** 2

    def rho(f: NDArray) -> NDArray:
        z = (f / f_scale) ** 2
        r = np.array(base(z), dtype=float, copy=True)
        if r.shape != (3, f.size):
            raise ValueError(f"loss must return an array of shape (3, {f.size}), got {r.shape}")
        r[0] *= c2
        r[2] /= c2
        return r

    return rho


def cost_of(f: NDArray, rho: NDArray | None) -> float:
    """F = ½ Σ ρ(f²) (½ ‖f‖² without a loss)."""
    if rho is None:
        return 0.5 * float(f @ f)
    return 0.5 * float(np.sum(rho[0]))


def scale_for_loss(J: NDArray, f: NDArray, rho: NDArray) -> tuple[NDArray, NDArray]:
    """Scaled (J̃, f̃) so that J̃ᵀf̃ = Jᵀ(ρ' f) and J̃ᵀJ̃ = Jᵀ diag(ρ' + 2ρ''f²) J (clipped)."""
    s = rho[1] + 2 * rho[2] * f ** 2
    s = np.sqrt(np.maximum(s, _EPS))
    return J * s[:, None], f * (rho[1] / s)


# --------------------------------------------------------------------------- bounds
def cl_scaling(x: NDArray, g: NDArray, lb: NDArray, ub: NDArray) -> tuple[NDArray, NDArray]:
    """Coleman–Li scaling vector v and its derivative dv (see module docstring)."""
    up = (g < 0) & np.isfinite(ub)
    lo = (g > 0) & np.isfinite(lb)  # disjoint from up
    v = np.where(up, ub - x, np.where(lo, x - lb, 1.0))
    dv = lo.astype(float) - up
    return v, dv


def initial_radius(x0: NDArray, g: NDArray, lb: NDArray, ub: NDArray, scale_inv: NDArray,
                   bounded: bool) -> float:
    """First trust radius of trf: ‖x0‖ in the scaled (and, with bounds, Coleman–Li scaled)
    variables, or 1 if that is 0 or not finite."""
    if bounded:
        v0, dv0 = cl_scaling(x0, g, lb, ub)
        v0[dv0 != 0] *= scale_inv[dv0 != 0]
        delta = float(np.linalg.norm(x0 * scale_inv / np.sqrt(v0)))
    else:
        delta = float(np.linalg.norm(x0 * scale_inv))
    return delta if delta > 0 and np.isfinite(delta) else 1.0


def step_to_bound(x: NDArray, s: NDArray, lb: NDArray, ub: NDArray) -> tuple[float, NDArray]:
    """Largest t >= 0 with x + t s in [lb, ub], and which bounds stop it (-1 lower, +1 upper)."""
    # divided only where the direction points at that side (no warnings to silence)
    t_up = np.divide(ub - x, s, out=np.full(x.shape, np.inf), where=s > 0)
    t_lo = np.divide(lb - x, s, out=np.full(x.shape, np.inf), where=s < 0)
    t = np.minimum(t_up, t_lo)
    tmin = float(t.min()) if t.size else np.inf
    hits = np.zeros(x.size, dtype=int)
    if np.isfinite(tmin):
        at = t == tmin
        hits[at & (s > 0)] = 1
        hits[at & (s < 0)] = -1
    return tmin, hits


def strictly_feasible(x: NDArray, lb: NDArray, ub: NDArray, rstep: float = 1e-10) -> NDArray:
    """Move x strictly inside (lb, ub): by a relative ``rstep`` from a bound, or to the
    next representable number when ``rstep`` is 0; the midpoint for very narrow boxes."""
    x = x.copy()
    if rstep == 0:
        lo = x <= lb
        x[lo] = np.nextafter(lb[lo], ub[lo])
        hi = x >= ub
        x[hi] = np.nextafter(ub[hi], lb[hi])
    else:
        lo = x <= lb
        x[lo] = lb[lo] + rstep * np.maximum(1, np.abs(lb[lo]))
        hi = x >= ub
        x[hi] = ub[hi] - rstep * np.maximum(1, np.abs(ub[hi]))
    bad = (x < lb) | (x > ub)
    x[bad] = 0.5 * (lb[bad] + ub[bad])
    return x


def active_mask(x: NDArray, lb: NDArray, ub: NDArray, rtol: float = 1e-10) -> NDArray:
    """-1 / +1 where x is at (within ``rtol`` relative of) its lower / upper bound, else 0."""
    mask = np.zeros(x.size, dtype=int)
    if rtol == 0:
        mask[x <= lb] = -1
        mask[x >= ub] = 1
        return mask
    tl = rtol * np.maximum(1, np.abs(lb))
    tu = rtol * np.maximum(1, np.abs(ub))
    mask[np.isfinite(lb) & (x - lb <= tl)] = -1
    mask[np.isfinite(ub) & (ub - x <= tu)] = 1
    return mask


# --------------------------------------------------------------------------- models
def minimize_quadratic_1d(a: float, b: float, lo: float, hi: float) -> tuple[float, float]:
    """argmin and min of a t² + b t over [lo, hi]."""
    cands = [lo, hi]
    if a > 0:
        t = -b / (2 * a)
        if lo < t < hi:
            cands.append(t)
    vals = [a * t * t + b * t for t in cands]
    k = int(np.argmin(vals))
    return cands[k], vals[k]


def intersect_sphere(x: NDArray, s: NDArray, delta: float) -> tuple[float, float]:
    """The t's where ‖x + t s‖ = Δ (x inside the sphere): t_minus <= 0 <= t_plus."""
    a = float(s @ s)
    if a == 0:
        return -np.inf, np.inf
    b = float(x @ s)
    c = float(x @ x) - delta ** 2
    d = np.sqrt(max(b * b - a * c, 0.0))
    q = -(b + np.copysign(d, b))
    t1 = q / a
    t2 = c / q if q != 0 else -t1
    return min(t1, t2), max(t1, t2)


# --------------------------------------------------------------------------- subproblem
def solve_trust_region(uf: NDArray, s: NDArray, V: NDArray, delta: float, alpha: float = 0.0,
                       rtol: float = 0.01, max_iter: int = 10) -> tuple[NDArray, float, int]:
    """Exact solution of min ½‖Jp + f‖² s.t. ‖p‖ <= Δ from the SVD of J.

    Parameters
    ----------
    uf : ndarray, shape (k,)
        Uᵀ f for the thin SVD J = U diag(s) Vᵀ (k = min(m, n)).
    s, V : singular values (descending) and right singular vectors (n, k).
    delta : trust-region radius.
    alpha : starting guess for the Levenberg–Marquardt parameter.
    rtol : accept ‖p‖ within (1 ± rtol) Δ.

    Returns
    -------
    p : the step; alpha : its Levenberg–Marquardt parameter (0 for the Gauss–Newton
    step, the minimum-norm one when J is rank-deficient or m < n); n_iter : Newton
    iterations used.
    """
    suf = s * uf
    full_rank = s.size == V.shape[0] and s.size > 0 and s[-1] > 0
    if full_rank:
        p = -V @ (uf / s)
        if math.sqrt(float(p @ p)) <= delta:
            return p, 0.0, 0
    s2 = s * s
    suf2 = suf * suf
    gnorm = math.sqrt(float(np.sum(suf2)))
    if gnorm == 0:
        return np.zeros(V.shape[0]), 0.0, 0
    if not full_rank:  # drop the null space: its components of Jᵀf vanish
        keep = s2 > 0
        s2, suf, suf2 = s2[keep], suf[keep], suf2[keep]
        V = V[:, keep]
        # the minimum-norm Gauss-Newton step (m < n, or rank-deficient J) solves the
        # problem when it fits: the secular equation ‖p(α)‖ = Δ has no root α >= 0 then
        p = -V @ (suf / s2)
        if math.sqrt(float(p @ p)) <= delta:
            return p, 0.0, 0

    def phi(a: float) -> tuple[float, float]:
        """‖p(α)‖ - Δ and its derivative."""
        den = s2 + a
        w2 = suf2 / (den * den)
        nrm = math.sqrt(float(np.sum(w2)))
        return nrm - delta, -float(np.sum(w2 / den)) / nrm

    alpha_u = gnorm / delta
    if full_rank:
        p0, dp0 = phi(0.0)
        alpha_l = -p0 / dp0
    else:
        alpha_l = 0.0
    if not (alpha_l < alpha <= alpha_u):
        alpha = max(0.001 * alpha_u, math.sqrt(alpha_l * alpha_u))
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned after the loop)
        if not (alpha_l < alpha <= alpha_u):
            alpha = max(0.001 * alpha_u, math.sqrt(alpha_l * alpha_u))
        ph, dph = phi(alpha)
        if abs(ph) < rtol * delta:
            break
        if ph < 0:
            alpha_u = alpha
        ratio = ph / dph
        alpha_l = max(alpha_l, alpha - ratio)
        # Newton on 1/‖p‖ - 1/Δ: α ← α - (‖p‖/Δ)(φ/φ')
        alpha -= (ph + delta) / delta * ratio
    p = -V @ (suf / (s2 + alpha))
    # a final rescale onto the sphere guards the tolerance of the Newton iteration
    pn = math.sqrt(float(p @ p))
    if pn > delta:
        p *= delta / pn
    return p, alpha, it


def update_radius(delta: float, actual: float, predicted: float, step_norm: float,
                  hit_boundary: bool) -> tuple[float, float]:
    """Classic trust-region radius update; returns (new Δ, ratio actual/predicted)."""
    if predicted > 0:
        ratio = actual / predicted
    elif predicted == actual == 0:
        ratio = 1.0
    else:
        ratio = 0.0
    if ratio < 0.25:
        delta = 0.25 * step_norm
    elif ratio > 0.75 and hit_boundary:
        delta *= 2.0
    return delta, ratio


def check_termination(dF: float, F: float, dx_norm: float, x_norm: float, ratio: float,
                      ftol: float, xtol: float) -> int | None:
    """scipy's status: 2 ftol, 3 xtol, 4 both, None to go on."""
    ftol_ok = dF < ftol * F and ratio > 0.25
    xtol_ok = dx_norm < xtol * (xtol + x_norm)
    if ftol_ok and xtol_ok:
        return 4
    if ftol_ok:
        return 2
    if xtol_ok:
        return 3
    return None


@dataclass
class LSQOptions:
    """Settings shared by the trust-region solvers (already validated by the front)."""
    ftol: float = 1e-8
    xtol: float = 1e-8
    gtol: float = 1e-8
    max_nfev: int = 100
    x_scale: NDArray | float | str = 1.0  # scales (array or one number) or 'jac'
    loss: Callable[[NDArray], NDArray] | None = None  # f -> (3, m), None for linear
    verbose: int = 0
    callback: Callable[[dict], bool] | None = None  # returns True to stop
    jac_refine: Callable[[NDArray, NDArray], NDArray] | None = None  # accurate J to confirm
    confirm: bool = True  # confirm a met tolerance by the Gauss-Newton step (else: as scipy)


@dataclass
class LSQResult:
    """What a trust-region solver returns; the front turns it into an OptimizeResult."""
    x: NDArray
    cost: float
    fun: NDArray
    jac: NDArray
    grad: NDArray
    optimality: float
    active_mask: NDArray
    nfev: int
    njev: int
    status: int
    niter: int
    message: str = ""  # the message when it depends on the solve (status NONFINITE)


NONFINITE = -3
"""Status: the residuals (every trial since the last accepted step) or the Jacobian are
not finite; the point reached is not a minimum."""


def nonfinite_stall(step_norm: float, x_norm: float, count: int) -> bool:
    """Whether a run of ``count`` non-finite trials (each shrinking the radius at least
    4-fold) must end the solve: the last step, of norm ``step_norm``, is below the rounding
    of x, or the radius has shrunk by 4⁻⁶⁰ ≈ 1e-36 (x = 0 has no rounding to compare)."""
    return count >= 60 or not step_norm > 4 * _EPS * x_norm


def nonfinite_message(x: NDArray, jac_grad: NDArray | None = None) -> str:
    """The message of status :data:`NONFINITE`: where the residuals became non-finite, or
    (``jac_grad`` the gradient Jᵀf at x, not finite) which columns of the Jacobian are."""
    at = np.array2string(np.asarray(x, dtype=float), precision=6, separator=", ")
    if jac_grad is not None:
        cols = ", ".join(f"x[{j}]" for j in np.flatnonzero(~np.isfinite(jac_grad)))
        return (f"The Jacobian is not finite (NaN or inf) at x = {at}, in the derivatives "
                f"with respect to {cols}; check the model and its Jacobian there.")
    return (f"The residuals are not finite (NaN or inf) at every trial point around x = {at} "
            f"since the last accepted step: the model became non-finite near these "
            f"parameters, and x is not a minimum.")


def print_header() -> None:
    print(f"{'Iteration':>13}{'Total nfev':>15}{'Cost':>15}{'Cost reduction':>18}"
          f"{'Step norm':>15}{'Optimality':>15}")


def print_iteration(it: int, nfev: int, cost: float, reduction: float | None,
                    step_norm: float | None, optimality: float) -> None:
    red = f"{reduction:15.2e}" if reduction is not None else " " * 15
    stp = f"{step_norm:15.2e}" if step_norm is not None else " " * 15
    print(f"{it:13d}{nfev:15d}{cost:15.4e}   {red}{stp}{optimality:15.2e}")


def gauss_newton_confirms(pred: float, p_norm: float, cost: float, x_norm: float,
                          cost0: float, noise: float, ftol: float, xtol: float) -> bool:
    """Does the full Gauss–Newton step confirm that a tolerance test may stop the solve?

    The step from the current point (predicted reduction ``pred``, length ``p_norm``)
    must change neither F nor x materially: pred <= max(ftol², 16 eps)·F (the
    parameters would move by about ftol of their statistical precision, or less than
    rounding resolves) or below the observed rounding ``noise`` of F, or
    ‖p‖ <= xtol ‖x‖, or F itself is below eps^(3/2)·F(x0) (a zero residual).  A small
    last reduction or gradient alone says little when the iteration converges linearly
    or F and J are small in absolute terms.  The step test is relative, without the
    absolute floor xtol² of scipy's xtol test (‖dx‖ < xtol (xtol + ‖x‖)): parameters of
    order 1e-20 (SI units) would otherwise be "confirmed" at the start, a whole step from
    their minimum.
    """
    if ftol == 0 and xtol == 0:
        return True
    if ftol > 0 and pred <= max(ftol ** 2 * cost, 16 * _EPS * cost, noise):
        return True
    if cost <= _EPS ** 1.5 * cost0:
        return True
    return p_norm <= xtol * x_norm


MESSAGES = {
    -2: "The callback requested the solver to stop.",
    -1: "Improper input parameters status returned from `leastsq`",
    0: "The maximum number of function evaluations is exceeded.",
    1: "`gtol` termination condition is satisfied.",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "Both `ftol` and `xtol` termination conditions are satisfied.",
    NONFINITE: "The residuals or the Jacobian are not finite (NaN or inf).",
}
