"""Finite differences of a model vector: forward-difference Jacobians and the exact Hessian.

Every structured cost is a loss of a model vector, F(p) = L(mu(p)) (residual models, bin
expectations, densities at the events), so its derivatives come from differences of the
vector mu, which do not cancel against a large cost value as differences of F do.

Forward differences (:func:`fd_jacobian`): J_j = (mu(p + h_j e_j) - mu(p)) / h_j with the
relative step h_j = sqrt(eps) |p_j| (sqrt(eps) for p_j = 0), or given steps, rounded so
that p_j + h_j is exact; truncation error O(h), about 1e-8 relative for the default step,
ample for a Gauss-Newton matrix. One model call per parameter.

Central differences (:func:`central_jacobian`): J_j = (f(x + h_j e_j) - f(x - h_j e_j)) /
(2 h_j) with h_j = eps^(1/3) |x_j| (1 for x_j = 0): error O(h²) ≈ eps^(2/3) ≈ 4e-11.
Two calls per parameter.

Observed information (``exact_hessian``). The same costs are ``L(mu(p))``: a model vector
``mu`` (residual models, bin expectations, densities at the events) and a loss that is a sum
of terms in the separate entries of ``mu``, with known derivatives ``L'_k``, ``L''_k``. The
exact second derivatives are then

    H_ab = sum_k L''_k J_ka J_kb + sum_k L'_k d²mu_k / dp_a dp_b,     J = d mu / dp,

where the first term is O(N) and the second, whose weights ``L'_k`` scatter around zero at
the minimum, is O(sqrt(N)). :func:`observed_hessian` takes ``J`` from central differences
of ``mu`` (error O(h²)) and the second derivatives of ``mu`` from the same points plus one
point per pair of parameters (error O(h) in the small term only). Differences of the vector
``mu`` do not cancel against a large cost value as differences of ``L`` do, so a step of
1 % of a standard deviation keeps both the rounding and the truncation error near 1e-6,
with 2 k + k (k - 1) / 2 model calls for k free parameters.

Chunks (:func:`observed_hessian_sum`). Value, gradient and Hessian are sums over the
entries of ``mu``, so for a model whose entries are separate events (an unbinned density)
they are the sums of the same formulas over chunks of events: each chunk's difference
points are evaluated, reduced and dropped, and the memory is that of one chunk (the k
Jacobian rows of ``EVENT_CHUNK`` events) instead of k + 4 vectors of the whole sample.

Examples
--------
>>> import numpy as np
>>> mu = lambda q: np.array([q[0] ** 2, q[0] * q[1]])
>>> J = fd_jacobian(mu, np.array([3.0, 2.0]), mu(np.array([3.0, 2.0])))
>>> np.round(J, 6) + 0.0  # rows: d mu / d p_j
array([[6., 2.],
       [0., 3.]])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["fd_jacobian", "central_jacobian", "FDCache", "observed_hessian",
           "observed_hessian_sum", "event_slices", "EVENT_CHUNK"]

_EPS = float(np.finfo(float).eps)
_BLOCK = 4  # difference points of observed_hessian evaluated at once
_EVENT_CHUNK = 65536  # entries of the model vector per block of J^T diag(L'') J
EVENT_CHUNK = 65536  # events per chunk of an unbinned cost's derivatives (0.5 MB a vector)
_SQRT_EPS = float(np.sqrt(_EPS))


def _eval_rows(fn: Callable[[NDArray], NDArray], P: NDArray,
               rows_fn: Callable[[NDArray], NDArray] | None, shape: tuple) -> NDArray:
    """``fn`` at every row of the parameter matrix P, stacked: ``rows_fn(P)`` when given
    (a cost's compiled model loop), else one call per row."""
    if rows_fn is not None:
        return rows_fn(P)
    out = np.empty((P.shape[0],) + tuple(shape))
    for t in range(P.shape[0]):
        out[t] = fn(P[t])
    return out


def fd_jacobian(fn: Callable[[NDArray], NDArray], p: NDArray, f0: NDArray,
                free: NDArray | None = None, steps: NDArray | None = None,
                rows_fn: Callable[[NDArray], NDArray] | None = None) -> NDArray:
    """Forward-difference Jacobian ``d fn / d p`` of shape ``(len(p),) + f0.shape``.

    One call of ``fn`` per parameter with the relative step ``h_j = sqrt(eps) |p_j|``
    (``sqrt(eps)`` for ``p_j == 0``), or ``steps[j]`` when given, rounded so that
    ``p_j + h_j`` is exact; the truncation error is O(h) relative, about 1e-8 for the
    default step, ample for a Gauss-Newton matrix. Rows of parameters with
    ``free[j] == False`` are not computed (left zero). ``rows_fn(P)``, if given, evaluates
    ``fn`` at every row of P at once (a cost's compiled model loop).
    """
    p = np.asarray(p, dtype=float)
    idx = np.arange(p.size) if free is None else np.flatnonzero(free)
    if steps is None:
        h = _SQRT_EPS * np.where(p[idx] != 0, np.abs(p[idx]), 1.0)
    else:
        h = np.asarray(steps, dtype=float)[idx]
    q = p[idx] + h
    h = q - p[idx]  # the steps actually taken in floating point
    shape = (p.size,) + np.shape(f0)
    P = np.empty((idx.size, p.size))
    P[:] = p
    P.flat[idx + p.size * np.arange(idx.size)] = q
    rows = _eval_rows(fn, P, rows_fn, np.shape(f0))
    rows -= f0
    rows /= h.reshape((-1,) + (1,) * np.ndim(f0))
    if idx.size == p.size:
        return rows
    jac = np.zeros(shape)
    jac[idx] = rows
    return jac


def central_jacobian(fun: Callable[[NDArray], NDArray], x: NDArray, m: int
                     ) -> tuple[NDArray, int]:
    """Central-difference Jacobian (m, n) of ``fun`` at ``x`` (module docstring) and the
    number of calls it took (2 n)."""
    h = _EPS ** (1.0 / 3.0) * np.where(x != 0, np.abs(x), 1.0)
    J = np.empty((m, x.size))
    for j in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[j] += h[j]
        xm[j] -= h[j]
        J[:, j] = (np.asarray(fun(xp), float) - np.asarray(fun(xm), float)) / (xp[j] - xm[j])
    return J, 2 * x.size


class FDCache:
    """The last forward-difference Jacobian a cost computed with given steps.

    :func:`observed_hessian` at the same point with the same steps reuses its model
    values ``mu(p)`` and ``mu(p + h_j e_j) = mu(p) + h_j J_j`` (exact to rounding), which
    saves k + 1 of its model calls. The entry is replaced in one assignment, so that a
    lookup never pairs the point of one evaluation with the values of another.
    """

    __slots__ = ("entry",)

    def __init__(self) -> None:
        self.entry: tuple | None = None

    def store(self, p: NDArray, steps: NDArray | None, mu0: NDArray, jac: NDArray) -> None:
        self.entry = None if steps is None else \
            (np.array(p, dtype=float), np.array(steps, dtype=float), mu0, jac)

    def lookup(self, p: NDArray, steps: NDArray) -> tuple[NDArray, NDArray] | None:
        e = self.entry
        if e is None or not (np.array_equal(e[0], p) and np.array_equal(e[1], steps)):
            return None
        return e[2], e[3]


@functools.lru_cache(maxsize=64)
def _pairs(k: int) -> tuple[NDArray, NDArray]:
    """Row and column indices of the pairs a < b of k parameters."""
    return np.triu_indices(k, 1)


def observed_hessian(mu_fn: Callable[[NDArray], NDArray],
                     loss_fn: Callable[[NDArray], tuple[float, NDArray, NDArray]],
                     p: NDArray, steps: NDArray, free: NDArray | None = None,
                     cache: FDCache | None = None,
                     rows_fn: Callable[[NDArray], NDArray] | None = None
                     ) -> tuple[float, NDArray, NDArray, bool] | None:
    """Value, gradient and exact Hessian of ``L(mu(p))`` (module docstring).

    ``mu_fn(q)`` is the model vector at the flat parameters ``q``; ``loss_fn(mu)`` returns
    the value and the elementwise derivatives ``L'``, ``L''``. ``steps[j] > 0`` is the
    difference step of parameter j; parameters with ``free[j] == False`` get zero rows.
    The fourth result says whether the model values of ``cache`` were reused. Returns None
    where a model value is not finite (the caller falls back to differences of the cost
    itself). ``rows_fn(P)``, if given, evaluates ``mu_fn`` at every row of P at once.
    """
    p = np.asarray(p, dtype=float)
    npar = p.size
    idx = np.arange(npar) if free is None else np.flatnonzero(free)
    hit = cache.lookup(p, steps) if cache is not None else None
    mu0 = np.asarray(mu_fn(p), dtype=float) if hit is None else hit[0]
    value, d1, d2 = loss_fn(mu0)
    if not (np.isfinite(value) and np.all(np.isfinite(d1)) and np.all(np.isfinite(d2))):
        return None
    k = idx.size
    sv = np.asarray(steps, dtype=float)[idx]
    h = (p[idx] + sv) - p[idx]  # the steps actually taken in floating point
    # Only the Jacobian is kept as vectors (k of them); of the other difference points
    # only their projections on L' enter H, so they are evaluated a few at a time
    # (_BLOCK rows) and reduced at once: memory grows like k, not like k², in the events.
    jac = np.empty((k,) + mu0.shape)
    plus_d1, minus_d1 = np.empty(k), np.empty(k)
    mu0_d1 = float(mu0 @ d1)
    per = 1 if hit is not None else 2  # rows per parameter: -h (and +h unless cached)
    step = max(_BLOCK // per, 1)
    for a0 in range(0, k, step):
        blk = np.arange(a0, min(a0 + step, k))
        P = np.repeat(p[None, :], per * blk.size, axis=0)
        rows = np.arange(blk.size) * per
        P[rows, idx[blk]] -= h[blk]
        if per == 2:
            P[rows + 1, idx[blk]] += h[blk]
        R = _eval_rows(mu_fn, P, rows_fn, mu0.shape)
        if not np.isfinite(R).all():
            return None
        rd1 = R.reshape(R.shape[0], -1) @ d1.reshape(-1)  # one product for the block
        for t, a in enumerate(blk):
            minus = R[per * t]
            if per == 2:
                plus, plus_d1[a] = R[per * t + 1], rd1[per * t + 1]
            else:
                plus = mu0 + h[a] * hit[1][idx[a]]  # type: ignore[index]
                plus_d1[a] = plus.reshape(-1) @ d1.reshape(-1)
            jac[a] = plus - minus
            jac[a] /= 2.0 * h[a]
            minus_d1[a] = rd1[per * t]
    hk = np.zeros((k, k))
    flat, d2f = jac.reshape(k, -1), d2.reshape(-1)
    for e0 in range(0, flat.shape[1], _EVENT_CHUNK):  # no k x N temporary for J * L''
        sl = slice(e0, e0 + _EVENT_CHUNK)
        hk += (flat[:, sl] * d2f[sl]) @ flat[:, sl].T
    hk.flat[::k + 1] += (plus_d1 + minus_d1 - 2.0 * mu0_d1) / (h * h)
    ia, ib = _pairs(k)
    for c0 in range(0, ia.size, _BLOCK):
        pa, pb = ia[c0:c0 + _BLOCK], ib[c0:c0 + _BLOCK]
        P = np.repeat(p[None, :], pa.size, axis=0)
        P[np.arange(pa.size), idx[pa]] += h[pa]
        P[np.arange(pa.size), idx[pb]] += h[pb]
        R = _eval_rows(mu_fn, P, rows_fn, mu0.shape)
        if not np.isfinite(R).all():
            return None
        r = (R.reshape(pa.size, -1) @ d1.reshape(-1) - plus_d1[pa] - plus_d1[pb]
             + mu0_d1) / (h[pa] * h[pb])
        hk[pa, pb] += r
        hk[pb, pa] += r
    g = np.zeros(npar)
    g[idx] = jac.reshape(k, -1) @ d1.reshape(-1)
    hess = np.zeros((npar, npar))
    hess[idx[:, None], idx] = hk
    return float(value), g, hess, hit is not None


def event_slices(n: int, npar: int = 1, size: int | None = None) -> list[slice]:
    """Chunks of consecutive events covering ``n`` events for ``npar`` parameters.

    One slice when ``n <= size`` (default :data:`EVENT_CHUNK`); else chunks of
    ``max(size // 8, min(size, n // (2 npar)))`` events, so that the ``npar`` vectors of a
    chunk together stay below half the sample (and below ``npar * size``) while a chunk
    remains long enough that the per-call overhead of the model does not matter.
    """
    size = EVENT_CHUNK if size is None else int(size)
    if n <= size:
        return [slice(0, n)]
    c = max(size // 8, min(size, n // (2 * max(npar, 1))))
    return [slice(a, min(a + c, n)) for a in range(0, n, c)]


def observed_hessian_sum(parts: Sequence[tuple[Callable[[NDArray], NDArray],
                                               Callable[[NDArray],
                                                        tuple[float, NDArray, NDArray]]]],
                         p: NDArray, steps: NDArray, free: NDArray | None = None
                         ) -> tuple[float, NDArray, NDArray, bool] | None:
    """:func:`observed_hessian` of a loss that is the sum of the losses of ``parts``, pairs
    ``(mu_fn, loss_fn)`` of separate entries of the model vector (chunks of events; module
    docstring), summed one part at a time. None if any part has a value that is not
    finite; the fourth result (cache reuse) is False."""
    p = np.asarray(p, dtype=float)
    value, g, hess = 0.0, np.zeros(p.size), np.zeros((p.size, p.size))
    for mu_fn, loss_fn in parts:
        r = observed_hessian(mu_fn, loss_fn, p, steps, free)
        if r is None:
            return None
        value += r[0]
        g += r[1]
        hess += r[2]
    return value, g, hess, False
