"""The vendored front-end files (scripts/assets keeps only what the pages use) hold everything
the pages and the stylesheets point to, with their licences, at the locked versions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sitekit
from clients.apa.app import STATIC as APA_STATIC
from clients.apa.app import TEMPLATES as APA_TEMPLATES
from idp.web.templating import TEMPLATES as HUB_TEMPLATES

ROOT = Path(__file__).resolve().parents[3]
DSFR = sitekit.STATIC / "dsfr"
AXE = ROOT / "tests" / "browser" / "vendor" / "axe-core"
TEMPLATE_DIRS = [sitekit.TEMPLATES, HUB_TEMPLATES, APA_TEMPLATES]
ICON_CLASS = re.compile(r"\bfr-icon-[a-z0-9-]+")
URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
LINKED = re.compile(r"""(?:href|src)="/static/([^"]+)\"""")


def templates(folders: list[Path]) -> list[Path]:
    return [page for folder in folders for page in folder.rglob("*.html")]


def missing_icons(folders: list[Path], dsfr: Path) -> set[str]:
    """Icon classes used by a template that the vendored icons.min.css lacks, or whose SVG
    file is not vendored."""
    css_file = dsfr / "utility" / "icons" / "icons.min.css"
    css = css_file.read_text(encoding="utf-8")
    missing = set()
    for name in {c for page in templates(folders)
                 for c in ICON_CLASS.findall(page.read_text(encoding="utf-8"))}:
        rule = re.search(rf"\.{re.escape(name)}:before[^{{]*\{{([^}}]*)\}}", css)
        urls = URL.findall(rule.group(1)) if rule else []
        if not urls or not all((css_file.parent / u).resolve().is_file() for u in urls):
            missing.add(name)
    return missing


def broken_urls(static: Path) -> set[tuple[str, str]]:
    """(stylesheet, url) for each local url() of a stylesheet that points to no file."""
    return {
        (css.relative_to(static).as_posix(), url)
        for css in static.rglob("*.css")
        for url in URL.findall(css.read_text(encoding="utf-8"))
        if not url.startswith(("data:", "http:", "https:", "#"))
        and not (css.parent / url.split("#")[0].split("?")[0]).resolve().is_file()
    }


def locked_version(package: str) -> str:
    lock = json.loads((ROOT / "web-assets" / "package-lock.json").read_text())
    return lock["packages"][f"node_modules/{package}"]["version"]


def test_every_icon_class_of_a_template_has_its_svg_vendored() -> None:
    assert missing_icons(TEMPLATE_DIRS, DSFR) == set()


def test_an_icon_class_without_its_svg_is_reported(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text('<a class="fr-link fr-icon-arrow-left-line">'
                                        '<span class="fr-icon-ancient-gate-fill"></span></a>')
    assert missing_icons([tmp_path], DSFR) == {"fr-icon-ancient-gate-fill"}


def test_every_local_url_of_a_vendored_stylesheet_points_to_a_vendored_file() -> None:
    assert broken_urls(sitekit.STATIC) == set()


def test_a_stylesheet_url_to_a_missing_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "a.woff2").write_bytes(b"")
    (tmp_path / "x.css").write_text("@font-face{src:url(fonts/a.woff2),url('fonts/b.woff')}"
                                    ".i{mask-image:url(data:image/svg+xml;utf8,<svg/>)}")
    assert broken_urls(tmp_path) == {("x.css", "fonts/b.woff")}


def test_every_static_file_a_template_links_is_served() -> None:
    linked = {name for page in templates(TEMPLATE_DIRS)
              for name in LINKED.findall(page.read_text(encoding="utf-8"))}
    assert "dsfr/dsfr.min.css" in linked
    assert {n for n in linked
            if not (sitekit.STATIC / n).is_file() and not (APA_STATIC / n).is_file()} == set()


def test_the_vendored_dsfr_is_the_locked_version_with_its_licence() -> None:
    version = locked_version("@gouvfr/dsfr")
    assert f"DSFR v{version} " in (DSFR / "dsfr.min.css").read_text(encoding="utf-8")[:200]
    assert f"(DSFR) {version} " in (DSFR / "VERSION.md").read_text(encoding="utf-8")
    assert "LICENCE OUVERTE 2.0" in (DSFR / "LICENSE.md").read_text(encoding="utf-8")


def test_the_vendored_axe_core_is_the_locked_version_with_its_licence() -> None:
    version = locked_version("axe-core")
    assert (AXE / "axe.min.js").read_text(encoding="utf-8").startswith(f"/*! axe v{version}\n")
    assert "Mozilla Public License, version 2.0" in (AXE / "LICENSE").read_text(encoding="utf-8")


def test_the_vendored_dsfr_stays_small() -> None:
    size = sum(f.stat().st_size for f in DSFR.rglob("*") if f.is_file())
    assert size < 4 * 1024 * 1024, f"{size} bytes: keep only what the pages use"
