"""The results of :class:`~._minuit.Minuit` and their display: the function minimum
(``fmin``, ``fval``, ``valid``, ``accurate``), the call counts, the covariance and the
MINOS errors; how an algorithm's end is recorded (an :class:`~thetahat.results.FMin`,
printed as ``print_level`` asks) and how a covariance is taken over (the errors become the
square roots of its diagonal, σᵢ = √Cᵢᵢ, for the free parameters); ``str``, ``repr`` and
the notebook's HTML (formatted by :mod:`thetahat.display`, imported when first shown). A
mixin, so that the facade stays one class in several files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..results import FMin, Matrix, MErrors
from ._facade_params import ndof_of
from ._setup import make_fmin

__all__ = ["ResultMethods"]


class ResultMethods:
    """The function minimum, covariance, MINOS errors and display of ``Minuit``."""

    _fmin: FMin | None
    _covariance: Matrix | None

    @property
    def fmin(self: Any) -> FMin | None:
        """The function minimum of the last minimization or HESSE, or None before any.

        A :class:`~thetahat.results.FMin`: the cost value, EDM, calls and validity flags.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.fmin is None
        True
        >>> m.migrad().fmin.is_valid
        True
        """
        return self._fmin

    @property
    def fval(self: Any) -> float | None:
        """Cost value at the minimum (``fmin.fval``), or None before any minimization.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.fval is None
        True
        >>> round(m.migrad().fval, 3)
        4.167
        """
        return None if self._fmin is None else self._fmin.fval

    @property
    def valid(self: Any) -> bool:
        """Whether the last minimum is valid (``fmin.is_valid``); False before any minimization.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.valid
        False
        >>> m.migrad().valid
        True
        """
        return self._fmin is not None and self._fmin.is_valid

    @property
    def accurate(self: Any) -> bool:
        """Whether the covariance of the last minimum is accurate; False before any.

        The same as ``fmin.has_accurate_covar``.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.accurate
        False
        >>> m.migrad().accurate
        True
        """
        return self._fmin is not None and self._fmin.has_accurate_covar

    @property
    def nfcn(self: Any) -> int:
        """Total number of cost function calls so far.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.nfcn
        0
        >>> m.migrad().nfcn > 0
        True
        """
        return self._nfcn

    @property
    def ngrad(self: Any) -> int:
        """Total number of gradient calls so far (0 when no gradient is given).

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.migrad().ngrad
        0
        """
        return self._ngrad

    @property
    def covariance(self: Any) -> Matrix | None:
        """Covariance matrix of the parameters, or None before MIGRAD or HESSE.

        A :class:`~thetahat.results.Matrix`, indexed by position or name.
        Rows and columns of fixed parameters are zero; the free block is ``2 errordef``
        times the inverse Hessian of the cost.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.covariance is None
        True
        >>> round(float(m.migrad().covariance[1, 1]), 6)
        0.005
        """
        return self._covariance

    @property
    def merrors(self: Any) -> MErrors:
        """MINOS errors, filled by :meth:`minos`.

        A :class:`~thetahat.results.MErrors`: a dict of parameter name to
        :class:`~thetahat.results.MError`.

        Examples
        --------
        >>> from thetahat import Minuit, cost
        >>> line = cost.LeastSquares([0, 1, 2], [1.1, 2.9, 5.2], 0.1, lambda x, a, b: a + b * x)
        >>> m = Minuit(line, a=0, b=1)
        >>> m.migrad().minos('b').merrors['b'].is_valid
        True
        """
        return self._merrors

    # display -----------------------------------------------------------------------------
    def __str__(self: Any) -> str:
        try:
            from ..display import minuit_text
        except ImportError:  # pragma: no cover
            return repr(self)
        return minuit_text(self)

    def __repr__(self: Any) -> str:
        # as iminuit: the minimum (if any), the parameters, the MINOS errors and the
        # covariance (if any), one repr per line
        parts = [] if self._fmin is None else [repr(self._fmin)]
        parts.append(repr(self.params))
        if self._merrors:
            parts.append(repr(self._merrors))
        if self._covariance is not None:
            parts.append(repr(self._covariance))
        return "\n".join(parts)

    def _repr_html_(self: Any) -> str:
        from ..display import minuit_html
        from ..plot import _visualize_svg
        return minuit_html(self) + _visualize_svg(self)

    def _repr_pretty_(self: Any, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else str(self))

    # record of a finished algorithm --------------------------------
    def _record(self: Any, algorithm: str, fval: float, edm: float, nfcn: int, ngrad: int,
                flags: dict, t0: float) -> None:
        self._fmin = make_fmin(algorithm, fval, edm, nfcn, ngrad, self._nhessian, flags, t0,
                               ndof=ndof_of(self._fcn, self.nfit), tol=self._tol,
                               errordef=self._errordef, values=self._values,
                               errors=self._errors, lower=self._lower,
                               upper=self._upper, fixed=self._fixed,
                               ng2=self._ng2)
        self._print_summary()

    def _print_summary(self: Any) -> None:
        """What ``print_level`` asks for after an algorithm."""
        if self._print_level >= 1:
            print(self._fmin)
            if self._print_level >= 2:
                print(self.params)

    def _set_covariance(self: Any, cov: np.ndarray | None) -> None:
        if cov is None:
            self._covariance = None
            return
        self._covariance = Matrix(cov, self._pos2var)
        d = np.diag(cov)
        free = ~self._fixed & np.isfinite(d) & (d > 0)
        self._errors[free] = np.sqrt(d[free])
