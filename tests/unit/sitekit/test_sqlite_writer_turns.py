"""The threads of one process take turns at a SQLite file's writer (sitekit/storage/
sqlite_writer.py): they wait on a lock, not in SQLite's sleep-polling busy handler."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from sitekit.storage.database import Database
from sitekit.storage.errors import StorageUnavailable
from sitekit.storage.timeouts import DatabaseTimeouts


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/turns.sqlite3",
                        timeouts=DatabaseTimeouts(statement=1.0))
    with database.transaction() as s:
        s.execute(text("CREATE TABLE t (n INTEGER)"))
    yield database
    database.dispose()


def no_busy_handler(db: Database) -> None:
    """SQLite's busy handler off: a thread that met another's write lock in SQLite itself
    would fail at once with "database is locked"."""
    def _off(connection: sqlite3.Connection, _record: object) -> None:
        connection.execute("PRAGMA busy_timeout=0")
    event.listen(db.engine, "connect", _off)
    db.engine.dispose()  # connections opened earlier had the handler


def write(db: Database, n: int, hold: float = 0.0) -> None:
    with db.transaction() as s:
        s.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        time.sleep(hold)


def rows(db: Database) -> int:
    with db.read() as s:
        return int(s.execute(text("SELECT count(*) FROM t")).scalar_one())


def test_writers_of_one_process_wait_their_turn_instead_of_meeting_the_lock(db) -> None:  # type: ignore[no-untyped-def]
    no_busy_handler(db)
    errors: list[BaseException] = []

    def writer(first: int) -> None:
        try:
            for n in range(first, first + 20):
                write(db, n, hold=0.001)
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i * 100,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert rows(db) == 160


def test_a_writer_waits_at_most_the_statement_timeout_then_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    holding, done = threading.Event(), threading.Event()

    def long_writer() -> None:
        with db.transaction() as s:
            s.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            done.wait(10)

    thread = threading.Thread(target=long_writer)
    thread.start()
    assert holding.wait(10)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="database is locked"):
        write(db, 2)
    waited = time.monotonic() - started
    done.set()
    thread.join()
    assert 0.9 <= waited < 3.0
    # Nothing was left held: the refused thread and the others write again at once.
    write(db, 3)
    assert rows(db) == 2
    assert db.pool_status()[0] == 0


def test_work_before_the_first_statement_does_not_hold_the_turn(db) -> None:  # type: ignore[no-untyped-def]
    """A password hashed inside ``transaction()`` before its first statement: the other
    threads write meanwhile."""
    no_busy_handler(db)
    inside, others_done = threading.Event(), threading.Event()

    def slow_then_write() -> None:
        with db.transaction() as s:
            inside.set()
            assert others_done.wait(10)
            s.execute(text("INSERT INTO t VALUES (1)"))

    thread = threading.Thread(target=slow_then_write)
    thread.start()
    assert inside.wait(10)
    write(db, 2)
    others_done.set()
    thread.join()
    assert rows(db) == 2


def test_a_transaction_nested_before_the_outer_one_wrote_still_works(db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as outer:
        write(db, 1)
        outer.execute(text("INSERT INTO t VALUES (2)"))
    assert rows(db) == 2
    write(db, 3)  # the turn was given back
    assert rows(db) == 3


def test_a_failed_transaction_gives_the_turn_back(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), db.transaction() as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("half-way")
    finished = threading.Event()
    thread = threading.Thread(target=lambda: (write(db, 2), finished.set()))
    thread.start()
    assert finished.wait(5)
    thread.join()
    assert rows(db) == 1
