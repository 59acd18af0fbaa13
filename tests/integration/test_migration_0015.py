"""Migration 0015 (the citizens' side) on SQLite and PostgreSQL: existing accounts stay usable
(not pending) with new-device alerts on, and keep what refers to them; the downgrade gives the
previous schema back without touching those rows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0014"  # the revision 0015 follows


def _roundtrip(url: str) -> None:
    from alembic import command

    upgrade(url, PREVIOUS)
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO clients (client_id, name, token_endpoint_auth_method, redirect_uris, "
            "post_logout_redirect_uris, grant_types, scope, audience, "
            "id_token_signed_response_alg, subject_type, created_at, updated_at) VALUES "
            "('apa', 'APA', 'none', '[]', '[]', '[]', 'openid', '[]', 'RS256', 'public', 0, 0)"))
        c.execute(text("INSERT INTO accounts (subject, username, password_hash, population, "
                       "email_verified, groups, disabled, created_at) VALUES "
                       "('s', 'u', 'h', 'portal', false, '[]', false, 0)"))
        c.execute(text("INSERT INTO consents (account_id, client_id, scope, granted_at) "
                       "SELECT id, 'apa', 'openid', 0 FROM accounts"))
    upgrade(url)
    with engine.connect() as c:
        assert c.execute(text("SELECT pending_until, new_device_alerts, terms_accepted_at "
                              "FROM accounts")).one() == (None, True, None)
        assert c.execute(text("SELECT count(*) FROM email_links")).scalar_one() == 0
    command.downgrade(alembic_config(url), PREVIOUS)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM consents")).scalar_one() == 1
    tables = inspect(engine).get_table_names()
    assert "email_links" not in tables and "blocked_addresses" not in tables
    assert "pending_until" not in {col["name"] for col in inspect(engine).get_columns(
        "accounts")}
    engine.dispose()
    upgrade(url)  # and up again


def test_migration_0015_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
