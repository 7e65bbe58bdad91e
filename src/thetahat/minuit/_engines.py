"""The engines of ``Minuit``: MIGRAD, HESSE, SIMPLEX and SCAN, state in, outcome out.

Each ``run_*`` takes a :class:`~._state.FitState` (a frozen snapshot of the facade),
builds the free-parameter :class:`~._problem.Problem`, calls a solver in internal
coordinates, maps the result back (values x = T(u), covariance C_ext = D C_int D with
C_int = 2 · errordef · H⁻¹) and returns an :class:`~._state.Outcome`, which the facade
applies to itself. Nothing here reads or writes the facade.

MIGRAD has two engines. A cost that exposes Gauss-Newton structure (``gauss_newton``) is
minimised by damped Gauss-Newton steps, ``(H + λ diag H) δ = -g``, where H is JᵀWJ for
least squares or the Fisher information of the prediction for likelihoods (FUMILI),
corrected near the minimum by a secant estimate of the residual terms
(:mod:`thetahat.solvers.gauss_newton`); with limits the step is taken in external
coordinates, where that model lives. The stopping rule is MINUIT's,
EDM = gᵀH⁻¹g / 2 < 0.002 · tol · errordef. Its final HESSE (strategy >= 1) is the exact
Hessian of the cost from central differences of the model vector
(:func:`thetahat.derivatives.model.observed_hessian`); the Gauss-Newton iterations take their
forward differences with the same steps (1e-3 standard deviations), so that the HESSE at
the last point reuses them and costs k + k(k-1)/2 model calls for k free parameters. If
that engine does not converge, or the cost is a plain function, the variable-metric
MIGRAD runs (from where the first engine stopped).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any, NamedTuple, cast

import numpy as np

from .. import _compiled
from .._core.linalg import spd_cond, spd_inverse, spd_solve
from .._core.rules import REFIT_TOL_SCALE, default_ncall, goal_of, is_above_max_edm
from .._core.warnings import DegenerateFitWarning, IMinuitWarning, warn_user
from ..cost._protocol import ExactHessianCost
from ..results import FMin
from ..solvers.migrad import MigradOptions, final_step, migrad
from ._problem import Problem, _as_float
from ._state import FitState, Outcome

__all__ = ["solve", "Solved", "run_migrad", "run_hesse", "run_simplex", "run_scan",
           "migrad_options"]


def migrad_options(st: FitState, ncall: int | None, iterate: int = 5) -> MigradOptions:
    """The settings of the variable-metric MIGRAD, HESSE and SIMPLEX for state ``st``."""
    return MigradOptions(errordef=st.errordef, tol=st.tol, strategy=st.strategy,
                         max_nfcn=ncall, precision=st.precision, grad=None, iterate=iterate)


def _inverse(h: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of a symmetric matrix and whether it is positive definite."""
    hinv = spd_inverse(h)
    if hinv is not None:
        return hinv, True
    return np.linalg.pinv(h), False


def _all_fixed(st: FitState, prob: Problem, algorithm: str) -> Outcome:
    """Nothing to vary: the cost at the current values."""
    fval = prob.call_ext(st.values.copy())
    return Outcome(algorithm, st.values.copy(), fval, 0.0, None, {}, prob.nfcn, prob.ngrad)


def _finish(st: FitState, prob: Problem, algorithm: str, u: np.ndarray, fval: float,
            edm: float, hess_inv: np.ndarray | None, flags: dict) -> Outcome:
    """The outcome of a solver that ended at internal values ``u``."""
    cov = None
    if hess_inv is not None and flags.get("has_covariance", False):
        cov = prob.cov_ext(u, 2.0 * st.errordef * hess_inv)
    if _looks_valid(st, algorithm, fval, edm, flags):
        _warn_made_posdef(st, prob, algorithm, flags, cov)
    return Outcome(algorithm, prob.to_ext(u), fval, edm, cov, flags, prob.nfcn, prob.ngrad)


def _looks_valid(st: FitState, algorithm: str, fval: float, edm: float, flags: dict) -> bool:
    """Whether the FMin will call the minimum valid (the warnings below are for those: an
    invalid minimum says so already)."""
    return bool(flags.get("is_valid", True) and np.isfinite(fval) and np.isfinite(edm)
                and not is_above_max_edm(edm, goal_of(algorithm, st.tol, st.errordef)))


def _warn_made_posdef(st: FitState, prob: Problem, algorithm: str, flags: dict,
                      cov: np.ndarray | None) -> None:
    """A covariance forced positive definite (a degenerate model, fewer data than
    parameters) is flagged in FMin; the warning says so where a user would miss the flag."""
    if not flags.get("has_made_posdef_covar"):
        return
    from ..derivatives.hesse import made_posdef_message
    names = [st.names[i] for i in prob.idx]
    sub = None if cov is None else cov[np.ix_(prob.idx, prob.idx)]
    ndata = getattr(st.fcn, "ndata", None)  # only for the message (Minuit.ndof's source)
    warn_user(f"{algorithm}: " + made_posdef_message(names, sub, ndata), IMinuitWarning)


_REL_STEP = 0.001  # HESSE difference steps of structured costs, in standard deviations


def _fisher_engine(st: FitState, prob: Problem, u0: np.ndarray, ncall: int | None,
                   tol_scale: float = 1.0, hesse_next: bool = False,
                   check_exact: bool = True, inverse: bool = True):
    """Gauss-Newton MIGRAD; returns (result flags, u, fval, edm, hess_inv) or None, and the
    solver's result.

    With ``hesse_next`` (a final HESSE follows) and a cost that can compute its exact
    Hessian, the forward differences of the model use steps of ``_REL_STEP`` standard
    deviations (from the previous point's matrix), so that the HESSE at the last point
    reuses them; ``r.steps`` are the external steps used at ``r.x`` (None otherwise).
    ``check_exact=False`` (refits, where no covariance is used) skips the test for an
    exactly quadratic cost; ``inverse=False`` (refits too) only tests that the final matrix
    is positive definite (the same Cholesky test) and returns no ``hess_inv``.
    """
    from ..solvers.gauss_newton import FisherOptions, minimize_fisher
    n = prob.idx.size
    goal = st.edm_goal * tol_scale
    opts = FisherOptions(tol_edm=goal, max_nfev=ncall or default_ncall(n))
    first: list = []
    cost = st.structured
    assert cost is not None  # this engine runs only for a structured cost
    share = hesse_next and st.exact_hessian and not cost.has_grad
    last: dict = {"sigma": None, "u": None, "steps": None}

    def fgh(u: np.ndarray) -> tuple:
        if not (check_exact or share):  # no first matrix to keep, no steps to share
            return prob.fgh_int(u, cost)
        if not share:
            out = prob.fgh_int(u, cost)
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
        out = prob.fgh_int(u, cost, steps, x, d)
        if not first:
            first.append(out[2])
        sigma = _sigma_ext(st.errordef, out[2], d)
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
    if not (r.converged and math.isfinite(r.fval) and math.isfinite(np.add.reduce(r.x))):
        return None, r
    if not inverse:
        hm = np.asarray(r.hess, float)
        if spd_solve(hm, np.asarray(r.grad, float)) is None:  # not positive definite
            return None, r
        return (dict(has_covariance=True, has_accurate_covar=False, has_posdef_covar=True),
                r.x, float(r.fval), float(r.edm), None), r
    hinv, posdef = _inverse(np.asarray(r.hess, float))
    if not posdef:
        return None, r
    exact = check_exact and _linear_least_squares(st, prob, u0, r.x, first[0], r.hess, hinv)
    flags = dict(has_covariance=True, has_accurate_covar=True, has_posdef_covar=True,
                 exact_quadratic=exact)
    return (flags, r.x, float(r.fval), float(r.edm), hinv), r


def _sigma_ext(errordef: float, hgn: np.ndarray, d: np.ndarray | None) -> np.ndarray | None:
    """Scale of each free parameter for difference steps: its conditional standard
    deviation sqrt(2 · errordef / H_ii) (the curvature along its own axis, which is what a
    difference along that axis sees), mapped to external coordinates with d = dx/du (None:
    no limits); None if a diagonal element is not positive."""
    hd = hgn.diagonal()
    if not (hd > 0).all():
        return None
    sigma = np.sqrt((2.0 * errordef) / hd)
    return sigma if d is None else sigma * np.abs(d)


def _linear_least_squares(st: FitState, prob: Problem, u0: np.ndarray, u1: np.ndarray,
                          h0: np.ndarray, h1: np.ndarray, hinv: np.ndarray) -> bool:
    """Whether χ² is exactly quadratic, so that 2 JᵀWJ is its Hessian and HESSE is moot.

    For a cost that is a sum of squares (``is_sum_of_squares``: least squares with the
    linear loss) and no limits, H(p) = 2 JᵀWJ + 2 Σ w r ∇²f
    is constant iff the model is linear in its parameters. We accept that when the
    Gauss-Newton matrices at the start and at the minimum agree to 1e-7 relative after a
    move of at least one standard deviation in some parameter (so the two points differ).
    """
    assert st.structured is not None  # called after the structured engine only
    if not st.structured.is_sum_of_squares or prob.limited:
        return False
    du = np.asarray(u1) - np.asarray(u0)
    if not (du * du > 2.0 * st.errordef * hinv.diagonal()).any():
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


def solve(st: FitState, prob: Problem, u0: np.ndarray, ncall: int | None,
          iterate: int = 5, refit: bool = False, steps: np.ndarray | None = None,
          refit_tol_scale: float = REFIT_TOL_SCALE) -> Solved:
    """Minimise ``prob`` from ``u0`` with the engine that suits the cost (module docstring).

    ``refit=True`` is the conditional minimisation inside MINOS, profiles and contours:
    only the minimum value and position matter there, so no final HESSE is run (strategy 0
    for the variable-metric engine) and the EDM goal is 100 times tighter, which keeps the
    profiled cost accurate to ~2e-6 · errordef. ``steps`` (external, all parameters;
    default the errors) start the variable-metric engine's numerical gradient;
    ``refit_tol_scale`` is the refit's EDM goal relative to MIGRAD's.
    """
    tol_scale = refit_tol_scale if refit else 1.0
    if st.structured is not None:
        out, r = _fisher_engine(st, prob, u0, ncall, tol_scale,
                                hesse_next=st.strategy >= 1 and not refit,
                                check_exact=not refit, inverse=not refit)
        if out is not None:
            flags, u, fval, edm, hinv = out
            if refit:  # only the minimum matters (and the covariance is not accurate)
                return Solved(np.asarray(u, float), fval, edm, hinv, flags)
            flags["gauss_newton"] = np.asarray(r.hess, float)  # for run_migrad's test
            u = np.asarray(u, float)
            exact = flags.pop("exact_quadratic", False)
            if not refit:
                # the last Gauss-Newton step, which the EDM goal stopped short of; F alone
                # through gauss_newton (one call) when the Jacobian is analytic: a user's
                # class (the protocol) need not take an array
                cost = st.structured
                value = (lambda v: prob.fgh_int(v, cost)[0]) if cost.has_grad else prob
                u1, fval, edm = final_step(value, u, fval, np.asarray(r.grad, float), hinv,
                                           edm, st.precision)
                moved, u = u1 is not u, u1
            if st.strategy >= 1 and not exact and not refit:
                # second derivatives, as MIGRAD's final HESSE (at the final point, so the
                # EDM is measured there): the Gauss-Newton matrix omits the residual terms
                h = _hesse_from(st, prob, u, fval, r.hess, None if moved else r.steps)
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
    step0 = prob.steps_int(prob.to_ext(u0), st.errors if steps is None else steps)
    opts = migrad_options(st, None if ncall is None else max(ncall - prob.nfcn, 1), iterate)
    if refit:
        opts.strategy = 0
        opts.tol = st.tol * tol_scale
    if st.grad is not None:
        opts.grad = prob.grad_int
        if st.g2 is not None and st.hessian is None:
            g2_fn = st.g2
            opts.g2 = lambda u, g: prob.g2_int(g2_fn, u, g)
    r = _migrad_on(prob, u0, step0, opts)
    flags = dict(has_covariance=r.has_covariance, has_accurate_covar=r.has_accurate_covar,
                 has_posdef_covar=r.has_posdef_covar,
                 has_made_posdef_covar=r.has_made_posdef_covar,
                 has_reached_call_limit=r.has_reached_call_limit, hesse_failed=r.hesse_failed,
                 is_valid=r.is_valid, hesse_at_x=r.hesse_at_x, flat=r.flat)
    return Solved(np.asarray(r.x, float), float(r.fval), float(r.edm), r.hess_inv, flags)


def _migrad_on(prob: Problem, u0: np.ndarray, step0: np.ndarray, opts: MigradOptions):
    """The variable-metric MIGRAD on ``prob``; without an analytic gradient and with the
    compiled core, on its C twin of ``prob`` (``Cost``: the same transforms, calls and
    errors, without a Python frame per call)."""
    migradcore = _compiled.migradcore  # read here: the tests switch it off
    if migradcore is None or opts.grad is not None or prob.throw_nan:
        return migrad(prob, u0, step0, opts)
    cost = migradcore.Cost(prob.fcn, prob.full, prob.idx.tolist(), prob.lo, prob.hi,
                           prob.array_call, _as_float, prob.reraise)
    try:
        return migrad(cost, u0, step0, opts)
    finally:
        prob.nfcn += cost.n


def _scaled_cond(h: np.ndarray) -> float:
    """Condition number of h scaled to a unit diagonal (the correlation matrix's, up to
    the factor n between the 1- and 2-norm estimates); inf if not positive definite."""
    d = np.sqrt(np.abs(h.diagonal()))
    d[d == 0] = 1.0
    return spd_cond(h / (d[:, None] * d))


def _hesse_from(st: FitState, prob: Problem, u: np.ndarray, fval: float, hgn: np.ndarray,
                steps: np.ndarray | None = None) -> Any:
    """HESSE at ``u`` for a cost with Gauss-Newton matrix ``hgn`` (internal coordinates).

    Three ways, best first:

    - analytic parameter gradients: the cost's own gradient is differenced
      (:func:`~thetahat.derivatives.hesse_gradient.hesse_from_gradient`);
    - a cost that is a loss of a model vector (``exact_hessian``): the exact Hessian from
      central differences of the model vector with steps of ``_REL_STEP`` standard
      deviations (:func:`thetahat.derivatives.model.observed_hessian`); ``steps``, the external
      steps of the last forward-difference Jacobian at ``u``, are used instead when they
      are within a factor 3 of those, so that its model values are reused;
    - otherwise differences of the cost values (:func:`~thetahat.derivatives.hesse.hesse`,
      steps from ``hgn``).

    Differencing values loses about κ · 1e-8 of relative accuracy in the covariance for a
    correlation matrix of condition number κ; when κ > 1e6 (e.g. polynomials of order
    >= 7) the Gauss-Newton matrix, which needs no differencing, is the better estimate and
    is used.
    """
    from ..derivatives.hesse import HesseResult, from_matrix, hesse, make_posdef
    from ..derivatives.hesse_gradient import hesse_from_gradient
    from ..derivatives.mn_gradient import optimal_steps
    hgn = np.asarray(hgn, float)
    cost = st.structured
    assert cost is not None  # called after the structured engine only
    if cost.has_grad:
        return hesse_from_gradient(lambda v: prob.fgh_int(v, cost), u, st.errordef, hgn)
    r = None
    sigma = _sigma_ext(st.errordef, hgn, prob.jac_diag(u) if prob.limited else None) \
        if st.exact_hessian else None
    if sigma is not None:
        if steps is not None:
            ratio = steps[prob.idx] / (_REL_STEP * sigma)
            if not np.all((ratio > 1.0 / 3.0) & (ratio < 3.0)):
                steps = None
        if steps is None:
            steps = prob.ext_steps(u, _REL_STEP * sigma)
        if steps is not None:
            # st.exact_hessian: the cost is an ExactHessianCost (checked once, _state.py)
            out = prob.observed_int(u, cast(ExactHessianCost, cost), steps)
            if out is not None:
                _, g, hm = out
                r = from_matrix(hm, g, np.diag(hm), steps[prob.idx], 0)
    if r is None:
        step0 = optimal_steps(u, fval, np.diag(hgn), st.errordef, st.precision)
        r = hesse(prob, u, fval, migrad_options(st, None), step0=step0)
    if _scaled_cond(hgn) > 1e6:
        # only a Gauss-Newton matrix positive definite within its precision (the test of
        # make_posdef) replaces the differences: a singular one (a degenerate model) can
        # pass a bare Cholesky by rounding
        if make_posdef(hgn)[1]:
            return r
        try:
            c = np.linalg.cholesky(hgn)
        except np.linalg.LinAlgError:
            return r
        ci = np.linalg.inv(c)
        return HesseResult(hgn, ci.T @ ci, r.grad, np.diag(hgn), r.gstep, r.nfcn, True,
                           False, False, "Gauss-Newton matrix (ill-conditioned problem)")
    return r


def _forced_if_degenerate(st: FitState, prob: Problem, u: np.ndarray, fval: float,
                          hgn: np.ndarray, hess_inv: np.ndarray) -> np.ndarray | None:
    """For a structured cost whose Gauss-Newton matrix ``hgn`` is singular up to rounding
    (:func:`~thetahat.cost._diagnose.degenerate_diagnosis`, with a warning naming the
    parameters): the inverse of the Hessian forced positive definite, as for a singular
    one (it is, in exact arithmetic); None for a determined fit."""
    from ..cost._diagnose import degenerate_diagnosis, gauss_newton_residuals
    from ..derivatives.hesse import make_posdef
    cost = st.structured
    assert cost is not None
    x = prob.to_ext(u)
    msg = degenerate_diagnosis(hgn, x[prob.idx], prob.jac_diag(u), fval, cost.has_grad,
                               [st.names[i] for i in prob.idx], prob.lo, prob.hi,
                               gauss_newton_residuals(cost, x, prob.idx))
    if msg is None:
        return None
    warn_user(msg, DegenerateFitWarning)
    h = np.linalg.inv(hess_inv)
    d = np.sqrt(np.abs(np.diag(h)))
    lmin = abs(float(np.linalg.eigvalsh(h / np.outer(d, d))[0]))
    return np.linalg.inv(make_posdef(0.5 * (h + h.T), 2.0 * lmin + 1e-300)[0])


def run_migrad(st: FitState, ncall: int | None, iterate: int) -> Outcome:
    """MIGRAD from the state's values (module docstring)."""
    prob = st.problem()
    if prob.idx.size == 0:
        return _all_fixed(st, prob, "Migrad")
    u0 = prob.off_stationary(prob.to_int(st.values), st.values, st.errors)
    s = solve(st, prob, u0, ncall, iterate)
    flags = dict(s.flags)
    at_x = flags.pop("hesse_at_x", True)  # False: MIGRAD's final step moved after HESSE
    flags.pop("flat", None)  # reported to profiles only (make_refit)
    hess_inv = s.hess_inv
    hgn = flags.pop("gauss_newton", None)  # at the last Gauss-Newton point, if any
    if st.structured is not None and hess_inv is not None and flags.get("has_covariance") \
            and not flags.get("has_made_posdef_covar"):
        forced = _forced_if_degenerate(st, prob, s.u, s.fval, prob.fgh_int(
            s.u, st.structured)[2] if hgn is None else hgn, hess_inv)
        if forced is not None:
            hess_inv = forced
            flags.update(has_made_posdef_covar=True, has_posdef_covar=False,
                         has_accurate_covar=False)
    out = _finish(st, prob, "Migrad", s.u, s.fval, s.edm, hess_inv, flags)
    out.degenerate = hess_inv is not s.hess_inv
    _diagnose(st, out)
    # MIGRAD ended with HESSE at this very point: a hesse() call now can reuse it
    out.hesse_at_values = bool(flags.get("has_accurate_covar")) and at_x
    return out


def _diagnose(st: FitState, out: Outcome) -> None:
    """A cost that can say why its minimum is not to be trusted (a likelihood without an
    interior maximum, events with pdf <= 0: ``DiagnosedCost``) makes it invalid, with a
    warning: the minimizer converged, so a user would read only the flag otherwise. A
    minimum already invalid for another reason (an EDM above its goal as the width runs
    away) is diagnosed too: its covariance is not accurate either, and the reason is what
    the user needs to read."""
    # the protocol's one member, looked up directly: a runtime-checkable isinstance costs
    # ~15 us, a tenth of a small fit
    diagnose = getattr(st.fcn, "diagnose", None)
    if not (callable(diagnose) and np.isfinite(out.fval)):
        return
    reasons = diagnose(out.values, ~st.fixed)
    if reasons:
        out.flags.update(is_valid=False, has_accurate_covar=False)
        warn_user(f"{out.algorithm}: the minimum is not valid: " + "; ".join(reasons),
                  IMinuitWarning)


def run_simplex(st: FitState, ncall: int | None) -> Outcome:
    """MINUIT's SIMPLEX from the state's values."""
    from ..solvers.simplex import simplex
    prob = st.problem()
    if prob.idx.size == 0:
        return _all_fixed(st, prob, "Simplex")
    u0 = prob.to_int(st.values)
    r = simplex(prob, u0, prob.steps_int(st.values, st.errors), migrad_options(st, ncall))
    flags = dict(has_reached_call_limit=r.has_reached_call_limit, is_valid=r.is_valid)
    return _finish(st, prob, "Simplex", r.x, r.fval, r.edm, None, flags)


def run_scan(st: FitState, ncall: int | None) -> Outcome:
    """Grid search over the free parameters: limits where finite, else value ± error, with
    max(2, ⌊ncall^(1/n)⌋) points per axis (iminuit's hypercube); then the EDM and errors
    from a strategy-0 HESSE at the best point (no covariance is kept, as iminuit). A grid
    point where the cost raises OverflowError has infinite cost (as in MIGRAD)."""
    prob = st.problem()
    idx = prob.idx
    if idx.size == 0:
        raise RuntimeError("all parameters are fixed: there is nothing to scan")
    n = idx.size
    ncall = ncall or default_ncall(n)
    npoint = max(2, int(ncall ** (1.0 / n)))
    axes = []
    for i in idx:
        lo, hi = st.lower[i], st.upper[i]
        v, e = st.values[i], st.errors[i]
        a = lo if np.isfinite(lo) else v - e
        b = hi if np.isfinite(hi) else v + e
        axes.append(np.linspace(a, b, npoint))
    x = st.values.copy()
    best_x, best_f = x.copy(), prob.call_ext(x.copy())  # the start: its errors propagate
    for point in itertools.product(*axes):
        x[idx] = point
        try:
            f = prob.call_ext(x.copy())
        except OverflowError:  # a grid point of infinite cost (MIGRAD's rule, _Counted)
            continue
        if f < best_f:
            best_f, best_x = f, x.copy()
    h = run_hesse(dataclasses.replace(st, values=best_x, strategy=0), None, None)
    errors = None
    if h.covariance is not None:
        errors = np.sqrt(np.clip(np.diag(h.covariance), 0.0, None))
    out = Outcome("Scan", best_x, best_f, h.edm, None, {}, prob.nfcn + h.nfcn,
                  prob.ngrad + h.ngrad)
    out.errors = errors
    return out


def run_hesse(st: FitState, ncall: int | None, previous: FMin | None) -> Outcome:
    """HESSE at the state's values; ``previous`` is the last minimum, whose algorithm,
    EDM (if HESSE fails) and call-limit flag the outcome carries on."""
    from ..derivatives.hesse import hesse
    prob = st.problem()
    if prob.idx.size == 0:
        return _all_fixed(st, prob, "External")
    u = prob.to_int(st.values)
    if st.structured is not None:
        # forward differences with steps of _REL_STEP current errors, which the exact
        # Hessian can reuse when those errors are about right
        steps = prob.ext_steps(u, _REL_STEP * np.abs(st.errors[prob.idx])) \
            if st.exact_hessian else None
        fval, _, hgn = prob.fgh_int(u, st.structured, steps)
        r = _hesse_from(st, prob, u, fval, hgn, steps)
        if not (r.failed or r.made_posdef):
            forced = _forced_if_degenerate(st, prob, u, fval, hgn, r.hess_inv)
            if forced is not None:
                r = dataclasses.replace(r, hess_inv=forced, made_posdef=True)
    else:
        fval = prob(u)
        step0 = prob.steps_int(st.values, st.errors)
        r = hesse(prob, u, fval, migrad_options(st, ncall), step0=step0, max_nfcn=ncall)
    algorithm = previous.algorithm if previous is not None else "External"
    if r.failed:
        flags = dict(hesse_failed=True, has_covariance=False)
        cov = None
        edm = previous.edm if previous is not None else np.nan
    else:
        flags = dict(has_covariance=True, has_posdef_covar=True,
                     has_made_posdef_covar=bool(r.made_posdef),
                     has_accurate_covar=not r.made_posdef)
        cov = prob.cov_ext(u, 2.0 * st.errordef * r.hess_inv)
        if previous is not None and previous.is_valid:  # else: no minimum to judge
            _warn_made_posdef(st, prob, "HESSE", flags, cov)
        g = np.asarray(r.grad, float)
        edm = float(0.5 * g @ r.hess_inv @ g)
    if previous is not None:
        flags["has_reached_call_limit"] = previous.has_reached_call_limit
    out = Outcome(algorithm, st.values.copy(), fval, edm, cov, flags, prob.nfcn, prob.ngrad,
                  hesse_at_values=not r.failed)
    if previous is not None:
        _diagnose(st, out)  # HESSE renews the FMin: the minimum stays what it was
    return out
