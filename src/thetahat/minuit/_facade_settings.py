"""The settings of :class:`~._minuit.Minuit`: the user's callables as the facade calls them
(``fcn``, ``grad``, ``g2``, ``hessian`` and their call counts) and the knobs the engines
read from the snapshot (``errordef``, ``tol``, ``strategy``, ``print_level``,
``precision``). A mixin, so that the facade stays one class in several files.

Each setter checks its value and names the setting in its error. ``errordef`` is the cost
rise of one standard deviation; since the covariance is 2 · errordef · H⁻¹, changing it
scales a covariance already computed by the ratio of new to old, and the EDM goal of the
last minimum becomes 0.002 · max(tol · errordef, 2⁻²⁴) (:mod:`thetahat._core.rules`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core import rules
from .._core.warnings import ErrordefAlreadySetWarning, IMinuitWarning, warn_user
from ._callables import ArrayCall

__all__ = ["SettingMethods"]


class SettingMethods:
    """The callables, call counts and settings of ``Minuit``."""

    def _warn(self: Any, msg: str) -> None:
        warn_user(msg, IMinuitWarning)

    @property
    def fcn(self: Any) -> Callable:
        """The cost as a function of one sequence of all parameter values (as iminuit's
        ``Minuit.fcn``); attributes of the cost (``errordef``, ``ndata``, ...) are read
        through.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> round(m.fcn([1, 2]), 3)
        6.0
        """
        return ArrayCall(self._fcn, self._array_call)

    @property
    def grad(self: Any) -> Callable | None:
        """The gradient as a function of one sequence of all parameter values, or None.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.grad is None
        True
        """
        return None if self._grad is None else ArrayCall(self._grad, self._array_call)

    @property
    def g2(self: Any) -> Callable | None:
        """The user's function for the diagonal of the Hessian, or None.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.g2 is None
        True
        """
        return self._g2

    @property
    def hessian(self: Any) -> Callable | None:
        """The user's Hessian function, or None.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.hessian is None
        True
        """
        return self._hessian

    @property
    def ng2(self: Any) -> int:
        """Calls of ``g2`` (it seeds MIGRAD's metric when ``grad`` is also given).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.ng2
        0
        """
        return self._ng2

    @property
    def nhessian(self: Any) -> int:
        """Calls of the user's ``hessian``.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.nhessian
        0
        """
        return self._nhessian

    @property
    def errordef(self: Any) -> float:
        """Cost increase that defines one standard deviation (1 for χ², 0.5 for -ln L).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.errordef
        1.0
        """
        return self._errordef

    @errordef.setter
    def errordef(self: Any, value: float) -> None:
        own = getattr(self._fcn, "errordef", None)
        if own is not None:
            warn_user(f"cost function has an errordef attribute equal to {own}; setting "
                      "Minuit.errordef overrides it", ErrordefAlreadySetWarning)
        v = float(value)
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"errordef must be positive, got {value!r}")
        old, self._errordef = self._errordef, v
        if self._covariance is not None and v != old:
            # the covariance is 2 · errordef · H⁻¹: it scales with errordef, as in iminuit
            self._set_covariance(np.asarray(self._covariance) * (v / old))
        fmin = self.fmin
        if fmin is not None:
            self._fmin = dataclasses.replace(
                fmin, errordef=v, edm_goal=rules.goal_of(fmin.algorithm, self._tol, v))

    @property
    def tol(self: Any) -> float:
        """Tolerance: MIGRAD stops when EDM < 0.002 · max(tol · errordef, 2⁻²⁴).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.tol
        0.1
        >>> m.tol = 0.01
        >>> m.tol
        0.01
        """
        return self._tol

    @tol.setter
    def tol(self: Any, value: float | None) -> None:
        self._tol = rules.check_tol(value)

    @property
    def strategy(self: Any) -> int:
        """0 (fast), 1 (default) or 2 (careful): effort spent on derivatives.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.strategy = 2
        >>> m.strategy
        2
        """
        return self._strategy

    @strategy.setter
    def strategy(self: Any, value: int) -> None:
        value = getattr(value, "strategy", value)  # an iminuit-like strategy object
        if isinstance(value, float) or value not in (0, 1, 2):
            raise ValueError(f"strategy must be 0, 1 or 2, got {value!r}")
        self._strategy = int(value)

    @property
    def print_level(self: Any) -> int:
        """0: quiet; 1: the function-minimum summary after each algorithm; 2: also the
        parameter table.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.print_level
        0
        """
        return self._print_level

    @print_level.setter
    def print_level(self: Any, value: int) -> None:
        if not isinstance(value, (int, np.integer)) or value < 0:  # bools count, as in iminuit
            raise ValueError(f"print_level must be an integer >= 0, got {value!r}")
        self._print_level = int(value)

    @property
    def precision(self: Any) -> float | None:
        """Relative precision of the cost (None: double precision).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.precision is None
        True
        >>> m.precision = 1e-12
        >>> m.precision
        1e-12
        """
        return self._precision

    @precision.setter
    def precision(self: Any, value: float | None) -> None:
        if value is not None and not (0 < float(value) < np.inf):
            raise ValueError(f"precision must be a positive number or None, got {value!r}")
        self._precision = None if value is None else float(value)

