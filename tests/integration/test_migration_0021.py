"""Migration 0021 (the audit chain) on SQLite and PostgreSQL: events written before keep their
values and stay without chain columns (`idp audit verify` counts them as not chained), the
checkpoints table is created; the downgrade gives the previous schema back without touching
the events."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0020"  # the revision 0021 follows


def _roundtrip(url: str) -> None:
    from alembic import command

    upgrade(url, PREVIOUS)
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO audit_events (at, event, account_id, detail) VALUES "
                       "(1700000000, 'login.succeeded', 7, '{\"acr\": \"eidas1\"}')"))
    upgrade(url, "0021")
    with engine.connect() as c:
        assert c.execute(text(
            "SELECT at, event, account_id, stream, seq, prev, chain FROM audit_events")).one(
        ) == (1700000000, "login.succeeded", 7, None, None, None, None)
        assert c.execute(text("SELECT count(*) FROM audit_checkpoints")).scalar_one() == 0
    indexes = {i["name"] for i in inspect(engine).get_indexes("audit_events")}
    assert "ix_audit_events_stream_seq" in indexes
    command.downgrade(alembic_config(url), PREVIOUS)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 1
    assert "audit_checkpoints" not in inspect(engine).get_table_names()
    assert "chain" not in {col["name"] for col in inspect(engine).get_columns("audit_events")}
    engine.dispose()
    upgrade(url, "0021")  # and up again


def test_migration_0021_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
