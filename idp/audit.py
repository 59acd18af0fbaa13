"""Security audit trail: every login, consent, token issued/refused/revoked and logout.

Events are buffered and written in batches by one background thread, so issuing a token
costs no database round trip (the token endpoint is the busiest path). ``flush()`` writes
what is pending; the app flushes on shutdown.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from idp.background import Every
from idp.clock import Clock
from idp.storage.db import Database
from idp.storage.repositories import audit as audit_repo

log = logging.getLogger("idp.audit")


class AuditLog:
    def __init__(self, db: Database, clock: Clock, flush_interval: float) -> None:
        self.db = db
        self.clock = clock
        self.flush_interval = flush_interval
        self._pending: deque[dict] = deque()
        self._flush_lock = threading.Lock()
        self._writer = Every(flush_interval, self.flush, "audit-flush")

    def record(
        self,
        event: str,
        *,
        account_id: int | None = None,
        client_id: str | None = None,
        ip: str | None = None,
        **detail: Any,
    ) -> None:
        self._pending.append(
            {
                "at": self.clock.now(),
                "event": event,
                "account_id": account_id,
                "client_id": client_id,
                "ip": ip,
                "detail": detail,
            }
        )

    def flush(self) -> None:
        with self._flush_lock:
            batch = []
            while self._pending:
                batch.append(self._pending.popleft())
            if not batch:
                return
            try:
                with self.db.transaction() as s:
                    audit_repo.write_events(s, batch)
            except Exception:
                # Keep the events for the next attempt rather than losing them.
                self._pending.extendleft(reversed(batch))
                log.exception("could not write %d audit events", len(batch))

    def start(self) -> None:
        self._writer.start()

    def stop(self) -> None:
        self._writer.stop()
        self.flush()
