"""Trust Region Reflective (TRF) method for bounded nonlinear least squares.

Problem: min F(x) = ½ Σ ρ(f_i(x)²) s.t. lb <= x <= ub, with the robust loss ρ folded into
scaled residuals and Jacobian (see :mod:`.lsq_common`), so that the model is always
m(p) = ½‖J p + f‖² with gradient g = Jᵀf.

Variables are scaled twice.  First by ``x_scale`` (x = S x̂, S = diag(scale)); second by
the Coleman–Li vector v (Coleman & Li 1996): the necessary conditions for a minimum with
bounds are v ⊙ g = 0, and Newton's method on this system in the variables
x̂ = D h, D = diag(v^½ ⊙ scale), leads to the quadratic model in h

    q(h) = ½ hᵀ (Ĵᵀ Ĵ + C) h + ĝᵀ h,   Ĵ = J D,  ĝ = D g,  C = diag(g ⊙ dv ⊙ scale) >= 0,

a trust-region problem min q(h) s.t. ‖h‖ <= Δ, solved exactly as a least-squares problem
with the augmented matrix [Ĵ; C^½] and right-hand side [f; 0] from one SVD per iteration
(:func:`.lsq_common.solve_trust_region`).  Without bounds v = 1, C = 0 and this is the
classical Moré (1978) trust-region Levenberg–Marquardt method in the variables x / scale.

Step selection with bounds (Branch, Coleman & Li 1999).  If x + D h is strictly feasible
it is taken.  Otherwise three candidates are compared by the value of q:
(1) the step h cut at the first bound it meets and stepped back by θ = max(0.995, 1 - ‖v⊙g‖∞);
(2) its reflection: from the boundary point continue along h with the components that hit
a bound negated, to the minimum of q along that ray inside the trust region and bounds;
(3) the constrained Cauchy step: the minimum of q along -ĝ inside trust region and bounds.
Iterates stay strictly feasible.

The radius follows the ratio r of actual to predicted reduction: Δ ← ¼‖h‖ if r < ¼,
Δ ← 2Δ if r > ¾ and the step reached the trust-region boundary.  A step is accepted when
it reduces F.  Termination (scipy's statuses): 1 if ‖v ⊙ g‖∞ < gtol; 2 if the accepted
reduction dF < ftol·F with r > ¼; 3 if ‖dx‖ < xtol (xtol + ‖x‖); 4 for 2 and 3 together;
0 when ``max_nfev`` evaluations of f are spent.

Careful stopping and accuracy (beyond scipy; NIST StRD is the yardstick):

- a tolerance test met by an accepted step is *confirmed* at the new point by the
  Gauss–Newton model: the full step p_GN must predict a reduction <= max(ftol², 16 eps)·F
  (the parameters would move by ~ftol of their statistical precision) or
  ‖p_GN‖ <= xtol (xtol + ‖x‖); otherwise the iteration goes on.  This matters for
  linearly converging (large-residual) problems, where a small last reduction does not
  mean a small distance to the minimum.  The gradient test is confirmed the same way.
- when the Jacobian is a forward difference, convergence is confirmed once more with
  central differences (``options.jac_refine``): the stationary point of a
  forward-difference model is off by ~sqrt(eps), that of a central one by ~eps^(2/3).
- rounding noise: a step whose predicted and actual reductions are both below the
  rounding level of F is accepted and ends the solve (status 2); the level is 16 eps F or,
  larger, twice the disagreement between model and F seen on steps so small that the
  quadratic model is exact.
- large residuals: when an unconstrained Gauss–Newton step's ratio r is far from 1 the
  curvature left out of JᵀJ matters; the minimum t* of the parabola through F(x),
  gᵀs and F(x + s) is tried (one extra evaluation) and kept if better.
- canyons: when trust-region-limited steps predict reductions < 1e-4 F, the step gets the
  geodesic acceleration ½a, (ĴᵀĴ + αI) a = -Ĵᵀ r_vv with r_vv the second directional
  derivative of the residuals by one extra evaluation (Transtrum & Sethna 2012); like
  the evaluations of a finite-difference Jacobian it is not counted in ``nfev``.

References: M. A. Branch, T. F. Coleman, Y. Li, SIAM J. Sci. Comput. 21 (1999) 1–23;
T. F. Coleman, Y. Li, SIAM J. Optim. 6 (1996) 418–445; J. J. Moré, "The Levenberg–
Marquardt algorithm: implementation and theory", Lecture Notes in Math. 630 (1978);
M. K. Transtrum, J. P. Sethna, "Improvements to the Levenberg-Marquardt algorithm for
nonlinear least-squares minimization", arXiv:1201.5885 (2012).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .._core.linalg import thin_svd
from .lsq_common import (
    NONFINITE,
    LSQOptions,
    LSQResult,
    active_mask,
    check_termination,
    cl_scaling,
    cost_of,
    gauss_newton_confirms,
    initial_radius,
    intersect_sphere,
    minimize_quadratic_1d,
    nonfinite_message,
    nonfinite_stall,
    print_header,
    print_iteration,
    scale_for_loss,
    solve_trust_region,
    step_to_bound,
    strictly_feasible,
    update_radius,
)

__all__ = ["trf"]


def _q(Jh: NDArray, gh: NDArray, diag: NDArray | None, h: NDArray) -> float:
    """Model value q(h) = ½‖Ĵh‖² + ½ hᵀCh + ĝᵀh."""
    Jp = Jh @ h
    v = 0.5 * float(Jp @ Jp) + float(gh @ h)
    if diag is not None:
        v += 0.5 * float(h @ (diag * h))
    return v


def _ray(Jh: NDArray, gh: NDArray, diag: NDArray, start: NDArray, s: NDArray
         ) -> tuple[float, float]:
    """Coefficients (a, b) of q(start + t s) - q(start) = a t² + b t."""
    Js = Jh @ s
    a = 0.5 * (float(Js @ Js) + float(s @ (diag * s)))
    b = float(Js @ (Jh @ start)) + float(s @ (diag * start)) + float(gh @ s)
    return a, b


def _select_step(x: NDArray, Jh: NDArray, diag: NDArray, gh: NDArray, ph: NDArray, d: NDArray,
                 delta: float, lb: NDArray, ub: NDArray, theta: float
                 ) -> tuple[NDArray, NDArray, float]:
    """The best of truncated, reflected and Cauchy steps; returns (step, step_h, predicted)."""
    p = d * ph
    t_b, hits = step_to_bound(x, p, lb, ub)
    if t_b > 1:  # strictly inside
        return p, ph, -_q(Jh, gh, diag, ph)

    # (2) reflection at the first bound met
    best_h = ph * (theta * t_b)  # (1) truncated and stepped back
    best_q = _q(Jh, gh, diag, best_h)
    hb = ph * t_b
    rh = ph.copy()
    rh[hits != 0] *= -1
    r = d * rh
    _, to_tr = intersect_sphere(hb, rh, delta)
    to_bd, _ = step_to_bound(x + d * hb, r, lb, ub)
    hi = min(to_tr, theta * to_bd) if to_bd <= to_tr else to_tr
    lo = (1 - theta) * t_b
    if lo < hi:
        a, b = _ray(Jh, gh, diag, hb, rh)
        t, val = minimize_quadratic_1d(a, b, lo, hi)
        qr = _q(Jh, gh, diag, hb) + val
        if qr < best_q:
            best_q, best_h = qr, hb + t * rh

    # (3) Cauchy step along -ĝ
    ag = -gh
    ng = math.sqrt(float(ag @ ag))
    if ng > 0:
        to_bd, _ = step_to_bound(x, d * ag, lb, ub)
        hi = min(delta / ng, theta * to_bd)
        a, b = _ray(Jh, gh, diag, np.zeros_like(ag), ag)
        t, val = minimize_quadratic_1d(a, b, 0.0, hi)
        if val < best_q:
            best_q, best_h = val, t * ag
    return d * best_h, best_h, -best_q


def _cost(f: NDArray, o: LSQOptions) -> float:
    return 0.5 * float(f @ f) if o.loss is None else cost_of(f, o.loss(f))


def _model_converged(uf: NDArray, s: NDArray, V: NDArray, d: NDArray, cost: float,
                     x_norm: float, cost0: float, noise: float, o: LSQOptions) -> bool:
    """:func:`.lsq_common.gauss_newton_confirms` for the step p = -D V (uf / s)."""
    keep = s > s[0] * np.finfo(float).eps * max(V.shape) if s.size else s > 0
    pred = 0.5 * float(uf[keep] @ uf[keep])
    p = d * (V[:, keep] @ (uf[keep] / s[keep]))
    return gauss_newton_confirms(pred, float(np.linalg.norm(p)), cost, x_norm, cost0, noise,
                                 o.ftol, o.xtol)


def _geodesic(fun: Callable, x: NDArray, f: NDArray, J: NDArray, U: NDArray, s: NDArray,
              V: NDArray, d: NDArray, ph: NDArray, alpha: float) -> NDArray | None:
    """Geodesic acceleration a (scaled variables) for the step ph, or None if it is not
    small against the step (2‖a‖ > 0.75‖ph‖) or not finite.

    r_vv = (2/h) ((f(x + h p) - f(x))/h - J p), h = 0.1, approximates the second
    directional derivative of the residuals along p = d·ph; a solves
    (ĴᵀĴ + α I) a = -Ĵᵀ r_vv with the same SVD as the step.
    """
    h = 0.1
    p = d * ph
    fh = fun(x + h * p)
    if not np.all(np.isfinite(fh)):
        return None
    r_vv = (2 / h) * ((fh - f) / h - J @ p)
    w = s * (U.T @ r_vv)
    acc = -V @ (w / (s ** 2 + alpha))
    if not (np.all(np.isfinite(acc)) and 2 * np.linalg.norm(acc) <= 0.75 * np.linalg.norm(ph)):
        return None
    return acc


def _parabola_step(step: NDArray, g: NDArray, actual: float) -> float | None:
    """Minimiser t* of the parabola through F(x), F'(x; step) = g·step and F(x + step),
    capped to [0.5, 4]; None when it is within 20 % of the step taken."""
    gp = float(g @ step)
    c = 2 * (-actual - gp)  # curvature stepᵀ(JᵀJ + S) step along the step
    t = -gp / c if c > 0 else 4.0
    t = min(max(t, 0.5), 4.0)
    return t if abs(t - 1) > 0.2 else None


def _trial(fun: Callable, x: NDArray, step: NDArray, t: float, lb: NDArray, ub: NDArray,
           bounded: bool) -> tuple[NDArray, NDArray]:
    """x + t·step kept strictly feasible, and the residuals there."""
    if bounded and t > 1:
        tb, _ = step_to_bound(x, step, lb, ub)
        t = min(t, 1 + 0.995 * (tb - 1))
    x_t = x + t * step
    if bounded:
        x_t = strictly_feasible(x_t, lb, ub, rstep=0)
    return x_t, fun(x_t)


def trf(fun: Callable[[NDArray], NDArray], jac: Callable[[NDArray, NDArray], NDArray],
        x0: NDArray, f0: NDArray, J0: NDArray, lb: NDArray, ub: NDArray,
        options: LSQOptions) -> LSQResult:
    """Minimise ½ Σ ρ(f_i²) with the Trust Region Reflective method.

    Parameters
    ----------
    fun : callable
        x -> residuals (m,); each call counts towards ``nfev``.
    jac : callable
        (x, f) -> Jacobian (m, n) of the raw residuals.
    x0, f0, J0 : starting point (strictly feasible), its residuals and Jacobian.
    lb, ub : bounds, arrays of shape (n,) (±inf where absent).
    options : :class:`.lsq_common.LSQOptions`.

    Returns
    -------
    :class:`.lsq_common.LSQResult`
    """
    o = options
    bounded = bool(np.any(np.isfinite(lb)) or np.any(np.isfinite(ub)))
    x, f, J = x0.copy(), f0, J0
    nfev, njev = 1, 1
    m, n = J.shape

    def scaled(f: NDArray, J: NDArray) -> tuple[float, NDArray, NDArray]:
        if o.loss is None:
            return 0.5 * float(f @ f), f, J
        rho = o.loss(f)
        Js, fs = scale_for_loss(J, f, rho)
        return cost_of(f, rho), fs, Js

    cost, fs, Js = scaled(f, J)
    cost0 = cost
    g = Js.T @ fs
    jac_scale = isinstance(o.x_scale, str)
    if jac_scale:
        scale_inv = np.sqrt(np.einsum("ij,ij->j", Js, Js))
        scale_inv[scale_inv == 0] = 1.0
        scale = 1 / scale_inv
    else:
        scale = np.broadcast_to(np.asarray(o.x_scale, dtype=float), (n,)).copy()
        scale_inv = 1 / scale
    delta = initial_radius(x0, g, lb, ub, scale_inv, bounded)

    alpha = 0.0
    status: int | None = None
    pending: int | None = None
    refined = refined_now = False
    crawling = False
    noise_seen = 0.0
    noise_stop = False  # the last step was below the rounding of F: stop without confirming
    reduction: float | None = None
    step_norm: float | None = None
    it = 0
    if o.verbose == 2:
        print_header()
    eps = np.finfo(float).eps
    message = ""
    while True:
        if not np.isfinite(g).all():  # a non-finite Jacobian at an accepted point
            status, message = NONFINITE, nonfinite_message(x, g)
            break
        if bounded:
            v, dv = cl_scaling(x, g, lb, ub)
            act = dv != 0
            v[act] *= scale_inv[act]
            g_norm = float(np.abs(g * v).max()) if n else 0.0
        else:
            g_norm = float(np.abs(g).max()) if n else 0.0
        if o.verbose == 2 and not refined_now:
            print_iteration(it, nfev, cost, reduction, step_norm, g_norm)
        refined_now = False
        if status is None and nfev >= o.max_nfev:
            status = pending
        if status is not None or nfev >= o.max_nfev:
            break

        if bounded:
            d = np.sqrt(v) * scale
            diag = g * dv * scale
            Jh = Js * d
            gh = d * g
            U, s, Vt = thin_svd(np.vstack((Jh, np.diag(np.sqrt(diag)))))
            uf = U[:m].T @ fs
            theta = max(0.995, 1 - g_norm)
        else:
            d = scale
            Jh = Js * d
            gh = d * g
            U, s, Vt = thin_svd(Jh)
            uf = U.T @ fs
        V = Vt.T
        x_norm = math.sqrt(float(x @ x))
        if pending is not None or g_norm < o.gtol:
            if noise_stop or not o.confirm or _model_converged(uf, s, V, d, cost, x_norm,
                                                               cost0, noise_seen, o):
                if o.jac_refine is None or refined:
                    status = pending if pending is not None else 1
                    break
                # confirm with the more accurate Jacobian (central differences): the
                # stationary point of a forward-difference model is off by ~sqrt(eps)
                refined, refined_now, jac = True, True, o.jac_refine
                J = jac(x, f)
                njev += 1
                cost, fs, Js = scaled(f, J)
                g = Js.T @ fs
                pending, noise_stop = None, False
                # the trust region may have collapsed on rounding noise: let the next
                # step be the full Gauss-Newton step of the accurate model
                delta, alpha = max(delta, float(np.linalg.norm(uf[s > 0] / s[s > 0]))), 0.0
                continue
            pending = None

        actual = -1.0
        noise = max(16 * eps * cost, noise_seen)
        accept = False
        n_bad, all_bad = 0, True  # non-finite trials in a row; all since the last accept
        while not accept and nfev < o.max_nfev:
            ph, alpha, _ = solve_trust_region(uf, s, V, delta, alpha)
            if bounded:
                step, step_h, predicted = _select_step(x, Jh, diag, gh, ph, d, delta, lb, ub, theta)
                x_new = strictly_feasible(x + step, lb, ub, rstep=0)
            else:
                step, step_h = d * ph, ph
                predicted = -_q(Jh, gh, None, ph)
                if crawling and alpha > 0 and o.loss is None:
                    # crawling along a curved canyon: add the geodesic acceleration
                    # (Transtrum & Sethna 2012), a second-order correction from the
                    # directional second derivative of the residuals along the step
                    # (its one evaluation is a finite-difference derivative, counted like
                    # the Jacobian's: not in nfev)
                    acc = _geodesic(fun, x, f, Js, U, s, V, d, ph, alpha)
                    if acc is not None:
                        # the radius follows the first-order part: ratio against its model
                        step = d * (ph + 0.5 * acc)
                x_new = x + step
            f_new = fun(x_new)
            nfev += 1
            step_h_norm = math.sqrt(float(step_h @ step_h))
            if not np.isfinite(f_new).all():
                delta = 0.25 * step_h_norm
                n_bad += 1
                if nonfinite_stall(float(np.linalg.norm(x_new - x)), x_norm, n_bad):
                    # the step has vanished: xtol, unless no trial since the last
                    # accepted step was finite (then x is no minimum)
                    status = NONFINITE if all_bad else 3
                    break
                continue
            n_bad, all_bad = 0, False
            cost_new = _cost(f_new, o)
            actual = cost - cost_new
            delta_new, ratio = update_radius(delta, actual, predicted, step_h_norm,
                                             step_h_norm > 0.95 * delta)
            if (actual > 1e3 * noise and not 0.75 <= ratio <= 1.2 and alpha == 0
                    and nfev < o.max_nfev):
                # an unconstrained Gauss-Newton step whose actual and predicted reductions
                # disagree: the curvature neglected by JᵀJ matters along the step (a
                # large-residual problem); try the minimum of the parabola through F(x),
                # g·step and F(x + step)
                t = _parabola_step(step, g, actual)
                if t is not None:
                    x_t, f_t = _trial(fun, x, step, t, lb, ub, bounded)
                    nfev += 1
                    cost_t = _cost(f_t, o) if np.all(np.isfinite(f_t)) else np.inf
                    if cost - cost_t > actual:
                        x_new, f_new, cost_new = x_t, f_t, cost_t
                        actual = cost - cost_t
                        delta_new = max(delta_new, t * step_h_norm)
            dx = x_new - x
            step_norm = math.sqrt(float(dx @ dx))
            accept = actual > 0
            status = check_termination(actual, cost, step_norm, x_norm, ratio, o.ftol, o.xtol)
            if abs(predicted) < 1e-10 * cost and abs(actual - predicted) > abs(predicted):
                # so small a step that the model error (at most ~ the prediction, even for
                # large residuals) cannot explain the disagreement: rounding noise of F
                noise_seen = max(noise_seen, 2 * abs(actual - predicted))
                noise = max(noise, noise_seen)
            if not accept and predicted <= noise and actual >= -noise:
                # the change is below the rounding of F: trust the model, take the step
                # and stop, as no further progress can be measured
                accept, status = True, 2 if o.ftol > 0 else 3
                noise_stop = True
                if actual < 0:  # a step that raises F is not taken, even within the noise
                    x_new, f_new, cost_new, actual = x, f, cost, 0.0
            if delta_new > 0:
                alpha *= delta / delta_new
            delta = delta_new
            if status is not None:
                break

        if not accept and all_bad and n_bad and status is None:
            status = NONFINITE  # the budget is spent on non-finite trials only
        # tiny model reductions from steps cut by the trust region: a canyon
        crawling = bool(accept and alpha > 0 and 0 < predicted < 1e-4 * cost)
        if accept:
            # a tolerance test met by an accepted step is confirmed at the new point
            pending, status = status, None
            x, f, cost = x_new, f_new, cost_new
            J = jac(x, f)
            njev += 1
            cost, fs, Js = scaled(f, J)
            g = Js.T @ fs
            if jac_scale:
                scale_inv = np.maximum(scale_inv, np.sqrt(np.einsum("ij,ij->j", Js, Js)))
                scale = 1 / scale_inv
            reduction = actual
        else:
            step_norm = 0.0
            reduction = 0.0
        it += 1
        if o.callback is not None and o.callback(
                {"x": x, "fun": f, "cost": cost, "nit": it, "nfev": nfev}):
            status = -2
            break
    if status is None:
        status = 0
    if status == NONFINITE and not message:
        message = nonfinite_message(x)
    if bounded:  # first-order optimality at the final point (the callback may stop early)
        v, dv = cl_scaling(x, g, lb, ub)
        v[dv != 0] *= scale_inv[dv != 0]
        g_norm = float(np.max(np.abs(g * v)))
    else:
        g_norm = float(np.max(np.abs(g)))
    return LSQResult(x=x, cost=cost, fun=f, jac=Js, grad=g, optimality=g_norm,
                     active_mask=active_mask(x, lb, ub, rtol=o.xtol), nfev=nfev, njev=njev,
                     status=status, niter=it, message=message)
