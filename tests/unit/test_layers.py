"""The layer contracts of pyproject.toml ([tool.importlinter], run by `lint-imports` in
scripts/test): they hold today, they break when a forbidden import is added, and the
library rules cover every module of the project (a new module cannot slip past them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("idp", "clients", "sitekit")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"]

# Where each library may be imported: the storage packages for SQLAlchemy and Alembic, the
# web layers and app factories for Starlette and Jinja2 (docs/architecture.md, "Layers").
ALLOWED = {
    "Only the storage packages import SQLAlchemy and Alembic": (
        "idp.storage", "sitekit.storage", "clients.apa.models", "clients.apa.storage",
        "clients.chorus.models", "clients.chorus.storage", "clients.rp.sessions"),
    "Only the app factories and the web packages import Starlette and Jinja2": (
        "idp.app", "idp.asgi", "idp.demo_mail", "idp.web", "sitekit.web",
        "clients.apa.app", "clients.apa.api", "clients.apa.pages", "clients.apa.uploads",
        "clients.chorus.app", "clients.chorus.api", "clients.chorus.pages",
        "clients.rp.bearer", "clients.rp.forms", "clients.rp.login"),
}


def modules() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                continue  # a package's map (its docstring); its modules are listed one by one
            found.append(".".join(parts))
    return sorted(found)


def within(module: str, packages: tuple[str, ...] | list[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # Wide enough that each contract's name and verdict stay on one line.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False,
                          env={**os.environ, "COLUMNS": "300"})


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_library_contracts_cover_every_module_outside_their_layer(name: str) -> None:
    contract = next(c for c in CONTRACTS if c["name"] == name)
    uncovered = [m for m in modules() if not within(m, contract["source_modules"])
                 and not within(m, ALLOWED[name])]
    assert uncovered == [], f"add each to the contract {name!r} or to its allowed layer"


def test_layer_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("idp/clock.py", "import clients.rp.settings", "The hub never imports the relying"),
    ("clients/rp/jwks.py", "import idp.settings", "The relying applications never import"),
    ("sitekit/texts.py", "import idp.clock", "sitekit imports neither"),
    ("idp/accounts/policy.py", "import sqlalchemy", "Only the storage packages import"),
    ("clients/apa/processor.py", "import sqlalchemy", "Only the storage packages import"),
    ("idp/portal/home.py", "import starlette.responses", "Only the app factories"),
    ("sitekit/background.py", "import jinja2", "Only the app factories"),
    ("idp/storage/repositories/accounts.py", "import idp.portal.home", "The hub's layers"),
])
def test_a_forbidden_import_breaks_the_layer_contracts(tmp_path: Path, module: str, line: str,
                                                       contract: str) -> None:
    """A copy of the sources with one forbidden import added: lint-imports (analysing the
    copy, first on its path) fails and names the broken contract."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "static", "templates",
                                                      "locales", "versions"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / module
    path.write_text(path.read_text() + f"\n{line}  # added by the test\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if " BROKEN" in row]
    assert any(row.startswith(contract) for row in broken), result.stdout
