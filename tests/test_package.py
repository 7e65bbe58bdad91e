"""The package surface: lazy exports resolve, unknown names fail clearly."""

import pytest

import thetahat


def test_version_is_a_string():
    assert thetahat.__version__.count(".") == 2


def test_unknown_attribute_names_itself():
    with pytest.raises(AttributeError, match="no_such_name"):
        thetahat.no_such_name  # noqa: B018


def test_optimize_result_is_a_dict_with_attributes():
    from thetahat import OptimizeResult

    r = OptimizeResult(x=1.0, success=True)
    assert r.x == 1.0 and r["success"] is True
    r.nfev = 3
    assert r["nfev"] == 3
    assert "nfev:" in repr(r)
    with pytest.raises(AttributeError):
        r.missing  # noqa: B018


def _import_graph() -> dict[str, set[str]]:
    """Which thetahat modules each thetahat module imports, read from the source (every
    import statement, those inside functions included)."""
    import ast
    from pathlib import Path

    root = Path(thetahat.__file__).parent
    graph = {}
    for f in root.rglob("*.py"):
        parts = list(f.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        package = name if f.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(f.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and ast.unparse(node.test).endswith("TYPE_CHECKING")
                       for stmt in node.body for n in ast.walk(stmt)}
        graph[name] = [node for node in ast.walk(tree) if id(node) not in typing_only
                       and isinstance(node, (ast.Import, ast.ImportFrom))], package
    out = {}
    for name, (nodes, package) in graph.items():
        deps = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
                continue
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            for a in node.names:
                # `from . import display` needs the submodule; `from . import Minuit`, base
                deps.add(f"{base}.{a.name}" if f"{base}.{a.name}" in graph else base)
        out[name] = {d for d in deps if d in graph and d != name}
    return out


def test_no_import_cycles():
    """No module imports one that imports it back, directly or through others (so no
    import order can meet a half-initialised module); the oracle is a depth-first search
    of the import statements in the source."""
    graph = _import_graph()
    assert "thetahat.models._density_base" in graph["thetahat.models._densities"]  # sanity
    cycles = []

    def visit(m, path):
        for d in sorted(graph[m]):
            if d in path:
                cycles.append(path[path.index(d):] + [d])
            elif d not in done:
                visit(d, path + [d])
        done.add(m)

    done: set[str] = set()
    for m in sorted(graph):
        if m not in done:
            visit(m, [m])
    assert not cycles, f"import cycles: {cycles}"


def test_models_public_names_resolve():
    from thetahat import models

    for name in models.__all__:
        assert getattr(models, name).__module__.startswith("thetahat.models")
    d = models.GaussDensity((0.0, 1.0)) + models.UniformDensity((0.0, 1.0))
    assert isinstance(d, models.Mixture) and isinstance(d, models.Density)
    assert isinstance(d.extended(), models.Extended)
