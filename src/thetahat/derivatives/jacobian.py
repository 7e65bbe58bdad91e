"""Finite-difference Jacobians of a vector function, with MINPACK-style relative steps.

For f: R^n -> R^m the Jacobian column j is approximated from values of f along e_j:

- '2-point' (forward):  J_j ≈ (f(x + h_j e_j) - f(x)) / h_j,
  truncation error h|f''|/2, rounding error eps|f|/h; the optimal relative step is
  rel_step = sqrt(eps) ≈ 1.5e-8.
- '3-point' (central):  J_j ≈ (f(x + h_j e_j) - f(x - h_j e_j)) / (2 h_j),
  truncation error h²|f'''|/6, optimal rel_step = eps^(1/3) ≈ 6e-6.  Next to a bound
  the one-sided three-point formula (-3 f(x) + 4 f(x + h) - f(x + 2h)) / (2h) (or its
  mirror image) keeps the same order.
- 'cs' (complex step, Squire & Trapp 1998):  J_j = Im f(x + i h_j e_j) / h_j,
  exact to O(h²) with no subtractive cancellation; f must be analytic in x.

The step is *relative to the parameter* as in MINPACK's ``fdjac2``:
h_j = rel_step · |x_j|, so that parameters of size 1e-5 or 1e5 get the same relative
resolution (a step of max(1, |x_j|) · rel_step, as scipy uses, is far too coarse for a
parameter of size 1e-5).  Where x_j = 0 (or h_j would vanish in rounding) the step is
rel_step itself; where |x_j| < 1 is so small that the relative step changes f only at the
rounding level (a column of zeros that is really a failed difference), the difference is
retried once with the step rel_step of a parameter of size 1.  The step actually taken is
the representable difference (x_j + h_j) - x_j, which removes the rounding error of the
step from the quotient.

With bounds lb <= x <= ub a forward step that would leave the box is flipped to a
backward one; if neither side fits, the larger side is used with the step shrunk to the
room available.  Central steps that do not fit become one-sided three-point steps.

Sparsity (Curtis, Powell & Reid, 1974). When the pattern S of the Jacobian is known,
columns with no nonzero row in common form a group, and one evaluation at
x + Σ_{j in group} h_j e_j gives all their columns at once: row i of the difference belongs
to the single column j of the group with S_ij ≠ 0. Groups are formed greedily
(:func:`column_groups`); a banded Jacobian of width w needs w evaluations, not n. Columns
whose central step does not fit in the bounds are differenced one at a time as above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

__all__ = ["approx_jacobian", "column_groups", "default_rel_step"]

_EPS = np.finfo(float).eps
_METHODS = ("2-point", "3-point", "cs")


def default_rel_step(method: str) -> float:
    """The conventional optimal relative step of a scheme: eps^(1/2), eps^(1/3), eps^(1/2)."""
    if method == "3-point":
        return _EPS ** (1 / 3)
    return _EPS ** 0.5


_UNBOUNDED: dict[int, tuple[NDArray, NDArray]] = {}


def _unbounded(n: int) -> tuple[NDArray, NDArray]:
    """Read-only (-inf, inf) bound vectors of length n, made once per n."""
    if n not in _UNBOUNDED:
        lb, ub = np.full(n, -np.inf), np.full(n, np.inf)
        lb.flags.writeable = ub.flags.writeable = False
        _UNBOUNDED[n] = (lb, ub)
    return _UNBOUNDED[n]


def _base_steps(x: NDArray, rel_step: NDArray) -> NDArray:
    """h_j = rel_step_j · |x_j|, with rel_step_j where that would vanish after rounding."""
    h = rel_step * np.abs(x)
    dx = (x + h) - x
    return np.where(dx == 0, rel_step, h)


def column_groups(sparsity: NDArray) -> list[NDArray]:
    """Greedy partition of the columns of the (m, n) pattern into structurally orthogonal
    groups (no row with a nonzero in two columns of one group), in column order."""
    S = np.asarray(sparsity, dtype=bool)
    groups: list[list[int]] = []
    used: list[NDArray] = []  # rows covered by each group
    for j in range(S.shape[1]):
        col = S[:, j]
        for g, rows in enumerate(used):
            if not np.any(rows & col):
                groups[g].append(j)
                rows |= col
                break
        else:
            groups.append([j])
            used.append(col.copy())
    return [np.array(g, dtype=int) for g in groups]


def _grouped(call: Callable[[NDArray], NDArray], x: NDArray, f0: NDArray, step: NDArray,
             S: NDArray, groups: list[NDArray], central: bool) -> tuple[NDArray, int]:
    """Columns of J from one (forward) or two (central) evaluations per group."""
    J = np.zeros((f0.size, x.size))
    nfev = 0
    for grp in groups:
        xp = x.copy()
        xp[grp] = x[grp] + step[grp]
        dx = xp[grp] - x[grp]  # the representable steps
        fp = call(xp)
        nfev += 1
        if central:
            xm = x.copy()
            xm[grp] = x[grp] - dx
            d = (fp - call(xm)) / 2.0
            nfev += 1
        else:
            d = fp - f0
        for j, h in zip(grp, dx):
            rows = S[:, j]
            J[rows, j] = d[rows] / h
    return J, nfev


def _fit_one_sided(x: NDArray, h: NDArray, lb: NDArray, ub: NDArray,
                   k: int) -> tuple[NDArray, NDArray]:
    """Signed steps h so that x + k h (k = 1 or 2 steps) stays in [lb, ub].

    Returns (signed step, one_sided mask) where one_sided marks steps that had to be
    flipped or shrunk.
    """
    room_up = ub - x
    room_down = x - lb
    fits_up = k * h <= room_up
    fits_down = k * h <= room_down
    # forward where possible, else backward, else the larger side with a shrunk step
    use_up = fits_up | (~fits_down & (room_up >= room_down))
    step = np.where(fits_up | fits_down, h, np.maximum(room_up, room_down) / k)
    step = np.where(use_up, step, -step)
    return step, ~fits_up


def approx_jacobian(fun: Callable[..., Any], x: NDArray, f0: NDArray | None = None,
                    method: str = "2-point", rel_step: float | NDArray | None = None,
                    bounds: tuple[Any, Any] = (-np.inf, np.inf), args: tuple = (),
                    kwargs: dict | None = None, sparsity: NDArray | None = None,
                    groups: list[NDArray] | None = None) -> tuple[NDArray, int]:
    """Finite-difference Jacobian of ``fun`` at ``x``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)`` returning an array of shape (m,) (or a scalar).
    x : ndarray, shape (n,)
        Point of evaluation.
    f0 : ndarray, shape (m,), optional
        ``fun(x)`` if already known (saves one call for '2-point' and '3-point').
    method : {'2-point', '3-point', 'cs'}
        Difference scheme, see the module docstring.
    rel_step : float or array_like, optional
        Relative step; default eps^(1/2) for '2-point' and 'cs', eps^(1/3) for '3-point'.
    bounds : (lb, ub)
        Steps are chosen so that every evaluation stays within the bounds.
    args, kwargs
        Extra arguments of ``fun``.
    sparsity : ndarray of bool, shape (m, n), optional
        Pattern of the Jacobian: columns are then differenced in groups (module docstring;
        '2-point' and '3-point').
    groups : list of int arrays, optional
        ``column_groups(sparsity)``, when the caller keeps it between calls.

    Returns
    -------
    J : ndarray, shape (m, n)
    nfev : int
        Number of calls of ``fun`` made here.

    Examples
    --------
    >>> import numpy as np
    >>> J, nfev = approx_jacobian(lambda p: np.array([p[0] ** 2, p[0] * p[1]]),
    ...                           np.array([3.0, 2.0]))
    >>> np.round(J, 6).tolist(), nfev
    ([[6.0, 0.0], [2.0, 3.0]], 3)
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    kwargs = {} if kwargs is None else kwargs
    x = np.asarray(x, dtype=float)
    n = x.size
    if rel_step is None:
        rel = np.full(n, default_rel_step(method))
    else:
        rel = np.broadcast_to(np.asarray(rel_step, dtype=float), (n,))
        if not np.all(rel > 0):
            raise ValueError(f"rel_step must be positive, got {rel_step!r}")
    nfev = 0

    def call(xx: NDArray) -> NDArray:
        return np.atleast_1d(fun(xx, *args, **kwargs))

    if method == "cs":
        h = _base_steps(x, rel)
        cols = []
        xc = x.astype(complex)
        for j in range(n):
            xc[j] = x[j] + 1j * h[j]
            cols.append(call(xc).imag / h[j])
            xc[j] = x[j]
        nfev += n
        J = np.column_stack(cols) if cols else np.zeros((0 if f0 is None else np.size(f0), 0))
        return J, nfev

    b0, b1 = bounds
    if isinstance(b0, float) and isinstance(b1, float) and b0 == -np.inf and b1 == np.inf:
        lb, ub = _unbounded(n)  # the common case, without the broadcasts below
        unbounded = True
    else:
        lb, ub = (b if isinstance(b, np.ndarray) and b.shape == (n,) and b.dtype == float
                  else np.broadcast_to(np.asarray(b, dtype=float), (n,)) for b in bounds)
        unbounded = not (np.isfinite(lb).any() or np.isfinite(ub).any())
    h = _base_steps(x, rel)
    central = (np.ones(n, dtype=bool) if unbounded else (h <= ub - x) & (h <= x - lb)) \
        if method == "3-point" else None
    if f0 is None and (method == "2-point" or not np.all(central)):
        f0 = call(x)
        nfev += 1
    xt = x.copy()

    if sparsity is not None:
        S = np.asarray(sparsity, dtype=bool)
        grp = column_groups(S) if groups is None else groups
        if method == "2-point":
            step = h if unbounded else _fit_one_sided(x, h, lb, ub, 1)[0]
            J, k = _grouped(call, x, np.asarray(f0, float), step, S, grp, central=False)
            return J, nfev + k
        # 3-point: grouped central differences where they fit, the rest column by column
        assert central is not None  # set for '3-point'
        inside = [g[central[g]] for g in grp]
        J, k = _grouped(call, x, np.zeros(S.shape[0]), h, S,
                        [g for g in inside if g.size], central=True)
        nfev += k
        rest = np.flatnonzero(~central).tolist()
        if rest:
            assert f0 is not None  # computed above: not all steps are central
            step, _ = _fit_one_sided(x, h, lb, ub, 2)
            for j in rest:
                xt[j] = x[j] + step[j]
                dx = xt[j] - x[j]
                f1 = call(xt)
                xt[j] = x[j] + 2 * dx
                f2 = call(xt)
                J[:, j] = (-3 * f0 + 4 * f1 - f2) / (2 * dx)
                xt[j] = x[j]
                nfev += 2
        return J, nfev

    if method == "2-point":
        f0 = np.asarray(f0, dtype=float)
        J = np.empty((f0.size, n))
        step = h if unbounded else _fit_one_sided(x, h, lb, ub, 1)[0]
        tiny = None  # 4 ε max|f0|, when a parameter |x_j| < 1 needs it
        for j in range(n):
            xt[j] = x[j] + step[j]
            dx = xt[j] - x[j]  # the representable step
            df = call(xt) - f0
            nfev += 1
            if abs(x[j]) < 1 and tiny is None:
                tiny = 4 * _EPS * float(np.abs(f0).max()) if f0.size else 0.0
            if abs(x[j]) < 1 and not np.abs(df).max(initial=0.0) > tiny:
                # |x_j| so small that its relative step moves f by rounding only:
                # retry with the step of a parameter of size 1
                hj, _ = _fit_one_sided(x[j:j + 1], rel[j:j + 1], lb[j:j + 1], ub[j:j + 1], 1)
                xt[j] = x[j] + hj[0]
                dx = xt[j] - x[j]
                df = call(xt) - f0
                nfev += 1
            J[:, j] = df / dx
            xt[j] = x[j]
        return J, nfev

    # 3-point: central where both sides fit, else one-sided second order
    assert central is not None  # set for '3-point'
    step, _ = _fit_one_sided(x, h, lb, ub, 2)
    J3: NDArray | None = None
    for j in range(n):
        if central[j]:
            xt[j] = x[j] + h[j]
            dx = xt[j] - x[j]
            fp = call(xt)
            xt[j] = x[j] - dx
            fm = call(xt)
            if (abs(x[j]) < 1 and not np.max(np.abs(fp - fm), initial=0.0)
                    > 4 * _EPS * np.max(np.abs(fp), initial=0.0) and rel[j] <= ub[j] - x[j]
                    and rel[j] <= x[j] - lb[j]):
                # relative step lost in rounding: use the step of a parameter of size 1
                xt[j] = x[j] + rel[j]
                dx = xt[j] - x[j]
                fp = call(xt)
                xt[j] = x[j] - dx
                fm = call(xt)
                nfev += 2
            col = (fp - fm) / (2 * dx)
        else:
            assert f0 is not None  # computed above: not all steps are central
            xt[j] = x[j] + step[j]
            dx = xt[j] - x[j]
            f1 = call(xt)
            xt[j] = x[j] + 2 * dx
            f2 = call(xt)
            col = (-3 * f0 + 4 * f1 - f2) / (2 * dx)
        if J3 is None:
            J3 = np.empty((col.size, n))
        J3[:, j] = col
        xt[j] = x[j]
    return cast(NDArray, J3), nfev + 2 * n  # None only for n == 0, as before
