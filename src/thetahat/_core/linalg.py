"""Small dense linear algebra through LAPACK directly.

A fit of a few parameters solves many n x n systems with n ~ 2-10; there the arithmetic
is nothing and numpy.linalg's per-call checks and wrapping (3-7 µs) are the cost. These
functions call scipy's LAPACK wrappers (~0.5 µs) and report failure by their return
value, so that callers choose their own fallback (scipy is imported at the first call, so
that ``from thetahat import Minuit`` does not pay for it):

- ``spd_solve(a, b)``: x = a⁻¹ b by Cholesky (``posv``), or None when ``a`` is not
  numerically positive definite (a pivot ≤ 0 or NaN);
- ``spd_inverse(a)``: a⁻¹ from its Cholesky factor, symmetrised, or None likewise;
- ``thin_svd(a)``: a = U diag(s) Vᵀ with s decreasing (``gesdd``), falling back to
  numpy.linalg.svd (which raises) on non-finite input;
- ``spd_cond(a)``: the 1-norm condition number of a symmetric positive-definite ``a``,
  estimated from its Cholesky factor (``pocon``, Hager-Higham; within a factor n of the
  2-norm one), or inf when ``a`` is not positive definite.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["spd_solve", "spd_inverse", "thin_svd", "spd_cond"]

_lapack = None  # scipy.linalg.lapack, imported at the first use (it takes ~0.6 s)


def _lp() -> Any:
    global _lapack
    if _lapack is None:
        from scipy.linalg import lapack
        _lapack = lapack
    return _lapack


def spd_solve(a: NDArray, b: NDArray) -> NDArray | None:
    """a⁻¹ b for a symmetric positive-definite ``a``; None if the Cholesky factor fails."""
    c, x, info = _lp().dposv(a, b)
    # a NaN in a reaches the last pivot of the factor, which potrf does not flag
    return x if info == 0 and math.isfinite(c[-1, -1]) else None


def spd_inverse(a: NDArray) -> NDArray | None:
    """a⁻¹ for a symmetric positive-definite ``a`` (exactly symmetric); None if not SPD."""
    c, info = _lp().dpotrf(a, lower=1)
    if info != 0 or not math.isfinite(c[-1, -1]):
        return None
    x, info = _lp().dpotrs(c, np.eye(a.shape[0]), lower=1)
    if info != 0:
        return None
    return 0.5 * (x + x.T)


def thin_svd(a: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Thin SVD a = U diag(s) Vᵀ, s decreasing. Non-finite input, which gesdd rejects or
    turns into non-finite s, goes to numpy.linalg.svd, which raises."""
    if a.dtype == np.float64 and a.size:
        u, s, vt, info = _lp().dgesdd(a, compute_uv=1, full_matrices=0)
        if info == 0 and math.isfinite(sum(s.tolist())):
            return u, s, vt
    return np.linalg.svd(a, full_matrices=False)


def spd_cond(a: NDArray) -> float:
    """Estimated 1-norm condition number of a symmetric positive-definite ``a`` (inf if
    its Cholesky factor fails)."""
    c, info = _lp().dpotrf(a, lower=1)
    if info != 0 or not math.isfinite(c[-1, -1]):
        return math.inf
    rcond, info = _lp().dpocon(c, float(np.abs(a).sum(axis=0).max()), uplo="L")
    return 1.0 / rcond if info == 0 and rcond > 0 else math.inf
