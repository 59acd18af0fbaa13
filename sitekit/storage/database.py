"""Engine and transactions, built from Settings. No engine exists at import time."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from sitekit.storage.errors import StorageUnavailable
from sitekit.storage.loop_reads import LoopReads
from sitekit.storage.sqlite_writer import WriterTurns
from sitekit.storage.timeouts import (
    DatabaseTimeouts,
    bounded_connection_class,
    refuse_reconnect_after_stall,
)

if TYPE_CHECKING:
    from types import TracebackType

    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.pool import ConnectionPoolEntry

UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
T = TypeVar("T")

# Set while a request runs on the event loop itself (issue 16): only `fetch_one` on a SQLite
# file may then answer, at once; anything else raises WouldBlock.
_ON_EVENT_LOOP: ContextVar[bool] = ContextVar("on_event_loop", default=False)
# The rows this run of a request has read already on PostgreSQL's event-loop path
# (``Database.run_on_event_loop``), by (statement, parameters): this request's only.
_ANSWERS: ContextVar[dict[tuple[str, tuple[Any, ...]], tuple[Any, ...] | None] | None] = (
    ContextVar("loop_answers", default=None))
# How many reads one request may do on PostgreSQL's event-loop path (a run per read, then
# one with every answer) before it goes to the thread pool.
MAX_LOOP_READS = 3


class WouldBlock(Exception):
    """Raised under ``on_event_loop()`` by whatever database access could wait (a pool, the
    network, a lock): the caller runs the whole request again in the thread pool."""


class NeedsRead(WouldBlock):
    """Raised by ``fetch_one`` on PostgreSQL under ``Database.run_on_event_loop``: the read
    is done asynchronously, then the request runs again with its answer. The parameters
    stay out of the message (they may be secrets)."""

    def __init__(self, statement: str, params: tuple[Any, ...]) -> None:
        super().__init__("a read to do on the event loop")
        self.statement = statement
        self.params = params


@contextmanager
def on_event_loop(answers: dict[tuple[str, tuple[Any, ...]], tuple[Any, ...] | None]
                  | None = None) -> Iterator[None]:
    """Run a request's database reads on the event loop where that cannot block it (see
    ``Database.fetch_one``); any other access raises ``WouldBlock``. The request must have
    done nothing that a second run would repeat (no write, no audit event) before its
    reads."""
    token = _ON_EVENT_LOOP.set(True)
    answers_token = _ANSWERS.set(answers)
    try:
        yield
    finally:
        _ANSWERS.reset(answers_token)
        _ON_EVENT_LOOP.reset(token)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10,
                 timeouts: DatabaseTimeouts | None = None, threads: int = 0) -> None:
        """`pool_size`: connections each PostgreSQL pool keeps. `threads`: how many threads
        may use the database at once; a SQLite file keeps a connection for each (it holds
        no server resource, and one opened past the pool and closed after each use cost
        its PRAGMAs every time: 1-2 % of a worker under a page load, py-spy)."""
        self.url = url
        self.timeouts = timeouts or DatabaseTimeouts()
        # A SQLite file (not in memory, not a URI with options): its own readers see the
        # pool's commits, and this process's threads take turns at its writer
        # (sqlite_writer.py).
        parsed = make_url(url)
        path = parsed.database if parsed.get_backend_name() == "sqlite" and not parsed.query \
            else None
        self._sqlite_file = path if path and path != ":memory:" else None
        self._writer_turns = (WriterTurns(self.timeouts.sqlite_busy_ms / 1000)
                              if self._sqlite_file else None)
        self.engine = _make_engine(url, pool_size, self.timeouts, self._writer_turns, threads)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(idp_read_only=True)
        # Hot single-row reads: autocommit (no BEGIN/ROLLBACK round trips), no pre-ping.
        self._hot_engine = self.engine if self.is_sqlite else _postgresql_engine(
            url, self.timeouts, isolation_level="AUTOCOMMIT", pool_size=pool_size,
            max_overflow=20, pool_pre_ping=False, pool_recycle=600, hide_parameters=True)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        self._loop_readers = threading.local()
        self._loop_connections: list[sqlite3.Connection] = []
        self._loop_lock = threading.Lock()
        # PostgreSQL: the hot reads of requests run on the event loop, asynchronously.
        self._loop_reads = None if self.is_sqlite else LoopReads(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
            self.timeouts)

    def pool_status(self) -> tuple[int, int]:
        """(connections checked out, pool size) over this process's pools, for the metrics;
        cheap (no I/O). A pool kind without these counts (SQLite in memory) gives 0."""
        out = size = 0
        for engine in {id(e): e for e in (self.engine, self._hot_engine)}.values():
            pool: Any = engine.pool
            out += int(pool.checkedout()) if hasattr(pool, "checkedout") else 0
            size += int(pool.size()) if hasattr(pool, "size") else 0
        return out, size

    @property
    def reads_on_event_loop(self) -> bool:
        """Whether ``fetch_one`` can answer under ``run_on_event_loop`` (a SQLite file, at
        once; PostgreSQL, asynchronously)."""
        return self._sqlite_file is not None or self._loop_reads is not None

    async def run_on_event_loop(
            self, function: Callable[..., T], *args: Any,
            prefetch: Callable[[], Sequence[tuple[dict[str, str], tuple[Any, ...]]]] | None
            = None) -> T:
        """``function(*args)`` on the event loop, under ``on_event_loop()``. On PostgreSQL,
        each ``fetch_one`` it asks for is read asynchronously and the function runs again,
        that answer at hand (``MAX_LOOP_READS`` reads at most). Raises ``WouldBlock`` when
        it cannot be answered so (the caller then uses the thread pool); the function must
        allow that many runs (nothing written, no event recorded before its reads).
        ``prefetch``: on PostgreSQL, the ``fetch_one`` reads (``sql``, ``params``) the
        function is known to ask for, read first so that it runs once (a read it does not
        ask for is only wasted)."""
        answers: dict[tuple[str, tuple[Any, ...]], tuple[Any, ...] | None] = {}
        if prefetch is not None and self._loop_reads is not None:
            for sql, params in prefetch():
                statement = sql[self.engine.dialect.name]
                answers[statement, params] = await self._loop_reads.fetch_one(statement, params)
        for _ in range(MAX_LOOP_READS):
            try:
                with on_event_loop(answers):
                    return function(*args)
            except NeedsRead as need:
                if self._loop_reads is None:
                    raise WouldBlock from None
                answers[need.statement, need.params] = await self._loop_reads.fetch_one(
                    need.statement, need.params)
        with on_event_loop(answers):
            return function(*args)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        turns = self._writer_turns
        if turns is not None:
            turns.enter()
        try:
            with self._sessions.begin() as session:
                yield session
        except UNAVAILABLE as exc:
            raise StorageUnavailable(_reason(exc)) from exc
        finally:
            if turns is not None:
                turns.exit()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (on SQLite, it does not take the write lock)."""
        if _ON_EVENT_LOOP.get():
            raise WouldBlock
        try:
            with self._read_sessions.begin() as session:
                yield session
        except UNAVAILABLE as exc:
            raise StorageUnavailable(_reason(exc)) from exc

    def transaction_on_first_use(self) -> LazyTransaction:
        """A unit of work begun only if something asks for its session (see LazyTransaction)."""
        return LazyTransaction(self)

    def fetch_one(self, sql: dict[str, str], params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """One row of a single indexed read on a hot path, through a pooled DB-API
        connection, without ORM or transaction bookkeeping. ``sql`` maps a dialect name
        ("sqlite", "postgresql") to its statement in that driver's parameter style.

        Under ``on_event_loop()``, a SQLite file is read at once on a connection of the
        calling thread's own, which never waits (WAL readers take no lock; a busy database
        raises WouldBlock instead). PostgreSQL (a network round trip) answers from the rows
        ``run_on_event_loop`` read for this request, or raises NeedsRead for it to read
        (WouldBlock under a bare ``on_event_loop()``)."""
        statement = sql[self.engine.dialect.name]
        if _ON_EVENT_LOOP.get():
            return self._fetch_one_now(statement, params)
        dbapi = self._hot_engine.dialect.loaded_dbapi
        for attempt in (1, 2):
            try:
                # The pool hands the driver's own exception up when connecting fails.
                connection = self._hot_engine.raw_connection()
            except (*UNAVAILABLE, dbapi.OperationalError, dbapi.InterfaceError) as exc:
                raise StorageUnavailable(_reason(exc)) from exc
            try:
                cursor = connection.cursor()
                cursor.execute(statement, params)
                row = cursor.fetchone()
                cursor.close()
                return row
            except (dbapi.OperationalError, dbapi.InterfaceError):
                # A pooled connection the server closed (restart, idle timeout): drop it
                # and try once more on a fresh one.
                connection.invalidate()
                if attempt == 2:
                    raise StorageUnavailable("database unreachable") from None
            finally:
                connection.close()
        raise AssertionError("unreachable")

    def _fetch_one_now(self, statement: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if self._sqlite_file is None:
            answers = _ANSWERS.get()
            if answers is None or self._loop_reads is None:
                raise WouldBlock
            key = (statement, params)
            try:
                return answers[key]
            except KeyError:
                raise NeedsRead(statement, params) from None
            except TypeError:  # parameters that cannot be a key
                raise WouldBlock from None
        try:
            connection = getattr(self._loop_readers, "connection", None)
            if connection is None:
                connection = self._open_loop_reader(self._sqlite_file)
            cursor = connection.execute(statement, params)
            try:
                row: tuple[Any, ...] | None = cursor.fetchone()
            finally:
                cursor.close()  # ends the statement, so no read snapshot stays open
        except sqlite3.Error:
            raise WouldBlock from None  # busy, or worse: the thread pool's path decides
        return row

    def _open_loop_reader(self, path: str) -> sqlite3.Connection:
        # Autocommit, read-only, no busy wait: a lock held elsewhere is WouldBlock at once.
        connection = sqlite3.connect(path, timeout=0, isolation_level=None,
                                     check_same_thread=False)
        connection.execute("PRAGMA query_only=ON")
        with self._loop_lock:
            self._loop_connections.append(connection)
        self._loop_readers.connection = connection
        return connection

    def is_ready(self) -> bool:
        """Whether the database answers a trivial query now, within the timeouts."""
        try:
            with self.read() as s:
                s.execute(text("SELECT 1"))
        except StorageUnavailable:
            return False
        return True

    def dispose(self) -> None:
        with self._loop_lock:
            for connection in self._loop_connections:
                connection.close()
            self._loop_connections.clear()
        self._loop_readers = threading.local()
        if self._loop_reads is not None:
            self._loop_reads.close()
        self.engine.dispose()
        self._hot_engine.dispose()


class LazyTransaction:
    """One transaction for a whole request, begun on the first ``session()`` call.

    Used as a context manager around the request: commits on success, rolls back on any
    exception (as ``Database.transaction``); a request that never asked for the session did
    no I/O at all.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._context: AbstractContextManager[Session] | None = None
        self._session: Session | None = None

    def session(self) -> Session:
        if self._session is None:
            self._context = self._db.transaction()
            self._session = self._context.__enter__()
        return self._session

    def __enter__(self) -> LazyTransaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> bool | None:
        if self._context is None:
            return None
        return self._context.__exit__(exc_type, exc, traceback)


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc)[:200]


# A pooled connection unused this long is pinged before it is handed out (see below).
PING_AFTER_IDLE_SECONDS = 1.0


def _postgresql_engine(url: str, timeouts: DatabaseTimeouts, ping_when_idle: bool = False,
                       **options: Any) -> Engine:
    engine = create_engine(url, pool_timeout=timeouts.pool,
                           connect_args=timeouts.postgresql_connect_args(), **options)
    connection_class = bounded_connection_class(timeouts.client_wait)

    if ping_when_idle:
        # SQLAlchemy's pool_pre_ping costs a round trip (";") before every transaction, 12
        # of a login. A connection back in the pool less than a second ago was working
        # then: only one idle longer (through a restart or a cut, say) is pinged; a failed
        # ping makes the pool replace it (DisconnectionError), as pre_ping would. One used
        # within the second before a cut fails its request instead (503), and SQLAlchemy
        # then replaces every connection of the pool.
        @event.listens_for(engine, "checkin")
        def _note_idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            record.info["idle_since"] = time.monotonic()

        @event.listens_for(engine, "checkout")
        def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry,
                          _proxy: Any) -> None:
            idle_since = record.info.get("idle_since")
            if idle_since is not None and \
                    time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
                return
            try:
                engine.dialect.do_ping(dbapi_connection)
            except engine.dialect.loaded_dbapi.Error as exc:
                raise DisconnectionError(str(exc)) from exc

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Dialect, conn_rec: ConnectionPoolEntry, cargs: list[Any],
                 cparams: dict[str, Any]) -> Any:
        refuse_reconnect_after_stall()
        return connection_class.connect(*cargs, **cparams)

    return engine


def _make_engine(url: str, pool_size: int, timeouts: DatabaseTimeouts,
                 writer_turns: WriterTurns | None, threads: int = 0) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = timeouts.sqlite_busy_ms
        pooled: dict[str, Any] = {"pool_timeout": timeouts.pool, "pool_size": max(5, threads)
                                  } if path and path != ":memory:" else {}
        engine = create_engine(url, connect_args={
            "timeout": busy_ms / 1000, "check_same_thread": False},
            hide_parameters=True, **pooled)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: sqlite3.Connection,
                            _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside one writer; several hub processes share the file.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # How long a writer waits for another's write lock before "database is locked".
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()
            # Let SQLAlchemy, not pysqlite, emit BEGIN (SQLAlchemy's documented recipe).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Connection) -> None:
            # Take the write lock at BEGIN so concurrent writers queue instead of failing
            # with "database is locked" when a read transaction upgrades to a write.
            read_only = conn.get_execution_options().get("idp_read_only", False)
            if writer_turns is not None and not read_only:
                writer_turns.before_begin()
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # Statement parameters (hashes, sealed secrets, messages) stay out of logs and errors.
    return _postgresql_engine(url, timeouts, pool_size=pool_size, max_overflow=20,
                              ping_when_idle=True, hide_parameters=True)


# Statements as each driver takes them, by (paramstyle, statement written with "?").
_DRIVER_SQL: dict[tuple[str, str], str] = {}


def execute_sql(s: Session, sql: str, params: Sequence[Any] = ()) -> CursorResult[Any]:
    """One statement in the transaction of `s`, handed to the driver as written: no
    compilation, no ORM. In a transaction here, an UPDATE of one row costs ~17 µs of CPU so,
    ~140 µs as a Core statement and ~370 µs as an ORM one (bench/README.md, 2026-11-28).
    `sql` is plain SQL that both SQLite and PostgreSQL accept, with `?` placeholders and no
    `%`; JSON values go as text (``json.dumps``). Errors are SQLAlchemy's, as for
    ``s.execute``. The ORM's objects already loaded in `s` do not see what it changes."""
    connection = s.connection()
    style = connection.dialect.paramstyle
    statement = _DRIVER_SQL.get((style, sql))
    if statement is None:
        statement = _DRIVER_SQL[style, sql] = sql if style == "qmark" else sql.replace("?", "%s")
    return connection.exec_driver_sql(statement, tuple(params))


def json_column(value: Any) -> Any:
    """A JSON column's value as a plain read gets it: text from SQLite, already decoded by
    psycopg from PostgreSQL."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched: SQLAlchemy returns its CursorResult typed as the
    base Result, which has no rowcount."""
    return cast("CursorResult[Any]", result).rowcount
