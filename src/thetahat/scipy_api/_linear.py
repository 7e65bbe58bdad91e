"""Linear least squares: ``lsq_linear`` (scipy's interface) and ``linear_fit``.

A model linear in its parameters, ``y(x) = sum_k c_k f_k(x)``, has the design matrix
``A_ik = f_k(x_i)``.  With data ``y_i`` and standard deviations ``sigma_i`` the chi-square

    chi2(c) = || W^(1/2) (A c - y) ||^2,      W = diag(1 / sigma_i^2),

is quadratic, so its minimum is found in one step.  Let ``A_w = W^(1/2) A`` (whitened
design) and ``y_w = W^(1/2) y``; with the thin SVD ``A_w = U S V^T``

    c_hat = V S^+ U^T y_w,              cov(c_hat) = (A^T W A)^-1 = V (S^+)^2 V^T,

where ``S^+`` inverts singular values above ``s_max max(m, k) eps`` and zeros the rest
(the minimum-norm solution of a rank-deficient problem).  The Hessian of ``chi2`` is
``2 A^T W A``, hence ``cov = 2 H^-1`` (MINUIT's ``errordef = 1``).  The condition number
``s_max / s_min`` of ``A_w`` measures how many digits the solution can lose; above
``1e10`` (or at rank deficiency) :class:`IllConditionedWarning` is issued.

``lsq_linear`` minimises ``||A x - b||^2 / 2`` subject to ``lb <= x <= ub``.  The
unbounded solution comes from the SVD (``numpy.linalg.lstsq``); if it is feasible it is
returned (status 3).  Otherwise both ``method='trf'`` and ``method='bvls'`` use the
bounded-variable least-squares active-set method (:mod:`thetahat.solvers.bvls`), which
terminates at the exact constrained minimiser; the names are kept for compatibility.
``lsq_solver='lsmr'`` with a dense ``A`` is solved exactly as well.  A sparse ``A`` or a
LinearOperator is never made dense: the unbounded solution is LSMR's and the bounded
problem is solved by the Trust Region Reflective method with LSMR subproblems
(:mod:`thetahat.solvers.lsq_lsmr`), as scipy does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, lsmr

from .._core.warnings import ThetahatWarning, warn_user
from ..solvers.bvls import bvls, kkt_violation
from ..solvers.lsq_common import LSQOptions, active_mask, strictly_feasible
from ..solvers.lsq_lsmr import trf_lsmr
from ._fronts import LSQ_LINEAR, check_finite, check_positive, parse_bounds
from ._result import OptimizeResult

__all__ = ["IllConditionedWarning", "LinearFitResult", "linear_fit", "lsq_linear"]

_EPS = np.finfo(float).eps
COND_LIMIT = 1e10

_LSQ_MESSAGES = {
    -1: "The algorithm was not able to make progress on the last iteration.",
    0: "The maximum number of iterations is exceeded.",
    1: "The first-order optimality measure is less than `tol`.",
    2: "The relative change of the cost function is less than `tol`.",
    3: "The unconstrained solution is optimal.",
}


class IllConditionedWarning(ThetahatWarning):
    """The design matrix is rank-deficient or its condition number exceeds 1e10.

    Examples
    --------
    The basis ``t`` and ``2 t`` spans one direction only:

    >>> import warnings
    >>> from thetahat import IllConditionedWarning, linear_fit
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     r = linear_fit([lambda t: t, lambda t: 2 * t], [0.0, 1.0, 2.0], [0.0, 1.0, 2.0])
    >>> [x.category is IllConditionedWarning for x in w], r.rank
    ([True], 1)
    """


def _as_matrix(A: Any) -> np.ndarray:
    if hasattr(A, "toarray"):  # scipy sparse
        return np.asarray(A.toarray(), dtype=float)
    if hasattr(A, "matmat") and hasattr(A, "shape"):  # LinearOperator
        return np.asarray(A.matmat(np.eye(A.shape[1])), dtype=float)
    try:
        return np.asarray(A, dtype=float)
    except (TypeError, ValueError) as e:
        raise TypeError(f"A must be a 2-d array of real numbers, got {type(A).__name__}") \
            from e


def _lsmr_settings(lsmr_tol: Any, lsmr_maxiter: Any, tol: float) -> tuple[float | str, Any]:
    """Checked (lsmr_tol, lsmr_maxiter), with scipy's messages; None tol is 1e-2 tol."""
    if lsmr_tol is None:
        lsmr_tol = 1e-2 * tol
    elif not (isinstance(lsmr_tol, float) and lsmr_tol > 0 or lsmr_tol == "auto"):
        raise ValueError("`lsmr_tol` must be None, 'auto', or positive float.")
    if lsmr_maxiter is not None and (isinstance(lsmr_maxiter, bool)
                                     or int(lsmr_maxiter) != lsmr_maxiter or lsmr_maxiter < 1):
        raise ValueError("`lsmr_maxiter` must be None or positive integer.")
    return lsmr_tol, lsmr_maxiter


def lsq_linear(A: Any, b: Any, bounds: Any = (-np.inf, np.inf), method: str = "trf",
               tol: float = 1e-10, lsq_solver: str | None = None,
               lsmr_tol: float | str | None = None, max_iter: int | None = None,
               verbose: int = 0, *, lsmr_maxiter: int | None = None) -> OptimizeResult:
    """Linear least squares with bounds: ``min ||A x - b||^2 / 2``, ``lb <= x <= ub``.

    Parameters
    ----------
    A : array_like, sparse matrix or LinearOperator, shape (m, n)
        A sparse matrix or LinearOperator is used through products only (never made
        dense) and selects ``lsq_solver='lsmr'``.
    b : array_like, shape (m,)
    bounds : (lb, ub) or ``Bounds``
        Scalars or arrays of shape (n,); ``±inf`` for none.  Unlike scipy, ``lb == ub``
        is allowed for a dense ``A`` and fixes that variable.
    method : {'trf', 'bvls'}
        Dense ``A``: both solve the bounded problem exactly with BVLS (see the module
        docstring).  Sparse ``A`` or LinearOperator: 'trf' is the Trust Region Reflective
        method with LSMR subproblems (:mod:`thetahat.solvers.lsq_lsmr`); 'bvls' needs a
        dense ``A``.
    tol : float
        Tolerance of the optimality test (and of the relative cost change for 'trf' on a
        sparse ``A``).
    lsq_solver : {None, 'exact', 'lsmr'}
        None: 'exact' for a dense ``A``, 'lsmr' otherwise.  'exact' needs a dense ``A``;
        'lsmr' cannot be used with ``method='bvls'``.  For a dense ``A`` the solve is exact
        either way.
    lsmr_tol : None, float or 'auto'
        ``atol`` and ``btol`` of ``scipy.sparse.linalg.lsmr`` (default ``1e-2 * tol``;
        'auto' is taken as the default).
    max_iter : int, optional
        Limit of iterations (BVLS, or 'trf' on a sparse ``A``: default 100).
    verbose : {0, 1, 2}
        Print a summary at the end when positive.
    lsmr_maxiter : int, optional
        ``maxiter`` of ``lsmr`` (default ``min(m, n)``, lsmr's own).

    Returns
    -------
    OptimizeResult
        ``x, cost, fun, optimality, active_mask, unbounded_sol, nit, status, message,
        success`` with scipy's meaning; ``unbounded_sol`` is ``numpy.linalg.lstsq``'s tuple
        for a dense ``A`` and ``lsmr``'s for the LSMR path.

    Raises
    ------
    ValueError
        If ``method``, ``lsq_solver``, ``verbose``, ``tol`` or ``max_iter`` is not one of
        the accepted values, their combination is not supported (``'bvls'`` with a sparse
        ``A``), or ``A`` and ``b`` have inconsistent shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat import lsq_linear
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> res = lsq_linear(A, [1.0, 2.0, 3.0], bounds=(0, 1.5))
    >>> [round(float(v), 6) for v in res.x], res.active_mask.tolist()
    ([1.25, 1.5], [0, 1])
    """
    if method not in ("trf", "bvls"):
        raise ValueError(f"method must be 'trf' or 'bvls', got {method!r}")
    if lsq_solver not in (None, "exact", "lsmr"):
        raise ValueError(f"lsq_solver must be None, 'exact' or 'lsmr', got {lsq_solver!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    if max_iter is not None and int(max_iter) <= 0:
        raise ValueError(f"max_iter must be None or positive, got {max_iter!r}")
    iterative = sp.issparse(A) or isinstance(A, LinearOperator)
    if iterative and method == "bvls":
        raise ValueError("method='bvls' can't be used with a sparse A or a LinearOperator")
    if iterative and lsq_solver == "exact":
        raise ValueError("lsq_solver='exact' can't be used with a sparse A or a "
                         "LinearOperator")
    if method == "bvls" and lsq_solver == "lsmr":
        raise ValueError("lsq_solver='lsmr' can't be used with method='bvls'")
    if lsq_solver == "lsmr" or iterative:
        lsmr_tol, lsmr_maxiter = _lsmr_settings(lsmr_tol, lsmr_maxiter, tol)
    if iterative:
        _refuse_empty(A.shape)
        return _lsq_linear_lsmr(A, b, bounds, tol, lsmr_tol, lsmr_maxiter, max_iter, verbose)
    A = _as_matrix(A)
    if A.ndim != 2:
        raise ValueError(f"A must be 2-dimensional, got shape {A.shape}")
    b = np.asarray(b, dtype=float)
    if b.ndim != 1:
        raise ValueError(f"b must be 1-dimensional, got shape {b.shape}")
    m, n = A.shape
    if b.size != m:
        raise ValueError(f"inconsistent shapes between A {A.shape} and b {b.shape}")
    _refuse_empty(A.shape)
    check_finite(A, "A")
    check_finite(b, "b")
    lo, hi = parse_bounds(bounds, n, LSQ_LINEAR)
    unbounded = np.linalg.lstsq(A, b, rcond=None)
    x_free = unbounded[0]
    if np.all((x_free >= lo) & (x_free <= hi)):
        x, mask, nit, status = x_free, np.zeros(n, dtype=int), 0, 3
        if unbounded[2] < n:  # scipy returns one of them without a word (issue 15)
            d = np.linalg.norm(A, axis=0)
            scaled_rank = np.linalg.matrix_rank(A / np.where(d > 0, d, 1.0))
            why = ("fewer rows than columns: " if m < n else "") + (
                "the least-squares solution is not unique; the minimum-norm one is returned"
                if scaled_rank < n else "its columns differ in scale by more than rounding "
                "resolves (rescale them): the solution returned may be far from the true one")
            warn_user(f"A is rank-deficient at double precision (rank {unbounded[2]} < {n} "
                      f"columns): {why}", IllConditionedWarning)
        optimality = kkt_violation(A.T @ (A @ x - b), mask)
    else:
        r = bvls(A, b, lo, hi, tol=tol, max_iter=max_iter)
        x, mask, nit = r.x, r.active_mask, r.nit
        status = 1 if r.converged else 0
        optimality = r.optimality
    return _finish(x, A @ x - b, b, optimality, mask, unbounded, nit, status, verbose)


def _refuse_empty(shape: tuple) -> None:
    """A without rows determines nothing: scipy returns x = 0 as "optimal" (issue 15); A
    without columns has nothing to determine (scipy returns an empty x as "optimal")."""
    if shape[0] == 0:
        raise ValueError(f"A has no rows (shape {tuple(shape)}): there is no equation to fit, "
                         "and any x would be an answer")
    if shape[1] == 0:
        raise ValueError(f"A has no columns (shape {tuple(shape)}): there is no parameter "
                         "to fit")


def _finish(x: np.ndarray, fun: np.ndarray, b: np.ndarray, optimality: float,
            mask: np.ndarray, unbounded: tuple, nit: int, status: int,
            verbose: int) -> OptimizeResult:
    """The OptimizeResult of :func:`lsq_linear` (and its verbose summary)."""
    cost = 0.5 * float(fun @ fun)
    res = OptimizeResult(x=x, cost=cost, fun=fun, optimality=optimality, active_mask=mask,
                         unbounded_sol=unbounded, nit=nit, status=status,
                         message=_LSQ_MESSAGES[status], success=status > 0)
    if verbose:
        print(res.message)
        print(f"Number of iterations {nit}, initial cost "
              f"{0.5 * float(b @ b):.4e}, final cost {cost:.4e}, first-order optimality "
              f"{optimality:.2e}.")
    return res


def _lsq_linear_lsmr(A: Any, b: Any, bounds: Any, tol: float, lsmr_tol: Any,
                     lsmr_maxiter: Any, max_iter: int | None, verbose: int) -> OptimizeResult:
    """:func:`lsq_linear` for a sparse A or LinearOperator: LSMR, never a dense A.

    The unbounded solution is LSMR's (``atol = btol = lsmr_tol``); if it is feasible it
    is the answer (status 3).  Otherwise the Trust Region Reflective method with LSMR
    subproblems (:func:`thetahat.solvers.lsq_lsmr.trf_lsmr`) minimises ½‖Ax - b‖² from
    the projection of the unbounded solution, with gtol = ftol = ``tol``.
    """
    if sp.issparse(A):
        A = sp.csr_array(A, dtype=float)
        check_finite(A.data, "A")
    if len(A.shape) != 2:
        raise ValueError(f"A must be 2-dimensional, got shape {A.shape}")
    b = np.asarray(b, dtype=float)
    m, n = A.shape
    if b.shape != (m,):
        raise ValueError(f"inconsistent shapes between A {A.shape} and b {b.shape}")
    check_finite(b, "b")
    lo, hi = parse_bounds(bounds, n, LSQ_LINEAR)
    if np.any(lo >= hi):
        raise ValueError("Each lower bound must be strictly less than each upper bound "
                         "when A is sparse or a LinearOperator.")
    ltol = 1e-2 * tol if lsmr_tol == "auto" else float(lsmr_tol)
    unbounded = lsmr(A, b, atol=ltol, btol=ltol, maxiter=lsmr_maxiter)
    x = unbounded[0]
    if np.all((x >= lo) & (x <= hi)):
        f = A @ x - b
        g = A.T @ f
        return _finish(x, f, b, float(np.max(np.abs(g))) if n else 0.0,
                       np.zeros(n, dtype=int), unbounded, 0, 3, verbose)
    x0 = strictly_feasible(np.clip(x, lo, hi), lo, hi, rstep=1e-10)

    def fun(x: np.ndarray) -> np.ndarray:
        return np.asarray(A @ x - b, dtype=float)

    def jac(x: np.ndarray, f: np.ndarray) -> Any:
        return A

    opts = LSQOptions(ftol=tol, xtol=0.0, gtol=tol,
                      max_nfev=(100 if max_iter is None else int(max_iter)) + 1)
    r = trf_lsmr(fun, jac, x0, fun(x0), A, lo, hi, opts,
                 {"atol": ltol, "btol": ltol, "maxiter": lsmr_maxiter})
    status = {0: 0, 1: 1, 2: 2, 3: 2, 4: 2}[r.status]
    return _finish(r.x, r.fun, b, r.optimality, active_mask(r.x, lo, hi, rtol=tol), unbounded,
                   r.niter, status, verbose)


@dataclass(frozen=True)
class LinearFitResult:
    """Result of :func:`linear_fit`.

    Attributes
    ----------
    coefficients : ndarray, shape (k,)
        Best-fit coefficients ``c_k``.
    covariance : ndarray, shape (k, k)
        ``(A^T W A)^-1`` (pseudo-inverse if rank-deficient); with ``yerr=None`` unit
        errors are assumed (see :attr:`scaled_covariance`).
    errors : ndarray, shape (k,)
        ``sqrt(diag(covariance))``.
    chi2 : float
        ``sum ((y - A c) / yerr)^2``.
    ndof : int
        ``m - rank``.
    rank : int
        Numerical rank of the whitened design matrix.
    condition_number : float
        ``s_max / s_min`` of the whitened design matrix (``inf`` if singular).
    residuals : ndarray, shape (m,)
        ``y - A c``.
    design : ndarray, shape (m, k)
        The design matrix ``A`` (not whitened).
    basis : sequence of callables or None
        The basis functions, if given, to evaluate the model at new points.

    Examples
    --------
    A line through exact data: the coefficients, no residual, and the model evaluated at a
    new point:

    >>> import numpy as np
    >>> from thetahat import linear_fit
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> r = linear_fit([lambda t: 1.0, lambda t: t], x, 1 + 2 * x)
    >>> r.coefficients.round(12).tolist(), round(r.chi2, 12), r.rank, round(float(r(10.0)[0]), 9)
    ([1.0, 2.0], 0.0, 2, 21.0)
    """

    coefficients: np.ndarray
    covariance: np.ndarray
    errors: np.ndarray
    chi2: float
    ndof: int
    rank: int
    condition_number: float
    residuals: np.ndarray
    design: np.ndarray = field(repr=False)
    basis: Sequence[Callable] | None = field(default=None, repr=False)

    @property
    def x(self) -> np.ndarray:
        """Alias of :attr:`coefficients` (scipy's name).

        Examples
        --------
        >>> from thetahat import linear_fit
        >>> r = linear_fit([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], None, [1.0, 3.0, 5.0])
        >>> r.x is r.coefficients, r.x.round(12).tolist()
        (True, [1.0, 2.0])
        """
        return self.coefficients

    @property
    def correlation(self) -> np.ndarray:
        """Correlation matrix of the coefficients.

        Examples
        --------
        For a line on x = 0, 1, 2, 3 with equal errors, ``corr(a, b) = -mean(x) /
        sqrt(mean(x^2)) = -1.5 / sqrt(3.5)``:

        >>> import numpy as np
        >>> from thetahat import linear_fit
        >>> x = np.array([0.0, 1.0, 2.0, 3.0])
        >>> r = linear_fit([lambda t: 1.0, lambda t: t], x, 1 + 2 * x)
        >>> round(float(r.correlation[0, 1]), 9), round(-1.5 / 3.5**0.5, 9)
        (-0.801783726, -0.801783726)
        """
        d = np.sqrt(np.diag(self.covariance))
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.covariance / np.outer(d, d)

    @property
    def scaled_covariance(self) -> np.ndarray:
        """``covariance * chi2 / ndof``: errors estimated from the scatter of the data
        (``curve_fit``'s ``absolute_sigma=False``).

        Examples
        --------
        The residuals ``0.4, -0.7, 0.2, 0.1`` around the best line ``0.6 + 2.1 x`` with
        ``yerr = 0.5`` give ``chi2 = 0.7 / 0.25 = 2.8`` on 2 degrees of freedom, the factor 1.4:

        >>> import numpy as np
        >>> from thetahat import linear_fit
        >>> x = np.array([0.0, 1.0, 2.0, 3.0])
        >>> r = linear_fit([lambda t: 1.0, lambda t: t], x, [1.0, 2.0, 5.0, 7.0], yerr=0.5)
        >>> np.round(r.scaled_covariance / r.covariance, 9).tolist()
        [[1.4, 1.4], [1.4, 1.4]]
        """
        return self.covariance * (self.chi2 / self.ndof if self.ndof > 0 else np.inf)

    @property
    def pvalue(self) -> float:
        """Chi-square probability ``P(chi2' > chi2)`` for ``ndof`` degrees of freedom.

        Examples
        --------
        With 2 degrees of freedom the probability is ``exp(-chi2/2)``:

        >>> import math
        >>> from thetahat import linear_fit
        >>> r = linear_fit([lambda t: 1.0, lambda t: t], [0, 1, 2, 3], [1, 2, 5, 7], yerr=0.5)
        >>> r.ndof, round(r.chi2, 9), round(r.pvalue, 9), round(math.exp(-r.chi2 / 2), 9)
        (2, 2.8, 0.246596964, 0.246596964)
        """
        from scipy.stats import chi2 as _chi2
        return float(_chi2.sf(self.chi2, self.ndof)) if self.ndof > 0 else float("nan")

    def __call__(self, x: Any) -> np.ndarray:
        """Evaluate the fitted model at ``x`` (needs callable basis functions)."""
        if self.basis is None:
            raise TypeError("the model can only be evaluated when basis functions were given")
        return _design(self.basis, np.asarray(x, dtype=float)) @ self.coefficients


def _design(basis: Sequence[Callable], x: np.ndarray) -> np.ndarray:
    cols = []
    shape = np.shape(x)
    for k, f in enumerate(basis):
        if not callable(f):
            raise TypeError(f"basis[{k}] must be callable, got {type(f).__name__}")
        col = np.asarray(f(x), dtype=float)
        try:
            col = np.broadcast_to(col, shape)
        except ValueError as e:
            raise ValueError(f"basis[{k}] returned shape {col.shape}, expected {shape}") from e
        cols.append(col.reshape(-1))
    return np.column_stack(cols)


def linear_fit(basis: Any, x: Any, y: Any, yerr: Any = None) -> LinearFitResult:
    """Fit a model linear in its coefficients, ``y = sum_k c_k f_k(x)``, in one step.

    Parameters
    ----------
    basis : sequence of callables or array_like, shape (m, k)
        Basis functions ``f_k(x)`` (each returns an array like ``x``, or a scalar), or the
        design matrix itself (then ``x`` is ignored and may be None).
    x : array_like, shape (m,)
        Values of the independent variable.
    y : array_like, shape (m,)
        Data.
    yerr : float or array_like, shape (m,), optional
        Standard deviations of ``y`` (positive); unit errors when omitted.

    Returns
    -------
    LinearFitResult

    Raises
    ------
    ValueError
        If ``x`` is missing for basis functions, ``x`` is not 1-D, the design matrix is not
        2-D or not finite (the message names the entry), or ``y`` does not match it.
    TypeError
        If ``basis`` is a single callable rather than a list of them.

    Warns
    -----
    IllConditionedWarning
        When the whitened design matrix is rank-deficient or its condition number exceeds
        ``1e10``; the minimum-norm solution is returned.

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat import linear_fit
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> r = linear_fit([lambda t: 1.0, lambda t: t], x, 1.0 + 2.0 * x)
    >>> np.round(r.coefficients, 12).tolist(), r.ndof
    ([1.0, 2.0], 2)
    """
    funcs = None
    if isinstance(basis, (list, tuple)) and basis and all(callable(f) for f in basis):
        funcs = list(basis)
        if x is None:
            raise ValueError("x is required when basis is a list of functions")
        xa = np.asarray(x, dtype=float)
        if xa.ndim != 1:
            raise ValueError(f"x must be 1-dimensional, got shape {xa.shape}")
        check_finite(xa, "x")
        A = _design(funcs, xa)
        for k in range(A.shape[1]):
            bad = np.flatnonzero(~np.isfinite(A[:, k]))
            if bad.size:
                i = int(bad[0])
                raise ValueError(f"basis[{k}] is not finite at x[{i}] = {xa[i]} "
                                 f"(design matrix entry [{i}, {k}] = {A[i, k]})")
    else:
        if callable(basis):
            raise TypeError("basis must be a list of callables or a design matrix")
        A = _as_matrix(basis)
        if A.ndim != 2:
            raise ValueError(f"design matrix (basis) must be 2-dimensional, got shape "
                             f"{A.shape}")
        check_finite(A, "basis")
    m, k = A.shape
    ya = np.asarray(y, dtype=float)
    if ya.shape != (m,):
        raise ValueError(f"y must have shape ({m},) to match the design matrix, got "
                         f"{ya.shape}")
    check_finite(ya, "y")
    if yerr is None:
        w = np.ones(m)
    else:
        e = np.broadcast_to(np.asarray(yerr, dtype=float), (m,))
        check_positive(e, "yerr")
        w = 1.0 / e
    Aw = A * w[:, None]
    yw = ya * w
    U, s, Vt = np.linalg.svd(Aw, full_matrices=False)
    cutoff = (s[0] if s.size else 0.0) * max(m, k) * _EPS
    keep = s > cutoff
    rank = int(np.count_nonzero(keep))
    s_inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    coef = Vt.T @ (s_inv * (U.T @ yw))
    cov = (Vt.T * s_inv**2) @ Vt
    cov = 0.5 * (cov + cov.T)
    smin = s[-1] if s.size else 0.0
    cond = float(s[0] / smin) if smin > 0 else float("inf")
    if rank < k or cond > COND_LIMIT:
        why = (f"rank-deficient (rank {rank} < {k} coefficients)" if rank < k
               else "ill-conditioned")
        warn_user(f"design matrix is {why}; condition number {cond:.3g}; the "
                  "minimum-norm solution is returned and its errors may be meaningless",
                  IllConditionedWarning)
    resid = ya - A @ coef
    chi2 = float(np.sum((resid * w) ** 2))
    return LinearFitResult(coefficients=coef, covariance=cov, errors=np.sqrt(np.diag(cov)),
                           chi2=chi2, ndof=m - rank, rank=rank, condition_number=cond,
                           residuals=resid, design=A, basis=funcs)
