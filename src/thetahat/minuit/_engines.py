"""Running an algorithm on a :class:`~thetahat.Minuit` and recording what it found.

Each ``run_*`` builds the free-parameter :class:`~thetahat.minuit._problem.Problem`, calls a
solver in internal coordinates, maps the result back (values x = T(u), covariance
C_ext = D C_int D with C_int = 2 · errordef · H⁻¹) and writes an ``FMin``.

MIGRAD has two engines. A cost that exposes Gauss-Newton structure (``_fisher``) is
minimised by damped Gauss-Newton steps, ``(H + λ diag H) δ = -g``, where H is JᵀWJ for
least squares or the Fisher information of the prediction for likelihoods (FUMILI),
corrected near the minimum by a secant estimate of the residual terms
(:mod:`thetahat.solvers.gauss_newton`); with limits the step is taken in external
coordinates, where that model lives. The stopping rule is MINUIT's,
EDM = gᵀH⁻¹g / 2 < 0.002 · tol · errordef. Its final HESSE (strategy >= 1) is the exact
Hessian of the cost from central differences of the model vector
(:func:`thetahat.cost._base.observed_hessian`); the Gauss-Newton iterations take their
forward differences with the same steps (1e-3 standard deviations), so that the HESSE at
the last point reuses them and costs k + k(k-1)/2 model calls for k free parameters. If
that engine does not converge, or the cost is a plain function, the variable-metric
MIGRAD runs (from where the first engine stopped).
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ._problem import Problem
from .._core.linalg import spd_cond, spd_inverse

if TYPE_CHECKING:  # pragma: no cover
    from . import Minuit

__all__ = ["solve", "Solved", "run_migrad", "run_hesse", "run_simplex", "run_scan", "default_ncall"]


def default_ncall(n: int) -> int:
    """MINUIT's default call limit for n free parameters: 200 + 100 n + 5 n²."""
    return 200 + 100 * n + 5 * n * n


def _inverse(h: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of a symmetric matrix and whether it is positive definite."""
    hinv = spd_inverse(h)
    if hinv is not None:
        return hinv, True
    return np.linalg.pinv(h), False


def _all_fixed(m: "Minuit", prob: Problem, algorithm: str, t0: float) -> "Minuit":
    fval = prob.call_ext(m._values.copy())
    m._nfcn += prob.nfcn
    m._set_covariance(None)
    m._record(algorithm, fval, 0.0, m._nfcn, m._ngrad, {}, t0)
    return m


def _finish(m: "Minuit", prob: Problem, algorithm: str, u: np.ndarray, fval: float,
            edm: float, hess_inv: np.ndarray | None, flags: dict, t0: float) -> "Minuit":
    m._values = prob.to_ext(u)
    m._nfcn += prob.nfcn
    m._ngrad += prob.ngrad
    if hess_inv is not None and flags.get("has_covariance", False):
        m._set_covariance(prob.cov_ext(u, 2.0 * m._errordef * hess_inv))
    else:
        m._set_covariance(None)
    m._record(algorithm, fval, edm, m._nfcn, m._ngrad, flags, t0)
    return m


_REL_STEP = 0.001  # HESSE difference steps of structured costs, in standard deviations


def _fisher_engine(m: "Minuit", prob: Problem, u0: np.ndarray, ncall: int | None,
                   tol_scale: float = 1.0, hesse_next: bool = False,
                   check_exact: bool = True):
    """Gauss-Newton MIGRAD; returns (result flags, u, fval, edm, hess_inv) or None, and the
    solver's result.

    With ``hesse_next`` (a final HESSE follows) and a cost that can compute its exact
    Hessian, the forward differences of the model use steps of ``_REL_STEP`` standard
    deviations (from the previous point's matrix), so that the HESSE at the last point
    reuses them; ``r.steps`` are the external steps used at ``r.x`` (None otherwise).
    ``check_exact=False`` (refits, where no covariance is used) skips the test for an
    exactly quadratic cost.
    """
    from ..solvers.gauss_newton import FisherOptions, minimize_fisher
    n = prob.idx.size
    goal = m._edm_goal() * tol_scale
    opts = FisherOptions(tol_edm=goal, max_nfev=ncall or default_ncall(n))
    first: list = []
    share = hesse_next and hasattr(m._fcn, "_observed") and \
        not getattr(m._fcn, "has_grad", False)
    last: dict = {"sigma": None, "u": None, "steps": None}

    def fgh(u: np.ndarray) -> tuple:
        if not share:
            out = prob.fgh_int(u, m._fcn)
            if not first:
                first.append(out[2])
            return out
        if prob.limited:
            x, d = prob.to_ext(u), prob.jac_diag(u)
        else:
            x, d = None, None
        steps = None
        if last["sigma"] is not None:
            steps = prob.ext_steps(u, _REL_STEP * last["sigma"], x)
        out = prob.fgh_int(u, m._fcn, steps, x, d)
        if not first:
            first.append(out[2])
        sigma = _sigma_ext(m, out[2], d)
        if sigma is not None:
            last["sigma"] = sigma
        last["u"], last["steps"] = u, steps
        return out

    move = None
    if prob.limited:
        def move(u: np.ndarray, p: np.ndarray) -> np.ndarray:
            """Take the step in external coordinates, where the Gauss-Newton model lives
            (x + D p, D = dx/du), when that stays strictly inside the limits."""
            x = prob.to_ext(u)[prob.idx]
            xn = x + prob.jac_diag(u) * p
            if ((xn > prob.lo) & (xn < prob.hi)).all():
                return prob.int_from_free_ext(xn)
            return u + p

    r = minimize_fisher(fgh, u0, opts, move)
    r.steps = last["steps"] if last["u"] is not None and np.array_equal(last["u"], r.x) \
        else None
    if not (r.converged and np.isfinite(r.fval) and np.all(np.isfinite(r.x))):
        return None, r
    hinv, posdef = _inverse(np.asarray(r.hess, float))
    if not posdef:
        return None, r
    exact = check_exact and _linear_least_squares(m, prob, u0, r.x, first[0], r.hess, hinv)
    flags = dict(has_covariance=True, has_accurate_covar=True, has_posdef_covar=True,
                 exact_quadratic=exact)
    return (flags, r.x, float(r.fval), float(r.edm), hinv), r


def _sigma_ext(m: "Minuit", hgn: np.ndarray, d: np.ndarray | None) -> np.ndarray | None:
    """Scale of each free parameter for difference steps: its conditional standard
    deviation sqrt(2 · errordef / H_ii) (the curvature along its own axis, which is what a
    difference along that axis sees), mapped to external coordinates with d = dx/du (None:
    no limits); None if a diagonal element is not positive."""
    hd = hgn.diagonal()
    if not (hd > 0).all():
        return None
    sigma = np.sqrt((2.0 * m._errordef) / hd)
    return sigma if d is None else sigma * np.abs(d)


def _linear_least_squares(m: "Minuit", prob: Problem, u0: np.ndarray, u1: np.ndarray,
                          h0: np.ndarray, h1: np.ndarray, hinv: np.ndarray) -> bool:
    """Whether χ² is exactly quadratic, so that 2 JᵀWJ is its Hessian and HESSE is moot.

    For a least-squares cost with the linear loss and no limits, H(p) = 2 JᵀWJ + 2 Σ w r ∇²f
    is constant iff the model is linear in its parameters. We accept that when the
    Gauss-Newton matrices at the start and at the minimum agree to 1e-7 relative after a
    move of at least one standard deviation in some parameter (so the two points differ).
    """
    from ..cost import LeastSquares
    if not isinstance(m._fcn, LeastSquares) or prob.limited or \
            not (isinstance(m._fcn.loss, str) and m._fcn.loss == "linear"):
        return False
    du = np.asarray(u1) - np.asarray(u0)
    if not (du * du > 2.0 * m._errordef * hinv.diagonal()).any():
        return False
    dh = np.sqrt(h1.diagonal())
    return bool((np.abs(h1 - h0) <= 1e-7 * (dh[:, None] * dh)).all())


class Solved(NamedTuple):
    """What an engine found, in internal coordinates."""

    u: np.ndarray
    fval: float
    edm: float
    hess_inv: np.ndarray | None
    flags: dict


def solve(m: "Minuit", prob: Problem, u0: np.ndarray, ncall: int | None,
          iterate: int = 5, refit: bool = False) -> Solved:
    """Minimise ``prob`` from ``u0`` with the engine that suits the cost (module docstring).

    ``refit=True`` is the conditional minimisation inside MINOS, profiles and contours:
    only the minimum value and position matter there, so no final HESSE is run (strategy 0
    for the variable-metric engine) and the EDM goal is 100 times tighter, which keeps the
    profiled cost accurate to ~2e-6 · errordef.
    """
    from ..solvers.migrad import migrad
    tol_scale = 0.01 if refit else 1.0
    if hasattr(m._fcn, "_fisher") and m._grad is None:
        out, r = _fisher_engine(m, prob, u0, ncall, tol_scale,
                                hesse_next=m._strategy >= 1 and not refit,
                                check_exact=not refit)
        if out is not None:
            flags, u, fval, edm, hinv = out
            u = np.asarray(u, float)
            exact = flags.pop("exact_quadratic", False)
            if m._strategy >= 1 and not exact and not refit:
                # second derivatives, as MIGRAD's final HESSE: the Gauss-Newton matrix
                # omits the residual (observed-information) terms
                h = _hesse_from(m, prob, u, fval, r.hess, r.steps)
                if not h.failed:
                    g = np.asarray(h.grad, float)
                    flags = dict(flags, has_accurate_covar=not h.made_posdef,
                                 has_made_posdef_covar=bool(h.made_posdef))
                    return Solved(u, fval, float(0.5 * g @ h.hess_inv @ g), h.hess_inv, flags)
                flags = dict(flags, has_accurate_covar=False)
            elif not exact:
                # no HESSE (strategy 0 or a refit): the Gauss-Newton / Fisher matrix omits
                # the residual terms of the second derivatives, so the covariance is only
                # approximate, as MINUIT's after a strategy-0 MIGRAD
                flags = dict(flags, has_accurate_covar=False)
            return Solved(u, fval, edm, hinv, flags)
        if np.all(np.isfinite(r.x)):
            u0 = np.asarray(r.x, float)  # the variable-metric engine continues from here
    step0 = prob.steps_int(prob.to_ext(u0), m._errors)
    opts = m._options(None if ncall is None else max(ncall - prob.nfcn, 1), iterate)
    if refit:
        opts.strategy = 0
        opts.tol = m._tol * tol_scale
    if m._grad is not None:
        opts.grad = prob.grad_int
    r = migrad(prob, u0, step0, opts)
    flags = dict(has_covariance=r.has_covariance, has_accurate_covar=r.has_accurate_covar,
                 has_posdef_covar=r.has_posdef_covar,
                 has_made_posdef_covar=r.has_made_posdef_covar,
                 has_reached_call_limit=r.has_reached_call_limit, hesse_failed=r.hesse_failed,
                 is_valid=r.is_valid)
    return Solved(np.asarray(r.x, float), float(r.fval), float(r.edm), r.hess_inv, flags)


def _scaled_cond(h: np.ndarray) -> float:
    """Condition number of h scaled to a unit diagonal (the correlation matrix's, up to
    the factor n between the 1- and 2-norm estimates); inf if not positive definite."""
    d = np.sqrt(np.abs(h.diagonal()))
    d[d == 0] = 1.0
    return spd_cond(h / (d[:, None] * d))


def _hesse_from(m: "Minuit", prob: Problem, u: np.ndarray, fval: float, hgn: np.ndarray,
                steps: np.ndarray | None = None):
    """HESSE at ``u`` for a cost with Gauss-Newton matrix ``hgn`` (internal coordinates).

    Three ways, best first:

    - analytic parameter gradients: the cost's own gradient is differenced
      (:func:`~thetahat.derivatives.hesse_gradient.hesse_from_gradient`);
    - a cost that is a loss of a model vector (``_observed``): the exact Hessian from
      central differences of the model vector with steps of ``_REL_STEP`` standard
      deviations (:func:`thetahat.cost._base.observed_hessian`); ``steps``, the external
      steps of the last forward-difference Jacobian at ``u``, are used instead when they
      are within a factor 3 of those, so that its model values are reused;
    - otherwise differences of the cost values (:func:`~thetahat.derivatives.hesse.hesse`,
      steps from ``hgn``).

    Differencing values loses about κ · 1e-8 of relative accuracy in the covariance for a
    correlation matrix of condition number κ; when κ > 1e6 (e.g. polynomials of order
    >= 7) the Gauss-Newton matrix, which needs no differencing, is the better estimate and
    is used.
    """
    from ..derivatives.hesse_gradient import hesse_from_gradient
    from ..derivatives.hesse import HesseResult, from_matrix, hesse
    from ..derivatives.mn_gradient import optimal_steps
    hgn = np.asarray(hgn, float)
    if getattr(m._fcn, "has_grad", False) and m._grad is None:
        return hesse_from_gradient(lambda v: prob.fgh_int(v, m._fcn), u, m._errordef, hgn)
    r = None
    sigma = _sigma_ext(m, hgn, prob.jac_diag(u) if prob.limited else None) \
        if hasattr(m._fcn, "_observed") else None
    if sigma is not None:
        if steps is not None:
            ratio = steps[prob.idx] / (_REL_STEP * sigma)
            if not np.all((ratio > 1.0 / 3.0) & (ratio < 3.0)):
                steps = None
        if steps is None:
            steps = prob.ext_steps(u, _REL_STEP * sigma)
        out = None if steps is None else prob.observed_int(u, m._fcn, steps)
        if out is not None:
            _, g, hm = out
            r = from_matrix(hm, g, np.diag(hm), steps[prob.idx], 0)
    if r is None:
        step0 = optimal_steps(u, fval, np.diag(hgn), m._errordef, m._precision)
        r = hesse(prob, u, fval, m._options(None), step0=step0)
    if _scaled_cond(hgn) > 1e6:
        try:
            c = np.linalg.cholesky(hgn)
        except np.linalg.LinAlgError:
            return r
        ci = np.linalg.inv(c)
        return HesseResult(hgn, ci.T @ ci, r.grad, np.diag(hgn), r.gstep, r.nfcn, True,
                           False, False, "Gauss-Newton matrix (ill-conditioned problem)")
    return r


def _state_key(m: "Minuit") -> tuple:
    return (m._values.tobytes(), m._fixed.tobytes(), m._lower.tobytes(), m._upper.tobytes(),
            m._errordef, m._strategy)


def run_migrad(m: "Minuit", ncall: int | None, iterate: int) -> "Minuit":
    t0 = time.perf_counter()
    prob = m._problem()
    m._merrors.clear()
    m._hesse_key = None
    if prob.idx.size == 0:
        return _all_fixed(m, prob, "Migrad", t0)
    u0 = prob.off_stationary(prob.to_int(m._values), m._values, m._errors)
    s = solve(m, prob, u0, ncall, iterate)
    _finish(m, prob, "Migrad", s.u, s.fval, s.edm, s.hess_inv, dict(s.flags), t0)
    if s.flags.get("has_accurate_covar"):
        # MIGRAD ended with HESSE at this very point: a hesse() call now can reuse it
        m._hesse_key = _state_key(m)
    return m


def run_simplex(m: "Minuit", ncall: int | None) -> "Minuit":
    from ..solvers.simplex import simplex
    t0 = time.perf_counter()
    prob = m._problem()
    m._merrors.clear()
    if prob.idx.size == 0:
        return _all_fixed(m, prob, "Simplex", t0)
    u0 = prob.to_int(m._values)
    r = simplex(prob, u0, prob.steps_int(m._values, m._errors), m._options(ncall))
    flags = dict(has_reached_call_limit=r.has_reached_call_limit, is_valid=r.is_valid)
    return _finish(m, prob, "Simplex", r.x, r.fval, r.edm, None, flags, t0)


def run_scan(m: "Minuit", ncall: int | None) -> "Minuit":
    """Grid search over the free parameters: limits where finite, else value ± 2 errors."""
    t0 = time.perf_counter()
    prob = m._problem()
    m._merrors.clear()
    idx = prob.idx
    if idx.size == 0:
        return _all_fixed(m, prob, "Scan", t0)
    n = idx.size
    ncall = ncall or default_ncall(n)
    npoint = max(2, int(ncall ** (1.0 / n)))
    axes = []
    for i in idx:
        lo, hi = m._lower[i], m._upper[i]
        v, e = m._values[i], m._errors[i]
        a = lo if np.isfinite(lo) else v - 2 * e
        b = hi if np.isfinite(hi) else v + 2 * e
        axes.append(np.linspace(a, b, npoint))
    x = m._values.copy()
    best_x, best_f = x.copy(), prob.call_ext(x.copy())
    for point in itertools.product(*axes):
        x[idx] = point
        f = prob.call_ext(x.copy())
        if f < best_f:
            best_f, best_x = f, x.copy()
    m._values = best_x
    m._nfcn += prob.nfcn
    m._set_covariance(None)
    m._record("Scan", best_f, np.nan, m._nfcn, m._ngrad, {}, t0)
    return m


def run_hesse(m: "Minuit", ncall: int | None, keep_time: float | None = None) -> "Minuit":
    from ..derivatives.hesse import hesse
    t0 = time.perf_counter() if keep_time is None else keep_time
    if getattr(m, "_hesse_key", None) is not None and m._hesse_key == _state_key(m) \
            and m._fmin is not None and m._covariance is not None:
        m._print_summary()
        return m  # the covariance was computed by HESSE at this point with these settings
    prob = m._problem()
    if prob.idx.size == 0:
        return _all_fixed(m, prob, "Hesse", t0)
    u = prob.to_int(m._values)
    if hasattr(m._fcn, "_fisher") and m._grad is None:
        # forward differences with steps of _REL_STEP current errors, which the exact
        # Hessian can reuse when those errors are about right
        steps = prob.ext_steps(u, _REL_STEP * np.abs(m._errors[prob.idx])) \
            if hasattr(m._fcn, "_observed") else None
        fval, _, hgn = prob.fgh_int(u, m._fcn, steps)
        r = _hesse_from(m, prob, u, fval, hgn, steps)
    else:
        fval = prob(u)
        step0 = prob.steps_int(m._values, m._errors)
        r = hesse(prob, u, fval, m._options(ncall), step0=step0, max_nfcn=ncall)
    m._nfcn += prob.nfcn
    algorithm = m._fmin.algorithm if m._fmin is not None else "Hesse"
    if r.failed:
        flags = dict(hesse_failed=True, has_covariance=False)
        m._set_covariance(None)
        edm = m._fmin.edm if m._fmin is not None else np.nan
    else:
        flags = dict(has_covariance=True, has_posdef_covar=True,
                     has_made_posdef_covar=bool(r.made_posdef),
                     has_accurate_covar=not r.made_posdef)
        m._set_covariance(prob.cov_ext(u, 2.0 * m._errordef * r.hess_inv))
        g = np.asarray(r.grad, float)
        edm = float(0.5 * g @ r.hess_inv @ g)
    if m._fmin is not None:
        flags["has_reached_call_limit"] = m._fmin.has_reached_call_limit
    m._record(algorithm, fval, edm, m._nfcn, m._ngrad, flags, t0)
    m._hesse_key = _state_key(m) if not r.failed else None
    return m
