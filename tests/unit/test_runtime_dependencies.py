"""Every third-party module the packaged code imports comes from a runtime dependency
(pyproject `dependencies` and what they pull in), never from the dev group that only
scripts/install brings: an installed wheel must run without it (tests/packaging proves it by
running the servers; this catches the imports of code paths those runs do not reach)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGED = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]


def imported_top_level_modules(folder: Path) -> set[str]:
    names = set()
    for source in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def runtime_distributions(project: str) -> set[str]:
    """The project's runtime requirements and theirs, extras and markers applied."""
    seen: set[str] = set()
    todo = [(project, frozenset[str]())]
    while todo:
        name, extras = todo.pop()
        for line in requires(name) or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": e}) for e in extras | {""}):
                continue
            dependency = canonicalize_name(requirement.name)
            key = f"{dependency}[{','.join(sorted(requirement.extras))}]"
            if key not in seen:
                seen.add(key)
                todo.append((dependency, frozenset(requirement.extras)))
    return {key.split("[")[0] for key in seen}


def test_the_wheel_packs_every_top_level_package_of_the_code() -> None:
    assert set(PACKAGED) == {"idp", "clients", "sitekit"}


def test_every_module_imported_by_the_packaged_code_is_a_runtime_dependency() -> None:
    imported = set().union(*(imported_top_level_modules(ROOT / p) for p in PACKAGED))
    third_party = imported - set(sys.stdlib_module_names) - set(PACKAGED) - {"__future__"}
    allowed = runtime_distributions(PYPROJECT["project"]["name"])
    owners = packages_distributions()
    outside = {module: owners.get(module) for module in third_party
               if not {canonicalize_name(d) for d in owners.get(module, [])} & allowed}
    assert third_party and outside == {}


def dev_only_modules() -> set[str]:
    """Top-level modules that only distributions outside the runtime set provide."""
    allowed = runtime_distributions(PYPROJECT["project"]["name"])
    return {module for module, owners in packages_distributions().items()
            if not {canonicalize_name(d) for d in owners} & allowed}


# Imports the given modules and, for packages, every module under them (not the Alembic
# scripts, run by Alembic, nor the __main__ modules) with some top-level modules hidden.
IMPORT_ALL = """
import importlib, importlib.abc, json, pkgutil, sys
hidden, names = set(json.loads(sys.argv[1])), json.loads(sys.argv[2])
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in hidden:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden)", name=name)
sys.meta_path.insert(0, Hide())
for name in names:
    module = importlib.import_module(name)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
        if ".migrations" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)
"""


def import_modules(names: list[str], hidden: set[str], cwd: Path
                   ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, json.dumps(sorted(hidden)), json.dumps(names)],
        capture_output=True, text=True, cwd=cwd, timeout=120)


def test_every_module_of_the_packaged_code_imports_without_the_dev_dependencies(
        tmp_path: Path) -> None:
    hidden = dev_only_modules()
    assert {"pytest", "hypothesis", "playwright", "oic"} <= hidden  # aiosmtpd: runtime (demo)
    result = import_modules(PACKAGED, hidden, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_runtime_import_of_a_dev_only_module_is_caught(tmp_path: Path) -> None:
    # Starlette's SessionMiddleware (APA's login state) needs itsdangerous, once dev-only.
    result = import_modules(["clients.apa.app"], dev_only_modules() | {"itsdangerous"}, tmp_path)
    assert result.returncode != 0
    assert "No module named 'itsdangerous' (hidden)" in result.stderr
