"""The batch fronts ``curve_fit`` and ``fit``: validate, pick the compiled or numpy path,
turn the solver's arrays into a :class:`BatchResult`; run in blocks when progress is
reported (:mod:`._progress`); hand dask arrays to :mod:`._dask`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import models
from .._compiled import batchcore
from ..solvers import batch_lm
from ._inputs import as_bounds, as_p0, as_weights, as_workers, as_x, as_ydata
from ._models import Spec, guess, resolve
from ._progress import check_progress, run_blocks
from ._result import BatchResult

if TYPE_CHECKING:
    from ._dask import DaskBatchResult

__all__ = ["curve_fit", "fit"]

INF = float("inf")
_EPS_SQRT = float(np.sqrt(np.finfo(float).eps))


def _user_fun(f: Callable, x: Any, per_fit: bool, n: int, m: int, k: int,
              jac: Callable | None) -> batch_lm.FunJac:
    """``fun(idx, p)`` of :func:`batch_lm.lm_batch` for a user model ``f(x, *p)`` called with
    parameter columns of shape ``(len(idx), 1)``; forward differences unless ``jac``."""

    def value(idx: NDArray, p: NDArray) -> NDArray:
        xs = x[idx] if per_fit else x
        v = np.asarray(f(xs, *(p[:, j:j + 1] for j in range(k))), dtype=float)
        if v.shape != (idx.size, m):
            if v.ndim <= 1 and v.size in (1, m):  # no dependence on the fit: broadcast
                v = np.broadcast_to(v, (idx.size, m))
            else:
                raise ValueError(f"the model returned shape {v.shape} for {idx.size} fits of "
                                 f"{m} points; expected ({idx.size}, {m}) (parameters "
                                 f"arrive as columns of shape ({idx.size}, 1))")
        return v

    def fun(idx: NDArray, p: NDArray) -> tuple[NDArray, NDArray]:
        f0 = value(idx, p)
        if jac is not None:
            xs = x[idx] if per_fit else x
            J = np.asarray(jac(xs, *(p[:, j:j + 1] for j in range(k))), dtype=float)
            if J.shape != (idx.size, m, k):
                raise ValueError(f"jac returned shape {J.shape}; expected "
                                 f"({idx.size}, {m}, {k})")
            return f0, J
        J = np.empty((idx.size, m, k))
        for j in range(k):
            h = _EPS_SQRT * np.maximum(1.0, np.abs(p[:, j]))
            h = np.where(p[:, j] < 0, -h, h)
            q = p.copy()
            q[:, j] += h
            h = q[:, j] - p[:, j]  # the step actually taken
            J[:, :, j] = (value(idx, q) - f0) / h[:, None]
        return f0, J

    return fun


def _n_params(f: Callable) -> tuple[int, tuple[str, ...]]:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        raise ValueError("cannot read the number of parameters of f: pass p0") from None
    ps = [p for p in sig.parameters.values()
          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(ps) < 2:
        raise ValueError("cannot read the number of parameters of f(x, p1, ...): pass p0")
    return len(ps) - 1, tuple(p.name for p in ps[1:])


def _user_names(f: Callable, p0: Any) -> tuple[int, tuple[str, ...]]:
    """The number and names of the parameters of a user function: from its signature, or
    ``p0, p1, ...`` from the length of ``p0`` when the signature does not say (``*args``)."""
    if p0 is None:
        return _n_params(f)
    k = int(np.shape(p0)[-1]) if np.ndim(p0) else 1
    try:
        k_sig, names = _n_params(f)
    except ValueError:  # *args: names from the count of p0
        k_sig = -1
    if k_sig != k:
        names = tuple(f"p{j}" for j in range(k))
    return k, names


def _is_dask(*arrays: Any) -> bool:
    return any(hasattr(a, "__dask_graph__") for a in arrays)


def _finish(names: tuple[str, ...], r: batch_lm.BatchLMResult, m: int, fixed: NDArray,
            scale: bool) -> BatchResult:
    ndof = np.full(r.popt.shape[0], m - int((~fixed).sum()), dtype=np.int64)
    pcov = r.cov
    if scale:
        with np.errstate(all="ignore"):
            s = np.where(ndof > 0, r.chi2 / np.where(ndof > 0, ndof, 1), np.inf)
            pcov = pcov * s[:, None, None]
        pcov[:, fixed, :] = 0.0
        pcov[:, :, fixed] = 0.0
    return BatchResult.from_codes(names, r.popt, pcov, r.chi2, ndof, r.nfev, r.niter,
                                  r.status)


def _solve(fun: batch_lm.FunJac | None, spec: Spec | None, x: NDArray, y: NDArray,
           w: NDArray | None, p0: NDArray, mle: bool, lb: NDArray, ub: NDArray,
           fixed: NDArray, opts: dict) -> batch_lm.BatchLMResult:
    p0 = np.clip(p0, lb, ub)
    kw = dict(mle=mle, lb=lb, ub=ub, fixed=fixed, ftol=opts["ftol"], xtol=opts["xtol"],
              gtol=opts["gtol"], max_iter=opts["max_iter"])
    chunk = opts["chunk"]
    if spec is not None and batchcore is not None and fun is None:
        return batch_lm.run_compiled(batchcore, spec.builtin, x, y, w, p0,
                                     workers=opts["workers"], chunk=chunk or 2048, **kw)
    if fun is None:
        assert spec is not None
        model = spec.builtin
        per_fit = x.ndim == 3

        def fun(idx: NDArray, p: NDArray) -> tuple[NDArray, NDArray]:
            return model.value_jac(x[idx] if per_fit else x, p)

    return batch_lm.lm_batch(fun, p0, y, w, chunk=chunk or 4096, **kw)


def _options(ftol: float, xtol: float, gtol: float, max_iter: int, workers: Any,
             chunk: int | None) -> dict:
    for label, v in (("ftol", ftol), ("xtol", xtol), ("gtol", gtol)):
        if not (np.isfinite(v) and v >= 0):
            raise ValueError(f"{label} must be a finite number >= 0, got {v!r}")
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be a positive int, got {max_iter!r}")
    if chunk is not None and (int(chunk) != chunk or chunk < 1):
        raise ValueError(f"chunk must be a positive int or None, got {chunk!r}")
    return dict(ftol=float(ftol), xtol=float(xtol), gtol=float(gtol), max_iter=int(max_iter),
                workers=as_workers(workers), chunk=chunk)


def curve_fit(f: Callable | str | models.Model, x: ArrayLike, ydata: ArrayLike,
              p0: ArrayLike | None = None, sigma: ArrayLike | None = None,
              bounds: tuple[Any, Any] = (-INF, INF), absolute_sigma: bool = False, *,
              jac: Callable | None = None, workers: int | None = None, ftol: float = 1e-8,
              xtol: float = 1e-8, gtol: float = 1e-8, max_iter: int = 200,
              chunk: int | None = None, x_per_fit: bool | None = None,
              progress: Any = None) -> BatchResult | DaskBatchResult:
    """Fit ``f(x, *p)`` to every row of ``ydata`` by least squares, as many ``curve_fit``.

    Parameters
    ----------
    f : callable, str or thetahat.models.Model
        The model. A numpy function ``f(x, p1, ..., pk)`` is called once per iteration for
        all fits still running, each parameter a column of shape ``(n_active, 1)``, and must
        return shape ``(n_active, n_points)`` — write it as for one fit and numpy's
        broadcasting does the rest (``a * np.exp(-x / tau)`` works as is). Its Jacobian is
        taken by forward differences, or from ``jac``. A string such as
        ``"gauss+constant"`` or ``"gauss2d+constant"`` or a library model runs the compiled
        loop with analytic derivatives (see :func:`fit`).
    x : array
        Shared ``(n_points,)`` (2-D models: ``(n_points, 2)``) or per fit
        ``(n_fits, n_points)`` (``(n_fits, n_points, 2)``). A user function receives ``x``
        as given, or its rows ``x[active]`` when ``x`` is per fit.
    ydata : array (n_fits, n_points)
        One fit per row. Rows with NaN or inf are marked ``'non-finite'``; the others proceed.
        A 1-D array is one data set: a batch of one fit.
    p0 : array (k,) or (n_fits, k), optional
        Starting values; default ones (user functions) or the model's guess (library models).
        They are clipped into ``bounds``.
    sigma : array, optional
        Errors of ``ydata``, broadcast to ``(n_fits, n_points)``; must be > 0.
    bounds : pair of scalars or (k,) arrays
        Bounds on the parameters; a trial step is projected on them.
    absolute_sigma : bool
        As scipy's: False scales ``pcov`` by ``chi2 / ndof``.
    jac : callable, optional
        ``jac(x, *p)`` returning ``(n_active, n_points, k)``.
    workers : int, optional
        Threads of the compiled loop; None or -1: all cores (scipy's spelling).
    ftol, xtol, gtol : float
        Stopping tolerances, with the meaning of scipy's ``method='lm'``
        (:mod:`thetahat.solvers.batch_lm`).
    max_iter : int
        Iterations per fit.
    chunk : int, optional
        Fits processed together (default 2048 compiled, 4096 numpy).
    x_per_fit : bool, optional
        For user functions: whether ``x``'s first axis runs over the fits (default: when
        ``x.shape[:2] == (n_fits, n_points)``).
    progress : None, bool or callable
        None (default): a bar in a Jupyter notebook when tqdm is installed, quiet
        elsewhere. False: quiet. True: a tqdm bar (``thetahat[progress]``). A callable:
        called as ``progress(n_done, n_total)`` after each block of 32768 fits. The
        results are the same either way.

    Returns
    -------
    BatchResult or DaskBatchResult
        A :class:`DaskBatchResult` (lazy; ``.compute()``) when ``ydata``, ``x``, ``p0`` or
        ``sigma`` is a dask array (see :mod:`thetahat.batch._dask`).

    Raises
    ------
    ValueError
        If an argument has the wrong shape or value (the message names it), or ``jac``
        is given with a library model.
    TypeError
        If ``f`` is neither callable, a model name nor a Model, or ``absolute_sigma`` is
        not a bool.

    Examples
    --------
    Two exponential decays (the oracle: noise-free data, so ``popt`` is the truth):

    >>> import numpy as np
    >>> from thetahat import batch
    >>> x = np.linspace(0, 4, 30)
    >>> truth = np.array([[2.0, 1.0], [5.0, 0.5]])
    >>> y = truth[:, :1] * np.exp(-x / truth[:, 1:])
    >>> r = batch.curve_fit(lambda x, a, tau: a * np.exp(-x / tau), x, y, p0=[1.0, 1.0])
    >>> np.allclose(r.popt, truth, rtol=1e-8), r.success.tolist()
    (True, [True, True])
    """
    if _is_dask(ydata, x, p0, sigma):
        from ._dask import over_blocks
        names = resolve(f).parameters if isinstance(f, (str, models.Model)) else \
            _user_names(f, p0)[1]
        return over_blocks(curve_fit, names, progress, ydata=ydata, x=x, p0=p0, sigma=sigma,
                           x_per_fit=x_per_fit, f=f, bounds=bounds,
                           absolute_sigma=absolute_sigma, jac=jac, workers=workers,
                           ftol=ftol, xtol=xtol, gtol=gtol, max_iter=max_iter, chunk=chunk)
    progress = check_progress(progress)
    y = as_ydata(ydata)
    n, m = y.shape
    w = as_weights(sigma, n, m)
    if not isinstance(absolute_sigma, (bool, np.bool_)):
        raise TypeError(f"absolute_sigma must be a bool, got {absolute_sigma!r}")
    if isinstance(f, (str, models.Model)):
        if jac is not None:
            raise ValueError("jac is for user functions; a library model has its own")
        return _fit_spec(resolve(f), x, y, w, p0, False, bounds, not absolute_sigma or
                         w is None, ftol, xtol, gtol, max_iter, workers, chunk, progress)
    if not callable(f):
        raise TypeError(f"f must be callable, a model name or a Model, got {type(f).__name__}")
    opts = _options(ftol, xtol, gtol, max_iter, workers, chunk)
    k, names = _user_names(f, p0)
    p0a = np.ones((n, k)) if p0 is None else as_p0(p0, n, k, names)
    xa = np.asarray(x) if x is not None else None
    per_fit = bool(x_per_fit) if x_per_fit is not None else (
        xa is not None and xa.ndim >= 2 and xa.shape[:2] == (n, m))
    lb, ub = as_bounds(bounds, k)
    if per_fit:
        assert xa is not None
        bad_x = ~np.all(np.isfinite(xa.reshape(n, -1)), axis=1)
        p0a[bad_x] = np.nan
    p0a[~np.all(np.isfinite(y), axis=1)] = np.nan
    fixed = np.zeros(k, dtype=bool)
    scale = not absolute_sigma or w is None

    def solve(start: int, stop: int) -> BatchResult:
        xs = xa[start:stop] if per_fit else xa
        fun = _user_fun(f, xs, per_fit, stop - start, m, k, jac)
        r = _solve(fun, None, np.empty(0), y[start:stop], _rows(w, start, stop),
                   p0a[start:stop], False, lb, ub, fixed, opts)
        return _finish(names, r, m, fixed, scale)

    return run_blocks(solve, n, progress)


def _rows(a: NDArray | None, start: int, stop: int) -> NDArray | None:
    return None if a is None else a[start:stop]


def _fit_spec(spec: Spec, x: Any, y: NDArray, w: NDArray | None, p0: Any, mle: bool,
              bounds: Any, scale: bool, ftol: float, xtol: float, gtol: float,
              max_iter: int, workers: Any, chunk: int | None, progress: Any) -> BatchResult:
    opts = _options(ftol, xtol, gtol, max_iter, workers, chunk)
    n, m = y.shape
    xa = as_x(x, n, m, spec.builtin.dim)
    k = len(spec.parameters)
    p0a = None if p0 is None else as_p0(p0, n, k, spec.parameters)
    lb, ub = as_bounds(bounds, k)
    per_fit = xa.ndim == 3

    def solve(start: int, stop: int) -> BatchResult:
        xs, ys = (xa[start:stop] if per_fit else xa), y[start:stop]
        p = guess(spec, xs, ys) if p0a is None else p0a[start:stop]
        p[~np.all(np.isfinite(ys), axis=1)] = np.nan
        if per_fit:
            p[~np.all(np.isfinite(xs), axis=(1, 2))] = np.nan
        r = _solve(None, spec, xs, ys, _rows(w, start, stop), p, mle, lb, ub, spec.fixed,
                   opts)
        return _finish(spec.parameters, r, m, spec.fixed, scale and not mle)

    return run_blocks(solve, n, progress)


def fit(x: ArrayLike, ydata: ArrayLike, model: str | models.Model, yerr: ArrayLike | None = None,
        *, estimator: str = "lse", p0: ArrayLike | None = None,
        bounds: tuple[Any, Any] = (-INF, INF), workers: int | None = None,
        ftol: float = 1e-8, xtol: float = 1e-8, gtol: float = 1e-8, max_iter: int = 200,
        chunk: int | None = None, progress: Any = None) -> BatchResult | DaskBatchResult:
    """Fit a library model to every row of ``ydata``, in compiled code when it is built.

    Parameters
    ----------
    x : array
        Shared ``(n_points,)`` or per fit ``(n_fits, n_points)``; for the 2-D models
        ``(n_points, 2)`` or ``(n_fits, n_points, 2)``.
    ydata : array (n_fits, n_points)
        One fit per row (counts for ``estimator='mle'``); a 1-D array is a batch of one.
    model : str or thetahat.models.Model
        ``"gauss+constant"``, ``"expo"``, ``"poly2"``, ``"gauss2d+constant"`` (Gpufit's
        ``GAUSS_2D``), ``"gauss2d_elliptic"``, ``"gauss2d_rotated"``, ... (components:
        :mod:`thetahat.batch._models`).
    yerr : array, optional
        Errors of ``ydata`` (least squares), broadcast to ``ydata``; absolute, as iminuit's
        ``LeastSquares``: ``pcov`` is not rescaled. None: unit weights and ``pcov`` scaled
        by ``chi2/ndof`` (as ``curve_fit`` without ``sigma``).
    estimator : {'lse', 'mle'}
        Least squares, or the Poisson likelihood of Gpufit's MLE (``ydata`` counts >= 0;
        ``pcov`` is the inverse of the Hessian of ``-ln L``).
    p0 : array (k,) or (n_fits, k), optional
        Starting values; default: guessed per fit from the data.
    bounds, workers, ftol, xtol, gtol, max_iter, chunk, progress
        As :func:`curve_fit`.

    Returns
    -------
    BatchResult or DaskBatchResult
        A :class:`DaskBatchResult` when ``ydata``, ``x``, ``yerr`` or ``p0`` is a dask
        array.

    Raises
    ------
    ValueError
        If an argument has the wrong shape or value (the message names it and the row),
        ``estimator`` is not ``'lse'`` or ``'mle'``, or ``estimator='mle'`` gets ``yerr``
        or negative counts.

    Examples
    --------
    Gaussian peaks on a flat background (the oracle: noise-free data, so the fit returns
    the truth):

    >>> import numpy as np
    >>> from thetahat import batch, models
    >>> x = np.linspace(-5, 5, 60)
    >>> m = models.parse("gauss+constant")
    >>> y = np.array([m(x, 10.0, 0.5, 1.2, 2.0), m(x, 4.0, -1.0, 0.7, 0.5)])
    >>> r = batch.fit(x, y, "gauss+constant")
    >>> r.parameters
    ('gauss_a', 'gauss_mu', 'gauss_sigma', 'constant_c')
    >>> r.popt.round(8).tolist()
    [[10.0, 0.5, 1.2, 2.0], [4.0, -1.0, 0.7, 0.5]]
    """
    if estimator not in ("lse", "mle"):
        raise ValueError(f"estimator must be 'lse' or 'mle', got {estimator!r}")
    if _is_dask(ydata, x, p0, yerr):
        from ._dask import over_blocks
        return over_blocks(fit, resolve(model).parameters, progress, ydata=ydata, x=x,
                           p0=p0, yerr=yerr, model=model, estimator=estimator,
                           bounds=bounds, workers=workers, ftol=ftol, xtol=xtol, gtol=gtol,
                           max_iter=max_iter, chunk=chunk)
    progress = check_progress(progress)
    y = as_ydata(ydata)
    n, m = y.shape
    mle = estimator == "mle"
    if mle:
        if yerr is not None:
            raise ValueError("yerr is not used by estimator='mle' (Poisson counts carry "
                             "their own variance); pass yerr=None")
        neg = np.flatnonzero(np.any(y < 0, axis=1))
        if neg.size:
            i = int(neg[0])
            j = int(np.flatnonzero(y[i] < 0)[0])
            raise ValueError(f"estimator='mle' needs counts >= 0: row {i} has "
                             f"ydata[{i}, {j}] = {y[i, j]}")
    w = as_weights(yerr, n, m, "yerr")
    return _fit_spec(resolve(model), x, y, w, p0, mle, bounds, yerr is None, ftol, xtol,
                     gtol, max_iter, workers, chunk, progress)
