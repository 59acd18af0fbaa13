"""Single-row reads on PostgreSQL from the event loop itself (issue 16): one autocommit
connection per event loop in libpq's pipeline mode, so the reads of all the requests under
way travel together (those of one turn of the loop under one sync, the answers dispatched in
order as they come), each read bounded as the thread pool's are.

- Connecting: libpq's ``connect_timeout`` (and the same bound on the client side).
- The statement: PostgreSQL's ``statement_timeout`` (server side, set at connection) and the
  client's wait (``DatabaseTimeouts.client_wait``): a silent server never holds a request
  longer. The connection is then closed, never reused, and so is a connection that failed
  (every read under way on it is refused); the next read opens a new one.

Any of these, or a server that refuses or drops connections, is ``StorageUnavailable``. A
read sent on a connection that the server had closed (restart, idle timeout) is tried once
more on a fresh one. Parameters never appear in an error or a log line.

The connection belongs to the event loop that opened it: when reads come from another loop
(a test client's, one after the other) the old one is closed and a new one opened.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer

from sitekit.storage.errors import StorageUnavailable
from sitekit.storage.timeouts import CLIENT_MARGIN, DatabaseTimeouts

if TYPE_CHECKING:
    from psycopg.pq.abc import PGresult


class LoopReads:
    def __init__(self, conninfo: str, timeouts: DatabaseTimeouts) -> None:
        self._conninfo = conninfo
        self._timeouts = timeouts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pipeline: _Pipeline | None = None
        self._connecting: asyncio.Future[_Pipeline] | None = None

    async def fetch_one(self, statement: str, params: tuple[Any, ...],
                        ) -> tuple[Any, ...] | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._connecting = None  # a connect begun on the old loop never ends on this one
            self._loop = loop
        for attempt in (1, 2):
            pipeline = self._pipeline
            fresh = pipeline is None
            try:
                if pipeline is None:
                    pipeline = await self._connect(loop)
                return await pipeline.fetch_one(statement, params, self._timeouts.client_wait)
            except psycopg.errors.QueryCanceled:
                # The server's statement timeout: the connection stays usable.
                raise StorageUnavailable("the database did not answer in time") from None
            except (psycopg.OperationalError, psycopg.InterfaceError, TimeoutError,
                    OSError) as exc:
                if pipeline is not None:
                    self._drop(pipeline, exc)
                stalled = isinstance(exc, TimeoutError)
                if fresh or attempt == 2 or stalled:
                    raise StorageUnavailable("the database did not answer in time" if stalled
                                             else "database unreachable") from None
                # A connection the server had closed: once more, on a fresh one.
        raise AssertionError("unreachable")

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Pipeline:
        """The loop's connection, opened once for all the reads that ask at the same time."""
        if self._connecting is None:
            self._connecting = loop.create_task(self._open(loop))
        connecting = self._connecting
        try:
            return await asyncio.shield(connecting)
        finally:
            if self._connecting is connecting and connecting.done():
                self._connecting = None

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Pipeline:
        connect_args = self._timeouts.postgresql_connect_args()
        async with asyncio.timeout(connect_args["connect_timeout"] + CLIENT_MARGIN):
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, **connect_args)
        pipeline = _Pipeline(connection, loop)
        if self._loop is loop:
            self._pipeline = pipeline
        return pipeline

    def _drop(self, pipeline: _Pipeline, exc: BaseException) -> None:
        pipeline.fail(exc)
        if self._pipeline is pipeline:
            self._pipeline = None

    def close(self) -> None:
        """Close the connection (from any thread, with or without its loop)."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()


class _Pipeline:
    """One connection used straight through libpq (``psycopg.pq``) in pipeline mode: each
    statement prepared once; a read is one ``send_query_prepared``, a turn's reads share one
    sync; the socket is watched by the loop, and each answer completes the oldest read
    waiting. psycopg's adapters turn the parameters into text and the row into Python
    values."""

    def __init__(self, connection: psycopg.AsyncConnection[Any],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.connection = connection
        self.pgconn = connection.pgconn
        self.loop = loop
        self.transformer = Transformer(connection)
        self.prepared: dict[str, bytes] = {}
        self.names = itertools.count()
        # Each read's future and the loop time by which its answer must have come.
        self.waiting: deque[tuple[asyncio.Future[PGresult], float]] = deque()
        # One timer, at the oldest read's deadline (not one per read: issue 16).
        self.watch: asyncio.TimerHandle | None = None
        self.results: list[PGresult] = []
        self.failure: BaseException | None = None
        self.writing = False
        self.syncing = False
        self.closed = False
        self.fd = self.pgconn.socket
        self.pgconn.enter_pipeline_mode()
        loop.add_reader(self.fd, self._readable)

    async def fetch_one(self, statement: str, params: tuple[Any, ...], wait: float,
                        ) -> tuple[Any, ...] | None:
        if self.failure is not None:
            raise self.failure
        tx = self.transformer
        dumped = tx.dump_sequence(params, [PyFormat.TEXT] * len(params))
        # The client's bound (`_deadline`): a silent server fails every read under way with
        # TimeoutError (the caller then closes the connection) instead of waiting for a
        # cancellation. A read aborted because another one of its batch failed (its
        # statement timeout) did not run: it is sent once more, in the next batch.
        for _attempt in (1, 2):
            name = self.prepared.get(statement)
            prepared = None
            if name is None:
                name = f"idp_hot_{next(self.names)}".encode()
                self.pgconn.send_prepare(name, _numbered(statement).encode())
                prepared = self._sent(wait)
                self.prepared[statement] = name  # the reads sent after it come after it
            self.pgconn.send_query_prepared(name, dumped)
            answer = self._sent(wait)
            if prepared is not None and not await self._prepared(statement, prepared):
                await answer  # aborted with its preparation
                continue
            result = await answer
            if result.status != pq.ExecStatus.PIPELINE_ABORTED:
                break
        else:
            raise StorageUnavailable("the database did not answer in time")
        result = self._check(result)
        if result.ntuples == 0:
            return None
        tx.set_pgresult(result)
        row: tuple[Any, ...] = tx.load_row(0, tuple)
        return row

    async def _prepared(self, statement: str, waiter: asyncio.Future[PGresult]) -> bool:
        """Whether `statement` is now prepared; False when its preparation was aborted (its
        name then unused). Any other failure is raised, the statement to prepare again."""
        try:
            done = await waiter
            if done.status != pq.ExecStatus.PIPELINE_ABORTED:
                self._check(done)
                return True
        except BaseException:
            self.prepared.pop(statement, None)
            raise
        self.prepared.pop(statement, None)
        return False

    def _sent(self, wait: float) -> asyncio.Future[PGresult]:
        """The read just queued in libpq waits for its answer. The reads queued in one turn
        of the loop (the requests under way) go to the server together, at its end, under
        one sync: one write and one implicit transaction on each side instead of one per
        read (issue 16)."""
        waiter: asyncio.Future[PGresult] = self.loop.create_future()
        deadline = self.loop.time() + wait
        self.waiting.append((waiter, deadline))
        if self.watch is None:
            self.watch = self.loop.call_at(deadline, self._deadline)
        if not self.syncing:
            self.syncing = True
            self.loop.call_soon(self._sync)
        return waiter

    def _sync(self) -> None:
        self.syncing = False
        if self.closed:
            return
        try:
            self.pgconn.pipeline_sync()
        except Exception as exc:  # the connection failed: every read under way with it
            self.fail(exc)
            return
        self._flush()

    def _deadline(self) -> None:
        """The oldest read still waiting is past its bound: the server is silent. Answers
        come in order, so only the oldest is looked at; the timer then moves to the next."""
        self.watch = None
        if self.waiting:
            deadline = self.waiting[0][1]
            if deadline <= self.loop.time():
                self.fail(TimeoutError("the database did not answer in time"))
            else:
                self.watch = self.loop.call_at(deadline, self._deadline)

    def _flush(self) -> None:
        if self.writing:
            return
        try:
            pending = self.pgconn.flush()
        except Exception as exc:  # the connection failed: every read under way with it
            self.fail(exc)
            return
        if pending:
            self.writing = True
            self.loop.add_writer(self.fd, self._writable)

    def _writable(self) -> None:
        try:
            pending = self.pgconn.flush()
        except Exception as exc:
            self.fail(exc)
            return
        if not pending:
            self.writing = False
            self.loop.remove_writer(self.fd)

    def _readable(self) -> None:
        pgconn = self.pgconn
        try:
            pgconn.consume_input()
            while not pgconn.is_busy():
                result = pgconn.get_result()
                if result is None:
                    if not self.results:
                        break
                    first, self.results = self.results[0], []
                    if self.waiting:
                        waiter = self.waiting.popleft()[0]
                        if not waiter.done():
                            waiter.set_result(first)
                elif result.status != pq.ExecStatus.PIPELINE_SYNC:
                    self.results.append(result)
        except Exception as exc:
            self.fail(exc)

    def _check(self, result: PGresult) -> PGresult:
        if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            raise errors.error_from_result(result, encoding=self.connection.info.encoding)
        return result

    def fail(self, exc: BaseException) -> None:
        """The connection is done for: refuse every read under way with it, close it."""
        if self.failure is None:
            self.failure = (exc if isinstance(exc, (psycopg.Error, TimeoutError))
                            else psycopg.OperationalError("the database connection failed"))
            self.close()
        while self.waiting:
            waiter = self.waiting.popleft()[0]
            if not waiter.done():
                waiter.set_exception(self.failure)

    def close(self) -> None:
        if self.failure is None:
            self.failure = psycopg.OperationalError("the database connection was closed")
        if not self.closed:
            self.closed = True
            try:
                self.loop.remove_reader(self.fd)
                if self.writing:
                    self.loop.remove_writer(self.fd)
                if self.watch is not None:
                    self.watch.cancel()
            except RuntimeError:
                pass  # the loop is closed already
            self.pgconn.finish()


def _numbered(statement: str) -> str:
    """A statement in psycopg's parameter style (``%s``) in PostgreSQL's own (``$1``)."""
    first, *rest = statement.split("%s")
    numbered = first + "".join(f"${n}{part}" for n, part in enumerate(rest, 1))
    if "%" in numbered:
        raise ValueError("only %s placeholders are supported here")
    return numbered
