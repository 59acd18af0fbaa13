"""Reading docs/integration.md and its English twin: the tables a marker names
(`<!-- table: NAME -->` before a Markdown table) and the examples' code blocks
(`<!-- example: PATH -->` before a fenced block), for the tests that compare them with the
code and the running hub."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDES = {"fr": DOCS / "integration.md", "en": DOCS / "integration.en.md"}


def text(lang: str) -> str:
    return GUIDES[lang].read_text(encoding="utf-8")


def table(lang: str, name: str) -> list[list[str]]:
    """The rows (cells stripped, header and rule left out) of the table marked `name`."""
    lines = text(lang).splitlines()
    marker = f"<!-- table: {name} -->"
    starts = [i for i, line in enumerate(lines) if line.strip() == marker]
    assert len(starts) == 1, f"{GUIDES[lang].name}: {len(starts)} tables {name!r}"
    rows = []
    for line in lines[starts[0] + 3:]:  # the marker, the header, the rule
        if not line.strip().startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    assert rows, f"{GUIDES[lang].name}: the table {name!r} is empty"
    return rows


def table_names(lang: str) -> list[str]:
    return re.findall(r"<!-- table: ([\w-]+) -->", text(lang))


def codes(cell: str) -> list[str]:
    """The `code` spans of a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)


def first_codes(lang: str, name: str) -> list[str]:
    """Every `code` span of each row's first cell ("`exp`, `iat`" is two names)."""
    return [c for row in table(lang, name) for c in codes(row[0])]


def examples(lang: str) -> dict[str, str]:
    """Example path (under docs/examples/) -> the fenced block that follows its marker."""
    found = re.findall(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```\n", text(lang), re.S)
    return dict(found)
