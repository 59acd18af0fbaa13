"""No token, code or secret in any log at any level (issue 10, finding 5): a whole session of
the hub runs with the root logger at DEBUG, and what was logged is searched for every
secret the session handled."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.integration.flows import exchange
from tests.oidc_helpers import auth_request, csrf_token, full_login, login

NEW_PASSWORD = "Nouveau-Secret-2027!"
TYPED_BY_MISTAKE = "Motdepasse-tape-dans-le-champ-identifiant-42"


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=0.0)


def recover_password_by_sms(http, rt, username: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Forgotten password: the SMS code, then a new password; the secrets it handled."""
    page = http.get("/mot-de-passe-oublie")
    http.post("/mot-de-passe-oublie", data={"csrf_token": csrf_token(page.text),
                                            "username": username})
    page = http.get("/mot-de-passe-oublie/code")
    rt.outbox.deliver_due()
    [message] = [json.loads(line) for line in
                 Path(rt.settings.sms_sink_file).read_text(encoding="utf-8").splitlines()]
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)  # type: ignore[union-attr]
    done = http.post("/mot-de-passe-oublie/code", data={
        "csrf_token": csrf_token(page.text), "code": code, "new_password": NEW_PASSWORD,
        "confirmation": NEW_PASSWORD, "action": "change"})
    assert done.status_code == 200, done.text
    http.cookies.clear()
    return [code]


def test_finding5_no_token_in_debug_logs(http, factories, rt, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    assert logging.getLogger().isEnabledFor(logging.DEBUG)
    client = factories.client()
    machine = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                               scope="invoices")
    by_post = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                               scope="invoices", auth_method="client_secret_post")
    factories.account("alice", phone="+33612345678")
    secrets = [client.secret, machine.secret, by_post.secret, PASSWORD, NEW_PASSWORD,
               TYPED_BY_MISTAKE]

    login(http, TYPED_BY_MISTAKE, "wrong")
    # Code flow with login and consent, token, refresh, userinfo, introspection, revocation.
    req = auth_request(client.client_id, client.redirect_uri)
    code = full_login(http, req, "alice")["code"]
    secrets += [code, req.verifier, *http.cookies.values()]
    first = exchange(http, client, code, req.verifier).json()
    refreshed = http.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": first["refresh_token"]},
                          auth=(client.client_id, client.secret)).json()
    for body in (first, refreshed):
        secrets += [body["access_token"], body["refresh_token"], body["id_token"]]
    assert http.get("/userinfo", headers={
        "Authorization": f"Bearer {refreshed['access_token']}"}).status_code == 200
    assert http.post("/introspect", data={"token": refreshed["access_token"]},
                     auth=(client.client_id, client.secret)).json()["active"] is True
    assert http.post("/revoke", data={"token": refreshed["refresh_token"]},
                     auth=(client.client_id, client.secret)).status_code == 200
    # A replayed refresh token and a replayed code (the paths that revoke a family).
    http.post("/token", data={"grant_type": "refresh_token",
                              "refresh_token": first["refresh_token"]},
              auth=(client.client_id, client.secret))
    exchange(http, client, code, req.verifier)
    logout = http.get("/logout", params={"id_token_hint": refreshed["id_token"]},
                      follow_redirects=False)
    assert logout.status_code < 500
    http.cookies.clear()
    # client_credentials, by HTTP Basic and in the form.
    for auth, form in (((machine.client_id, machine.secret), {}),
                       (None, {"client_id": by_post.client_id,
                               "client_secret": by_post.secret})):
        issued = http.post("/token", data={"grant_type": "client_credentials", **form},
                           auth=auth)
        secrets.append(issued.json()["access_token"])
    # Forgotten password by SMS code.
    secrets += recover_password_by_sms(http, rt, "alice")
    rt.audit.flush()

    # What the hub and its libraries logged; the test's own HTTP client (httpx, as a browser
    # or a client application would) logs the URLs it requests, not the hub.
    records = [r for r in caplog.records if r.name.split(".")[0] not in ("httpx", "httpx2")]
    logging.getLogger("idp.probe").debug("debug lines are captured")
    assert "debug lines are captured" in caplog.text
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}"
                       for r in records)
    leaked = [secret for secret in secrets if secret and secret in logged]
    assert leaked == []
