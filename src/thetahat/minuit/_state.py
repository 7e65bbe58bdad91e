"""What flows between the ``Minuit`` facade and its engines: a state in, an outcome out.

The facade owns the parameter state and the settings. Before an algorithm runs it takes a
snapshot, :class:`FitState` (frozen: an engine cannot write into the facade), and hands it
to an engine of :mod:`._engines` or :mod:`._intervals`. The engine returns a value object,
:class:`Outcome` for MIGRAD / HESSE / SIMPLEX / SCAN, and the facade alone applies it:
new values, covariance, call counts, the ``FMin`` flags. The interval engines return
their intervals and curves together with the calls they spent (:class:`Calls`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from .._core.rules import edm_goal
from ..cost._protocol import StructuredCost
from ._problem import Problem

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import NDArray

__all__ = ["FitState", "Outcome", "Calls"]


@dataclass(frozen=True)
class FitState:
    """A snapshot of a ``Minuit``: the cost, every parameter, and the settings.

    ``structured`` is the cost when it offers Gauss-Newton structure
    (:class:`~thetahat.cost.StructuredCost`) and no user gradient overrides it, else None;
    ``exact_hessian`` whether that cost can also compute its exact Hessian. Both are
    decided once, when the ``Minuit`` is built.
    """

    fcn: Callable
    grad: Callable | None
    structured: StructuredCost | None
    exact_hessian: bool
    array_call: bool
    names: tuple[str, ...]
    values: NDArray
    errors: NDArray
    lower: NDArray
    upper: NDArray
    fixed: NDArray
    errordef: float
    tol: float
    strategy: int
    precision: float | None
    throw_nan: bool
    hessian: Callable | None = None  # the user's Hessian, used instead of HESSE
    g2: Callable | None = None  # the user's Hessian diagonal (counted), seeds MIGRAD

    @property
    def edm_goal(self) -> float:
        """MIGRAD's goal for the EDM (:func:`thetahat._core.rules.edm_goal`)."""
        return edm_goal(self.tol, self.errordef)

    @property
    def limits(self) -> list[tuple[float, float]]:
        return list(zip(self.lower.tolist(), self.upper.tolist()))

    def problem(self, values: NDArray | None = None, free: NDArray | None = None) -> Problem:
        """The free-parameter problem at ``values`` (default: the state's) with the free
        parameters ``free`` (default: those not fixed)."""
        return Problem(self.fcn, self.values if values is None else values,
                       ~self.fixed if free is None else free, self.lower, self.upper,
                       array_call=self.array_call, names=self.names,
                       throw_nan=self.throw_nan, grad=self.grad)


def structure_of(fcn: Callable, grad: Callable | None, caps: tuple[bool, bool]
                 ) -> tuple[StructuredCost | None, bool]:
    """The cost's Gauss-Newton structure, if the engines may use it (see :class:`FitState`);
    ``caps`` is :func:`thetahat.cost._protocol.capabilities` of ``fcn``."""
    structured, exact = caps
    if grad is not None or not structured:
        return None, False
    return cast(StructuredCost, fcn), exact


@dataclass
class Outcome:
    """What an algorithm found, for the facade to apply.

    ``values`` are all parameter values (external) after the algorithm; ``covariance`` the
    full external covariance or None; ``flags`` the named ``FMin`` flags it determined
    (the facade adds the ones that depend on its own state: parameters at limits, the
    EDM against the goal); ``nfcn`` / ``ngrad`` the calls this run made;
    ``hesse_at_values`` that the covariance is HESSE's at exactly these values and
    settings, so that an immediate ``hesse()`` may reuse it.
    """

    algorithm: str
    values: NDArray
    fval: float
    edm: float
    covariance: NDArray | None
    flags: dict = field(default_factory=dict)
    nfcn: int = 0
    ngrad: int = 0
    hesse_at_values: bool = False
    errors: NDArray | None = None  # new errors without a covariance (after SCAN)
    degenerate: bool = False  # MIGRAD's degeneracy check fired (kept by migrad_retries)


@dataclass
class Calls:
    """A counter of cost calls, for engines that call the cost many times (refits)."""

    n: int = 0

    def add(self, k: int) -> None:
        self.n += int(k)
