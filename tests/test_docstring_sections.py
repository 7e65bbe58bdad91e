"""Numpydoc sections of the public API agree with the signatures (issue 18).

`tests/test_docstrings.py` runs the examples; this file checks what a user reads next to
them. The oracle is :func:`inspect.signature` of the object itself (and the AST of its
source): the ``Parameters`` section of every public function, class and ``Minuit`` member,
parsed by ``numpydoc.docscrape``, must name every parameter of the signature
(``self``/``cls`` excluded; ``*args``/``**kwargs`` under those names, or ``**kwargs``
through the keywords it stands for) and nothing the signature does not accept (unless it
has ``*args`` or ``**kwargs``). A value object may document its constructor's fields under
``Attributes``. A function whose source returns a value has ``Returns`` (or ``Yields``);
one that raises an exception itself has ``Raises``; every object has a one-line summary.

The public surface walked: ``thetahat.__all__`` (its functions and classes), the ``__all__``
of every public module it names (``thetahat.typing``'s aliases excluded) and of
``thetahat.minuit`` and ``thetahat.results``, and the public methods and properties of
every public class (own or inherited from another thetahat class; exceptions excluded).
A property needs a summary, not Parameters. Every public object also shows an
example (a property in its getter's docstring); tests/test_docstrings.py runs them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
import warnings

import pytest

numpydoc = pytest.importorskip("numpydoc.docscrape", reason="numpydoc (the test extra)")

import thetahat  # noqa: E402

# every public module of thetahat.__all__ (thetahat.typing holds type aliases, which are
# not routines), plus the public modules that hold Minuit and its result views
MODULES = tuple(sorted({f"thetahat.{n}" for n in thetahat.__all__
                        if inspect.ismodule(getattr(thetahat, n)) and n != "typing"}
                       | {"thetahat.minuit", "thetahat.results"}))


def _public() -> dict[str, object]:
    """Qualified name -> object for every public function and class (no duplicates)."""
    seen: dict[int, str] = {}
    out: dict[str, object] = {}

    def add(name: str, obj: object) -> None:
        if not (inspect.isclass(obj) or inspect.isroutine(obj)) or id(obj) in seen:
            return
        if not getattr(obj, "__module__", "").startswith("thetahat"):
            return  # typing.Annotated and the like: documented by their owners
        seen[id(obj)] = name
        out[name] = obj

    for n in thetahat.__all__:
        add(f"thetahat.{n}", getattr(thetahat, n))
    for modname in MODULES:
        mod = importlib.import_module(modname)
        for n in mod.__all__:
            add(f"{modname}.{n}", getattr(mod, n))
    return out


def _members(cls: type, qual: str) -> dict[str, object]:
    """Public methods and properties that ``cls`` defines itself (not object's)."""
    out = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("thetahat"):
            continue
        for n, v in vars(klass).items():
            if n.startswith("_") or f"{qual}.{n}" in out or n in out:
                continue
            if isinstance(v, (property, staticmethod, classmethod)) or inspect.isfunction(v):
                out[n] = v
    return {f"{qual}.{n}": v for n, v in out.items()}


def _surface() -> dict[str, object]:
    """Every public function and class, then the public methods and properties of every
    public class (own or inherited from another thetahat class; exceptions excluded)."""
    out = _public()
    seen = {id(_function(v)) for v in out.values()}
    classes = [(q, o) for q, o in list(out.items()) if inspect.isclass(o)]
    # bases first, so a member is named after the class that defines it (Minuit.migrad,
    # not FitResult.migrad)
    for qual, cls in sorted(classes, key=lambda qc: len(qc[1].__mro__)):
        if issubclass(cls, BaseException):
            continue  # warnings and errors: their members are Python's
        for name, member in _members(cls, qual).items():
            key = id(_function(member))
            if key not in seen:
                seen.add(key)
                out[name] = member
    return out


def _function(obj: object):
    """The plain function behind a method, static/class method or property getter."""
    if isinstance(obj, property):
        return obj.fget
    if isinstance(obj, (staticmethod, classmethod)):
        return obj.__func__
    return obj


SURFACE = _surface()


def _doc(obj: object):
    doc = inspect.getdoc(obj) or ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unknown section or a malformed one is a failure
        return numpydoc.NumpyDocString(doc)


def _documented(doc) -> set[str]:
    """Names in Parameters (and Attributes: a value object documents its fields there)."""
    names = set()
    for p in doc["Parameters"] + doc["Other Parameters"] + doc["Attributes"]:
        for n in p.name.split(","):
            n = n.strip()
            if n:
                names.add(n)
    return names


def _signature_names(obj: object) -> tuple[list[str], bool] | None:
    """Parameters a user passes (with * and ** on the variadic ones), and whether the
    signature has **kwargs; None where there is no signature to compare with."""
    target = obj
    if inspect.isclass(obj) and getattr(obj, "_is_protocol", False):
        return None  # a typing.Protocol (StructuredCost) is implemented, never constructed
    if inspect.isclass(obj):
        if "__init__" not in {n for k in obj.__mro__ if k.__module__.startswith("thetahat")
                              for n in vars(k)} and not hasattr(obj, "__dataclass_fields__"):
            return None  # exceptions, warnings, tuple/dict subclasses: no own constructor
        target = obj
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    names, var_kw = [], False
    for i, p in enumerate(sig.parameters.values()):
        if i == 0 and p.name in ("self", "cls") and not inspect.isclass(obj):
            continue
        if p.kind is p.VAR_POSITIONAL:
            names.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            names.append(f"**{p.name}")
            var_kw = True
        else:
            names.append(p.name)
    return names, var_kw


def _returns_value(func) -> bool:
    """Whether the source of ``func`` has a ``return <value>`` or a ``yield``."""
    try:
        src = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return False
    tree = ast.parse(src)
    top = tree.body[0]
    for node in ast.walk(top):
        if node is not top and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                 ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            # a method returning self (the chaining of Minuit) counts: users read it
            return True
    # nested functions are skipped above, but ast.walk still descends into them
    return False


def _raises(func) -> list[str]:
    """Exception names the body of ``func`` raises itself (nested functions excluded)."""
    try:
        top = ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
    except (OSError, TypeError, SyntaxError):
        return []
    out, todo = [], list(ast.iter_child_nodes(top))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id.endswith(("Error", "Exception")):
                out.append(exc.id)
        todo.extend(ast.iter_child_nodes(node))
    return out


def problems(name: str, obj: object) -> list[str]:
    """What is missing or wrong in the docstring of one public object."""
    out = []
    try:
        doc = _doc(obj if not isinstance(obj, (staticmethod, classmethod)) else obj.__func__)
    except Exception as e:  # numpydoc's parse warnings and errors
        return [f"{name}: numpydoc cannot parse the docstring ({e})"]
    if not doc["Summary"] or not "".join(doc["Summary"]).strip():
        return [f"{name}: no one-line summary"]
    if isinstance(obj, property):
        return out  # a property documents its value in the summary and text
    func = _function(obj)
    sig = _signature_names(func if not inspect.isclass(obj) else obj)
    if sig is None:
        return out
    params, var_kw = sig
    documented = _documented(doc)
    bare = {d.lstrip("*") for d in documented}
    accepted = {p.lstrip("*") for p in params}
    # keywords documented beyond the signature document its **kwargs (draw_profile's band)
    extra_keywords = any(d.lstrip("*") not in accepted for d in documented)
    for p in params:
        if p not in documented and p.lstrip("*") not in bare and not (
                p.startswith("**") and extra_keywords):
            out.append(f"{name}: parameter {p!r} is not in the Parameters section")
    for d in sorted(documented):
        if d.lstrip("*") not in accepted and not var_kw and not any(
                p.startswith("*") and not p.startswith("**") for p in params):
            out.append(f"{name}: documented parameter {d!r} is not in the signature")
    raised = _raises(func if not inspect.isclass(obj) else getattr(obj, "__init__", None))
    if raised and not doc["Raises"]:
        out.append(f"{name}: raises {sorted(set(raised))} but has no Raises section")
    if (not inspect.isclass(obj) and _returns_value(func)
            and not (doc["Returns"] or doc["Yields"])):
        out.append(f"{name}: returns a value but has no Returns section")
    return out


def test_the_walk_sees_the_surface():
    """The oracle for the walk itself: names a user meets first are in it."""
    for n in ("thetahat.curve_fit", "thetahat.Minuit", "thetahat.Minuit.migrad",
              "thetahat.Minuit.values", "thetahat.cost.LeastSquares", "thetahat.models.get",
              "thetahat.util.describe", "thetahat.batch.curve_fit",
              "thetahat.results.Matrix.correlation"):
        assert n in SURFACE, n
    assert len(SURFACE) > 150


def test_the_check_catches_a_bad_docstring():
    """A docstring that misses a parameter, names one that does not exist and has no
    Returns is reported three times; a correct one not at all."""
    def bad(x, y):
        """Add.

        Parameters
        ----------
        x : float
            First.
        z : float
            Not a parameter.
        """
        return x + y

    def good(x, *args, **kwargs):
        """Add.

        Parameters
        ----------
        x : float
            First.
        *args, **kwargs
            Passed on.

        Returns
        -------
        float
        """
        return x

    assert len(problems("bad", bad)) == 3
    assert problems("good", good) == []


@pytest.mark.parametrize("name", sorted(SURFACE))
def test_docstring_sections(name):
    found = problems(name, SURFACE[name])
    assert not found, "\n".join(found)


# the names a new user calls first: each shows an example (tests/test_docstrings.py runs it)
ENTRY_POINTS = (
    "thetahat.curve_fit", "thetahat.least_squares", "thetahat.minimize", "thetahat.lsq_linear",
    "thetahat.linear_fit", "thetahat.fit", "thetahat.Minuit", "thetahat.Minuit.migrad",
    "thetahat.Minuit.hesse", "thetahat.Minuit.minos", "thetahat.Minuit.profile",
    "thetahat.Minuit.mnprofile", "thetahat.Minuit.mncontour", "thetahat.Minuit.scan",
    "thetahat.Minuit.scipy", "thetahat.cost.LeastSquares", "thetahat.cost.UnbinnedNLL",
    "thetahat.cost.BinnedNLL", "thetahat.cost.ExtendedUnbinnedNLL",
    "thetahat.cost.ExtendedBinnedNLL", "thetahat.cost.Template", "thetahat.batch.fit",
    "thetahat.batch.curve_fit", "thetahat.models.get", "thetahat.models.parse",
    "thetahat.models.density",
)


# and every other public object too (issue 18: every public function, class, property and
# method has an executed example); the entry points are listed to keep them checked by name
WITH_EXAMPLE = sorted(set(ENTRY_POINTS) | set(SURFACE))


@pytest.mark.parametrize("name", WITH_EXAMPLE)
def test_entry_point_has_an_example(name):
    obj = SURFACE[name]
    doc = _doc(obj if inspect.isclass(obj) else _function(obj))
    assert any(line.lstrip().startswith(">>>") for line in doc["Examples"]), \
        f"{name}: no example in its Examples section"

