"""Single-row reads on PostgreSQL from the event loop itself (issue 16): a few autocommit
``psycopg.AsyncConnection`` of one event loop, each read bounded as the thread pool's are.

- Connecting: libpq's ``connect_timeout`` (and the same bound on the client side).
- The statement: PostgreSQL's ``statement_timeout`` (server side, set at connection) and the
  client's wait (``DatabaseTimeouts.client_wait``): a silent server never holds a request
  longer; the connection cut mid-exchange is closed, not reused.
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
from sitekit.storage.timeouts import CLIENT_MARGIN, DatabaseTimeouts

if TYPE_CHECKING:
    import psycopg

# Per event loop (worker): 2 gave 2,000 reads/s, 4 2,200/s, 8 3,000/s, 16 3,450/s in one
# process with 32 requests at once; PostgreSQL's connections are few (max_connections).
DEFAULT_SIZE = 8


class LoopReads:
    def __init__(self, conninfo: str, timeouts: DatabaseTimeouts, size: int = DEFAULT_SIZE,
                 ) -> None:
        self._conninfo = conninfo
        self._timeouts = timeouts
        self._size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Reader] = []

    async def fetch_one(self, statement: str, params: tuple[Any, ...],
                        ) -> tuple[Any, ...] | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop, self._slots = loop, asyncio.Semaphore(self._size)
        if self._slots.locked():
            try:
                async with asyncio.timeout(self._timeouts.pool):
                    await self._slots.acquire()
            except TimeoutError:
                raise StorageUnavailable("no database connection free in time") from None
        else:
            await self._slots.acquire()  # free: at once
        try:
            return await self._fetch_one(statement, params)
        finally:
            self._slots.release()

    async def _fetch_one(self, statement: str, params: tuple[Any, ...],
                         ) -> tuple[Any, ...] | None:
        import psycopg

        idle = self._idle  # replaced (and closed) when another loop takes over
        for attempt in (1, 2):
            reader = idle.pop() if idle else None
            fresh = reader is None
            try:
                if reader is None:
                    reader = _Reader(await self._connect())
                row = await reader.fetch_one(statement, params, self._timeouts.client_wait)
            except psycopg.errors.QueryCanceled:
                # The server's statement timeout: the connection stays usable.
                if reader is not None:
                    self._give_back(idle, reader)
                raise StorageUnavailable("the database did not answer in time") from None
            except (psycopg.OperationalError, psycopg.InterfaceError, TimeoutError,
                    OSError) as exc:
                if reader is not None:
                    reader.close()
                stalled = isinstance(exc, TimeoutError)
                if fresh or attempt == 2 or stalled:
                    raise StorageUnavailable("the database did not answer in time" if stalled
                                             else "database unreachable") from None
                continue  # a pooled connection the server closed: once more, on a fresh one
            except BaseException:
                # Cancelled mid-exchange, or a bug: the connection's state is unknown.
                if reader is not None:
                    reader.close()
                raise
            self._give_back(idle, reader)
            return row
        raise AssertionError("unreachable")

    def _give_back(self, idle: list[_Reader], reader: _Reader) -> None:
        if idle is self._idle:
            idle.append(reader)
        else:
            reader.close()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        import psycopg

        connect_args = self._timeouts.postgresql_connect_args()
        async with asyncio.timeout(connect_args["connect_timeout"] + CLIENT_MARGIN):
            return await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, **connect_args)

    def close(self) -> None:
        """Close the idle connections (from any thread, with or without their loop)."""
        idle, self._idle = self._idle, []
        for reader in idle:
            reader.close()


class _Reader:
    """One connection used straight through libpq (``psycopg.pq``): each statement prepared
    once, then one ``send_query_prepared`` and the socket's readiness awaited on the event
    loop. psycopg's cursors (AsyncConnection.execute) spent 1.6 times its CPU here; psycopg's
    adapters still turn the parameters into text and the row into Python values."""

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        from psycopg.adapt import Transformer

        self.connection = connection
        self.pgconn = connection.pgconn
        self.transformer = Transformer(connection)
        self.prepared: dict[str, bytes] = {}

    async def fetch_one(self, statement: str, params: tuple[Any, ...], wait: float,
                        ) -> tuple[Any, ...] | None:
        from psycopg.adapt import PyFormat

        # The client's bound on the whole exchange: a silent server is cut off here (the
        # caller then closes the connection) instead of waiting for a cancellation.
        async with asyncio.timeout(wait):
            name = self.prepared.get(statement)
            if name is None:
                name = f"idp_hot_{len(self.prepared)}".encode()
                self.pgconn.send_prepare(name, _numbered(statement).encode())
                self._check(await self._result())
                self.prepared[statement] = name
            tx = self.transformer
            values = tx.dump_sequence(params, [PyFormat.TEXT] * len(params))
            self.pgconn.send_query_prepared(name, values)
            result = self._check(await self._result())
        if result.ntuples == 0:
            return None
        tx.set_pgresult(result)
        row: tuple[Any, ...] = tx.load_row(0, tuple)
        return row

    async def _result(self) -> psycopg.pq.abc.PGresult:
        """The first result of what was sent, all of them consumed."""
        pgconn = self.pgconn
        while pgconn.flush():
            await self._ready(writable=True)
        first = None
        while True:
            pgconn.consume_input()
            if pgconn.is_busy():
                await self._ready(writable=False)
                continue
            result = pgconn.get_result()
            if result is None:
                break
            first = first or result
        if first is None:
            raise self._lost()
        return first

    def _check(self, result: psycopg.pq.abc.PGresult) -> psycopg.pq.abc.PGresult:
        from psycopg import errors, pq

        if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            raise errors.error_from_result(result, encoding=self.connection.info.encoding)
        return result

    def _lost(self) -> Exception:
        import psycopg

        return psycopg.OperationalError("no answer from the database")

    async def _ready(self, writable: bool) -> None:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        fd = self.pgconn.socket
        (loop.add_writer if writable else loop.add_reader)(fd, _wake, waiter)
        try:
            await waiter
        finally:
            (loop.remove_writer if writable else loop.remove_reader)(fd)

    def close(self) -> None:
        self.pgconn.finish()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _numbered(statement: str) -> str:
    """A statement in psycopg's parameter style (``%s``) in PostgreSQL's own (``$1``)."""
    first, *rest = statement.split("%s")
    numbered = first + "".join(f"${n}{part}" for n, part in enumerate(rest, 1))
    if "%" in numbered:
        raise ValueError("only %s placeholders are supported here")
    return numbered
