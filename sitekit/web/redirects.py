"""Where a site may send the browser after a step: only its own paths (no open redirect)."""

from __future__ import annotations


def safe_next(value: str | None) -> str:
    """Only a path of this site: never redirect elsewhere (no open redirect)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"
