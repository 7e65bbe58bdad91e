"""Experimental helpers with iminuit's names (``iminuit.experimental``): interfaces that may
still change.

- :func:`expanded` — wrap several callables so that all take the union of their
  parameters (built on :func:`~thetahat.util.merge_signatures`);
- :func:`merge_signatures` — that union and, for each callable, where its parameters sit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .util import make_with_signature, merge_signatures

__all__ = ["expanded", "merge_signatures"]


def expanded(*callables: Callable) -> list[Callable]:
    """The callables with one merged signature: each wrapper takes all parameters of all
    callables (in order of first appearance) and passes on only its own, in its order.

    Parameters
    ----------
    *callables : callable
        Functions whose parameters :func:`~thetahat.util.describe` can read.

    Returns
    -------
    list of callable
        One wrapper per callable, in the same order.

    Examples
    --------
    >>> from thetahat.util import describe
    >>> def f(x, y, z): return x + y + z
    >>> def g(x, p): return x * p
    >>> f2, g2 = expanded(f, g)
    >>> describe(g2), g2(1, 2, 3, 4)  # g(x=1, p=4)
    (['x', 'y', 'z', 'p'], 4)
    """
    names, mapping = merge_signatures(callables)
    out = []
    for fn, pos in zip(callables, mapping):

        def wrapper(*args: Any, _fn: Callable = fn, _pos: list[int] = pos) -> Any:
            return _fn(*(args[i] for i in _pos))

        out.append(make_with_signature(wrapper, *names))
    return out
