"""thetahat: estimate the parameters of a model from data, with honest uncertainties.

The public surface
------------------
- scipy-compatible fronts: :func:`least_squares`, :func:`curve_fit`, :func:`minimize`,
  :func:`lsq_linear`, and :func:`linear_fit` (linear models with their covariance);
- the MINUIT-style minimizer :class:`Minuit` (MIGRAD, HESSE, MINOS, profiles, contours),
  compatible with iminuit 2.x, and its cost functions in :mod:`thetahat.cost`;
- a model library in :mod:`thetahat.models` and the one-call :func:`fit`.

Names are imported lazily (PEP 562) so that ``import thetahat`` stays cheap and a user who
needs only ``curve_fit`` never pays for the rest.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._core.version import __version__ as __version__

# public name -> module that defines it
_EXPORTS = {
    "OptimizeResult": "thetahat.scipy_api._result",
    "least_squares": "thetahat.scipy_api._least_squares",
    "curve_fit": "thetahat.scipy_api._curve_fit",
    "minimize": "thetahat.scipy_api._minimize",
    "lsq_linear": "thetahat.scipy_api._linear",
    "linear_fit": "thetahat.scipy_api._linear",
    "LinearFitResult": "thetahat.scipy_api._linear",
    "Minuit": "thetahat.minuit",
    "fit": "thetahat.cli._fit",
    "FitResult": "thetahat.cli._result",
    "ThetahatWarning": "thetahat._core.warnings",
    "IllConditionedWarning": "thetahat.scipy_api._linear",
}
_SUBMODULES = {"cost", "models", "display", "plot", "util", "testing", "typing",
               "pdg_format", "experimental", "batch", "warnings"}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # cache: later look-ups are plain attribute access
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"thetahat.{name}")
    raise AttributeError(f"module 'thetahat' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
