"""Why a converged minimum of a likelihood may still be no maximum-likelihood estimate.

The minimizer sees only the cost. Two ways for the cost to mislead it are visible in the
data and the model at the minimum, for one more evaluation of the model:

1. **No spread in the sample.** When every event in use is at the same point x₀ (a single
   event, or identical events), L(p) = f(x₀; p)ᴺ depends on the data through x₀ (and N)
   alone: at most k numbers (x₀ in k dimensions), plus the yield for an extended
   likelihood, can be determined. With more free parameters the rest are either not
   determined or, for a width, run to zero, where f(x₀) → ∞: the likelihood has no
   interior maximum, and HESSE's σ ~ 1e-9 there measures the runaway, not an error.
2. **Events with f(xᵢ; p) <= 0.** ln 0 is clamped to ln(tiny) ≈ -708 so that a fit can
   move away from a region where the model excludes an event (as iminuit does), but at
   the minimum it means that the likelihood of the sample is 0 there: such events are
   counted as a constant, not as impossible. A density that underflows to 0 (an event
   far in a tail, such as 1e300 for a normal density) is the same case. For the binned
   likelihoods the analogue is a bin with entries whose predicted content is <= 0.

3. **A density that is not normalised** (a ``pdf`` of :class:`~thetahat.cost.UnbinnedNLL`
   without its 1/Z(p)). The likelihood of an unnormalised f̃ is that of the normalised
   f̃/Z plus N ln Z(p): the fit is pulled towards parameters with a large Z, a confident
   wrong answer. The cost does not know the support S of the density, but it knows the
   sample range R = [min xᵢ, max xᵢ] ⊆ S, and for a density normalised on S,
   I(p) = ∫_R f(x; p) dx ≤ ∫_S f = 1 for *every* p. So I(p) > 1 + tol at the minimum,
   or at a parameter nudged from it, proves the density unnormalised. The converse
   does not hold: I(p) < 1 and I changing with p are what a normalised density with a
   support wider than R does (the mean of a Gaussian moves mass out of R), so neither is
   taken as evidence. I is computed with Gauss-Legendre (8 nodes) on panels between
   quantiles of the sample (where a fitting density has its mass), once with each panel
   halved; the difference bounds the quadrature error, and the check fires only when
   I - |error| > 1 + 0.01. One-dimensional samples only; once per fit (a few thousand
   evaluations of the model per parameter set), not per call.

4. **A degenerate model** (least squares and the other structured costs): the model
   depends on the parameters only through fewer combinations than there are parameters
   ((a + b) x, a line through points of one x, a parameter that appears twice). Its
   Gauss-Newton matrix H = JᵀJ is singular in exact arithmetic and invertible only by
   rounding, with "errors" of 1e4-1e8 that are rounding noise. H scaled to a unit
   diagonal is compared with the rounding error of the Jacobian it was formed from
   (:func:`thetahat._core.linalg.gram_null_direction`; a forward-difference J of the
   cost's step √ε |p_j| is accurate to about √ε per column, an analytic one to ε); an
   eigenvalue below that level is a combination that the data do not determine. A
   difference J also carries the truncation error of its formula, (h_j/2) ∂²r/∂p_j²,
   which for a parameter far beyond the model's scale (b, c = ∓1e4 in exp(-(b + c) x))
   can exceed the rounding; for a sum of squares whose residuals the cost exposes
   (:class:`~thetahat.cost.LeastSquares` with the linear loss) it is measured by
   Richardson's rule (:func:`thetahat._core.linalg.truncation_noise`, 2k residual calls)
   and added, below the same gate s_min < ``TRUNCATION_GATE`` as for ``curve_fit``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.linalg import (
    DEGENERATE_FACTOR,
    TRUNCATION_GATE,
    degenerate_message,
    gram_null_direction,
    jacobian_noise,
    truncation_noise,
)

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["unbinned_diagnosis", "binned_diagnosis", "normalisation_diagnosis",
           "degenerate_diagnosis", "gauss_newton_residuals"]

_NORM_TOL = 0.01  # I > 1 + 1 %: far beyond the quadrature error the check subtracts
_PANELS = 128  # panels between sample quantiles (8 nodes each, 16 in the halved rule)
_NUDGE = 0.01  # relative nudge of each free parameter (absolute where the value is 0)


def unbinned_diagnosis(events: NDArray, density: NDArray, log: bool, nfree: int,
                       extended: bool) -> tuple[str, ...]:
    """The reasons (module docstring) for a minimum of an unbinned likelihood with the
    ``events`` in use (shape (N,) or (k, N)), the model's ``density`` at them (ln f if
    ``log``), ``nfree`` free parameters, ``extended`` or not; empty for a sound minimum."""
    out = []
    n = events.shape[-1]
    if n >= 1:
        ev = events.reshape(-1, n)
        k = ev.shape[0]
        same = bool(np.all(ev == ev[:, :1]))
        known = k + int(extended)  # x0 in k dimensions, and N for the yield
        if same and nfree > known:
            what = "one event is in use" if n == 1 else f"all {n} events in use are at one point"
            out.append(f"{what}: a likelihood of {nfree} free "
                       f"parameters has no interior maximum on a sample without spread (at "
                       f"most {known} can be determined; a width runs to zero), so the "
                       "minimum and its errors mean nothing")
    d = np.asarray(density, dtype=float)
    bad = (d == -np.inf) if log else ~(d > 0)
    nbad = int(np.count_nonzero(bad & ~np.isnan(d)))
    if nbad:
        out.append(f"{nbad} of {n} events have pdf <= 0 at the minimum (or a pdf that "
                   "underflows to 0): ln 0 is clamped, so they count as a constant instead "
                   "of making the likelihood 0; the model excludes data it should describe")
    return tuple(out)


def binned_diagnosis(n: NDArray, mu: NDArray) -> tuple[str, ...]:
    """Case 2 for a histogram: bins in use with entries ``n > 0`` whose prediction ``mu``
    is <= 0 (the log of the prediction is clamped there as well)."""
    mu = np.asarray(mu, dtype=float)
    bad = int(np.count_nonzero((np.asarray(n) > 0) & ~(mu > 0) & ~np.isnan(mu)))
    if not bad:
        return ()
    full = int(np.count_nonzero(np.asarray(n) > 0))
    return (f"{bad} of {full} bins with entries have a predicted content <= 0 at the minimum: "
            "ln 0 is clamped, so they count as a constant instead of making the likelihood "
            "0; the model excludes data it should describe",)


def _panel_rule(edges: NDArray) -> tuple[NDArray, NDArray]:
    """Nodes and weights of 8-point Gauss-Legendre on each panel between ``edges``."""
    gx, gw = _gauss_legendre_8()
    a, b = edges[:-1, None], edges[1:, None]
    half = 0.5 * (b - a)
    return ((a + b) * 0.5 + half * gx).ravel(), (half * gw).ravel()


# numpy.polynomial.legendre.leggauss(8), digit for digit (tests/test_import_lean.py checks
# them against it): numpy.polynomial costs several ms to import, which a first fit of an
# UnbinnedNLL should not pay
_GL8_NODES = (0.18343464249564978, 0.525532409916329, 0.7966664774136267, 0.9602898564975362)
_GL8_WEIGHTS = (0.36268378337836166, 0.3137066458778869, 0.22238103445337443,
                0.10122853629037706)


@functools.cache
def _gauss_legendre_8() -> tuple[NDArray, NDArray]:
    """The 8 nodes (increasing) and weights of Gauss-Legendre quadrature on [-1, 1]."""
    nodes = np.array([-v for v in _GL8_NODES[::-1]] + list(_GL8_NODES))
    return nodes, np.array(_GL8_WEIGHTS[::-1] + _GL8_WEIGHTS)


def _quantiles(ev: NDArray, q: NDArray) -> NDArray:
    """``np.quantile(ev, q)`` of a finite 1-D sample, value for value, without the numpy.ma
    that np.quantile and np.unique import (numpy >= 2.3; ~8 ms in a first fit): numpy's
    default rule interpolates the sorted sample a at the virtual index v = q (n - 1)
    between a[⌊v⌋] and a[⌊v⌋ + 1] with weight g = v - ⌊v⌋, as a + (b - a) g for g < 1/2
    and b - (b - a)(1 - g) otherwise (exact at both ends)."""
    a = np.sort(ev)
    v = q * (a.size - 1)
    lower = np.floor(v)
    g = v - lower
    i = lower.astype(np.intp)
    j = np.minimum(i + 1, a.size - 1)
    lo, hi = a[i], a[j]
    d = hi - lo
    return np.where(g >= 0.5, hi - d * (1 - g), lo + d * g)


def normalisation_diagnosis(events: NDArray, density: Callable[[NDArray, NDArray], Any],
                            x: NDArray, free: NDArray) -> tuple[str, ...]:
    """Case 3 (module docstring) for a 1-D sample ``events`` and ``density(nodes, q)``
    (the pdf at the points ``nodes`` for the flat parameters ``q``) at the minimum ``x``
    and nudged from it in each ``free`` parameter; empty when nothing is proven."""
    ev = np.asarray(events, dtype=float)
    if ev.ndim != 1 or ev.size < 2:
        return ()
    lo, hi = float(ev.min()), float(ev.max())
    if not hi > lo:
        return ()
    edges = np.sort(np.concatenate(([lo], _quantiles(ev, np.linspace(0, 1, _PANELS + 1)),
                                    [hi])))
    edges = edges[np.concatenate(([True], edges[1:] != edges[:-1]))]  # np.unique's answer
    fine = np.empty(2 * edges.size - 1)
    fine[0::2], fine[1::2] = edges, 0.5 * (edges[:-1] + edges[1:])
    n1, w1 = _panel_rule(edges)
    n2, w2 = _panel_rule(fine)
    nodes = np.concatenate((n1, n2))
    x = np.asarray(x, dtype=float).ravel()
    trials = [("at the minimum", x)]
    for i in np.flatnonzero(free):
        q = x.copy()
        q[i] += _NUDGE * (abs(q[i]) if q[i] != 0 else 1.0)
        trials.append((f"with parameter {int(i)} nudged to {q[i]:.6g}", q))
    for where, q in trials:
        try:
            with np.errstate(all="ignore"):
                f = np.asarray(density(nodes, q), dtype=float).reshape(-1)
        except Exception:  # a model that cannot be evaluated off the sample: no verdict
            return ()
        if f.shape != nodes.shape or not np.all(np.isfinite(f)):
            continue
        i1, i2 = float(f[:n1.size] @ w1), float(f[n1.size:] @ w2)
        if i2 - abs(i2 - i1) > 1 + _NORM_TOL:
            return (f"the pdf integrates to {i2:.4g} over the range of the sample "
                    f"[{lo:.6g}, {hi:.6g}] {where}, but a normalised density cannot exceed "
                    "1 there: the pdf is not normalised (its normalisation depends on the "
                    "parameters), which biases the fit; divide it by its integral over the "
                    "data's support, or use ExtendedUnbinnedNLL, whose expected count "
                    "carries the normalisation",)
    return ()


_SQRT_EPS = float(np.finfo(float).eps) ** 0.5  # the relative step of the costs' differences


def gauss_newton_residuals(cost: Any, full: NDArray, idx: NDArray
                           ) -> Callable[[NDArray], NDArray] | None:
    """``r(q)``: residuals whose Jacobian J gives the cost's Gauss-Newton matrix 2 JᵀJ,
    as a function of the free parameters ``q`` (indices ``idx`` of the external values
    ``full``), for a sum of squares that exposes them (LeastSquares, linear loss: √2
    times its pulls); None for any other cost."""
    pulls = getattr(cost, "_pulls_masked", None)
    if pulls is None or not getattr(cost, "is_sum_of_squares", False):
        return None
    full = np.array(full, dtype=float)
    idx = np.asarray(idx)

    def residuals(q: NDArray) -> NDArray:
        x = full.copy()
        x[idx] = q
        return np.sqrt(2.0) * np.asarray(pulls(cost._call_args(x)), dtype=float)

    return residuals


def degenerate_diagnosis(hgn: NDArray, p: NDArray, dpdu: NDArray, fval: float,
                         analytic: bool, names: list[str], lo: NDArray,
                         hi: NDArray, residuals: Callable[[NDArray], NDArray] | None = None
                         ) -> str | None:
    """Case 4 (module docstring): the message naming the parameters along a direction
    that the Gauss-Newton matrix ``hgn`` (internal coordinates, ``dpdu`` = dp/du of the
    free parameters at external values ``p`` with limits ``lo``, ``hi``) determines only
    at the rounding level of its Jacobian (``analytic``, or differences of residuals of
    size sqrt(``fval``) with steps of √ε max(|p_j|, σ_j), σ_j = sqrt(2 / H_jj) the
    parameter's conditional error: HESSE's steps are of that size where p_j ~ 0); None
    for a determined fit. A parameter within σ_j of a limit is left out: its internal
    column vanishes at the limit, which is a limit, not a degenerate model. ``residuals``
    (:func:`gauss_newton_residuals`, of the free parameters) lets the truncation error of
    a difference Jacobian be measured and added below ``TRUNCATION_GATE``."""
    hgn = np.asarray(hgn, dtype=float)
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        colnorm = np.sqrt(np.abs(np.diag(hgn))) / np.abs(np.asarray(dpdu, dtype=float))
        sigma = np.sqrt(2.0) / colnorm
    gap = np.minimum(p - lo, hi - p)  # to the nearest limit (inf without one)
    keep = np.isfinite(colnorm) & ~(np.isfinite(gap) & (gap <= sigma))
    if not keep.any():
        return None
    size = np.maximum(np.abs(p), np.nan_to_num(sigma, posinf=0.0))[keep]
    noise = jacobian_noise(size, colnorm[keep], 1, None if analytic else _SQRT_EPS,
                           float(np.sqrt(max(float(fval), 0.0))))
    hk = hgn[np.ix_(keep, keep)]
    found = gram_null_direction(hk, noise)
    if found is None and not analytic and residuals is not None and \
            gram_null_direction(hk, np.array([TRUNCATION_GATE / DEGENERATE_FACTOR])) is not None:
        full = p.copy()

        def kept(q: NDArray) -> NDArray:  # the residuals of the kept parameters
            x = full.copy()
            x[keep] = q
            return residuals(x)

        noise = noise + truncation_noise(kept, p[keep], colnorm[keep], _SQRT_EPS, False,
                                         np.asarray(lo, float)[keep],
                                         np.asarray(hi, float)[keep])
        found = gram_null_direction(hk, noise)
    return None if found is None else degenerate_message(
        [n for n, k in zip(names, keep) if k], found, noise)
