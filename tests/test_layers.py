"""The package's import graph: no cycles (import-linter checks the layers; see pyproject.toml)."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

LAYER = Path(__file__).resolve().parents[1] / "layers" / "shared" / "python"


def _cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Every direct import a -> b where b also reaches a (a cycle through that import)."""
    return [
        (importer, imported)
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if imported in graph.modules and graph.chain_exists(importer=imported, imported=importer)
    ]


def test_the_package_has_no_import_cycle() -> None:
    sys.path.insert(0, str(LAYER))
    graph = grimp.build_graph("opensock", exclude_type_checking_imports=True)
    assert len(graph.modules) > 50
    assert _cycles(graph) == []


def test_no_basename_serves_two_modules() -> None:
    package = LAYER / "opensock"
    names = [path.name for path in package.rglob("*.py") if path.name != "__init__.py"]
    assert sorted({name for name in names if names.count(name) > 1}) == []
