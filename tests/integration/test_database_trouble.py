"""Finding 3 of issue 10: database trouble is contained. While the database cannot be
reached or is locked, requests fail within the timeouts with 503 and Retry-After (protocol
endpoints: RFC 6749 `temporarily_unavailable`; pages: the clear French page); readiness
(/readyz) fails while liveness (/healthz) still answers. Outages through a TCP proxy (cut,
stall) against a real hub process are in tests/e2e/test_database_outages.py."""

from __future__ import annotations

import html
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from idp.app import create_app
from idp.runtime import Runtime
from sitekit.storage.database import Database
from sitekit.storage.timeouts import DatabaseTimeouts
from tests.conftest import ISSUER
from tests.integration.flows import introspect, sign_in

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


@pytest.fixture
def tokens(http, factories):  # type: ignore[no-untyped-def]
    """A client and tokens obtained while the database was fine."""
    client = factories.client()
    return client, sign_in(http, factories, client)


@pytest.fixture
def cut_off(rt) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The same hub (same keys) whose database refuses connections."""
    settings = rt.settings.replace(database_url=UNREACHABLE, db_connect_timeout=1.0,
                                   db_statement_timeout=1.0, db_pool_timeout=1.0)
    broken = Runtime.build(settings, rt.clock)
    with TestClient(create_app(settings, runtime=broken), base_url=ISSUER) as client:
        yield client


def _assert_protocol_503(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def _assert_page_503(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    text_ = html.unescape(response.text)
    assert "Connexion à l'annuaire impossible" in text_ and 'href="/assistance"' in text_
    assert "Traceback" not in text_
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_finding3_protocol_endpoints_answer_503_temporarily_unavailable_when_the_database_is_out(  # type: ignore[no-untyped-def]
        tokens, cut_off):
    client, issued = tokens
    auth = (client.client_id, client.secret)
    _assert_protocol_503(cut_off.post("/token", data={
        "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}, auth=auth))
    _assert_protocol_503(cut_off.post("/token", data={"grant_type": "client_credentials"},
                                      auth=auth))
    _assert_protocol_503(cut_off.post("/introspect", data={"token": issued["access_token"]},
                                      auth=auth))
    _assert_protocol_503(cut_off.post("/revoke", data={"token": issued["refresh_token"]},
                                      auth=auth))
    _assert_protocol_503(cut_off.get(
        "/userinfo", headers={"Authorization": f"Bearer {issued['access_token']}"}))


def test_finding3_pages_answer_503_with_the_directory_page_when_the_database_is_out(  # type: ignore[no-untyped-def]
        tokens, cut_off, rt):
    client, _ = tokens
    _assert_page_503(cut_off.get("/authorize", params={
        "response_type": "code", "client_id": client.client_id, "scope": "openid",
        "redirect_uri": client.redirect_uri, "state": "s", "code_challenge": "x" * 43,
        "code_challenge_method": "S256"}))
    cut_off.cookies.set(rt.settings.session_cookie, "some-session")
    _assert_page_503(cut_off.get("/"))
    _assert_page_503(cut_off.get("/compte/mot-de-passe"))
    # The login's plain reads (outside any transaction): the session, the account by name.
    _assert_page_503(cut_off.get("/authorize/resume", params={"rid": "r"}))
    _assert_page_503(cut_off.post("/login", data={
        "csrf_token": "t", "username": "alice", "password": "x"}))


def test_finding3_readiness_fails_while_liveness_answers_when_the_database_is_out(  # type: ignore[no-untyped-def]
        cut_off, http):
    ready = cut_off.get("/readyz")
    assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
    assert ready.json()["status"] == "unavailable"
    assert cut_off.get("/healthz").status_code == 200
    assert http.get("/readyz").json() == {"status": "ready"}


@contextmanager
def write_lock_held(database_url: str, table: str) -> Iterator[None]:
    """Another connection holds the write lock (SQLite: the database's; PostgreSQL: the
    table's ACCESS EXCLUSIVE lock) until the block ends."""
    if database_url.startswith("sqlite"):
        other = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as other:
        other.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            other.rollback()
    engine.dispose()


def test_finding3_locked_database_makes_a_write_answer_503_in_seconds_and_the_retry_works(  # type: ignore[no-untyped-def]
        rt, factories):
    settings = rt.settings.replace(db_statement_timeout=1.0, db_pool_timeout=1.0)
    runtime = Runtime.build(settings, rt.clock)
    with TestClient(create_app(settings, runtime=runtime), base_url=ISSUER) as http:
        client = factories.client()
        first = sign_in(http, factories, client)
        refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        auth = (client.client_id, client.secret)
        with write_lock_held(settings.database_url, "refresh_tokens"):
            started = time.monotonic()
            locked = http.post("/token", data=refresh, auth=auth)
            elapsed = time.monotonic() - started
        _assert_protocol_503(locked)
        # The statement/lock timeout (1 s here) bounds the wait, not the lock's holder.
        assert elapsed < 1.0 + 3.0, elapsed
        retried = http.post("/token", data=refresh, auth=auth)
        assert retried.status_code == 200, retried.text
        assert introspect(http, client, first["access_token"])["active"] is True


def test_finding3_database_sessions_carry_the_configured_timeouts(rt) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: statement_timeout and lock_timeout set at connection; SQLite: the busy
    timeout; both from IDP_DB_STATEMENT_TIMEOUT (1.5 s here)."""
    db = Database(rt.settings.database_url, timeouts=DatabaseTimeouts(2.0, 1.5, 1.0))
    try:
        with db.read() as s:
            if db.is_sqlite:
                assert s.execute(text("PRAGMA busy_timeout")).scalar() == 1500
            else:
                assert s.execute(text("SHOW statement_timeout")).scalar() == "1500ms"
                assert s.execute(text("SHOW lock_timeout")).scalar() == "1500ms"
        assert db.engine.pool.timeout() == 1.0
    finally:
        db.dispose()


@pytest.mark.parametrize("path", [
    "/inscription", "/inscription/confirmation?jeton=" + "a" * 43,
    "/mot-de-passe-oublie/courriel", "/mot-de-passe-oublie/nouveau?jeton=" + "a" * 43,
    "/compte/historique", "/compte/applications", "/compte/informations", "/compte/liaisons",
    "/compte/securite", "/compte/suppression", "/compte/finaliser"])
def test_the_citizens_pages_answer_503_with_the_directory_page_when_the_database_is_out(  # type: ignore[no-untyped-def]
        cut_off, rt, path):
    cut_off.cookies.set(rt.settings.session_cookie, "some-session")
    _assert_page_503(cut_off.get(path))


def test_client_registration_answers_503_when_the_database_is_out(  # type: ignore[no-untyped-def]
        http, factories, rt, cut_off):
    from tests.integration.test_client_registration import TECHNICAL, make_app, token_of

    token = token_of(http, make_app(factories, rt))  # while the database was fine
    headers = {"Authorization": f"Bearer {token}"}
    _assert_protocol_503(cut_off.post("/register", json=TECHNICAL, headers=headers))
    _assert_protocol_503(cut_off.get("/register/" + "c" * 43, headers=headers))
