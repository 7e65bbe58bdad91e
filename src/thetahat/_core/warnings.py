"""Warning categories of thetahat."""

from __future__ import annotations

__all__ = ["ThetahatWarning", "IMinuitWarning", "HesseFailedWarning", "PerformanceWarning",
           "ErrordefAlreadySetWarning", "OptionalDependencyWarning", "DegenerateFitWarning"]


class ThetahatWarning(RuntimeWarning):
    """Something about a fit deserves attention but does not stop it: a poor fit, a
    refit that failed inside a profile, ... (the base of the iminuit-named classes).

    Examples
    --------
    One filter catches every thetahat warning, here the one of a model in which only the
    product ``a b`` is determined:

    >>> import warnings
    >>> import numpy as np
    >>> from thetahat import ThetahatWarning, curve_fit
    >>> x = np.linspace(0, 1, 5)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always", ThetahatWarning)
    ...     _ = curve_fit(lambda x, a, b: a * b * x, x, 2 * x, p0=[1, 1])
    >>> any(issubclass(r.category, ThetahatWarning) for r in w)
    True
    """


class IMinuitWarning(ThetahatWarning):
    """A warning about a fit (iminuit's generic warning class).

    Examples
    --------
    Code written for iminuit filters on it; made an error, it stops a call that warns
    (here: setting ``errordef`` on a cost that declares its own):

    >>> import warnings
    >>> from thetahat import Minuit
    >>> from thetahat.cost import LeastSquares
    >>> from thetahat.util import IMinuitWarning
    >>> m = Minuit(lambda x: x**2, x=1)
    >>> m.errordef = Minuit.LIKELIHOOD  # a plain function declares none: no warning
    >>> c = LeastSquares([0, 1, 2], [1, 3, 5], 0.1, lambda x, a, b: a + b * x)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", IMinuitWarning)
    ...     try:
    ...         Minuit(c, a=0, b=0).errordef = 1
    ...     except IMinuitWarning as e:
    ...         print(type(e).__name__)
    ErrordefAlreadySetWarning
    """


class HesseFailedWarning(IMinuitWarning):
    """HESSE could not compute a covariance matrix.

    thetahat reports a failed HESSE in ``m.fmin.hesse_failed`` (and ``m.valid``); the class
    is here so that iminuit's filters and ``pytest.warns`` lines keep working.

    Examples
    --------
    >>> import warnings
    >>> from thetahat.warnings import HesseFailedWarning, IMinuitWarning
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("no covariance", HesseFailedWarning)
    >>> w[0].category.__name__, issubclass(w[0].category, IMinuitWarning)
    ('HesseFailedWarning', True)
    """


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
    """``Minuit.errordef`` was set although the cost declares its own ``errordef``.

    Examples
    --------
    A least-squares cost declares ``errordef = 1``; setting it on Minuit warns:

    >>> import warnings
    >>> from thetahat import Minuit
    >>> from thetahat.cost import LeastSquares
    >>> from thetahat.warnings import ErrordefAlreadySetWarning
    >>> m = Minuit(LeastSquares([0, 1, 2], [1, 3, 5], 0.1, lambda x, a, b: a + b * x), a=0, b=0)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     m.errordef = 1
    >>> [r.category is ErrordefAlreadySetWarning for r in w], m.errordef
    ([True], 1.0)
    """


class OptionalDependencyWarning(IMinuitWarning):
    """An optional package is missing, so a feature is reduced or off.

    Examples
    --------
    Silenced by category, as iminuit's:

    >>> import warnings
    >>> from thetahat.warnings import IMinuitWarning, OptionalDependencyWarning
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("ignore", OptionalDependencyWarning)
    ...     warnings.warn("matplotlib is missing", OptionalDependencyWarning)
    >>> w, issubclass(OptionalDependencyWarning, IMinuitWarning)
    ([], True)
    """


class DegenerateFitWarning(IMinuitWarning):
    """The data determine a combination of the parameters only at the level of rounding
    (a degenerate model: the column-scaled Jacobian is singular up to its own error, see
    :mod:`thetahat._core.linalg`); the message names the parameters.

    Examples
    --------
    In ``a b x`` only the product ``a b`` is determined:

    >>> import warnings
    >>> import numpy as np
    >>> from thetahat import curve_fit
    >>> from thetahat.warnings import DegenerateFitWarning
    >>> x = np.linspace(0, 1, 5)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     _ = curve_fit(lambda x, a, b: a * b * x, x, 2 * x, p0=[1, 1])
    >>> [issubclass(r.category, DegenerateFitWarning) for r in w]
    [True]
    """
