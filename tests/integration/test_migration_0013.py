"""Migration 0013 (pivot identity, federation links, stored pairwise subjects) keeps the
accounts there, enforces one identity per account, and goes back down, on SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from idp.storage.migrate import MIGRATIONS, upgrade
from sitekit.storage.database import Database
from sitekit.storage.migrate import alembic_config
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

ACCOUNT = ("INSERT INTO accounts (subject, username, password_hash, population, email_verified,"
           " groups, disabled, created_at) VALUES (:s, :u, 'x', 'citizen', false, '[]', false, 0)")


def _round_trip(url: str) -> None:
    upgrade(url, "0012")
    db = Database(url)  # the hub's engine: SQLite enforces foreign keys there
    engine = db.engine
    with engine.begin() as c:
        c.execute(text(ACCOUNT), {"s": "subject-1", "u": "before"})
    upgrade(url, "0013")
    with engine.begin() as c:
        assert c.execute(text("SELECT username, identity_hash, birthdate FROM accounts"
                              )).all() == [("before", None, None)]
        c.execute(text(ACCOUNT), {"s": "subject-2", "u": "second"})
        c.execute(text("UPDATE accounts SET identity_hash = 'h', given_name = :n"
                       " WHERE username = 'before'"), {"n": "A" * 256})
        c.execute(text("INSERT INTO subjects (account_id, sector, sub) SELECT id, 'apa', 's1'"
                       " FROM accounts WHERE username = 'before'"))
        c.execute(text("INSERT INTO federation_links (provider_id, provider_sub, account_id,"
                       " first_used_at, last_used_at) SELECT 'impots', 'x', id, 0, 0"
                       " FROM accounts WHERE username = 'before'"))
    for statement in (
            "UPDATE accounts SET identity_hash = 'h' WHERE username = 'second'",
            "INSERT INTO subjects (account_id, sector, sub) SELECT id, 'apa', 's1'"
            " FROM accounts WHERE username = 'second'",
            "INSERT INTO federation_links (provider_id, provider_sub, account_id, first_used_at,"
            " last_used_at) SELECT 'impots', 'x', id, 0, 0 FROM accounts"
            " WHERE username = 'second'"):
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text(statement))
    with engine.begin() as c:  # deleting the account deletes its links and subjects
        c.execute(text("DELETE FROM accounts WHERE username = 'before'"))
        assert c.execute(text("SELECT count(*) FROM subjects")).scalar() == 0
        assert c.execute(text("SELECT count(*) FROM federation_links")).scalar() == 0
    command.downgrade(alembic_config(url, MIGRATIONS), "0012")
    tables = inspect(engine).get_table_names()
    assert "subjects" not in tables and "federation_links" not in tables
    assert "identity_hash" not in {c["name"] for c in inspect(engine).get_columns("accounts")}
    db.dispose()


def test_migration_0012_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _round_trip(url)
    else:
        _round_trip(f"sqlite:///{tmp_path}/old.sqlite3")
