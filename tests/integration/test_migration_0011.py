"""Migration 0011 adds the clients' signed-answer settings (RFC 9701 §6, OIDC Core §5.3.2),
empty for the clients already registered (they keep JSON answers), on SQLite and PostgreSQL,
and is reversible."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

COLUMNS = {"introspection_signed_response_alg", "userinfo_signed_response_alg"}


def _columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("clients")}
    finally:
        engine.dispose()


def _migrated(url: str) -> None:
    upgrade(url, "0010")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO clients (client_id, name, token_endpoint_auth_method, redirect_uris, "
            "post_logout_redirect_uris, grant_types, scope, audience, "
            "id_token_signed_response_alg, subject_type, created_at, updated_at) VALUES "
            "('old', 'Old', 'client_secret_basic', '[]', '[]', '[]', 'openid', '[]', 'RS256', "
            "'public', 0, 0)"))
    upgrade(url, "0011")
    assert _columns(url) >= COLUMNS
    with engine.connect() as c:
        row = c.execute(text("SELECT introspection_signed_response_alg, "
                             "userinfo_signed_response_alg FROM clients")).one()
    assert tuple(row) == (None, None)
    command.downgrade(alembic_config(url), "0010")
    assert not COLUMNS & _columns(url)
    with engine.connect() as c:
        assert c.execute(text("SELECT client_id FROM clients")).scalar_one() == "old"
    engine.dispose()


def test_migration_adds_the_signed_answer_settings(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _migrated(url)
    else:
        _migrated(f"sqlite:///{tmp_path}/old.sqlite3")
