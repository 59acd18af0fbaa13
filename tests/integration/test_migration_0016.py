"""Migration 0016 (used human-check challenges) on SQLite and PostgreSQL: the table comes and
goes without touching the accounts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0015"  # the revision 0016 follows


def _roundtrip(url: str) -> None:
    from alembic import command

    upgrade(url, PREVIOUS)
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO accounts (subject, username, password_hash, population, "
                       "email_verified, groups, disabled, created_at, new_device_alerts) "
                       "VALUES ('s', 'u', 'h', 'citizen', false, '[]', false, 0, true)"))
    upgrade(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO used_challenges (signature, expires_at) VALUES ('ab', 5)"))
        assert c.execute(text("SELECT count(*) FROM used_challenges")).scalar_one() == 1
    command.downgrade(alembic_config(url), PREVIOUS)
    assert "used_challenges" not in inspect(engine).get_table_names()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM accounts")).scalar_one() == 1
    engine.dispose()
    upgrade(url)  # and up again


def test_migration_0016_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
