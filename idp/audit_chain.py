"""The audit trail's hash chain and signed checkpoints (issue 16, item 6).

Each process writes its own *stream* (a random id drawn when it first writes): its events are
numbered 1, 2, 3... (`seq`) and each carries `prev`, the `chain` value of the event before it
in the stream, and its own `chain` = HMAC-SHA256 (RFC 2104) of the event's canonical encoding
(stream, seq, prev and every recorded field) under a key derived from the keys folder's
`hash.key` (HKDF, RFC 5869): no cross-process lock, and nothing computed on the request path
(the buffered events are chained by the writer thread; the synchronous ones when their
transaction commits, under the same lock).

Every ``checkpoint_interval`` seconds the writer adds a checkpoint: the stream's head signed
with the hub's key (idp/audit_checkpoints.py).

What this protects, and what not (docs/operations.md, "Audit trail integrity"): see there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The row key under which link() leaves the detail's JSON text for the writer.
from idp.storage.repositories.audit import DETAIL_JSON

# keys.py's HASH_KEY (this module stays below idp.oidc: idp.accounts writes audit events).
HASH_KEY = "hash.key"
# The fields of an event covered by its chain value, in this order.
FIELDS = ("at", "event", "account_id", "client_id", "ip", "fi", "detail")
# The canonical encoding's options (see canonical), one encoder for every event.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                            allow_nan=False)


def chain_key(hash_key: bytes) -> bytes:
    """The HMAC key of the chain: its own key, derived from hash.key (no file added)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"idp audit chain v1").derive(hash_key)


def existing_chain_key(keys_dir: str | Path) -> bytes | None:
    try:
        return chain_key((Path(keys_dir) / HASH_KEY).read_bytes())
    except FileNotFoundError:
        return None


def canonical(stream: str, seq: int, prev: str, row: dict[str, Any]) -> bytes:
    """One unambiguous byte string per event: a JSON array (RFC 8259) with sorted keys, no
    spaces, UTF-8 (any NUL, quote or non-ASCII character is escaped or encoded one way only),
    so no two different events share an encoding."""
    return _joined(stream, seq, prev, row, detail_json(row.get("detail") or {}))


def detail_json(detail: Any) -> str:
    """The detail's part of the canonical encoding; the writer also stores this text in the
    ``detail`` column (the same JSON value, encoded once)."""
    return _ENCODER.encode(detail)


def _joined(stream: str, seq: int, prev: str, row: dict[str, Any], detail: str) -> bytes:
    # json.dumps of a list is "[" + its items' encodings joined by "," + "]": the head's
    # scalars encoded together, then the detail's encoding appended, give the same bytes.
    get = row.get
    head = _ENCODER.encode([stream, seq, prev, get("at"), get("event"), get("account_id"),
                            get("client_id"), get("ip"), get("fi")])
    return (head[:-1] + "," + detail + "]").encode("utf-8", "surrogatepass")


def mac(key: bytes, stream: str, seq: int, prev: str, row: dict[str, Any]) -> str:
    return hmac.new(key, canonical(stream, seq, prev, row), hashlib.sha256).hexdigest()


class Chain:
    """This process's stream: numbers and chains events under one lock (CPU only, no I/O)."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._lock = threading.Lock()
        self._pid = 0
        self.stream = ""
        self.seq = 0
        self.head = ""

    def link(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Give `rows`, in order, the next numbers of the stream and their chain values; the
        rows that cannot be encoded (a value that is not JSON: never from clean_event) are
        given none and returned, for the caller to set aside."""
        refused = []
        with self._lock:
            if self._pid != os.getpid():  # a fresh stream in each (forked) process
                self._pid, self.stream = os.getpid(), secrets.token_hex(8)
                self.seq, self.head = 0, ""
            for row in rows:
                try:
                    detail = detail_json(row.get("detail") or {})
                    encoded = _joined(self.stream, self.seq + 1, self.head, row, detail)
                except (TypeError, ValueError):
                    refused.append(row)
                    continue
                chain = hmac.new(self._key, encoded, hashlib.sha256).hexdigest()
                self.seq += 1
                row["stream"], row["seq"], row["prev"] = self.stream, self.seq, self.head
                self.head = row["chain"] = chain
                if isinstance(row.get("detail"), dict):
                    row[DETAIL_JSON] = detail  # stored as is (audit repository)
        return refused
