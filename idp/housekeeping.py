"""Purge of expired artefacts (codes, sessions, refresh tokens, revocations, assertion jtis).

Runs in a background thread of every hub process; concurrent purges from several processes
only delete the same rows, which is harmless.
"""

from __future__ import annotations

from idp.background import Every
from idp.clock import Clock
from idp.storage.db import Database
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories import tokens as tokens_repo


def purge_expired(db: Database, now: int) -> None:
    with db.transaction() as s:
        tokens_repo.purge_expired(s, now)
        sessions_repo.purge_expired_sessions(s, now)


def housekeeping(db: Database, clock: Clock, interval: float) -> Every:
    """The purge, every `interval` seconds, in a background thread of each process."""
    return Every(interval, lambda: purge_expired(db, clock.now()), "purge")
