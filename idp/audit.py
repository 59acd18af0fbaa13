"""Security audit trail: every login, consent, token issued/refused/revoked and logout.

Two ways in (issue 10, findings 1 and 8):

- ``write(s, ...)``: in the caller's transaction, for the events that must not be lost —
  account and token changes (password changed or reset, second factor on or off, e-mail or
  mobile changed, account disabled or unlocked, grant revoked, code or refresh token
  replayed). The event is committed with the change it records, or neither is; it is chained
  as the transaction commits.
- ``record(...)``: buffered in memory and written in batches by one background thread, so
  issuing a token costs no database round trip. A process killed with ``kill -9`` loses at
  most ``audit_flush_interval`` of these (logins, tokens issued, refusals).

No input can stop or flood the trail: values are bounded and cleaned before they are
recorded (audit_values.py); a batch the database still refuses is split in halves until the
event at fault is alone, and that one is counted and logged, never retried; while the
database is out, events wait in a buffer of at most ``audit_buffer_max``, and what does not
fit is counted. The counts are logged once per ``REPORT_INTERVAL`` and given by ``stats()``.

Both are chained (issue 16, item 6; idp/audit_chain.py): the writer thread numbers and chains
its batch before one Core executemany, and signs a checkpoint every ``checkpoint_interval``;
nothing of it runs on the request path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from idp import metrics
from idp.audit_chain import Chain
from idp.audit_values import clean_event
from idp.clock import Clock
from idp.storage.repositories import audit as audit_repo
from sitekit.background import Every
from sitekit.storage.database import Database
from sitekit.storage.errors import StorageUnavailable

if TYPE_CHECKING:  # signs with the hub's keys (idp.oidc, a layer above this module's users)
    from idp.audit_checkpoints import Checkpoints

log = logging.getLogger("idp.audit")
# Each event also goes to the log stream (issue 15) with the values written to the table:
# bounded and cleaned (audit_values.py), never a secret; `at` is the line's own time.
events_log = logging.getLogger("idp.audit.events")

BATCH_SIZE = 500
# The writer is woken as soon as this many events wait, rather than at its interval: it then
# holds the GIL ~3 ms at a time, not tens under load (issue 16: requests' p99).
FLUSH_AT = 256
REPORT_INTERVAL = 60.0
CHECKPOINT_INTERVAL = 60.0


@dataclass
class AuditStats:
    written: int = 0
    pending: int = 0
    dropped_buffer_full: int = 0
    unwritable: int = 0
    database_out: bool = False


class AuditLog:
    def __init__(self, db: Database, clock: Clock, flush_interval: float,
                 buffer_max: int = 10_000, *, chain: Chain | None = None,
                 checkpoints: Checkpoints | None = None,
                 checkpoint_interval: float = CHECKPOINT_INTERVAL) -> None:
        """`chain`, `checkpoints`: the hub's (Runtime.build); without them events are written
        unchained (tests of the buffering alone)."""
        self.db = db
        self.chain = chain
        self.checkpoints = checkpoints
        self.checkpoint_interval = checkpoint_interval
        # The last row the writer wrote since its last checkpoint, and when that was.
        self._unsigned: dict[str, Any] | None = None
        self._checkpointed_at = float("-inf")
        self.clock = clock
        self.flush_interval = flush_interval
        self.buffer_max = buffer_max
        self._pending: deque[dict[str, Any]] = deque()
        self._pending_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stats = AuditStats()
        self._reported = AuditStats()
        self._reported_at = time.monotonic()
        self._unwritable_logged = False
        self._writer = Every(flush_interval, self.flush, "audit-flush")

    def record(
        self,
        event: str,
        *,
        account_id: int | None = None,
        client_id: str | None = None,
        ip: str | None = None,
        fi: str | None = None,
        **detail: Any,
    ) -> None:
        """Buffer an event; written within ``flush_interval``. ``fi``: the upstream identity
        provider the person logged in with, when there is one."""
        row = clean_event(self.clock.now(), event, account_id, client_id, ip, detail, fi)
        _observe(row, detail)
        with self._pending_lock:
            if len(self._pending) >= self.buffer_max:
                self._stats.dropped_buffer_full += 1
                return
            self._pending.append(row)
            if len(self._pending) == FLUSH_AT:
                self._writer.wake()

    def write(
        self,
        s: Session,
        event: str,
        *,
        account_id: int | None = None,
        client_id: str | None = None,
        ip: str | None = None,
        fi: str | None = None,
        **detail: Any,
    ) -> None:
        """Write an event in the caller's transaction `s`: committed with the change it
        records, or rolled back with it."""
        row = clean_event(self.clock.now(), event, account_id, client_id, ip, detail, fi)
        if self.chain is None:
            audit_repo.write_events(s, [row])
        else:
            audit_repo.write_at_commit(s, row, self.chain.link)
        _observe(row, detail)

    def stats(self) -> AuditStats:
        with self._pending_lock:
            return AuditStats(**{**asdict(self._stats), "pending": len(self._pending)})

    def flush(self) -> None:
        """Write what is pending, in batches of at most BATCH_SIZE."""
        with self._flush_lock:
            with self._pending_lock:
                pending = list(self._pending)
                self._pending.clear()
            if self.chain is not None:
                # Events kept from a failed write keep the numbers they were given.
                refused = self.chain.link([row for row in pending if "chain" not in row])
                for row in refused:
                    self._set_aside(row, TypeError("not encodable as JSON"))
                pending = [row for row in pending if "chain" in row]
            for start in range(0, len(pending), BATCH_SIZE):
                if not self._write(pending[start:start + BATCH_SIZE]):
                    self._keep_for_later(pending[start:])
                    break
            else:
                if self._stats.database_out and pending:
                    self._stats.database_out = False
                    log.warning("audit trail: database reachable again, events written")
            self._checkpoint_if_due()
            self._report_if_due()

    def _checkpoint_if_due(self, force: bool = False) -> None:
        """Sign the head of what this writer last wrote, every `checkpoint_interval`."""
        now = time.monotonic()
        if self.checkpoints is None or self._unsigned is None or (
                not force and now - self._checkpointed_at < self.checkpoint_interval):
            return
        head, self._unsigned = self._unsigned, None
        try:
            checkpoint = self.checkpoints.sign(head["stream"], head["seq"], head["chain"],
                                               self.clock.now())
            with self.db.transaction() as s:
                audit_repo.write_checkpoint(s, checkpoint)
        except Exception as exc:  # the next one covers this head too (the chain links them)
            log.warning("audit trail: checkpoint not written (%s)", _describe(exc))
            self._unsigned = self._unsigned or head
            return
        self._checkpointed_at = now

    def _write(self, batch: list[dict[str, Any]]) -> bool:
        """Write `batch`, setting apart the events the database refuses; False when the
        database itself is out (nothing of `batch` is then written)."""
        try:
            with self.db.transaction() as s:
                audit_repo.write_events(s, batch)
        except Exception as exc:  # sorted below: the database is out, or refuses an event
            if not self._database_reachable():
                return False
            if len(batch) == 1:
                self._set_aside(batch[0], exc)
                return True
            middle = len(batch) // 2
            return self._write(batch[:middle]) and self._write(batch[middle:])
        self._stats.written += len(batch)
        if self.chain is not None:
            last = max(batch, key=lambda row: int(row["seq"]))
            if self._unsigned is None or last["seq"] > self._unsigned["seq"] or (
                    last["stream"] != self._unsigned["stream"]):
                self._unsigned = last
        return True

    def _database_reachable(self) -> bool:
        try:
            with self.db.read() as s:
                s.execute(text("SELECT 1"))
        except StorageUnavailable:
            return False
        return True

    def _set_aside(self, event: dict[str, Any], exc: Exception) -> None:
        """An event the database refuses even alone: counted, logged once per report
        interval (no traceback), never retried."""
        self._stats.unwritable += 1
        if not self._unwritable_logged:
            self._unwritable_logged = True
            log.error("audit trail: a %r event could not be written and was set aside (%s)",
                      event.get("event"), _describe(exc))

    def _keep_for_later(self, events: list[dict[str, Any]]) -> None:
        if not self._stats.database_out:
            self._stats.database_out = True
            log.warning("audit trail: database unavailable, keeping up to %d events in memory",
                        self.buffer_max)
        with self._pending_lock:
            room = max(0, self.buffer_max - len(self._pending))
            # The oldest are kept: they are the start of the outage.
            self._pending.extendleft(reversed(events[:room]))
            self._stats.dropped_buffer_full += max(0, len(events) - room)

    def _report_if_due(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._reported_at < REPORT_INTERVAL:
            return
        self._reported_at = now
        self._unwritable_logged = False
        stats = self.stats()
        dropped = stats.dropped_buffer_full - self._reported.dropped_buffer_full
        unwritable = stats.unwritable - self._reported.unwritable
        if dropped or unwritable:
            log.error("audit trail: %d events dropped (buffer full), %d set aside (refused by "
                      "the database) since the last report; %d pending", dropped, unwritable,
                      stats.pending)
        self._reported = stats

    def start(self) -> None:
        self._writer.start()

    def stop(self) -> None:
        self._writer.stop()
        self.flush()
        self._checkpoint_if_due(force=True)
        self._report_if_due(force=True)
        if lost := self.stats().pending:
            log.error("audit trail: %d events could not be written before shutdown", lost)


def _observe(row: dict[str, Any], detail: dict[str, Any]) -> None:
    metrics.audit_event(row, detail)
    if events_log.isEnabledFor(logging.INFO):
        events_log.info(row["event"], extra={
            "audit_at": row["at"], "account_id": row["account_id"],
            "client_id": row["client_id"], "ip": row["ip"], "fi": row["fi"],
            "detail": row["detail"]})


def _describe(exc: Exception) -> str:
    """The error's class and first line, without the statement or its parameters."""
    cause: BaseException = (exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None
                            else exc)
    if isinstance(exc, StorageUnavailable) and exc.__cause__ is not None:
        cause = exc.__cause__
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first_line[:200]}"
