from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.orm import Session

from idp.storage.models import LoginThrottle
from sitekit.storage.database import rowcount

if TYPE_CHECKING:
    from sitekit.storage.database import Database


def get(s: Session, key: str) -> LoginThrottle | None:
    return s.get(LoginThrottle, key)


# One row whatever is there: the latest lock in force on either key, and whether the first
# key has a counter.
_LOCKS = ("SELECT max(CASE WHEN locked_until > ? THEN locked_until END), "
          "count(CASE WHEN key = ? THEN 1 END) FROM login_throttle WHERE key IN (?, ?)")
LOCKS = {"sqlite": _LOCKS, "postgresql": _LOCKS.replace("?", "%s")}


def locks(db: Database, first: str, second: str, now: int) -> tuple[int | None, bool]:
    """(when the lock in force on `first` or `second` ends, or None; whether `first` has a
    counter), by one plain read outside any transaction."""
    row = db.fetch_one(LOCKS, (now, first, first, second))
    return (None, False) if row is None else (row[0], bool(row[1]))


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
