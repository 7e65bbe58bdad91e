"""Cost functions for least-squares and maximum-likelihood fits (iminuit 2.x compatible).

Classes: :class:`LeastSquares`, :class:`UnbinnedNLL`, :class:`ExtendedUnbinnedNLL`,
:class:`BinnedNLL`, :class:`ExtendedBinnedNLL`, :class:`NormalConstraint`,
:class:`CostSum` (made with ``+``), :class:`Constant`. Statistics functions underneath:
:func:`chi2`, :func:`poisson_chi2`, :func:`multinomial_chi2`, :func:`unbinned_nll`.

Conventions (as iminuit 2.x, so that ``fval`` and ``reduced_chi2`` agree): every cost has
``errordef = 1``; likelihoods return -2 ln L, the binned ones as Poisson / multinomial
deviances so that FCN / ndof measures the goodness of fit; ``ndata`` is the number of
unmasked points or bins (``inf`` for unbinned costs). Every cost here has Gauss-Newton
structure and an exact Hessian (:class:`StructuredCost`, :class:`ExactHessianCost`:
``gauss_newton(args) -> (value, gradient, H)``, ``exact_hessian``), which Minuit's
structured minimizer uses; a user's own class that implements those protocols gets the
same treatment. See each module's docstring for the formulas.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:  # the names are imported lazily (PEP 562), on first use: see _LAZY
    from .._core.warnings import PerformanceWarning
    from ._base import MaskedCost
    from ._binned import BinnedNLL, ExtendedBinnedNLL
    from ._constraint import NormalConstraint
    from ._cost import Constant, Cost, CostSum
    from ._lsq import LeastSquares
    from ._protocol import ExactHessianCost, StructuredCost
    from ._stats import (
        chi2,
        multinomial_chi2,
        poisson_chi2,
        template_chi2_da,
        template_chi2_jsc,
        template_nll_asy,
        unbinned_nll,
    )
    from ._template import Template
    from ._unbinned import ExtendedUnbinnedNLL, UnbinnedNLL

CHISQUARE = 1.0
NEGATIVE_LOG_LIKELIHOOD = 0.5

__all__ = [
    "BinnedNLL",
    "CHISQUARE",
    "Constant",
    "Cost",
    "CostSum",
    "ExactHessianCost",
    "ExtendedBinnedNLL",
    "ExtendedUnbinnedNLL",
    "LeastSquares",
    "MaskedCost",
    "NEGATIVE_LOG_LIKELIHOOD",
    "NormalConstraint",
    "PerformanceWarning",
    "StructuredCost",
    "Template",
    "UnbinnedNLL",
    "chi2",
    "multinomial_chi2",
    "poisson_chi2",
    "template_chi2_da",
    "template_chi2_jsc",
    "template_nll_asy",
    "unbinned_nll",
]

# old names that iminuit still accepts with a FutureWarning
_RENAMED = {
    "BarlowBeestonLite": "Template",
    "barlow_beeston_lite_chi2_jsc": "template_chi2_jsc",
    "barlow_beeston_lite_chi2_hpd": "template_chi2_da",
    "multinominal_chi2": "multinomial_chi2",
}


# public name -> module that defines it: imported on first use, so that ``from thetahat
# import Minuit`` (which needs only the protocols) does not load every cost class
_LAZY = {
    "PerformanceWarning": "thetahat._core.warnings",
    **dict.fromkeys(["Constant", "Cost", "CostSum"], "thetahat.cost._cost"),
    "MaskedCost": "thetahat.cost._base",
    **dict.fromkeys(["BinnedNLL", "ExtendedBinnedNLL"], "thetahat.cost._binned"),
    "NormalConstraint": "thetahat.cost._constraint",
    "LeastSquares": "thetahat.cost._lsq",
    **dict.fromkeys(["ExactHessianCost", "StructuredCost"], "thetahat.cost._protocol"),
    **dict.fromkeys(["chi2", "multinomial_chi2", "poisson_chi2", "template_chi2_da",
                     "template_chi2_jsc", "template_nll_asy", "unbinned_nll"],
                    "thetahat.cost._stats"),
    "Template": "thetahat.cost._template",
    **dict.fromkeys(["ExtendedUnbinnedNLL", "UnbinnedNLL"], "thetahat.cost._unbinned"),
}


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # cache: later look-ups are plain attribute access
        return value
    if name in _RENAMED:
        new = _RENAMED[name]
        from .._core.warnings import warn_user

        warn_user(f"{name} was renamed to {new}", FutureWarning)
        return __getattr__(new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
