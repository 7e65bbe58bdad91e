"""Write ``numpy.inv`` and ``iminuit.inv`` from the installed packages (offline).

A Sphinx inventory (``objects.inv``, format version 2) is four header lines, then
zlib-compressed lines ``name domain:role priority uri display`` (a final ``$`` in the uri
stands for the name, ``-`` as display for the name itself). Where a project's own file cannot be
had offline, this script lists the public names of the installed package and points each
to the page where that project's documentation puts it:

- numpy: every public function, class and ufunc of ``numpy``, ``numpy.linalg`` and
  ``numpy.fft`` on its own generated page ``reference/generated/<name>.html``, the methods
  of ``ndarray`` likewise, ``numpy.random.Generator`` and ``default_rng`` on
  ``reference/random/generator.html`` with the methods on their generated pages;
- iminuit: ``Minuit``, ``minimize``, ``iminuit.cost`` and ``iminuit.util`` all on
  ``reference.html`` (iminuit's reference is one page of autodoc).

Run ``python docs/_intersphinx/generate.py`` after an upgrade; ``THETAHAT_DOCS_ONLINE=1
make docs`` uses the projects' real inventories instead.
"""

from __future__ import annotations

import inspect
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _public(mod: ModuleType) -> Iterator[tuple[str, object]]:
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    for n in sorted(set(names)):
        obj = getattr(mod, n, None)
        if obj is not None and not inspect.ismodule(obj):
            yield n, obj


def _role(obj: object) -> str | None:
    import numpy as np
    if isinstance(obj, type):
        return "py:class"
    if isinstance(obj, np.ufunc):
        return "py:data"
    if callable(obj):
        return "py:function"
    return None


def _members(cls: type) -> Iterator[tuple[str, str]]:
    for n, v in sorted(vars(cls).items()):
        if n.startswith("_"):
            continue
        if isinstance(v, property) or type(v).__name__ == "getset_descriptor":
            yield n, "py:property"
        elif callable(v) or isinstance(v, (classmethod, staticmethod)) \
                or type(v).__name__ == "method_descriptor":
            yield n, "py:method"


def numpy_entries() -> Iterator[tuple[str, str, str]]:
    import numpy as np
    import numpy.fft
    import numpy.linalg
    import numpy.random
    yield "numpy", "py:module", "reference/index.html#module-numpy"
    for mod in (np, np.linalg, np.fft):
        prefix = mod.__name__
        for n, obj in _public(mod):
            role = _role(obj)
            if role is not None:
                yield f"{prefix}.{n}", role, "reference/generated/{}.html#$"
    for n, role in _members(np.ndarray):
        yield f"numpy.ndarray.{n}", role, "reference/generated/{}.html#$"
    yield "numpy.random.Generator", "py:class", "reference/random/generator.html#$"
    yield "numpy.random.default_rng", "py:function", "reference/random/generator.html#$"
    for n, role in _members(np.random.Generator):
        yield f"numpy.random.Generator.{n}", role, "reference/random/generated/{}.html#$"


def iminuit_entries() -> Iterator[tuple[str, str, str]]:
    import iminuit
    import iminuit.cost
    import iminuit.util
    yield "iminuit", "py:module", "reference.html#module-iminuit"
    yield "iminuit.Minuit", "py:class", "reference.html#$"
    for n, role in _members(iminuit.Minuit):
        yield f"iminuit.Minuit.{n}", role, "reference.html#$"
    yield "iminuit.minimize", "py:function", "reference.html#$"
    for mod in (iminuit.cost, iminuit.util):
        yield mod.__name__, "py:module", f"reference.html#module-{mod.__name__}"
        for n, obj in _public(mod):
            if getattr(obj, "__module__", "").split(".")[0] != "iminuit":
                continue  # re-exported from elsewhere (typing, numpy)
            role = _role(obj)
            if role is None:
                continue
            yield f"{mod.__name__}.{n}", role, "reference.html#$"
            if isinstance(obj, type):
                for m, r in _members(obj):
                    yield f"{mod.__name__}.{n}.{m}", r, "reference.html#$"


def write(path: Path, project: str, version: str,
          entries: Iterable[tuple[str, str, str]]) -> int:
    """Write the inventory; returns the number of entries."""
    seen: dict[tuple[str, str], str] = {}
    for name, role, uri in entries:
        seen.setdefault((name, role), uri)
    # "{}" in a uri is the name (on a page of its own), a final "$" is the name too
    lines = [f"{n} {r} 1 {u.format(n)} -" for (n, r), u in sorted(seen.items())]
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    path.write_bytes(header.encode() + zlib.compress("\n".join(lines).encode() + b"\n", 9))
    return len(lines)


def main() -> None:
    import iminuit
    import numpy
    for name, mod, entries in (("numpy", numpy, numpy_entries()),
                               ("iminuit", iminuit, iminuit_entries())):
        n = write(HERE / f"{name}.inv", name, mod.__version__, entries)
        print(f"{name}.inv: {n} entries ({name} {mod.__version__})")


if __name__ == "__main__":
    main()
