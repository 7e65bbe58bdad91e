r"""Moré's scaled trust-region step over a batch of fits (numpy twin of ``_lm_step.h``).

For each member of the batch, with the Gauss-Newton matrix :math:`A = J^T J` (``k x k``),
the gradient :math:`g = J^T r`, the scaling :math:`D = \mathrm{diag}(d)` (Moré's running
maximum of the column norms of :math:`J`) and the trust radius :math:`\Delta`, the step
solves

.. math::  \min_p\ 2 g^T p + p^T A p \quad\text{subject to}\quad \|D p\| \le \Delta,

whose solution is :math:`p(\lambda) = -(A + \lambda D^2)^{-1} g` with :math:`\lambda = 0`
when the Gauss-Newton step lies inside the region, else the :math:`\lambda > 0` with
:math:`\|D p(\lambda)\| = \Delta` (J. J. Moré, "The Levenberg-Marquardt algorithm:
implementation and theory", 1978). In the scaled variables :math:`q = D p`,
:math:`\tilde A = D^{-1} A D^{-1}`, :math:`\tilde g = D^{-1} g`:
:math:`(\tilde A + \lambda I)\, q = -\tilde g`, solved by Cholesky
:math:`\tilde A + \lambda I = L L^T` (in practice unscaled,
:math:`(A + \lambda D^2) p = -g`: the same numbers, as Cholesky's rounding does not depend
on a diagonal scaling). With :math:`L w = q`, :math:`d\|q\|^2/d\lambda = -2\|w\|^2`, and
:math:`\lambda` is found by Newton's method on
:math:`\psi(\lambda) = 1/\Delta - 1/\|q(\lambda)\|` (convex: Hebden's choice),

.. math::  \lambda \leftarrow \lambda + \frac{\|q\|^2}{\|w\|^2}\,\frac{\|q\| - \Delta}{\Delta},

safeguarded to the bracket :math:`0 < \lambda < \|\tilde g\| / \Delta` (past its upper end
:math:`\|q\| < \Delta`) and stopped at :math:`|\|q\| - \Delta| \le 0.1\,\Delta`, starting
from the previous iteration's :math:`\lambda`. These are exactly the iterates of the single
fit's SVD form (:mod:`.levmar`); the normal equations square the condition number, which
for the batch's small, well-posed fits costs nothing (a Cholesky that fails at
:math:`\lambda = 0` simply means that the Gauss-Newton step does not exist, and the
secular equation, with :math:`\lambda > 0`, takes over).

Members are processed together: every Newton iteration is one batched Cholesky of the
members not yet inside the 10 % band.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["more_step", "batched_cholesky"]

from ._lm_rules import STEP_BAND, STEP_ITER


def batched_cholesky(M: NDArray) -> tuple[NDArray, NDArray]:
    """Lower Cholesky factors of ``M (n, k, k)`` and a mask of the members that factor
    (finite and positive definite); the others get a zero factor."""
    n = M.shape[0]
    ok = np.zeros(n, dtype=bool)
    try:
        L = np.linalg.cholesky(M)
        ok[:] = True
    except np.linalg.LinAlgError:  # member by member: the batched call fails as a whole
        L = np.zeros_like(M)
        for i in range(n):
            try:
                L[i] = np.linalg.cholesky(M[i])
                ok[i] = True
            except np.linalg.LinAlgError:
                pass
    with np.errstate(all="ignore"):
        ok &= np.all(np.isfinite(L), axis=(1, 2))
    return L, ok


def _chol_p(A: NDArray, g: NDArray, d2: NDArray, lam: NDArray | None
            ) -> tuple[NDArray, NDArray, NDArray]:
    """p = -(A + λ D²)⁻¹ g, ‖D p‖² and ‖L⁻¹ D² p‖² per member, L Lᵀ = A + λ D² (p = 0 and
    the norms inf where the matrix does not factor; λ None: 0, without the last norm).

    In the scaled variables of the module docstring q = D p and ‖L⁻¹ D² p‖ = ‖L̃⁻¹ q‖ with
    L̃ = D⁻¹ L: the same numbers, and Cholesky's rounding does not depend on a diagonal
    scaling."""
    n, k = g.shape
    if lam is None:
        M = A
    else:
        M = A.copy()
        M[:, np.arange(k), np.arange(k)] += lam[:, None] * d2
    p = np.zeros((n, k))
    n2 = np.full(n, np.inf)
    w2 = np.full(n, np.inf)
    if n == 0:
        return p, n2, w2
    L, ok = batched_cholesky(M)
    if ok.any():
        Lo = L[ok]
        t = np.linalg.solve(Lo, -g[ok][:, :, None])
        po = np.linalg.solve(np.swapaxes(Lo, 1, 2), t)[:, :, 0]
        d2o = d2[ok]
        p[ok] = po
        n2[ok] = np.sum(d2o * po * po, axis=1)
        if lam is not None:
            wo = np.linalg.solve(Lo, (d2o * po)[:, :, None])[:, :, 0]
            w2[ok] = np.sum(wo * wo, axis=1)
    return p, n2, w2


def more_step(A: NDArray, g: NDArray, d2: NDArray, delta: NDArray, lam0: NDArray
              ) -> tuple[NDArray, NDArray, NDArray]:
    """The step ``p (n, k)``, its ``λ (n,)`` and ``‖D p‖ (n,)`` (module docstring).

    ``A (n, k, k)``, ``g (n, k)``, ``d2 (n, k) > 0`` the squared scaling, ``delta (n,) > 0``;
    ``lam0 (n,)`` the previous λ, the first guess of the secular iteration. A member whose
    matrix factors at no λ of the iteration gets ``p = 0`` and ``‖D p‖ = 0``.
    """
    n, k = g.shape
    p, n2, _ = _chol_p(A, g, d2, None)
    with np.errstate(all="ignore"):
        nq = np.sqrt(n2)
    lam = np.zeros(n)
    todo = np.flatnonzero(~(nq <= delta * (1 + 1e-10)))  # the Gauss-Newton step is outside
    if todo.size:
        dt = delta[todo]
        with np.errstate(over="ignore"):  # a radius shrunk to nothing: hi = inf, handled
            hi = np.sqrt(np.sum(g[todo] ** 2 / d2[todo], axis=1)) / dt
        lo = np.zeros(todo.size)
        l0 = lam0[todo]
        lt = np.where((lo < l0) & (l0 < hi), l0, np.sqrt(np.maximum(lo, 1e-3 * hi) * hi))
        pt = np.zeros((todo.size, k))
        nt = np.full(todo.size, np.inf)
        lq = np.zeros(todo.size)  # the λ of pt
        act = np.arange(todo.size)  # positions in todo still iterating
        for _ in range(STEP_ITER):
            if act.size == 0:
                break
            la, loa, hia = lt[act], lo[act], hi[act]
            out = ~((loa < la) & (la < hia))
            la = np.where(out, np.maximum(0.001 * hia, np.sqrt(np.maximum(loa * hia, 0.0))),
                          la)
            lt[act] = lq[act] = la
            pa, n2a, w2a = _chol_p(A[todo[act]], g[todo[act]], d2[todo[act]], la)
            pt[act] = pa
            with np.errstate(all="ignore"):
                nqa = np.sqrt(n2a)
                nt[act] = nqa
                phi = nqa - dt[act]
                done = np.abs(phi) <= STEP_BAND * dt[act]
                lo[act] = np.where(~done & (phi > 0), la, loa)
                hi[act] = np.where(~done & ~(phi > 0), la, hia)
                newton = np.where(w2a > 0, la + (n2a / w2a) * phi / dt[act], 2.0 * la)
            lt[act] = np.where(done, la, newton)
            act = act[~done]
        p[todo] = pt
        lam[todo] = lq
        nq[todo] = nt
    bad = ~np.isfinite(nq)
    p[bad] = 0.0
    nq[bad] = 0.0
    return p, lam, nq
