"""The scipy-compatible result object.

``OptimizeResult`` subclasses ``scipy.optimize.OptimizeResult``: a dict whose keys are
also attributes.  Code written for scipy (``res.x``, ``res["x"]``, ``res.keys()``,
``isinstance(res, scipy.optimize.OptimizeResult)``) keeps working, and scipy's own
drivers that take a local minimiser (``brute(finish=...)``, ``basinhopping``,
``shgo``) accept ``thetahat.minimize`` and its results.  Its ``repr`` lists the fields
alphabetically, aligned, with long arrays summarised.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import OptimizeResult as _ScipyOptimizeResult


class OptimizeResult(_ScipyOptimizeResult):
    """Result of an optimisation: a dict with attribute access.

    The fields depend on the function that made it; see ``least_squares``,
    ``curve_fit`` (with ``full_output``), ``minimize`` and ``lsq_linear``.

    Examples
    --------
    >>> import scipy.optimize
    >>> from thetahat import OptimizeResult
    >>> r = OptimizeResult(x=1.0, success=True)
    >>> r.x, r["success"], isinstance(r, scipy.optimize.OptimizeResult)
    (1.0, True, True)
    """

    # attribute access (``__getattr__``, ``__setattr__``, ``__delattr__``) is scipy's
    def __dir__(self) -> list[str]:
        return list(self.keys())

    def __repr__(self) -> str:
        if not self:
            return f"{type(self).__name__}()"
        width = max(len(k) for k in self) + 1
        lines = []
        with np.printoptions(threshold=50, edgeitems=3):
            for key in sorted(self):
                text = repr(self[key]).replace("\n", "\n" + " " * (width + 2))
                lines.append(f"{key.rjust(width)}: {text}")
        return "\n".join(lines)

    __str__ = __repr__
