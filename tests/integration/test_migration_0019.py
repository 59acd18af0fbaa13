"""Migration 0019 (indexes of the history and authorized applications) on SQLite and
PostgreSQL: the indexes are there after the upgrade, gone after the downgrade, and the rows
they index are untouched both ways."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0018"  # the revision 0019 follows
INDEXES = {"audit_events": "ix_audit_events_account_event_at", "grants": "ix_grants_account_id",
           "session_clients": "ix_session_clients_account_id"}


def _indexes(engine) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    found = inspect(engine)
    return {table: {i["name"] for i in found.get_indexes(table)} for table in INDEXES}


def _roundtrip(url: str) -> None:
    from alembic import command

    upgrade(url, PREVIOUS)
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO audit_events (at, event, account_id, detail) VALUES "
                       "(1, 'login.success', 7, '{}')"))
    upgrade(url, "0019")
    assert all(INDEXES[t] in names for t, names in _indexes(engine).items())
    with engine.connect() as c:
        assert c.execute(text("SELECT event FROM audit_events WHERE account_id = 7")
                         ).scalar_one() == "login.success"
    command.downgrade(alembic_config(url), PREVIOUS)
    assert not any(INDEXES[t] in names for t, names in _indexes(engine).items())
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 1
    engine.dispose()
    upgrade(url, "0019")  # and up again


def test_migration_0019_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
