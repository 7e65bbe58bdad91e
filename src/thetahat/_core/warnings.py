"""Warning categories of thetahat, and where its warnings point.

A warning is useful when it names the line of the user's code that caused it. A fixed
``stacklevel`` cannot do that here: the same check is reached through different depths of
the package (``Minuit.migrad`` -> engine -> validity check; ``curve_fit`` -> solver ->
covariance), so :func:`warn_user` walks the call stack instead and attributes the warning
to the first frame outside the ``thetahat`` package (what ``skip_file_prefixes`` does in
Python >= 3.12, written out for 3.10 and 3.11). Filters that act "once per location" then
act once per line of the user's script, as for iminuit and scipy.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["ThetahatWarning", "IMinuitWarning", "HesseFailedWarning", "PerformanceWarning",
           "ErrordefAlreadySetWarning", "OptionalDependencyWarning", "DegenerateFitWarning",
           "warn_user"]

# the package's directory with a trailing separator: a frame whose code lives below it is ours
_PACKAGE_PREFIX = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_user(message: str, category: type[Warning] | None = None) -> None:
    """Issue ``warnings.warn(message, category)`` located at the first caller outside the
    package (the user's line), however deep inside thetahat the call is made.

    Examples
    --------
    >>> import warnings
    >>> from thetahat._core.warnings import warn_user
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_user("look here", RuntimeWarning)
    >>> w[0].category.__name__, str(w[0].message), w[0].filename.endswith("warnings.py")
    ('RuntimeWarning', 'look here', False)
    """
    frame = sys._getframe(1)
    level = 2  # stacklevel=2 names the caller of warn_user
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_PREFIX):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


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
