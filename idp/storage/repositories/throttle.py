from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from idp.storage.models import LoginThrottle
from sitekit.storage.database import rowcount


def get(s: Session, key: str) -> LoginThrottle | None:
    return s.get(LoginThrottle, key)


def record_failure(s: Session, key: str, now: int, window: int, limit: int,
                   lock_for: int) -> LoginThrottle:
    row = s.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_start=now, locked_until=None)
        s.add(row)
    if now - row.window_start > window:
        row.failures, row.window_start = 0, now
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + lock_for
    s.flush()
    return row


def clear(s: Session, key: str) -> bool:
    return bool(rowcount(s.execute(delete(LoginThrottle).where(LoginThrottle.key == key))))


def purge_stale(s: Session, window_started_before: int, now: int) -> None:
    """Counters whose window is over and that hold no lock in force."""
    s.execute(delete(LoginThrottle).where(
        LoginThrottle.window_start < window_started_before,
        (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until <= now)))
