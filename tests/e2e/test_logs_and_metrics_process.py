"""The logs and metrics of a real hub process (`idp serve`, JSON logs, access log on, level
DEBUG), issue 15: a whole run — failed login, login with password and second factor, code
exchange, refresh, userinfo, introspection, revocation, client_credentials, forgotten
password by SMS — then every line is JSON with the required keys, requests carry their id,
and no secret used or issued appears anywhere in what the process wrote. /metrics of that
process parses with prometheus_client's own parser and counted the run."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import BACKEND
from tests.e2e.conftest import PASSWORD, new_pg_database, start_hub, stop_hub
from tests.factories import Factories
from tests.oidc_helpers import auth_request, csrf_token, full_login, hidden, login

pytestmark = pytest.mark.e2e

METRICS_TOKEN = "metrics-" + "7" * 40
NEW_PASSWORD = "Nouveau-Secret-2027!"
WRONG_PASSWORD = "Pas-le-bon-Mot-2026!"
REQUIRED = {"ts", "level", "logger", "event"}


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        yield (stack.enter_context(new_pg_database("idp_e2e_logs"))
               if BACKEND == "postgresql" else f"sqlite:///{tmp_path}/hub.sqlite3")


class Browser(httpx.Client):
    """An httpx client that keeps every CSRF token and cookie value it was given."""

    def __init__(self, base_url: str, seen: list[str]) -> None:
        def keep(response: httpx.Response) -> None:
            response.read()
            seen.extend(re.findall(r'name="csrf_token" value="([^"]+)"', response.text))
            seen.extend(response.cookies.values())
        super().__init__(base_url=base_url, follow_redirects=False, timeout=20,
                         event_hooks={"response": [keep]})


def sms_code(sink: Path, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sink.exists() and (text := sink.read_text(encoding="utf-8").strip()):
            message = json.loads(text.splitlines()[-1])
            return re.search(r"\b(\d{6})\b", message["text"]).group(1)  # type: ignore[union-attr]
        time.sleep(0.1)
    raise AssertionError("no SMS sent")


def samples_of(exposition: str) -> dict[tuple[str, tuple], float]:  # type: ignore[type-arg]
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(exposition) for s in family.samples}


def test_a_full_run_logs_json_lines_with_request_ids_and_no_secret(database_url, tmp_path):  # type: ignore[no-untyped-def]
    log_file = tmp_path / "hub.log"
    sink = tmp_path / "sms.jsonl"
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, METRICS_TOKEN]
    with log_file.open("wb") as stderr:
        hub = start_hub(database_url, tmp_path / "keys", stderr=stderr, extra_env={
            "IDP_LOG_FORMAT": "json", "IDP_ACCESS_LOG": "1", "IDP_LOG_LEVEL": "debug",
            "IDP_METRICS_TOKEN": METRICS_TOKEN, "IDP_SMS_SINK_FILE": str(sink),
            "IDP_OUTBOX_INTERVAL": "0.2", "IDP_AUDIT_FLUSH_INTERVAL": "0.2"})
        try:
            web = hub.client()
            machine = hub.client(grant_types=["client_credentials"], redirect_uris=[],
                                 post_logout_redirect_uris=[], scope="invoices")
            secrets += [web.secret, machine.secret]
            alice = hub.user()
            bob = hub.user()
            seed, recovery_codes = Factories(hub.rt).authenticator({"username": bob})
            secrets += [seed, *recovery_codes]
            redirect_uri = web.client["redirect_uris"][0]
            client_id = web.client["client_id"]
            basic = (client_id, web.secret)

            # A failed login, then the code flow with login and consent.
            with Browser(hub.url, secrets) as browser:
                assert login(browser, alice, WRONG_PASSWORD).status_code == 401
                req = auth_request(client_id, redirect_uri)
                code = full_login(browser, req, alice)["code"]
                secrets += [code, req.verifier, req.params["nonce"]]
                first = browser.post("/token", auth=basic, data={
                    "grant_type": "authorization_code", "code": code,
                    "redirect_uri": redirect_uri, "code_verifier": req.verifier}).json()
                refreshed = browser.post("/token", auth=basic, data={
                    "grant_type": "refresh_token",
                    "refresh_token": first["refresh_token"]}).json()
                for body in (first, refreshed):
                    secrets += [body["access_token"], body["refresh_token"], body["id_token"]]
                access = refreshed["access_token"]
                assert browser.get("/userinfo", headers={
                    "Authorization": f"Bearer {access}"}).status_code == 200
                assert browser.post("/introspect", auth=basic,
                                    data={"token": access}).json()["active"] is True
                assert browser.post("/revoke", auth=basic, data={
                    "token": refreshed["refresh_token"]}).status_code == 200
                # A replayed code: refused, and the family revoked.
                assert browser.post("/token", auth=basic, data={
                    "grant_type": "authorization_code", "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": req.verifier}).status_code == 400

            # A login with the second factor (a recovery code).
            with Browser(hub.url, secrets) as browser:
                assert login(browser, bob).headers["location"] == "/connexion/code"
                page = browser.get("/connexion/code")
                done = browser.post("/connexion/code", data={
                    "csrf_token": csrf_token(page.text), "rid": hidden(page.text, "rid")
                    if 'name="rid"' in page.text else "", "code": recovery_codes[0]})
                assert done.status_code == 303, done.text

            # client_credentials.
            issued = httpx.post(hub.url + "/token", auth=(machine.client["client_id"],
                                                          machine.secret),
                                data={"grant_type": "client_credentials"}, timeout=20)
            assert issued.status_code == 200
            secrets.append(issued.json()["access_token"])

            # A forgotten password by SMS code.
            with Browser(hub.url, secrets) as browser:
                page = browser.get("/mot-de-passe-oublie")
                browser.post("/mot-de-passe-oublie", data={
                    "csrf_token": csrf_token(page.text), "username": alice})
                page = browser.get("/mot-de-passe-oublie/code")
                code_sent = sms_code(sink)
                secrets.append(code_sent)
                reset = browser.post("/mot-de-passe-oublie/code", data={
                    "csrf_token": csrf_token(page.text), "code": code_sent,
                    "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD,
                    "action": "change"})
                assert reset.status_code == 200, reset.text

            # The metrics of this process, by the official parser.
            scraped = httpx.get(hub.url + "/metrics", timeout=20,
                                headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            assert scraped.status_code == 200
            samples = samples_of(scraped.text)
            time.sleep(0.5)  # the last audit events flushed to the log too
        finally:
            stop_hub(hub)

    count = "idp_http_request_duration_seconds_count"
    assert samples[(count, (("method", "POST"), ("route", "/token"), ("status", "200")))] == 3
    assert samples[("idp_tokens_issued_total", (("grant_type", "client_credentials"),))] == 1
    assert samples[("idp_tokens_issued_total", (("grant_type", "authorization_code"),))] == 1
    assert samples[("idp_tokens_issued_total", (("grant_type", "refresh_token"),))] == 1
    assert samples[("idp_logins_total", (("outcome", "failure"),))] == 1
    assert samples[("idp_logins_total", (("outcome", "success"),))] >= 2

    raw = log_file.read_text(encoding="utf-8", errors="replace")
    lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
    assert all(line.keys() >= REQUIRED for line in lines)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"])
               for line in lines)
    access = [line for line in lines if line["logger"] == "idp.access"]
    assert {"/login", "/token", "/introspect", "/revoke", "/userinfo",
            "/mot-de-passe-oublie/code", "/connexion/code"} <= {line["path"] for line in access}
    assert all({"method", "path", "status", "duration_ms", "request_id", "client"}
               <= line.keys() for line in access)
    assert all("?" not in line["path"] for line in access)
    audited = {line["event"] for line in lines if line["logger"] == "idp.audit.events"}
    assert {"login.failure", "login.success", "login.second_factor", "token.issued",
            "token.revoked", "code.replayed", "password.changed"} <= audited
    # Each request's lines carry its id: the audit line of the failed login has the id of
    # that POST /login's access line.
    [failure] = [line for line in lines if line["event"] == "login.failure"]
    assert failure["request_id"] in {line["request_id"] for line in access
                                     if line["path"] == "/login" and line["status"] == 401}
    assert any(line["logger"].startswith("alembic") or line["logger"].startswith("uvicorn")
               for line in lines)  # the libraries' lines are JSON too
    leaked = sorted({secret for secret in secrets if secret and secret in raw})
    assert leaked == []
