"""``Cost``, the base class of the cost functions, and the sums that ``+`` builds of them.

A cost is a callable ``cost(*args) -> float`` that knows its parameter names
(``_parameters``: name -> limits or None, as iminuit 2.x), its ``errordef`` (1 for all costs
here: chi-square-like costs and likelihoods reported as -2 ln L), ``ndata`` (number of
independent data points; ``inf`` for unbinned fits, where no goodness-of-fit is defined) and
``npar``. Costs add with ``+`` into a :class:`CostSum` whose parameters are the union of the
items' parameters, merged by name in order of first appearance; a number in a sum is a
:class:`Constant` term.

Gauss-Newton structure. Costs that are sums of squares or likelihoods expose
``gauss_newton(args, free=None) -> (value, gradient, H)`` where ``H`` is a positive semi-definite
approximation of the Hessian of the value (Gauss-Newton / expected Fisher information); a
:class:`CostSum` adds the items' triples after mapping their parameter subsets. ``args`` is
the flat vector of all parameter values; the optional boolean ``free`` marks the parameters
whose derivatives are needed (Minuit's free parameters): entries of ``g`` and rows/columns
of ``H`` of the others may then be zero, and finite differences skip them (saving one model
call per fixed parameter).

The exact Hessian (``exact_hessian``) and the forward-difference Jacobians of the model
come from :mod:`thetahat.derivatives.model`. The costs over data points build on
:class:`~._base.MaskedCost`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from collections.abc import Sequence as ABCSequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ._protocol import ExactHessianCost, StructuredCost

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Cost", "CostSum", "Constant"]


class Cost:
    """Base class: parameters, errordef, ``+``, verbose printing, call dispatch.

    Parameters
    ----------
    parameters : dict of str to (float, float) or None
        Parameter names, each with its limits or None (as iminuit's ``_parameters``).
    verbose : int, optional
        1 or more prints the arguments and the value of each call (default 0).

    Examples
    --------
    Every cost is a ``Cost``; ``+`` merges the parameters of two costs by name:

    >>> from thetahat.cost import Cost, LeastSquares, NormalConstraint
    >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
    >>> isinstance(c, Cost), c.errordef, c(1.0, 2.0)  # a perfect line: chi2 = 0
    (True, 1.0, 0.0)
    >>> (c + NormalConstraint("b", 1.0, 0.5))(1.0, 2.0)  # ((2 - 1) / 0.5)^2
    4.0
    """

    _errordef = 1.0
    #: F is exactly a sum of squared residuals (cost/_protocol.py); True only for
    #: LeastSquares with the linear loss
    is_sum_of_squares = False

    def __init__(self, parameters: dict, verbose: int = 0) -> None:
        self._parameters = dict(parameters)
        self.verbose = int(verbose)

    @property
    def errordef(self) -> float:
        """Cost increase that defines one standard deviation (1 for every cost here).

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x).errordef
        1.0
        """
        return self._errordef

    @property
    def npar(self) -> int:
        """Number of parameters.

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b, c: a + b * x + c).npar
        3
        """
        return len(self._parameters)

    @property
    def ndata(self) -> float:
        """Number of (unmasked) data points; ``inf`` for unbinned costs.

        Examples
        --------
        >>> from thetahat.cost import LeastSquares, UnbinnedNLL
        >>> c = LeastSquares([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], 1.0, lambda x, a, b: a + b * x)
        >>> c.mask = [True, False, True]
        >>> c.ndata, UnbinnedNLL([0.5, 1.5], lambda x, t: t * np.exp(-t * x)).ndata
        (2, inf)
        """
        return self._ndata()

    def _ndata(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def has_grad(self) -> bool:
        """Whether :meth:`grad` is available (the model supplies parameter gradients).

        Examples
        --------
        >>> from thetahat.cost import LeastSquares
        >>> line = lambda x, a, b: a + b * x
        >>> LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, line).has_grad
        False
        >>> grad = lambda x, a, b: [x ** 0, x]  # d/da, d/db of the line
        >>> LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, line, grad=grad).has_grad
        True
        """
        return False

    def _unpack(self, args: tuple) -> tuple:
        """Accept ``cost(array)`` for a cost with several named parameters (Minuit's
        array call) as well as ``cost(*values)``."""
        if len(args) == 1 and len(self._parameters) > 1 and np.ndim(args[0]) == 1:
            if np.size(args[0]) == len(self._parameters):
                return tuple(np.asarray(args[0], dtype=float))
        return args

    def __call__(self, *args: Any) -> float:
        """Value of the cost at the parameter values ``args``."""
        args = self._unpack(args)
        r = self._value(args)
        if self.verbose >= 1:
            print(args, "->", r)
        return r

    def grad(self, *args: Any) -> NDArray:
        """Gradient of the cost with respect to the parameters (needs a model gradient).

        Parameters
        ----------
        *args : float or array_like
            Values of all parameters (one per argument, or one array of all).

        Returns
        -------
        numpy.ndarray
            The gradient, one entry per parameter.

        Raises
        ------
        AttributeError
            When the cost has no gradient (no model gradient given: pass ``grad=``).

        Examples
        --------
        With the model gradient, the chi-square gradient is ``-2 sum r_i df_i/dp`` (residuals
        ``r = y - a - b x`` = (1, 3) at a = b = 0):

        >>> from thetahat.cost import LeastSquares
        >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x,
        ...                  grad=lambda x, a, b: np.array([np.ones_like(x), x]))
        >>> c.grad(0.0, 0.0).tolist()
        [-8.0, -6.0]
        """
        if not self.has_grad:
            raise AttributeError(f"{type(self).__name__} has no gradient: pass grad=")
        return self._grad(self._unpack(args))

    def _value(self, args: tuple) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def _grad(self, args: tuple) -> NDArray:  # pragma: no cover - overridden
        raise NotImplementedError

    def _call_args(self, args: ArrayLike) -> tuple:
        """Turn a flat parameter vector into the call arguments of the model.

        A model with one declared parameter that receives a vector of another length (an
        "array call", e.g. ``np.polyval(par, x)`` fitted with Minuit(cost, (1, 2, 3))) gets
        the whole vector as its single argument.
        """
        args = np.asarray(args, dtype=float).ravel()
        if not self._scalar_call(args.size):
            return (args,)
        return tuple(args.tolist())  # Python floats, as iminuit passes them

    def _scalar_call(self, size: int) -> bool:
        """Whether ``size`` parameter values go to the model as separate floats (else as
        one vector: the array call of :meth:`_call_args`)."""
        return size == 1 or len(self._parameters) != 1

    def __add__(self, other: Any) -> CostSum:
        return CostSum(self, other)

    def __radd__(self, other: Any) -> CostSum:
        return CostSum(other, self)

    def visualize(self, *args: Any, **kwargs: Any) -> Any:
        """Draw data and model (matplotlib, imported lazily); each cost has its own
        arguments, the first being the parameter values.

        Parameters
        ----------
        *args, **kwargs
            The parameter values first, then the cost's own drawing options.

        Raises
        ------
        NotImplementedError
            For a cost that cannot be drawn (the base class).

        Examples
        --------
        >>> from thetahat.cost import Constant
        >>> Constant(1.0).visualize(())
        Traceback (most recent call last):
            ...
        NotImplementedError: Constant cannot be visualised
        """
        raise NotImplementedError(f"{type(self).__name__} cannot be visualised")



class Constant(Cost):
    """A constant term of a :class:`CostSum` (no parameters, no data).

    Parameters
    ----------
    value : float
        The value the term adds to the sum.

    Examples
    --------
    >>> from thetahat.cost import Constant, NormalConstraint
    >>> s = NormalConstraint("a", 0.0, 1.0) + Constant(2.5)
    >>> s(1.0), Constant(2.5).npar, Constant(2.5).ndata  # 1^2 + 2.5
    (3.5, 0, 0)
    """

    def __init__(self, value: float) -> None:
        super().__init__({}, 0)
        self.value = float(value)

    def _ndata(self) -> float:
        return 0

    def _value(self, args: tuple) -> float:
        return self.value

    def _grad(self, args: tuple) -> NDArray:
        return np.zeros(0)

    @property
    def has_grad(self) -> bool:
        """Always True: the gradient of a constant is empty (no parameters).

        Examples
        --------
        >>> Constant(2.5).has_grad, Constant(2.5).grad().shape
        (True, (0,))
        """
        return True

    def gauss_newton(self, args: NDArray, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """The constant value, with an empty gradient and Hessian (no parameters).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).
        steps : numpy.ndarray, optional
            Finite-difference step of each parameter, used where a derivative is numerical.

        Returns
        -------
        value : float
            The cost at ``args``.
        grad : numpy.ndarray
            Its gradient over the free parameters.
        hessian : numpy.ndarray
            The exact Hessian (the cost is quadratic).

        Examples
        --------
        >>> Constant(2.5).gauss_newton(np.zeros(0))[0]
        2.5
        """
        return self.value, np.zeros(0), np.zeros((0, 0))

    def exact_hessian(self, args: NDArray, steps: NDArray, free: NDArray | None = None
                      ) -> tuple[float, NDArray, NDArray, bool]:
        """The constant value, with an empty gradient and Hessian (no parameters).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        steps : numpy.ndarray
            Finite-difference step of each parameter, used where a derivative is numerical.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).

        Returns
        -------
        tuple or None
            ``(value, grad, hessian, reused)``: the cost, its gradient and exact Hessian over the
            free parameters, and whether the model values of the last :meth:`gauss_newton` call at
            this point with these steps were reused; None when the model is not finite at a
            difference point.

        Examples
        --------
        >>> f, g, h, reused = Constant(2.5).exact_hessian(np.zeros(0), np.zeros(0))
        >>> f, g.shape, h.shape, reused
        (2.5, (0,), (0, 0), True)
        """
        return self.value, np.zeros(0), np.zeros((0, 0)), True


class CostSum(Cost, ABCSequence):
    """Sum of costs with parameters merged by name (``cost1 + cost2``).

    Parameters
    ----------
    *items : Cost or float
        Costs (nested sums are flattened) or constants.

    Raises
    ------
    TypeError
        If an item is neither a cost nor a number.

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat.cost import LeastSquares, NormalConstraint
    >>> c = LeastSquares([0.0, 1.0], [1.0, 2.0], 1.0, lambda x, a, b: a + b * x)
    >>> s = c + NormalConstraint("b", 1.0, 0.5)
    >>> list(s._parameters), s(1.0, 2.0)
    (['a', 'b'], 5.0)
    """

    _items: list[Cost]

    def __init__(self, *items: Cost | float) -> None:
        flat: list[Cost] = []
        for it in items:
            if isinstance(it, CostSum):
                flat.extend(it._items)
            elif isinstance(it, Cost):
                flat.append(it)
            elif isinstance(it, numbers.Real):  # not a string, which np.isscalar admits
                flat.append(Constant(float(cast(float, it))))
            else:
                raise TypeError(f"cannot add {type(it).__name__} to a cost")
        params: dict = {}
        for c in flat:
            for k, v in c._parameters.items():
                if params.get(k) is None:  # the first declared limits win
                    params[k] = v
        names = list(params)
        self._items = flat
        # every term in units of errordef 1: a log-likelihood (errordef 0.5) counts twice
        self._factors = [1.0 / c.errordef for c in flat]
        self._maps = [np.array([names.index(k) for k in c._parameters], dtype=int) for c in flat]
        super().__init__(params, max(c.verbose for c in flat) if flat else 0)
        # the sum has the structure that all its terms have (cost/_protocol.py)
        if all(isinstance(c, StructuredCost) for c in flat):
            self.gauss_newton = self._gauss_newton_sum
        if all(isinstance(c, ExactHessianCost) for c in flat):
            self.exact_hessian = self._exact_hessian_sum

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: Any) -> Any:  # Cost for an int, a list of them for a slice
        return self._items[i]

    def __iter__(self):
        return iter(self._items)

    def _ndata(self) -> float:
        return sum(c.ndata for c in self._items)

    @property
    def has_grad(self) -> bool:
        """Whether every term has a gradient (then the sum's :meth:`grad` works).

        Examples
        --------
        >>> from thetahat.cost import LeastSquares, NormalConstraint
        >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
        >>> (c + NormalConstraint("b", 2.0, 0.5)).has_grad  # the least-squares term has none
        False
        """
        return all(c.has_grad for c in self._items)

    def _split(self, args: ArrayLike) -> Iterable[tuple[Cost, tuple, NDArray, float]]:
        a = np.asarray(args, dtype=float).ravel()
        if len(self._parameters) == 1 and a.size != 1:
            # one array parameter (Minuit's array call) shared by every term
            every = np.arange(a.size)
            for c, idx, w in zip(self._items, self._maps, self._factors):
                yield (c, (a,), every, w) if idx.size else (c, (), every[:0], w)
            return
        for c, idx, w in zip(self._items, self._maps, self._factors):
            yield c, tuple(a[idx]), idx, w

    def _value(self, args: tuple) -> float:
        return float(sum(w * c._value(sub) for c, sub, _, w in self._split(args)))

    def _grad(self, args: tuple) -> NDArray:
        g = np.zeros(np.size(args))
        for c, sub, idx, w in self._split(args):
            g[idx] += w * c._grad(sub)
        return g

    def _gauss_newton_sum(self, args: NDArray, free: NDArray | None = None,
                          steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        f = 0.0
        g = np.zeros(np.size(args))
        h = np.zeros((np.size(args), np.size(args)))
        for c, sub, idx, w in self._split(args):
            sub_free = None if free is None else np.asarray(free, dtype=bool)[idx]
            # every term is a StructuredCost: this method is set only then
            fi, gi, hi = cast(StructuredCost, c).gauss_newton(np.asarray(sub), sub_free,
                                   None if steps is None else np.asarray(steps)[idx])
            f += w * fi
            g[idx] += w * gi
            h[np.ix_(idx, idx)] += w * hi
        return f, g, h

    def _exact_hessian_sum(self, args: NDArray, steps: NDArray, free: NDArray | None = None
                           ) -> tuple[float, NDArray, NDArray, bool] | None:
        f = 0.0
        g = np.zeros(np.size(args))
        h = np.zeros((np.size(args), np.size(args)))
        steps = np.asarray(steps, dtype=float)
        reused = True
        for c, sub, idx, w in self._split(args):
            sub_free = None if free is None else np.asarray(free, dtype=bool)[idx]
            # every term is an ExactHessianCost: this method is set only then
            out = cast(ExactHessianCost, c).exact_hessian(np.asarray(sub), steps[idx], sub_free)
            if out is None:
                return None
            f += w * out[0]
            g[idx] += w * out[1]
            h[np.ix_(idx, idx)] += w * out[2]
            reused = reused and out[3]
        return f, g, h, reused

    def diagnose(self, x: NDArray, free: NDArray) -> tuple[str, ...]:
        """The diagnoses of the terms that give them (:class:`~thetahat.cost.DiagnosedCost`),
        each term with its own free parameters.

        Parameters
        ----------
        x : numpy.ndarray
            Values of all parameters at the minimum, in positional order.
        free : numpy.ndarray of bool
            Which parameters were free in the fit.

        Returns
        -------
        tuple of str
            One message per reason not to trust the minimum; empty for a sound one.

        Examples
        --------
        A sound least-squares minimum gives nothing to report:

        >>> from thetahat.cost import LeastSquares, NormalConstraint
        >>> s = (LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
        ...      + NormalConstraint("b", 2.0, 0.5))
        >>> s.diagnose(np.array([1.0, 2.0]), np.array([True, True]))
        ()
        """
        from ._protocol import DiagnosedCost

        free = np.asarray(free, dtype=bool)
        out: list[str] = []
        for c, sub, idx, _ in self._split(x):
            if isinstance(c, DiagnosedCost):
                out.extend(c.diagnose(np.asarray(sub, dtype=float), free[idx]))
        return tuple(out)

    def visualize(self, args: ArrayLike, component_kwargs: dict | None = None) -> Any:
        """Draw each component that can be drawn in its own subplot.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        component_kwargs : dict, optional
            Keyword arguments per component, keyed by the component's index.

        Returns
        -------
        list
            What each drawn component's ``visualize`` returned.

        Examples
        --------
        One subplot per drawable term (drawn with the Agg backend):

        >>> from matplotlib import pyplot as plt
        >>> from thetahat.cost import LeastSquares, NormalConstraint
        >>> s = (LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
        ...      + NormalConstraint("b", 2.0, 0.5))
        >>> len(s.visualize([1.0, 2.0])), len(plt.gcf().axes)
        (2, 2)
        >>> plt.close("all")
        """
        from ._visualize import visualize_sum

        return visualize_sum(self, args, component_kwargs)
