"""Trust-region least squares with an iterative (LSMR) subproblem: sparse and matrix-free J.

Same problem, scaling and step rules as :mod:`.trf` and :mod:`.dogbox`; the difference is
how the trust-region subproblem is solved when J is a sparse matrix or a LinearOperator
(only products J v, Jᵀ u are used, so no dense (m, n) array is formed).

TRF (``trf_lsmr``).  In the Coleman–Li scaled variables h the model is
q(h) = ½‖Ĵ h‖² + ½ hᵀ C h + ĝᵀ h, Ĵ = J D, C = diag(g ⊙ dv ⊙ scale).  An approximate
Gauss–Newton step p solves the least-squares problem

    min_p ‖ [Ĵ; C^½] p + [f; 0] ‖² + λ² ‖p‖²

by LSMR (Fong & Saunders 2011), with a regularisation λ² = -q(h_C) / Δ² (the model
decrease at the Cauchy point over Δ²) when ``tr_options['regularize']`` (default True):
it bounds the step of a rank-deficient J to about Δ and vanishes as ‖ĝ‖² near a minimum,
so the fast local convergence of Gauss–Newton is kept.  (An earlier λ² = ‖ĝ‖ / (100 Δ),
first order in ‖ĝ‖, bent the steps of a well-posed banded problem enough to make the
radius halve and double in turn: 27 evaluations where this rule takes 14, scipy 10.)
The step is then sought in the two-dimensional
subspace span{ĝ, p} (Branch, Coleman & Li 1999): with an orthonormal basis S (n, k <= 2),
B = (ĴS)ᵀ(ĴS) + Sᵀ C S and g_S = Sᵀ ĝ, the k-dimensional problem
min ½ yᵀ B y + g_Sᵀ y, ‖y‖ <= Δ is solved exactly from the eigen-decomposition of B
(Newton on 1/‖y(λ)‖ - 1/Δ, y(λ) = -(B + λI)⁻¹ g_S), and h = S y.  Bounds are then handled
by the same reflective step selection as in :mod:`.trf`.

Dogbox (``dogbox_lsmr``).  Variables at a bound with the anti-gradient pointing out are
fixed (their columns zeroed); the Gauss–Newton point is the LSMR solution of
min ‖Ĵ_F h + f‖ and the dogleg path in the box trust region is as in :mod:`.dogbox`.

Stopping (as scipy documents): 1 if the scaled gradient ‖v ⊙ g‖∞ < gtol, 2 if
dF < ftol·F with ratio > ¼, 3 if ‖dx‖ < xtol (xtol + ‖x‖), 4 for 2 and 3, 0 at
``max_nfev`` evaluations of f (Jacobian evaluations not counted).

References: D. C.-L. Fong, M. A. Saunders, "LSMR: an iterative algorithm for sparse
least-squares problems", SIAM J. Sci. Comput. 33 (2011); M. A. Branch, T. F. Coleman,
Y. Li, SIAM J. Sci. Comput. 21 (1999) 1–23.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator, aslinearoperator, lsmr

from .dogbox import _dogleg
from .lsq_common import (
    LSQOptions,
    LSQResult,
    active_mask,
    check_termination,
    cl_scaling,
    cost_of,
    initial_radius,
    print_header,
    print_iteration,
    scale_for_loss,
    strictly_feasible,
    update_radius,
)
from .lsq_sparse import column_norms, left_scale, right_scale
from .trf import _q, _select_step

__all__ = ["dogbox_lsmr", "solve_subspace", "trf_lsmr"]

_EPS = np.finfo(float).eps


def solve_subspace(B: NDArray, g: NDArray, delta: float) -> NDArray:
    """Exact minimiser of ½ yᵀ B y + gᵀ y subject to ‖y‖ <= Δ for a small symmetric B.

    Parameters
    ----------
    B : ndarray, shape (k, k), symmetric
    g : ndarray, shape (k,)
    delta : trust-region radius

    Returns
    -------
    y : ndarray, shape (k,)

    Examples
    --------
    >>> import numpy as np
    >>> solve_subspace(np.eye(2), np.array([-1.0, 0.0]), 10.0).tolist()
    [1.0, 0.0]
    """
    e, Q = np.linalg.eigh(B)
    gq = Q.T @ g
    if e[0] > 0:
        y = -Q @ (gq / e)
        if np.linalg.norm(y) <= delta:
            return y
    lam_lo = max(0.0, -float(e[0]))
    gn = float(np.linalg.norm(gq))
    if gn == 0:
        return np.zeros_like(g)
    lam_hi = lam_lo + gn / delta + float(np.max(np.abs(e)))

    def norm(lam: float) -> float:
        return float(np.linalg.norm(gq / (e + lam)))

    lam = lam_lo + 1e-12 * max(1.0, lam_hi)
    if norm(lam) <= delta:  # the hard case (g ⟂ lowest eigenvector): go to the boundary
        y = -Q @ (gq / (e + lam))
        rest = delta ** 2 - float(y @ y)
        return y + Q[:, 0] * np.sqrt(max(rest, 0.0))
    lam = 0.5 * (lam_lo + lam_hi)
    for _ in range(50):  # Newton on 1/‖y‖ - 1/Δ, safeguarded by bisection
        w = gq / (e + lam)
        nrm = float(np.linalg.norm(w))
        if abs(nrm - delta) <= 1e-10 * delta:
            break
        if nrm > delta:
            lam_lo = lam
        else:
            lam_hi = lam
        dnrm = -float(np.sum(w * w / (e + lam))) / nrm
        new = lam - (nrm - delta) / dnrm * nrm / delta
        lam = new if lam_lo < new < lam_hi else 0.5 * (lam_lo + lam_hi)
    return -Q @ (gq / (e + lam))


class _SparseProducts(LinearOperator):
    """A sparse J as LSMR uses it: J v and Jᵀ u straight from the matrix and its
    transpose (the same kernels), without LinearOperator's per-product checks and
    wrapping, which cost more than a product of a banded J."""

    def __init__(self, J: Any) -> None:
        super().__init__(dtype=float, shape=J.shape)
        self._J, self._JT = J, J.T

    def matvec(self, v: NDArray) -> NDArray:
        return self._J @ v

    def rmatvec(self, u: NDArray) -> NDArray:
        return self._JT @ u

    _matvec, _rmatvec = matvec, rmatvec


def _lsmr(A: Any, b: NDArray, damp: float, tr_options: dict) -> NDArray:
    if getattr(A, "format", None) == "csr":  # a sparse J (right_scale makes CSR)
        A = _SparseProducts(A)
    return lsmr(A, b, damp=damp, **tr_options)[0]


def _scaled(f: NDArray, J: Any, o: LSQOptions) -> tuple[float, NDArray, Any]:
    if o.loss is None:
        return 0.5 * float(f @ f), f, J
    rho = o.loss(f)
    s = rho[1] + 2 * rho[2] * f ** 2
    s = np.sqrt(np.maximum(s, _EPS))
    if isinstance(J, np.ndarray):
        Js, fs = scale_for_loss(J, f, rho)
        return cost_of(f, rho), fs, Js
    return cost_of(f, rho), f * (rho[1] / s), left_scale(J, s)


def _initial_scale(Js: Any, o: LSQOptions, n: int) -> tuple[NDArray, NDArray]:
    if isinstance(o.x_scale, str):
        scale_inv = column_norms(Js)
        scale_inv[scale_inv == 0] = 1.0
        return 1 / scale_inv, scale_inv
    scale = np.broadcast_to(np.asarray(o.x_scale, dtype=float), (n,)).copy()
    return scale, 1 / scale


def _trial(fun: Callable[[NDArray], NDArray], o: LSQOptions, x: NDArray, x_new: NDArray,
           cost: float, predicted: float, h_norm: float, delta: float, tr_hit: bool
           ) -> tuple[NDArray, float, float, float, int | None]:
    """Evaluate the trial point: (f_new, cost_new, actual reduction, new radius, status);
    a non-finite f_new gives actual = -1 and a radius of ¼ the step."""
    f_new = fun(x_new)
    if not np.all(np.isfinite(f_new)):
        return f_new, np.inf, -1.0, 0.25 * h_norm, None
    cost_new = 0.5 * float(f_new @ f_new) if o.loss is None else cost_of(f_new, o.loss(f_new))
    actual = cost - cost_new
    delta, ratio = update_radius(delta, actual, predicted, h_norm, tr_hit)
    status = check_termination(actual, cost, float(np.linalg.norm(x_new - x)),
                               float(np.linalg.norm(x)), ratio, o.ftol, o.xtol)
    return f_new, cost_new, actual, delta, status


def _cl_scaling(x: NDArray, g: NDArray, lb: NDArray, ub: NDArray, bounded: bool,
                scale_inv: NDArray) -> tuple[NDArray, NDArray]:
    """Coleman–Li scaling ``v`` (its derivative ``dv``) in the scaled variables; ones
    without bounds."""
    n = x.size
    v, dv = cl_scaling(x, g, lb, ub) if bounded else (np.ones(n), np.zeros(n))
    v[dv != 0] *= scale_inv[dv != 0]
    return v, dv


def _free_set(x: NDArray, g: NDArray, lb: NDArray, ub: NDArray) -> tuple[NDArray, NDArray]:
    """(on_bound, free) of dogbox: -1/+1 at an active lower/upper bound, and the variables
    whose gradient does not push them out of the box."""
    on_bound = np.zeros(x.size, dtype=int)
    on_bound[x <= lb] = -1
    on_bound[x >= ub] = 1
    return on_bound, on_bound * g >= 0


def _relinearise(jac: Callable[[NDArray, NDArray], Any], x: NDArray, f: NDArray,
                 o: LSQOptions, scale_inv: NDArray
                 ) -> tuple[float, NDArray, Any, NDArray, NDArray, NDArray]:
    """(cost, f̃, J̃, g, scale, scale_inv) at an accepted point."""
    cost, fs, Js = _scaled(f, jac(x, f), o)
    if isinstance(o.x_scale, str):
        scale_inv = np.maximum(scale_inv, column_norms(Js))
    return cost, fs, Js, Js.T @ fs, 1 / scale_inv, scale_inv


def _damping(Jh: Any, gh: NDArray, diag: NDArray | None, delta: float) -> float:
    """λ of the regularised Gauss-Newton problem: λ² = -q(h_C) / Δ², the model decrease
    at the Cauchy point (the minimum of q along -ĝ inside the region) over Δ².

    A Gauss-Newton step of length ‖p‖ predicts at least the Cauchy decrease; the damping
    λ²‖p‖² then costs as much as that decrease only when ‖p‖ reaches Δ, so λ bounds the
    step of a rank-deficient J to about the region without bending a step that fits.  It
    vanishes as ‖ĝ‖² near a minimum, keeping Gauss-Newton's local convergence.
    """
    gn = float(np.linalg.norm(gh))
    if gn == 0:
        return 0.0
    Jg = Jh @ gh
    curv = float(Jg @ Jg) + (float(gh @ (diag * gh)) if diag is not None else 0.0)
    t_tr = delta / gn  # along -ĝ: q(-t ĝ) = ½ curv t² - gn² t, t in [0, Δ/‖ĝ‖]
    t = min(gn * gn / curv, t_tr) if curv > 0 else t_tr
    decrease = gn * gn * t - 0.5 * curv * t * t
    return float(np.sqrt(max(decrease, 0.0))) / delta


def _subspace_step(Jh: Any, gh: NDArray, diag: NDArray | None, fs: NDArray, delta: float,
                   regularize: bool, tr_options: dict) -> NDArray:
    """h = S y from the LSMR Gauss–Newton step p and the 2-d subspace span{ĝ, p}."""
    m, n = Jh.shape
    damp = _damping(Jh, gh, diag, delta) if regularize else 0.0
    if diag is None:
        p = _lsmr(Jh, -fs, damp, tr_options)
    else:
        A = aslinearoperator(Jh)
        sq = np.sqrt(diag)
        aug = LinearOperator((m + n, n), matvec=lambda v: np.concatenate((A.matvec(v),
                                                                          sq * np.ravel(v))),
                             rmatvec=lambda u: A.rmatvec(u[:m]) + sq * np.ravel(u)[m:],
                             dtype=float)
        p = _lsmr(aug, np.concatenate((-fs, np.zeros(n))), damp, tr_options)
    S, R = np.linalg.qr(np.column_stack((gh, p)))
    keep = np.abs(np.diag(R)) > 1e-12 * max(1.0, float(np.max(np.abs(R))))
    S = S[:, keep]
    if S.shape[1] == 0:
        return np.zeros(n)
    JS = np.column_stack([Jh @ S[:, k] for k in range(S.shape[1])])
    B = JS.T @ JS
    if diag is not None:
        B += S.T @ (diag[:, None] * S)
    return S @ solve_subspace(B, S.T @ gh, delta)


def trf_lsmr(fun: Callable[[NDArray], NDArray], jac: Callable[[NDArray, NDArray], Any],
             x0: NDArray, f0: NDArray, J0: Any, lb: NDArray, ub: NDArray,
             options: LSQOptions, tr_options: dict | None = None) -> LSQResult:
    """Trust Region Reflective with the LSMR subspace step (module docstring).

    Parameters and result as :func:`thetahat.solvers.trf.trf`; ``J0`` and ``jac`` may
    give sparse matrices or LinearOperators; ``tr_options`` are passed to
    ``scipy.sparse.linalg.lsmr`` (and ``regularize``, default True).
    """
    o = options
    tro = dict(tr_options or {})
    regularize = bool(tro.pop("regularize", True))
    bounded = bool(np.any(np.isfinite(lb)) or np.any(np.isfinite(ub)))
    x, f, J = x0.copy(), f0, J0
    nfev, njev, n = 1, 1, x0.size
    cost, fs, Js = _scaled(f, J, o)
    g = Js.T @ fs
    scale, scale_inv = _initial_scale(Js, o, n)
    delta = initial_radius(x0, g, lb, ub, scale_inv, bounded)
    status: int | None = None
    reduction = step_norm = None
    it = 0
    if o.verbose == 2:
        print_header()
    while True:
        v, dv = _cl_scaling(x, g, lb, ub, bounded, scale_inv)
        g_norm = float(np.max(np.abs(g * v))) if n else 0.0
        if o.verbose == 2:
            print_iteration(it, nfev, cost, reduction, step_norm, g_norm)
        if g_norm < o.gtol:
            status = 1
        if status is not None or nfev >= o.max_nfev:
            break
        d = np.sqrt(v) * scale
        diag = g * dv * scale if bounded else None
        Jh = right_scale(Js, d)
        gh = d * g
        theta = max(0.995, 1 - g_norm)
        actual = -1.0
        while actual <= 0 and nfev < o.max_nfev:
            ph = _subspace_step(Jh, gh, diag, fs, delta, regularize, tro)
            if diag is not None:
                step, step_h, predicted = _select_step(x, Jh, diag, gh, ph, d, delta, lb, ub,
                                                       theta)
                x_new = strictly_feasible(x + step, lb, ub, rstep=0)
            else:
                step, step_h = d * ph, ph
                predicted = -_q(Jh, gh, None, ph)
                x_new = x + step
            nfev += 1
            h_norm = float(np.linalg.norm(step_h))
            f_new, cost_new, actual, delta, status = _trial(
                fun, o, x, x_new, cost, predicted, h_norm, delta, h_norm > 0.95 * delta)
            if status is not None:
                break
        if actual > 0:
            step_norm, reduction = float(np.linalg.norm(x_new - x)), actual
            x, f = x_new, f_new
            njev += 1
            cost, fs, Js, g, scale, scale_inv = _relinearise(jac, x, f, o, scale_inv)
        else:
            step_norm = reduction = 0.0
        it += 1
        if o.callback is not None and o.callback(
                {"x": x, "fun": f, "cost": cost, "nit": it, "nfev": nfev}):
            status = -2
            break
    v, _ = _cl_scaling(x, g, lb, ub, bounded, scale_inv)
    return LSQResult(x=x, cost=cost, fun=f, jac=Js, grad=g,
                     optimality=float(np.max(np.abs(g * v))) if n else 0.0,
                     active_mask=active_mask(x, lb, ub, rtol=o.xtol), nfev=nfev, njev=njev,
                     status=0 if status is None else status, niter=it)


def dogbox_lsmr(fun: Callable[[NDArray], NDArray], jac: Callable[[NDArray, NDArray], Any],
                x0: NDArray, f0: NDArray, J0: Any, lb: NDArray, ub: NDArray,
                options: LSQOptions, tr_options: dict | None = None) -> LSQResult:
    """The dogbox method with the Gauss–Newton point from LSMR (module docstring).

    Parameters and result as :func:`trf_lsmr`.
    """
    o = options
    tro = dict(tr_options or {})
    tro.pop("regularize", None)
    x, f, J = x0.copy(), f0, J0
    nfev, njev, n = 1, 1, x0.size
    cost, fs, Js = _scaled(f, J, o)
    g = Js.T @ fs
    scale, scale_inv = _initial_scale(Js, o, n)
    delta = float(np.max(np.abs(x0 * scale_inv))) or 1.0
    status: int | None = None
    reduction = step_norm = None
    it = 0
    if o.verbose == 2:
        print_header()
    while True:
        on_bound, free = _free_set(x, g, lb, ub)
        g_norm = float(np.max(np.abs(g[free]))) if np.any(free) else 0.0
        if o.verbose == 2:
            print_iteration(it, nfev, cost, reduction, step_norm, g_norm)
        if g_norm < o.gtol:
            status = 1
        if status is not None or nfev >= o.max_nfev:
            break
        sf = scale * free
        Jf = right_scale(Js, sf)
        gh = g * sf
        hn = _lsmr(Jf, -fs, 0.0, tro) * free
        actual = -1.0
        while actual <= 0 and nfev < o.max_nfev:
            tl = np.where(free, np.maximum((lb - x) / scale, -delta), 0.0)
            tu = np.where(free, np.minimum((ub - x) / scale, delta), 0.0)
            h = _dogleg(Jf, gh, hn, tl, tu)
            Jh = Jf @ h
            predicted = -(0.5 * float(Jh @ Jh) + float(gh @ h))
            x_new = np.clip(x + h * scale, lb, ub)
            nfev += 1
            h_norm = float(np.max(np.abs(h))) if n else 0.0
            tr_hit = bool(np.any(np.abs(h) >= delta * (1 - 1e-12)))
            f_new, cost_new, actual, delta, status = _trial(
                fun, o, x, x_new, cost, predicted, h_norm, delta, tr_hit)
            if status is not None:
                break
        if actual > 0:
            step_norm, reduction = float(np.linalg.norm(x_new - x)), actual
            x, f = x_new, f_new
            njev += 1
            cost, fs, Js, g, scale, scale_inv = _relinearise(jac, x, f, o, scale_inv)
        else:
            step_norm = reduction = 0.0
        it += 1
        if o.callback is not None and o.callback(
                {"x": x, "fun": f, "cost": cost, "nit": it, "nfev": nfev}):
            status = -2
            break
    on_bound, free = _free_set(x, g, lb, ub)
    return LSQResult(x=x, cost=cost, fun=f, jac=Js, grad=g,
                     optimality=float(np.max(np.abs(g[free]))) if np.any(free) else 0.0,
                     active_mask=on_bound, nfev=nfev, njev=njev,
                     status=0 if status is None else status, niter=it)
