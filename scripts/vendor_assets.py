"""Rewrite the vendored front-end files from the npm packages of web-assets/package-lock.json
(run by scripts/assets, the maintainer's refresh command; install, test and demo never run it).

- sitekit/static/dsfr/: the part of the DSFR (French state design system) the pages use, with
  its licence (Licence Ouverte / etalab-2.0): the minified stylesheet and scripts, the fonts,
  the favicons, every file the stylesheet itself points to, and a utility/icons/icons.min.css
  cut down to the `fr-icon-*` classes our templates use, with those icons' SVG files.
- tests/browser/vendor/axe-core/: axe.min.js (accessibility checks of the browser tests), with
  its licence (MPL-2.0).

Usage: python scripts/vendor_assets.py web-assets/node_modules
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DSFR_OUT = ROOT / "sitekit" / "static" / "dsfr"
AXE_OUT = ROOT / "tests" / "browser" / "vendor" / "axe-core"
TEMPLATE_DIRS = [ROOT / "sitekit" / "templates", ROOT / "idp" / "templates",
                 *sorted(ROOT.glob("clients/*/templates"))]
ICONS_CSS = "utility/icons/icons.min.css"
ICON_CLASS = re.compile(r"\bfr-icon-[a-z0-9-]+")
URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def used_icon_classes() -> set[str]:
    return {c for folder in TEMPLATE_DIRS for page in folder.rglob("*.html")
            for c in ICON_CLASS.findall(page.read_text(encoding="utf-8"))}


def local_urls(css: str) -> set[str]:
    return {u for u in URL.findall(css) if not u.startswith(("data:", "http:", "https:", "#"))}


def top_level_items(css: str) -> list[str]:
    """A minified stylesheet split into its top-level comments, rules and @-blocks."""
    items, depth, start, i = [], 0, 0, 0
    while i < len(css):
        if css.startswith("/*", i):
            end = css.index("*/", i) + 2
            if depth == 0:
                items.append(css[i:end])
                start = end
            i = end
            continue
        if css[i] == "{":
            depth += 1
        elif css[i] == "}":
            depth -= 1
            if depth == 0:
                items.append(css[start:i + 1].strip())
                start = i + 1
        i += 1
    return [item for item in items if item]


def keep_rule(rule: str, classes: set[str]) -> bool:
    selectors = rule.split("{", 1)[0]
    named = {m.group(0) for m in re.finditer(r"\.(fr-icon-[a-z0-9-]+)(?![a-z0-9-])", selectors)}
    return bool(named & {"." + c for c in classes})


def cut_icons_css(css: str, classes: set[str]) -> str:
    """icons.min.css with only the rules of `classes` (and the @media blocks holding some)."""
    kept = []
    for item in top_level_items(css):
        if item.startswith("/*"):
            if not kept:  # the licence header
                kept.append(item)
        elif item.startswith("@"):
            head, body = item.split("{", 1)
            inner = [r for r in top_level_items(body[:-1])
                     if not r.startswith("/*") and keep_rule(r, classes)]
            if inner:
                kept.append(head + "{" + "".join(inner) + "}")
        elif keep_rule(item, classes):
            kept.append(item)
    return "".join(kept) + "\n"


def vendor_dsfr(package: Path) -> None:
    dist = package / "dist"
    meta = json.loads((package / "package.json").read_text())
    version, author = meta["version"], meta["author"].split("<")[0].strip()
    released = re.search(rf"\[v{re.escape(version)}\]\([^)]*\) - ([^\n]+)",
                         (package / "CHANGELOG.md").read_text(encoding="utf-8"))
    shutil.rmtree(DSFR_OUT, ignore_errors=True)
    DSFR_OUT.mkdir(parents=True)
    files = {"dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js"}
    files |= {f"fonts/{p.name}" for p in (dist / "fonts").iterdir()
              if p.suffix in (".woff2", ".woff")}
    files |= {f"favicon/{p.name}" for p in (dist / "favicon").iterdir()}
    files |= local_urls((dist / "dsfr.min.css").read_text(encoding="utf-8"))
    classes = used_icon_classes()
    icons_css = cut_icons_css((dist / ICONS_CSS).read_text(encoding="utf-8"), classes)
    missing = {c for c in classes if f".{c}:" not in icons_css}
    if missing:
        sys.exit(f"no such DSFR icon: {', '.join(sorted(missing))}")
    css_dir = Path(ICONS_CSS).parent
    files |= {os.path.normpath(css_dir / u) for u in local_urls(icons_css)}
    for name in sorted(files):
        (DSFR_OUT / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dist / name, DSFR_OUT / name)
    (DSFR_OUT / css_dir).mkdir(parents=True, exist_ok=True)
    (DSFR_OUT / ICONS_CSS).write_text(icons_css, encoding="utf-8")
    shutil.copyfile(package / "LICENSE.md", DSFR_OUT / "LICENSE.md")
    (DSFR_OUT / "VERSION.md").write_text(
        f"Système de design de l'État (DSFR) {version}"
        f" ({released.group(1) if released else 'release date unknown'}), by the {author}:\n"
        "the npm package @gouvfr/dsfr (https://github.com/GouvernementFR/dsfr), under the\n"
        "Licence Ouverte / etalab-2.0 with its terms of use (LICENSE.md).\n\n"
        "Only the part the pages use is kept: dsfr.min.css, dsfr.module.min.js,\n"
        "dsfr.nomodule.min.js, fonts/, favicon/, the icons dsfr.min.css points to, and\n"
        f"{ICONS_CSS} cut down to the icon classes of our templates\n"
        f"({', '.join(sorted(classes))}).\n"
        "Do not edit: scripts/assets rewrites this folder from web-assets/package-lock.json.\n",
        encoding="utf-8")
    print(f"DSFR {version}: {len(files) + 3} files in {DSFR_OUT.relative_to(ROOT)}")


def vendor_axe(package: Path) -> None:
    version = json.loads((package / "package.json").read_text())["version"]
    shutil.rmtree(AXE_OUT, ignore_errors=True)
    AXE_OUT.mkdir(parents=True)
    for name in ("axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"):
        shutil.copyfile(package / name, AXE_OUT / name)
    (AXE_OUT / "VERSION.md").write_text(
        f"axe-core {version} by Deque Systems (https://github.com/dequelabs/axe-core), "
        "MPL-2.0 (LICENSE).\nDo not edit: scripts/assets rewrites this folder from "
        "web-assets/package-lock.json.\n", encoding="utf-8")
    print(f"axe-core {version} in {AXE_OUT.relative_to(ROOT)}")


def main() -> None:
    modules = Path(sys.argv[1])
    vendor_dsfr(modules / "@gouvfr" / "dsfr")
    vendor_axe(modules / "axe-core")


if __name__ == "__main__":
    main()
