r"""The rules every Levenberg-Marquardt in thetahat follows, written once.

There is one Levenberg-Marquardt, Moré's scaled trust-region method, in four
implementations: the single fit (:mod:`.levmar`, the step solved by an SVD of
:math:`J D^{-1}`) and its compiled twin ``_compiled/_lmcore.c``, and the batch engine
(:mod:`.batch_lm`, the same step by Cholesky of the normal equations, :mod:`._lm_step`)
and its compiled twin ``_compiled/_batchlm.c`` (``_compiled/_lm_step.h``). Single fits and
batches of the same problems take the same steps (``tests/test_lm_one.py``). What decides
*whether* a step is taken, how the radius changes and *when* a fit stops is defined here
and, for C, in ``_compiled/_lm_rules.h`` (``tests/test_lm_rules.py`` checks that the two
files hold the same numbers).

With :math:`C = \|r\|^2` (weighted residuals, or twice the Poisson deviance), :math:`g =
J^T r`, :math:`A = J^T J` and the scaling :math:`D_a = \max_{\text{iterations}} \|J_{:a}\|`
(Moré's running maximum of the column norms; a zero column gets 1):

- **acceptance**: a trial step is taken when the gain ratio
  :math:`\rho = (C(p) - C(p+\delta)) / \mathrm{pred}` exceeds :data:`RHO_ACCEPT` (``1e-4``);
  :math:`\Delta` shrinks for :math:`\rho \le` :data:`RHO_SHRINK` and becomes
  :math:`2\|D p\|` for :math:`\rho \ge` :data:`RHO_EXPAND` (or a Gauss-Newton step);
- **gtol**: :math:`\max_a |g_a| / (\|J_{:a}\| \sqrt{C}) \le` gtol — the largest cosine
  between the residual vector and a column of :math:`J` — or :math:`C = 0`
  (:func:`gtol_term`, :func:`gtol_cosine`);
- **ftol**: the actual and predicted relative reductions of :math:`C` are both
  :math:`\le` ftol, and :math:`\rho \le 2` (MINPACK's ``0.5 * ratio <= 1``: a step that did
  far better than the model predicted says nothing about the model) (:func:`ftol_ok`);
- **the step**: the first radius is :data:`DELTA0` :math:`\|D p_0\|`; the secular equation
  for :math:`\lambda` is solved to :data:`STEP_BAND` relative in at most :data:`STEP_ITER`
  Newton iterations;
- **xtol**: the trust radius :math:`\Delta \le \mathrm{xtol}\,\|D p\|` (:func:`xtol_ok`);
- **status codes**: scipy's for the single fit (:data:`ST_BUDGET` 0, :data:`ST_GTOL` 1,
  :data:`ST_FTOL` 2, :data:`ST_XTOL` 3, :data:`ST_FTOL_XTOL` 4, :data:`ST_NONFINITE` -3),
  and the batch's named ones (:data:`CONVERGED`, :data:`MAX_ITERATIONS`, :data:`SINGULAR`,
  :data:`NON_FINITE`); :func:`batch_status` maps the first onto the second.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

RHO_ACCEPT = 1e-4   # gain ratio above which a trial step is taken
RHO_SHRINK = 0.25   # at or below, the trust radius shrinks
RHO_EXPAND = 0.75   # at or above (or a Gauss-Newton step), it becomes 2 |D p|
RHO_FTOL_MAX = 2.0  # the ftol test needs rho <= 2
DELTA0 = 100.0      # the first trust radius is DELTA0 |D p0| (DELTA0 when p0 = 0)
STEP_BAND = 0.1     # the secular iteration stops at | |D p| - Delta | <= STEP_BAND Delta
STEP_ITER = 40      # ... or after this many Newton iterations
ROUND = 16 * float(np.finfo(float).eps)  # batch: chi2's rounding floor per unit of scale

# single fit: scipy's status codes
ST_BUDGET, ST_GTOL, ST_FTOL, ST_XTOL, ST_FTOL_XTOL, ST_NONFINITE = 0, 1, 2, 3, 4, -3
# batch: named per-fit status codes
CONVERGED, MAX_ITERATIONS, SINGULAR, NON_FINITE = 1, 2, 3, 4
STATUS_NAMES = {CONVERGED: "converged", MAX_ITERATIONS: "max-iterations",
                SINGULAR: "singular", NON_FINITE: "non-finite"}


def ftol_ok(actred: Any, prered: Any, rho: Any, ftol: float) -> Any:
    """MINPACK's ftol test on relative reductions (module docstring); on floats (the single
    fit, at Python speed) or arrays (the batch)."""
    return (abs(actred) <= ftol) & (prered <= ftol) & (rho <= RHO_FTOL_MAX)


def xtol_ok(size: Any, xnorm: Any, xtol: float) -> Any:
    """The scaled step size (radius or step) at most ``xtol`` times ``|D p|``."""
    return size <= xtol * xnorm


def gtol_term(g: float, colnorm: float, fnorm: float) -> float:
    """One term |g| / (‖J_a‖ ‖f‖) of the gtol cosine, 0 where undefined (floats); divided
    one norm at a time, so that no product of squares under- or overflows (residuals or
    columns of order 1e±150 and beyond)."""
    return (abs(g) / colnorm) / fnorm if colnorm > 0 and fnorm > 0 else 0.0


def gtol_cosine(g: np.ndarray, colnorm2: np.ndarray, chi2: np.ndarray) -> np.ndarray:
    """max_a |g_a| / sqrt(colnorm2_a * chi2) over the last axis (0 where undefined)."""
    with np.errstate(all="ignore"):
        den = np.sqrt(colnorm2 * np.asarray(chi2)[..., None])
        cos = np.where(den > 0, np.abs(g) / np.where(den > 0, den, 1.0), 0.0)
    return np.max(cos, axis=-1, initial=0.0)


def radius_update(rho: float, ared: float, dirder: float, near: bool, pnorm: float,
                  delta: float, lam: float) -> tuple[float, float]:
    """MINPACK's trust-radius update after a trial (floats: the single fit).

    ``rho`` the gain ratio, ``ared`` the relative actual reduction (-inf when the trial is
    not finite), ``dirder = -(|J p|^2 + lam |D p|^2) / |f|^2``, ``near`` whether the trial's
    ``|f|`` is below 10 times the current one, ``pnorm = |D p|``. Returns the new radius and
    the first guess of the next secular iteration. ``rho <= RHO_SHRINK``: the radius shrinks
    by the factor that would have made the model's quadratic along the step exact, within
    [0.1, 0.5] (0.1 for a trial far uphill); ``rho >= RHO_EXPAND`` or a Gauss-Newton step:
    it becomes ``2 |D p|``.
    """
    if rho <= RHO_SHRINK:
        temp = 0.5 * dirder / (dirder + 0.5 * ared) if math.isfinite(ared) and ared < 0 \
            else 0.5
        temp = min(max(temp, 0.1), 0.5) if near else 0.1
        return temp * min(delta, pnorm / 0.1), lam / temp
    if lam == 0.0 or rho >= RHO_EXPAND:
        return pnorm / 0.5, lam * 0.5
    return delta, lam


def radius_update_batch(rho: np.ndarray, ared: np.ndarray, dirder: np.ndarray,
                        near: np.ndarray, pnorm: np.ndarray, delta: np.ndarray,
                        lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`radius_update` over arrays (the batch)."""
    shrink = rho <= RHO_SHRINK
    with np.errstate(all="ignore"):
        temp = np.where(np.isfinite(ared) & (ared < 0), 0.5 * dirder / (dirder + 0.5 * ared),
                        0.5)
        temp = np.where(near, np.clip(temp, 0.1, 0.5), 0.1)
        grow = ~shrink & ((lam == 0.0) | (rho >= RHO_EXPAND))
        delta = np.where(shrink, temp * np.minimum(delta, pnorm / 0.1),
                         np.where(grow, pnorm / 0.5, delta))
        lam = np.where(shrink, lam / temp, np.where(grow, lam * 0.5, lam))
    return delta, lam


def batch_status(status: int) -> int:
    """The batch's status for a single fit's scipy status."""
    if status > 0:
        return CONVERGED
    return MAX_ITERATIONS if status == ST_BUDGET else NON_FINITE
