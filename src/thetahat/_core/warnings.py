"""Warning categories of thetahat."""

from __future__ import annotations

__all__ = ["ThetahatWarning"]


class ThetahatWarning(RuntimeWarning):
    """Something about a fit deserves attention but does not stop it (iminuit's
    ``IMinuitWarning``): a start value clamped into its limits, errordef not set, ..."""
