"""Migration 0018 (where account events go) on SQLite and PostgreSQL: existing clients are not
told (NULL) and keep what refers to them; the downgrade gives the previous schema back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0017"  # the revision 0018 follows


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
    upgrade(url, "0018")
    with engine.connect() as c:
        assert c.execute(text("SELECT account_events_uri FROM clients")).one() == (None,)
    command.downgrade(alembic_config(url), PREVIOUS)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM consents")).scalar_one() == 1
    assert "account_events_uri" not in {col["name"] for col in inspect(engine).get_columns(
        "clients")}
    engine.dispose()
    upgrade(url)  # and up again


def test_migration_0018_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
