"""Warning categories of thetahat."""

from __future__ import annotations

__all__ = ["ThetahatWarning", "IMinuitWarning", "HesseFailedWarning", "PerformanceWarning",
           "ErrordefAlreadySetWarning", "OptionalDependencyWarning", "DegenerateFitWarning"]


class ThetahatWarning(RuntimeWarning):
    """Something about a fit deserves attention but does not stop it: a poor fit, a
    refit that failed inside a profile, ... (the base of the iminuit-named classes)."""


class IMinuitWarning(ThetahatWarning):
    """A warning about a fit (iminuit's generic warning class)."""


class HesseFailedWarning(IMinuitWarning):
    """HESSE could not compute a covariance matrix."""


class PerformanceWarning(IMinuitWarning, UserWarning):
    """A call that works but is slower than it needs to be (a UserWarning, as iminuit's).

    Examples
    --------
    >>> import warnings
    >>> from thetahat.cost import PerformanceWarning
    >>> issubclass(PerformanceWarning, UserWarning)  # shown once per place, as iminuit's
    True
    """


class ErrordefAlreadySetWarning(IMinuitWarning):
    """``Minuit.errordef`` was set although the cost declares its own ``errordef``."""


class OptionalDependencyWarning(IMinuitWarning):
    """An optional package is missing, so a feature is reduced or off."""


class DegenerateFitWarning(IMinuitWarning):
    """The data determine a combination of the parameters only at the level of rounding
    (a degenerate model: the column-scaled Jacobian is singular up to its own error, see
    :mod:`thetahat._core.linalg`); the message names the parameters."""
