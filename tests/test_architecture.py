"""The layers of ARCHITECTURE.md hold: no upward import, no cycle, no reach into Minuit.

The oracle is the source itself, parsed with :mod:`ast`: every ``import`` and
``from ... import`` of a thetahat module, including those inside functions (a lazy import
is still a dependency), resolved to the module it names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PKG = SRC / "thetahat"


def _layers() -> list[list[str]]:
    """The layer table of ARCHITECTURE.md, top first: the module prefixes of each layer."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    block = re.search(r"```layers\n(.*?)```", text, re.S)
    assert block, "ARCHITECTURE.md has no ```layers block"
    out = []
    for line in block.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()  # the module prefixes come first, then the description
        mods = []
        while words and re.fullmatch(r"thetahat(\.\w+)*", words[0]):
            mods.append(words.pop(0))
        out.append(mods)
    return out


LAYERS = _layers()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _layer_of(module: str) -> int:
    """Index of the layer that owns ``module`` (the longest matching prefix)."""
    best, where = -1, None
    for k, prefixes in enumerate(LAYERS):
        for pre in prefixes:
            if (module == pre or module.startswith(pre + ".")) and len(pre) > best:
                best, where = len(pre), k
    if where is None:
        raise AssertionError(f"module {module} is in no layer of ARCHITECTURE.md")
    return where


def _imports(module: str) -> set[str]:
    """The thetahat modules that ``module`` imports (anywhere in its body)."""
    path = MODULES[module]
    is_pkg = path.name == "__init__.py"
    package = module.split(".") if is_pkg else module.split(".")[:-1]
    deps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            deps |= {a.name for a in node.names if a.name.split(".")[0] == "thetahat"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "thetahat":
                continue
            for a in node.names:  # `from pkg import submodule` depends on the submodule
                sub = f"{target}.{a.name}"
                deps.add(sub if sub in MODULES else target)
    deps.discard(module)
    return {d for d in deps if d in MODULES}


GRAPH = {m: _imports(m) for m in MODULES}


def test_every_module_is_in_a_layer():
    for m in MODULES:
        _layer_of(m)  # raises for a module the table does not place


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    """A module imports only from its own layer or below (a package's __init__ may import
    its own submodules)."""
    mine = _layer_of(module)
    up = [d for d in GRAPH[module] if _layer_of(d) < mine]
    assert not up, f"{module} (layer {mine}) imports from a higher layer: {sorted(up)}"


def test_no_import_cycles():
    """Depth-first search for a back edge in the module graph (lazy imports included): no
    import order can meet a half-initialised module."""
    assert "thetahat.models._density_base" in GRAPH["thetahat.models._densities"]  # sanity
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(GRAPH[m]):
            if state.get(d) == 1:
                cycle = stack[stack.index(d):] + [d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def _minuit_private_names() -> set[str]:
    """The private attributes a Minuit object holds (``self._x = ...`` in the facade: the
    class in _minuit.py and its mixins, minuit/_facade_*.py)."""
    files = [PKG / "minuit" / "_minuit.py", *sorted((PKG / "minuit").glob("_facade_*.py"))]
    names = set()
    for node in (n for f in files for n in ast.walk(ast.parse(f.read_text()))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "self" and node.attr.startswith("_") \
                and not node.attr.startswith("__") and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


def test_nothing_outside_minuit_touches_its_private_attributes():
    """Outside thetahat/minuit/, no attribute access ``<obj>._x`` on anything but ``self``
    uses a name that only Minuit's private state has."""
    private = _minuit_private_names()
    assert {"_values", "_fixed", "_fmin"} <= private  # the scan sees the facade's state
    others = set()
    for m, path in MODULES.items():
        if m.startswith("thetahat.minuit"):
            continue
        tree = ast.parse(path.read_text())
        # names that this module's own classes define on self are theirs, not Minuit's
        own = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
               and isinstance(n.value, ast.Name) and n.value.id == "self"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in private - own \
                    and not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                others.add(f"{m}:{node.lineno}: .{node.attr}")
    assert not others, "private Minuit state used outside minuit/: " + ", ".join(sorted(others))


def test_the_layer_table_names_existing_packages():
    for prefixes in LAYERS:
        for pre in prefixes:
            assert pre in MODULES, f"ARCHITECTURE.md names {pre}, which does not exist"
