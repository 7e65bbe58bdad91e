"""Drawing of costs with matplotlib (imported lazily), and the sampling of model curves
(:func:`_smart_sampling`, re-exported by :mod:`thetahat.util` as in iminuit)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.warnings import warn_user

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray


def _detect_log_spacing(x: Any) -> bool:
    """Whether positive points ``x`` are spaced more evenly in log(x) than in x."""
    a = np.asarray(x, dtype=float)
    if a.size < 3 or np.any(a <= 0):
        return False
    d_lin, d_log = np.diff(a), np.diff(np.log(a))
    return bool(np.ptp(d_log) / np.mean(d_log) < np.ptp(d_lin) / np.mean(d_lin))


def _smart_sampling(f: Callable, xmin: float, xmax: float, start: int = 20,
                    tol: float = 5e-3, maxiter: int = 20, maxtime: float = 10
                    ) -> tuple[NDArray, NDArray]:
    """Points x in [xmin, xmax] and y = f(x) (f vectorised) dense enough that the polyline
    through them deviates from f by less than ``tol`` times the range of y at the mid
    points. Each round evaluates the midpoints of the intervals still open (at first all
    ``start - 1``) and keeps every point evaluated; the halves of an interval whose midpoint
    fails stay open. At most ``maxiter`` rounds or ``maxtime`` seconds (a RuntimeWarning
    says which limit ended the sampling)."""
    t0 = time.monotonic()
    x = np.linspace(xmin, xmax, start)
    y = np.asarray(f(x), dtype=float)
    todo = np.ones(len(x) - 1, dtype=bool)  # open intervals [x_i, x_i+1]
    for _ in range(maxiter):
        if time.monotonic() - t0 > maxtime:
            warn_user(f"Time limit {maxtime} s in smart sampling reached, "
                      f"{len(x)} points", RuntimeWarning)
            return x, y
        i = np.flatnonzero(todo)
        xm = 0.5 * (x[i] + x[i + 1])
        ym = np.asarray(f(xm), dtype=float)
        both = np.concatenate([y, ym])
        span = np.ptp(both[np.isfinite(both)]) if np.any(np.isfinite(both)) else 0.0
        bad = ~(np.abs(ym - 0.5 * (y[i] + y[i + 1])) <= tol * span)
        x = np.insert(x, i + 1, xm)
        y = np.insert(y, i + 1, ym)
        # interval i splits into two; both halves stay open where the midpoint failed
        new_todo = np.zeros(len(x) - 1, dtype=bool)
        left = i + np.arange(len(i))  # position of the left half after the insertions
        new_todo[left[bad]] = True
        new_todo[left[bad] + 1] = True
        todo = new_todo
        if not np.any(todo):
            return x, y
    warn_user(f"Iteration limit {maxiter} in smart sampling reached, {len(x)} points",
              RuntimeWarning)
    return x, y


def _plt() -> Any:
    from matplotlib import pyplot as plt

    return plt


def visualize_lsq(cost: Any, args: ArrayLike, model_points: Any) -> Any:
    """Points with error bars and the model curve of a 1-D LeastSquares."""
    if cost.x.ndim != 1:
        raise ValueError("visualize is not implemented for multi-dimensional x")
    plt = _plt()
    m = np.ones(cost.y.size, dtype=bool) if cost._mask is None else cost._mask
    x, y, ye = cost.x[m], cost.y[m], cost.yerror[m]
    call = cost._call_args_user(args)
    if np.ndim(model_points) > 0:
        xm = np.asarray(model_points, dtype=float)
    elif model_points and int(model_points) > 0:  # log-spaced x: points even in log(x)
        space = np.geomspace if _detect_log_spacing(x) else np.linspace
        xm = space(x.min(), x.max(), int(model_points))
    else:  # dense enough to look smooth (as iminuit, sampled in x)
        xm, _ = _smart_sampling(lambda t: cost._eval_model(t, call), x.min(), x.max())
    ym = cost._eval_model(xm, call)
    plt.errorbar(x, y, ye, fmt="ok")
    plt.plot(xm, ym)
    return (x, y, ye), (xm, ym)


def visualize_binned(cost: Any, args: ArrayLike) -> Any:
    """Counts with sqrt(variance) error bars and the expected counts as steps (bins
    flattened for several dimensions)."""
    plt = _plt()
    xe = cost._edges[0] if len(cost._edges) == 1 else np.arange(cost._n.size + 1.0)
    cx = 0.5 * (xe[1:] + xe[:-1])
    n, n2 = cost._n.ravel(), cost._n2.ravel()
    mu = np.ravel(cost.prediction(args))
    m = np.ones(n.size, dtype=bool) if cost._mask is None else cost._mask.ravel()
    plt.errorbar(cx[m], n[m], np.sqrt(n2[m]), fmt="ok")
    plt.stairs(mu, xe, fill=True, alpha=0.5)
    return (cx, n, np.sqrt(n2)), (xe, mu)


def visualize_unbinned(cost: Any, args: ArrayLike, model_points: Any, bins: int) -> Any:
    """Histogram of the sample and the density scaled to counts per bin (1-D)."""
    d = cost._dm
    if d.ndim != 1:
        raise ValueError("visualize is not implemented for multi-dimensional data")
    plt = _plt()
    n, xe = np.histogram(d, bins=bins)
    cx = 0.5 * (xe[1:] + xe[:-1])
    if np.ndim(model_points) > 0:
        xm = np.asarray(model_points, dtype=float)
    else:
        xm = np.linspace(xe[0], xe[-1], int(model_points) if model_points else 200)
    ym = cost._density_at(xm, cost._call_args(args), True) * (xe[1] - xe[0])
    if type(cost).__name__ == "UnbinnedNLL":
        ym = ym / cost._dm.shape[-1] * d.size
    plt.errorbar(cx, n, np.sqrt(n), fmt="ok")
    plt.plot(xm, ym)
    return (cx, n, np.sqrt(n)), (xm, ym)


def visualize_constraint(cost: Any, args: ArrayLike) -> Any:
    """Expected values with errors and the current parameter values."""
    plt = _plt()
    v = cost.value
    e = np.sqrt(np.diag(cost._cov))
    idx = np.arange(v.size)
    plt.errorbar(idx, v, e, fmt="ok")
    plt.plot(idx, np.asarray(args, dtype=float).ravel(), "s")
    plt.xticks(idx, list(cost._parameters))
    return (idx, v, e), np.asarray(args, dtype=float)


def visualize_sum(cost: Any, args: ArrayLike, component_kwargs: dict | None) -> Any:
    """One subplot per drawable component of a CostSum."""
    plt = _plt()
    items = [(i, c, idx) for i, (c, idx) in enumerate(zip(cost._items, cost._maps))
             if type(c).__name__ != "Constant"]
    fig, axes = plt.subplots(1, len(items), figsize=(4 * len(items), 3), squeeze=False)
    a = np.asarray(args, dtype=float).ravel()
    out = []
    for ax, (i, c, idx) in zip(axes[0], items):
        plt.sca(ax)
        kw = (component_kwargs or {}).get(i, {})
        out.append(c.visualize(a[idx], **kw))
    return out


def visualize_template(cost: Any, args: ArrayLike) -> Any:
    """Data with sqrt(variance) error bars and the template prediction with its
    uncertainty band, over the (flattened) bins."""
    plt = _plt()
    n, n2 = cost._n.ravel(), cost._n2.ravel()
    mu, mu_err = (a.ravel() for a in cost.prediction(args))
    if len(cost._edges) == 1:
        xe = cost._edges[0]
    else:
        xe = np.arange(n.size + 1, dtype=float)
    cx = 0.5 * (xe[1:] + xe[:-1])
    m = np.ones(n.size, dtype=bool) if cost._mask is None else cost._mask.ravel()
    plt.errorbar(cx[m], n[m], np.sqrt(n2[m]), fmt="ok")
    plt.stairs(mu + mu_err, xe, baseline=mu - mu_err, fill=True, color="C0")
    return (cx, n, np.sqrt(n2)), (xe, mu, mu_err)
