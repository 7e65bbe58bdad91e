"""The parameter views of :class:`~._minuit.Minuit`: ``values``, ``errors``, ``fixed`` and
``limits`` (array-like views onto the facade's arrays, :mod:`._views`), the names and
counts (``parameters``, ``npar``, ``nfit``, ``ndof``) and the ``params`` tables. A mixin,
so that the facade stays one class in several files.

The degrees of freedom are ndof = ndata - ndof_offset - nfit: the cost's number of data
points, less the constraints among them (1 for a binned likelihood whose total is fixed),
less the free parameters; nan when the cost does not say ``ndata``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..results import Param, Params
from ._setup import limit_sides
from ._views import ErrorView, FixedView, LimitView, ValueView

__all__ = ["ParameterMethods", "ndof_of"]


class ParameterMethods:
    """The parameter views, names, counts and tables of ``Minuit``."""

    @property
    def values(self: Any) -> ValueView:
        """Parameter values, an array-like view indexed by position or name.

        Assigning (``m.values["a"] = 1``, ``m.values = (1, 2)``) sets start values for the
        next minimization; after a fit it holds the best-fit values.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.values['b']
        1.0
        >>> m.values['b'] = 2
        >>> m.values[1]
        2.0
        >>> m.migrad().values['b'] != 2
        True
        """
        return ValueView(self)

    @values.setter
    def values(self: Any, v: Any) -> None:
        self.values[:] = v

    @property
    def errors(self: Any) -> ErrorView:
        """Parameter uncertainties (step sizes before a fit), a view indexed by position or name.

        Before a fit they are the initial step sizes; after MIGRAD or HESSE the square roots of
        the covariance diagonal, scaled by ``errordef``. Values must be positive.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.errors['b']
        0.01
        >>> round(m.migrad().errors['b'], 4)
        0.0707
        """
        return ErrorView(self)

    @errors.setter
    def errors(self: Any, v: Any) -> None:
        self.errors[:] = v

    @property
    def fixed(self: Any) -> FixedView:
        """Whether each parameter is fixed, a boolean view indexed by position or name.

        A fixed parameter keeps its value and is left out of the minimization.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.fixed['a'] = True
        >>> m.fixed['a'], m.nfit
        (True, 1)
        """
        return FixedView(self)

    @fixed.setter
    def fixed(self: Any, v: Any) -> None:
        self.fixed[:] = v

    @property
    def limits(self: Any) -> LimitView:
        """Lower and upper limit of each parameter, a view of ``(lower, upper)`` pairs.

        ``-inf`` / ``inf`` or ``None`` mean no limit; assign a pair per parameter, or one pair
        for all of them.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.limits['a'] = (0, None)
        >>> m.limits['a']
        (0.0, inf)
        """
        return LimitView(self)

    @limits.setter
    def limits(self: Any, v: Any) -> None:
        self.limits[:] = v

    @property
    def parameters(self: Any) -> tuple[str, ...]:
        """Names of the parameters, in positional order (the same as :attr:`pos2var`).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.parameters
        ('a', 'b')
        """
        return self._pos2var

    @property
    def pos2var(self: Any) -> tuple[str, ...]:
        """Map from position to parameter name, a tuple of str.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.pos2var
        ('a', 'b')
        """
        return self._pos2var

    @property
    def var2pos(self: Any) -> dict[str, int]:
        """Map from parameter name to position, a dict of str to int.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.var2pos
        {'a': 0, 'b': 1}
        """
        return dict(self._var2pos)

    @property
    def npar(self: Any) -> int:
        """Number of parameters, fixed ones included.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.npar
        2
        """
        return len(self._pos2var)

    @property
    def nfit(self: Any) -> int:
        """Number of free (not fixed) parameters.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.fixed['b'] = True
        >>> m.npar, m.nfit
        (2, 1)
        """
        return self._fixed.size - int(np.count_nonzero(self._fixed))

    @property
    def ndof(self: Any) -> float:
        """Degrees of freedom: the cost's ``ndata`` minus its ``ndof_offset`` (constraints
        among the data, 1 for a :class:`~thetahat.cost.BinnedNLL`: the total is fixed)
        minus the free parameters (nan if unknown).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.ndof
        1.0
        """
        return ndof_of(self._fcn, self.nfit)

    def _param(self: Any, i: int, values: np.ndarray, errors: np.ndarray, merr: bool) -> Param:
        k = self._pos2var[i]
        me = None
        if merr and k in self._merrors:
            e = self._merrors[k]
            me = (e.lower, e.upper)
        lo, hi = self._lower[i], self._upper[i]
        if not merr or self._fmin is None:  # "at a limit" is said of a result only
            return Param(i, k, float(values[i]), float(errors[i]), me, False,
                         bool(self._fixed[i]), None if np.isinf(lo) else float(lo),
                         None if np.isinf(hi) else float(hi))
        sides = limit_sides(values[i:i + 1], errors[i:i + 1], self._lower[i:i + 1],
                            self._upper[i:i + 1], self._fixed[i:i + 1])
        return Param(i, k, float(values[i]), float(errors[i]), me, False, bool(self._fixed[i]),
                     None if np.isinf(lo) else float(lo), None if np.isinf(hi) else float(hi),
                     bool(sides[0][0]), bool(sides[1][0]))

    @property
    def params(self: Any) -> Params:
        """Current state of all parameters.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.params['b'].value, m.params[1].name
        (1.0, 'b')
        """
        return Params(self._param(i, self._values, self._errors, True)
                      for i in range(self.npar))

    @property
    def init_params(self: Any) -> Params:
        """State of all parameters when the first algorithm ran (before: now), as iminuit.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.values['b'] = 2
        >>> m.migrad().init_params['b'].value
        2.0
        """
        if self._first_run is None:
            return Params(self._param(i, self._values, self._errors, False)
                          for i in range(self.npar))
        v, e, lo, hi, fx = self._first_run
        return Params(Param(i, k, float(v[i]), float(e[i]), None, False, bool(fx[i]),
                            None if np.isinf(lo[i]) else float(lo[i]),
                            None if np.isinf(hi[i]) else float(hi[i]))
                      for i, k in enumerate(self._pos2var))


def ndof_of(fcn: Any, nfit: int) -> float:
    """``ndata - ndof_offset - nfit`` of the cost ``fcn`` (nan without ``ndata``)."""
    nd = float(getattr(fcn, "ndata", np.nan))
    return nd - float(getattr(fcn, "ndof_offset", 0)) - nfit
