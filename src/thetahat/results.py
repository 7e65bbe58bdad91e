"""Value objects that a fit returns: ``FMin``, ``Param``/``Params``, ``MError``/``MErrors``,
the named covariance ``Matrix``.

Field names and meanings follow iminuit 2.x so that code written for iminuit reads our
results unchanged. The objects hold numbers and flags only; their text and HTML renderings
live in :mod:`thetahat.display` (display is not logic). They are defined in two private
modules, the state of a fit (``FMin``, ``Param``, ``Params``: :mod:`thetahat._results_fit`)
and its uncertainties (``MError``, ``MErrors``, ``Matrix``: :mod:`thetahat._results_errors`),
and are imported from here.

The validity of a minimum (``FMin.is_valid``) is the conjunction MINUIT uses::

    is_valid = has_valid_parameters and not has_reached_call_limit
               and not is_above_max_edm and not hesse_failed (when a Hesse ran)

where ``is_above_max_edm`` means EDM > 10 x goal, the goal being 0.002 * tol * errordef.

Examples
--------
A straight-line fit returns these objects; the oracle is the closed form of a weighted
line fit on x = 0, 0.1, ..., 1 with sigma = 0.1: sigma_b = 0.1 / sqrt(sum (x - 0.5)^2) =
0.1 / sqrt(1.1) and corr(a, b) = -mean(x) / sqrt(mean(x^2)) = -0.845154.

>>> import numpy as np
>>> from thetahat import Minuit
>>> from thetahat.cost import LeastSquares
>>> from thetahat.results import FMin, Matrix, Param
>>> def line(x, a, b):
...     return a + b * x
>>> x = np.linspace(0, 1, 11)
>>> m = Minuit(LeastSquares(x, 1 + 2 * x, 0.1, line), a=0, b=0).migrad()
>>> isinstance(m.fmin, FMin), m.fmin.is_valid
(True, True)
>>> p = m.params["b"]
>>> isinstance(p, Param), p.name, round(p.value, 4), round(p.error, 6)
(True, 'b', 2.0, 0.095346)
>>> round(float(m.covariance.correlation()["a", "b"]), 6)
-0.845154

A :class:`Matrix` is a numpy array indexed by parameter names as well:

>>> C = Matrix([[4.0, 1.0], [1.0, 1.0]], ["a", "b"])
>>> float(C["a", "b"]), float(C.correlation()["a", "b"]), C.submatrix(["b"]).names
(1.0, 0.5, ('b',))
"""

from __future__ import annotations

from ._results_errors import Matrix, MError, MErrors
from ._results_fit import FMin, Param, Params

__all__ = ["FMin", "Param", "Params", "MError", "MErrors", "Matrix"]
