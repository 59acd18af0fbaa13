"""What the `idp` command prints: dates readable by people (2026-11-27 23:40 UTC) or in ISO
8601 for scripts (2026-11-27T23:40:00Z), and never a character that could drive the terminal."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

# Characters never written raw: C0 and C1 controls (ESC, CSI...), format characters (bidi
# overrides), line and paragraph separators, surrogates (undecodable bytes of argv).
UNSAFE = re.compile(r"[^\n\t\x20-\x7e\xa0-\U000dffff\U000f0000-\U0010ffff]"
                    r"|[\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
                    r"\ufff9-\ufffb\ud800-\udfff\xad\u061c]")


def safe(text: str, keep_lines: bool = False) -> str:
    """`text` with every unsafe character written as its Python escape (\\x1b, \\u202e);
    newlines kept with `keep_lines`, else escaped too."""
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if keep_lines and char == "\n":
            return char
        return char.encode("unicode_escape", "backslashreplace").decode("ascii")

    return UNSAFE.sub(escape, text.replace("\n", "\\n") if not keep_lines else text)


def iso(epoch: int) -> str:
    """ISO 8601 in UTC, as --json prints dates: 2026-11-27T23:40:00Z."""
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def when(epoch: int) -> str:
    """A date as the human output prints it: 2026-11-27 23:40 UTC."""
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def dated(value: Any, form: Callable[[int], str]) -> Any:
    """`value` with each date written by `form`: every `at`, `*_at` or `*_until` member holding a
    positive whole number (the hub stores Unix times; 0 stands for "never") in dicts, at any
    depth."""
    if isinstance(value, dict):
        return {k: form(v) if (k == "at" or k.endswith(("_at", "_until"))) and isinstance(v, int)
                and not isinstance(v, bool) and v > 0 else dated(v, form)
                for k, v in value.items()}
    if isinstance(value, list):
        return [dated(v, form) for v in value]
    return value


