"""Finding 2 of issue 10: token issuance is atomic. Consuming a code or rotating a refresh
token commits with the refresh token that replaces it, or not at all; a client whose request
failed because the database failed mid-way retries and gets what its first request would
have (not a replay revocation).

The database really fails between the two steps: on PostgreSQL the server terminates the
request's connection (pg_terminate_backend) just before the new refresh token is written; on
SQLite the driver raises its own I/O error at that statement.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text

from tests.conftest import PG_ADMIN_URL
from tests.integration.flows import exchange, introspect, sign_in
from tests.oidc_helpers import auth_request, authorize, follow_to_client, full_login, parse_redirect


@contextmanager
def database_dies_before_writing(rt, table: str) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The first INSERT into ``table`` runs on a connection the database has just lost."""
    engine = rt.db.engine
    fired: list[str] = []
    admin = create_engine(PG_ADMIN_URL) if engine.dialect.name == "postgresql" else None

    def before_insert(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if fired or not statement.lstrip().startswith(f"INSERT INTO {table} "):
            return
        fired.append(statement)
        if admin is None:
            raise sqlite3.OperationalError("disk I/O error")
        pid = conn.connection.dbapi_connection.info.backend_pid
        with admin.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 5
            while c.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"),
                            {"pid": pid}).first() is not None:
                assert time.monotonic() < deadline, "the backend was not terminated"
                time.sleep(0.02)

    event.listen(engine, "before_cursor_execute", before_insert)
    try:
        yield fired
    finally:
        event.remove(engine, "before_cursor_execute", before_insert)
        if admin is not None:
            admin.dispose()


def _refresh(http, client, token):  # type: ignore[no-untyped-def]
    return http.post("/token", data={"grant_type": "refresh_token", "refresh_token": token},
                     auth=(client.client_id, client.secret))


def _assert_unavailable_without_tokens(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert not {"access_token", "refresh_token", "id_token"} & set(body)


def _still_logged_in(http, client) -> None:  # type: ignore[no-untyped-def]
    """The hub's browser session survived: a prompt=none request gets a code at once."""
    req = auth_request(client.client_id, client.redirect_uri, prompt="none")
    response = authorize(http, req)
    location = follow_to_client(http, response, client.redirect_uri)
    assert isinstance(location, str) and "code" in parse_redirect(location), location


def test_finding2_code_exchange_that_fails_before_tokens_are_saved_can_be_retried(  # type: ignore[no-untyped-def]
        http, factories, rt):
    client = factories.client()
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri)
    code = full_login(http, req, "alice")["code"]

    with database_dies_before_writing(rt, "refresh_tokens") as fired:
        failed = exchange(http, client, code, req.verifier)
    assert fired, "the failure was not injected"
    _assert_unavailable_without_tokens(failed)

    retried = exchange(http, client, code, req.verifier)
    assert retried.status_code == 200, retried.text
    tokens = retried.json()
    assert introspect(http, client, tokens["access_token"])["active"] is True
    assert _refresh(http, client, tokens["refresh_token"]).status_code == 200
    _still_logged_in(http, client)
    # The code was consumed by the retry, once: a third use is a replay as always.
    assert exchange(http, client, code, req.verifier).json()["error"] == "invalid_grant"


def test_finding2_refresh_that_fails_before_the_new_token_is_saved_can_be_retried(  # type: ignore[no-untyped-def]
        http, factories, rt):
    client = factories.client()
    first = sign_in(http, factories, client)

    with database_dies_before_writing(rt, "refresh_tokens") as fired:
        failed = _refresh(http, client, first["refresh_token"])
    assert fired, "the failure was not injected"
    _assert_unavailable_without_tokens(failed)

    retried = _refresh(http, client, first["refresh_token"])
    assert retried.status_code == 200, retried.text
    second = retried.json()
    assert second["refresh_token"] != first["refresh_token"]
    # No replay was detected: the family is intact, old access token included.
    assert introspect(http, client, first["access_token"])["active"] is True
    assert introspect(http, client, second["access_token"])["active"] is True
    assert _refresh(http, client, second["refresh_token"]).status_code == 200
    _still_logged_in(http, client)


def test_finding2_concurrent_redemptions_of_one_code_give_exactly_one_success(  # type: ignore[no-untyped-def]
        http, factories, rt):
    """The first redemption holds its transaction open (slowed at the refresh-token write)
    while the second arrives: the second must wait for it and lose, never win too."""
    client = factories.client()
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri)
    code = full_login(http, req, "alice")["code"]
    slowed = threading.Event()

    def slow_first_write(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("INSERT INTO refresh_tokens ") and not slowed.is_set():
            slowed.set()
            time.sleep(0.5)

    event.listen(rt.db.engine, "before_cursor_execute", slow_first_write)
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(exchange, http, client, code, req.verifier)
            assert slowed.wait(10)
            second = pool.submit(exchange, http, client, code, req.verifier)
            responses = [first.result(), second.result()]
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", slow_first_write)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 400], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
