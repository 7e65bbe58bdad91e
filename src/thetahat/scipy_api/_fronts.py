"""Input handling shared by the scipy fronts: bounds, callbacks, finite checks.

Every helper takes the user's value first, then what is needed to read it (its name, the
number of variables n), then keyword-only options; each rejection names the argument, the
index and the value (``x0[2] = nan is not finite``).

Bounds.  A front accepts ``bounds`` as a ``scipy.optimize.Bounds`` (anything with ``lb``
and ``ub``), as a pair (lb, ub) of scalars or arrays of shape (n,) (least_squares,
curve_fit, lsq_linear), or as a sequence of n (min, max) pairs with None for no bound
(minimize; a single pair stands for all, as in scipy).  A scalar stands for all n
variables.  The fronts differ on purpose in what they allow, so :class:`BoundsRules`
states it per front: ``least_squares`` needs lb < ub strictly (the trust-region
reflection needs an interior) and takes a one-element array for a scalar; ``lsq_linear``
and ``minimize`` allow lb == ub (a fixed variable) and name a NaN bound apart.

Callbacks.  scipy calls ``callback(intermediate_result=OptimizeResult)`` when the
callback's only parameter is named so, else ``callback(x)``; StopIteration ends the solve.
:func:`wrap_callback` turns such a callback into the solvers' ``state -> stop`` form.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._result import OptimizeResult

__all__ = ["BoundsRules", "LEAST_SQUARES", "LSQ_LINEAR", "MINIMIZE", "bounds_sides",
           "check_finite", "check_positive", "parse_bounds", "wrap_callback"]


# --------------------------------------------------------------------------- values
def _raise_at_first(bad: NDArray, a: NDArray, name: str, message: str) -> None:
    """Raise ValueError(message) at the first True entry of ``bad``, if any.

    Parameters
    ----------
    bad : ndarray of bool
        Which entries of ``a`` are rejected.
    a : ndarray
        The values, of the shape of ``bad``.
    name : str
        The argument's name, as the user wrote it.
    message : str
        Format string; ``{entry}`` becomes ``name[i] = value`` (``name[i, j] = value``
        for a 2-d ``a``).

    Raises
    ------
    ValueError
        When ``bad`` has a True entry.
    """
    if not bad.any():
        return
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    entry = f"{name}[{', '.join(map(str, idx))}] = {float(a[idx])!r}"
    raise ValueError(message.format(entry=entry))


def check_finite(a: NDArray, name: str, *, message: str = "{entry} is not finite") -> None:
    """Reject an array with a NaN or infinite entry, naming the first one.

    Parameters
    ----------
    a : ndarray of float
        The values to check (any shape).
    name : str
        The argument's name in the message.
    message : str, optional
        Format string of the message; ``{entry}`` becomes ``name[i] = value``.

    Raises
    ------
    ValueError
        ``x0[2] = nan is not finite`` (by default) at the first entry that is not finite.
    """
    if a.dtype.kind == "f" and math.isfinite(float(np.add.reduce(a, axis=None))):
        return  # a finite sum has finite terms: one pass, no temporary
    _raise_at_first(~np.isfinite(a), a, name, message)


def check_positive(a: NDArray, name: str) -> None:
    """Reject an array with an entry that is not positive and finite (scales, errors).

    Parameters
    ----------
    a : ndarray of float
        Scales or standard deviations, any shape.
    name : str
        What the user called them (``sigma``, ``x_scale``, ``yerr``).

    Raises
    ------
    ValueError
        ``sigma[1] = -2.0 must be positive and finite`` at the first offending entry.
    """
    if a.dtype.kind == "f" and a.size and a.min() > 0 and \
            math.isfinite(float(np.add.reduce(a, axis=None))):
        return  # positive, and a finite sum of positive terms: all finite
    _raise_at_first(~(np.isfinite(a) & (a > 0)), a, name,
                    "{entry} must be positive and finite")


# --------------------------------------------------------------------------- bounds
@dataclass(frozen=True)
class BoundsRules:
    """What one front accepts as ``bounds`` and how it words a rejection.

    Attributes
    ----------
    pairs : bool
        A sequence of n (min, max) pairs, None meaning no bound (``minimize``), instead of
        a pair (lb, ub).
    size_one : bool
        A one-element array stands for a scalar.
    strict : bool
        lb < ub is required; otherwise lb <= ub, and a NaN bound has its own message.
    not_a_pair : str
        Message when ``bounds`` is neither ``Bounds`` nor a pair; ``{bounds!r}`` is the
        value.
    sides : tuple of str
        The names of lb and ub in ``bad_shape``.
    bad_shape : str
        Message for a side of the wrong shape; fields ``side``, ``shape``, ``n``.
    out_of_order : str
        Message for lb > ub (lb >= ub if ``strict``); fields ``i``, ``lb``, ``ub``.
    """

    pairs: bool
    size_one: bool
    strict: bool
    not_a_pair: str
    sides: tuple[str, str]
    bad_shape: str
    out_of_order: str


_SHAPE_LB_UB = "bounds {side} must be a scalar or have shape ({n},), got shape {shape}"

LEAST_SQUARES = BoundsRules(
    pairs=False, size_one=True, strict=True,
    not_a_pair="bounds must be a pair (lb, ub) or a Bounds object, got {bounds!r}",
    sides=("lower", "upper"),
    bad_shape="bounds: {side} bound has shape {shape}, expected a scalar or ({n},)",
    out_of_order="bounds: each lower bound must be strictly less than the upper bound; "
                 "index {i} has lb={lb!r}, ub={ub!r}")
"""``least_squares`` (and ``curve_fit`` through it): lb < ub, a pair or ``Bounds``."""

LSQ_LINEAR = BoundsRules(
    pairs=False, size_one=False, strict=False,
    not_a_pair="bounds must be a (lb, ub) pair of scalars or arrays",
    sides=("lb", "ub"), bad_shape=_SHAPE_LB_UB,
    out_of_order="bounds: lower bound lb[{i}] = {lb} exceeds upper bound ub[{i}] = {ub}")
"""``lsq_linear``: lb <= ub (lb == ub fixes a variable), a pair or ``Bounds``."""

MINIMIZE = BoundsRules(
    pairs=True, size_one=True, strict=False, not_a_pair="", sides=("lb", "ub"),
    bad_shape="The number of bounds is not compatible with the length of `x0`: bounds "
              "{side} has shape {shape}, expected a scalar or ({n},)",
    out_of_order="An upper bound is less than the corresponding lower bound: "
                 "bounds[{i}]: lower bound {lb} exceeds upper bound {ub}")
"""``minimize``: lb <= ub, n (min, max) pairs or ``Bounds``."""


def bounds_sides(bounds: Any) -> tuple[Any, Any]:
    """The two sides (lb, ub) of ``Bounds`` or of a pair, as given (not converted).

    Parameters
    ----------
    bounds : scipy.optimize.Bounds or pair
        Anything with attributes ``lb`` and ``ub``, or a pair.

    Returns
    -------
    lb, ub
        The user's objects.

    Raises
    ------
    TypeError, ValueError
        Python's unpacking errors when ``bounds`` is not a pair.
    """
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        return bounds.lb, bounds.ub
    lb, ub = bounds
    return lb, ub


def _side(value: Any, side: str, n: int, rules: BoundsRules) -> NDArray:
    """One side of the bounds as a float array of shape (n,)."""
    a = np.asarray(value, dtype=float)
    sizes = (1, n) if rules.size_one else (n,)
    if a.ndim > 1 or (a.ndim == 1 and a.size not in sizes):
        raise ValueError(rules.bad_shape.format(side=side, shape=a.shape, n=n))
    return np.array(np.broadcast_to(a.ravel() if a.ndim else a, (n,)), dtype=float)


def _from_pairs(bounds: Any, n: int) -> tuple[NDArray, NDArray]:
    """(lb, ub) from n (min, max) pairs, None meaning no bound; one pair stands for all."""
    pairs = list(bounds)
    if len(pairs) == 1 and n > 1:  # scipy broadcasts a single pair
        pairs = pairs * n
    if len(pairs) != n:
        raise ValueError(f"The number of bounds is not compatible with the length of `x0`: "
                         f"got {len(pairs)} (min, max) pairs for {n} parameters")
    lb, ub = np.empty(n), np.empty(n)
    for i, p in enumerate(pairs):
        try:
            a, b = p
        except (TypeError, ValueError) as e:
            raise ValueError(f"bounds[{i}] must be a (min, max) pair, got {p!r}") from e
        lb[i] = -np.inf if a is None else float(a)
        ub[i] = np.inf if b is None else float(b)
    return lb, ub


def _check_order(lb: NDArray, ub: NDArray, rules: BoundsRules) -> None:
    """Reject the first index with lb > ub (lb >= ub if strict) or a NaN bound."""
    nan = np.isnan(lb) | np.isnan(ub)
    bad = ~(lb < ub) if rules.strict else nan | (lb > ub)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    lo, hi = float(lb[i]), float(ub[i])
    if nan[i] and not rules.strict:
        raise ValueError(f"bounds[{i}] = ({lo}, {hi}) contains NaN")
    raise ValueError(rules.out_of_order.format(i=i, lb=lo, ub=hi))


def parse_bounds(bounds: Any, n: int, rules: BoundsRules) -> tuple[NDArray, NDArray]:
    """Lower and upper bounds of n variables, as one front accepts them.

    Parameters
    ----------
    bounds : scipy.optimize.Bounds, pair (lb, ub) or sequence of (min, max) pairs
        The user's bounds; which forms are accepted is set by ``rules``.
    n : int
        Number of variables.
    rules : BoundsRules
        The front's rules: :data:`LEAST_SQUARES`, :data:`LSQ_LINEAR` or :data:`MINIMIZE`.

    Returns
    -------
    lb, ub : ndarray, shape (n,)
        New float arrays, ±inf where a side is unbounded.

    Raises
    ------
    ValueError
        A form the front does not accept, a side of the wrong shape, a NaN bound or
        bounds out of order; the message names the index and the values.
    """
    if rules.pairs and not (hasattr(bounds, "lb") and hasattr(bounds, "ub")):
        lb, ub = _from_pairs(bounds, n)
    else:
        try:
            lo, hi = bounds_sides(bounds)
        except (TypeError, ValueError):
            raise ValueError(rules.not_a_pair.format(bounds=bounds)) from None
        lb, ub = _side(lo, rules.sides[0], n, rules), _side(hi, rules.sides[1], n, rules)
    _check_order(lb, ub, rules)
    return lb, ub


# --------------------------------------------------------------------------- callbacks
def wrap_callback(callback: Callable | None, *, stop_on_true: bool,
                  sole_result_param: bool | None = None) -> Callable[[dict], bool] | None:
    """A solver callback ``state -> stop`` from a user callback (scipy's conventions).

    scipy 1.17 has one rule in every front: a callback whose parameters are exactly one,
    named ``intermediate_result`` (positional or keyword-only, with or without a default),
    is called as ``callback(intermediate_result=OptimizeResult(state))``; any other
    callback (``cb(xk)``, ``cb(xk, intermediate_result=None)``, ``cb(*args)``) as
    ``callback(x)``.  A ``StopIteration`` raised inside it stops the solve.

    Parameters
    ----------
    callback : callable or None
        ``callback(intermediate_result)`` or ``callback(x)``.
    stop_on_true : bool
        A callback returning True also stops (``least_squares``); else only
        StopIteration does and the return value is ignored (``minimize``, as scipy).
    sole_result_param : bool, optional
        Accepted for older callers and ignored: both fronts follow the rule above.

    Returns
    -------
    callable or None
        ``cb(state)`` with ``state`` a dict of the result fields (at least ``x``);
        True means stop.  None when ``callback`` is None.

    Examples
    --------
    >>> seen = []
    >>> cb = wrap_callback(lambda *, intermediate_result: seen.append(intermediate_result.fun),
    ...                    stop_on_true=False)
    >>> cb({"x": np.zeros(2), "fun": 1.5}), seen
    (False, [1.5])
    >>> cb = wrap_callback(lambda xk, intermediate_result=None: seen.append(xk.tolist()),
    ...                    stop_on_true=False)
    >>> cb({"x": np.ones(2), "fun": 0.0}), seen[-1]
    (False, [1.0, 1.0])
    """
    del sole_result_param  # one rule for every front (scipy 1.17)
    if callback is None:
        return None
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = set()
    use_result = params == {"intermediate_result"}

    def cb(state: dict) -> bool:
        try:
            if use_result:
                r = callback(intermediate_result=OptimizeResult(state))
            else:
                r = callback(np.copy(state["x"]))
        except StopIteration:
            return True
        return stop_on_true and isinstance(r, (bool, np.bool_)) and bool(r)

    return cb
