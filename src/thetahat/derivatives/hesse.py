"""HESSE: the matrix of second derivatives by finite differences, and its inverse.

At the point x (internal coordinates) with value F (F. James, MINUIT Reference Manual,
"HESSE"):

1. diagonal: for each i, with step h_i a small fraction of the parameter's standard
   deviation (the fraction of :mod:`thetahat.derivatives.mn_gradient`),

       g2_i = (F(x + h_i e_i) + F(x - h_i e_i) - 2 F) / h_i²,
       g_i  = (F(x + h_i e_i) - F(x - h_i e_i)) / (2 h_i);

   the step is re-tuned from g2_i and the pair re-evaluated, up to 2, 3, 6 cycles for
   strategy 0, 1, 2, until g2_i changes by less than 30 %, 5 %, 2 % or the step is
   already within the strategy's tolerance of the optimal one; a step that leaves the
   function's domain (a non-finite value) is halved without counting a cycle. A step
   over which F is flat within rounding is multiplied by 10, and no re-tuned step goes
   below ten times the largest such step: F's rounding or the resolution of x hides the
   curvature there (at a limit, where x = a - 1 + sqrt(u² + 1) has dx/du = 0 at u = 0,
   x moves by u²/2, which can be below one ulp of |x| for the u the curvature asks for).
   The values F(x ± h e_i) that MIGRAD's last gradient computed at the same point are
   reused.
1b. noise check (strategies 1, 2): g2_i (of either sign: noise can make it negative) is
   recomputed with a four times larger step. If the two disagree by more than 10⁻³, F
   may be noisier than its precision says, and the larger step (16 times less sensitive
   to noise) is taken and checked in turn, while it stays below 0.1 σ_i (truncation error
   then ~1e-3); a step already that large is not checked. A smooth F keeps the small
   step, since the off-diagonal formula below has an O(h) truncation error. The check is
   skipped when the reused gradient's g2_i agrees to 10⁻⁶ with the one MIGRAD computed
   at its previous point: F is then quadratic along that axis up to rounding (noise
   would differ between the points). A sag within rounding of F counts as zero.
2. off-diagonal: one more call per pair,

       H_ij = (F(x + h_i e_i + h_j e_j) - F(x + h_i e_i) - F(x + h_j e_j) + F) / (h_i h_j).

3. positive definiteness: with H scaled to unit diagonal, S = D⁻¹ H D⁻¹, if its smallest
   eigenvalue λ_min is not above the precision of S, the larger of 10 ε λ_max and the
   rounding bound ‖E‖ = 4 ε (|F| + errordef) Σ_i 1 / (|g2_i| h_i²) (each of the F values in
   H_ij may be off by ε (|F| + errordef); about n sqrt(ε) / 8), the diagonal of S is raised
   by 10⁻³ λ_max - λ_min (MINUIT's MnPosDef shift) and the result flagged ``made_posdef``.
   An eigenvalue within ‖E‖ of zero is a direction the differences cannot tell from flat
   (a degenerate model, fewer data than parameters): its sign is rounding, and a
   covariance built on it would carry errors of ~1/sqrt(‖E‖) standard deviations that
   look like any others.
4. failure: a second derivative that is zero or not finite on the diagonal (a parameter
   the function does not depend on, or a region where F is undefined), or the call
   limit, makes HESSE fail; no inverse is returned.

The covariance of the parameters is 2 · errordef · H⁻¹.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import isfinite
from typing import TYPE_CHECKING, Any

import numpy as np

from .._compiled import migradcore
from .._core.linalg import spd_inverse
from .._core.rules import default_ncall
from .mn_gradient import STEP_RATIO, GradState, _aimsag, _eps, hesse_values

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

_EPS = float(np.finfo(float).eps)
PSD_FLOOR = 1e-6  # least bound on the error of the scaled matrix S (rounding_noise)

__all__ = ["HesseResult", "hesse", "make_posdef", "from_matrix", "rounding_noise"]

_CYCLES = {0: 2, 1: 3, 2: 6}
_G2TOL = {0: 0.3, 1: 0.05, 2: 0.02}


@dataclass
class HesseResult:
    """Second-derivative matrix at a point, its inverse and how it was obtained."""

    hess: NDArray
    hess_inv: NDArray
    grad: NDArray
    g2: NDArray
    gstep: NDArray
    nfcn: int
    is_posdef: bool
    made_posdef: bool
    failed: bool
    message: str
    hess_raw: NDArray | None = None  # before the positive-definite shift


class _CallLimit(Exception):
    pass


def _noise_check(call, x: NDArray, i: int, fval: float, g2i: float, gi: float, fp: float,
                 hi: float, errordef: float) -> tuple[float, float, float, float]:
    """g2_i confirmed at a four times larger step, or taken from larger steps (step 1b)."""
    sigma = (2.0 * errordef / abs(g2i)) ** 0.5
    while 4.0 * hi <= 0.1 * sigma:
        h4 = 4.0 * hi
        xp = x.copy()
        xp[i] += h4
        xm = x.copy()
        xm[i] -= h4
        a, b = call(xp), call(xm)
        if not (isfinite(a) and isfinite(b)):
            break
        g2_4 = (a + b - 2.0 * fval) / (h4 * h4)
        if g2_4 == 0:
            break
        if abs(g2_4 - g2i) <= 1e-3 * abs(g2_4):
            break  # smooth: keep the smaller step (HESSE's off-diagonals err by O(h))
        # otherwise rounding or noise may dominate the smaller step: the larger one has
        # 16 times less of it and a truncation error ~t^2 / 12
        g2i, gi, fp, hi = g2_4, (a - b) / (2.0 * h4), a, h4
        sigma = (2.0 * errordef / abs(g2i)) ** 0.5
    return g2i, gi, fp, hi


def rounding_noise(g2: NDArray, steps: NDArray, fval: float, errordef: float,
                   eps: float) -> float:
    """Bound on the rounding error of S = D⁻¹ H D⁻¹ for H from differences of F (step 3).

    Each F value carries an error up to ε (|F| + errordef) (MINUIT's precision model, the
    one the steps are tuned to); H_ij combines four of them over h_i h_j and S divides by
    sqrt(|g2_i g2_j|), so |E_ij| <= u_i u_j with u_i = 2 sqrt(ε (|F| + errordef) /
    (|g2_i| h_i²)), and ‖E‖₂ <= ‖E‖_F = Σ u_i² = 4 ε (|F| + errordef) Σ 1 / (|g2_i| h_i²).
    With the sag g2 h² / 2 at its aim (>= 16 sqrt(ε) (|F| + errordef)) this is about
    n sqrt(ε) / 8: 2e-9 n at double precision.

    The bound is never taken below ``PSD_FLOOR`` = 10⁻⁶ (MINUIT's own positive-definiteness
    threshold on the scaled matrix): ε (|F| + errordef) is the precision of F only when F
    is computed without cancellation, and a χ² of residuals y - f(x) that are small next to
    y is known only to ε |y| / |y - f|, many times worse. A line (a + b) x has an exactly
    singular Hessian whose differences give λ_min(S) = 2e-8, six times the ε-bound; a
    correlation within 10⁻⁶ of ±1 cannot be told from a degenerate one by differences of
    a black-box F."""
    q = np.abs(np.asarray(g2, float)) * np.asarray(steps, float) ** 2
    if not (np.all(np.isfinite(q)) and np.all(q > 0)):
        return 0.0
    return max(PSD_FLOOR, float(4.0 * eps * (abs(float(fval)) + errordef) * np.sum(1.0 / q)))


def make_posdef(h: NDArray, noise: float = 0.0) -> tuple[NDArray, bool]:
    """H itself if positive definite, else H shifted on its scaled diagonal (step 3).

    ``noise`` bounds the error of the scaled matrix S (:func:`rounding_noise` for a
    matrix from differences of F; 0 for one computed without differencing F). S counts as
    positive definite when λ_min(S) > max(10 ε max(λ_max, 1), noise): an eigenvalue
    within the matrix's own precision of zero is a flat direction, whatever its sign."""
    d = np.sqrt(np.abs(np.diag(h)))
    d = np.where(d > 0, d, 1.0)
    dd = d[:, None] * d
    s = h / dd
    n = len(s)
    noise = float(noise) if np.isfinite(noise) and noise > 0 else 0.0
    # the test below is λ_min(S) > max(10 ε max(λ_max, 1), noise); S has a unit diagonal
    # when it can pass, so λ_max ≤ tr S = n and a Cholesky factor of
    # S - (10 ε n + noise) I proves it cheaply
    if spd_inverse(s - (10.0 * _EPS * n + noise) * np.eye(n)) is not None:
        return h, False
    w = np.linalg.eigvalsh(s)
    lmin, lmax = w[0], w[-1]
    if lmin > max(10.0 * _EPS * max(lmax, 1.0), noise):
        return h, False
    shift = 1e-3 * max(lmax, 1.0) - lmin
    s = s + shift * np.eye(n)
    return s * dd, True


def hesse(fcn: Callable[[NDArray], float], x: NDArray, fval: float, options: Any,
          step0: NDArray | None = None, max_nfcn: int | None = None,
          known: GradState | None = None) -> HesseResult:
    """Second-derivative matrix of ``fcn`` at ``x`` (module docstring).

    Parameters
    ----------
    fcn : callable
        ``fcn(x) -> float`` in internal coordinates.
    x : ndarray, shape (n,)
        Point, usually a minimum.
    fval : float
        ``fcn(x)``.
    options : MigradOptions
        Provides ``errordef``, ``strategy`` and ``precision``.
    step0 : ndarray, optional
        First steps; default 0.1.
    max_nfcn : int, optional
        Call limit; default MINUIT's 200 + 100 n + 5 n².
    known : GradState, optional
        A gradient evaluation at ``x`` whose F(x ± h e_i) may be reused.

    Returns
    -------
    HesseResult
    """
    x = np.array(x, dtype=float)
    n = x.size
    fval = float(fval)
    errordef = float(options.errordef)
    strategy = int(options.strategy)
    prec = options.precision
    limit = max_nfcn if max_nfcn else default_ncall(n)
    h = np.full(n, 0.1) if step0 is None else np.array(step0, dtype=float)
    h = np.where(np.isfinite(h) & (h > 0), h, 0.1)
    reuse = known is not None and known.x is not None and known.fplus is not None \
        and np.array_equal(known.x, x)
    # the reused state, None unless reuse (its differences fplus/fminus are set together)
    reused = known if reuse else None
    if reused is not None:
        h = np.array(reused.h, dtype=float)
    aimsag, eps2 = _aimsag(fval, errordef, prec)
    eps = _eps(prec)
    ncyc = _CYCLES.get(strategy, 3)
    g2tol = _G2TOL.get(strategy, 0.05)
    ratio_ok = STEP_RATIO.get(strategy, 1.5)
    if migradcore is not None:  # steps 1, 1b, 2 compiled: the loops below, step for step
        g, g2, gstep, hm, nfcn, fail = hesse_values(fcn, x, fval, h, reused, errordef, prec,
                                                    strategy, ncyc, g2tol, limit)
        if fail is None:
            return from_matrix(hm, g, g2, gstep, nfcn,
                               rounding_noise(g2, gstep, fval, errordef, eps))
        return HesseResult(np.diag(g2), np.zeros((n, n)), g, g2, gstep, nfcn, False, False,
                           True, fail)
    nfcn = 0

    def call(xp: NDArray) -> float:
        nonlocal nfcn
        if nfcn >= limit:
            raise _CallLimit
        nfcn += 1
        v = float(fcn(xp))
        return v if not np.isnan(v) else np.inf

    g = np.zeros(n)
    g2 = np.zeros(n)
    fplus = np.zeros(n)
    gstep = h.copy()
    try:
        for i in range(n):
            prev = np.nan
            hflat = 0.0  # the largest step over which F was flat within rounding
            cyc = halvings = 0
            reuse_i = False
            while cyc < ncyc:
                if cyc == 0 and halvings == 0 and reused is not None \
                        and reused.fplus is not None and reused.fminus is not None \
                        and isfinite(reused.fplus[i]) and isfinite(reused.fminus[i]):
                    fp, fm = float(reused.fplus[i]), float(reused.fminus[i])
                    reuse_i = True
                else:
                    h[i] = exact_step(float(x[i]), float(h[i]))
                    xp = x.copy()
                    xp[i] += h[i]
                    xm = x.copy()
                    xm[i] -= h[i]
                    fp = call(xp)
                    fm = call(xm)
                    reuse_i = False
                if not (isfinite(fp) and isfinite(fm)):
                    h[i] *= 0.5  # left the function's domain: smaller step
                    g2[i] = np.nan
                    halvings += 1
                    if halvings > 30:
                        break
                    continue
                cyc += 1
                hi = float(h[i])
                d2 = fp + fm - 2.0 * fval
                # a sag within rounding of F is no curvature: treated as zero (flat)
                g2i = d2 / (hi * hi) if abs(d2) > 8.0 * eps * (abs(fp) + abs(fm)) else 0.0
                g[i] = (fp - fm) / (2.0 * hi)
                g2[i], fplus[i], gstep[i] = g2i, fp, hi
                if g2i == 0.0:
                    hflat = max(hflat, hi)
                    if cyc < ncyc:
                        h[i] *= 10.0  # flat at this scale: look further out
                    continue
                # not below a step found flat: F or x does not resolve it (step 1)
                hn = max((2.0 * aimsag / abs(g2i)) ** 0.5 if abs(g2i) > 1e-300 else hi,
                         8.0 * eps2 * (abs(float(x[i])) + eps2), 10.0 * hflat)
                stable = isfinite(prev) and abs(g2i - prev) <= g2tol * abs(g2i)
                if stable or 1.0 / ratio_ok < hn / hi < ratio_ok:
                    break  # g2 settled, or the step is already about right
                prev = g2i
                if cyc < ncyc:
                    h[i] = hn
            if strategy >= 1 and g2[i] != 0 and abs(g2[i]) < np.inf and not (
                    reuse_i and reused is not None and reused.g2_prev is not None
                    and abs(reused.g2_prev[i] - g2[i]) <= 1e-6 * g2[i]):
                g2[i], g[i], fplus[i], gstep[i] = _noise_check(
                    call, x, i, fval, g2[i], g[i], fplus[i], gstep[i], errordef)
        bad = (g2 == 0) | ~np.isfinite(g2)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            return HesseResult(np.diag(g2), np.zeros((n, n)), g, g2, gstep, nfcn, False,
                               False, True, f"second derivative of parameter {i} is "
                               f"{'zero' if g2[i] == 0 else 'not finite'}")
        hm = np.diag(g2)
        for i in range(n):
            for j in range(i + 1, n):
                xp = x.copy()
                xp[i] += gstep[i]
                xp[j] += gstep[j]
                v = (call(xp) - fplus[i] - fplus[j] + fval) / (gstep[i] * gstep[j])
                hm[i, j] = hm[j, i] = v if np.isfinite(v) else 0.0
    except _CallLimit:
        return HesseResult(np.diag(g2), np.zeros((n, n)), g, g2, gstep, nfcn, False, False,
                           True, "call limit reached")
    return from_matrix(hm, g, g2, gstep, nfcn, rounding_noise(g2, gstep, fval, errordef, eps))


def exact_step(xi: float, hi: float) -> float:
    """The step nearest above ``hi`` for which x ± h are both exact: h = (|x| + h) - |x|.

    x + h and x - h then lie exactly h away from x, so that the differences are symmetric
    (at x = 1, say, 1 + h rounds on a grid twice as coarse as 1 - h: a gradient that is
    zero would come out of the order of F''·ulp(x), which matters when σ is a few ulp)."""
    a = abs(xi)
    he = (a + hi) - a
    return he if he > 0 else hi


def made_posdef_message(names: list[str], cov: NDArray | None, ndata: float | None = None
                        ) -> str:
    """What a user should read when the Hessian at a minimum was not positive definite
    (step 3 shifted it): the parameters the data cannot tell apart (pairs whose
    correlation in the shifted covariance ``cov`` exceeds 0.99 in size: the shift leaves
    them almost ±1 along a flat direction) and, with ``ndata`` below the number of
    free parameters, that there are fewer data than parameters (ndof < 0)."""
    n = len(names)
    parts = ["the matrix of second derivatives at the minimum is singular or not positive "
             "definite, and was forced positive definite (fmin.has_made_posdef_covar): the "
             "errors and correlations are not accurate"]
    if ndata is not None and np.isfinite(ndata) and ndata < n:
        parts.append(f"there are fewer data points ({ndata:g}) than free parameters ({n}): "
                     f"ndof = {ndata - n:g} < 0, the parameters are not determined")
    if cov is not None and n > 1:
        d = np.sqrt(np.abs(np.diag(cov)))
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = cov / np.outer(d, d)
        pairs = [f"{names[i]} and {names[j]} (correlation {rho[i, j]:+.4f})"
                 for i in range(n) for j in range(i + 1, n) if abs(rho[i, j]) > 0.99]
        if pairs:
            parts.append("the data constrain only a combination of " + ", ".join(pairs[:4]) +
                         (" ..." if len(pairs) > 4 else "") +
                         ": fix one of them or reparametrise the model")
    return "; ".join(parts)


def from_matrix(hm: NDArray, g: NDArray, g2: NDArray, steps: NDArray, nfcn: int,
                noise: float = 0.0) -> HesseResult:
    """Steps 3-4 for a computed matrix: forced positive definite if needed (``noise``:
    the bound of :func:`make_posdef`), inverted."""
    n = len(hm)
    hp, made = make_posdef(hm, noise)
    hinv = spd_inverse(hp)
    if hinv is None:
        return HesseResult(hm, np.zeros((n, n)), g, g2, steps, nfcn, False, made, True,
                           "matrix of second derivatives is singular")
    return HesseResult(hp, hinv, g, g2, steps, nfcn, not made, made, False,
                       "forced positive definite" if made else "ok", hess_raw=hm)
