"""The browsers an account logged in from, as hashes of their device cookie (see
models/devices.py), at most `keep` per account: the least recently seen give way."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from idp.storage.models import KnownDevice
from idp.storage.repositories.hashing import sha256_hex


def device_hash(account_id: int, cookie: str) -> str:
    return sha256_hex(f"{account_id}:{cookie}")


def count_devices(s: Session, account_id: int) -> int:
    return s.scalar(select(func.count()).select_from(KnownDevice)
                    .where(KnownDevice.account_id == account_id)) or 0


def see_device(s: Session, account_id: int, cookie: str, now: int) -> bool:
    """Record a login from the browser holding `cookie` if the account knows it; whether
    it did."""
    row = s.get(KnownDevice, (account_id, device_hash(account_id, cookie)),
                with_for_update=True)
    if row is None:
        return False
    row.last_seen_at = now
    s.flush()
    return True


def add_device(s: Session, account_id: int, cookie: str, now: int, keep: int,
               known_before: int) -> None:
    """Record a browser new to the account, which knew `known_before` of them; the least
    recently seen give way past `keep`."""
    s.add(KnownDevice(account_id=account_id, device_hash=device_hash(account_id, cookie),
                      first_seen_at=now, last_seen_at=now))
    s.flush()
    if known_before < keep:
        return
    kept = select(KnownDevice.device_hash).where(KnownDevice.account_id == account_id).order_by(
        KnownDevice.last_seen_at.desc(), KnownDevice.first_seen_at.desc()).limit(keep)
    s.execute(delete(KnownDevice).where(KnownDevice.account_id == account_id,
                                        KnownDevice.device_hash.not_in(kept.scalar_subquery())))
