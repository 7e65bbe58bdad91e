"""``curve_fit``: scipy's curve fitting front on the least-squares solvers.

The problem: minimise χ²(p) = r(p)ᵀ r(p) with whitened residuals r = L⁻¹ (f(x; p) - y),
where L = σ for a scalar or 1-D ``sigma`` and the Cholesky factor of the data covariance
for a 2-D ``sigma`` (L Lᵀ = C); no ``sigma`` means L = 1. ``y`` may be anything that
broadcasts against f(x; p) (a scalar, say). Input handling and MINPACK's reporting are in
:mod:`._curve_fit_checks`.

Solvers. ``method='lm'`` runs Levenberg-Marquardt (:mod:`thetahat.solvers.levmar`, in C
when the compiled core is there and the problem is plain) with ``leastsq``'s options and
defaults (ftol = xtol = 1.49012e-8, gtol = 0, maxfev = 200 (n + 1) calls, 100 (n + 1) with a
Jacobian); 'trf' and 'dogbox' go to :func:`thetahat.least_squares` with scipy's stopping
rules. Every method takes ``jac`` as a callable, '2-point', '3-point' or 'cs'.

The covariance of the estimate is (JᵀJ)⁻¹ with J = ∂r/∂p at the minimum, computed from
the SVD J = U S Vᵀ as V S⁻² Vᵀ; if a singular value is below ε · max(m, n) · s_max the fit
is rank-deficient and every entry is ``inf`` with an ``OptimizeWarning`` (scipy's 'trf' and
'dogbox' return the pseudo-inverse there, a finite matrix that means nothing). Unless
``absolute_sigma`` is true, ``sigma`` is a relative weight only, and the covariance is
multiplied by the reduced chi-square s² = χ²_min / (m - n).

A J that is singular only up to its own rounding (a degenerate model: (a + b) x, a line
through points of one x, a parameter that appears twice) is treated as singular too: its
column-scaled smallest singular value is compared with the rounding error of the columns
(:mod:`thetahat._core.linalg`: ε/δ per column for a difference J of relative step δ,
residuals rounded to ε ‖W y‖), and below 10 times that level the covariance is ``inf``
with an ``OptimizeWarning`` that names the parameters (scipy returns errors of 1e7-1e9
there, finite and meaningless). The legitimately ill-conditioned NIST StRD problems are
a thousand times above that level.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeWarning

from .._compiled import lmcore as _lmcore  # the compiled core, or None: the numpy code
from .._core.linalg import (
    DEGENERATE_FACTOR,
    TRUNCATION_GATE,
    clearly_determined,
    degenerate_message,
    jacobian_noise,
    null_direction,
    thin_svd,
    truncation_noise,
    zero_step_columns,
    zero_step_message,
)
from .._core.signature import positional_names
from .._core.warnings import DegenerateFitWarning, warn_user
from ..derivatives.jacobian import approx_jacobian
from ..derivatives.model import fd_jacobian
from ..solvers.levmar import LMOptions, NonFiniteError, levmar
from ..solvers.lsq_common import NONFINITE, nonfinite_message
from . import _curve_fit_checks as _checks
from ._curve_fit_checks import LMSettings, Whitening
from ._result import OptimizeResult

__all__ = ["curve_fit", "OptimizeWarning"]

_NO_BOUNDS = _checks.NO_BOUNDS
_EPS = float(np.finfo(float).eps)
_METHODS = ("lm", "trf", "dogbox")
_JAC_SCHEMES = ("2-point", "3-point", "cs")


class DegenerateCovarianceWarning(DegenerateFitWarning, OptimizeWarning):
    """curve_fit's covariance could not be estimated because the model is degenerate (an
    ``OptimizeWarning`` as scipy's, and a :class:`~thetahat.warnings.DegenerateFitWarning`)."""


class _BudgetSpent(Exception):
    """The model was asked for more calls than ``maxfev`` allows."""


def _stuck_in_nonfinite(f: Callable, xdata: Any, p: NDArray) -> bool:
    """Whether the model is NaN or inf on both sides of ``p`` (all parameters moved by
    +-1e-7 relative): a fit that "converged" there only shrank its steps after every
    trial was rejected, and did not find a minimum (issue: curve_fit returned the start
    values with finite errors when the model turned NaN after a few calls). At most two
    model calls, made only when a fit did not move from p0 or failed with an error."""
    h = 1e-7 * np.where(p != 0, np.abs(p), 1.0)
    with np.errstate(all="ignore"):
        for q in (p + h, p - h):
            try:
                out = np.asarray(f(xdata, *q), dtype=float)
            except (ValueError, ArithmeticError, TypeError):
                return False
            if np.all(np.isfinite(out)):
                return False
    return True


def _nonfinite_error(f: Callable, p: NDArray) -> RuntimeError:
    from .._core.signature import describe
    names = describe(f)[1:] or [f"p[{i}]" for i in range(p.size)]
    at = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, np.real(p)))
    return RuntimeError("Optimal parameters not found: the model returns non-finite values "
                        f"(NaN or inf) all around {at}, where the fit stopped; check the "
                        "model's domain or p0")


def _returned(v: Any) -> str:
    """What a model returned, for an error message."""
    return "None" if v is None else f"{type(v).__name__} {str(v)[:60]}"


def _residual_function(f: Callable, xdata: Any, ydata: NDArray, white: Whitening
                       ) -> Callable[[NDArray], NDArray]:
    """p -> r(p) = W (f(xdata, *p) - ydata), flat; complex for a complex p ('cs')."""
    kind = white.kind
    yshape, ysize = ydata.shape, ydata.size

    def residuals(p: NDArray) -> NDArray:
        raw = f(xdata, *p)
        out = np.asarray(raw)
        if out.dtype.kind == "O":  # None, a list of arrays, strings ...: not numbers
            raise TypeError(f"f must return an array of numbers (one per point), got "
                            f"{_returned(raw)}")
        if out.shape != yshape and out.size == ysize > 1:
            out = out.reshape(yshape)  # a column or a list of the data's points
        try:
            d = out - ydata
        except ValueError:
            raise ValueError(f"f returned shape {out.shape}, which does not broadcast against "
                             f"ydata of shape {yshape}: the numbers of points differ") from None
        if d.dtype != np.float64:
            if d.dtype.kind == "c":
                if p.dtype.kind != "c":
                    raise ValueError("f returned complex values at real parameters")
            else:
                d = d.astype(float)
        if d.ndim != 1:
            d = d.reshape(-1)
        return d if kind is None else white.apply(d)
    return residuals


def _jacobian_function(jac: Callable, xdata: Any, white: Whitening, m: int, n: int,
                       col_deriv: bool = False) -> Callable[[NDArray], NDArray]:
    """p -> ∂r/∂p = W jac(xdata, *p), shape (m, n) (the error names a wrong shape)."""
    kind = white.kind

    def jacobian(p: NDArray) -> NDArray:
        J = np.asarray(jac(xdata, *p), dtype=float)
        if col_deriv:
            J = J.T
        if J.shape != (m, n):
            if J.size != m * n or (J.ndim == 2 and J.shape != (m, n)):
                raise ValueError(f"jac returned shape {J.shape}, expected (m, n) = ({m}, {n})"
                                 f" (points, parameters)")
            J = J.reshape(m, n)
        return J if kind is None else white.apply(J)
    return jacobian


def _residuals_at_p0(residuals: Callable[[NDArray], NDArray], p0: NDArray) -> NDArray:
    """The residuals at the start, which must be finite (the error names the index)."""
    f0 = residuals(p0)
    _checks._fronts.check_finite(f0, "residuals",
                                 message="the residuals are not finite at p0: {entry}")
    return f0


def _lm_python(residuals: Callable[[NDArray], NDArray], jacobian: Callable | None,
               jac_kind: str | None, p0: NDArray, s: LMSettings, f0: NDArray
               ) -> tuple[OptimizeResult, int]:
    """Levenberg-Marquardt with ``leastsq``'s options; returns (result, model calls).

    The start's residuals ``f0`` are reused, so no point is evaluated twice in a row.
    A ``maxfev`` the user set bounds every call, difference steps included (MINPACK).
    """
    calls = 1  # f0
    limit = s.maxfev if s.strict else None

    def counted(p: NDArray) -> NDArray:
        nonlocal calls
        if limit is not None and calls >= limit:
            raise _BudgetSpent
        calls += 1
        return residuals(p)

    if jacobian is not None:
        def jac(p: NDArray, f: NDArray) -> NDArray:
            return jacobian(p)
    elif jac_kind in (None, "2-point"):
        step = s.step

        def jac(p: NDArray, f: NDArray) -> NDArray:
            h = step * np.where(p != 0, np.abs(p), 1.0)
            # rows of fd_jacobian are the columns of J
            return fd_jacobian(counted, p, f, steps=h).T
    else:
        def jac(p: NDArray, f: NDArray) -> NDArray:
            return approx_jacobian(counted, p, f, method=jac_kind)[0]

    opts = LMOptions(ftol=s.ftol, xtol=s.xtol, gtol=s.gtol,
                     max_nfev=limit or s.maxfev, x_scale=s.x_scale, polish=False)
    try:
        r = levmar(counted, jac, p0, opts, f0=f0)
    except _BudgetSpent:
        return OptimizeResult(status=0, success=False, x=None), calls
    f = r.fun
    return OptimizeResult(x=r.x, cost=0.5 * float(f @ f), fun=f, jac=r.jac, njev=r.njev,
                          status=r.status, success=r.status > 0), calls


def _lm_compiled(f: Callable, xdata: Any, ydata: NDArray, white: Whitening,
                 residuals: Callable[[NDArray], NDArray], p0: NDArray, f0: NDArray,
                 s: LMSettings, jacobian: Callable[[NDArray], NDArray] | None = None
                 ) -> tuple[OptimizeResult, int]:
    """:func:`_lm_python` in C (``_compiled/_lmcore.c``: the same algorithm and steps),
    with forward differences or, given ``jacobian`` (p -> the whitened J), the user's
    Jacobian.

    Raises :class:`NonFiniteError` where the Python solver stops on non-finite values (all
    trials since the last step, or the Jacobian at x), with the same message.
    """
    n, m = p0.size, f0.size
    y = ydata if ydata.shape == (m,) and ydata.flags.c_contiguous else \
        np.ascontiguousarray(np.broadcast_to(ydata.reshape(-1), (m,)))
    w = white.w
    if w is not None and not (w.shape == (m,) and w.flags.c_contiguous):
        w = np.ascontiguousarray(np.broadcast_to(w, (m,)), dtype=float)
    chol = None if white.chol is None else np.ascontiguousarray(white.chol, dtype=float)

    def coerce(v: Any) -> NDArray:
        # the model's output in any other form: convert, or raise as the Python path does
        try:
            a = np.asarray(v)
            if a.dtype.kind == "O":  # None, ragged lists, ...: not numbers
                raise TypeError
            out = a.astype(float).reshape(-1)
        except (TypeError, ValueError):
            raise TypeError(f"f must return an array of numbers (one per point), got "
                            f"{_returned(v)}") from None
        if out.size != m:
            raise ValueError(f"f returned {out.size} values, expected {m}")
        return out

    jacfun = None
    if jacobian is not None:
        def jacfun(*p: float) -> NDArray:
            return np.ascontiguousarray(jacobian(np.array(p)).T)  # row j: column j of J

    assert _lmcore is not None  # the caller checked that the compiled core is there
    xb, fb, jb, nfev, njev, niter, status = _lmcore.lm(
        f, xdata, y, w, np.ascontiguousarray(p0, dtype=float),
        np.ascontiguousarray(f0, dtype=float), coerce, s.ftol, s.xtol, s.gtol, s.maxfev,
        jacfun, chol)
    x = np.frombuffer(xb, dtype=float).copy()
    fun = np.frombuffer(fb, dtype=float).copy()
    jac = np.frombuffer(jb, dtype=float).reshape(n, m).T.copy(order="F")
    if status == NONFINITE:  # every trial since the last accepted step was non-finite
        raise NonFiniteError(nonfinite_message(x), x)
    if status == -2:  # the Jacobian at the accepted point x is not finite (as levmar)
        with np.errstate(all="ignore"):
            raise NonFiniteError(nonfinite_message(x, fun @ jac), x)
    return OptimizeResult(x=x, cost=0.5 * float(fun @ fun), fun=fun, jac=jac, njev=njev,
                          status=status, success=status > 0), \
        nfev + (0 if jacobian is not None else njev * n)


def _fit_lm(f: Callable, xdata: Any, ydata: NDArray, white: Whitening, p0: NDArray,
            jac: Any, kwargs: dict, full_output: bool) -> tuple[OptimizeResult, dict, str, int]:
    """The 'lm' fit: (result, infodict, mesg, ier) as ``leastsq`` reports them."""
    n = p0.size
    s = _checks.lm_settings(kwargs, n, callable(jac))
    if ydata.size != 1 and n > ydata.size:
        raise TypeError(f"The number of func parameters={n} must not exceed the number of "
                        f"data points={ydata.size}")
    residuals = _residual_function(f, xdata, ydata, white)
    f0 = _residuals_at_p0(residuals, p0)
    m = f0.size
    if n > m:
        raise TypeError(f"The number of func parameters={n} must not exceed the number of "
                        f"residuals={m}")
    out = None
    jacobian = _jacobian_function(jac, xdata, white, m, n, s.col_deriv) \
        if callable(jac) else None
    if (s.default and (jac is None or jacobian is not None) and _lmcore is not None
            and ydata.size in (1, m) and f0.dtype == np.float64):
        # the common case in C: no Python frame per iteration
        out = _lm_compiled(f, xdata, ydata, white, residuals, p0, f0, s, jacobian)
    if out is None:
        out = _lm_python(residuals, jacobian, None if callable(jac) else jac, p0, s, f0)
    res, calls = out
    ier, mesg = _checks.minpack_message(res.status, s)
    if not res.success:
        raise RuntimeError(f"Optimal parameters not found: {mesg}")
    info: dict = {"fvec": res.fun, "nfev": calls}
    if callable(jac):
        info["njev"] = res.njev
    if full_output:
        info.update(_checks.minpack_info(res.jac, res.fun))
    return res, info, mesg, ier


def _fit_least_squares(f: Callable, xdata: Any, ydata: NDArray, white: Whitening,
                       p0: NDArray, lb: NDArray, ub: NDArray, method: str, jac: Any,
                       kwargs: dict, careful: bool = False
                       ) -> tuple[OptimizeResult, dict, str, int]:
    """The 'trf'/'dogbox' fit through :func:`least_squares_lean` (scipy's stopping), or
    through ``least_squares`` itself when ``careful`` (a met tolerance confirmed by the
    Gauss-Newton step: for rescaled data, ``_curve_fit_checks.rescaled``)."""
    from ._least_squares import least_squares, least_squares_lean  # not needed by 'lm'

    solve = least_squares if careful else least_squares_lean

    if "max_nfev" not in kwargs and "maxfev" in kwargs:
        kwargs["max_nfev"] = kwargs.pop("maxfev")  # leastsq's name, as scipy accepts it
    residuals = _residual_function(f, xdata, ydata, white)
    n = p0.size
    if callable(jac):
        holder: dict = {}

        def jac_arg(p: NDArray) -> NDArray:
            if "j" not in holder:  # m is known after the first residuals
                holder["j"] = _jacobian_function(jac, xdata, white, holder["m"], n)
            return holder["j"](p)

        def fun(p: NDArray) -> NDArray:
            r = residuals(p)
            holder.setdefault("m", r.size)
            return r
        res = solve(fun, p0, jac=jac_arg, bounds=(lb, ub), method=method,
                                 **kwargs)
    else:
        res = solve(residuals, p0, jac="2-point" if jac is None else jac,
                                 bounds=(lb, ub), method=method, **kwargs)
    if res.status == NONFINITE:
        raise NonFiniteError(res.message, res.x)
    if not res.success:
        raise RuntimeError(f"Optimal parameters not found: {res.message}")
    return res, {"nfev": res.nfev, "fvec": res.fun}, res.message, res.status


def _rel_step(method: str, jac: Any, kwargs: dict) -> float | None:
    """The relative difference step of the Jacobian the fit ended with; None: analytic
    (a callable ``jac``, or 'cs', exact to rounding)."""
    if callable(jac) or jac == "cs":
        return None
    if jac == "3-point":
        return float(kwargs.get("diff_step") or _EPS ** (1.0 / 3.0))
    if method == "lm":  # MINPACK's forward differences, sqrt(max(epsfcn, eps))
        return float(np.sqrt(max(float(kwargs.get("epsfcn") or 0.0), _EPS)))
    return float(kwargs.get("diff_step") or _EPS ** 0.5)


def _data_scale(ydata: NDArray, white: Whitening, fun: NDArray) -> float:
    """The size of the numbers the residuals are computed from: ‖W |y|‖, at least ‖r‖."""
    r = math.sqrt(float(np.dot(fun.ravel(), fun.ravel())))
    if white.kind != "chol" and ydata.shape == fun.shape:  # diagonal W: ‖W |y|‖ = ‖W y‖
        wy = np.ravel(white.apply(ydata))
        return max(math.sqrt(float(np.dot(wy, wy))), r)
    a = np.abs(ydata).reshape(-1) if ydata.size == fun.size else np.abs(ydata)
    try:
        y = np.broadcast_to(a, fun.shape).astype(float)
    except ValueError:  # y broadcasts against a model of another shape: r alone
        return r
    return max(float(np.linalg.norm(white.apply(y))), r)


def _degenerate(f: Callable, J: NDArray, popt: NDArray, scale: float,
                rel_step: float | None, residuals: Callable | None = None,
                method: str = "lm", central: bool = False,
                sv: NDArray | None = None) -> str | None:
    """The message of :func:`~thetahat._core.linalg.degenerate_message` when J determines
    a combination of the parameters only at its rounding level (module docstring); with
    the whitened ``residuals`` of a difference J, its truncation error is measured below
    the gate, and a zero column whose step vanished at the parameter's value is named as
    such (:func:`~thetahat._core.linalg.zero_step_columns`). ``sv``: the singular values
    of J when known; s_min(J) / max_j ‖J_j‖ is a lower bound on s_min of the column-scaled
    J, so a J it clears (and, for a difference J, the truncation gate too) needs no
    further test."""
    J = np.asarray(J, dtype=float)
    if J.ndim != 2 or J.shape[1] != popt.size:
        return None
    colnorm = np.sqrt(np.einsum("ij,ij->j", J, J))
    noise = jacobian_noise(popt, colnorm, J.shape[0], rel_step, scale)
    if sv is not None and sv.size == popt.size and \
            clearly_determined(float(sv[-1]), colnorm, noise,
                               rel_step is not None and residuals is not None):
        return None
    found = null_direction(J, noise)
    if found is None and rel_step is not None and residuals is not None and \
            null_direction(J, np.array([TRUNCATION_GATE / DEGENERATE_FACTOR])) is not None:
        noise = noise + truncation_noise(residuals, popt, colnorm, rel_step, central)
        found = null_direction(J, noise)
    if found is None:
        return None
    names = positional_names(f)
    names = names[1:] if names is not None and len(names) == popt.size + 1 else \
        [f"p[{j}]" for j in range(popt.size)]
    if found[1] == 0 and rel_step is not None and residuals is not None:
        cols = zero_step_columns(residuals, popt, colnorm, rel_step)
        if cols:
            remedy = ("give epsfcn (the squared relative step), diag, or an analytic jac"
                      if method == "lm" else
                      "give diff_step or x_scale, or an analytic jac")
            return zero_step_message(names, popt, cols, rel_step, remedy)
    return degenerate_message(names, found, noise)


def _covariance(J: NDArray, chi2: float, m: int, n: int, absolute_sigma: bool,
                degenerate: str | None = None, usv: tuple | None = None) -> NDArray:
    """(JᵀJ)⁻¹, scaled by χ²/(m - n) unless ``absolute_sigma``; inf (with an
    OptimizeWarning) when J is rank-deficient, ``degenerate`` (the message of
    :func:`_degenerate`) or there is no degree of freedom."""
    if degenerate is not None:
        warn_user(f"Covariance of the parameters could not be estimated: {degenerate}",
                  DegenerateCovarianceWarning)
        return np.full((n, n), np.inf)
    _, s, vt = thin_svd(np.asarray(J, dtype=float)) if usv is None else usv
    # s is in decreasing order: full rank iff the smallest is above the threshold
    threshold = _EPS * max(J.shape) * (s[0] if s.size else 0.0)
    if s.size == n and s[-1] > threshold and (absolute_sigma or m > n):
        vs = vt.T / s
        pcov = vs @ vs.T
        return pcov if absolute_sigma else pcov * (chi2 / (m - n))
    warn_user("Covariance of the parameters could not be estimated", OptimizeWarning)
    return np.full((n, n), np.inf)


def curve_fit(f: Callable, xdata: Any, ydata: Any, p0: Any = None, sigma: Any = None,
              absolute_sigma: bool = False, check_finite: bool | None = None,
              bounds: Any = _NO_BOUNDS, method: str | None = None,
              jac: Callable | str | None = None, *, full_output: bool = False,
              nan_policy: str | None = None, **kwargs: Any) -> tuple:
    """Fit ``f(x, *p)`` to data, with scipy's signature, conventions and errors.

    Parameters
    ----------
    f : callable
        Model ``f(xdata, *params)``; its output minus ``ydata`` are the residuals.
    xdata : array_like or object
        Independent variable(s): a list, tuple or array becomes a float array; any other
        object (None, a table, ...) is passed to ``f`` unchanged.
    ydata : array_like
        Data; anything that broadcasts against ``f(xdata, *p)`` (a scalar, say).
    p0 : array_like, optional
        Starting values. Default: the number of parameters from ``f``'s signature, each
        started at 1, or inside ``bounds`` (midpoint, lb + 1 or ub - 1).
    sigma : None, scalar, array_like (m,) or (m, m)
        Errors of ``ydata`` (scalar or 1-D) or its covariance matrix (2-D).
    absolute_sigma : bool
        True: ``sigma`` is absolute, ``pcov`` = (JᵀJ)⁻¹. False: ``pcov`` is scaled by the
        reduced chi-square.
    check_finite : bool, optional
        Raise on NaN/inf in the data; None means True unless ``nan_policy`` is given.
    bounds : 2-tuple or Bounds
        Lower and upper bounds of the parameters.
    method : {'lm', 'trf', 'dogbox'}, optional
        Default 'lm' without bounds, 'trf' with.
    jac : callable or {'2-point', '3-point', 'cs'}, optional
        ``jac(xdata, *params)``, the (m, n) Jacobian of ``f``, or a difference scheme.
    full_output : bool
        Also return ``infodict, mesg, ier`` ('lm': MINPACK's ``fvec``, ``nfev``, ``fjac``,
        ``ipvt``, ``qtf`` (and ``njev`` with a callable ``jac``); otherwise ``nfev``,
        ``fvec``).
    nan_policy : {None, 'raise', 'omit'}, optional
        With ``check_finite`` false: 'raise' on NaN, or 'omit' the points with NaN.
    **kwargs
        ``leastsq``'s options for 'lm' (``maxfev``, ``ftol``, ``xtol``, ``gtol``,
        ``epsfcn``, ``diag``, ``col_deriv``), :func:`thetahat.least_squares`' for the
        others (``max_nfev`` or ``maxfev``, ``ftol``, ``x_scale``, ``loss``, ...).

    Returns
    -------
    popt : ndarray, shape (n,)
        The fitted parameters.
    pcov : ndarray, shape (n, n)
        Their covariance; ``inf`` (with an ``OptimizeWarning``) when it cannot be
        estimated.
    infodict, mesg, ier
        With ``full_output`` only, as scipy.

    Raises
    ------
    ValueError
        Bad input (the message names the argument and the entry).
    TypeError
        More parameters than data points ('lm'), or an unknown keyword.
    RuntimeError
        "Optimal parameters not found: ..." when the fit fails.

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
    _checks.check_nan_policy(nan_policy)
    if method not in (None, *_METHODS):
        raise ValueError(f"method must be 'lm', 'trf', 'dogbox' or None, got {method!r}")
    if not (jac is None or callable(jac) or jac in _JAC_SCHEMES):
        raise ValueError(f"jac must be a callable, '2-point', '3-point' or 'cs', got {jac!r}")
    if "args" in kwargs:
        raise ValueError("'args' is not a supported keyword argument: bind extra "
                         "arguments in f (a lambda or functools.partial)")
    if check_finite is None:
        check_finite = nan_policy is None
    p0, lb, ub, bounded = _checks.start_and_bounds(f, p0, bounds)
    if method is None:
        method = "trf" if bounded else "lm"
    if method == "lm" and bounded:
        raise ValueError("Method 'lm' only works for unconstrained problems (no bounds); "
                         "use method='trf' or 'dogbox'")
    xdata, ydata, sigma = _checks.apply_masks(xdata, ydata, sigma)
    ydata = _checks.as_data(ydata, "ydata", check_finite)
    if isinstance(xdata, (list, tuple, np.ndarray)):
        xdata = _checks.as_data(xdata, "xdata", check_finite)
    if ydata.size == 0:
        raise ValueError("`ydata` must not be empty!")
    if not check_finite and nan_policy is not None:
        xdata, ydata, sigma = _checks.nan_policy_filter(xdata, ydata, sigma, nan_policy)
    white, c = _checks.rescaled(_checks.whitening(sigma, ydata.size), ydata)
    try:
        if method == "lm":
            res, info, mesg, ier = _fit_lm(f, xdata, ydata, white, p0, jac, kwargs,
                                           full_output)
        else:
            res, info, mesg, ier = _fit_least_squares(f, xdata, ydata, white, p0, lb, ub,
                                                      method, jac, dict(kwargs), c != 1.0)
    except NonFiniteError as e:  # the solver stopped where the model is non-finite
        raise _nonfinite_error(f, p0 if e.x is None else e.x) from e
    except (ArithmeticError, np.linalg.LinAlgError, RuntimeError) as e:
        if _stuck_in_nonfinite(f, xdata, p0):
            raise _nonfinite_error(f, p0) from e
        raise
    # a fit that never left p0 may have been rejecting non-finite trials only (probe it;
    # a fit that moved has found finite points downhill, and pays nothing here)
    if res.x.tolist() == p0.tolist() and _stuck_in_nonfinite(f, xdata, p0):
        raise _nonfinite_error(f, p0)
    popt = res.x
    # χ² (with a robust loss, scipy's 2 × its cost: Σ ρ(r²))
    chi2 = float(res.fun @ res.fun) if method == "lm" else 2.0 * float(res.cost)
    scale = _data_scale(ydata, white, res.fun)
    Jf = np.asarray(res.jac, dtype=float)
    # one SVD for the covariance and the check (a finite sum: every entry finite)
    finite = Jf.ndim == 2 and math.isfinite(float(np.add.reduce(Jf, axis=None)))
    usv = thin_svd(Jf) if finite else None
    pcov = _covariance(res.jac, chi2, res.fun.size, popt.size, absolute_sigma,
                       _degenerate(f, res.jac, popt, scale, _rel_step(method, jac, kwargs),
                                   _residual_function(f, xdata, ydata, white), method,
                                   jac == "3-point", None if usv is None else usv[1]), usv)
    if c != 1.0:  # undo the power-of-two scaling of tiny or huge data (exact)
        if absolute_sigma:
            pcov = pcov * (c * c)
        for key in ("fvec", "fjac", "qtf"):
            if key in info:
                info[key] = info[key] / c
    if full_output:
        return popt, pcov, info, mesg, ier
    return popt, pcov
