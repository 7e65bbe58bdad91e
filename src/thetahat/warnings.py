"""The warning classes of thetahat, under the names iminuit's ``iminuit.warnings`` uses.

``ThetahatWarning`` is the base; ``IMinuitWarning`` and its subclasses are there so that
code written for iminuit (``pytest.warns(IMinuitWarning)``, warning filters) keeps working
with only the import changed.

Examples
--------
>>> import warnings
>>> from thetahat.warnings import IMinuitWarning, ThetahatWarning
>>> issubclass(IMinuitWarning, ThetahatWarning)
True
"""

from __future__ import annotations

from ._core.warnings import (
    DegenerateFitWarning,
    ErrordefAlreadySetWarning,
    HesseFailedWarning,
    IMinuitWarning,
    OptionalDependencyWarning,
    PerformanceWarning,
    ThetahatWarning,
)

__all__ = ["ThetahatWarning", "IMinuitWarning", "HesseFailedWarning", "PerformanceWarning",
           "ErrordefAlreadySetWarning", "OptionalDependencyWarning", "DegenerateFitWarning"]
