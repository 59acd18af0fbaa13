"""What the audit trail records, bounded and cleaned before it is recorded (issue 10, finding 1).

Audit values come from requests (a client_id typed at /token, an address from
X-Forwarded-For): none of them may be the reason an audit write fails. Every text fits its
column (counted in characters, as PostgreSQL's VARCHAR(n) does), control characters and
lone surrogates are replaced (PostgreSQL refuses NUL in text and json, and psycopg refuses
surrogates), non-ASCII letters are kept, and the free-form detail is a small JSON object of
bounded size whatever it is given.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

# Column sizes of storage/models/audit.py.
EVENT_MAX = 64
CLIENT_ID_MAX = 255
IP_MAX = 64
FI_MAX = 64

DETAIL_KEYS_MAX = 16
DETAIL_KEY_MAX = 40
DETAIL_TEXT_MAX = 200
DETAIL_ITEMS_MAX = 16
DETAIL_DEPTH_MAX = 2
# Postgres BIGINT; larger integers are recorded as text.
INTEGER_RANGE = (-(2**63), 2**63 - 1)

REPLACEMENT = "\ufffd"
TRUNCATED = "…"


def clean_text(value: object, limit: int) -> str:
    """`value` as text of at most `limit` characters, without control characters (C0, DEL,
    C1: NUL included), invisible format characters, line separators or surrogates, each
    replaced by U+FFFD; a cut text ends with "…"."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + TRUNCATED
    if text.isprintable() and text.isascii():
        return text
    return "".join(REPLACEMENT if _unsafe(c) else c for c in text)


def _unsafe(c: str) -> bool:
    # Cc: C0/C1 controls (NUL included); Cs: lone surrogates; Cf: invisible format characters
    # such as bidirectional overrides; Zl/Zp: line and paragraph separators.
    return unicodedata.category(c) in ("Cc", "Cs", "Cf", "Zl", "Zp")


def clean_optional(value: object, limit: int) -> str | None:
    return None if value is None else clean_text(value, limit)


def clean_account_id(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and (
            INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]):
        return value
    return None


def clean_detail(detail: dict[str, Any]) -> dict[str, Any]:
    return _clean_mapping(detail, 0)


def _clean_mapping(mapping: dict[str, Any], depth: int) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in list(mapping.items())[:DETAIL_KEYS_MAX]:
        cleaned[clean_text(key, DETAIL_KEY_MAX)] = _clean_value(value, depth)
    if len(mapping) > DETAIL_KEYS_MAX:
        cleaned["truncated"] = True
    return cleaned


def _clean_value(value: object, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1] else clean_text(
            value, DETAIL_TEXT_MAX)
    if isinstance(value, float):
        # JSON has no NaN or infinity (PostgreSQL's json refuses them).
        return value if math.isfinite(value) else clean_text(value, DETAIL_TEXT_MAX)
    if depth < DETAIL_DEPTH_MAX and isinstance(value, dict):
        return _clean_mapping(value, depth + 1)
    if depth < DETAIL_DEPTH_MAX and isinstance(value, (list, tuple)):
        return [_clean_value(v, depth + 1) for v in list(value)[:DETAIL_ITEMS_MAX]]
    return clean_text(value, DETAIL_TEXT_MAX)


def clean_event(at: int, event: str, account_id: object, client_id: object, ip: object,
                detail: dict[str, Any], fi: object = None) -> dict[str, Any]:
    """One row of audit_events that the database accepts, whatever the request held."""
    return {
        "at": int(at),
        "event": clean_text(event, EVENT_MAX),
        "account_id": clean_account_id(account_id),
        "client_id": clean_optional(client_id, CLIENT_ID_MAX),
        "ip": clean_optional(ip, IP_MAX),
        "fi": clean_optional(fi, FI_MAX),
        "detail": clean_detail(detail),
    }
