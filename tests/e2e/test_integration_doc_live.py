"""The tables of docs/integration.md (and its English twin) that the running hub holds:
discovery fields, acr levels, ID token and logout token claims, the introspection answer,
and every row of the error table, each played against a real hub process."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.browsing import log_in_and_consent, params_of
from tests.e2e.conftest import PASSWORD, Hub
from tests.e2e.test_backchannel_logout import Receiver
from tests.integration_doc import codes, first_codes, table
from tests.oidc_helpers import csrf_token, hidden

pytestmark = pytest.mark.e2e
LANGS = ("fr", "en")
CALLBACK = "http://127.0.0.1:9999/callback"


def _payload(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _header(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _authorize_url(client_id: str, **extra: str) -> tuple[str, str]:
    """A correct authorization request (and its verifier), `extra` changing it; a value
    None removes the parameter."""
    verifier = secrets.token_urlsafe(48)
    params: dict[str, str | None] = {
        "response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
        "scope": "openid profile email", "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24), "code_challenge_method": "S256",
        "code_challenge": create_s256_code_challenge(verifier), **extra}
    kept = {k: v for k, v in params.items() if v is not None}
    return "/authorize?" + str(httpx.QueryParams(kept)), verifier


class World:
    """A hub with a confidential client, a person, and a browser logged in through it."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.registered = hub.client(redirect_uris=[CALLBACK])
        self.client_id = self.registered.client["client_id"]
        self.secret = self.registered.secret
        self.username = hub.user()
        self.browser = hub.browser()
        self.meta = httpx.get(hub.issuer + "/.well-known/openid-configuration").json()

    def code(self, **extra: str) -> tuple[str, str]:
        url, verifier = _authorize_url(self.client_id, **extra)
        location = log_in_and_consent(self.browser, url, self.username, CALLBACK)
        return params_of(location)["code"], verifier

    def token(self, **form: str) -> httpx.Response:
        return httpx.post(self.hub.issuer + "/token", data=form,
                          auth=(self.client_id, self.secret))

    def tokens(self, **extra: str) -> dict[str, Any]:
        code, verifier = self.code(**extra)
        answer = self.token(grant_type="authorization_code", code=code, code_verifier=verifier,
                            redirect_uri=CALLBACK)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module")
def world(hub: Hub) -> Iterator[World]:
    made = World(hub)
    with made.browser:
        yield made


@pytest.mark.parametrize("lang", LANGS)
def test_discovery_fields_are_the_documents(world: World, lang: str) -> None:
    assert set(first_codes(lang, "discovery")) == set(world.meta)
    assert first_codes(lang, "acr") == world.meta["acr_values_supported"]


@pytest.mark.parametrize("lang", LANGS)
def test_id_token_has_the_claims_documented_and_no_name(world: World, lang: str) -> None:
    tokens = world.tokens()
    assert {"access_token", "id_token", "refresh_token", "token_type", "expires_in",
            "scope"} <= set(tokens)
    claims = _payload(tokens["id_token"])
    assert set(claims) == set(first_codes(lang, "id-token"))
    assert "name" not in claims and "email" not in claims  # "Bonjour None"
    userinfo = httpx.get(world.meta["userinfo_endpoint"],
                         headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert userinfo["sub"] == claims["sub"] and userinfo["name"] == "Camille Bernard"
    assert "updated_at" not in userinfo  # the guide says the hub never sends it
    # The guide's way to have a value in the ID token: the claims parameter (OIDC Core §5.5).
    asked = world.tokens(claims=json.dumps({"id_token": {"given_name": None}}))
    assert _payload(asked["id_token"])["given_name"] == "Camille"


@pytest.mark.parametrize("lang", LANGS)
def test_introspection_answer_has_the_members_documented(world: World, lang: str) -> None:
    tokens = world.tokens()
    answer = httpx.post(world.meta["introspection_endpoint"],
                        data={"token": tokens["access_token"]},
                        auth=(world.client_id, world.secret)).json()
    assert set(answer) == set(first_codes(lang, "introspection"))
    assert answer["active"] is True and answer["token_type"] == "Bearer"


def test_a_reused_refresh_token_revokes_the_whole_grant(world: World) -> None:
    first = world.tokens()
    second = world.token(grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert world.token(grant_type="refresh_token",
                       refresh_token=first["refresh_token"]).json()["error"] == "invalid_grant"
    for token in (first["access_token"], second["access_token"], second["refresh_token"]):
        assert httpx.post(world.meta["introspection_endpoint"], data={"token": token},
                          auth=(world.client_id, world.secret)).json() == {"active": False}


def test_logout_token_has_the_claims_documented(hub: Hub) -> None:
    with Receiver() as receiver:
        registered = hub.client(redirect_uris=[CALLBACK],
                                backchannel_logout_uri=f"{receiver.base}/bcl")
        username = hub.user()
        with hub.browser() as browser:
            url, verifier = _authorize_url(registered.client["client_id"])
            code = params_of(log_in_and_consent(browser, url, username, CALLBACK))["code"]
            tokens = httpx.post(hub.issuer + "/token", data={
                "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                "redirect_uri": CALLBACK},
                auth=(registered.client["client_id"], registered.secret)).json()
            browser.get("/logout", params={"id_token_hint": tokens["id_token"]})
        deadline = time.monotonic() + 10
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(receiver.received) == 1
    assert _header(receiver.received[0])["typ"] == "logout+jwt"
    claims = _payload(receiver.received[0])
    for lang in LANGS:
        assert set(claims) == set(first_codes(lang, "logout-token"))
    assert claims["sid"] == _payload(tokens["id_token"])["sid"]
    assert claims["exp"] - claims["iat"] == 120  # "2 minutes"


# The error table, row by row: what each case gives, observed. Keys are the table's
# (endpoint, HTTP cell, error cell); each scenario returns the observed answer.
Observed = httpx.Response
Scenario = Callable[[World], Observed]


def _fresh(world: World) -> httpx.Client:
    return world.hub.browser()


def _authorize(world: World, browser: httpx.Client | None = None, **extra: str) -> Observed:
    url, _ = _authorize_url(world.client_id, **extra)
    if browser is not None:
        return browser.get(url)
    with _fresh(world) as fresh:
        return fresh.get(url)


def _unknown_client(world: World) -> Observed:
    with _fresh(world) as browser:
        return browser.get(_authorize_url("no-such-client")[0])


def _refused_consent(world: World) -> Observed:
    other = world.hub.client(redirect_uris=[CALLBACK])
    url, _ = _authorize_url(other.client["client_id"])
    with _fresh(world) as browser:
        page = browser.get(url)
        while page.status_code in (302, 303) and not page.headers["location"].startswith(
                CALLBACK):
            page = browser.get(page.headers["location"])
        page = browser.post("/login", data={"csrf_token": csrf_token(page.text),
                                            "username": world.username, "password": PASSWORD,
                                            "rid": hidden(page.text, "rid")})
        while page.status_code in (302, 303):
            page = browser.get(page.headers["location"])
        assert 'action="/authorize/consent"' in page.text
        return browser.post("/authorize/consent", data={
            "csrf_token": csrf_token(page.text), "rid": hidden(page.text, "rid"),
            "decision": "refuse"})


def _consent_required(world: World) -> Observed:
    world.code()  # the browser has a session at the hub
    other = world.hub.client(redirect_uris=[CALLBACK])
    url, _ = _authorize_url(other.client["client_id"], prompt="none")
    return world.browser.get(url)


def _citizen_facing(world: World, **extra: str) -> Observed:
    facing = world.hub.client(redirect_uris=[CALLBACK], citizen_facing=True)
    url, _ = _authorize_url(facing.client["client_id"], **{"acr_values": "eidas1", **extra})
    with _fresh(world) as browser:
        return browser.get(url)


def _code_reused(world: World) -> Observed:
    code, verifier = world.code()
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": CALLBACK}
    assert world.token(**form).status_code == 200
    return world.token(**form)


def _wrong_verifier(world: World) -> Observed:
    code, _ = world.code()
    return world.token(grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                       code_verifier=secrets.token_urlsafe(48))


def _other_redirect_uri(world: World) -> Observed:
    code, verifier = world.code()
    return world.token(grant_type="authorization_code", code=code, code_verifier=verifier,
                       redirect_uri=CALLBACK + "/other")


def _unknown_code(world: World) -> Observed:
    return world.token(grant_type="authorization_code", code=secrets.token_urlsafe(32),
                       code_verifier=secrets.token_urlsafe(48), redirect_uri=CALLBACK)


def _no_client_authentication(world: World) -> Observed:
    code, verifier = world.code()
    return httpx.post(world.hub.issuer + "/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": CALLBACK, "client_id": world.client_id})


def _no_verifier(world: World) -> Observed:
    code, _ = world.code()
    return world.token(grant_type="authorization_code", code=code, redirect_uri=CALLBACK)


def _refresh_reused(world: World) -> Observed:
    first = world.tokens()["refresh_token"]
    assert world.token(grant_type="refresh_token", refresh_token=first).status_code == 200
    return world.token(grant_type="refresh_token", refresh_token=first)


def _wrong_secret(world: World) -> Observed:
    code, verifier = world.code()
    return httpx.post(world.hub.issuer + "/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": CALLBACK}, auth=(world.client_id, "not-the-secret"))


def _unregistered_scope(world: World) -> Observed:
    service = world.hub.client(redirect_uris=[], grant_types=["client_credentials"],
                               scope="service.read")
    return httpx.post(world.hub.issuer + "/token", data={
        "grant_type": "client_credentials", "scope": "service.write"},
        auth=(service.client["client_id"], service.secret))


def _userinfo_with(world: World, token: str | None) -> Observed:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(world.meta["userinfo_endpoint"], headers=headers)


def _revoked_token(world: World) -> Observed:
    access = world.tokens()["access_token"]
    httpx.post(world.meta["revocation_endpoint"], data={"token": access},
               auth=(world.client_id, world.secret))
    return _userinfo_with(world, access)


def _no_openid_scope(world: World) -> Observed:
    return _userinfo_with(world, world.tokens(scope="profile")["access_token"])


def _logout(world: World, **params: str) -> Observed:
    with _fresh(world) as browser:
        return browser.get("/logout", params=params)


SCENARIOS: dict[tuple[str, str, str], list[Scenario]] = {
    ("authorize", "400, page", "invalid_client"): [_unknown_client],
    ("authorize", "400, page", "invalid_request"): [
        lambda w: _authorize(w, redirect_uri="http://127.0.0.1:9999/elsewhere")],
    ("authorize", "303, redirection", "invalid_request"): [
        lambda w: _authorize(w, code_challenge=None, code_challenge_method=None),
        lambda w: _authorize(w, code_challenge_method="plain"),
        lambda w: _citizen_facing(w, state="short"),
        lambda w: _citizen_facing(w, nonce="short"),
        lambda w: _citizen_facing(w, acr_values=None)],
    ("authorize", "303, redirection", "unsupported_response_type"): [
        lambda w: _authorize(w, response_type="token")],
    ("authorize", "303, redirection", "request_not_supported"): [
        lambda w: _authorize(w, request="eyJhbGciOiJub25lIn0.e30.")],
    ("authorize", "303, redirection", "request_uri_not_supported"): [
        lambda w: _authorize(w, request_uri="https://app.example/request.jwt")],
    ("authorize", "303, redirection", "login_required"): [
        lambda w: _authorize(w, prompt="none")],
    ("authorize", "303, redirection", "consent_required"): [_consent_required],
    ("authorize", "303, redirection", "unmet_authentication_requirements"): [
        lambda w: (w.code(), _authorize(w, w.browser, acr_values="eidas2"))[1]],
    ("authorize", "303, redirection", "access_denied"): [_refused_consent],
    ("token", "401", "invalid_client"): [_wrong_secret, _no_client_authentication],
    ("token", "400", "invalid_grant"): [_code_reused, _wrong_verifier, _refresh_reused,
                                        _other_redirect_uri, _unknown_code],
    ("token", "400", "invalid_request"): [_no_verifier],
    ("token", "400", "unauthorized_client"): [
        lambda w: w.token(grant_type="client_credentials")],
    ("token", "400", "unsupported_grant_type"): [lambda w: w.token(grant_type="password")],
    ("token", "400", "invalid_scope"): [_unregistered_scope],
    ("userinfo", '401, `WWW-Authenticate: Bearer realm="userinfo"`', ""): [
        lambda w: _userinfo_with(w, None)],
    ("userinfo", '401, `WWW-Authenticate: Bearer …, error="invalid_token"`', "invalid_token"): [
        lambda w: _userinfo_with(w, "not-a-token"), _revoked_token],
    ("userinfo", "403", "insufficient_scope"): [_no_openid_scope],
    ("introspect", "401", "invalid_client"): [
        lambda w: httpx.post(w.meta["introspection_endpoint"], data={"token": "x"},
                             auth=(w.client_id, "not-the-secret"))],
    ("logout", "400, page", "invalid_request"): [
        lambda w: _logout(w, post_logout_redirect_uri="https://elsewhere.example/"),
        lambda w: _logout(w, id_token_hint="not-a-token")],
}


def _rows(lang: str) -> set[tuple[str, str, str]]:
    rows = set()
    for endpoint, _case, http, error in table(lang, "errors"):
        rows.add((endpoint, http, "".join(codes(error))))  # rows alike share scenarios
    return rows


@pytest.mark.parametrize("lang", LANGS)
def test_every_error_row_has_a_scenario(lang: str) -> None:
    assert _rows(lang) == set(SCENARIOS)


def _check(key: tuple[str, str, str], observed: Observed) -> None:
    endpoint, http, error = key
    status = int(re.match(r"\d+", http).group())  # type: ignore[union-attr]
    assert observed.status_code == status, (key, observed.status_code, observed.text[:300])
    if "redirection" in http:
        answer = params_of(observed.headers["location"])
        assert observed.headers["location"].startswith(CALLBACK)
        assert answer["error"] == error and answer["state"] and answer["iss"]
    elif "page" in http:
        assert observed.headers["content-type"].startswith("text/html")
        assert error in observed.text
    elif endpoint == "userinfo" and status == 401:
        challenge = observed.headers["www-authenticate"]
        shown = codes(http)[0].removeprefix("WWW-Authenticate: ")
        if "…" in shown:
            head, tail = shown.split("…")
            assert challenge.startswith(head.strip()) and tail.strip(", ") in challenge
        else:
            assert challenge == shown
    else:
        assert observed.json()["error"] == error, observed.text


@pytest.mark.parametrize("key", sorted(SCENARIOS), ids=lambda k: "-".join(k))
def test_each_error_row_is_what_the_hub_answers(world: World, key: tuple[str, str, str]
                                                ) -> None:
    for scenario in SCENARIOS[key]:
        _check(key, scenario(world))
