"""The goodness of fit of a finished minimum: ``p = P(chi2_ndof >= fval)``.

Defined only where the cost is a χ² (least squares with given errors, binned likelihoods):
``fmin.reduced_chi2`` is finite and ``ndof > 0``; otherwise None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["pvalue"]


def pvalue(m: Any) -> float | None:
    """The χ² p-value of a minimum whose cost defines a goodness of fit, else None."""
    from scipy.stats import chi2
    red, ndof = m.fmin.reduced_chi2, m.ndof
    if not (np.isfinite(red) and np.isfinite(ndof) and ndof > 0):
        return None
    return float(chi2.sf(m.fval, ndof))
