"""The scipy-compatible result object.

``OptimizeResult`` is a dict whose keys are also attributes, exactly as
``scipy.optimize.OptimizeResult``: code written for scipy (``res.x``, ``res["x"]``,
``res.keys()``) keeps working.  Its ``repr`` lists the fields alphabetically, aligned,
as scipy prints them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class OptimizeResult(dict):
    """Result of an optimisation: a dict with attribute access.

    The fields depend on the function that made it; see ``least_squares``,
    ``curve_fit`` (with ``full_output``), ``minimize`` and ``lsq_linear``.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

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
