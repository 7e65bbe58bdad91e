"""Recognise a ``numpy.ma.MaskedArray`` without importing ``numpy.ma`` (issue 17).

``import numpy`` does not import ``numpy.ma`` (~8 ms in a fresh interpreter), and a
masked array cannot exist before ``numpy.ma`` has been imported (its class is defined
there). So ``isinstance(a, numpy.ma.MaskedArray)`` equals the test below, which looks the
module up in ``sys.modules`` instead of importing it.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["is_masked_array", "has_masked_entries"]


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


def has_masked_entries(a: Any) -> bool:
    """A masked array with at least one masked entry (``numpy.ma.is_masked``), without
    importing numpy.ma for anything else.

    Examples
    --------
    >>> import numpy as np
    >>> has_masked_entries(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))
    True
    >>> has_masked_entries(np.ma.masked_array([1.0, 2.0])), has_masked_entries([1.0])
    (False, False)
    """
    return is_masked_array(a) and bool(sys.modules["numpy.ma"].is_masked(a))
