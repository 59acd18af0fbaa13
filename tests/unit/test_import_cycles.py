"""No import loop anywhere in the project (issue 11): no module of idp/, clients/ or sitekit/
imports, directly or through others, a module that imports it back. The graph is grimp's (the
one import-linter checks the layers on); it counts the imports inside functions too, so a loop
cannot hide in one. Imports under `if TYPE_CHECKING:` are annotations only, as in the layer
contracts. And where the issue found loops hidden that way (the web pages, the accounts),
every import is at the top of its module."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("idp", "clients", "sitekit")
TOP_LEVEL_IMPORTS_ONLY = ("idp/web", "idp/accounts")


def project_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)


def import_cycles(graph: grimp.ImportGraph,
                  packages: tuple[str, ...] = PACKAGES) -> list[tuple[str, ...]]:
    """One loop per import that closes one: (a, b, …, a), `a` importing `b` directly."""
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported.split(".")[0] not in packages or imported == importer:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append((importer, *back))
    return cycles


def test_no_module_imports_itself_back() -> None:
    assert import_cycles(project_graph()) == []


def test_a_loop_through_an_import_inside_a_function_is_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pages → outcomes → contact at module top; contact → pages inside a function.
    package = tmp_path / "loopdemo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "pages.py").write_text("from loopdemo import outcomes\n")
    (package / "outcomes.py").write_text("from loopdemo import contact\n")
    (package / "contact.py").write_text("def later():\n    from loopdemo import pages\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("loopdemo", cache_dir=None)
    assert ("loopdemo.pages", "loopdemo.outcomes", "loopdemo.contact",
            "loopdemo.pages") in import_cycles(graph, ("loopdemo",))


def imports_inside_functions(source: str) -> list[int]:
    """Line numbers of the import statements inside a function or a class."""
    scopes = [node for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    return sorted({node.lineno for scope in scopes for node in ast.walk(scope)
                   if isinstance(node, ast.Import | ast.ImportFrom)})


def test_imports_inside_functions_are_detected() -> None:
    source = ("import os\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
              "    import sys\n\ndef f():\n    import json\n")
    assert imports_inside_functions(source) == [7]


def test_the_web_pages_and_accounts_import_at_module_top() -> None:
    hidden = [(str(path.relative_to(ROOT)), line) for folder in TOP_LEVEL_IMPORTS_ONLY
              for path in sorted((ROOT / folder).rglob("*.py"))
              for line in imports_inside_functions(path.read_text(encoding="utf-8"))]
    assert hidden == []
