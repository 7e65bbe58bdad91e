"""``curve_fit``: scipy's curve fitting front on :func:`thetahat.least_squares`.

The problem: minimise χ²(p) = r(p)ᵀ r(p) with whitened residuals r = L⁻¹ (f(x; p) - y),
where L = diag(σ) for 1-D ``sigma`` and the Cholesky factor of the data covariance for 2-D
``sigma`` (L Lᵀ = C); no ``sigma`` means L = 1.

The covariance of the estimate is (JᵀJ)⁻¹ with J = ∂r/∂p at the minimum, computed from
the SVD J = U S Vᵀ as V S⁻² Vᵀ, dropping singular values below
ε · max(m, n) · s_max (a rank-deficient fit then gets ``inf`` in every entry, as scipy
does, instead of a number that means nothing). Unless ``absolute_sigma`` is true, ``sigma``
is a relative weight only, and the covariance is multiplied by the reduced chi-square
s² = χ²_min / (m - n), which makes the errors independent of the scale of ``sigma``.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._compiled import lmcore as _lmcore  # the compiled core, or None: the numpy code
from .._core.linalg import thin_svd
from ..derivatives.model import fd_jacobian
from ..solvers.levmar import _MESSAGES, LMOptions, levmar
from . import _fronts  # module-qualified: curve_fit's argument check_finite shadows the name
from ._least_squares import least_squares_lean
from ._result import OptimizeResult

__all__ = ["curve_fit", "OptimizeWarning"]


class OptimizeWarning(UserWarning):
    """The covariance of the parameters could not be estimated (scipy's name)."""


def _n_params(f: Callable) -> int:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        raise ValueError("cannot determine the number of parameters of f; give p0") from None
    args = [p for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values()):
        raise ValueError("f takes *args: the number of parameters is unknown; give p0")
    if len(args) < 2:
        raise ValueError("f must take x and at least one parameter: f(x, p1, ...)")
    return len(args) - 1


def _residuals_at_p0(residuals: Callable[[NDArray], NDArray], p0: NDArray) -> NDArray:
    """The residuals at the start, which must be finite (the error names the index)."""
    f0 = residuals(p0)
    _fronts.check_finite(f0, "residuals", message="the residuals are not finite at p0: {entry}")
    return f0


def _lm_direct(residuals: Callable[[NDArray], NDArray], p0: NDArray) -> Any:
    """``least_squares(residuals, p0, method='lm')`` with forward differences, lean.

    The same Levenberg-Marquardt solver and the same relative finite-difference steps
    (h_j = sqrt(ε) |p_j|, sqrt(ε) for p_j = 0) as the generic front, without its input
    handling, which costs more than the fit itself for a small problem.
    """
    p0 = np.asarray(p0, dtype=float)
    f0 = _residuals_at_p0(residuals, p0)
    n = p0.size
    nfd = 0

    def jac(p: NDArray, f: NDArray) -> NDArray:
        nonlocal nfd
        nfd += n
        # rows of fd_jacobian are the columns of J: its transpose is Fortran-ordered
        return fd_jacobian(residuals, p, f).T

    # no central-difference polish: curve_fit's answer is read against its statistical
    # errors, ~1e-8 relative is ample (least_squares keeps the polish for NIST-grade digits)
    r = levmar(residuals, jac, p0, LMOptions(max_nfev=100 * (n + 1) * n, polish=False), f0=f0)
    f = r.fun
    return OptimizeResult(x=r.x, cost=0.5 * float(f @ f), fun=f, jac=r.jac, nfev=r.nfev + nfd,
                          njev=None, status=r.status, message=r.message, success=r.status > 0)


def _lm_compiled(f: Callable, xdata: Any, ydata: NDArray, weight: NDArray | None,
                 as_values: Callable[[Any], NDArray], residuals: Callable[[NDArray], NDArray],
                 p0: NDArray) -> Any:
    """:func:`_lm_direct` in C (``_compiled/_lmcore.c``: the same algorithm and steps).

    Returns None when the compiled core cannot take the problem (a Jacobian that is not
    finite), so that the Python solver runs and reports it.
    """
    p0 = np.ascontiguousarray(p0, dtype=float)
    f0 = _residuals_at_p0(residuals, p0)
    n, m = p0.size, f0.size
    y = np.ascontiguousarray(ydata, dtype=float)
    w = None if weight is None else np.ascontiguousarray(weight, dtype=float)

    def coerce(v: Any) -> NDArray:
        # the model's output in any other form: convert, or raise as the Python path does
        return np.ascontiguousarray(as_values(v), dtype=float)

    assert _lmcore is not None  # the caller checked that the compiled core is there
    xb, fb, jb, nfev, njev, niter, status = _lmcore.lm(
        f, xdata, y, w, p0, np.ascontiguousarray(f0, dtype=float), coerce, 1e-8, 1e-8, 1e-8,
        100 * (n + 1) * n)
    if status < 0:
        return None
    fun = np.frombuffer(fb, dtype=float).copy()
    jac = np.frombuffer(jb, dtype=float).reshape(n, m).T.copy(order="F")
    x = np.frombuffer(xb, dtype=float).copy()
    return OptimizeResult(x=x, cost=0.5 * float(fun @ fun), fun=fun, jac=jac,
                          nfev=nfev + njev * n, njev=None, status=status,
                          message=_MESSAGES[status], success=status > 0)


_NO_BOUNDS = (-np.inf, np.inf)
_OMIT_HINT = "{entry} is not finite (use nan_policy='omit' to drop such points)"
_EPS = float(np.finfo(float).eps)


def curve_fit(f: Callable, xdata: Any, ydata: Any, p0: Any = None, sigma: Any = None,
              absolute_sigma: bool = False, check_finite: bool | None = None,
              bounds: Any = _NO_BOUNDS, method: str | None = None,
              jac: Callable | str | None = None, *, full_output: bool = False,
              nan_policy: str | None = None, **kwargs: Any) -> tuple:
    """Fit ``f(x, *p)`` to data, with scipy's signature and conventions.

    Parameters
    ----------
    f : callable
        Model ``f(xdata, *params) -> array`` with the shape of ``ydata``.
    xdata : array_like
        Independent variable(s); passed to ``f`` unchanged (as an array).
    ydata : array_like
        Data, 1-D.
    p0 : array_like, optional
        Starting values (default: ones, their number from ``f``'s signature).
    sigma : array_like, optional
        1-D: errors of ``ydata``; 2-D: covariance matrix of ``ydata``.
    absolute_sigma : bool
        True: ``sigma`` is absolute, ``pcov`` = (JᵀJ)⁻¹. False: ``pcov`` is scaled by the
        reduced chi-square.
    check_finite : bool, optional
        Raise on NaN/inf in the data (default True unless ``nan_policy`` is given).
    bounds : 2-tuple or Bounds
        Lower and upper bounds of the parameters.
    method : {'lm', 'trf', 'dogbox'}, optional
        Default 'lm' without bounds, 'trf' with.
    jac : callable or str, optional
        Jacobian of ``f`` with respect to the parameters, shape (m, n), or a
        finite-difference scheme.
    full_output : bool
        Also return ``infodict, mesg, ier``.
    nan_policy : {'raise', 'omit'}, optional
        What to do with NaN in ``xdata``/``ydata``.
    **kwargs
        Passed to :func:`thetahat.least_squares` (``max_nfev``, ``ftol``, ...).

    Returns
    -------
    popt, pcov[, infodict, mesg, ier]

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat import curve_fit
    >>> x = np.linspace(0, 1, 11)
    >>> popt, pcov = curve_fit(lambda x, a, b: a + b * x, x, 1 + 2 * x)
    >>> np.round(popt, 8)
    array([1., 2.])
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if nan_policy not in (None, "raise", "omit"):
        raise ValueError(f"nan_policy must be None, 'raise' or 'omit', got {nan_policy!r}")
    if p0 is None:
        n = _n_params(f)
        p0 = np.ones(n)
    else:
        p0 = np.atleast_1d(np.asarray(p0, dtype=float))
        if p0.ndim != 1:
            raise ValueError(f"p0 must be one-dimensional, got shape {p0.shape}")
        n = p0.size
        _fronts.check_finite(p0, "p0")
    ydata = np.asarray(ydata, dtype=float)
    xdata = np.asarray(xdata, dtype=float) if not isinstance(xdata, (list, tuple)) or \
        np.ndim(xdata) else np.asarray(xdata)
    if ydata.ndim != 1 or ydata.size == 0:
        raise ValueError(f"ydata must be a non-empty 1-D array, got shape {ydata.shape}")
    xn = xdata.shape[-1] if xdata.ndim else 0
    if xdata.ndim and xn != ydata.size:
        raise ValueError(f"xdata has {xn} points along its last axis but ydata has "
                         f"{ydata.size}")
    keep = None
    if nan_policy == "omit":
        keep = np.isfinite(ydata)
        if np.ndim(xdata):
            keep &= np.all(np.isfinite(np.reshape(xdata, (-1, xn))), axis=0)
        ydata = ydata[keep]
        xdata = xdata[..., keep]
    elif check_finite is None or check_finite:
        if nan_policy is None or nan_policy == "raise" or check_finite:
            _fronts.check_finite(ydata, "ydata", message=_OMIT_HINT)
            if xdata.ndim:
                _fronts.check_finite(np.asarray(xdata, dtype=float), "xdata", message=_OMIT_HINT)
    m = ydata.size

    # whitening
    transform = None
    if sigma is not None:
        s = np.asarray(sigma, dtype=float)
        if keep is not None and s.ndim >= 1 and s.shape[0] == keep.size:
            s = s[keep] if s.ndim == 1 else s[np.ix_(keep, keep)]
        if s.ndim == 1:
            if s.size != m:
                raise ValueError(f"sigma has {s.size} entries but ydata has {m}")
            _fronts.check_positive(s, "sigma")
            transform = ("diag", 1.0 / s)
        elif s.ndim == 2:
            if s.shape != (m, m):
                raise ValueError(f"sigma as a covariance must have shape ({m}, {m}), got "
                                 f"{s.shape}")
            try:
                chol = np.linalg.cholesky(s)
            except np.linalg.LinAlgError:
                raise ValueError("sigma (covariance matrix) is not positive definite") \
                    from None
            transform = ("chol", chol)
        else:
            raise ValueError(f"sigma must be 1-D (errors) or 2-D (covariance), got shape "
                             f"{s.shape}")

    shape = (m,)

    def as_values(out: Any) -> NDArray:
        v = np.asarray(out, dtype=float)
        if v.shape != shape:
            if v.size != m:
                raise ValueError(f"f returned shape {v.shape}, expected ({m},) like ydata")
            v = v.reshape(m)
        return v

    def values(p: NDArray) -> NDArray:
        return as_values(f(xdata, *p))

    if transform is None:
        def residuals(p: NDArray) -> NDArray:
            return values(p) - ydata
    elif transform[0] == "diag":
        weight = transform[1]

        def residuals(p: NDArray) -> NDArray:
            return (values(p) - ydata) * weight
    else:
        from scipy.linalg import solve_triangular
        chol = transform[1]

        def residuals(p: NDArray) -> NDArray:
            return solve_triangular(chol, values(p) - ydata, lower=True)

    if callable(jac):
        def jacobian(p: NDArray) -> NDArray:
            j = np.asarray(jac(xdata, *p), dtype=float)
            if j.shape != (m, n):
                raise ValueError(f"jac returned shape {j.shape}, expected ({m}, {n})")
            if transform is None:
                return j
            if transform[0] == "diag":
                return j * transform[1][:, None]
            from scipy.linalg import solve_triangular
            return solve_triangular(transform[1], j, lower=True)
        jac_arg: Any = jacobian
    else:
        jac_arg = "2-point" if jac is None else jac

    if bounds is _NO_BOUNDS:
        bounded = False
    else:
        lb, ub = _fronts.bounds_sides(bounds)
        bounded = bool(np.isfinite(np.asarray(lb, float)).any()
                       or np.isfinite(np.asarray(ub, float)).any())
    if method is None:
        method = "trf" if bounded else "lm"
    if method == "lm" and bounded:
        raise ValueError("method='lm' does not support bounds; use 'trf' or 'dogbox'")
    if method == "lm" and m < n:
        raise ValueError(f"method='lm' needs at least as many points ({m}) as parameters "
                         f"({n})")
    if "max_nfev" not in kwargs and "maxfev" in kwargs:
        kwargs["max_nfev"] = kwargs.pop("maxfev")
    if method == "lm" and jac is None and not kwargs:
        # the common case without the generic front's cost; compiled when possible
        res = None
        if _lmcore is not None and (transform is None or transform[0] == "diag"):
            res = _lm_compiled(f, xdata, ydata, None if transform is None else transform[1],
                               as_values, residuals, p0)
        if res is None:
            res = _lm_direct(residuals, p0)
    else:
        # scipy's stopping rules: curve_fit's answer is read against its statistical
        # errors, so least_squares' confirmation of the last digits is not needed here
        res = least_squares_lean(residuals, p0, jac=jac_arg, bounds=bounds, method=method,
                                 **kwargs)
    if not res.success:
        raise RuntimeError(f"Optimal parameters not found: {res.message}")
    popt = res.x
    cost = 2.0 * res.cost  # chi-square
    _, s, vt = thin_svd(res.jac)
    # s is in decreasing order: full rank iff the smallest is above the threshold
    threshold = _EPS * max(res.jac.shape) * (s[0] if s.size else 0.0)
    warn = False
    if s.size < n or not s[-1] > threshold:
        pcov = np.full((n, n), np.inf)
        warn = True
    else:
        vs = vt.T / s
        pcov = vs @ vs.T
        if not absolute_sigma:
            if m > n:
                pcov = pcov * (cost / (m - n))
            else:
                pcov = np.full((n, n), np.inf)
                warn = True
    if warn:
        warnings.warn("Covariance of the parameters could not be estimated", OptimizeWarning,
                      stacklevel=2)
    if full_output:
        info = {"nfev": res.nfev, "fvec": res.fun}
        if res.njev is not None:
            info["njev"] = res.njev
        return popt, pcov, info, res.message, res.status
    return popt, pcov
