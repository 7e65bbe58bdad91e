"""Warning categories of thetahat."""

from __future__ import annotations

__all__ = ["ThetahatWarning", "IMinuitWarning", "HesseFailedWarning", "PerformanceWarning"]


class ThetahatWarning(RuntimeWarning):
    """Something about a fit deserves attention but does not stop it (iminuit's
    ``IMinuitWarning``): a start value clamped into its limits, errordef not set, ..."""


class IMinuitWarning(ThetahatWarning):
    """A warning about a fit (iminuit's generic warning class)."""


class HesseFailedWarning(IMinuitWarning):
    """HESSE could not compute a covariance matrix."""


class PerformanceWarning(IMinuitWarning):
    """A call that works but is slower than it needs to be."""
