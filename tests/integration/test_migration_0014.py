"""Migration 0014 (the registry of FIs) on SQLite and PostgreSQL: existing clients keep their
rows and everything that refers to them, may use every FI (NULL allow list), and the version
row is there; the downgrade gives the previous schema back without touching those rows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0013"  # the revision 0014 follows


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
        assert c.execute(text("SELECT allowed_providers FROM clients")).scalar_one() is None
        assert c.execute(text("SELECT id, version FROM federation_version")).one() == (1, 0)
    command.downgrade(alembic_config(url), PREVIOUS)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM consents")).scalar_one() == 1
    tables = inspect(engine).get_table_names()
    assert "identity_providers" not in tables and "federation_version" not in tables
    assert "allowed_providers" not in {col["name"] for col in inspect(engine).get_columns(
        "clients")}
    engine.dispose()
    upgrade(url)  # and up again


def test_migration_0011_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
