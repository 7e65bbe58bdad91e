"""Input arrays as floats, with the entry that is not a number named.

``np.asarray(a, dtype=float)`` on a list with a string or None in it raises numpy's "could
not convert string to float: 'x'" (or "float() argument must be ... not 'NoneType'"),
without saying which argument or entry; :func:`as_floats` says both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_floats"]


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def as_floats(a: Any, name: str, copy: bool = False) -> np.ndarray:
    """``np.asarray(a, dtype=float)`` (a copy with ``copy``), or a ValueError naming
    ``name`` and the first entry that is not a number.

    Examples
    --------
    >>> as_floats([1, 2.5], "data").tolist()
    [1.0, 2.5]
    >>> as_floats([1.0, "x", 3.0], "data")
    Traceback (most recent call last):
    ...
    ValueError: data must be numbers: data[1] = 'x'
    """
    try:
        return np.array(a, dtype=float) if copy else np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        raw = np.asarray(a, dtype=object)
        flat = raw.reshape(-1)
        at = next((i for i, v in enumerate(flat) if not _is_number(v)), None)
        if at is None:  # ragged nesting: no single entry to name
            raise ValueError(f"{name} must be an array of numbers of one shape") from None
        index = np.unravel_index(at, raw.shape) if raw.ndim > 1 else (at,)
        where = ", ".join(str(int(i)) for i in index)
        raise ValueError(f"{name} must be numbers: {name}[{where}] = {flat[at]!r}") from None
