"""Migration 0020 (dynamic client registration) on SQLite and PostgreSQL: existing clients
stay the operator's (no owner, no registration policy), the version row starts at 0; the
downgrade gives the previous schema back without touching the clients."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from idp.storage.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

PREVIOUS = "0019"  # the revision 0020 follows


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
    upgrade(url, "0020")
    with engine.connect() as c:
        assert c.execute(text(
            "SELECT owner_client_id, registration_token_hash, registration_scope, "
            "registration_audiences, registration_max_secret_days FROM clients")).one() == (
            None, None, None, None, None)
        assert c.execute(text("SELECT version FROM clients_version")).scalar_one() == 0
    command.downgrade(alembic_config(url), PREVIOUS)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM clients")).scalar_one() == 1
    assert "clients_version" not in inspect(engine).get_table_names()
    assert "owner_client_id" not in {col["name"] for col in inspect(engine).get_columns(
        "clients")}
    engine.dispose()
    upgrade(url, "0020")  # and up again


def test_migration_0020_up_and_down(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _roundtrip(url)
    else:
        _roundtrip(f"sqlite:///{tmp_path}/old.sqlite3")
