"""Engine and transactions, built from Settings. No engine exists at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from idp.storage.errors import StorageUnavailable


class Database:
    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = _make_engine(url, pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = self.engine.execution_options(idp_read_only=True)
        # Hot single-row reads: autocommit (no BEGIN/ROLLBACK round trips), no pre-ping.
        self._hot_engine = self.engine if self.is_sqlite else create_engine(
            url, isolation_level="AUTOCOMMIT", pool_size=pool_size, max_overflow=20,
            pool_pre_ping=False, pool_recycle=600, hide_parameters=True)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        try:
            with self._sessions.begin() as session:
                yield session
        except (OperationalError, InterfaceError) as exc:
            raise StorageUnavailable(str(exc.orig or exc)[:200]) from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (on SQLite, it does not take the write lock)."""
        try:
            with self._read_sessions.begin() as session:
                yield session
        except (OperationalError, InterfaceError) as exc:
            raise StorageUnavailable(str(exc.orig or exc)[:200]) from exc

    def fetch_one(self, sql: dict[str, str], params: tuple) -> tuple | None:
        """One row of a single indexed read on a hot path, through a pooled DB-API
        connection, without ORM or transaction bookkeeping. ``sql`` maps a dialect name
        ("sqlite", "postgresql") to its statement in that driver's parameter style."""
        statement = sql[self.engine.dialect.name]
        for attempt in (1, 2):
            connection = self._hot_engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(statement, params)
                row = cursor.fetchone()
                cursor.close()
                return row  # type: ignore[no-any-return]
            except self._hot_engine.dialect.loaded_dbapi.OperationalError:
                # A pooled connection the server closed (restart, idle timeout): drop it
                # and try once more on a fresh one.
                connection.invalidate()
                if attempt == 2:
                    raise StorageUnavailable("database unreachable") from None
            finally:
                connection.close()
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()
        self._hot_engine.dispose()


def _make_engine(url: str, pool_size: int) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside one writer; several hub processes share the file.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # Let SQLAlchemy, not pysqlite, emit BEGIN (SQLAlchemy's documented recipe).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):  # type: ignore[no-untyped-def]
            # Take the write lock at BEGIN so concurrent writers queue instead of failing
            # with "database is locked" when a read transaction upgrades to a write.
            read_only = conn.get_execution_options().get("idp_read_only", False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # Statement parameters (hashes, sealed secrets, messages) stay out of logs and errors.
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True,
                         hide_parameters=True)
