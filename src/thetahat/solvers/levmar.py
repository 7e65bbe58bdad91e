"""Levenberg–Marquardt in Moré's scaled trust-region form (MINPACK's lmder).

Minimise ½‖f(x)‖² for residuals f: Rⁿ → Rᵐ, m ≥ n, without bounds.

Step. With J = ∂f/∂x, a diagonal scaling D and a trust radius Δ, the step p solves

    min ‖J p + f‖²  subject to  ‖D p‖ ≤ Δ,

whose solution is p(λ) = -(JᵀJ + λ D²)⁻¹ Jᵀf with λ = 0 if the Gauss-Newton step is inside
the region, else the λ > 0 with ‖D p(λ)‖ = Δ (J. J. Moré, "The Levenberg-Marquardt
algorithm: implementation and theory", 1978). In the scaled variables q = D p and with
the SVD J D⁻¹ = U S Vᵀ, q(λ) = -V diag(s / (s² + λ)) Uᵀ f, so ‖q(λ)‖ is explicit and λ
is found by Newton's method on φ(λ) = 1/‖q(λ)‖ - 1/Δ (convex, Hebden's choice), safeguarded
to a bracket.

Acceptance and radius. The ratio ρ of actual to predicted reduction of ‖f‖²,
predicted = (‖J p‖² + 2 λ ‖D p‖²) / ‖f‖², decides: ρ < 1/4 shrinks Δ, ρ > 3/4 (or λ = 0)
sets Δ = 2‖D p‖; a step with ρ > 10⁻⁴ is taken. D is the running maximum of the column
norms of J (``x_scale='jac'``, MINPACK's mode 1) or 1/x_scale.

The acceptance and radius thresholds, the tests and the status codes are
:mod:`._lm_rules`, shared with the batch engine and both compiled cores.

Stopping (scipy's status codes): 1 gtol — the largest cosine between f and a column of J
is below gtol; 2 ftol — both reductions below ftol; 3 xtol — Δ ≤ xtol ‖D x‖; 4 both 2 and
3; 0 — the evaluation budget is spent; -3 (``lsq_common.NONFINITE``) — every trial since
the last accepted step had non-finite residuals until the budget or the step ran out, or
the Jacobian is not finite (x is then no minimum; the message names the parameters).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._core.linalg import thin_svd
from ..derivatives.model import central_jacobian
from ._lm_rules import (
    CONVERGED,
    DELTA0,
    RHO_ACCEPT,
    ST_BUDGET,
    ST_FTOL,
    ST_FTOL_XTOL,
    ST_GTOL,
    ST_XTOL,
    STEP_BAND,
    STEP_ITER,
    ftol_ok,
    gtol_term,
    radius_update,
    xtol_ok,
)
from .lsq_common import NONFINITE, nonfinite_message, nonfinite_stall

__all__ = ["LMOptions", "LMResult", "levmar", "LMBatchResult", "levmar_batch",
           "NonFiniteError"]

_MESSAGES = {
    0: "The maximum number of function evaluations is exceeded.",
    1: "`gtol` termination condition is satisfied.",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "Both `ftol` and `xtol` termination conditions are satisfied.",
}

_EPS = float(np.finfo(float).eps)


class NonFiniteError(RuntimeError):
    """The solve stopped on non-finite residuals or Jacobian (status -3), raised when
    ``LMOptions.raise_nonfinite``: for callers whose statuses (MINPACK's) have no such case.
    ``x`` is the point where it stopped (the last accepted one)."""

    def __init__(self, message: str, x: NDArray | None = None) -> None:
        super().__init__(message)
        self.x = None if x is None else np.array(x, dtype=float)


@dataclass
class LMOptions:
    ftol: float = 1e-8
    xtol: float = 1e-8
    gtol: float = 1e-8
    max_nfev: int | None = None
    x_scale: Any = None
    polish: bool = True
    raise_nonfinite: bool = True  # status -3 raises NonFiniteError (else: is returned)


@dataclass
class LMResult:
    x: NDArray
    fun: NDArray
    jac: NDArray
    nfev: int
    njev: int
    status: int
    message: str
    niter: int
    nfev_jac: int = 0  # of nfev, the calls made for the polish's difference Jacobians


@np.errstate(over="ignore")  # a radius shrunk to nothing (every trial rejected) sends the
# bracket's upper end to inf: the bracket logic handles it, the warning would only alarm
def _scaled_step(u: NDArray, s: NDArray, vt: NDArray, f: NDArray, delta: float,
                 lam0: float) -> tuple[NDArray, float, float, float]:
    """The step q(λ) in scaled variables with ‖q‖ ≤ Δ (module docstring).

    Returns -q, λ, ‖q‖ and ‖J D⁻¹ q‖, the last two from the SVD's n-vectors:
    J D⁻¹ q(λ) = -U diag(s² / (s² + λ)) Uᵀf, whose norm is that of the n-vector.
    """
    uf = f @ u
    smax = s[0] if s.size else 0.0  # gesdd orders the singular values decreasingly
    if not (s.size and s[-1] > smax * 1e-15 * s.size):  # rank-deficient: drop the null space
        good = s > smax * 1e-15 * max(s.size, 1)
        uf = np.where(good, uf, 0.0)
        s = np.where(good, s, 1.0)
    w = uf / s
    q0 = w @ vt
    nq0 = math.sqrt(w @ w)
    if nq0 <= delta * (1 + 1e-10):
        return q0, 0.0, nq0, math.sqrt(uf @ uf)

    sf = s * uf
    s2 = s * s

    # bracket: λ_lo from the Gauss-Newton norm, λ_hi from ‖Jᵀf‖ / Δ
    lo = 0.0
    hi = math.sqrt(sf @ sf) / delta
    lam = lam0 if lo < lam0 < hi else math.sqrt(max(lo, 1e-3 * hi) * hi)
    for _ in range(STEP_ITER):
        if not lo < lam < hi:
            lam = max(0.001 * hi, math.sqrt(max(lo * hi, 0.0)))
        d = s2 + lam
        w = sf / d
        n2 = w @ w
        dn2 = -2.0 * ((w * w) @ (1.0 / d))  # d(‖q‖²)/dλ
        nq = math.sqrt(n2)
        phi = nq - delta
        if abs(phi) <= STEP_BAND * delta:
            break
        if phi > 0:
            lo = lam
        else:
            hi = lam
        # Newton on ψ(λ) = 1/Δ - 1/‖q(λ)‖: λ ← λ - 2 (‖q‖ - Δ) ‖q‖² / (Δ d‖q‖²/dλ)
        lam = lam - 2.0 * phi * n2 / (delta * dn2) if dn2 < 0 else 2.0 * lam
    w = sf / (s2 + lam)
    sw = s * w
    return w @ vt, lam, math.sqrt(w @ w), math.sqrt(sw @ sw)


def levmar(fun: Callable[[NDArray], NDArray], jac: Callable[[NDArray, NDArray], NDArray],
           x0: NDArray, options: LMOptions, f0: NDArray | None = None) -> LMResult:
    """Minimise ½‖fun(x)‖² from ``x0`` (module docstring); ``f0`` = fun(x0) if known.

    Written for small problems, where the cost of a fit is the number of numpy calls per
    iteration rather than their arithmetic: norms and the n-vectors of the tests as Python
    floats, one SVD per Jacobian.
    """
    x = np.array(x0, dtype=float)
    n = x.size
    max_nfev = options.max_nfev or 100 * n
    ftol, xtol, gtol = options.ftol, options.xtol, options.gtol
    f = np.asarray(fun(x) if f0 is None else f0, dtype=float)
    nfev, njev = 1, 0
    fixed_scale = options.x_scale is not None and not (isinstance(options.x_scale, str)
                                                        and options.x_scale == "jac")
    D = 1.0 / np.broadcast_to(np.asarray(options.x_scale, float), (n,)) if fixed_scale \
        else None
    Dl = None if D is None else D.tolist()
    delta = None
    lam = 0.0
    status = None
    message = ""
    niter = 0
    J = np.asarray(jac(x, f), dtype=float)
    njev += 1
    fnorm = math.sqrt(f @ f)
    steps = [0.0, 0.0]  # the scaled sizes of the last two steps taken
    while status is None:
        niter += 1
        cn = np.sqrt(np.einsum("ij,ij->j", J, J)).tolist()  # column norms of J
        if not fixed_scale:
            if Dl is None:
                Dl = [c if c > 0 else 1.0 for c in cn]
            else:
                Dl = [c if c > d else d for c, d in zip(cn, Dl)]
            D = np.array(Dl)
        if delta is None:
            dx = math.sqrt((D * x) @ (D * x))
            delta = DELTA0 * dx if dx > 0 else DELTA0
        # gtol: cosine between f and the columns of J
        if fnorm == 0:
            status = ST_GTOL
            break
        fJ = f @ J
        if not np.all(np.isfinite(fJ)):  # a non-finite Jacobian (f is finite here)
            status, message = NONFINITE, nonfinite_message(x, fJ)
            break
        gnorm = max([gtol_term(g, c, fnorm) for g, c in zip(fJ.tolist(), cn)], default=0.0)
        if gnorm <= gtol:
            status = ST_GTOL
            break
        u, s, vt = thin_svd(J / D)
        n_bad, all_bad = 0, True  # non-finite trials in a row; all since the last accept
        while True:  # inner loop: until a step is taken or a test stops the solve
            mq, lam, pnorm, jpnorm = _scaled_step(u, s, vt, f, delta, lam)
            if niter == 1 and 0 < pnorm < delta:
                delta = pnorm  # MINPACK: the first radius is at most the first step
            xn = x - mq / D
            fn = np.asarray(fun(xn), dtype=float)
            nfev += 1
            fnn = math.sqrt(fn @ fn)  # nan or inf if any residual is not finite
            if math.isfinite(fnn):
                ared = 1.0 - (fnn / fnorm) ** 2
                n_bad, all_bad = 0, False
            else:
                fnn, ared = math.inf, -math.inf
                n_bad += 1
            t1 = jpnorm / fnorm  # ‖J p‖ / ‖f‖
            t2 = math.sqrt(lam) * pnorm / fnorm
            pred = t1 * t1 + 2.0 * t2 * t2
            ratio = ared / pred if pred > 0 else 0.0
            delta, lam = radius_update(ratio, ared, -(t1 * t1 + t2 * t2), fnn < 10 * fnorm,
                                       pnorm, delta, lam)
            accepted = ratio >= RHO_ACCEPT
            if accepted:
                x, f, fnorm = xn, fn, fnn
                steps = [steps[1], pnorm]
            dxv = D * x
            xnorm = math.sqrt(dxv @ dxv)
            f_ok = ftol_ok(ared, pred, ratio, ftol)
            x_ok = xtol_ok(delta, xnorm, xtol)
            if f_ok or x_ok:
                status = ST_FTOL_XTOL if (f_ok and x_ok) else (ST_FTOL if f_ok else ST_XTOL)
            elif nfev >= max_nfev:
                status = ST_BUDGET
            elif n_bad and nonfinite_stall(pnorm, xnorm, n_bad):
                status = ST_XTOL  # the step has vanished
            if status is not None:
                if not accepted and all_bad and n_bad:
                    status, message = NONFINITE, nonfinite_message(x)
                break
            if accepted:
                break
        if status is not None:
            break
        J = np.asarray(jac(x, f), dtype=float)
        njev += 1
    nfev_jac = 0
    if status == NONFINITE and options.raise_nonfinite:
        raise NonFiniteError(message, x)
    if status > 0 and options.polish and 4.0 * forward_shift_estimate(x, f, J) > options.xtol:
        # the rate of the last steps: a Gauss-Newton step shrinks the distance to the
        # minimum by about this factor, the polish's steps too
        rate = min(steps[1] / steps[0], 1.0) if steps[0] > 0 else 1.0
        x, f, J, k, nfev_jac = _polish(fun, x, f, J, max_nfev - nfev, rate)
        nfev += k
    return LMResult(x=x, fun=f, jac=J, nfev=nfev, njev=njev, status=int(status),
                    message=message or _MESSAGES[int(status)], niter=niter,
                    nfev_jac=nfev_jac)


def forward_shift_estimate(x: NDArray, f: NDArray, J: NDArray) -> float:
    """Estimate of how far a forward-difference Jacobian's error moves the solution, relative
    to the parameters: whether the polish can pay.

    The solve ends where Jᵀf = 0 for the difference J = J* + δJ; the exact solution of
    J*ᵀf = 0 lies δx ≈ -(JᵀJ)⁻¹ δJᵀ f away. With the columns scaled by |x_j| (relative
    changes, J_s = J D), ‖δJ_s‖ ≈ sqrt(ε) ‖J_s‖ and ‖D⁻¹ δx‖ ≈ sqrt(ε) σ_max ‖f‖ / σ_min²
    (σ of J_s). It is an order of magnitude: on the 38 NIST fits the largest relative shift
    the polish then made was between 1/400 and 4 times it. :func:`levmar` polishes only
    when 4 times the estimate exceeds ``xtol``: below, the forward-difference answer
    already meets the accuracy the user asked of x, and the polish's 2n + 1 calls buy
    nothing asked for (an 11-point decay: estimate 2.4e-9, actual shift 2.3e-10)."""
    # σ from one small SVD (LAPACK directly: numpy.linalg's wrapping costs more than the
    # arithmetic here)
    Js = np.asarray(J, float) * np.where(x != 0, np.abs(x), 1.0)
    try:
        s = thin_svd(Js)[1]
    except np.linalg.LinAlgError:
        return np.inf
    if s.size == 0 or not (s[-1] > 0 and math.isfinite(s[0])):
        return np.inf
    # σ_max ‖f‖ / σ_min² as two ratios, and ‖f‖ scaled by its largest entry: on a problem
    # whose residuals and parameters are ~1e-300, σ_min² and f·f underflow to 0
    smin = float(s[-1])
    fmax = float(np.max(np.abs(f))) if f.size else 0.0
    fnorm = fmax * math.sqrt(float(np.sum((f / fmax) ** 2))) if fmax > 0 else 0.0
    return math.sqrt(_EPS) * (float(s[0]) / smin) * (fnorm / smin)


def _polish(fun: Callable[[NDArray], NDArray], x: NDArray, f: NDArray, J: NDArray,
            budget: int, rate: float) -> tuple[NDArray, NDArray, NDArray, int, int]:
    """Gauss-Newton steps with central-difference Jacobians after convergence.

    A forward-difference Jacobian has relative errors ~1e-8, and the solution of
    Jᵀf = 0 inherits them in proportion to the residuals. Central differences (error
    ~ε^(2/3) ≈ 4e-11) for the last steps recover the digits; a step is kept only if it
    does not increase ‖f‖. The polish stops when the step is below 1e-12 relative (the
    accuracy of the central-difference Jacobian: smaller steps are noise), or when the next
    one is predicted to be: Gauss-Newton converges linearly near a minimum with nonzero
    residuals, and ``rate`` (the ratio of the solve's last two step sizes) estimates its
    factor, so the next step is about ``rate`` times this one. On a well-determined fit a
    single round is enough (2n + 1 calls); slow, large-residual fits take more.
    """
    nfev = nfev_jac = 0
    for _ in range(10):
        if nfev + 2 * x.size + 1 > budget:
            break
        Jc, k = central_jacobian(fun, x, f.size)
        nfev += k
        nfev_jac += k
        if not np.all(np.isfinite(Jc)):
            break
        p = np.linalg.lstsq(Jc, -f, rcond=None)[0]
        xn = x + p
        fn = np.asarray(fun(xn), float)
        nfev += 1
        if not (np.all(np.isfinite(fn)) and fn @ fn <= f @ f):
            break
        x, f, J = xn, fn, Jc
        if max(rate, 1e-3) * float(np.linalg.norm(p)) <= 1e-12 * max(float(np.linalg.norm(x)),
                                                                       1e-300):
            break
    return x, f, J, nfev, nfev_jac


# --- a batch of residual functions, on the batch engine ----------------------------------
@dataclass
class LMBatchResult:
    """Results of B independent fits; every field has the batch as its leading axis."""

    x: NDArray        # (B, n)
    cost: NDArray     # (B,) ½‖f‖²
    fun: NDArray      # (B, m)
    jac: NDArray      # (B, m, n)
    nfev: NDArray     # (B,) residual evaluations of each member
    niter: NDArray    # (B,)
    status: NDArray   # (B,) the batch's codes (_lm_rules): 1 converged, 2 max-iterations,
    #                   3 singular, 4 non-finite
    success: NDArray  # (B,) status == 1


def levmar_batch(fun_b: Callable[[NDArray], NDArray],
                 jac_b: Callable[[NDArray, NDArray], NDArray], X0: NDArray,
                 options: LMOptions) -> LMBatchResult:
    """Levenberg–Marquardt on a batch of B independent residual problems.

    ``fun_b(X)`` maps parameters (B, n) to residuals (B, m); ``jac_b(X, F)`` gives the
    Jacobians (B, m, n). The fits are those of the batch engine
    (:func:`.batch_lm.lm_batch`, with data 0 and the model the residuals): the same
    acceptance rule, tests and tolerances as :func:`levmar` (:mod:`._lm_rules`); converged
    members are frozen. ``options.max_nfev`` (default 100 n) bounds the iterations.
    """
    from .batch_lm import lm_batch  # here: a single fit (curve_fit) does not import it

    X = np.array(X0, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X0 must have shape (B, n), got {X.shape}")
    B, n = X.shape
    last = {"X": X.copy()}

    def fun(idx: NDArray, p: NDArray) -> tuple[NDArray, NDArray]:
        # the user's functions take the whole batch: the other members at their last point
        Xa = last["X"]
        Xa[idx] = p
        F = np.asarray(fun_b(Xa), dtype=float)
        J = np.asarray(jac_b(Xa, F), dtype=float)
        return F[idx], J[idx]

    F0 = np.asarray(fun_b(X), dtype=float)
    if F0.ndim != 2 or F0.shape[0] != B:
        raise ValueError(f"fun_b(X0) must have shape (B, m) = ({B}, m), got {F0.shape}")
    r = lm_batch(fun, X, np.zeros_like(F0), ftol=options.ftol, xtol=options.xtol,
                 gtol=options.gtol, max_iter=options.max_nfev or 100 * n, chunk=B)
    F = np.asarray(fun_b(r.popt), dtype=float)
    J = np.asarray(jac_b(r.popt, F), dtype=float)
    return LMBatchResult(x=r.popt, cost=0.5 * r.chi2, fun=F, jac=J, nfev=r.nfev,
                         niter=r.niter, status=r.status, success=r.status == CONVERGED)
