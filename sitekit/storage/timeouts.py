"""Bounded waits on the database: a stalled or locked database makes a request fail in
seconds (StorageUnavailable, answered 503) instead of hanging.

- Connecting: PostgreSQL's ``connect_timeout`` (libpq counts whole seconds, at least 2).
- Statements: PostgreSQL's ``statement_timeout`` and ``lock_timeout`` (server side); SQLite's
  busy timeout (waiting for another connection's write lock).
- A server that stops answering altogether (network stall, frozen host) never gets to
  cancel anything: every wait of a PostgreSQL connection is also bounded on the client
  (``BoundedConnection``), a little longer than the statement timeout so the server's own
  cancellation normally comes first and the connection stays usable.
- Waiting for a pooled connection: SQLAlchemy's ``pool_timeout``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg
    from psycopg.abc import RV, PQGen

# How much longer than the statement timeout the client waits before giving up on a silent
# server (the server's cancellation answer needs a round trip).
CLIENT_MARGIN = 0.5


# Only the reconnection that follows at once (the pool's pre-ping retry) is refused.
RECONNECT_REFUSAL = 0.25


@dataclass(frozen=True)
class DatabaseTimeouts:
    connect: float = 5.0
    statement: float = 5.0
    pool: float = 5.0

    @property
    def client_wait(self) -> float:
        return self.statement + CLIENT_MARGIN

    def postgresql_connect_args(self) -> dict[str, Any]:
        ms = max(1, int(self.statement * 1000))
        return {
            "connect_timeout": max(1, math.ceil(self.connect)),
            "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
        }

    @property
    def sqlite_busy_ms(self) -> int:
        return max(1, int(self.statement * 1000))


# A wait that timed out in this thread, and when: the pool's pre-ping then reconnects at
# once, which against a stalled server would only add the connect timeout to the request.
_stall = threading.local()


def refuse_reconnect_after_stall() -> None:
    """Called before connecting: right after this thread saw the server stall, fail at once."""
    from psycopg import errors as pg_errors

    stalled_at = _stall.__dict__.pop("at", None)
    if stalled_at is not None and time.monotonic() - stalled_at < RECONNECT_REFUSAL:
        raise pg_errors.ConnectionTimeout("the database stopped answering")


def bounded_connection_class(client_wait: float) -> type[psycopg.Connection[Any]]:
    """A psycopg connection class none of whose waits on the server outlasts ``client_wait``
    (psycopg is imported here, only by hubs that use PostgreSQL)."""
    import psycopg
    from psycopg import errors as pg_errors

    class BoundedConnection(psycopg.Connection[Any]):
        def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
            try:
                return super().wait(gen, interval, client_wait if timeout is None else timeout)
            except pg_errors._WaitTimeout:
                # The protocol exchange was cut mid-way: the connection's state is unknown,
                # so close it (SQLAlchemy then sees a disconnect and drops it from the pool).
                _stall.at = time.monotonic()
                self.pgconn.finish()
                raise

    return BoundedConnection

