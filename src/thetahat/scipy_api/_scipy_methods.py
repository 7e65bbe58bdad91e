"""The one adapter from ``thetahat.minimize`` to ``scipy.optimize.minimize``.

thetahat implements its own BFGS, L-BFGS-B, Nelder-Mead and MIGRAD
(:mod:`thetahat.scipy_api._minimize`).  For every other method scipy offers, and for a
callable ``method``, ``thetahat.minimize`` hands the user's arguments unchanged to
scipy's implementation here and converts scipy's answer into a
:class:`thetahat.OptimizeResult`, field for field.  Validation, warnings, messages,
call counts and ``status`` codes are then scipy's own: nothing is re-derived, so a
method reached through this module behaves exactly as in scipy 1.17.

The methods delegated: ``Powell``, ``CG``, ``Newton-CG``, ``TNC``, ``COBYLA``,
``COBYQA``, ``SLSQP``, ``trust-constr``, ``dogleg``, ``trust-ncg``, ``trust-krylov``,
``trust-exact``; also ``SLSQP`` when no method is named and ``constraints`` are given
(scipy's default then).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._result import OptimizeResult

__all__ = ["SCIPY_METHODS", "scipy_minimize"]

SCIPY_METHODS = {m.lower(): m for m in (
    "Powell", "CG", "Newton-CG", "TNC", "COBYLA", "COBYQA", "SLSQP", "trust-constr",
    "dogleg", "trust-ncg", "trust-krylov", "trust-exact")}
"""Lower-case name -> scipy's spelling, of the methods run by scipy's own code."""


def scipy_minimize(fun: Callable, x0: Any, args: Any, method: str | Callable,
                   jac: Any, hess: Any, hessp: Any, bounds: Any, constraints: Any,
                   tol: float | None, callback: Callable | None,
                   options: dict | None) -> OptimizeResult:
    """Run ``scipy.optimize.minimize`` on the user's arguments; return our result type.

    Parameters
    ----------
    fun, x0, args, method, jac, hess, hessp, bounds, constraints, tol, callback, options
        As given to :func:`thetahat.minimize`, passed on unchanged.

    Returns
    -------
    OptimizeResult
        scipy's result, every field copied (the objects themselves, not copies).

    Examples
    --------
    >>> from thetahat.scipy_api._scipy_methods import scipy_minimize
    >>> r = scipy_minimize(lambda x: (x[0] - 2) ** 2, [0.0], (), "Powell", None, None,
    ...                    None, None, (), None, None, None)
    >>> r.success, round(float(r.x[0]), 6)
    (True, 2.0)
    """
    from scipy.optimize import minimize as _minimize

    res = _minimize(fun, x0, args=args, method=method, jac=jac, hess=hess, hessp=hessp,
                    bounds=bounds, constraints=constraints, tol=tol, callback=callback,
                    options=options)
    return res if isinstance(res, OptimizeResult) else OptimizeResult(res)
