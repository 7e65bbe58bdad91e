"""Numerical first and second derivatives with MINUIT-style adaptive steps.

For each parameter i, with step h_i, two function values give the central estimates

    g_i  = (F(x + h_i e_i) - F(x - h_i e_i)) / (2 h_i),
    g2_i = (F(x + h_i e_i) + F(x - h_i e_i) - 2 F(x)) / h_i².

The step is chosen from the curvature, as a fraction t of the parameter's standard
deviation σ_i = sqrt(2 · errordef / g2_i), so that the sag of the function over the step
is g2 h²/2 = errordef · t² (the "aimsag"). The fraction balances truncation against
rounding for the central second derivative (error ~ t² from fourth derivatives,
~ 4 ε|F| / (errordef t²) from rounding), with a margin for the amplification of rounding
errors by strong correlations:

    sag = errordef · t²,   t = 2 (ε (|F| + errordef) / errordef)^(1/4),

with ε the relative precision of F. Sums of many terms carry rounding noise that grows
with |F|, so, as MINUIT's step rule does (sag ∝ sqrt(ε) |F|, measured on iminuit), the sag
is at least 16 sqrt(ε) (|F| + errordef); it is at most 0.01 errordef (t ≤ 0.1, where the
truncation error of the second derivative is ~1e-3). For |F| ~ 1 that gives t ~ 1e-3,
for a likelihood of |F| ~ 10⁴ t ~ 0.07. Steps are kept above the rounding floor of x
itself, 8 ε₂ (|x_i| + ε₂) with ε₂ = 2 sqrt(ε) (as MINUIT), and below ``hmax`` when given.

A gradient evaluation costs 2n calls and yields g2 as a by-product, which sets the steps
of the next evaluation (the :class:`GradState` carried between iterations). As in MINUIT
the step of a component is re-tuned and the component re-evaluated while the new step
differs from the old one by more than the strategy's step tolerance, up to a number of
cycles that grows with the strategy (MINUIT Reference Manual, "STRATEGY"):

    strategy   cycles   step ratio accepted
    0          2        [1/2, 2]
    1          3        [1/1.5, 1.5]
    2          5        [1/1.2, 1.2]

A component is only re-evaluated when its own step changed, so a gradient with well tuned
steps (every iteration after the first) costs exactly 2n calls. MIGRAD's first gradient
(strategies 0, 1) also accepts a step larger than the tuned one up to half a standard
deviation: its truncation error, ~h² F'''/6, is harmless far from the minimum.

A function value that is not finite (outside the function's domain) on one side makes
that component one-sided, with g2 unknown (0) and the step halved for the next call.

The compiled core (:data:`thetahat._compiled.migradcore`, when built and switched on) runs
the same loop in C, step for step; the Python loop below is its documented twin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._compiled import migradcore

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["GradState", "numerical_gradient", "optimal_steps", "STEP_RATIO", "CYCLES",
           "hesse_values"]

EPS = float(np.finfo(float).eps)

#: re-evaluation cycles of the first gradient, by strategy
CYCLES = {0: 2, 1: 3, 2: 5}
#: a new step within this factor of the old one is accepted without re-evaluation
STEP_RATIO = {0: 2.0, 1: 1.5, 2: 1.2}


@dataclass
class GradState:
    """Steps and second derivatives carried from one gradient evaluation to the next.

    ``fplus``/``fminus`` are F(x ± h e_i) of the last evaluation at ``x`` with steps ``h``
    (the steps actually used, before re-tuning into ``gstep``); HESSE reuses them.
    """

    gstep: NDArray
    g2: NDArray
    x: NDArray | None = None
    h: NDArray | None = None
    fplus: NDArray | None = None
    fminus: NDArray | None = None
    g2_prev: NDArray | None = None  # second derivatives of the evaluation before


def _eps(precision: float | None) -> float:
    return EPS if precision is None else float(precision)


def optimal_steps(x: NDArray, fval: float, g2: NDArray, errordef: float,
                  precision: float | None, hmin_scale: NDArray | None = None,
                  fallback: NDArray | None = None) -> NDArray:
    """Steps of t standard deviations (module docstring), bounded below by rounding.

    Parameters
    ----------
    x : ndarray
        Point (internal coordinates).
    fval : float
        F(x).
    g2 : ndarray
        Second derivatives; where zero or not finite ``fallback`` (default 0.1) is used.
    errordef : float
        Change of F that defines one standard deviation.
    precision : float or None
        Relative precision of F (None: double precision).
    hmin_scale : ndarray, optional
        Unused; kept for call compatibility.
    fallback : ndarray, optional
        Steps where g2 gives none.
    """
    aimsag, eps2 = _aimsag(fval, errordef, precision)
    hmin = 8.0 * eps2 * (np.abs(x) + eps2)
    a = np.abs(g2)
    good = (a > 1e-300) & (a < np.inf)  # no warnings on 0, tiny, inf or NaN curvature
    h = np.sqrt(2.0 * aimsag / np.where(good, a, 1.0))
    h = np.where(good, h, 0.1 if fallback is None else fallback)
    return np.maximum(h, hmin)


def _aimsag(fval: float, errordef: float, precision: float | None) -> tuple[float, float]:
    """The sag of F over a step (module docstring) and MINUIT's ε₂ = 2 sqrt(ε)."""
    eps = _eps(precision)
    t = 2.0 * (eps * (abs(fval) + errordef) / errordef) ** 0.25
    # rounding and noise of large sums grow with |F|: a sag of at least 16 sqrt(eps) |F|,
    # but never more than (0.1 sigma)^2 of sag, so that truncation stays ~1e-3
    aimsag = min(max(errordef * t * t, 16.0 * eps ** 0.5 * (abs(fval) + errordef)),
                 0.01 * errordef)
    return aimsag, 2.0 * eps ** 0.5


def gradient_full(fcn: Callable[[NDArray], float], x: NDArray, fval: float,
                  state: GradState | None, errordef: float, precision: float | None,
                  strategy: int = 1, cycles: int = 1, hmax: NDArray | None = None,
                  sigma_frac: float = 0.0) -> tuple[NDArray, NDArray, GradState, int]:
    """Gradient, second derivatives, new state (with the raw F(x ± h)) and call count.

    With ``sigma_frac`` > 0, a component whose step lies between the tuned step and
    ``sigma_frac`` standard deviations is not re-evaluated (accurate enough for a seed).
    """
    x = np.array(x, dtype=float)
    n = x.size
    g2_prev = None if state is None else state.g2
    if migradcore is not None and x.ndim == 1:
        h0a = np.full(n, 0.1) if state is None else np.asarray(state.gstep, dtype=float)
        hma = None if hmax is None else np.ascontiguousarray(hmax, dtype=float)
        out = np.empty((6, n))
        nf = migradcore.gradient(fcn, x, float(fval), np.ascontiguousarray(h0a), hma,
                                 float(errordef), _eps(precision),
                                 STEP_RATIO.get(strategy, 1.5), float(sigma_frac),
                                 int(cycles), out)
        g_a, g2_a = out[0], out[1]
        st = GradState(gstep=out[2], g2=g2_a, x=x, h=out[3], fplus=out[4], fminus=out[5],
                       g2_prev=g2_prev)
        return g_a, g2_a, st, nf
    # scalar Python per component: for the small n of fits it beats numpy's per-call cost
    xs = x.tolist()
    h0 = [0.1] * n if state is None else np.asarray(state.gstep, dtype=float).tolist()
    hm = [math.inf] * n if hmax is None else np.asarray(hmax, dtype=float).tolist()
    h = [v if (v > 0 and v < math.inf) else 0.1 for v in h0]
    if hmax is not None:
        h = [min(v, m) for v, m in zip(h, hm)]
    ratio_ok = STEP_RATIO.get(strategy, 1.5)
    aimsag, eps2 = _aimsag(float(fval), errordef, precision)
    eps = _eps(precision)
    g = [0.0] * n
    g2 = [0.0] * n
    fp = [math.nan] * n
    fm = [math.nan] * n
    hused = list(h)
    todo: Sequence[int] = range(n)
    nfcn = 0
    fval = float(fval)
    for _cycle in range(max(1, cycles)):
        retune = []
        for i in todo:
            # never below the rounding floor of x itself (x may have moved far)
            hi = max(h[i], 8.0 * eps2 * (abs(xs[i]) + eps2))
            xp = x.copy()
            xp[i] = xs[i] + hi
            xm = x.copy()
            xm[i] = xs[i] - hi
            a = float(fcn(xp))
            b = float(fcn(xm))
            nfcn += 2
            fp[i], fm[i], hused[i] = a, b, hi
            fa, fb = math.isfinite(a), math.isfinite(b)
            if fa and fb:
                g[i] = (a - b) / (2.0 * hi)
                d2 = a + b - 2.0 * fval
                # a sag within rounding of F says nothing about the curvature
                c = d2 / (hi * hi) if abs(d2) > 8.0 * eps * (abs(a) + abs(b)) else 0.0
                g2[i] = c
            else:  # one side outside the function's domain: one-sided, smaller step
                g[i] = (a - fval) / hi if fa else ((fval - b) / hi if fb else 0.0)
                g2[i] = c = 0.0
                h[i] = 0.5 * hi
            ac = abs(c)
            if not (ac > 1e-300 and ac < math.inf):
                continue  # no curvature to tune the step with
            hn = max((2.0 * aimsag / ac) ** 0.5, 8.0 * eps2 * (abs(xs[i]) + eps2))
            hn = min(hn, hm[i])
            r = hn / hi
            h[i] = hn
            if r > ratio_ok or (r < 1.0 / ratio_ok
                                and not (sigma_frac > 0 and hi <= sigma_frac
                                         * (2.0 * errordef / ac) ** 0.5)):
                retune.append(i)
        todo = retune
        if not todo:
            break
    h_a, g_a, g2_a = np.array(h), np.array(g), np.array(g2)
    st = GradState(gstep=h_a, g2=g2_a, x=x, h=np.array(hused), fplus=np.array(fp),
                   fminus=np.array(fm), g2_prev=g2_prev)
    return g_a, g2_a, st, nfcn


def numerical_gradient(fcn: Callable[[NDArray], float], x: NDArray, fval: float,
                       state: GradState | None, options: Any, *, cycles: int | None = None,
                       hmax: NDArray | None = None
                       ) -> tuple[NDArray, NDArray, NDArray, int]:
    """MINUIT's two-sided numerical gradient with step tuning (module docstring).

    Parameters
    ----------
    fcn : callable
        ``fcn(x) -> float``.
    x : ndarray, shape (n,)
        Point.
    fval : float
        ``fcn(x)``.
    state : GradState, tuple (g2, gstep) or None
        Steps (and second derivatives) of the previous evaluation; None: steps of 0.1.
    options : MigradOptions
        Provides ``errordef``, ``precision`` and ``strategy``.
    cycles : int, optional
        Maximum re-evaluation cycles; default by strategy (2, 3, 5) when ``state`` is
        None or has no second derivatives, else 1.
    hmax : ndarray, optional
        Upper bounds of the steps.

    Returns
    -------
    g, g2, gstep : ndarray
        Gradient, second derivatives (0 where unknown) and tuned steps for the next call.
    nfcn : int
        Number of calls of ``fcn``.
    """
    strategy = int(getattr(options, "strategy", 1))
    if isinstance(state, tuple):  # (g2, gstep) as carried by a caller
        state = GradState(gstep=np.asarray(state[1], float), g2=np.asarray(state[0], float))
    if cycles is None:
        fresh = state is None or not np.any(state.g2)
        cycles = CYCLES.get(strategy, 3) if fresh else 1
    g, g2, st, nfcn = gradient_full(fcn, x, fval, state, float(options.errordef),
                                    getattr(options, "precision", None), strategy, cycles,
                                    hmax)
    return g, g2, st.gstep, nfcn


def hesse_values(fcn: Callable[[NDArray], float], x: NDArray, fval: float, h: NDArray,
                 reused: GradState | None, errordef: float, precision: float | None,
                 strategy: int, ncyc: int, g2tol: float, limit: int
                 ) -> tuple[NDArray, NDArray, NDArray, NDArray, int, str | None]:
    """Steps 1, 1b and 2 of :func:`thetahat.derivatives.hesse.hesse` in the compiled core
    (its loops, step for step; call only when :data:`migradcore` is not None).

    Returns g, g2, the steps, the matrix, the number of calls and None, or a message
    when HESSE fails (a second derivative zero or not finite, or the call limit).
    """
    assert migradcore is not None  # the caller checks
    n = x.size
    out = np.empty(4 * n + n * n)
    fp = fm = g2p = None
    if reused is not None:
        fp, fm = reused.fplus, reused.fminus
        g2p = None if reused.g2_prev is None else np.ascontiguousarray(reused.g2_prev, float)
    nfcn, status, i = migradcore.hesse(fcn, x, fval, np.array(h, dtype=float), fp, fm, g2p,
                                       errordef, _eps(precision), strategy, ncyc, g2tol,
                                       STEP_RATIO.get(strategy, 1.5), limit, out)
    g, g2, steps, hm = out[:n], out[n:2 * n], out[3 * n:4 * n], out[4 * n:].reshape(n, n)
    message = None
    if status == 2:
        message = "call limit reached"
    elif status == 1:
        message = (f"second derivative of parameter {i} is "
                   f"{'zero' if g2[i] == 0 else 'not finite'}")
    return g, g2, steps, hm, int(nfcn), message

