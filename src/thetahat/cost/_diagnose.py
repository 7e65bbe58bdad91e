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

A density whose normalisation depends on a parameter (a non-normalised ``pdf`` in
:class:`~thetahat.cost.UnbinnedNLL`) biases the fit too, but it cannot be seen from the
events without integrating the model over its support, which the cost does not know:
docs/trust.md says so.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["unbinned_diagnosis", "binned_diagnosis"]


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
