"""What a cost offers the minimizer: the protocols the engines depend on.

A plain cost is any callable ``fcn(*values) -> float`` (:class:`Cost`). A cost that knows
more about itself can say so, and :class:`~thetahat.Minuit` then takes a faster and more
accurate path; every cost of :mod:`thetahat.cost` does, and a user's own class joins by
implementing the same methods (no base class needed: these are ``typing.Protocol``\\ s,
checked with ``isinstance`` once, when ``Minuit`` is built).

**Gauss-Newton structure** (:class:`StructuredCost`). Every structured cost is a
separable loss of a model vector, F(p) = Σ_i L_i(μ_i(p)): residuals of a model for least
squares, expected bin contents for binned likelihoods, densities at the events for
unbinned ones. Its gradient is g = Σ L_i' ∇μ_i and the positive semi-definite part of
its Hessian, the Gauss-Newton matrix (the Fisher information of the prediction for a
likelihood, FUMILI's idea), is H_GN = Σ L_i'' ∇μ_i ∇μ_iᵀ. ``gauss_newton(x, free, steps)``
returns (F, g, H_GN) over all parameters at the external values ``x`` (entries of
parameters that are not ``free`` may be zero); with ``steps`` (one per parameter, external)
a cost that differentiates its model numerically uses those forward-difference steps.

**Exact Hessian** (:class:`ExactHessianCost`). The full second derivative adds the
residual terms: H = H_GN + Σ L_i' ∇²μ_i. ``exact_hessian(x, steps, free)`` returns
(F, g, H, reused) from central differences of the model vector with the given steps, or
None when the model is not finite at a difference point; ``reused`` says whether the model
values of the last ``gauss_newton`` call at this point with these steps were reused.

**Call counting**, so that ``Minuit.nfcn`` compares with a minimizer that calls the cost
itself: one ``gauss_newton`` call counts as 1 call of the cost, plus one per free
parameter when the cost differentiates its model numerically (``has_grad`` False);
one ``exact_hessian`` call as :func:`exact_hessian_ncall`.

**Sums of squares.** ``is_sum_of_squares`` is True when F is exactly ``Σ r_i(p)²`` (least
squares with the linear loss): then H_GN is the exact Hessian wherever the model is
linear, and the minimizer may skip HESSE after checking that H_GN does not change.

Examples
--------
A cost written by hand, for a straight line through points with unit errors, joins the
fast path by implementing the protocol:

>>> import numpy as np
>>> from thetahat import Minuit
>>> from thetahat.cost import StructuredCost
>>> class Line:
...     errordef = 1.0
...     has_grad = True
...     is_sum_of_squares = True
...     ndata = 3
...     x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0])
...     def __call__(self, a, b):
...         r = self.y - (a + b * self.x)
...         return float(r @ r)
...     def gauss_newton(self, p, free=None, steps=None):
...         J = np.stack([np.ones(3), self.x], axis=1)
...         r = self.y - J @ np.asarray(p, float)
...         return float(r @ r), -2 * J.T @ r, 2 * J.T @ J
>>> isinstance(Line(), StructuredCost)
True
>>> m = Minuit(Line(), a=0, b=0).migrad()
>>> [round(v, 3) for v in m.values], m.valid, m.nfcn  # two Gauss-Newton points, final step
([1.0, 2.0], True, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["StructuredCost", "ExactHessianCost", "DiagnosedCost", "capabilities",
           "cost_gradient", "gauss_newton_ncall", "exact_hessian_ncall"]


@runtime_checkable
class StructuredCost(Protocol):
    """A cost with Gauss-Newton structure (module docstring).

    Examples
    --------
    Every cost of :mod:`thetahat.cost` is one; a plain function is not:

    >>> from thetahat.cost import LeastSquares, StructuredCost
    >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
    >>> isinstance(c, StructuredCost), isinstance(lambda a: a**2, StructuredCost)
    (True, False)
    """

    errordef: float
    has_grad: bool
    is_sum_of_squares: bool

    def __call__(self, *args: float) -> float: ...

    def gauss_newton(self, x: NDArray, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """Value F, gradient g and positive semi-definite Hessian approximation H_GN at ``x``.

        Parameters
        ----------
        x : numpy.ndarray
            Values of all parameters, in positional order.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).
        steps : numpy.ndarray, optional
            Finite-difference step of each parameter, used where a derivative is numerical.

        Returns
        -------
        value : float
            The cost at ``x``.
        grad : numpy.ndarray
            Its gradient over the free parameters.
        hessian : numpy.ndarray
            H_GN over the free parameters.

        Examples
        --------
        >>> import numpy as np
        >>> from thetahat.cost import NormalConstraint
        >>> f, g, h = NormalConstraint("a", 1.0, 0.5).gauss_newton(np.array([2.0]))
        >>> f, g.tolist(), h.tolist()  # ((2 - 1) / 0.5)^2, its gradient 8 (a - 1), Hessian 8
        (4.0, [8.0], [[8.0]])
        """


@runtime_checkable
class ExactHessianCost(StructuredCost, Protocol):
    """A structured cost that can also compute its exact Hessian (module docstring).

    Examples
    --------
    >>> from thetahat.cost import ExactHessianCost, LeastSquares
    >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a, b: a + b * x)
    >>> isinstance(c, ExactHessianCost)
    True
    """

    def exact_hessian(self, x: NDArray, steps: NDArray, free: NDArray | None = None
                      ) -> tuple[float, NDArray, NDArray, bool] | None:
        """Value, gradient and exact Hessian at ``x`` (module docstring).

        Parameters
        ----------
        x : numpy.ndarray
            Values of all parameters, in positional order.
        steps : numpy.ndarray
            Central-difference step of each parameter.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).

        Returns
        -------
        tuple or None
            ``(value, grad, hessian, reused)``, or None when the model is not finite at a
            difference point; ``reused`` says whether the model values of the last
            :meth:`gauss_newton` call at this point with these steps were reused.

        Examples
        --------
        >>> import numpy as np
        >>> from thetahat.cost import LeastSquares
        >>> c = LeastSquares([0.0, 1.0], [1.0, 3.0], 1.0, lambda x, a: a * x ** 2)
        >>> f, g, h, reused = c.exact_hessian(np.array([3.0]), np.array([1e-3]))
        >>> round(f, 9), h.round(4).tolist()  # chi2 = 1 + 0 at a = 3, d2/da2 = 2 sum x^4 = 2
        (1.0, [[2.0]])
        """


@runtime_checkable
class DiagnosedCost(Protocol):
    """A cost that can tell, at a minimum, why that minimum is not to be trusted even when
    the minimizer converged (:mod:`thetahat.cost._diagnose`): ``diagnose(x, free)`` returns
    one message per reason, none for a sound minimum. ``Minuit`` then marks the minimum
    invalid and warns with the messages."""

    def diagnose(self, x: NDArray, free: NDArray) -> tuple[str, ...]: ...


#: the members each protocol requires (``isinstance`` checks exactly these, with hasattr)
STRUCTURED_MEMBERS = ("errordef", "has_grad", "is_sum_of_squares", "__call__", "gauss_newton")
EXACT_HESSIAN_MEMBERS = STRUCTURED_MEMBERS + ("exact_hessian",)

_BY_TYPE: dict[type, tuple[bool, bool]] = {}


def capabilities(cost: object) -> tuple[bool, bool]:
    """``(isinstance(cost, StructuredCost), isinstance(cost, ExactHessianCost))``, fast.

    ``isinstance`` with a runtime-checkable protocol looks up every member on every call
    (tens of microseconds, as much as a small fit). A class whose own attributes satisfy
    a protocol satisfies it for all its instances, so that answer is cached per class;
    members set on the instance (a sum of costs takes the structure its terms have) are
    checked with ``isinstance`` each time.
    """
    t = type(cost)
    known = _BY_TYPE.get(t)
    if known is None:
        known = (all(hasattr(t, k) for k in STRUCTURED_MEMBERS),
                 all(hasattr(t, k) for k in EXACT_HESSIAN_MEMBERS))
        _BY_TYPE[t] = known
    if known[1]:
        return known
    # without the method there is nothing to check (and a plain function is not slowed)
    structured = known[0] or (hasattr(cost, "gauss_newton")
                              and isinstance(cost, StructuredCost))
    exact = structured and hasattr(cost, "exact_hessian") and isinstance(cost, ExactHessianCost)
    return structured, exact


def cost_gradient(fcn: object) -> Callable | None:
    """``fcn.grad`` if the cost provides a usable gradient (a callable ``grad`` and
    ``has_grad`` not False), else None: iminuit's rule for ``Minuit(fcn, grad=None/True)``.

    Parameters
    ----------
    fcn : callable
        A cost function.

    Returns
    -------
    callable or None

    Examples
    --------
    A least-squares cost with the model's gradient has one, ``-2 sum r_i x_i^k / s^2``:

    >>> import numpy as np
    >>> from thetahat.cost import LeastSquares
    >>> from thetahat.models import Line
    >>> from thetahat.util import gradient
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> c = LeastSquares(x, [1.0, 2.0, 5.0, 7.0], 0.5, Line(), grad=Line().grad)
    >>> gradient(c)(1.0, 2.0).tolist(), gradient(lambda a: a**2)
    ([8.0, 8.0], None)
    """
    g = getattr(fcn, "grad", None)
    if g is None or not callable(g) or getattr(fcn, "has_grad", True) is False:
        return None
    return g


def gauss_newton_ncall(cost: StructuredCost, k: int) -> int:
    """Cost calls that one ``gauss_newton`` evaluation counts for, with k free parameters."""
    return 1 if cost.has_grad else 1 + k


def exact_hessian_ncall(k: int, reused: bool = False) -> int:
    """Cost calls that one ``exact_hessian`` evaluation counts for, with k free parameters.

    Central differences of the model take 2k + k(k-1)/2 evaluations of the model vector
    (one pair per parameter and one point per pair of parameters), plus one at the centre;
    with the forward-difference points of the last Gauss-Newton step reused, k of them and
    the centre are not evaluated again.
    """
    pairs = k * (k - 1) // 2
    return (k + pairs) if reused else (1 + 2 * k + pairs)
