"""Every document a comment or docstring points to exists (docs/apa-schema.md did not)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"\b((?:docs|keys|bench)/[\w./-]+\.(?:md|toml))\b")


def test_every_referenced_document_exists() -> None:
    sources = [p for folder in ("idp", "clients", "sitekit", "scripts")
               for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".html", "")
               and p.is_file()]
    referenced = {(str(path.relative_to(ROOT)), name) for path in sources
                  for name in REFERENCE.findall(path.read_text(encoding="utf-8",
                                                               errors="replace"))}
    assert ("clients/apa/callfile.py", "docs/apa.md") in referenced
    missing = sorted((where, name) for where, name in referenced if not (ROOT / name).is_file())
    assert missing == []
