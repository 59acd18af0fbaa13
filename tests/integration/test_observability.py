"""Request ids, the access log, audit events in the log stream, /metrics and /readyz of the
hub (issue 15), in process and under a real uvicorn server."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from idp.app import create_app
from idp.runtime import Runtime
from idp.storage.migrate import head_revisions
from idp.web import readiness
from sitekit.logs import JsonFormatter
from tests.conftest import BACKEND, ISSUER
from tests.oidc_helpers import login
from tests.servers import ThreadedServer

METRICS_TOKEN = "m" * 40


def captured(handler_stream: io.StringIO) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in handler_stream.getvalue().splitlines()]


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    # The test's own HTTP client logs the URLs it requests; the hub does not.
    handler.addFilter(lambda r: not r.name.startswith("httpx"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


# Request ids ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/healthz", "/token", "/login", "/nowhere"])
def test_every_answer_carries_a_request_id_the_bare_endpoints_included(http, path) -> None:  # type: ignore[no-untyped-def]
    made = http.post(path, data={}) if path == "/token" else http.get(path)
    generated = made.headers["x-request-id"]
    assert len(generated) == 16 and int(generated, 16) >= 0
    kept = (http.post(path, data={}, headers={"X-Request-Id": "lb-7f3a.01_x"}) if path == "/token"
            else http.get(path, headers={"X-Request-Id": "lb-7f3a.01_x"}))
    assert kept.headers["x-request-id"] == "lb-7f3a.01_x"
    assert kept.headers.get_list("x-request-id") == ["lb-7f3a.01_x"]


@pytest.mark.parametrize("path", ["/healthz", "/token"])  # the page stack, the bare endpoints
@pytest.mark.parametrize("sent", ["x" * 65, "a b", "<script>", "id\u00e9", "a\x00b"])
def test_an_unsafe_incoming_request_id_is_replaced(http, sent: str, path: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Request-Id": sent.encode("utf-8")}
    answer = (http.post(path, data={}, headers=headers) if path == "/token"
              else http.get(path, headers=headers))
    assert answer.headers["x-request-id"] != sent and len(answer.headers["x-request-id"]) == 16


def test_every_line_of_a_request_carries_its_id_threads_included(http, factories, logged) -> None:  # type: ignore[no-untyped-def]
    """A refused token request at the bare endpoint: the audit line is written from the
    thread pool, with the request's id."""
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    refused = http.post("/token", data={"grant_type": "client_credentials"},
                        auth=(client.client_id, "wrong-secret"),
                        headers={"X-Request-Id": "req-token-1"})
    assert refused.status_code == 401
    page = http.get("/login", headers={"X-Request-Id": "req-login-1"})
    login(http, "nobody-here", "wrong-password")
    lines = captured(logged)
    [audit] = [line for line in lines if line["logger"] == "idp.audit.events"
               and line["event"] == "token.refused"]
    assert audit["request_id"] == "req-token-1"
    assert "wrong-secret" not in logged.getvalue()
    assert page.status_code == 200
    failures = [line for line in lines if line["event"] == "login.failure"]
    assert failures and all(len(line["request_id"]) == 16 for line in failures)
    assert "wrong-password" not in logged.getvalue()


# Access log ----------------------------------------------------------------------------------

def test_access_log_is_off_by_default(http, logged) -> None:  # type: ignore[no-untyped-def]
    http.get("/healthz")
    assert [line for line in captured(logged) if line["logger"] == "idp.access"] == []


def test_access_log_line_per_request_without_query_string(rt, logged) -> None:  # type: ignore[no-untyped-def]
    app = create_app(rt.settings.replace(access_log=1), runtime=rt)
    with TestClient(app, base_url=ISSUER) as http:
        http.get("/authorize?client_id=x&code=SECRET-IN-QUERY",
                 headers={"X-Request-Id": "acc-1"})
        http.post("/token", data={"code": "SECRET-IN-BODY"}, headers={"X-Request-Id": "acc-2"})
    lines = {line["request_id"]: line for line in captured(logged)
             if line["logger"] == "idp.access"}
    first, second = lines["acc-1"], lines["acc-2"]
    assert first["method"] == "GET" and first["path"] == "/authorize"
    assert first["status"] == 400 and first["client"] == "testclient"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert (second["method"], second["path"], second["status"]) == ("POST", "/token", 400)
    assert "SECRET-IN" not in logged.getvalue()


def test_a_path_with_control_characters_is_logged_on_one_line(rt, logged) -> None:  # type: ignore[no-untyped-def]
    app = create_app(rt.settings.replace(access_log=1), runtime=rt)
    with TestClient(app, base_url=ISSUER) as http:
        http.get("/a%0Afake%20line")
    assert all(json.loads(line) for line in logged.getvalue().splitlines())


# /metrics ------------------------------------------------------------------------------------

def scrape(base: str, token: str = METRICS_TOKEN) -> dict[tuple[str, tuple], float]:  # type: ignore[type-arg]
    answer = httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    values = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(samples, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)  # type: ignore[no-any-return]


def test_metrics_are_hidden_without_a_configured_token(http) -> None:  # type: ignore[no-untyped-def]
    assert http.get("/metrics").status_code == 404
    assert http.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {METRICS_TOKEN}",
                                           f"Bearer {METRICS_TOKEN}x", "Bearer " + "m" * 39])
def test_metrics_refuse_anyone_without_the_token(rt, authorization) -> None:  # type: ignore[no-untyped-def]
    app = create_app(rt.settings.replace(metrics_token=METRICS_TOKEN), runtime=rt)
    with TestClient(app, base_url=ISSUER) as http:
        headers = {"Authorization": authorization} if authorization else {}
        refused = http.get("/metrics", headers=headers)
    assert refused.status_code == 401
    assert "idp_" not in refused.text


def test_metrics_exposition_parses_and_moves_with_traffic(rt, factories) -> None:  # type: ignore[no-untyped-def]
    app = create_app(rt.settings.replace(metrics_token=METRICS_TOKEN), runtime=rt)
    machine = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                               scope="invoices")
    factories.account("alice")
    with ThreadedServer(app) as server:
        before = scrape(server.base)
        with httpx.Client(base_url=server.base) as http:
            for _ in range(3):
                issued = http.post("/token", data={"grant_type": "client_credentials"},
                                   auth=(machine.client_id, machine.secret))
                assert issued.status_code == 200
            http.post("/token", data={"grant_type": "client_credentials"},
                      auth=(machine.client_id, "wrong"))
            http.get("/register/some-client-id-" + "x" * 10)
            http.get("/no/such/path/12345")
            assert http.get("/static/site.css").status_code == 200
            assert http.get("/static/no-such-file-98765.css").status_code == 404
            login(http, "alice", "not-her-password")
        after = scrape(server.base)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    count = "idp_http_request_duration_seconds_count"
    assert moved(count, route="/token", method="POST", status="200") == 3
    assert moved(count, route="/token", method="POST", status="401") == 1
    assert moved(count, route="/register/{client_id}", method="GET", status="401") == 1
    assert moved(count, route="unmatched", method="GET", status="404") == 1
    assert moved(count, route="/static/{path}", method="GET", status="200") == 1
    assert moved(count, route="/static/{path}", method="GET", status="404") == 1
    assert moved(count, route="/login", method="POST", status="401") == 1
    assert not any(raw in str(labels) for _, labels in after
                   for raw in ("12345", "xxxxxxxx", "site.css", "98765"))
    assert moved("idp_tokens_issued_total", grant_type="client_credentials") == 3
    assert moved("idp_logins_total", outcome="failure") == 1
    assert moved("idp_audit_events_total", event="token.refused") == 1
    assert value(after, "idp_db_pool_size") >= 1
    assert ("idp_db_pool_checked_out", ()) in after
    assert METRICS_TOKEN not in json.dumps([list(k) for k in after])


def test_the_pool_size_setting_sizes_both_postgresql_pools(settings, clock) -> None:  # type: ignore[no-untyped-def]
    """IDP_DB_POOL_SIZE: how many connections each of the process's two PostgreSQL pools
    keeps (the metrics' idp_db_pool_size sums them). A SQLite file keeps a connection per
    request thread instead (IDP_THREADS), whatever the setting."""
    sizes = []
    for pool_size in (3, 7):
        runtime = Runtime.build(settings.replace(db_pool_size=pool_size), clock)
        try:
            sizes.append(runtime.db.pool_status()[1])
        finally:
            runtime.close()
    assert sizes == ([max(5, settings.threads)] * 2 if BACKEND == "sqlite" else [6, 14])


def test_outbox_backlog_is_counted_per_channel(rt, factories) -> None:  # type: ignore[no-untyped-def]
    from idp.storage.repositories import outbox as outbox_repo

    with rt.db.transaction() as s:
        for channel in ("email", "email", "sms"):
            outbox_repo.enqueue(s, channel, "someone@example.test", "subject", "body",
                                rt.clock.now() + 3600)
    app = create_app(rt.settings.replace(metrics_token=METRICS_TOKEN, outbox_interval=0.0),
                     runtime=rt)
    with ThreadedServer(app) as server:
        samples = scrape(server.base)
    assert value(samples, "idp_outbox_backlog", channel="email") == 2
    assert value(samples, "idp_outbox_backlog", channel="sms") == 1


# /readyz -------------------------------------------------------------------------------------

def test_ready_when_database_keys_and_migrations_are_current(http) -> None:  # type: ignore[no-untyped-def]
    answer = http.get("/readyz")
    assert answer.status_code == 200 and answer.json() == {"status": "ready"}


def test_not_ready_when_the_signing_keys_are_missing(rt, http) -> None:  # type: ignore[no-untyped-def]
    manifest = Path(rt.settings.keys_dir) / "manifest.json"
    moved = manifest.with_name("manifest.json.away")
    manifest.rename(moved)
    try:
        answer = http.get("/readyz")
    finally:
        moved.rename(manifest)
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable",
                             "keys": "no manifest.json in the keys folder"}
    assert answer.headers["retry-after"]
    assert http.get("/healthz").status_code == 200  # liveness does not care


def test_not_ready_when_the_database_is_at_an_older_migration(rt, http, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    [head] = head_revisions()
    engine = create_engine(rt.settings.database_url)
    try:
        with engine.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = '0019'"))
        answer = http.get("/readyz")
        with engine.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        # The check is cached a few seconds: probes stay cheap.
        assert http.get("/readyz").status_code == 503
        monkeypatch.setattr(readiness, "MIGRATIONS_CHECK_SECONDS", 0.0)
        assert http.get("/readyz").status_code == 200
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        engine.dispose()
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert "database at revision 0019" in body["migrations"] and head in body["migrations"]


def test_not_ready_when_never_migrated(rt, http) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(rt.settings.database_url)
    [head] = head_revisions()
    try:
        with engine.begin() as c:
            c.execute(text("DELETE FROM alembic_version"))
        answer = http.get("/readyz")
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM alembic_version"))
            c.execute(text("INSERT INTO alembic_version (version_num) VALUES (:h)"), {"h": head})
        engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["migrations"].startswith("database at revision none")

