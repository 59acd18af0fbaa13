"""Migration 0010 removes the identifiers typed at failed logins that earlier versions kept
in clear (issue 10, finding 5), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, text

from idp.storage.migrate import upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

TYPED = "Mon-Mot-De-Passe-2026!"


def _scrubbed(url: str) -> None:
    upgrade(url, "0006")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO login_throttle (key, failures, window_start, locked_until) "
                       "VALUES (:a, 5, 0, 99), ('address:192.0.2.1', 5, 0, 99)"),
                  {"a": "account:" + TYPED.lower()})
        for event, detail in (("login.failure", {"username": TYPED}),
                              ("login.locked", {"username": TYPED}),
                              ("login.success", {"amr": "pwd"})):
            c.execute(text("INSERT INTO audit_events (at, event, detail) VALUES (0, :e, :d)"),
                      {"e": event, "d": json.dumps(detail)})
    upgrade(url)
    with engine.connect() as c:
        keys = list(c.execute(text("SELECT key FROM login_throttle")).scalars())
        details = [json.loads(d) if isinstance(d, str) else d for d in c.execute(
            text("SELECT detail FROM audit_events ORDER BY id")).scalars()]
    engine.dispose()
    assert keys == ["address:192.0.2.1"]
    assert details == [{"identifier": "removed"}, {"identifier": "removed"}, {"amr": "pwd"}]


def test_migration_removes_identifiers_kept_in_clear(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _scrubbed(url)
    else:
        _scrubbed(f"sqlite:///{tmp_path}/old.sqlite3")
