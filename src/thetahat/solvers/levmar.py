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

Stopping (scipy's status codes): 1 gtol — the largest cosine between f and a column of J
is below gtol; 2 ftol — both reductions below ftol; 3 xtol — Δ ≤ xtol ‖D x‖; 4 both 2 and
3; 0 — the evaluation budget is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["LMOptions", "LMResult", "levmar"]

_MESSAGES = {
    0: "The maximum number of function evaluations is exceeded.",
    1: "`gtol` termination condition is satisfied.",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "Both `ftol` and `xtol` termination conditions are satisfied.",
}


@dataclass
class LMOptions:
    ftol: float = 1e-8
    xtol: float = 1e-8
    gtol: float = 1e-8
    max_nfev: int | None = None
    x_scale: Any = None
    polish: bool = True


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


def _scaled_step(u: NDArray, s: NDArray, vt: NDArray, f: NDArray, delta: float,
                 lam0: float) -> tuple[NDArray, float]:
    """q(λ) in scaled variables with ‖q‖ ≤ Δ (module docstring); returns q and λ."""
    uf = u.T @ f
    tiny = s.max() * 1e-15 * max(len(s), 1) if s.size else 0.0
    good = s > tiny
    q0 = -(vt[good].T @ (uf[good] / s[good]))
    nq0 = float(np.linalg.norm(q0))
    if nq0 <= delta * (1 + 1e-10):
        return q0, 0.0

    def qnorm(lam: float) -> tuple[float, float]:
        d = s * s + lam
        w = s * uf / d
        n2 = float(w @ w)
        dn2 = float(-2.0 * np.sum(w * w / d))  # d(‖q‖²)/dλ
        return np.sqrt(n2), dn2

    # bracket: λ_lo from the Gauss-Newton norm, λ_hi from ‖Jᵀf‖ / Δ
    lo = 0.0
    hi = float(np.linalg.norm(s * uf)) / delta
    lam = lam0 if lo < lam0 < hi else np.sqrt(max(lo, 1e-3 * hi) * hi)
    for _ in range(40):
        if not lo < lam < hi:
            lam = max(0.001 * hi, np.sqrt(max(lo * hi, 0.0)))
        nq, dn2 = qnorm(lam)
        phi = nq - delta
        if abs(phi) <= 0.1 * delta:
            break
        if phi > 0:
            lo = lam
        else:
            hi = lam
        # Newton on ψ(λ) = 1/Δ - 1/‖q(λ)‖: λ ← λ - 2 (‖q‖ - Δ) ‖q‖² / (Δ d‖q‖²/dλ)
        lam = lam - 2.0 * phi * nq * nq / (delta * dn2) if dn2 < 0 else 2.0 * lam
    d = s * s + lam
    q = -(vt.T @ (s * uf / d))
    return q, lam


def levmar(fun: Callable[[NDArray], NDArray], jac: Callable[[NDArray, NDArray], NDArray],
           x0: NDArray, options: LMOptions) -> LMResult:
    """Minimise ½‖fun(x)‖² from ``x0`` (module docstring)."""
    x = np.array(x0, dtype=float)
    n = x.size
    max_nfev = options.max_nfev or 100 * n
    f = np.asarray(fun(x), dtype=float)
    nfev, njev = 1, 0
    m = f.size
    fixed_scale = options.x_scale is not None and not (isinstance(options.x_scale, str)
                                                        and options.x_scale == "jac")
    D = 1.0 / np.broadcast_to(np.asarray(options.x_scale, float), (n,)) if fixed_scale \
        else None
    delta = None
    lam = 0.0
    status = None
    niter = 0
    J = np.asarray(jac(x, f), dtype=float)
    njev += 1
    fnorm = float(np.linalg.norm(f))
    while status is None:
        niter += 1
        if D is None or not fixed_scale:
            cn = np.linalg.norm(J, axis=0)
            cn = np.where(cn > 0, cn, 1.0)
            D = cn if (D is None) else np.maximum(D, cn)
        if delta is None:
            dx = float(np.linalg.norm(D * x))
            delta = 100.0 * dx if dx > 0 else 100.0
        # gtol: cosine between f and the columns of J
        cn = np.linalg.norm(J, axis=0)
        if fnorm == 0:
            status = 1
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.abs(J.T @ f) / (cn * fnorm)
        gnorm = float(np.max(np.where(cn > 0, cos, 0.0))) if n else 0.0
        if gnorm <= options.gtol:
            status = 1
            break
        u, s, vt = np.linalg.svd(J / D, full_matrices=False)
        while True:  # inner loop: until a step is taken or a test stops the solve
            q, lam = _scaled_step(u, s, vt, f, delta, lam)
            p = q / D
            pnorm = float(np.linalg.norm(q))
            if niter == 1 and 0 < pnorm < delta:
                delta = pnorm  # MINPACK: the first radius is at most the first step
            xn = x + p
            fn = np.asarray(fun(xn), dtype=float)
            nfev += 1
            fnn = float(np.linalg.norm(fn)) if np.all(np.isfinite(fn)) else np.inf
            ared = 1.0 - (fnn / fnorm) ** 2 if np.isfinite(fnn) else -np.inf
            jp = float(np.linalg.norm(J @ p))
            t1 = jp / fnorm
            t2 = np.sqrt(lam) * pnorm / fnorm
            pred = t1 * t1 + 2.0 * t2 * t2
            ratio = ared / pred if pred > 0 else 0.0
            if ratio <= 0.25:
                if np.isfinite(fnn) and ared < 0:
                    dirder = -(t1 * t1 + t2 * t2)
                    temp = 0.5 * dirder / (dirder + 0.5 * ared)
                else:
                    temp = 0.5
                temp = min(max(temp, 0.1), 0.5) if fnn < 10 * fnorm else 0.1
                delta = temp * min(delta, pnorm / 0.1)
                lam = lam / temp
            elif lam == 0.0 or ratio >= 0.75:
                delta = pnorm / 0.5
                lam *= 0.5
            accepted = ratio >= 1e-4
            if accepted:
                x, f, fnorm = xn, fn, fnn
            xnorm = float(np.linalg.norm(D * x))
            ftol_ok = abs(ared) <= options.ftol and pred <= options.ftol and 0.5 * ratio <= 1
            xtol_ok = delta <= options.xtol * xnorm
            if ftol_ok or xtol_ok:
                status = 4 if (ftol_ok and xtol_ok) else (2 if ftol_ok else 3)
                break
            if nfev >= max_nfev:
                status = 0
                break
            if accepted:
                break
        if status is not None:
            break
        J = np.asarray(jac(x, f), dtype=float)
        njev += 1
    if status != 0 and options.polish:
        x, f, J, k = _polish(fun, x, f, J, max_nfev - nfev)
        nfev += k
    return LMResult(x=x, fun=f, jac=J, nfev=nfev, njev=njev, status=int(status),
                    message=_MESSAGES[int(status)], niter=niter)


def _central_jacobian(fun: Callable[[NDArray], NDArray], x: NDArray, m: int
                      ) -> tuple[NDArray, int]:
    h = np.finfo(float).eps ** (1.0 / 3.0) * np.where(x != 0, np.abs(x), 1.0)
    J = np.empty((m, x.size))
    for j in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[j] += h[j]
        xm[j] -= h[j]
        J[:, j] = (np.asarray(fun(xp), float) - np.asarray(fun(xm), float)) / (xp[j] - xm[j])
    return J, 2 * x.size


def _polish(fun: Callable[[NDArray], NDArray], x: NDArray, f: NDArray, J: NDArray,
            budget: int) -> tuple[NDArray, NDArray, NDArray, int]:
    """Gauss-Newton steps with central-difference Jacobians after convergence.

    A forward-difference Jacobian has relative errors ~1e-8, and the solution of
    Jᵀf = 0 inherits them in proportion to the residuals. Central differences (error
    ~ε^(2/3) ≈ 4e-11) for the last steps recover the digits; a step is kept only if it
    does not increase ‖f‖, and the polish stops when the step is below 1e-12 relative
    (the accuracy of the central-difference Jacobian: smaller steps are noise).
    """
    nfev = 0
    for _ in range(10):
        if nfev + 2 * x.size + 1 > budget:
            break
        Jc, k = _central_jacobian(fun, x, f.size)
        nfev += k
        if not np.all(np.isfinite(Jc)):
            break
        p = np.linalg.lstsq(Jc, -f, rcond=None)[0]
        xn = x + p
        fn = np.asarray(fun(xn), float)
        nfev += 1
        if not (np.all(np.isfinite(fn)) and fn @ fn <= f @ f):
            break
        x, f, J = xn, fn, Jc
        if np.linalg.norm(p) <= 1e-12 * max(np.linalg.norm(x), 1e-300):
            break
    return x, f, J, nfev
