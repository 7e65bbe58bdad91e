"""``Minuit``: the parameter state of a fit and the algorithms run on it, as iminuit 2.x.

The class is a thin facade. It holds the state of every parameter (value, error = initial
step, limits, fixed flag) and the settings; to run an algorithm it takes a snapshot
(:class:`~._state.FitState`), hands it to an engine, and applies the
:class:`~._state.Outcome` that comes back (values, covariance, an
:class:`~thetahat.results.FMin`). Only this class writes its fields. The algorithms live
elsewhere:

- MIGRAD, the variable-metric minimizer, and SIMPLEX: :mod:`thetahat.solvers.migrad`,
  :mod:`thetahat.solvers.simplex`;
- for costs with Gauss-Newton structure (:class:`~thetahat.cost.StructuredCost`: least
  squares, binned and unbinned likelihoods) MIGRAD takes damped Gauss-Newton steps instead
  (:func:`thetahat.solvers.gauss_newton.minimize_fisher`), FUMILI's idea; the minimum is
  then checked with the same EDM = gᵀ V g / 2 against the same goal
  (:mod:`thetahat._core.rules`: 0.002 · max(tol · errordef, 2⁻²⁴));
- HESSE: the exact Hessian from the model's derivatives for those costs
  (:func:`thetahat.derivatives.model.observed_hessian`), differences of the cost values
  otherwise (:mod:`thetahat.derivatives.hesse`); covariance = 2 · errordef · H⁻¹, mapped
  to external coordinates by C_ext = D C_int D, D = dx/du (:mod:`._engines`);
- MINOS, profiles, contours and their drawings: :mod:`._intervals`.

The class is written in several files, as mixins: this one holds the construction, the
state it keeps and the algorithms run on it (the snapshot, the engines, applying the
outcome); the settings are in :mod:`._facade_settings`, the parameter views in
:mod:`._facade_params`, the results and their display in :mod:`._facade_results`, the
intervals and drawings in :mod:`._facade_intervals`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core import rules
from .._core.signature import describe, may_declare_limits
from ..cost._protocol import capabilities
from ..results import MErrors
from . import _engines
from ._callables import extra_derivative
from ._facade_intervals import IntervalMethods
from ._facade_params import ParameterMethods
from ._facade_results import ResultMethods
from ._facade_settings import SettingMethods
from ._progress import scan_points
from ._setup import init_names, migrad_retries, resolve_grad
from ._state import FitState, Outcome, structure_of

__all__ = ["Minuit"]


class Minuit(SettingMethods, ParameterMethods, ResultMethods, IntervalMethods):
    """Function minimizer and error computer with iminuit 2.x's interface.

    Parameters
    ----------
    fcn : callable
        The cost. A thetahat cost (``thetahat.cost``) or any callable ``fcn(*values)``, or
        ``fcn(array)`` when started from one sequence.
    *args
        Starting values, positionally or as one sequence.
    grad : callable, bool or None, optional
        Gradient of ``fcn``, same calling convention, returning an array. ``True``: use
        ``fcn.grad`` (an error if the cost has none); ``False``: use no gradient; ``None``
        (default): ``fcn.grad`` when the cost provides one (``has_grad``), as iminuit. A
        cost with Gauss-Newton structure (every cost of :mod:`thetahat.cost`) already uses
        its model's gradient in its Gauss-Newton steps, so ``None`` leaves it on that path.
    g2 : callable, bool or None, optional
        Diagonal of the Hessian of ``fcn`` (same calling convention, returning an array),
        used to seed MIGRAD's metric when ``grad`` is given too; ``True``: use
        ``fcn.g2``. Ignored (with a warning) when ``hessian`` is also passed.
    hessian : callable, bool or None, optional
        Hessian matrix of ``fcn`` (same calling convention, returning an ``(n, n)``
        array); when given, MIGRAD and HESSE take the covariance from it instead of
        finite differences. ``True``: use ``fcn.hessian``.
    name : sequence of str, optional
        Parameter names; required neither for named functions nor for array functions
        (then ``x0, x1, ...``).
    **kwds
        Starting values by name.

    Raises
    ------
    TypeError
        If ``fcn`` is not callable.
    ValueError
        If ``g2`` or ``hessian`` is neither a callable, a bool nor None, or is ``True``
        for a cost without that method.

    Examples
    --------
    >>> from thetahat import Minuit
    >>> def f(x, y): return (x - 1) ** 2 + (y + 2) ** 2
    >>> m = Minuit(f, x=0, y=0)
    >>> m.errordef = Minuit.LEAST_SQUARES
    >>> round(m.migrad().values["x"], 6), round(m.values["y"], 6)
    (1.0, -2.0)
    """

    LEAST_SQUARES = 1.0
    LIKELIHOOD = 0.5

    def __init__(self, fcn: Callable, *args: Any, grad: Callable | bool | None = None,
                 g2: Callable | bool | None = None, hessian: Callable | bool | None = None,
                 name: Sequence[str] | None = None, **kwds: Any) -> None:
        if not callable(fcn):
            raise TypeError(f"fcn must be callable, got {type(fcn).__name__}")
        caps = capabilities(fcn)
        grad = resolve_grad(fcn, grad, caps[0])
        names, start, array_call = init_names(fcn, args, name, kwds)
        self._fcn = fcn
        self._grad = grad
        self._g2, self._hessian = extra_derivative(fcn, g2, "g2"), \
            extra_derivative(fcn, hessian, "hessian")
        if self._g2 is not None and self._hessian is not None:
            self._warn("passing g2 has no effect when hessian is also passed")
        # structured costs take arrays (with one parameter, cost(array) would pass the
        # array itself as the value)
        self._array_call = array_call or (caps[0] and len(names) > 1)
        self._structured, self._exact_hessian = structure_of(fcn, grad, caps)
        self._pos2var = tuple(names)
        self._var2pos = {k: i for i, k in enumerate(names)}
        n = len(names)
        self._values = np.array(start, dtype=float)
        self._errors = np.where(self._values != 0, 0.01 * np.abs(self._values), 0.1)
        self._lower = np.full(n, -np.inf)
        self._upper = np.full(n, np.inf)
        self._fixed = np.zeros(n, dtype=bool)
        # limits declared with _parameters or Annotated[float, a:b] (reading the
        # annotations costs a few microseconds: only where there are any)
        declared = describe(fcn, annotations=True) if may_declare_limits(fcn) else {}
        if list(declared) == names or (name is not None and len(declared) == n):
            # by position: name=... renames the parameters, the limits stay theirs
            for i, lim in enumerate(declared.values()):
                if lim is not None:
                    self.limits[i] = lim
        errordef = getattr(fcn, "errordef", None)
        self._errordef = float(errordef) if errordef is not None else 1.0
        self._tol = rules.TOL_DEFAULT
        self._strategy = 1
        self._print_level = 0
        self.throw_nan = False
        self._precision: float | None = None
        # a cost may declare its relative precision, as iminuit reads fcn.precision
        fcn_precision = getattr(fcn, "precision", None)
        if fcn_precision is not None:
            self.precision = fcn_precision
        self._init = (self._values.copy(), self._errors.copy(), self._lower.copy(),
                      self._upper.copy(), self._fixed.copy())
        self._clear_results()

    # state -------------------------------------------------------------------------------
    def _clear_results(self) -> None:
        self._fmin = None
        self._covariance = None
        self._merrors = MErrors()
        self._nfcn = 0
        self._ngrad = 0
        self._nhessian = 0
        self._ng2 = 0
        self._edm = np.nan
        self._hesse_key: tuple | None = None
        self._fmin_key: tuple | None = None
        self._first_run: tuple | None = None

    def reset(self) -> Minuit:
        """Restore the state at construction and forget all results.

        Returns
        -------
        Minuit
            ``self``, so that calls chain (``m.migrad().hesse()``).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.migrad().valid
        True
        >>> m.reset().fmin is None, m.values['b']
        (True, 1.0)
        """
        (self._values, self._errors, self._lower, self._upper,
         self._fixed) = (a.copy() for a in self._init)
        self._clear_results()
        return self

    def fixto(self, key: Any, value: Any) -> Minuit:
        """Fix parameter(s) ``key`` at ``value``.

        Parameters
        ----------
        key : int, str, slice or sequence of them
            Position(s) or name(s) of the parameter(s), as for :attr:`values`.
        value : float or sequence of float
            The value(s) to fix them at.

        Returns
        -------
        Minuit
            ``self``, so that calls chain (``m.migrad().hesse()``).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.fixto('a', 1.0).migrad().fixed['a'], m.values['a']
        (True, 1.0)
        """
        self.values[key] = value
        self.fixed[key] = True
        return self

    # algorithms --------------------------------------------------------------------------
    def _state(self) -> FitState:
        """A snapshot of the parameters and settings for an engine."""
        if self._first_run is None:
            self._first_run = (self._values.copy(), self._errors.copy(), self._lower.copy(),
                               self._upper.copy(), self._fixed.copy())
        return FitState(self._fcn, self._grad, self._structured, self._exact_hessian,
                        self._array_call, self._pos2var, self._values.copy(),
                        self._errors.copy(), self._lower.copy(), self._upper.copy(),
                        self._fixed.copy(), self._errordef, self._tol, self._strategy,
                        self._precision, self.throw_nan, self._hessian,
                        None if self._g2 is None else self._counted_g2)

    def _counted_g2(self, *args: Any) -> Any:
        self._ng2 += 1
        assert self._g2 is not None  # passed to engines only when given
        return self._g2(*args)

    def _check_ncall(self, ncall: Any) -> int | None:
        if ncall is None:
            return None
        if isinstance(ncall, bool) or int(ncall) != ncall or ncall <= 0:
            raise ValueError(f"ncall must be a positive integer or None, got {ncall!r}")
        return int(ncall)

    def _state_key(self) -> tuple:
        """What a covariance from HESSE depends on: values, free set, limits, settings."""
        return (self._values.tobytes(), self._fixed.tobytes(), self._lower.tobytes(),
                self._upper.tobytes(), self._errordef, self._strategy)

    def _apply(self, out: Outcome, t0: float, hesse: bool = False) -> Minuit:
        """Take over what an engine found: values, calls, covariance, the FMin; with
        ``hesse`` (MIGRAD, HESSE) the user's Hessian, if any, gives the covariance."""
        if hesse and self._hessian is not None:
            from ._user_hessian import with_user_hessian
            out, k = with_user_hessian(self._state(), out)
            self._nhessian += k
        self._values = out.values
        self._nfcn += out.nfcn
        self._ngrad += out.ngrad
        self._set_covariance(out.covariance)
        if out.errors is not None:
            ok = ~self._fixed & np.isfinite(out.errors) & (out.errors > 0)
            self._errors[ok] = out.errors[ok]
        self._record(out.algorithm, out.fval, out.edm, self._nfcn, self._ngrad, out.flags, t0)
        self._fmin_key = self._state_key()
        self._hesse_key = self._fmin_key if out.hesse_at_values else None
        return self

    def migrad(self, ncall: int | None = None, iterate: int = 5,
               use_simplex: bool = True) -> Minuit:
        """Find the minimum with MIGRAD (Gauss-Newton steps for structured costs).

        Parameters
        ----------
        ncall : int, optional
            Approximate limit of cost calls (default: MINUIT's 200 + 100 n + 5 n²).
        iterate : int
            Attempts to reach a valid minimum: while the EDM is above its goal (and the
            call limit is not reached), MIGRAD runs again from the last point, up to
            ``iterate`` runs in all, as MINUIT. A structured cost's retries use the
            variable-metric MIGRAD (its Gauss-Newton steps can stall against a limit).
        use_simplex : bool
            Accepted for iminuit's signature; thetahat's restarts do not use SIMPLEX.

        Returns
        -------
        Minuit
            ``self``, so that calls chain (``m.migrad().hesse()``).

        Raises
        ------
        ValueError
            If ``ncall`` is not a positive integer or None, or ``iterate < 1``.

        Examples
        --------
        Rosenbrock's valley, minimum at (1, 1):

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda x, y: (x - 1) ** 2 + 10 * (y - x ** 2) ** 2, x=0, y=0)
        >>> m.errordef = 1
        >>> m.migrad().valid, round(m.values["x"], 3), round(m.values["y"], 3)
        (True, 1.0, 1.0)
        """
        ncall = self._check_ncall(ncall)
        if int(iterate) < 1:
            raise ValueError(f"iterate must be >= 1, got {iterate!r}")
        t0 = time.perf_counter()
        self._merrors.clear()
        self._hesse_key = None
        st = self._state()
        out = _engines.run_migrad(st, ncall, int(iterate))
        if st.structured is not None:
            out = migrad_retries(st, out, ncall, int(iterate))
        return self._apply(out, t0, True)

    def simplex(self, ncall: int | None = None) -> Minuit:
        """Minimize with MINUIT's SIMPLEX (no derivatives; errors not reliable).

        Parameters
        ----------
        ncall : int, optional
            Approximate limit of cost calls (default: MINUIT's 200 + 100 n + 5 n²).

        Returns
        -------
        Minuit
            ``self``, so that calls chain.

        Raises
        ------
        ValueError
            If ``ncall`` is not a positive integer or None.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.simplex().fmin.algorithm
        'Simplex'
        >>> round(m.values['b'], 2)
        2.05
        """
        ncall = self._check_ncall(ncall)
        t0 = time.perf_counter()
        self._merrors.clear()
        return self._apply(_engines.run_simplex(self._state(), ncall), t0)

    def scan(self, ncall: int | None = None, progress: Any = None) -> Minuit:
        """Brute-force minimization on a grid (limits, else value ± error).

        Each free parameter is scanned over its limits, or over its value ± its error
        where it has none, with ``max(2, ncall ** (1 / nfit))`` points per axis; the best
        grid point becomes the new values (run MIGRAD after it).

        Parameters
        ----------
        ncall : int, optional
            Number of grid points in all (default: MINUIT's call limit 200 + 100 n + 5 n²).
        progress : None, bool or callable, optional
            Report the grid points as they are done, as for :meth:`profile` (None: a bar
            in a Jupyter notebook only).

        Returns
        -------
        Minuit
            ``self``; ``fmin.algorithm`` is ``"Scan"``.

        Raises
        ------
        ValueError
            If ``ncall`` is not a positive integer or None.
        RuntimeError
            If all parameters are fixed.
        TypeError, ImportError
            If ``progress`` is not None, a bool or a callable; if it is True without tqdm.

        Examples
        --------
        A parabola with its minimum at a grid point (the oracle: the closed form):

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a: (a - 1) ** 2, a=0)
        >>> m.errordef = 1
        >>> m.limits["a"] = (-3, 3)
        >>> m.scan(ncall=7).values["a"]
        1.0
        """
        ncall = self._check_ncall(ncall)
        t0 = time.perf_counter()
        with self._cost_steps(progress, scan_points(self.nfit, ncall), "scan") as st:
            self._merrors.clear()
            out = _engines.run_scan(st, ncall)
        return self._apply(out, t0)

    def scipy(self, method: str | Callable | None = None, ncall: int | None = None,
              hess: Callable | None = None, hessp: Callable | None = None,
              constraints: Any = None, options: dict | None = None) -> Minuit:
        """Minimize with :func:`scipy.optimize.minimize`, then judge the minimum as MINUIT.

        Parameters
        ----------
        method : str or callable, optional
            A method of :func:`scipy.optimize.minimize`; default SciPy's choice (SLSQP
            with constraints, L-BFGS-B with limits, else BFGS).
        ncall : int, optional
            Call limit, passed as the method's ``maxfev`` / ``maxfun`` / ``maxiter``.
        hess, hessp : callable, optional
            Hessian and Hessian-vector product, same calling convention as ``fcn`` (with
            the vector as the last argument of ``hessp``).
        constraints : LinearConstraint, NonlinearConstraint or list of them, optional
            Constraints on all parameters (functions take the parameters as ``fcn``).
        options : dict, optional
            Options of the method (not modified).

        Returns
        -------
        Minuit
            ``self``; ``fmin.algorithm`` is ``"SciPy[method]"``, validity by MINUIT's EDM
            rule (see :mod:`._scipy_engine`).

        Examples
        --------
        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a, b: a ** 2 + (b - 1) ** 2, a=1, b=2)
        >>> m.errordef = 1
        >>> m.scipy().fmin.algorithm, round(m.values["b"], 4)
        ('SciPy[BFGS]', 1.0)
        """
        from ._scipy_engine import run_scipy
        ncall = self._check_ncall(ncall)
        t0 = time.perf_counter()
        self._merrors.clear()
        out, res = run_scipy(self._state(), ncall, method, hess, hessp, constraints,
                             options)
        if self._print_level >= 1 and res is not None:
            print(res)
        return self._apply(out, t0)

    def hesse(self, ncall: int | None = None) -> Minuit:
        """Covariance from numerical second derivatives at the current point.

        Run it after :meth:`migrad` for a full, accurate covariance; the errors become
        the square roots of its diagonal.

        Parameters
        ----------
        ncall : int, optional
            Limit of cost calls for the derivatives (default: MINUIT's call limit).

        Returns
        -------
        Minuit
            ``self``; the result is in :attr:`covariance` and :attr:`errors`.

        Raises
        ------
        ValueError
            If ``ncall`` is not a positive integer or None.

        Examples
        --------
        A quadratic cost ``(a/2)^2`` has the variance ``2 errordef / (1/2) = 4`` (closed
        form), so the error of ``a`` is 2:

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda a: (a / 2) ** 2, a=0.5)
        >>> m.errordef = 1
        >>> round(m.migrad().hesse().errors["a"], 6)
        2.0
        """
        ncall = self._check_ncall(ncall)
        t0 = time.perf_counter()
        if self.nfit == 0:
            self._warn("hesse: all parameters are fixed, there is no covariance to compute")
        if self._hesse_key is not None and self._hesse_key == self._state_key() \
                and self._fmin is not None and self._covariance is not None:
            self._print_summary()
            return self  # the covariance was computed by HESSE at this point with these settings
        return self._apply(_engines.run_hesse(self._state(), ncall, self._fmin), t0, True)
