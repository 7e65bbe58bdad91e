"""Sparse and matrix-free Jacobians for the bounded least-squares solvers.

A Jacobian J (m, n) may be a dense array, a ``scipy.sparse`` matrix or a
``scipy.sparse.linalg.LinearOperator``.  The iterative solvers (:mod:`.lsq_lsmr`) touch J
only through products J v and Jᵀ u, so nothing here forms a dense (m, n) array.

Finite differences with a known pattern (Curtis, Powell & Reid 1974).  Columns that share
no nonzero row form a group; one evaluation at x + Σ_{j∈G} h_j e_j gives every column of
the group, since row i of the difference belongs to the single column j ∈ G with
S_ij ≠ 0.  The groups are found greedily in column order on the sparse pattern (a banded
pattern of width w gets w groups; the loop runs in C when the compiled core is built, 55 ms
in Python for 2,000 columns).  The schemes per column j (step h_j = r |x_j|, r where
that vanishes, signed to stay within the bounds):

- '2-point': (f(x + h e_j) - f(x)) / h;
- '3-point': (f(x + h e_j) - f(x - h e_j)) / (2h), or one-sided
  (-3 f(x) + 4 f(x + h e_j) - f(x + 2h e_j)) / (2h) next to a bound;
- 'cs': Im f(x + i h e_j) / h.

The result is a CSR matrix with the pattern's structure.

Column norms ‖J e_j‖ (for ``x_scale='jac'``) and the loss scaling diag(s) J are computed
on the sparse structure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from .._compiled import lmcore as _lmcore  # the compiled core, or None: the numpy loop

__all__ = ["column_norms", "diff_jacobian_sparse", "group_columns_sparse", "is_dense",
           "left_scale", "right_scale"]

_EPS = np.finfo(float).eps


def is_dense(J: Any) -> bool:
    """True for an ndarray Jacobian (neither sparse nor a LinearOperator)."""
    return isinstance(J, np.ndarray)


def group_columns_sparse(pattern: Any) -> NDArray:
    """Group index of each column: columns of one group share no nonzero row.

    Parameters
    ----------
    pattern : sparse matrix or array_like, shape (m, n)
        Which entries of the Jacobian may be nonzero.

    Returns
    -------
    ndarray of int, shape (n,)
        Greedy (first fit, in column order) group number of each column.

    Examples
    --------
    >>> import numpy as np
    >>> group_columns_sparse(np.eye(3) + np.eye(3, k=1)).tolist()
    [0, 1, 0]
    """
    S = sp.csc_array(pattern)
    R = sp.csr_array(pattern)
    n = S.shape[1]
    if _lmcore is not None:  # the same loop in C (_compiled/_lmcore.c)
        def i64(a: NDArray) -> NDArray:
            return np.ascontiguousarray(a, dtype=np.int64)
        out = _lmcore.group_columns(i64(S.indptr), i64(S.indices), i64(R.indptr),
                                    i64(R.indices), n)
        return np.frombuffer(out, dtype=np.int64).astype(int)
    groups = np.full(n, -1, dtype=int)
    for j in range(n):
        rows = S.indices[S.indptr[j]:S.indptr[j + 1]]
        taken: set[int] = set()
        for i in rows:
            cols = R.indices[R.indptr[i]:R.indptr[i + 1]]
            taken.update(groups[cols[cols < j]].tolist())
        g = 0
        while g in taken:
            g += 1
        groups[j] = g
    return groups


def diff_jacobian_sparse(call: Callable[[NDArray], NDArray], x: NDArray, f0: NDArray,
                         method: str, rel_step: NDArray, lb: NDArray, ub: NDArray,
                         pattern: sp.csr_array, groups: NDArray) -> sp.csr_array:
    """Finite-difference Jacobian with the structure of ``pattern`` (module docstring).

    Parameters
    ----------
    call : x -> residuals (m,) (complex-safe for 'cs').
    x, f0 : the point and its residuals.
    method : '2-point', '3-point' or 'cs'.
    rel_step : relative steps, shape (n,).
    lb, ub : bounds the evaluations must respect.
    pattern : CSR pattern (m, n); groups : :func:`group_columns_sparse` of it.

    Returns
    -------
    csr_array, shape (m, n)
    """
    n = x.size
    h = rel_step * np.abs(x)
    h = np.where((x + h) - x == 0, rel_step, h)
    coo = pattern.tocoo()
    rows, cols = coo.row, coo.col
    ng = int(groups.max()) + 1 if n else 0
    vals = np.empty(rows.size)
    if method == "cs":
        for g in range(ng):
            xc = x.astype(complex)
            in_g = groups == g
            xc[in_g] += 1j * h[in_g]
            fi = np.asarray(call(xc)).imag
            sel = in_g[cols]
            vals[sel] = fi[rows[sel]] / h[cols[sel]]
        return sp.csr_array((vals, (rows, cols)), shape=pattern.shape)
    k = 1 if method == "2-point" else 2
    fits_up = k * h <= ub - x
    fits_dn = k * h <= x - lb
    central = (method == "3-point") & (h <= ub - x) & (h <= x - lb)
    up = fits_up | (~fits_dn & (ub - x >= x - lb))
    step = np.where(fits_up | fits_dn, h, np.maximum(ub - x, x - lb) / k)
    step = np.where(central | up, step, -step)
    for g in range(ng):
        in_g = groups == g
        x1 = x.copy()
        x1[in_g] = x[in_g] + step[in_g]
        dx = x1 - x  # the representable steps
        f1 = call(x1)
        sel = in_g[cols]
        r, c = rows[sel], cols[sel]
        if method == "2-point":
            vals[sel] = (f1[r] - f0[r]) / dx[c]
            continue
        x2 = x.copy()
        x2[in_g] = np.where(central[in_g], x[in_g] - dx[in_g], x[in_g] + 2 * dx[in_g])
        f2 = call(x2)
        vals[sel] = np.where(central[c], (f1[r] - f2[r]) / (2 * dx[c]),
                             (-3 * f0[r] + 4 * f1[r] - f2[r]) / (2 * dx[c]))
    return sp.csr_array((vals, (rows, cols)), shape=pattern.shape)


def column_norms(J: Any) -> NDArray:
    """‖J e_j‖ for each column of a dense or sparse J."""
    if sp.issparse(J):
        return np.sqrt(np.asarray(abs(J).power(2).sum(axis=0)).ravel())
    return np.sqrt(np.einsum("ij,ij->j", J, J))


def left_scale(J: Any, s: NDArray) -> Any:
    """diag(s) J, keeping J's kind (dense, sparse or LinearOperator)."""
    if is_dense(J):
        return J * s[:, None]
    if sp.issparse(J):
        return sp.csr_array(sp.diags_array(s) @ J)
    A = aslinearoperator(J)
    return LinearOperator(A.shape, matvec=lambda v: s * A.matvec(v),
                          rmatvec=lambda u: A.rmatvec(s * np.ravel(u)), dtype=float)


def right_scale(J: Any, d: NDArray) -> Any:
    """J diag(d), keeping J's kind (dense, sparse or LinearOperator)."""
    if is_dense(J):
        return J * d
    if sp.issparse(J):
        if J.format == "csr":  # column j's entries scaled in place of a sparse product
            return sp.csr_array((J.data * d[J.indices], J.indices, J.indptr), shape=J.shape)
        return sp.csr_array(J @ sp.diags_array(d))
    A = aslinearoperator(J)
    return LinearOperator(A.shape, matvec=lambda v: A.matvec(d * np.ravel(v)),
                          rmatvec=lambda u: d * A.rmatvec(u), dtype=float)
