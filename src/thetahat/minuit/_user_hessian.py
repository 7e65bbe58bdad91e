"""The user's Hessian (``Minuit(..., hessian=fn)``) in place of HESSE's differences.

With H the user's matrix of second derivatives at the point x found, restricted to the free
parameters F, the covariance is C_FF = 2 · errordef · H_FF⁻¹ (zeros for fixed parameters)
and the EDM is gᵀ H_FF⁻¹ g / 2 with g the user's gradient (or central differences of the
cost with steps of 1e-3 errors when there is none). A matrix that is not positive definite
leaves the outcome of the engine as it was.
"""

from __future__ import annotations

import numpy as np

from .._core.linalg import spd_inverse
from ._state import FitState, Outcome

__all__ = ["with_user_hessian"]


def with_user_hessian(st: FitState, out: Outcome) -> tuple[Outcome, int]:
    """``out`` with covariance and EDM from ``st.hessian`` at ``out.values``; also the
    number of Hessian calls (1)."""
    hessian = st.hessian
    assert hessian is not None  # called only with a user's Hessian
    x = np.asarray(out.values, dtype=float)
    idx = np.flatnonzero(~st.fixed)
    if idx.size == 0:
        return out, 0
    h = np.atleast_2d(np.asarray(hessian(x) if st.array_call else hessian(*x), float))
    hinv = spd_inverse(h[np.ix_(idx, idx)])
    if hinv is None:
        return out, 1
    prob = st.problem(values=x)
    if st.grad is not None:
        prob.ngrad += 1
        g = np.asarray(st.grad(x) if st.array_call else st.grad(*x), float)[idx]
    else:
        step = 1e-3 * np.abs(st.errors[idx]) + 1e-8 * (1 + np.abs(x[idx]))
        g = np.empty(idx.size)
        for k, i in enumerate(idx):
            up, dn = x.copy(), x.copy()
            up[i] += step[k]
            dn[i] -= step[k]
            g[k] = (prob.call_ext(up) - prob.call_ext(dn)) / (2 * step[k])
    cov = np.zeros((x.size, x.size))
    cov[np.ix_(idx, idx)] = 2.0 * st.errordef * hinv
    flags = dict(out.flags, has_covariance=True, has_posdef_covar=True,
                 has_accurate_covar=True, has_made_posdef_covar=False, hesse_failed=False)
    flags.pop("is_valid", None)
    new = Outcome(out.algorithm, x, out.fval, float(0.5 * g @ hinv @ g), cov, flags,
                  out.nfcn + prob.nfcn, out.ngrad + prob.ngrad, hesse_at_values=True)
    return new, 1
