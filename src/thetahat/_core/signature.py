"""Parameter names and limits of a callable, read from its signature: the one place these
rules live. :func:`describe` is iminuit's (re-exported by :mod:`thetahat.util`);
:func:`positional_names` and :func:`may_declare_limits` are what ``Minuit`` asks when it is
built (limits declared with ``typing.Annotated`` included)."""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import numpy as np

__all__ = ["describe", "positional_names", "may_declare_limits", "plain_code"]


def _limits_of(annotation: Any) -> tuple[float, float] | None:
    """Limits declared by ``Annotated[float, ...]``: a slice ``a:b``, a pair ``(a, b)``, or
    annotated-types style objects with ``gt``/``ge``/``lt``/``le`` attributes
    (iminuit.typing's Gt, Ge, Lt, Le, Interval). As iminuit, any ``Annotated`` hint declares
    limits, infinite where its metadata says nothing (a str, say, is not a limit)."""
    if get_origin(annotation) is not Annotated:
        return None
    lo, hi = -np.inf, np.inf
    for meta in get_args(annotation)[1:]:
        if isinstance(meta, slice):
            lo = lo if meta.start is None else meta.start
            hi = hi if meta.stop is None else meta.stop
            continue
        if (isinstance(meta, (tuple, list)) and len(meta) == 2
                and all(isinstance(v, (int, float, np.number)) for v in meta)):
            lo, hi = meta
            continue
        for attr in ("gt", "ge"):
            if getattr(meta, attr, None) is not None:
                lo = getattr(meta, attr)
        for attr in ("lt", "le"):
            if getattr(meta, attr, None) is not None:
                hi = getattr(meta, attr)
    return (lo, hi)


def _from_signature(fn: Callable) -> dict[str, tuple[float, float] | None] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    hints: dict[str, Any] = {}
    if any(p.annotation is not p.empty for p in sig.parameters.values()):
        try:  # string annotations (from __future__ import annotations) resolved
            hints = get_type_hints(fn, include_extras=True)
        except Exception:  # unresolvable annotations: names only
            hints = {}
    out: dict[str, tuple[float, float] | None] = {}
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            out[p.name] = _limits_of(hints.get(p.name, p.annotation))
    return out


def _doc_arguments(doc: str) -> str | None:
    """The text between the parentheses of a first docstring line ``name(...)``, with
    nested parentheses kept (``f(a=(), b=[])``)."""
    m = re.match(r"\s*[\w.]+\(", doc)
    if not m:
        return None
    depth, start = 1, m.end()
    for i in range(start, len(doc)):
        depth += {"(": 1, ")": -1}.get(doc[i], 0)
        if depth == 0:
            return doc[start:i]
    return None


def _from_docstring(fn: Callable) -> dict[str, tuple[float, float] | None] | None:
    """Names from a first docstring line like ``sin(x, /, out=None, *, where=True)`` (how
    builtins and extension functions document themselves). An item is its last word
    before ``=`` or ``:`` (``int n=10`` and ``n: int = 10`` give n); optional-argument
    brackets are ignored; a leading ``self`` is dropped; ``*args`` ends the list."""
    doc = (getattr(fn, "__doc__", None) or "").strip()
    inner = _doc_arguments(doc)
    if inner is None:
        return None
    names: list[str] = []
    for raw in inner.split(","):
        item = raw.strip().strip("[]").strip()
        if item.startswith("*"):
            if item.lstrip("*").strip("[]").strip():  # *args, **kwargs
                break
            continue  # a bare * (keyword-only marker)
        words = item.split("=")[0].split(":")[0].split()
        if words and words[-1].isidentifier() and words[-1] != "/":
            names.append(words[-1])
    if names[:1] == ["self"]:
        names = names[1:]
    return dict.fromkeys(names)


def _call_target(fn: Any) -> Any:
    """What to read the signature of: an instance's bound ``__call__`` (no ``self``), the
    callable itself otherwise, or when the instance declares its own ``__signature__`` (a
    model's ``(x, a, mu, sigma)`` over its ``__call__(x, *p)``, read by iminuit too)."""
    plain = (inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.isbuiltin(fn)
             or isinstance(fn, np.ufunc) or inspect.isclass(fn)
             or isinstance(getattr(fn, "__signature__", None), inspect.Signature))
    return fn if plain or not callable(fn) else fn.__call__


def describe(callable: Callable, *, annotations: bool = False) -> Any:
    """The parameter names of ``callable``, in order (iminuit's ``describe``).

    Looked up, first that applies: a ``_parameters`` dict (name -> limits), a
    ``func_code`` object with ``co_varnames`` (iminuit's older convention), the signature
    (with ``Annotated`` limits), the first line of the docstring. Variadic ``*args`` and
    keyword-only parameters are not parameters.

    Parameters
    ----------
    callable : callable
        A function, a method, a class instance with ``__call__``, a cost.
    annotations : bool
        Return a dict name -> (lower, upper) or None instead of a list of names.

    Returns
    -------
    list of str, or dict

    Examples
    --------
    >>> from typing import Annotated
    >>> def f(x, a: Annotated[float, 0:1], b=2.0): ...
    >>> describe(f), describe(f, annotations=True)
    (['x', 'a', 'b'], {'x': None, 'a': (0, 1), 'b': None})
    """
    fn: Any = callable  # iminuit's keyword name shadows the builtin
    declared = getattr(fn, "_parameters", None)
    out: dict[str, tuple[float, float] | None] | None = None
    if isinstance(declared, dict):
        out = {k: (None if v is None else tuple(v)) for k, v in declared.items()}
    else:
        code = getattr(fn, "func_code", None)
        if code is not None and hasattr(code, "co_varnames"):
            n = getattr(code, "co_argcount", len(code.co_varnames))
            out = dict.fromkeys(list(code.co_varnames)[:n])
    if out is None:
        target = _call_target(fn)
        out = _from_signature(target)
        if not out:  # no signature, or only *args: the docstring may name them
            out = _from_docstring(target) or out or {}
    return dict(out) if annotations else list(out)


def plain_code(fn: Any) -> types.CodeType | None:
    """The code object of a plain Python function whose signature is its code's (no
    ``__signature__``, not ``functools.wraps``-ed), else None: for such a function
    ``inspect.signature`` reads ``co_varnames[:co_argcount]`` and the flags, which can be
    read directly at a twentieth of the cost.

    Examples
    --------
    >>> plain_code(lambda x, a: x).co_argcount, plain_code(print)
    (2, None)
    """
    if type(fn) is not types.FunctionType or hasattr(fn, "__signature__") or \
            hasattr(fn, "__wrapped__"):
        return None
    return fn.__code__


def positional_names(fcn: Callable) -> list[str] | None:
    """Positional parameter names of ``fcn`` for ``Minuit`` (None when it takes ``*args``,
    which ``Minuit`` then calls with one array): unlike :func:`describe`, a ``*args``
    ends the list with None rather than being skipped."""
    declared = getattr(fcn, "_parameters", None)
    if isinstance(declared, dict):
        return list(declared)
    code = getattr(fcn, "func_code", None)  # iminuit's older convention (deprecated there)
    if code is not None and hasattr(code, "co_varnames"):
        return list(code.co_varnames[:getattr(code, "co_argcount", len(code.co_varnames))])
    code = plain_code(fcn)
    if code is not None:  # the first co_argcount names, None with *args
        return None if code.co_flags & inspect.CO_VARARGS else \
            list(code.co_varnames[:code.co_argcount])
    try:
        sig = inspect.signature(fcn)
    except (TypeError, ValueError):
        return None
    names = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            return None
    return names


def may_declare_limits(fcn: Callable) -> bool:
    """Whether ``fcn`` has a ``_parameters`` dict or annotations that may hold limits."""
    if isinstance(getattr(fcn, "_parameters", None), dict):
        return True
    plain = inspect.isfunction(fcn) or inspect.ismethod(fcn)
    target = fcn if plain else inspect.getattr_static(type(fcn), "__call__", None)
    return bool(getattr(target, "__annotations__", None))
