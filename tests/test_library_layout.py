"""The library's structure, read from its sources: no import cycle, no module reaching into another's private names,
the mastery gate and the progress file apart from the self-check harness."""

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"


def _name(path: Path) -> str:
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted((LIB / "reglab").rglob("*.py"))}


def _tree(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"))


def _package_of(module: str, node: ast.ImportFrom) -> str:
    """The module ``from ... import`` names in ``module`` (``from .. import data`` in a subpackage: ``reglab``)."""
    if not node.level:
        return node.module
    base = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


def _imported(module: str, nodes) -> set:
    """``{(library module, the name it is bound to here, whether that name is the module itself)}`` that the import
    statements among ``nodes`` of ``module`` import: a module (``from . import l2``, ``import reglab.l2``) or, for a
    name that is not a module (``from .progress import STATE``), the module it comes from."""
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = _package_of(module, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add((sub, alias.asname or alias.name, True) if sub in MODULES else
                          (base, alias.asname or alias.name, False))
        elif isinstance(node, ast.Import):
            found |= {(alias.name, alias.asname or alias.name, True) for alias in node.names}
    return {(m, known, whole) for m, known, whole in found if m in MODULES and m != module}


def _top_level_imports(module: str) -> set:
    return {m for m, _, _ in _imported(module, _tree(module).body)}


def _all_imports(module: str) -> set:
    """Every library module ``module`` imports, inside functions too."""
    return {m for m, _, _ in _imported(module, ast.walk(_tree(module)))}


def _cycle(graph: dict):
    """One import cycle of ``graph`` (``[a, b, ..., a]``), or None."""
    done, path = set(), []

    def visit(m):
        path.append(m)
        for n in sorted(graph[m]):
            if n in path:
                return path[path.index(n):] + [n]
            if n not in done:
                found = visit(n)
                if found:
                    return found
        done.add(path.pop())
        return None

    for m in sorted(graph):
        if m not in done:
            found = visit(m)
            if found:
                return found
    return None


def test_the_discovery_of_modules_and_imports_works():
    assert {"reglab.checks", "reglab.gate", "reglab.progress", "reglab.widgets.exploration"} <= set(MODULES)
    assert {"reglab.gate", "reglab.progress", "reglab.course"} <= _top_level_imports("reglab.checks")
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_library_modules_import_each_other_without_a_cycle():
    graph = {m: _top_level_imports(m) for m in MODULES}
    assert _cycle(graph) is None


@pytest.mark.parametrize("module", ["reglab.gate", "reglab.progress"])
def test_the_gate_and_the_progress_file_never_import_the_harness(module):
    """The harness re-exports the gate for the notebooks' cells (``checks.mastery_gate()``): the other way round
    would be a cycle, and the gate decides no grade."""
    assert "reglab.checks" not in _all_imports(module)


def test_no_module_reaches_into_another_modules_private_names():
    """A helper shared between modules is public (``plotting.loss_contours``), not ``plotting._loss_contours``."""
    reached = []
    for module in MODULES:
        tree = _tree(module)
        known = {name: m for m, name, whole in _imported(module, ast.walk(tree)) if whole}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in known and \
                    node.attr.startswith("_") and not node.attr.startswith("__"):
                reached.append(f"{module}:{node.lineno}: {known[node.value.id]}.{node.attr}")
            if isinstance(node, ast.ImportFrom):
                reached += [f"{module}:{node.lineno}: from {'.' * node.level}{node.module or ''} import {a.name}"
                            for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
                            and f"{_package_of(module, node)}.{a.name}" not in MODULES]
    assert not reached, reached

