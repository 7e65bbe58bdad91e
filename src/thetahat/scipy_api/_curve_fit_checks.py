"""``curve_fit``'s input handling and MINPACK's reporting, as scipy documents them.

Input. The data are converted as scipy does (``ydata`` always, ``xdata`` when it is a list,
tuple or array; any other object goes to the model unchanged), checked for NaN/inf when
``check_finite`` is true, and thinned by ``nan_policy='omit'`` (a point goes when its y
or any coordinate of its x is NaN; ``sigma`` loses the same rows and columns). The
whitening W of the residuals r = W (f(x; p) - y) is 1/σ for a scalar or 1-D ``sigma`` and
L⁻¹ for a 2-D one, C = L Lᵀ its Cholesky factorisation.

Masks. A ``numpy.ma.MaskedArray`` means "leave these points out" (scipy drops the mask
silently). Point i goes when ``ydata[i]`` is masked, ``xdata[..., i]`` has a masked
coordinate (the last axis of xdata indexes the points), ``sigma[i]`` is masked, or, for a
2-D ``sigma``, its diagonal entry is; a 2-D mask must then be whole rows and columns of
those points. A mask that does not map to points (another shape, a masked scalar) is
refused, naming the argument.

Start. Without ``p0`` the parameters are counted from ``f``'s signature; each starts at 1,
or inside the bounds: the midpoint of two finite bounds, lb + 1 or ub - 1 for one.

Reporting ('lm'). MINPACK's ``info`` (``ier``) is 1 ftol, 2 xtol, 3 both, 4 gtol, 5 the
call limit; ``infodict`` holds the pivoted QR factorisation J P = Q R of the last
Jacobian in MINPACK's layout: ``fjac`` (n, m) is the transpose of the m × n array whose
upper triangle is R and whose lower trapezoid holds the Householder vectors, ``ipvt``
the column permutation P (0-based, as scipy 1.17 returns it), and ``qtf`` the first n
entries of Qᵀ f.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import lapack, qr, solve_triangular

from .._core.masked import has_masked_entries, is_masked_array
from .._core.signature import plain_code
from . import _fronts  # module-qualified: curve_fit's argument check_finite shadows the name

__all__ = ["NO_BOUNDS", "LMSettings", "Whitening", "apply_masks", "as_data", "lm_settings",
           "minpack_info", "minpack_message", "nan_policy_filter", "n_params", "rescaled",
           "start_and_bounds", "whitening"]

_OMIT_HINT = "{entry} is not finite (use nan_policy='omit' to drop such points)"
_NAN_POLICIES = (None, "raise", "omit", "propagate")
_LM_KWARGS = ("ftol", "xtol", "gtol", "maxfev", "max_nfev", "epsfcn", "factor", "diag",
              "col_deriv")
_SQRT_EPS_DEFAULT = 1.49012e-08  # leastsq's default ftol and xtol
_EPS = float(np.finfo(float).eps)
_SQRT_EPS = float(np.sqrt(_EPS))
NO_BOUNDS = (-np.inf, np.inf)
"""``curve_fit``'s default ``bounds`` (compared by identity)."""


def n_params(f: Callable) -> int:
    """The number of fit parameters of ``f(x, p1, ..., pn)`` from its signature.

    Raises
    ------
    ValueError
        scipy's "Unable to determine number of fit parameters." when the signature cannot
        be read, takes ``*args`` only, or has no parameter after x.
    """
    code = plain_code(f)
    if code is not None and code.co_argcount >= 2:  # its first co_argcount names
        return code.co_argcount - 1
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        raise ValueError("Unable to determine number of fit parameters: f has no readable "
                         "signature; give p0") from None
    args = [p for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(args) < 2:
        raise ValueError("Unable to determine number of fit parameters: f must take x and "
                         "at least one named parameter, f(x, p1, ...), or give p0")
    return len(args) - 1


def _check_count(f: Callable, n: int) -> None:
    """A ``p0`` of ``n`` values must fit the parameters that ``f(x, ...)`` takes after x
    (between those without a default and all of them; anything with ``*args``).

    Raises
    ------
    ValueError
        Naming both counts (the call itself would fail inside the fit with "takes 3
        positional arguments but 4 were given").
    """
    code = plain_code(f)
    if code is not None:
        if code.co_flags & inspect.CO_VARARGS:
            return
        most = code.co_argcount - 1
        least = most - len(f.__defaults__ or ())
    else:
        try:
            ps = list(inspect.signature(f).parameters.values())
        except (TypeError, ValueError):
            return  # nothing to compare with
        if any(p.kind == p.VAR_POSITIONAL for p in ps):
            return
        pos = [p for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        most = len(pos) - 1
        least = sum(p.default is p.empty for p in pos) - 1
    if not max(least, 0) <= n <= most:
        takes = f"{most}" if least == most else f"{max(least, 0)} to {most}"
        raise ValueError(f"p0 has {n} value{'s' * (n != 1)} but f takes {takes} "
                         f"parameter{'s' * (most != 1)} after x")


def start_and_bounds(f: Callable, p0: Any, bounds: Any
                     ) -> tuple[NDArray, NDArray, NDArray, bool]:
    """(p0, lb, ub, bounded): the start as floats and the bounds as arrays of its size.

    Without ``p0`` the start is 1, or inside the bounds (module docstring).
    """
    if p0 is None:
        n = n_params(f)
    else:
        p0 = np.asarray(p0)
        if p0.dtype.kind == "c":
            raise ValueError("p0 must be real")
        try:
            p0 = p0.astype(float).reshape(-1) if p0.ndim == 0 else p0.astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"p0 must be numbers, got {p0.tolist()!r}") from None
        if p0.ndim != 1:
            raise ValueError(f"p0 must be one-dimensional, got shape {p0.shape}")
        if p0.size == 0:
            raise ValueError("p0 must have at least one element")
        _fronts.check_finite(p0, "p0")
        n = p0.size
        _check_count(f, n)
    if bounds is NO_BOUNDS:  # the default: nothing to read
        lb, ub = np.full(n, -np.inf), np.full(n, np.inf)
        return (np.ones(n) if p0 is None else p0), lb, ub, False
    lb, ub = _fronts.parse_bounds(bounds, n, _fronts.LEAST_SQUARES)
    lo, hi = np.isfinite(lb), np.isfinite(ub)
    bounded = bool(lo.any() or hi.any())
    if p0 is None:
        p0 = np.ones(n)
        both = lo & hi
        p0[both] = 0.5 * (lb[both] + ub[both])
        p0[lo & ~hi] = lb[lo & ~hi] + 1
        p0[hi & ~lo] = ub[hi & ~lo] - 1
    out = (p0 < lb) | (p0 > ub)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise ValueError(f"Initial guess is outside of provided bounds: p0[{i}] = "
                         f"{float(p0[i])!r} is not in [{float(lb[i])!r}, {float(ub[i])!r}]")
    return p0, lb, ub, bounded


def _point_mask(a: Any, name: str, m: int) -> NDArray | None:
    """The points (of ``m``) masked in ``a`` (module docstring), None without a mask."""
    if not has_masked_entries(a):
        return None
    mk = np.ma.getmaskarray(a)
    if name == "sigma" and mk.shape == (m, m):
        pts = np.diagonal(mk).copy()
        odd = np.argwhere(mk != (pts[:, None] | pts[None, :]))
        if odd.size:
            raise ValueError(f"sigma is a 2-D masked array whose mask is not whole rows and "
                             f"columns of points (entry {odd[0].tolist()}): mask a point's "
                             "row and column together, or mask ydata")
        return pts
    if mk.ndim >= 1 and mk.shape[-1] == m and (name == "xdata" or mk.ndim == 1):
        return np.asarray(mk.reshape(-1, m).any(axis=0))
    raise ValueError(f"{name} is a masked array of shape {mk.shape} whose mask does not map "
                     f"to the {m} data points (expected (m,), or for xdata (..., m), for "
                     f"sigma (m,) or (m, m)); leave the points out by hand")


def apply_masks(xdata: Any, ydata: Any, sigma: Any) -> tuple[Any, Any, Any]:
    """(xdata, ydata, sigma) without the masked points (module docstring); the arguments
    unchanged when none is a masked array with masked entries."""
    if not any(is_masked_array(a) for a in (xdata, ydata, sigma)):
        return xdata, ydata, sigma
    y = ydata.data if isinstance(ydata, np.ma.MaskedArray) else np.asarray(ydata)
    if y.ndim != 1:
        raise ValueError(f"masked input needs 1-D ydata (one entry a point), got shape "
                         f"{y.shape}")
    m = y.size
    drop = np.zeros(m, dtype=bool)
    for a, name in ((ydata, "ydata"), (xdata, "xdata"), (sigma, "sigma")):
        pm = _point_mask(a, name, m)
        if pm is not None:
            drop |= pm
    keep = ~drop
    x = xdata.data if isinstance(xdata, np.ma.MaskedArray) else xdata
    if isinstance(x, (list, tuple, np.ndarray)):
        xa = np.asarray(x)
        if xa.ndim and xa.shape[-1] == m:
            x = xa[..., keep]
    s = sigma.data if isinstance(sigma, np.ma.MaskedArray) else sigma
    if s is not None:
        sa = np.asarray(s)
        if sa.shape == (m,):
            s = sa[keep]
        elif sa.shape == (m, m):
            s = sa[np.ix_(keep, keep)]
    return x, y[keep], s


def as_data(a: Any, name: str, check: bool) -> NDArray:
    """``a`` as a float array; with ``check``, every entry finite (the error names it)."""
    try:
        arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be an array of numbers: {e}") from None
    if check:
        _fronts.check_finite(arr, name, message=_OMIT_HINT)
    return arr


def check_nan_policy(nan_policy: Any) -> None:
    """Reject a ``nan_policy`` that is not one of scipy's names."""
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {{None, 'raise', 'omit'}}, got "
                         f"{nan_policy!r}")


def nan_policy_filter(xdata: Any, ydata: NDArray, sigma: Any, nan_policy: str
                      ) -> tuple[Any, NDArray, Any]:
    """(xdata, ydata, sigma) after ``nan_policy`` 'raise' or 'omit' (module docstring).

    Raises
    ------
    ValueError
        'propagate' (scipy does not support it here), or a NaN under 'raise'.
    """
    if nan_policy == "propagate":
        raise ValueError("`nan_policy='propagate'` is not supported by this function.")
    x_is_array = isinstance(xdata, np.ndarray) and xdata.dtype.kind in "fc"
    y_nan = np.isnan(ydata)
    x_nan = np.zeros(ydata.shape, dtype=bool)
    if x_is_array and xdata.ndim:
        xn = np.isnan(xdata)
        x_nan = xn.any(axis=tuple(range(xdata.ndim - 1))) if xdata.ndim > 1 else xn
    if not (y_nan.any() or x_nan.any()):
        return xdata, ydata, sigma
    if nan_policy == "raise":
        where = "ydata" if y_nan.any() else "xdata"
        raise ValueError(f"The input contains nan values ({where}); use nan_policy='omit' "
                         f"to drop such points")
    if ydata.ndim != 1 or x_nan.shape != y_nan.shape:
        raise ValueError(f"nan_policy='omit' needs 1-D ydata and xdata whose last axis "
                         f"matches it, got shapes {ydata.shape} and {np.shape(xdata)}")
    keep = ~(y_nan | x_nan)
    if x_is_array and xdata.ndim:
        xdata = xdata[..., keep]
    ydata = ydata[keep]
    if sigma is not None:
        s = np.asarray(sigma)
        if s.ndim == 1 and s.size == keep.size:
            sigma = s[keep]
        elif s.ndim == 2 and s.shape == (keep.size, keep.size):
            sigma = s[np.ix_(keep, keep)]
    return xdata, ydata, sigma


@dataclass(frozen=True)
class Whitening:
    """r = W d for the data residuals d = f - y: ``kind`` None (W = 1), 'diag'
    (W = ``w``, 0-d or per point) or 'chol' (W = L⁻¹ with ``chol`` = L)."""

    kind: str | None
    w: NDArray | None = None
    chol: NDArray | None = None

    def apply(self, a: NDArray) -> NDArray:
        """W a for residuals a of shape (m,) or a Jacobian of shape (m, n)."""
        if self.kind == "diag":
            assert self.w is not None
            return a * (self.w if self.w.ndim == 0 or a.ndim == 1 else self.w[:, None])
        if self.kind == "chol":
            return solve_triangular(self.chol, a, lower=True, check_finite=False)
        return a


def whitening(sigma: Any, ysize: int) -> Whitening:
    """The whitening of :class:`Whitening` for scipy's forms of ``sigma``.

    Raises
    ------
    ValueError
        A ``sigma`` of another shape, an error that is not positive and finite, or a
        covariance that is not positive definite (scipy's messages, with the details).
    """
    if sigma is None:
        return Whitening(None)
    s = np.asarray(sigma, dtype=float)
    if s.size == 1 or s.shape == (ysize,):
        _fronts.check_positive(s.reshape(-1) if s.ndim else s.reshape(1), "sigma")
        return Whitening("diag", w=1.0 / (s.reshape(()) if s.size == 1 else s))
    if s.shape == (ysize, ysize):
        _fronts.check_finite(s, "sigma")
        c, info = lapack.dpotrf(s, lower=1, clean=1)
        if info != 0:
            raise ValueError(f"`sigma` must be positive definite: the Cholesky "
                             f"factorisation of the covariance fails at row {info - 1}")
        return Whitening("chol", chol=np.tril(c))
    raise ValueError(f"`sigma` has incorrect shape {s.shape}: expected a scalar, "
                     f"({ysize},) or ({ysize}, {ysize}) for ydata of {ysize} points")


# no rescaling while |W y| and |W| are within 2^±400 (1e±120): their squares stay normal
_SCALE_EXPONENT = 400
_SQ_LOW, _SQ_HIGH = 2.0 ** -800, 2.0 ** 800


def rescaled(white: Whitening, ydata: NDArray) -> tuple[Whitening, float]:
    """``(white', c)``: the whitening W multiplied by a power of two c when the whitened
    data W y or the weights W are beyond 2^±400; ``(white, 1.0)`` otherwise.

    The solvers work with squared norms of the residuals r = W (f - y) and of the columns
    of J = W ∂f/∂p: data around 1e-200 (or weights around 1e+200) underflow (overflow)
    there, and an "exact fit" (‖r‖ = 0) would be reported at the start. r is of the order
    of W y; J is of the order of W y for parameters of order 1, and of W for parameters of
    the data's order (an amplitude). c = 2^-(e₁ + e₂)/2, with e₁ and e₂ the binary
    exponents of |W y| and |W|, centres both on 1, so that each is within 2^±(e₁ - e₂)/2
    and their squares are normal numbers. Scaling by a power of two is exact; the caller
    divides the residuals by c and multiplies an absolute covariance by c² afterwards (the
    relative one is unchanged). The rescaled residuals may be far from 1 (W y of order 1
    with W of 1e150: c ≈ 2^-250), where scipy's absolute gtol test of trf and dogbox holds
    at p0: the caller then confirms their stop by the Gauss-Newton step (``least_squares``'
    own rule) instead.
    """
    # the common case first, by sums of squares (one dot product each, ~1 us): squares
    # within 2^±800 put max |W y| and max |W| within about 2^±400
    w = white.w
    if white.kind != "chol" and ydata.ndim == 1 and ydata.dtype == np.float64 and \
            (w is None or w.ndim == 0 or w.shape == ydata.shape):
        with np.errstate(all="ignore"):
            if w is None or w.ndim == 0:  # W = 1 or a scalar weight w
                w2 = 1.0 if w is None else float(w) * float(w)
                ss = float(ydata @ ydata) * w2
            else:
                wy = w * ydata
                ss, w2 = float(wy @ wy), float(w @ w)
        if _SQ_LOW < ss < _SQ_HIGH and _SQ_LOW < w2 < _SQ_HIGH:
            return white, 1.0
    with np.errstate(all="ignore"):
        ymax = float(np.max(np.abs(ydata))) if ydata.size else 0.0
        if white.kind == "diag":
            assert white.w is not None
            wmax = float(np.max(np.abs(white.w)))
            wy = float(np.max(np.abs(white.w * ydata))) if white.w.ndim else ymax * wmax
        elif white.kind == "chol":
            assert white.chol is not None
            wmax = 1.0 / float(np.min(np.abs(np.diagonal(white.chol))))
            wy = ymax * wmax
        else:
            wmax, wy = 1.0, ymax
    if not (0.0 < wy < np.inf and 0.0 < wmax < np.inf):
        return white, 1.0
    e1, e2 = math.frexp(wy)[1], math.frexp(wmax)[1]
    if max(abs(e1), abs(e2)) <= _SCALE_EXPONENT:
        return white, 1.0
    c = math.ldexp(1.0, -((e1 + e2) // 2))
    if white.kind == "diag":
        assert white.w is not None
        return Whitening("diag", w=white.w * c), c
    if white.kind == "chol":
        assert white.chol is not None
        return Whitening("chol", chol=white.chol / c), c
    return Whitening("diag", w=np.asarray(c)), c


@dataclass(frozen=True)
class LMSettings:
    """``leastsq``'s options for ``method='lm'``, with scipy's defaults.

    ``maxfev`` counts every call of the model, difference steps included; ``strict`` says
    the user set it (otherwise the budget counts the solver's own calls only, a little more
    generous than scipy's); ``step`` is the relative difference step sqrt(max(epsfcn, ε)).
    """

    ftol: float
    xtol: float
    gtol: float
    maxfev: int
    strict: bool
    step: float
    x_scale: NDArray | None
    col_deriv: bool
    default: bool


def _tol(kwargs: dict, name: str, default: float) -> float:
    v = float(kwargs.get(name, default))
    if not v >= 0:
        # MINPACK's "improper input"; scipy's curve_fit reports it as a failed fit
        raise RuntimeError(f"Optimal parameters not found: Improper input parameters: "
                           f"{name} = {v!r} must be non-negative.")
    return v


_DEFAULT_LM: dict[tuple[int, bool], LMSettings] = {}


def lm_settings(kwargs: dict, n: int, has_jac: bool) -> LMSettings:
    """:class:`LMSettings` from ``curve_fit``'s ``**kwargs`` (``leastsq``'s names).

    Raises
    ------
    TypeError
        A keyword ``leastsq`` does not take.
    ValueError
        ``factor`` other than 100 (not supported) or a ``diag`` that is not positive.
    """
    if not kwargs:  # the defaults: one frozen instance per (n, has_jac)
        key = (n, has_jac)
        s = _DEFAULT_LM.get(key)
        if s is None:
            s = _DEFAULT_LM[key] = LMSettings(
                ftol=_SQRT_EPS_DEFAULT, xtol=_SQRT_EPS_DEFAULT, gtol=0.0,
                maxfev=(100 if has_jac else 200) * (n + 1), strict=False, step=_SQRT_EPS,
                x_scale=None, col_deriv=False, default=True)
        return s
    for k in kwargs:
        if k not in _LM_KWARGS:
            raise TypeError(f"curve_fit(method='lm') got an unexpected keyword argument "
                            f"{k!r} (leastsq's options: {', '.join(_LM_KWARGS)})")
    ftol = _tol(kwargs, "ftol", _SQRT_EPS_DEFAULT)
    xtol = _tol(kwargs, "xtol", _SQRT_EPS_DEFAULT)
    gtol = _tol(kwargs, "gtol", 0.0)
    given = kwargs.get("maxfev", kwargs.get("max_nfev"))
    maxfev = (100 if has_jac else 200) * (n + 1) if not given else int(given)
    if maxfev <= 0:
        raise ValueError(f"maxfev must be a positive integer, got {given!r}")
    if float(kwargs.get("factor", 100)) != 100:
        raise ValueError("factor: only MINPACK's default initial step bound, 100, is "
                         f"supported, got {kwargs['factor']!r}")
    step = float(np.sqrt(max(float(kwargs.get("epsfcn") or 0.0), _EPS)))
    x_scale = None
    if kwargs.get("diag") is not None:
        d = np.array(np.broadcast_to(np.asarray(kwargs["diag"], dtype=float), (n,)))
        _fronts.check_positive(d, "diag")
        x_scale = 1.0 / d
    return LMSettings(ftol=ftol, xtol=xtol, gtol=gtol, maxfev=maxfev, strict=bool(given),
                      step=step, x_scale=x_scale, col_deriv=bool(kwargs.get("col_deriv")),
                      default=not kwargs)


_IER = {0: 5, 1: 4, 2: 1, 3: 2, 4: 3}  # least_squares' status -> MINPACK's info


def minpack_message(status: int, s: LMSettings) -> tuple[int, str]:
    """MINPACK's (info, message) for the solver's status (1 gtol, 2 ftol, 3 xtol, 4 both,
    0 the call limit)."""
    ier = _IER[status]
    ftol = (f"Both actual and predicted relative reductions in the sum of squares\n"
            f"  are at most {s.ftol:f}")
    if ier == 1:
        return ier, ftol
    if ier == 2:
        return ier, f"The relative error between two consecutive iterates is at most {s.xtol:f}"
    if ier == 3:
        return ier, (f"{ftol} and the relative error between two consecutive iterates is "
                     f"at \n  most {s.xtol:f}")
    if ier == 4:
        return ier, (f"The cosine of the angle between func(x) and any column of the\n  "
                     f"Jacobian is at most {s.gtol:f} in absolute value")
    return ier, f"Number of calls to function has reached maxfev = {s.maxfev}."


def minpack_info(J: NDArray, f: NDArray) -> dict[str, NDArray]:
    """``fjac``, ``ipvt`` and ``qtf`` of the pivoted QR J P = Q R (module docstring).

    LAPACK's ``geqp3`` stores the Householder vector v_j (v_jj = 1) below the diagonal
    with its factor τ_j apart; MINPACK stores τ_j v_j there. ``ipvt`` is 0-based, as
    scipy 1.17 returns it.
    """
    J = np.asarray(J, dtype=float)
    m, n = J.shape
    (a, tau), _, perm = qr(J, pivoting=True, mode="raw")
    k = tau.size
    qtf_all, _, _ = lapack.dormqr("L", "T", a[:, :k], tau, f.reshape(m, 1).astype(float),
                                  lwork=max(1, m))
    low = np.tril(a, -1)
    low[:, :k] *= tau
    fjac = np.triu(a) + low
    return {"fjac": np.ascontiguousarray(fjac.T), "ipvt": perm.astype(np.int32),
            "qtf": qtf_all[:n, 0].copy()}
