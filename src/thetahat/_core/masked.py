"""Recognise a ``numpy.ma.MaskedArray`` without importing ``numpy.ma`` (issue 17).

``import numpy`` does not import ``numpy.ma`` (~8 ms in a fresh interpreter), and a
masked array cannot exist before ``numpy.ma`` has been imported (its class is defined
there). So ``isinstance(a, numpy.ma.MaskedArray)`` equals the test below, which looks the
module up in ``sys.modules`` instead of importing it.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["is_masked_array"]


def is_masked_array(a: Any) -> bool:
    """``isinstance(a, numpy.ma.MaskedArray)``, without importing numpy.ma.

    Examples
    --------
    >>> import numpy as np
    >>> is_masked_array(np.zeros(2))
    False
    >>> is_masked_array(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))
    True
    """
    ma = sys.modules.get("numpy.ma")
    return ma is not None and isinstance(a, ma.MaskedArray)
