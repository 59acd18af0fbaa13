"""Addresses of deleted accounts, refused for new accounts until a date (seed 004 §7); kept
as keyed hashes (idp/accounts/blocked_addresses.py), never in clear."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from idp.storage.models import BlockedAddress
from sitekit.storage.database import rowcount


def block_address(s: Session, address_hash: str, until: int) -> None:
    row = s.get(BlockedAddress, address_hash)
    if row is None:
        s.add(BlockedAddress(address_hash=address_hash, blocked_until=until))
    else:
        row.blocked_until = max(row.blocked_until, until)
    s.flush()


def is_blocked(s: Session, address_hash: str, now: int) -> bool:
    row = s.get(BlockedAddress, address_hash)
    return row is not None and row.blocked_until > now


def purge_unblocked(s: Session, now: int) -> int:
    return rowcount(s.execute(delete(BlockedAddress).where(BlockedAddress.blocked_until <= now)))


def blocked_until(s: Session, address_hash: str, now: int) -> int | None:
    """The end of the block in force on this address, or None."""
    row = s.get(BlockedAddress, address_hash)
    return row.blocked_until if row is not None and row.blocked_until > now else None
