"""The browsers an account logged in from, as hashes of their device cookie (see
models/devices.py), at most `keep` per account: the least recently seen give way."""

from __future__ import annotations

from sqlalchemy.orm import Session

from idp.storage.repositories.hashing import sha256_hex
from sitekit.storage.database import execute_sql


def device_hash(account_id: int, cookie: str) -> str:
    return sha256_hex(f"{account_id}:{cookie}")


def see_device(s: Session, account_id: int, cookie: str, now: int) -> bool:
    """Record a login from the browser holding `cookie` if the account knows it; whether
    it did. One UPDATE (it locks the row as it changes it)."""
    return execute_sql(s, "UPDATE known_devices SET last_seen_at = ? WHERE account_id = ? "
                       "AND device_hash = ?", (now, account_id, device_hash(account_id, cookie))
                       ).rowcount == 1


def add_device(s: Session, account_id: int, cookie: str, now: int, keep: int,
               known_before: int) -> None:
    """Record a browser new to the account, which knew `known_before` of them; the least
    recently seen give way past `keep`."""
    execute_sql(s, "INSERT INTO known_devices (account_id, device_hash, first_seen_at, "
                "last_seen_at) VALUES (?, ?, ?, ?)",
                (account_id, device_hash(account_id, cookie), now, now))
    if known_before < keep:
        return
    execute_sql(s, "DELETE FROM known_devices WHERE account_id = ? AND device_hash NOT IN ("
                "SELECT device_hash FROM known_devices WHERE account_id = ? "
                "ORDER BY last_seen_at DESC, first_seen_at DESC LIMIT ?)",
                (account_id, account_id, keep))
