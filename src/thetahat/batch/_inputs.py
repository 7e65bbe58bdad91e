"""Validation of the batch fronts' arrays: shapes named in every error, per-row checks."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..solvers.batch_lm import default_workers

__all__ = ["as_ydata", "check_ydata_shape", "as_x", "as_weights", "as_p0", "as_bounds",
           "as_workers"]


def as_ydata(ydata: Any) -> NDArray:
    """``ydata`` as a float array ``(n_fits, n_points)`` with at least one fit; a 1-D
    ``ydata`` (one data set, as scipy's ``curve_fit`` takes it) is a batch of one fit."""
    y = np.asarray(ydata, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    check_ydata_shape(y.shape)
    return y


def check_ydata_shape(shape: tuple[int, ...]) -> None:
    """``shape`` is ``(n_fits, n_points)`` with at least one fit and one point."""
    if len(shape) != 2:
        raise ValueError(f"ydata must have shape (n_fits, n_points), got shape {shape}; "
                         f"a single fit is ydata.reshape(1, -1)")
    if shape[0] == 0:
        raise ValueError(f"ydata holds no fits (shape {shape}): the batch is empty")
    if shape[1] == 0:
        raise ValueError(f"ydata has no points (shape {shape})")


def as_x(x: Any, n: int, m: int, dim: int) -> NDArray:
    """``x`` for a built-in model of ``dim`` coordinates: ``(m, dim)`` shared or
    ``(n, m, dim)`` per fit."""
    xa = np.asarray(x, dtype=float)
    if dim == 1 and xa.ndim in (1, 2):
        xa = xa[..., None]
    shared, per_fit = (m, dim), (n, m, dim)
    if xa.shape == shared or xa.shape == per_fit:
        return np.ascontiguousarray(xa)
    want = f"({m},) or ({n}, {m})" if dim == 1 else f"({m}, 2) or ({n}, {m}, 2)"
    got = xa.shape[:-1] if dim == 1 else xa.shape
    raise ValueError(f"x of shape {got} does not match ydata of shape ({n}, {m}): "
                     f"x must have shape {want}")


def as_weights(sigma: Any, n: int, m: int, name: str = "sigma") -> NDArray | None:
    """``1/sigma**2`` broadcast to ``(n, m)``; rows with sigma <= 0 named by index."""
    if sigma is None:
        return None
    s = np.asarray(sigma, dtype=float)
    try:
        s = np.broadcast_to(s, (n, m))
    except ValueError:
        raise ValueError(f"{name} of shape {s.shape} does not broadcast to ydata's shape "
                         f"({n}, {m})") from None
    bad = ~(s > 0)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        i = int(rows[0])
        j = int(np.flatnonzero(bad[i])[0])
        more = f" (and {rows.size - 1} more rows)" if rows.size > 1 else ""
        raise ValueError(f"{name} must be > 0: row {i} has {name}[{i}, {j}] = {s[i, j]}{more}")
    return np.ascontiguousarray(1.0 / (s * s))


def as_p0(p0: Any, n: int, k: int, names: tuple[str, ...]) -> NDArray:
    """``p0`` shared ``(k,)`` or per fit ``(n, k)``, as ``(n, k)``."""
    p = np.asarray(p0, dtype=float)
    if p.shape == (k,) or p.shape == (1, k):
        return np.tile(p.reshape(1, k), (n, 1))
    if p.shape == (n, k):
        return p.copy()
    raise ValueError(f"p0 of shape {p.shape} does not match {k} parameters "
                     f"({', '.join(names)}) and {n} fits: use shape ({k},) or ({n}, {k})")


def as_bounds(bounds: Any, k: int) -> tuple[NDArray, NDArray]:
    """``(lb, ub)`` each broadcast to ``(k,)``, ``lb < ub``."""
    try:
        lo, hi = bounds
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair (lb, ub), got {bounds!r}") from None
    out = []
    for label, b in (("lower", lo), ("upper", hi)):
        a = np.asarray(b, dtype=float)
        try:
            out.append(np.broadcast_to(a, (k,)).copy())
        except ValueError:
            raise ValueError(f"{label} bounds of shape {a.shape} do not match {k} "
                             f"parameters") from None
    lb, ub = out
    bad = np.flatnonzero(~(lb < ub))
    if bad.size:
        j = int(bad[0])
        raise ValueError(f"each lower bound must be strictly less than the upper bound: "
                         f"parameter {j} has {lb[j]} >= {ub[j]}")
    return lb, ub


def as_workers(workers: Any) -> int:
    """``workers`` as scipy spells it: None or -1 all cores, else a positive int."""
    if workers is None or workers == -1:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive int, -1 or None, got {workers!r}")
    return int(workers)
