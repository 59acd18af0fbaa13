"""Migration 0007 builds the login names of existing accounts; accounts that clash are
reported (both accounts, the value), the oldest keeps the name, and the upgrade completes."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from idp.storage.migrate import current_revision, upgrade
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database

ACCOUNTS = [
    # id, username, email
    (1, "jdurand-xt", "jean.durand@partenaire.example"),
    (2, "JDurand-XT", "jd2@partenaire.example"),  # identifier clash, other case
    (3, "pmartin-xt", "Jean.Durand@Partenaire.example"),  # e-mail clash
    (4, "A123456", "marie.martin@agents.gouv.example"),
    (5, "jd2@partenaire.example", None),  # identifier equal to account 2's address
]


@contextlib.contextmanager
def fresh_database(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path}/migration.sqlite3"
        return
    with new_pg_database("idp_migration") as url:
        yield url


@pytest.fixture
def database_at_0006_with_clashes(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with fresh_database(tmp_path) as url:
        upgrade(url, "0006")
        engine = create_engine(url)
        with engine.begin() as c:
            for account_id, username, email in ACCOUNTS:
                c.execute(text(
                    "INSERT INTO accounts (id, subject, username, password_hash, population, "
                    "email, email_verified, given_name, family_name, phone_number, siret, "
                    "groups, disabled, created_at) VALUES (:id, :subject, :username, 'x', "
                    "'portal', :email, false, NULL, NULL, NULL, NULL, '[]', false, 0)"),
                    {"id": account_id, "subject": f"sub-{account_id}", "username": username,
                     "email": email})
        engine.dispose()
        yield url


def test_upgrading_accounts_that_clash_reports_each_clash_and_keeps_the_oldest(  # type: ignore[no-untyped-def]
        database_at_0006_with_clashes, caplog):
    url = database_at_0006_with_clashes
    caplog.set_level(logging.WARNING, "idp.login_names")
    upgrade(url, "0007")
    assert current_revision(url) == "0007"
    clashes = sorted(r.getMessage() for r in caplog.records if r.name == "idp.login_names")
    assert clashes == sorted([
        "login name clash: 'jdurand-xt', identifier of account 'JDurand-XT' (id 2), is already "
        "the identifier of account 'jdurand-xt' (id 1): 'JDurand-XT' cannot log in with it; "
        "rename one of them (idp users update) then run idp users check-identifiers",
        "login name clash: 'jean.durand@partenaire.example', email of account 'pmartin-xt' "
        "(id 3), is already the email of account 'jdurand-xt' (id 1): 'pmartin-xt' cannot log "
        "in with it; rename one of them (idp users update) then run idp users "
        "check-identifiers",
        "login name clash: 'jd2@partenaire.example', email of account 'JDurand-XT' (id 2), is "
        "already the identifier of account 'jd2@partenaire.example' (id 5): 'JDurand-XT' cannot "
        "log in with it; rename one of them (idp users update) then run idp users "
        "check-identifiers",
    ])
    engine = create_engine(url)
    with engine.connect() as c:
        names = dict(c.execute(text("SELECT name, account_id FROM login_names")).all())
        domains = c.execute(text("SELECT agent_email_domains FROM login_name_settings")).all()
    engine.dispose()
    assert names == {
        "jdurand-xt": 1, "jean.durand@partenaire.example": 1,
        "pmartin-xt": 3,
        "a123456": 4, "marie.martin@agents.gouv.example": 4,
        "jd2@partenaire.example": 5,
    }
    # Agent left parts follow IDP_AGENT_EMAIL_DOMAINS, applied when the hub starts.
    assert domains == [("",)]


def test_upgrading_accounts_without_clash_reports_nothing(tmp_path, caplog):  # type: ignore[no-untyped-def]
    with fresh_database(tmp_path) as url:
        caplog.set_level(logging.WARNING, "idp.login_names")
        upgrade(url)
        assert [r for r in caplog.records if r.name == "idp.login_names"] == []
