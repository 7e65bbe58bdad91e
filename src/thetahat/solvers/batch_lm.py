r"""Levenberg-Marquardt over a batch of independent small fits (numpy twin of ``_batchlm.c``).

Each member ``i`` of the batch minimises its own objective over ``k`` parameters ``p``:

- least squares: :math:`\chi^2(p) = \sum_j w_j (f_j(p) - y_j)^2`;
- Poisson maximum likelihood (Gpufit's MLE):
  :math:`\chi^2(p) = 2 \sum_j [f_j - y_j - y_j \ln(f_j / y_j)]` (the ``y_j ln`` term is 0
  for ``y_j = 0``), minimal where :math:`-\ln L` is.

With the model's Jacobian :math:`J_{ja} = \partial f_j / \partial p_a` both have the
Gauss-Newton form :math:`\chi^2(p + \delta) \approx \chi^2 + 2 g^T\delta + \delta^T A \delta`
with, for least squares, :math:`g = J^T W r`, :math:`A = J^T W J` (:math:`r = f - y`) and,
for the likelihood, :math:`g_a = \sum_j (1 - y_j/f_j) J_{ja}`,
:math:`A = \sum_j (y_j / f_j^2) J_j J_j^T` (Gpufit's curvature).

The step is Moré's scaled trust-region step, the algorithm of the single fit
(:mod:`.levmar`; J. J. Moré 1978): with the scaling :math:`D = \mathrm{diag}(d)`,
:math:`d_a` the running maximum over the iterations of the column norm
:math:`\sqrt{A_{aa}}` (a zero column gets 1), and the trust radius :math:`\Delta`
(initially :math:`100\,\|D p_0\|`, or 100), the step minimises the quadratic model subject
to :math:`\|D\delta\| \le \Delta`: :math:`\delta = -(A + \lambda D^2)^{-1} g` with
:math:`\lambda = 0` when the Gauss-Newton step is inside, else :math:`\lambda` from the
secular equation :math:`\|D\delta(\lambda)\| = \Delta` (:mod:`._lm_step`, by Cholesky of
the ``k x k`` matrix, for all members at once). A matrix that factors at no
:math:`\lambda` of that iteration marks the fit *singular*. The trial point is projected
on the bounds, :math:`\delta` is recomputed as the projected step, and the gain ratio

.. math::  \rho = \frac{\chi^2(p) - \chi^2(p + \delta)}{-2 g^T\delta - \delta^T A \delta}

decides, as MINPACK and the single fit: :math:`\rho \ge 10^{-4}` takes the step;
:math:`\rho \le 1/4` shrinks :math:`\Delta` (by the factor MINPACK derives from the
directional derivative, within [0.1, 0.5]); :math:`\rho \ge 3/4` or :math:`\lambda = 0` sets
:math:`\Delta = 2\|D\delta\|`; the first radius is at most the first step. On Gpufit's
benchmark nearly every step is a Gauss-Newton step inside the radius: one Cholesky per
iteration, as a damped solve, and the iterations of the Nielsen-damped engine this replaced
(5.1 on the 2-D Gaussian, 5.5 on the 1-D one).

Stopping (as scipy's ``method='lm'`` / MINPACK, with the same meaning of the tolerances; the
acceptance threshold, the tests and the status codes are :mod:`._lm_rules`, shared with the
single fit :mod:`.levmar` and both compiled cores):

- ``ftol``: a trial step, taken or not, whose actual and predicted relative reductions of
  :math:`\chi^2` are both :math:`\le` ``ftol`` (and :math:`\rho \le 2`, as MINPACK);
- ``xtol``: after a trial, :math:`\Delta \le \mathrm{xtol}\,\|D p\|`;
- ``gtol``: :math:`\max_a |g_a| / \sqrt{A_{aa}\chi^2} \le \mathrm{gtol}` (the largest cosine
  between the residual and a column of :math:`J`), or :math:`\chi^2 = 0`;
- the rounding floor: a trial step whose predicted decrease is below the rounding error of
  :math:`\chi^2` itself, :math:`16\,\epsilon\, s` with :math:`s = \sum_j w_j|r_j|(|f_j| +
  |y_j|)` (likelihood: :math:`2\sum_j (|f_j| + |y_j|)`), cannot be judged by the gain ratio
  (it compares two noisy numbers). When the undamped Gauss-Newton decrease
  :math:`g^T A^{-1} g` is below it as well, the point is the minimum to working precision:
  the fit is converged and the step is not taken. (Without this rule tolerances below the
  floor made the accept/reject decision hang on rounding, and the two twins, which sum in
  different orders, ended some fits iterations apart.)

Cpufit stops on the relative decrease :math:`|\Delta\chi^2|/\chi^2 < 10^{-4}` alone, after
about 3.3 iterations on its benchmark; that leaves the parameters up to ~1e-2 of their error
away from the minimum (median 7e-4). The ftol default here, 1e-8, is scipy's and costs
about 5 iterations: the results are median 1e-5, at most 3e-4 errors from the minimum,
as close as single default ``curve_fit`` calls are, and their errors agree with those
calls' to 1e-4 (``benchmarks/bench_batch.py``). A Newton-decrement stop
(:math:`g^T A^{-1} g \le \mathrm{ftol}\,\chi^2/\nu`, the squared distance to the
Gauss-Newton minimum in errors) was tried: it saves 0.4 iterations for twice the median
distance, so it is not used.

At the end :math:`\mathrm{cov} = A^{-1}` (fixed parameters: zero rows and columns); a
matrix that does not factor gives ``inf`` and status *singular*. For the likelihood the
final ``A`` is the Fisher information :math:`\sum_j J_j J_j^T / f_j` (the expected
curvature of :math:`-\ln L`; Gpufit's :math:`y/f^2` is noisier, ~20 % off on small
counts). Per-fit status codes: :data:`CONVERGED`, :data:`MAX_ITERATIONS`,
:data:`SINGULAR`, :data:`NON_FINITE` (the objective at the start is not finite).
Converged members are frozen: the loop keeps an index of active fits and evaluates only
those; the batch is processed in chunks of ``chunk`` fits
so the Jacobians stay in cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["CONVERGED", "MAX_ITERATIONS", "SINGULAR", "NON_FINITE", "STATUS_NAMES",
           "BatchLMResult", "BuiltinModel", "lm_batch", "run_compiled", "default_workers"]

from ._lm_rules import (
    CONVERGED,
    DELTA0,
    MAX_ITERATIONS,
    NON_FINITE,
    RHO_ACCEPT,
    ROUND,
    SINGULAR,
    STATUS_NAMES,
    ftol_ok,
    gtol_cosine,
    radius_update_batch,
    xtol_ok,
)
from ._lm_step import batched_cholesky, more_step

# component codes shared with _batchlm.c: name -> (code, npar, dim)
COMPONENTS: dict[str, tuple[int, int, int]] = {
    "constant": (0, 1, 1), "expo": (2, 3, 1), "gauss": (3, 3, 1), "lorentz": (4, 3, 1),
    "gauss2d": (10, 4, 2), "gauss2d_elliptic": (11, 5, 2), "gauss2d_rotated": (12, 6, 2),
}
POLY_CODE = 1


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class BatchLMResult:
    """Arrays over the batch: ``popt (n, k)``, ``chi2``, ``nfev``, ``niter``, ``status``,
    ``cov (n, k, k)`` (``inv(A)``, not yet scaled by chi2/ndof)."""

    popt: NDArray
    chi2: NDArray
    nfev: NDArray
    niter: NDArray
    status: NDArray
    cov: NDArray


class BuiltinModel:
    """A sum of built-in components ``[(code, npar), ...]`` evaluated with analytic
    derivatives, in numpy here and in C by :func:`run_compiled`.

    ``x`` has shape ``(m, dim)`` (shared) or ``(n, m, dim)`` (per fit).
    """

    def __init__(self, components: Sequence[tuple[int, int]], dim: int) -> None:
        self.components = [(int(c), int(k)) for c, k in components]
        self.k = sum(k for _, k in self.components)
        self.dim = int(dim)

    def value_jac(self, x: NDArray, p: NDArray) -> tuple[NDArray, NDArray]:
        """``f (n, m)`` and ``J (n, m, k)`` at parameters ``p (n, k)``."""
        n = p.shape[0]
        x0 = x[..., 0] if x.ndim == 3 else x[None, :, 0]
        x1 = (x[..., 1] if x.ndim == 3 else x[None, :, 1]) if self.dim > 1 else None
        m = x0.shape[-1]
        f = np.zeros((n, m))
        jac = np.empty((n, m, self.k))
        off = 0
        for code, npar in self.components:
            q = [p[:, off + a, None] for a in range(npar)]
            with np.errstate(all="ignore"):  # non-finite values make the status
                v, d = _component(code, npar, x0, x1, q)
            f += v
            for a in range(npar):
                jac[:, :, off + a] = d[a]
            off += npar
        return f, jac


def _component(code: int, npar: int, x: NDArray, y: NDArray | None,
               q: list[NDArray]) -> tuple[NDArray, list[NDArray]]:
    one = np.ones_like(x * q[0])
    if code == 0:
        return q[0] * one, [one]
    if code == POLY_CODE:
        powers = [one]
        for _ in range(1, npar):
            powers.append(powers[-1] * x)
        return sum(c * xp for c, xp in zip(q, powers)), powers
    if code == 2:
        e = np.exp(-(x - q[1]) / q[2])
        v = q[0] * e
        return v, [e, v / q[2], v * (x - q[1]) / (q[2] * q[2])]
    if code == 3:
        t = (x - q[1]) / q[2]
        e = np.exp(-0.5 * t * t)
        v = q[0] * e
        return v, [e, v * t / q[2], v * t * t / q[2]]
    if code == 4:
        t = (x - q[1]) / q[2]
        u = 1.0 / (1.0 + t * t)
        v = q[0] * u
        return v, [u, 2.0 * v * u * t / q[2], 2.0 * v * u * t * t / q[2]]
    assert y is not None
    if code == 10:
        u, s = (x - q[1]) / q[3], (y - q[2]) / q[3]
        e = np.exp(-0.5 * (u * u + s * s))
        v = q[0] * e
        return v, [e, v * u / q[3], v * s / q[3], v * (u * u + s * s) / q[3]]
    if code == 11:
        u, s = (x - q[1]) / q[3], (y - q[2]) / q[4]
        e = np.exp(-0.5 * (u * u + s * s))
        v = q[0] * e
        return v, [e, v * u / q[3], v * s / q[4], v * u * u / q[3], v * s * s / q[4]]
    if code == 12:
        ct, st = np.cos(q[5]), np.sin(q[5])
        dx, dy = x - q[1], y - q[2]
        xr, yr = dx * ct - dy * st, dx * st + dy * ct
        u, s = xr / q[3], yr / q[4]
        e = np.exp(-0.5 * (u * u + s * s))
        v = q[0] * e
        return v, [e, v * (u * ct / q[3] + s * st / q[4]), v * (-u * st / q[3] + s * ct / q[4]),
                   v * u * u / q[3], v * s * s / q[4], v * (u * yr / q[3] - s * xr / q[4])]
    raise ValueError(f"unknown component code {code}")


def _accumulate(f: NDArray, jac: NDArray, y: NDArray, w: NDArray | None, mle: bool,
                fixed: NDArray, fisher: bool = False
                ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """chi2 (n,), g (n, k), A (n, k, k) of the objective (module docstring) and the scale
    of chi2's rounding error (n,); chi2 = inf where it, g or diag(A) is not finite."""
    with np.errstate(all="ignore"):
        if mle:
            pos = f > 0
            ylog = np.where(y > 0, y * np.log(np.where(pos, f, 1.0) / np.where(y > 0, y, 1.0)),
                            0.0)
            chi2 = np.sum(2.0 * (f - y) - 2.0 * ylog, axis=1)
            chi2[~np.all(pos, axis=1)] = np.inf
            scale = 2.0 * np.sum(np.abs(f) + np.abs(y), axis=1)
            a = 1.0 - y / f
            b = 1.0 / f if fisher else y / (f * f)
        else:
            r = f - y
            a = r if w is None else w * r
            chi2 = np.sum(a * r, axis=1)
            scale = np.sum(np.abs(a) * (np.abs(f) + np.abs(y)), axis=1)
            b = w
        g = np.matmul(a[:, None, :], jac)[:, 0, :]
        jb = jac if b is None else jac * b[:, :, None]
        A = np.matmul(np.swapaxes(jb, 1, 2), jac)
    chi2[~np.isfinite(chi2)] = np.inf
    # a Jacobian that is not finite makes the point unusable too
    chi2[~(np.all(np.isfinite(g), axis=1) & np.all(np.isfinite(np.diagonal(A, axis1=1, axis2=2)),
                                                   axis=1))] = np.inf
    if fixed.any():
        g[:, fixed] = 0.0
        A[:, fixed, :] = 0.0
        A[:, :, fixed] = 0.0
        idx = np.flatnonzero(fixed)
        A[:, idx, idx] = 1.0
    return chi2, g, A, scale


def _cholesky_solve(M: NDArray, rhs: NDArray) -> tuple[NDArray, NDArray]:
    """Solve M z = rhs per member; (z, ok) with ok False where M is not positive definite."""
    n, k = rhs.shape
    z = np.zeros_like(rhs)
    if n == 0:
        return z, np.zeros(n, dtype=bool)
    L, ok = batched_cholesky(M)
    if ok.any():
        Lo = L[ok]
        t = np.linalg.solve(Lo, rhs[ok][:, :, None])
        z[ok] = np.linalg.solve(np.swapaxes(Lo, 1, 2), t)[:, :, 0]
    return z, ok


FunJac = Callable[[NDArray, NDArray], tuple[NDArray, NDArray]]


def lm_batch(fun: FunJac, p0: NDArray, y: NDArray, w: NDArray | None = None, *,
             mle: bool = False, lb: NDArray | None = None, ub: NDArray | None = None,
             fixed: NDArray | None = None, ftol: float = 1e-8, xtol: float = 1e-8,
             gtol: float = 1e-8, max_iter: int = 200, chunk: int = 4096) -> BatchLMResult:
    """Fit every member of a batch (module docstring), in numpy.

    Parameters
    ----------
    fun : callable
        ``fun(idx, p)`` with ``idx`` an int array of batch members and ``p (len(idx), k)``:
        returns the model ``f (len(idx), m)`` and its Jacobian ``J (len(idx), m, k)``.
    p0 : array (n, k)
        Starting values.
    y, w : arrays (n, m)
        Data and weights (``1/sigma**2``; None: 1). ``w`` is ignored for the MLE.
    mle : bool
        Poisson maximum likelihood instead of least squares.
    lb, ub : arrays (k,), optional
        Bounds; a trial point is projected on them.
    fixed : bool array (k,), optional
        Parameters kept at their starting value.
    ftol, xtol, gtol : float
        Tolerances (module docstring).
    max_iter : int
        Iterations (trial steps) per fit.
    chunk : int
        Fits processed together.

    Returns
    -------
    BatchLMResult

    Examples
    --------
    Two straight lines ``y = a + b x`` (the oracle: exact data, so ``popt`` is the truth):

    >>> import numpy as np
    >>> x = np.linspace(0, 1, 5)
    >>> truth = np.array([[1.0, 2.0], [-1.0, 0.5]])
    >>> y = truth[:, :1] + truth[:, 1:] * x
    >>> def fun(idx, p):
    ...     jac = np.broadcast_to(np.stack([np.ones_like(x), x], -1), (len(idx), 5, 2))
    ...     return p[:, :1] + p[:, 1:] * x, jac
    >>> r = lm_batch(fun, np.zeros((2, 2)), y)
    >>> np.allclose(r.popt, truth, rtol=0, atol=1e-10), r.status.tolist()
    (True, [1, 1])
    """
    p0 = np.array(p0, dtype=float)
    n, k = p0.shape
    lb = np.full(k, -np.inf) if lb is None else np.asarray(lb, dtype=float)
    ub = np.full(k, np.inf) if ub is None else np.asarray(ub, dtype=float)
    fixed = np.zeros(k, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    out = BatchLMResult(p0.copy(), np.full(n, np.inf), np.zeros(n, np.int64),
                        np.zeros(n, np.int64), np.full(n, MAX_ITERATIONS, np.int64),
                        np.full((n, k, k), np.nan))
    for start in range(0, n, max(int(chunk), 1)):
        idx = np.arange(start, min(start + max(int(chunk), 1), n))
        _chunk(fun, idx, y, w, mle, lb, ub, fixed, ftol, xtol, gtol, max_iter, out)
    return out


def _chunk(fun: FunJac, idx: NDArray, y: NDArray, w: NDArray | None, mle: bool, lb: NDArray,
           ub: NDArray, fixed: NDArray, ftol: float, xtol: float, gtol: float, max_iter: int,
           out: BatchLMResult) -> None:
    k = out.popt.shape[1]
    p = out.popt[idx].copy()
    yc, wc = y[idx], (None if w is None else w[idx])
    f, jac = fun(idx, p)
    chi2, g, A, scale = _accumulate(f, jac, yc, wc, mle, fixed)
    nfev = np.ones(idx.size, np.int64)
    niter = np.zeros(idx.size, np.int64)
    status = np.full(idx.size, MAX_ITERATIONS, np.int64)
    bad = ~np.isfinite(chi2)
    status[bad] = NON_FINITE
    diag = np.diagonal(A, axis1=1, axis2=2)  # squared column norms of J
    d2 = np.where(diag > 0, diag, 1.0)  # Moré's scaling D, squared
    dx = np.sqrt(np.sum(d2 * p * p, axis=1))
    delta = np.where(dx > 0, DELTA0 * dx, DELTA0)
    lam = np.zeros(idx.size)
    first = np.ones(idx.size, dtype=bool)  # no step taken yet
    act = np.flatnonzero(~bad)  # positions in the chunk still iterating
    for _ in range(max_iter):
        if act.size == 0:
            break
        cosine = gtol_cosine(g[act], np.diagonal(A[act], axis1=1, axis2=2), chi2[act])
        done = (chi2[act] == 0.0) | (cosine <= gtol)
        status[act[done]] = CONVERGED
        act = act[~done]
        if act.size == 0:
            break
        niter[act] += 1
        dl, lam[act], pnorm = more_step(A[act], g[act], d2[act], delta[act], lam[act])
        # a matrix that factors at no damping of the secular iteration: singular
        sing = pnorm == 0.0
        status[act[sing]] = SINGULAR
        tr, dl, pnorm = act[~sing], dl[~sing], pnorm[~sing]
        fr = first[tr] & (pnorm < delta[tr])
        delta[tr[fr]] = pnorm[fr]  # MINPACK: the first radius is at most the first step
        pn = np.clip(p[tr] + dl, lb, ub)
        moved = np.any(pn != p[tr] + dl, axis=1)
        dl = pn - p[tr]
        pnorm = np.where(moved, np.sqrt(np.sum(d2[tr] * dl * dl, axis=1)), pnorm)
        jp2 = np.sum(dl * np.matmul(A[tr], dl[:, :, None])[:, :, 0], axis=1)  # ‖J δ‖²
        pred = -2.0 * np.sum(g[tr] * dl, axis=1) - jp2
        # rounding floor: no step can be judged by chi2 differences; at the minimum (the
        # undamped decrement is below it too) the fit is converged and the step not taken
        low = pred <= ROUND * scale[tr]
        if low.any():
            tl = tr[low]
            z, okz = _cholesky_solve(A[tl], g[tl])
            floor = okz & (np.sum(g[tl] * z, axis=1) <= ROUND * scale[tl])
            status[tl[floor]] = CONVERGED
            keep = np.ones(tr.size, dtype=bool)
            keep[np.flatnonzero(low)[floor]] = False
            tr, dl, pn, pnorm, jp2, pred = (tr[keep], dl[keep], pn[keep], pnorm[keep],
                                            jp2[keep], pred[keep])
        fn, jn = fun(idx[tr], pn)
        chi2n, gn, An, scn = _accumulate(fn, jn, yc[tr], None if wc is None else wc[tr], mle,
                                         fixed)
        nfev[tr] += 1
        c0 = chi2[tr]
        fin = np.isfinite(chi2n)
        with np.errstate(all="ignore"):
            ared = np.where(fin, (c0 - chi2n) / c0, -np.inf)  # relative reductions
            prered = pred / c0
            rho = np.where(prered > 0, ared / prered, 0.0)
        # the trust radius (MINPACK's update, as the single fit)
        with np.errstate(all="ignore"):
            dirder = -(jp2 + lam[tr] * pnorm * pnorm) / c0
        delta[tr], lam[tr] = radius_update_batch(rho, ared, dirder, chi2n < 100.0 * c0, pnorm,
                                                 delta[tr], lam[tr])
        acc = rho >= RHO_ACCEPT
        ta = tr[acc]
        p[ta], chi2[ta], g[ta], A[ta], scale[ta] = pn[acc], chi2n[acc], gn[acc], An[acc], \
            scn[acc]
        first[ta] = False
        xnorm = np.sqrt(np.sum(d2[tr] * p[tr] * p[tr], axis=1))
        d2[ta] = np.maximum(d2[ta], np.diagonal(An[acc], axis1=1, axis2=2))
        conv = ftol_ok(ared, prered, rho, ftol) | xtol_ok(delta[tr], xnorm, xtol)
        status[tr[conv]] = CONVERGED
        act = tr[~conv]
    cov = np.full((idx.size, k, k), np.nan)
    fin = status != NON_FINITE
    if mle and fin.any():
        fi = np.flatnonzero(fin)
        fe, je = fun(idx[fi], p[fi])
        A[fi] = _accumulate(fe, je, yc[fi], None, True, fixed, fisher=True)[2]
    eye = np.broadcast_to(np.eye(k), (int(fin.sum()), k, k))
    inv = np.empty((int(fin.sum()), k, k))
    fi = np.flatnonzero(fin)
    for c in range(k):
        z, ok = _cholesky_solve(A[fi], np.ascontiguousarray(eye[:, :, c]))
        inv[:, :, c] = z
    _, okc = _cholesky_solve(A[fi], np.ones((fi.size, k)))
    inv[~okc] = np.inf
    inv[:, fixed, :] = np.where(okc[:, None, None], 0.0, np.inf)
    inv[:, :, fixed] = np.where(okc[:, None, None], 0.0, np.inf)
    cov[fi] = inv
    status[fi[~okc & (status[fi] == CONVERGED)]] = SINGULAR
    out.popt[idx], out.chi2[idx], out.nfev[idx] = p, chi2, nfev
    out.niter[idx], out.status[idx], out.cov[idx] = niter, status, cov


def run_compiled(core: object, model: BuiltinModel, x: NDArray, y: NDArray,
                 w: NDArray | None, p0: NDArray, *, mle: bool, lb: NDArray, ub: NDArray,
                 fixed: NDArray, ftol: float, xtol: float, gtol: float, max_iter: int,
                 workers: int, chunk: int) -> BatchLMResult:
    """The same fits as :func:`lm_batch` with ``fun = model.value_jac``, in C over
    ``workers`` threads (``core`` is :data:`thetahat._compiled.batchcore`)."""
    n, k = p0.shape
    popt = np.array(p0, dtype=float, order="C")
    out = BatchLMResult(popt, np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64),
                        np.empty(n, np.int64), np.empty((n, k, k)))
    comps = np.array(model.components, dtype=np.int32).ravel()
    xc = np.ascontiguousarray(x, dtype=float)
    core.fit(comps, xc, int(xc.ndim == 3), model.dim,  # type: ignore[attr-defined]
             np.ascontiguousarray(y, dtype=float),
             None if w is None else np.ascontiguousarray(w, dtype=float), int(mle),
             np.ascontiguousarray(lb, dtype=float), np.ascontiguousarray(ub, dtype=float),
             np.ascontiguousarray(fixed, dtype=np.int8), out.popt, out.chi2, out.nfev,
             out.niter, out.status, out.cov, float(ftol), float(xtol), float(gtol),
             int(max_iter), int(workers), int(chunk))
    return out
