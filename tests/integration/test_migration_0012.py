"""Migration 0012 (consent modes): existing clients keep the consent page, existing consents
keep the claims their scopes carried then; on SQLite and PostgreSQL, up and down."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from idp.storage.migrate import MIGRATIONS, upgrade
from sitekit.storage.migrate import alembic_config
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database


def _migrated(url: str) -> None:
    upgrade(url, "0010")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO accounts (id, subject, username, password_hash, population, email, "
            "email_verified, groups, disabled, created_at) VALUES "
            "(1, 's1', 'alice', 'x', 'portal', NULL, false, '[]', false, 0)"))
        c.execute(text(
            "INSERT INTO clients (client_id, name, token_endpoint_auth_method, redirect_uris, "
            "post_logout_redirect_uris, grant_types, scope, audience, "
            "id_token_signed_response_alg, subject_type, created_at, updated_at) VALUES "
            "('old', 'Old', 'none', '[]', '[]', '[]', 'openid profile email', '[]', 'RS256', "
            "'public', 0, 0)"))
        c.execute(text("INSERT INTO consents (account_id, client_id, scope, granted_at) "
                       "VALUES (1, 'old', 'openid profile email', 5)"))
        c.execute(text("INSERT INTO audit_events (at, event, detail) VALUES (0, 'x', '{}')"))
    upgrade(url)
    with engine.connect() as c:
        client = c.execute(text("SELECT consent_mode, citizen_facing FROM clients")).one()
        consent = c.execute(text("SELECT claims, mode FROM consents")).one()
        fi = c.execute(text("SELECT fi FROM audit_events")).scalar()
    claims = json.loads(consent.claims) if isinstance(consent.claims, str) else consent.claims
    assert client.consent_mode == "explicit" and not client.citizen_facing
    # profile as it was (birthdate and gender came with 0012: they will be asked).
    assert claims == ["email", "email_verified", "family_name", "given_name", "name",
                      "preferred_username", "updated_at"]
    assert consent.mode == "explicit" and fi is None
    command.downgrade(alembic_config(url, MIGRATIONS), "0011")  # 0012 and those after it
    with engine.connect() as c:
        assert c.execute(text("SELECT scope FROM consents")).scalar() == "openid profile email"
    engine.dispose()


def test_migration_0013_keeps_existing_clients_and_consents(tmp_path: Path) -> None:
    if BACKEND == "postgresql":
        with new_pg_database("idp_migration") as url:
            _migrated(url)
    else:
        _migrated(f"sqlite:///{tmp_path}/old.sqlite3")
