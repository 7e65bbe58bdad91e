"""Dogleg with a rectangular trust region ("dogbox") for bounded nonlinear least squares.

Problem: min F(x) = ½ Σ ρ(f_i(x)²) s.t. lb <= x <= ub, with the loss folded into scaled
residuals f and Jacobian J (:mod:`.lsq_common`), model m(h) = ½‖J h + f‖², g = Jᵀf.

In the scaled variables h = (x' - x) / scale the trust region is a box ‖h‖∞ <= Δ; its
intersection with the bounds is again a box [t_l, t_u] (Voglis & Lagaris 2004), so the
feasible region of each step is rectangular and the dogleg path can be clipped to it.

Active set.  A variable at a bound whose anti-gradient points out of the box
(x_j = l_j with g_j > 0, or x_j = u_j with g_j < 0) is held fixed for the iteration; the
step is computed in the remaining free variables:

- Gauss–Newton point h_N = argmin ‖J_F h + f‖ (minimum-norm least squares);
- Cauchy point h_C = -(‖ĝ‖² / ‖J_F ĝ‖²) ĝ, the minimum of the model along -ĝ;
- if h_N is in the box take it; else if h_C is outside, follow -ĝ to the box boundary;
  else follow the dogleg segment from h_C towards h_N to the box boundary.

A step that reduces F is accepted; variables that land on a bound are set exactly to it.
The radius follows the ratio r of actual to predicted reduction: Δ ← ¼‖h‖∞ if r < ¼,
Δ ← 2Δ if r > ¾ and the step touched the trust box.  Termination (scipy's statuses):
1 if ‖g_F‖∞ < gtol over the free variables, 2 if dF < ftol·F with r > ¼,
3 if ‖dx‖ < xtol (xtol + ‖x‖), 4 for both 2 and 3, 0 at ``max_nfev`` calls of f.
As in :mod:`.trf`, a test met is confirmed by the Gauss–Newton step at the new point
(:func:`.lsq_common.gauss_newton_confirms`), a forward-difference Jacobian is replaced by
a central one for a last round, and a step below the rounding noise of F ends the solve.
The box region converges only linearly where the Gauss–Newton step keeps leaving it
(halving and doubling Δ in turn, as on scipy's 100-variable boundary-value problem), so
confirming may at most double the work: once as many evaluations have been spent since a
test was first met as before it, the test stands.

Reference: C. Voglis, I. E. Lagaris, "A rectangular trust region dogleg approach for
unconstrained and bound constrained nonlinear optimization", WSEAS Int. Conf. on
Applied Mathematics (2004).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .lsq_common import (
    NONFINITE,
    LSQOptions,
    LSQResult,
    check_termination,
    cost_of,
    gauss_newton_confirms,
    nonfinite_message,
    nonfinite_stall,
    print_header,
    print_iteration,
    scale_for_loss,
    step_to_bound,
    update_radius,
)

__all__ = ["dogbox"]

_EPS = np.finfo(float).eps


def _dogleg(Jf: NDArray, gh: NDArray, hn: NDArray, tl: NDArray, tu: NDArray) -> NDArray:
    """The dogleg step in the box [tl, tu] given the Gauss–Newton point ``hn``."""
    if np.all((hn >= tl) & (hn <= tu)):
        return hn
    Jg = Jf @ gh
    a = float(Jg @ Jg)
    gg = float(gh @ gh)
    hc = -(gg / a) * gh if a > 0 else None
    if hc is None or not np.all((hc >= tl) & (hc <= tu)):
        t, _ = step_to_bound(np.zeros_like(gh), -gh, tl, tu)
        return -t * gh
    t, _ = step_to_bound(hc, hn - hc, tl, tu)
    return hc + min(t, 1.0) * (hn - hc)


def dogbox(fun: Callable[[NDArray], NDArray], jac: Callable[[NDArray, NDArray], NDArray],
           x0: NDArray, f0: NDArray, J0: NDArray, lb: NDArray, ub: NDArray,
           options: LSQOptions) -> LSQResult:
    """Minimise ½ Σ ρ(f_i²) with the rectangular trust-region dogleg method.

    Parameters and result as :func:`thetahat.solvers.trf.trf`.
    """
    o = options
    x, f, J = x0.copy(), f0, J0
    nfev, njev = 1, 1
    n = x.size

    def scaled(f: NDArray, J: NDArray) -> tuple[float, NDArray, NDArray]:
        if o.loss is None:
            return 0.5 * float(f @ f), f, J
        rho = o.loss(f)
        Js, fs = scale_for_loss(J, f, rho)
        return cost_of(f, rho), fs, Js

    cost, fs, Js = scaled(f, J)
    g = Js.T @ fs
    jac_scale = isinstance(o.x_scale, str)
    if jac_scale:
        scale_inv = np.sqrt(np.einsum("ij,ij->j", Js, Js))
        scale_inv[scale_inv == 0] = 1.0
        scale = 1 / scale_inv
    else:
        scale = np.broadcast_to(np.asarray(o.x_scale, dtype=float), (n,)).copy()
        scale_inv = 1 / scale
    delta = float(np.max(np.abs(x0 * scale_inv)))
    if delta == 0:
        delta = 1.0

    on_bound = np.zeros(n, dtype=int)
    on_bound[x <= lb] = -1
    on_bound[x >= ub] = 1
    status: int | None = None
    reduction: float | None = None
    step_norm: float | None = None
    it = 0
    if o.verbose == 2:
        print_header()
    pending: int | None = None  # a tolerance test met, to be confirmed at the new point
    first_met: int | None = None  # nfev when a tolerance test was first met
    refined = noise_stop = False
    noise_seen = 0.0
    cost0 = cost
    message = ""
    while True:
        free = on_bound * g >= 0  # at a bound with -g pointing outward: held fixed
        g_norm = float(np.max(np.abs(g[free]))) if np.any(free) else 0.0
        if not np.all(np.isfinite(g)):  # a non-finite Jacobian at an accepted point
            status, message = NONFINITE, nonfinite_message(x, g)
            break
        if o.verbose == 2:
            print_iteration(it, nfev, cost, reduction, step_norm, g_norm)
        if status is None and nfev >= o.max_nfev:
            status = pending
        if status is not None or nfev >= o.max_nfev:
            break

        sf = scale[free]
        xf, lf, uf = x[free], lb[free], ub[free]
        Jf = Js[:, free] * sf
        gh = g[free] * sf
        hn = np.linalg.lstsq(Jf, -fs, rcond=None)[0]
        x_norm = float(np.linalg.norm(x))
        if pending is not None or g_norm < o.gtol:
            Jn = Jf @ hn
            pred = -(0.5 * float(Jn @ Jn) + float(gh @ hn))
            if first_met is None:
                first_met = nfev
            # confirming may at most double the work (and take 10 calls when the test
            # is met at the start: a stop at p0 needs a few steps to be disproved)
            if noise_stop or g_norm == 0 or not o.confirm or \
                    nfev >= max(2 * first_met, first_met + 10) or \
                    gauss_newton_confirms(pred, float(np.linalg.norm(hn * sf)), cost, x_norm,
                                          cost0, noise_seen, o.ftol, o.xtol):
                if o.jac_refine is None or refined:
                    status = pending if pending is not None else 1
                    break
                # confirm once more with the accurate (central-difference) Jacobian
                refined, jac = True, o.jac_refine
                J = jac(x, f)
                njev += 1
                cost, fs, Js = scaled(f, J)
                g = Js.T @ fs
                pending, noise_stop = None, False
                continue
            pending = None

        actual = -1.0
        accept = False
        noise = max(16 * _EPS * cost, noise_seen)
        n_bad, all_bad = 0, True  # non-finite trials in a row; all since the last accept
        while not accept and nfev < o.max_nfev:
            tl = np.maximum((lf - xf) / sf, -delta)
            tu = np.minimum((uf - xf) / sf, delta)
            h = _dogleg(Jf, gh, hn, tl, tu)
            Jh = Jf @ h
            predicted = -(0.5 * float(Jh @ Jh) + float(gh @ h))
            x_new = x.copy()
            dx = h * sf
            xn = xf + dx
            # land exactly on bounds the step reaches (up to the rounding of x + dx)
            tol = 4 * _EPS * np.maximum(np.abs(xf), np.abs(dx))
            xn = np.where(xn - lf <= tol, lf, np.where(uf - xn <= tol, uf, xn))
            x_new[free] = np.clip(xn, lf, uf)
            f_new = fun(x_new)
            nfev += 1
            h_norm = float(np.max(np.abs(h))) if h.size else 0.0
            if not np.all(np.isfinite(f_new)):
                delta = 0.25 * h_norm
                n_bad += 1
                if nonfinite_stall(float(np.linalg.norm(x_new - x)), x_norm, n_bad):
                    status = NONFINITE if all_bad else 3  # the step has vanished
                    break
                continue
            n_bad, all_bad = 0, False
            cost_new = (0.5 * float(f_new @ f_new) if o.loss is None
                        else cost_of(f_new, o.loss(f_new)))
            actual = cost - cost_new
            tr_hit = bool(np.any(np.abs(h) >= delta * (1 - 1e-12)))
            delta_new, ratio = update_radius(delta, actual, predicted, h_norm, tr_hit)
            step_norm = float(np.linalg.norm(x_new - x))
            accept = actual > 0
            status = check_termination(actual, cost, step_norm, x_norm, ratio, o.ftol, o.xtol)
            if abs(predicted) < 1e-10 * cost and abs(actual - predicted) > abs(predicted):
                noise_seen = max(noise_seen, 2 * abs(actual - predicted))  # rounding of F
                noise = max(noise, noise_seen)
            if not accept and predicted <= noise and actual >= -noise:
                # below the rounding of F: take the step and stop
                accept, status, noise_stop = True, 2 if o.ftol > 0 else 3, True
                if actual < 0:  # a step that raises F is not taken, even within the noise
                    x_new, f_new, cost_new, actual = x, f, cost, 0.0
            delta = delta_new
            if status is not None:
                break

        if not accept and all_bad and n_bad and status is None:
            status = NONFINITE  # the budget is spent on non-finite trials only
        if accept:
            pending, status = status, None
            x, f, cost = x_new, f_new, cost_new
            on_bound[:] = 0
            on_bound[x <= lb] = -1
            on_bound[x >= ub] = 1
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
    return LSQResult(x=x, cost=cost, fun=f, jac=Js, grad=g, optimality=g_norm,
                     active_mask=on_bound.copy(), nfev=nfev, njev=njev, status=status, niter=it,
                     message=message)
