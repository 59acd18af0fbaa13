"""Single-row reads on PostgreSQL from the event loop itself (issue 16): a few autocommit
``psycopg.AsyncConnection`` of one event loop, each read bounded as the thread pool's are.

- Connecting: libpq's ``connect_timeout`` (and the same bound on the client side).
- The statement: PostgreSQL's ``statement_timeout`` (server side, set at connection) and the
  client's wait on the socket (``DatabaseTimeouts.client_wait``, ``BoundedAsyncConnection``):
  a silent server never holds a request longer; the connection cut mid-exchange is closed,
  not reused.
- Waiting for a free connection: ``DatabaseTimeouts.pool``.

Any of these, or a server that refuses or drops connections, is ``StorageUnavailable``.
A pooled connection the server closed (restart, idle timeout) is dropped and the read tried
once more on a fresh one. Parameters never appear in an error or a log line.

Connections belong to the event loop that opened them: when reads come from another loop (a
test client's, one after the other) the old loop's connections are closed and new ones opened.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from sitekit.storage.errors import StorageUnavailable
from sitekit.storage.timeouts import (
    CLIENT_MARGIN,
    DatabaseTimeouts,
    bounded_async_connection_class,
)

if TYPE_CHECKING:
    import psycopg

# The fewest connections that keep up with one worker's introspections (bench/README.md).
DEFAULT_SIZE = 4


class LoopReads:
    def __init__(self, conninfo: str, timeouts: DatabaseTimeouts, size: int = DEFAULT_SIZE,
                 ) -> None:
        self._conninfo = conninfo
        self._timeouts = timeouts
        self._size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._connection_class: type[psycopg.AsyncConnection[Any]] | None = None

    async def fetch_one(self, statement: str, params: tuple[Any, ...],
                        ) -> tuple[Any, ...] | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop, self._slots = loop, asyncio.Semaphore(self._size)
        try:
            async with asyncio.timeout(self._timeouts.pool):
                await self._slots.acquire()
        except TimeoutError:
            raise StorageUnavailable("no database connection free in time") from None
        try:
            return await self._fetch_one(statement, params)
        finally:
            self._slots.release()

    async def _fetch_one(self, statement: str, params: tuple[Any, ...],
                         ) -> tuple[Any, ...] | None:
        import psycopg

        idle = self._idle  # replaced (and closed) when another loop takes over
        for attempt in (1, 2):
            connection = idle.pop() if idle else None
            fresh = connection is None
            try:
                if connection is None:
                    connection = await self._connect()
                cursor = await connection.execute(statement, params)
                row = await cursor.fetchone()
            except psycopg.errors.QueryCanceled:
                # The server's statement timeout: the connection stays usable.
                if connection is not None:
                    self._give_back(idle, connection)
                raise StorageUnavailable("the database did not answer in time") from None
            except (psycopg.OperationalError, psycopg.InterfaceError, TimeoutError,
                    OSError) as exc:
                if connection is not None:
                    connection.pgconn.finish()
                stalled = isinstance(exc, (TimeoutError, psycopg.errors._WaitTimeout))
                if fresh or attempt == 2 or stalled:
                    raise StorageUnavailable("the database did not answer in time" if stalled
                                             else "database unreachable") from None
                continue  # a pooled connection the server closed: once more, on a fresh one
            except BaseException:
                # Cancelled mid-exchange (the client went away), or a bug: the connection's
                # state is unknown.
                if connection is not None:
                    connection.pgconn.finish()
                raise
            self._give_back(idle, connection)
            return row
        raise AssertionError("unreachable")

    def _give_back(self, idle: list[psycopg.AsyncConnection[Any]],
                   connection: psycopg.AsyncConnection[Any]) -> None:
        if idle is self._idle:
            idle.append(connection)
        else:
            connection.pgconn.finish()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:

        if self._connection_class is None:
            self._connection_class = bounded_async_connection_class(self._timeouts.client_wait)
        connect_args = self._timeouts.postgresql_connect_args()
        async with asyncio.timeout(connect_args["connect_timeout"] + CLIENT_MARGIN):
            return await self._connection_class.connect(
                self._conninfo, autocommit=True, **connect_args)

    def close(self) -> None:
        """Close the idle connections (from any thread, with or without their loop)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.pgconn.finish()
