"""``least_squares``' arguments: what each may be, checked before any call of ``fun``,
with an error that names the argument (scipy's wording where scipy has one).

- ``method`` one of 'trf', 'dogbox', 'lm'; ``jac`` '2-point', '3-point', 'cs' or a
  callable; ``loss`` a name of :data:`thetahat.solvers.lsq_common.LOSSES` or a callable,
  'lm' taking only the linear loss; ``verbose`` 0, 1 or 2;
- ``x0`` a finite, real, non-empty vector (a masked entry has no start value);
- ``ftol``, ``xtol``, ``gtol`` >= 0 (None: 0, which 'lm' refuses; for 'lm' each >= machine
  epsilon);
- ``max_nfev`` a positive integer, 100 n by default; ``x_scale`` 'jac' or positive finite
  scales broadcast to (n,) (None: 'jac' for 'lm', else 1);
- ``tr_solver`` None, 'exact' or 'lsmr', ``tr_options`` the LSMR options (and
  'regularize' for 'trf'); one-element array bounds are not broadcast to n > 1 variables;
- the residuals at ``x0``: ½ fᵀf must not overflow float64 (no step could be judged).

:class:`LSQRequest` holds one call's arguments as given; :mod:`._least_squares` converts
and dispatches them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..solvers.lsq_common import LOSSES
from ._fronts import check_finite, check_positive

__all__ = ["LSQRequest", "check_bound_lengths", "check_choices", "check_no_overflow",
           "check_trust_region", "nfev_budget", "start_vector", "tolerance", "x_scales"]

_EPS = np.finfo(float).eps
_METHODS = ("trf", "dogbox", "lm")
_JAC_METHODS = ("2-point", "3-point", "cs")
_LSMR_OPTIONS = ("atol", "btol", "conlim", "maxiter", "show", "x0")


@dataclass(frozen=True)
class LSQRequest:
    """One call of :func:`least_squares`: its arguments as the user gave them, unchecked.

    The fields are :func:`least_squares`' parameters, of the same names and meanings;
    ``careful`` is False for :func:`least_squares_lean` (scipy's stopping rules).
    """

    fun: Callable[..., Any]
    x0: Any
    jac: str | Callable
    bounds: Any
    method: str
    ftol: float | None
    xtol: float | None
    gtol: float | None
    x_scale: Any
    loss: str | Callable
    f_scale: float
    diff_step: Any
    tr_solver: str | None
    tr_options: dict | None
    jac_sparsity: Any
    max_nfev: int | None
    verbose: int
    args: tuple
    kwargs: dict | None
    callback: Callable | None
    workers: Any
    careful: bool


def tolerance(name: str, value: float | None, method: str) -> float:
    if value is None:
        if method == "lm":
            raise ValueError(f"{name}=None is not supported by method='lm'")
        return 0.0
    value = float(value)
    if not (value >= 0):
        raise ValueError(f"{name} must be non-negative, got {value!r}")
    if method == "lm" and value < _EPS:
        raise ValueError(f"{name} must be at least machine epsilon ({_EPS:.2e}) for "
                         f"method='lm', got {value!r}")
    return value


def check_choices(q: LSQRequest) -> None:
    """Reject a method, jac, loss, verbose or fun that :func:`least_squares` has not."""
    if q.method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {q.method!r}")
    if not callable(q.jac) and q.jac not in _JAC_METHODS:
        raise ValueError(f"jac must be one of {_JAC_METHODS} or a callable, got {q.jac!r}")
    if not callable(q.loss) and q.loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES} or a callable, got {q.loss!r}")
    if q.method == "lm" and q.loss != "linear":
        raise ValueError(f"method='lm' supports only loss='linear', got loss={q.loss!r}")
    if q.verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {q.verbose!r}")
    if not callable(q.fun):
        raise TypeError(f"fun must be callable, got {type(q.fun).__name__}")


def start_vector(x0: Any) -> NDArray:
    """x0 as a finite, non-empty float array of shape (n,)."""
    if np.ma.is_masked(x0):
        raise ValueError("x0 is a numpy.ma.MaskedArray with masked entries: every parameter "
                         "needs a start value")
    x0a = np.asarray(x0)
    if np.iscomplexobj(x0a):
        raise ValueError("x0 must be real")
    try:
        x0a = np.atleast_1d(x0a.astype(float))
    except (TypeError, ValueError):
        raise ValueError(f"x0 must be an array of real numbers, got {x0!r}") from None
    if x0a.ndim > 1:
        raise ValueError(f"x0 must have at most 1 dimension, got shape {x0a.shape}")
    check_finite(x0a, "x0")
    if x0a.size == 0:
        raise ValueError("x0 must have at least one element")
    return x0a


def check_trust_region(q: LSQRequest) -> None:
    """Reject a tr_solver, tr_options or jac_sparsity the method cannot take."""
    if q.tr_solver not in (None, "exact", "lsmr"):
        raise ValueError(f"tr_solver must be None, 'exact' or 'lsmr', got {q.tr_solver!r}")
    if q.tr_options is not None and not isinstance(q.tr_options, dict):
        raise TypeError(f"tr_options must be a dict, got {type(q.tr_options).__name__}")
    if q.tr_options:
        allowed = set(_LSMR_OPTIONS) | ({"regularize"} if q.method == "trf" else set())
        unknown = sorted(set(q.tr_options) - allowed)
        if unknown:
            raise TypeError(f"tr_options has unexpected keys {unknown}; the lsmr options are "
                            f"{sorted(allowed)}")
    if q.method == "lm" and q.jac_sparsity is not None:
        raise ValueError("method='lm' does not support jac_sparsity; use 'trf' or 'dogbox'")


def check_bound_lengths(bounds: Any, n: int) -> None:
    """scipy does not broadcast a one-element array bound to n > 1 variables."""
    if hasattr(bounds, "lb") or not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        return
    for side, name in zip(bounds, ("lb", "ub")):
        a = np.asarray(side)
        if a.ndim == 1 and a.size != n:
            raise ValueError(f"bounds {name} must be a scalar or have shape ({n},), got shape "
                             f"{a.shape}")


def nfev_budget(max_nfev: Any, n: int) -> int:
    """The evaluation budget: 100 n by default, else a positive integer."""
    if max_nfev is None:
        return 100 * n
    if isinstance(max_nfev, (bool, float)) or int(max_nfev) != max_nfev or max_nfev <= 0:
        raise ValueError(f"max_nfev must be None or a positive integer, got {max_nfev!r}")
    return int(max_nfev)


def x_scales(x_scale: Any, method: str, n: int) -> NDArray | str:
    """'jac' or positive finite scales of shape (n,); None is 'jac' for 'lm', else 1."""
    if x_scale is None:
        x_scale = "jac" if method == "lm" else 1.0
    if isinstance(x_scale, str):
        if x_scale != "jac":
            raise ValueError(f"x_scale must be None, 'jac' or array_like, got {x_scale!r}")
        return "jac"
    if np.iscomplexobj(x_scale):
        raise ValueError(f"x_scale must be real, got {x_scale!r}")
    try:
        xs = np.asarray(x_scale, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"x_scale must be 'jac' or array_like of positive numbers, got "
                         f"{x_scale!r}") from None
    if xs.ndim > 1 or (xs.ndim == 1 and xs.size != n):
        raise ValueError(f"x_scale must be a scalar or have shape ({n},), got shape {xs.shape}")
    xs = np.array(np.broadcast_to(xs, (n,)))
    check_positive(xs, "x_scale")
    return xs



def check_no_overflow(f0: NDArray) -> None:
    """Refuse residuals whose sum of squares overflows at x0 (residuals near 1e154 or
    more): no step could be judged, and the solvers would fail deep inside numpy."""
    with np.errstate(over="ignore"):
        cost = 0.5 * float(f0 @ f0)
    if not np.isfinite(cost):
        i = int(np.argmax(np.abs(f0)))
        raise ValueError(f"the sum of squared residuals at the start point overflows "
                         f"float64: residual [{i}] = {float(f0[i]):.3g}; rescale the data or "
                         f"the model (residuals of order 1 are best)")

