"""Purge of expired artefacts (codes, sessions, refresh tokens, revocations, assertion jtis).

Runs in a background thread of every hub process; concurrent purges from several processes
only delete the same rows, which is harmless.
"""

from __future__ import annotations

import logging
import threading

from idp.clock import Clock
from idp.storage.db import Database
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories import tokens as tokens_repo

log = logging.getLogger("idp.housekeeping")


def purge_expired(db: Database, now: int) -> None:
    with db.transaction() as s:
        tokens_repo.purge_expired(s, now)
        sessions_repo.purge_expired_sessions(s, now)


class Housekeeping:
    def __init__(self, db: Database, clock: Clock, interval: float) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self.interval > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="purge", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                purge_expired(self.db, self.clock.now())
            except Exception:
                log.exception("purge of expired artefacts failed")
