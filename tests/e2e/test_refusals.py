"""Every refusal, against a live hub, through authlib's client where a client speaks."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.browsing import log_in_and_consent, params_of

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9999/callback"


class Party:
    """A registered client, its authlib session, and a user's browser."""

    def __init__(self, hub) -> None:  # type: ignore[no-untyped-def]
        self.hub = hub
        self.registered = hub.client(redirect_uris=[REDIRECT])
        self.client_id = self.registered.client["client_id"]
        self.rp = OAuth2Client(self.client_id, self.registered.secret, scope="openid",
                               redirect_uri=REDIRECT, code_challenge_method="S256")
        self.username = hub.user()
        self.browser = hub.browser()

    def code(self, **extra) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        verifier = secrets.token_urlsafe(48)
        url, _ = self.rp.create_authorization_url(self.hub.issuer + "/authorize",
                                                  code_verifier=verifier, **extra)
        location = log_in_and_consent(self.browser, url, self.username, REDIRECT)
        return params_of(location)["code"], verifier

    def exchange(self, code: str, verifier: str, client: OAuth2Client | None = None):  # type: ignore[no-untyped-def]
        return httpx.post(self.hub.issuer + "/token", data={
            "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": REDIRECT}, auth=(client or self).auth_pair)

    @property
    def auth_pair(self) -> tuple[str, str]:
        return self.client_id, self.registered.secret or ""

    def introspect(self, token: str) -> dict:
        response = httpx.post(self.hub.issuer + "/introspect", data={"token": token},
                              auth=self.auth_pair)
        assert response.status_code == 200
        return response.json()

    def close(self) -> None:
        self.rp.close()
        self.browser.close()


@pytest.fixture
def party(hub):  # type: ignore[no-untyped-def]
    p = Party(hub)
    yield p
    p.close()


def test_wrong_client_secret(party) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(party.hub.issuer + "/token", data={"grant_type": "authorization_code",
                                                             "code": "x"},
                          auth=(party.client_id, "wrong"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_wrong_code_verifier(party) -> None:  # type: ignore[no-untyped-def]
    code, _ = party.code()
    response = party.exchange(code, secrets.token_urlsafe(48))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_replayed_code_is_refused_and_its_tokens_revoked(party) -> None:  # type: ignore[no-untyped-def]
    code, verifier = party.code()
    first = party.exchange(code, verifier)
    assert first.status_code == 200
    replay = party.exchange(code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert party.introspect(first.json()["access_token"])["active"] is False


def test_replayed_refresh_token_revokes_the_family(party) -> None:  # type: ignore[no-untyped-def]
    code, verifier = party.code()
    tokens = party.exchange(code, verifier).json()

    def refresh(token: str) -> httpx.Response:
        return httpx.post(party.hub.issuer + "/token", data={
            "grant_type": "refresh_token", "refresh_token": token}, auth=party.auth_pair)

    newer = refresh(tokens["refresh_token"])
    assert newer.status_code == 200
    replay = refresh(tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(newer.json()["refresh_token"]).json()["error"] == "invalid_grant"
    assert party.introspect(newer.json()["access_token"])["active"] is False


def test_another_clients_code_is_refused(party, hub) -> None:  # type: ignore[no-untyped-def]
    thief = Party(hub)
    try:
        code, verifier = party.code()
        response = party.exchange(code, verifier, client=thief)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    finally:
        thief.close()


def test_unregistered_redirect_uri_shows_an_error_page(party) -> None:  # type: ignore[no-untyped-def]
    response = party.browser.get("/authorize", params={
        "response_type": "code", "client_id": party.client_id, "scope": "openid",
        "redirect_uri": "http://127.0.0.1:9999/elsewhere", "state": "s",
        "code_challenge": create_s256_code_challenge("v" * 43),
        "code_challenge_method": "S256"})
    assert response.status_code == 400 and "location" not in response.headers
    assert "text/html" in response.headers["content-type"]


def test_prompt_none_without_session_is_login_required(party) -> None:  # type: ignore[no-untyped-def]
    url, state = party.rp.create_authorization_url(party.hub.issuer + "/authorize",
                                                   code_verifier="v" * 43, prompt="none")
    params = params_of(party.browser.get(url).headers["location"])
    assert params["error"] == "login_required"
    assert params["state"] == state and params["iss"] == party.hub.issuer


def test_expired_max_age_asks_for_a_new_login(party) -> None:  # type: ignore[no-untyped-def]
    party.code()
    time.sleep(1.1)
    url, _ = party.rp.create_authorization_url(party.hub.issuer + "/authorize",
                                               code_verifier="v" * 43, max_age="0")
    assert party.browser.get(url).headers["location"].startswith("/login?rid=")
    url, _ = party.rp.create_authorization_url(party.hub.issuer + "/authorize",
                                               code_verifier="v" * 43, max_age="0",
                                               prompt="none")
    assert params_of(party.browser.get(url).headers["location"])["error"] == "login_required"


def test_revoked_access_token_introspects_inactive(party) -> None:  # type: ignore[no-untyped-def]
    code, verifier = party.code()
    token = party.exchange(code, verifier).json()["access_token"]
    assert party.introspect(token)["active"] is True
    httpx.post(party.hub.issuer + "/revoke", data={"token": token}, auth=party.auth_pair)
    assert party.introspect(token)["active"] is False
