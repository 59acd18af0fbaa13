"""PostgreSQL connections are pinged only after being idle (sitekit/storage/database.py):
no round trip before each transaction under load, and a connection that died while idle is
still replaced before a request gets it. Always on PostgreSQL (SQLite has no connection to
lose), whichever backend the run is for."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from sitekit.storage import database as database_module
from sitekit.storage.database import Database
from tests.conftest import new_pg_database


@pytest.fixture
def pinged() -> Iterator[tuple[Database, list[int]]]:
    with new_pg_database("idp_ping") as url:
        db = Database(url, pool_size=1)
        pings: list[int] = []
        dialect = db.engine.dialect
        real_ping = dialect.do_ping

        def counted(dbapi_connection):  # type: ignore[no-untyped-def]
            pings.append(1)
            return real_ping(dbapi_connection)

        dialect.do_ping = counted  # type: ignore[method-assign]  # SQLAlchemy's, counted
        try:
            yield db, pings
        finally:
            db.dispose()


def _backend_pid(db: Database) -> int:
    with db.transaction() as s:
        return int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_back_within_the_second_is_not_pinged(pinged, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, pings = pinged
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 30.0)
    _backend_pid(db)
    first = len(pings)  # a new connection is pinged once
    for _ in range(20):
        _backend_pid(db)
    assert len(pings) == first


def test_an_idle_connection_is_pinged_and_replaced_when_it_died(pinged, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, pings = pinged
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.05)
    before = _backend_pid(db)
    # The server ends that connection while it waits in the pool (a restart, a cut).
    with new_pg_database("idp_ping_admin") as admin_url:
        admin = Database(admin_url, pool_size=1)
        try:
            with admin.transaction() as s:
                s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before})
        finally:
            admin.dispose()
    time.sleep(0.1)
    count = len(pings)
    after = _backend_pid(db)  # no error: the failed ping made the pool replace it
    assert after != before
    assert len(pings) >= count + 1
