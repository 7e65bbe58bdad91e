"""Executed examples: every docstring example of the public API runs and prints what it
shows (STYLE: docs that cannot drift from the code), and every public module has some.

Plain ``doctest.testmod`` finds only the objects whose ``__module__`` is the module under
test, so it silently skips everything a public module re-exports from a private one
(``thetahat.cost.LeastSquares`` lives in ``thetahat.cost._lsq``). Here each public module
is walked explicitly: its own docstring, and every object in its ``__all__`` (classes with
their methods and properties), each handed to :class:`doctest.DocTestFinder`. A package
without ``__all__`` (``thetahat.intervals``) exports its public submodules. As with
``testmod``, an example runs in (a copy of) the globals of the module that defines it.

A second test runs the examples of every module of the package, private ones included
(what ``testmod`` sees), so that no example anywhere is left unexecuted.

Shared set-up: where many examples need the same object (a fitted ``Minuit`` for every
display function), one docstring makes it and the others say they continue from it
(``SETUP``). Each of them runs in a fresh namespace holding what that docstring's examples
define, so the set-up is written once, is itself executed and checked, and a reader finds
it where the docstring says; no example sees another's changes (``m.minos()``).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import thetahat

OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
PUBLIC = sorted({"thetahat", "thetahat.cost", "thetahat.models", "thetahat.display",
                 "thetahat.plot", "thetahat.results", "thetahat.minuit", "thetahat.intervals"}
                | {f"thetahat.{n}" for n in thetahat.__all__
                   if inspect.ismodule(getattr(thetahat, n))})
ALL_MODULES = sorted(m.name for m in pkgutil.walk_packages(thetahat.__path__, "thetahat.")
                     if m.name != "thetahat.__main__") + ["thetahat"]


def _exports(mod) -> list[tuple[str, object]]:
    """(qualified name, object) of everything ``mod`` makes public."""
    if hasattr(mod, "__all__"):
        return [(f"{mod.__name__}.{n}", getattr(mod, n)) for n in mod.__all__]
    out = []
    for sub in pkgutil.iter_modules(getattr(mod, "__path__", [])):
        if not sub.name.startswith("_"):
            name = f"{mod.__name__}.{sub.name}"
            out.append((name, importlib.import_module(name)))
    return out


def public_doctests(modname: str) -> list[doctest.DocTest]:
    """The examples of one public module: its docstring and all it exports."""
    finder = doctest.DocTestFinder()
    mod = importlib.import_module(modname)
    found = finder.find(mod, modname)  # the docstring and what mod defines itself
    for name, obj in _exports(mod):
        if inspect.ismodule(obj) and obj.__name__ in PUBLIC and obj is not mod:
            continue  # a public module of its own (thetahat.cost): tested as such
        if inspect.ismodule(obj):
            found += public_doctests(obj.__name__)
        elif inspect.isclass(obj) or inspect.isroutine(obj):
            # module=False: do not filter by __module__, which is where plain doctest
            # loses the re-exported objects; recursion still visits the class's members
            found += finder.find(obj, name, module=False,
                                 globs=vars(inspect.getmodule(obj)).copy())
    unique = {}
    for t in found:
        unique.setdefault((t.name, t.docstring), t)  # found via the module and via __all__
    return [t for t in unique.values() if t.examples]


# module -> the docstring whose examples set up the other examples of the module: the
# module's own (None) or that of the object of the given name in it
SETUP: dict[str, str | None] = {"thetahat.display": None,
                                "thetahat.batch._dask": "DaskBatchResult"}


def _setup(modname: str) -> dict:
    """What the examples of the set-up docstring of ``modname`` define, made afresh (the
    objects are new for every docstring that uses them; the set-up docstring's own test
    makes them again itself)."""
    mod = importlib.import_module(modname)
    owner = SETUP[modname]
    doc = mod.__doc__ if owner is None else getattr(mod, owner).__doc__
    ns = vars(mod).copy()
    for ex in doctest.DocTestParser().get_examples(doc or ""):
        exec(compile(ex.source, f"<set-up of {modname}>", "exec"), ns)
    return ns


def _run(tests: list[doctest.DocTest]) -> tuple[int, int, str]:
    import io
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for t in tests:
        if t.globs.get("__name__") in SETUP:
            t.globs.update(_setup(t.globs["__name__"]))
        runner.run(t, out=out.write)
    r = runner.summarize(verbose=False)
    return r.failed, r.attempted, out.getvalue()


@pytest.mark.parametrize("name", PUBLIC)
def test_public_module_examples_run(name):
    tests = public_doctests(name)
    failed, tried, report = _run(tests)
    assert tried > 0, f"public module {name} has no executed example in its docstrings"
    assert failed == 0, f"{failed} of {tried} examples failed in {name}:\n{report}"


@pytest.mark.parametrize("name", ALL_MODULES)
def test_every_module_examples_run(name):
    mod = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(mod, name) if t.examples]
    failed, tried, report = _run(tests)
    assert failed == 0, f"{failed} of {tried} examples failed in {name}:\n{report}"


def test_walk_finds_what_plain_doctest_misses():
    """The oracle for the walk: the docstring of a re-exported class, read directly."""
    from thetahat.cost import LeastSquares
    plain = doctest.DocTestFinder().find(importlib.import_module("thetahat.cost"))
    assert not any(t.name.endswith("LeastSquares") for t in plain)
    walked = {t.name: len(t.examples) for t in public_doctests("thetahat.cost")}
    expected = len(doctest.DocTestParser().get_examples(LeastSquares.__doc__))
    assert expected > 0 and walked["thetahat.cost.LeastSquares"] == expected
