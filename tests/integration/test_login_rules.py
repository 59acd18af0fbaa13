"""Login rules of the portal (seeds 000/001): throttling and locks per account and per
address without revealing which identifiers exist, expired passwords replaced at login."""

from __future__ import annotations

import html

import pytest

from tests.factories import PASSWORD
from tests.oidc_helpers import auth_request, authorize, csrf_token, follow_to_client, login

LOCKED = "Trop de tentatives infructueuses"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.replace(login_max_failures=3, address_max_failures=8,
                            login_lock_seconds=600, login_max_delay=0.01)


def test_an_account_is_locked_after_repeated_failures(http, factories, clock):  # type: ignore[no-untyped-def]
    factories.account("alice")
    assert login(http, "alice", "wrong").status_code == 401
    assert login(http, "alice", "wrong").status_code == 401
    third = login(http, "alice", "wrong")
    assert third.status_code == 429 and LOCKED in html.unescape(third.text)
    locked = login(http, "alice", PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429 and "10 minutes" in html.unescape(locked.text)
    clock.advance(601)
    assert login(http, "alice", PASSWORD).status_code == 303


def test_unknown_identifiers_are_answered_exactly_like_known_ones(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    known = [login(http, "alice", "wrong").status_code for _ in range(3)]
    unknown = [login(http, "nobody", "wrong").status_code for _ in range(3)]
    assert known == unknown == [401, 401, 429]


def test_a_success_resets_the_count(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice", "wrong")
    login(http, "alice", "wrong")
    assert login(http, "alice", PASSWORD).status_code == 303
    http.cookies.clear()
    assert login(http, "alice", "wrong").status_code == 401


def test_one_address_trying_many_identifiers_is_locked(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    for i in range(8):
        login(http, f"guess{i}", "wrong")
    assert login(http, "alice", PASSWORD).status_code == 429


def test_operator_unlock(http, factories, rt, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    from idp.cli import main

    factories.account("alice")
    for _ in range(3):
        login(http, "alice", "wrong")
    monkeypatch.setenv("IDP_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("IDP_KEYS_DIR", rt.settings.keys_dir)
    assert main(["users", "unlock", "alice"]) == 0
    assert "unlocked" in capsys.readouterr().out
    assert login(http, "alice", PASSWORD).status_code == 303


def test_an_expired_password_must_be_replaced_before_going_on(http, factories, clock, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    clock.advance(366 * 86400)
    req = auth_request(client.client_id, client.redirect_uri)
    start = authorize(http, req)
    response = login(http, "alice", PASSWORD, start.headers["location"])
    assert response.headers["location"] == "/compte/mot-de-passe-expire"
    page = http.get("/compte/mot-de-passe-expire")
    assert "Votre mot de passe a expiré" in html.unescape(page.text)
    assert 'name="current_password"' not in page.text
    # Not logged in yet: prompt=none still says login_required.
    again = http.get("/authorize?" + auth_request(client.client_id, client.redirect_uri,
                                                  prompt="none").query, follow_redirects=False)
    assert "login_required" in again.headers["location"]
    refused = http.post("/compte/mot-de-passe-expire", data={
        "csrf_token": csrf_token(page.text), "new_password": PASSWORD,
        "confirmation": PASSWORD})
    assert "déjà été utilisé" in html.unescape(refused.text)
    done = http.post("/compte/mot-de-passe-expire", data={
        "csrf_token": csrf_token(page.text), "new_password": "Nouveau-2027!",
        "confirmation": "Nouveau-2027!"}, follow_redirects=False)
    assert done.headers["location"].startswith("/authorize/resume?rid=")
    result = follow_to_client(http, done, client.redirect_uri)
    if not isinstance(result, str):  # first use of this client: consent
        assert "/authorize/consent" in result.text


def test_operator_can_send_expired_passwords_to_the_assistance_desk(rt, factories, clock):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from idp.app import create_app
    from tests.conftest import ISSUER

    factories.account("alice")
    clock.advance(366 * 86400)
    from idp.runtime import Runtime

    settings = rt.settings.replace(expired_password_action="assistance")
    other = Runtime.build(settings, clock)
    with TestClient(create_app(settings, runtime=other), base_url=ISSUER) as http:
        response = login(http, "alice", PASSWORD)
    assert response.status_code == 403
    assert "Contactez l'assistance pour le renouveler" in html.unescape(response.text)


def test_operator_reset_gives_a_temporary_password_to_change_at_login(http, factories, rt,  # type: ignore[no-untyped-def]
                                                                      monkeypatch, capsys):
    import json

    from idp.cli import main

    factories.account("alice")
    monkeypatch.setenv("IDP_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("IDP_KEYS_DIR", rt.settings.keys_dir)
    assert main(["--json", "users", "reset-password", "alice"]) == 0
    temporary = json.loads(capsys.readouterr().out)["temporary_password"]
    assert login(http, "alice", PASSWORD).status_code == 401
    response = login(http, "alice", temporary)
    assert response.headers["location"] == "/compte/mot-de-passe-expire"
