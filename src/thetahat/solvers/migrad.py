"""MIGRAD: variable-metric minimization with MINUIT's stopping rule.

The method (Davidon 1959; Fletcher & Powell 1963; F. James, MINUIT Reference Manual;
F. James & M. Winkler, Minuit2 User's Guide):

- keep V ≈ H⁻¹, an approximation of the inverse of the matrix of second derivatives;
- seed: the gradient g and second derivatives g2 from :mod:`.mn_gradient` (with the step
  tuning cycles of the strategy), V₀ = diag(1 / g2) (strategy 2: the inverse of the full
  HESSE matrix); with an analytic gradient g2 still comes from one numerical pass, unless
  the user's g2 is given;
- at x with gradient g, step along p = -V g with a line search on φ(α) = F(x + α p):
  try α = 1; if F does not fall by at least 10⁻⁴ α |gᵀp|, fit a parabola through φ(0),
  φ'(0) = gᵀp and the last trial and move to its minimum (kept within [0.05, 0.5] of the
  last trial, at most 8 trials); once a trial α is accepted, if the parabola through
  φ(0), φ'(0), φ(α) puts the minimum outside [0.8 α, 1.25 α] (V poor along p), one more
  trial there (at most 4 α), kept if lower (these constants were tuned on quadratic bowls,
  Rosenbrock and Moré–Garbow–Hillstrom problems against iminuit's call counts);
- where φ shows no positive curvature (the parabola has none), extrapolate α by 4 while F
  falls (at most 3 times);
- update V with the BFGS formula (s = Δx, y = Δg, used only when sᵀy > 0; otherwise V is
  scaled by the accepted α when α > 1)

      V ← V + (1 + yᵀVy / sᵀy) ssᵀ / sᵀy - (s yᵀV + V y sᵀ) / sᵀy;

- stop when the estimated distance to the minimum EDM = gᵀ V g / 2 falls below
  goal = 0.002 · tol · errordef (tol is at least 2⁻²⁴, as in iminuit);
  the iteration also ends when two line searches in a row find no lower point.

At convergence, strategies 1 and 2 run HESSE (:mod:`thetahat.derivatives.hesse`, reusing
the last gradient's function values) and replace V by the inverse of the computed
second-derivative matrix. If the EDM computed with it is above the goal, or HESSE had to
force the matrix positive definite (or HESSE failed: then from the diagonal metric), the
iteration resumes from there, up to ``iterate`` times in all. When the iterations after a
HESSE changed its matrix by less than 5 % (in units of sqrt(V_ii V_jj), MINUIT's DCOVAR),
it is kept as accurate without another HESSE (for a quadratic F the BFGS update leaves an
exact H⁻¹ unchanged), unless HESSE had forced that matrix positive definite: it was not
accurate to begin with (a saddle, a flat direction). At a saddle point (negative
curvature) MIGRAD first steps downhill along the direction of most negative curvature
(``_escape``). The call limit defaults to MINUIT's 200 + 100 n + 5 n².

F unbounded below (e.g. -x², started anywhere): along a concave direction no BFGS update
is possible (sᵀy <= 0) and V is scaled by α, so each step is up to 4096 times longer than
the last. Three such steps in a row, each accepted at the line search's farthest
extrapolation with F still falling, end MIGRAD there with ``unbounded`` set and the
minimum invalid (no HESSE, no final step): the next steps would overflow the user's
arithmetic (iminuit stops on such functions with an invalid minimum too).

Once the EDM goal is met, the step p = -V g that the metric predicts to lower F by EDM is
taken (one call, kept if F falls; :func:`final_step`): it is the step MINUIT stops short
of, and it lands within the third-order terms of the minimum instead of just inside the
goal; the EDM then reported is |EDM - Δ| with Δ the decrease found. At strategy 0, where
V is only the variable-metric estimate, the gradient at the new point is measured, V
updated, and one more such step follows. HESSE's V stays the matrix at the final point
(``hesse_at_x``, so that a ``hesse()`` call right after MIGRAD reuses it) when that step
was negligible for it: with pᵀV⁻¹p = gᵀVg = 2 EDM, each |p_i| ≤ σ_i √(EDM / errordef)
(σ_i² = 2 errordef V_ii), so a step of EDM ≤ ``HESSE_LAG_EDM`` errordef = 1e-12 errordef
moved no parameter by more than 1e-6 of its error, and V by no more than that relative to
its change over one error: below the rounding of HESSE's own differences.

Status, as iminuit's ``FMin``: ``is_above_max_edm`` when the final EDM exceeds 10 × goal;
``is_valid`` when neither that, nor the call limit, nor a HESSE failure occurred, F is
finite, and the second-derivative matrix has no negative curvature (one forced positive
definite because it is singular, a flat direction, leaves the minimum valid, as iminuit).
``flat`` reports a cost that does not change along any parameter at the start.

Non-finite function values are treated as larger than any finite value: a line-search
trial that returns one is rejected and its step shortened 20-fold (the limit of the
parabola rule above as F → ∞: its minimum tends to α = 0, clipped at 0.05 of the trial;
halving instead takes ~37 calls to come back from a step 10¹¹ times too long, which a
metric seeded where F is nearly flat, e.g. F = eᵃ - 2a from a = -30, produces). An
OverflowError raised by the function at a point MIGRAD chose (Python's floats raise it
where numpy returns inf: a ``math.exp`` of a trial step far out) is such a value, +inf;
at the start, and any other exception, it propagates.

The compiled core (:data:`thetahat._compiled.migradcore`, ``_migrad.c``) runs all of the
above after the first call in C for a cost without an analytic gradient (the call
counting, the numerical gradient, the iterations, HESSE and its positive-definite check,
the final step), step for step as the Python code here, which is its documented twin
(``THETAHAT_COMPILED=0`` selects it); the rare branches (a matrix forced positive
definite, the saddle escape) call back into this module. With an analytic gradient the
Python loop runs, on the compiled numerical gradient and HESSE.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._compiled import migradcore
from .._core.rules import default_ncall, edm_goal
from .._core.warnings import IMinuitWarning, warn_user
from ..derivatives.hesse import _CYCLES, _G2TOL, from_matrix, hesse
from ..derivatives.mn_gradient import CYCLES, STEP_RATIO, GradState, _eps, gradient_full
from ._migrad_steps import (
    _EPS,
    _bfgs,
    _dcovar,
    _diag_metric,
    _escape,
    _line_search,
    _negative_curvature,
    final_step,
)

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["MigradOptions", "MigradResult", "migrad", "final_step"]

# F unbounded below: _UNBOUNDED_RUNS steps in a row at the line search's farthest
# extrapolation (4³ times the step V predicts), F concave along each (_mn_steps.h: same)
_UNBOUNDED_ALPHA, _UNBOUNDED_RUNS = 64.0, 3
HESSE_LAG_EDM = 1e-12  # final step below this EDM / errordef: V stays HESSE's at x (above)
_UNBOUNDED_MESSAGE = "no minimum: F falls without bound along ever longer concave steps"


@dataclass
class MigradOptions:
    """Settings of MIGRAD (HESSE and SIMPLEX read the same fields).

    Attributes
    ----------
    errordef : float
        Change of F that defines one standard deviation (1 for χ², 0.5 for -ln L).
    tol : float
        EDM goal = 0.002 · tol · errordef.
    strategy : int
        0, 1, 2: effort spent on derivatives, as MINUIT's STRATEGY.
    max_nfcn : int or None
        Call limit; None: 200 + 100 n + 5 n².
    precision : float or None
        Relative precision of F; None: double precision.
    grad : callable or None
        Analytic gradient ``grad(x) -> (n,)`` in internal coordinates.
    iterate : int
        How often MIGRAD may resume after a check with HESSE finds the minimum invalid.
    g2 : callable or None
        Analytic second derivatives ``g2(x, g) -> (n,)`` (the diagonal of the Hessian, in
        internal coordinates, given the gradient ``g`` at ``x``); with ``grad``, they seed
        the metric instead of a numerical pass.
    """

    errordef: float = 1.0
    tol: float = 0.1
    strategy: int = 1
    max_nfcn: int | None = None
    precision: float | None = None
    grad: Callable | None = None
    iterate: int = 5
    g2: Callable | None = None


@dataclass
class MigradResult:
    """Minimum found by MIGRAD (or SIMPLEX), in internal coordinates, with iminuit's flags.

    ``hess_inv`` is the inverse of the second-derivative matrix of F; the covariance of
    the parameters is 2 · errordef · hess_inv.
    """

    x: NDArray
    fval: float
    edm: float
    grad: NDArray
    hess_inv: NDArray
    nfcn: int
    ngrad: int
    niter: int
    is_valid: bool
    is_above_max_edm: bool
    has_reached_call_limit: bool
    has_covariance: bool
    has_accurate_covar: bool
    has_posdef_covar: bool
    has_made_posdef_covar: bool
    hesse_failed: bool
    message: str
    hesse_at_x: bool = True  # False: the final step moved x after HESSE computed hess_inv
    flat: bool = False  # F did not change along any parameter at the start
    unbounded: bool = False  # F fell along ever longer concave steps: no minimum found


class _Limit(Exception):
    pass


class _Counted:
    """Wraps fcn: counts calls, maps NaN to +inf, raises _Limit when the budget is spent.

    An OverflowError raised by fcn (Python's float arithmetic, ``math.exp``, raises it
    where numpy returns inf) at any call but the first, the start that the caller
    evaluates first, is a trial point of infinite cost: +inf, as a non-finite value."""

    __slots__ = ("fcn", "limit", "n")

    def __init__(self, fcn: Callable[[NDArray], float], limit: int) -> None:
        self.fcn = fcn
        self.limit = limit
        self.n = 0

    def __call__(self, x: NDArray) -> float:
        if self.n >= self.limit:
            raise _Limit
        self.n += 1
        try:
            v = float(self.fcn(x))
        except OverflowError:
            if self.n == 1:
                raise  # at the start: the user's own point
            return np.inf
        return v if v == v else np.inf


def _counted(fcn: Callable[[NDArray], float], limit: int, x: NDArray) -> Any:
    """The call counter of ``fcn``: compiled when the core is there, else :class:`_Counted`."""
    if migradcore is not None:
        return migradcore.Counted(fcn, limit, _Limit, x)
    return _Counted(fcn, limit)


def _check(x0: NDArray, step0: NDArray, options: MigradOptions) -> tuple[NDArray, NDArray]:
    x = np.array(x0, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("x0 must have at least one element")
    # a finite sum proves every element finite (one reduction: this runs at every refit)
    if not math.isfinite(np.add.reduce(x)) and not np.isfinite(x).all():
        bad = np.flatnonzero(~np.isfinite(x))
        raise ValueError(f"x0[{bad[0]}] must be finite, got {x[bad[0]]!r}")
    s = np.abs(np.asarray(step0, dtype=float))
    if s.shape != x.shape:
        s = np.array(np.broadcast_to(s, x.shape))
    if not (np.minimum.reduce(s) > 0 and math.isfinite(np.add.reduce(s))):
        s = np.where(np.isfinite(s) & (s > 0), s, 0.1)
    if not options.errordef > 0:
        raise ValueError(f"errordef must be positive, got {options.errordef!r}")
    if not options.tol >= 0:
        raise ValueError(f"tol must be non-negative, got {options.tol!r}")
    if options.strategy not in (0, 1, 2):
        raise ValueError(f"strategy must be 0, 1 or 2, got {options.strategy!r}")
    return x, s


def _finite_neighbour(f: Callable[[NDArray], float], x: NDArray, step: NDArray
                      ) -> tuple[NDArray, float]:
    """The lowest finite of F(x ± step_i e_i), i = 1..n, and of F(x ± step) (all at once:
    a singular plane such as x y = 0 is left only that way), 2n + 2 calls at most, with
    its point; ``(x, inf)`` when none is finite. An exception of the cost other than
    OverflowError propagates, as at the start."""
    best, fbest = x, math.inf
    trials = [(i, sign) for i in range(x.size) for sign in (1.0, -1.0)]
    if x.size > 1:
        trials += [(-1, 1.0), (-1, -1.0)]
    for i, sign in trials:
        xt = x.copy()
        if i < 0:
            xt += sign * step
        else:
            xt[i] += sign * step[i]
        try:
            ft = float(f(xt))
        except OverflowError:
            continue
        if math.isfinite(ft) and ft < fbest:
            best, fbest = xt, ft
    return best, fbest


def migrad(fcn: Callable[[NDArray], float], x0: NDArray, step0: NDArray,
           options: MigradOptions) -> MigradResult:
    """Minimize ``fcn`` from ``x0`` (internal coordinates) by MIGRAD (module docstring).

    Parameters
    ----------
    fcn : callable
        ``fcn(x) -> float``; non-finite values count as very large.
    x0 : ndarray, shape (n,)
        Start.
    step0 : ndarray, shape (n,)
        Initial steps (about one standard deviation), e.g. from the user's errors.
    options : MigradOptions

    Returns
    -------
    MigradResult

    Examples
    --------
    >>> import numpy as np
    >>> r = migrad(lambda x: (x[0] - 1) ** 2 + 4 * x[1] ** 2, np.zeros(2), np.ones(2),
    ...            MigradOptions())
    >>> np.round(r.x, 4) + 0.0, r.is_valid, np.round(2 * r.hess_inv, 4) + 0.0
    (array([1., 0.]), True, array([[1.  , 0.  ],
           [0.  , 0.25]]))
    """
    x, step = _check(x0, step0, options)
    n = x.size
    errordef = float(options.errordef)
    goal = edm_goal(options.tol, errordef)
    strategy = int(options.strategy)
    f = _counted(fcn, int(options.max_nfcn or default_ncall(n)), x)
    prec = options.precision
    agrad = options.grad
    ngrad = 0
    niter = 0
    fval = np.inf
    g = np.zeros(n)
    v = np.zeros((n, n))
    v.flat[::n + 1] = step * step / (2.0 * errordef)  # diag(step² / 2 errordef)
    edm = np.inf
    state: GradState  # set after the compiled branch
    hesse_failed = made_posdef = accurate = moved = saddle = flat = unbounded = False
    call_limit = False
    message = "ok"

    def gradient(x: NDArray, fval: float, cycles: int) -> NDArray:
        nonlocal state, ngrad
        if agrad is not None:
            ngrad += 1
            gg = np.asarray(agrad(x), dtype=float).reshape(n)
            state = GradState(gstep=state.gstep, g2=state.g2)
            return gg
        gg, _, state, _ = gradient_full(f, x, fval, state, errordef, prec, strategy, cycles)
        return gg

    try:
        fval = f(x)
        if not math.isfinite(fval):
            # a start on a singular point (1/x at 0, log of 0): as MINUIT, which steps
            # away, begin at the best finite point one initial step along each parameter
            xn, fn = _finite_neighbour(f, x, step)
            if math.isfinite(fn):
                x, fval = xn, fn
        if not math.isfinite(fval):
            warn_user("MIGRAD: the cost is not finite at the starting values, nor one "
                      "initial step away along any parameter: no minimisation was done",
                      IMinuitWarning)
            return _result(x, fval, np.inf, g, v, f.n, ngrad, 0, call_limit=False,
                           goal=goal, has_cov=False, accurate=False, made=False,
                           hfail=False, message="the function is not finite at the start")
        if migradcore is not None and agrad is None:
            return _migrad_compiled(f, x, fval, step, g, v, options, goal)
        state = GradState(gstep=step, g2=np.zeros(n))
        # ---- seed ----
        if agrad is not None and options.g2 is not None:
            # the user's second derivatives seed the metric: no numerical pass
            g = gradient(x, fval, 1)
            state = GradState(gstep=step, g2=np.asarray(options.g2(x, g), float).reshape(n))
        elif agrad is not None:
            # curvature for the first metric, at every strategy: a metric guessed from the
            # starting steps alone makes the EDM meaningless (it can claim convergence at
            # the start), so MINUIT seeds it numerically with an analytic gradient too
            _, _, state, _ = gradient_full(f, x, fval, state, errordef, prec, strategy, 1)
            g = gradient(x, fval, 1)
        else:
            g, _, state, _ = gradient_full(f, x, fval, state, errordef, prec, strategy,
                                           CYCLES.get(strategy, 3),
                                           sigma_frac=0.5 if strategy < 2 else 0.0)
        # F does not change along any parameter at the start: the minimum is undetermined
        # (reported as ``flat``; at strategy 0 no HESSE notices, and such a fit stays valid
        # as iminuit's, but profiles warn for such costs as iminuit's do)
        flat = bool(np.all(state.g2 == 0) and np.all(g == 0))
        v = _diag_metric(state.g2, state.gstep, errordef)
        if strategy >= 2:
            h = hesse(f, x, fval, options, step0=state.gstep, max_nfcn=1 << 62,
                      known=state)
            if not h.failed:
                v = h.hess_inv
                state = GradState(gstep=h.gstep, g2=h.g2)
        edm = float(0.5 * g @ v @ g)
        attempts = 0
        v_hesse = None

        def current_state() -> GradState:
            # the live state: gradient() updates it while _iterate runs
            return state

        while True:
            cur = _Point(x, fval, g, v)
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    niter += _iterate(f, gradient, cur, goal, current_state, errordef)
            finally:
                x, fval, g, v = cur.x, cur.fval, cur.g, cur.v
                edm = float(0.5 * g @ v @ g)
            attempts += 1
            if cur.unbounded:
                unbounded = True
                break
            if strategy == 0:
                break
            if v_hesse is not None and edm < goal \
                    and min(cur.dcov(), _dcovar(v, v_hesse)) < 0.05:
                break  # a few updates of HESSE's matrix: it is still accurate
            # ---- verify with HESSE ----
            h = hesse(f, x, fval, options, step0=state.gstep, max_nfcn=1 << 62,
                      known=state)
            if h.failed:
                hesse_failed = True
                message = "HESSE failed: " + h.message
                if attempts >= max(1, options.iterate):
                    break
                # retry from the diagonal metric, as iminuit's ``iterate`` does
                v, v_hesse = _diag_metric(state.g2, state.gstep, errordef), None
                continue
            hesse_failed = False
            v = h.hess_inv
            # a matrix forced positive definite (a saddle, a flat direction) is no
            # reference for keeping V without another HESSE: it was not accurate
            v_hesse = None if h.made_posdef else v
            made_posdef = h.made_posdef
            saddle = made_posdef and _negative_curvature(h.hess_raw)
            accurate = not made_posdef
            if agrad is None:
                g = h.grad
            state = GradState(gstep=h.gstep, g2=h.g2)
            edm = float(0.5 * g @ v @ g)
            if (edm < goal and not made_posdef) or attempts >= max(1, options.iterate):
                break
            if made_posdef and h.hess_raw is not None:
                esc = _escape(f, x, fval, g, h.hess_raw, errordef)
                if esc is not None:  # left a saddle point downhill
                    x, fval = esc
                    g = gradient(x, fval, 1)
                    edm = float(0.5 * g @ v @ g)
        if not (hesse_failed or made_posdef or unbounded):
            x1, f1, edm1 = final_step(f, x, fval, g, v, edm, prec)
            if strategy == 0 and f1 < fval:
                # no HESSE: V is the variable-metric estimate, whose EDM may be off by
                # tens of percent; the gradient at the new point measures what is left,
                # and one more step with the updated V follows
                g1 = gradient(x1, f1, 1)
                v = _bfgs(v, x1 - x, g1 - g)
                x, fval, g = x1, f1, g1
                edm = float(0.5 * g @ v @ g)
                x1, f1, edm1 = final_step(f, x, fval, g, v, edm, prec)
            # a final step of EDM <= HESSE_LAG_EDM errordef is negligible for V
            moved = x1 is not x and edm > HESSE_LAG_EDM * errordef
            x, fval, edm = x1, f1, edm1
    except _Limit:
        call_limit = True
        message = "call limit reached"
    res = _result(x, fval, edm, g, v, f.n, ngrad, niter, call_limit=call_limit, goal=goal,
                  has_cov=not hesse_failed, accurate=accurate, made=made_posdef,
                  hfail=hesse_failed, message=message, saddle=saddle, unbounded=unbounded)
    res.hesse_at_x = not moved
    res.flat, res.unbounded = flat, unbounded
    return res


def _migrad_compiled(f: Any, x: NDArray, fval: float, step: NDArray, g: NDArray, v: NDArray,
                     options: MigradOptions, goal: float) -> MigradResult:
    """The rest of :func:`migrad` after the first call, in the compiled core (the same
    steps; the rare branches call :func:`_hesse_slow` and :func:`_escape`), on x, g and V
    (fresh arrays of :func:`migrad`) updated in place."""
    assert migradcore is not None  # the caller checks
    strategy, errordef, prec = int(options.strategy), float(options.errordef), \
        options.precision
    (fval, edm, niter, call_limit, hfail, made, accurate, moved, saddle, flat, unbounded,
     message) = migradcore.migrad(
        f, x, float(fval), step, g, v, errordef, float(goal), strategy,
        max(1, options.iterate), _eps(prec), float(prec) if prec else _EPS,
        STEP_RATIO.get(strategy, 1.5), CYCLES.get(strategy, 3), _CYCLES.get(strategy, 3),
        _G2TOL.get(strategy, 0.05), _hesse_slow, _escape)
    res = _result(x, fval, edm, g, v, f.n, 0, niter, call_limit=bool(call_limit), goal=goal,
                  has_cov=not hfail, accurate=bool(accurate), made=bool(made),
                  hfail=bool(hfail), message=message or "ok", saddle=bool(saddle),
                  unbounded=bool(unbounded))
    res.hesse_at_x = not moved
    res.flat, res.unbounded = bool(flat), bool(unbounded)
    return res


def _hesse_slow(hm: NDArray, g: NDArray, g2: NDArray, steps: NDArray, noise: float
                ) -> tuple[bool, str, bool, NDArray | None, bool]:
    """HESSE's matrix that is not clearly positive definite, for the compiled core: failed,
    message, forced positive definite, the inverse and whether it is a saddle point
    (``noise``: the rounding bound of :func:`~thetahat.derivatives.hesse.rounding_noise`)."""
    h = from_matrix(hm, g, g2, steps, 0, noise)
    if h.failed:
        return True, h.message, False, None, False
    return False, h.message, h.made_posdef, h.hess_inv, \
        bool(h.made_posdef and _negative_curvature(h.hess_raw))


def _result(x, fval, edm, g, v, nfcn, ngrad, niter, *, call_limit, goal, has_cov, accurate,
            made, hfail, message, saddle=False, unbounded=False) -> MigradResult:
    edm = float(edm)
    above = bool(not np.isfinite(edm) or edm > 10.0 * goal)
    if unbounded:  # V is a scaled guess there, no estimate of a covariance
        message, accurate = _UNBOUNDED_MESSAGE, False
    elif message == "ok" and above:
        message = "EDM above maximum"
    elif message == "ok" and made:
        message = "covariance forced positive definite"
    # a matrix forced positive definite because it is singular (a flat direction, e.g.
    # perfectly correlated parameters) leaves a valid minimum, as iminuit's; negative
    # curvature (a saddle point) does not
    valid = not (call_limit or above or hfail or saddle or unbounded
                 or not np.isfinite(fval))
    return MigradResult(x=x, fval=float(fval), edm=edm, grad=g, hess_inv=v, nfcn=nfcn,
                        ngrad=ngrad, niter=niter, is_valid=bool(valid),
                        is_above_max_edm=above, has_reached_call_limit=bool(call_limit),
                        has_covariance=bool(has_cov),
                        has_accurate_covar=bool(accurate and has_cov and not call_limit),
                        has_posdef_covar=bool(has_cov and not made),
                        has_made_posdef_covar=bool(made), hesse_failed=bool(hfail),
                        message=message)


class _Point:
    """The current iterate; updated in place so that a call-limit exit keeps the best."""

    __slots__ = ("x", "fval", "g", "v", "vprev", "unbounded")

    def __init__(self, x: NDArray, fval: float, g: NDArray, v: NDArray) -> None:
        self.x, self.fval, self.g, self.v = x, fval, g, v
        self.vprev: NDArray | None = None  # V before the last update
        self.unbounded = False  # F fell along ever longer concave steps: no minimum

    def dcov(self) -> float:
        """Relative change of V by the last update (MINUIT's DCOVAR); inf if none."""
        return np.inf if self.vprev is None else _dcovar(self.v, self.vprev)


def _iterate(f, gradient, cur: _Point, goal: float, get_state, errordef: float) -> int:
    """Variable-metric iterations until EDM < goal or no progress; returns their number."""
    def reset() -> NDArray:
        st = get_state()
        return _diag_metric(st.g2, st.gstep, errordef)

    g, v = cur.g, cur.v
    edm = float(0.5 * g @ v @ g)
    stalled = downhill = 0
    niter = 0
    vold: NDArray | None
    while edm >= goal:
        niter += 1
        p = -v @ g
        slope = float(g @ p)
        if not np.isfinite(slope):
            break  # V or g overflowed: F is unbounded below along some direction
        if not slope < 0:  # V lost positive-definiteness: restart from the diagonal
            cur.v = v = reset()
            p = -v @ g
            slope = float(g @ p)
            if not slope < 0:
                break
        alpha, fnew = _line_search(f, cur.x, cur.fval, p, slope)
        if alpha == 0.0:
            stalled += 1
            if stalled >= 2:
                break
            cur.v = v = reset()
            edm = float(0.5 * g @ v @ g)
            continue
        stalled = 0
        s = alpha * p
        xnew = cur.x + s
        gnew = gradient(xnew, fnew, 1)
        vold, v = v, _bfgs(v, s, gnew - g)
        concave = v is vold
        if concave and alpha > 1.0:
            v = alpha * v  # no curvature measured (sᵀy <= 0): V was too small along p
        # F concave along a step at the line search's farthest extrapolation, F still
        # falling: _UNBOUNDED_RUNS such steps in a row (each ~4096 times longer) are taken
        # as F unbounded below; stop before x overflows the user's arithmetic
        downhill = downhill + 1 if concave and alpha >= _UNBOUNDED_ALPHA else 0
        if downhill >= _UNBOUNDED_RUNS:
            cur.x, cur.fval, cur.g, cur.v, cur.vprev = xnew, fnew, gnew, v, None
            cur.unbounded = True
            break
        g = gnew
        edm = float(0.5 * g @ v @ g)
        if edm < 0:  # V not positive definite: reset
            v = reset()
            edm = float(0.5 * g @ v @ g)
            vold = None
        cur.x, cur.fval, cur.g, cur.v, cur.vprev = xnew, fnew, g, v, vold
    return niter
