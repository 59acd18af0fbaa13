"""Migration 0017 (known devices) on SQLite and PostgreSQL: a new table only, the accounts
untouched; its rows go with their account (ON DELETE CASCADE); the downgrade drops it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0016"  # the revision 0017 follows


def _roundtrip(url: str) -> None:
    from alembic import command

    upgrade(url, PREVIOUS)
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO accounts (subject, username, password_hash, population, "
                       "email_verified, groups, disabled, created_at, new_device_alerts) "
                       "VALUES ('s', 'u', 'h', 'citizen', true, '[]', false, 0, true)"))
    upgrade(url, "0017")
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.execute(text("PRAGMA foreign_keys=ON"))
        c.execute(text("INSERT INTO known_devices (account_id, device_hash, first_seen_at, "
                       "last_seen_at) SELECT id, 'h', 1, 2 FROM accounts"))
        assert c.execute(text("SELECT count(*) FROM known_devices")).scalar_one() == 1
        c.execute(text("DELETE FROM accounts"))
        assert c.execute(text("SELECT count(*) FROM known_devices")).scalar_one() == 0
    command.downgrade(alembic_config(url), PREVIOUS)
    assert "known_devices" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(url, "0017")  # and up again


def test_migration_0017_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
