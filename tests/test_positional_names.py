"""``positional_names`` (the names ``Minuit`` gives a plain function's parameters) reads a
plain function's code object instead of ``inspect.signature``; oracle: the names
``inspect.signature`` gives, on every kind of callable that could fool the shortcut."""

from __future__ import annotations

import functools
import inspect

import pytest

from thetahat._core.signature import positional_names


def _by_signature(fcn):
    names = []
    for p in inspect.signature(fcn).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            return None
    return names


def plain(a, b, c=1.0):
    return a + b + c


def posonly(a, /, b, *, c=2.0, **kw):
    return a + b + c


def varargs(a, *rest):
    return a


def local_vars(a, b):
    s = a + b  # a local variable sits in co_varnames after the arguments
    t = s * 2
    return t


@functools.wraps(plain)
def wrapped(*args, **kw):
    return plain(*args, **kw)


def declared(*args):
    return sum(args)


declared.__signature__ = inspect.Signature(
    [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("x", "y")])


class Method:
    def cost(self, p, q):
        return p * q


@pytest.mark.parametrize("fcn", [plain, posonly, varargs, local_vars, wrapped, declared,
                                 Method().cost, lambda u, v=3: u * v,
                                 functools.partial(plain, 1.0)],
                         ids=["plain", "posonly", "varargs", "locals", "wrapped", "declared",
                              "method", "lambda", "partial"])
def test_positional_names_match_inspect_signature(fcn):
    assert positional_names(fcn) == _by_signature(fcn)
