"""The federation, shown to work with real processes (the issue's "How it is shown to work"):
a citizen logs in at an authlib relying party through the main hub and either FI — another
hub instance or node-oidc-provider — and is the same person (same pairwise `sub`) through
both; each way an FI can fail or cheat is refused with a page naming it and an audit event,
while the other FI still works; failing FIs are greyed, operator switches reach every process,
`idp_hint` and allow lists are obeyed, the session id is replaced at the callback, and logout
goes through the FI's end_session."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from idp.federation.providers import ProviderState
from idp.storage.models import AuditEvent
from tests.e2e.browsing import params_of
from tests.e2e.conftest import start_hub, stop_hub
from tests.e2e.federation_world import (
    CALLBACK,
    FI_TIMEOUT,
    HOSTILE_CITIZEN,
    HOSTILE_IDS,
    NAMES,
    OTHER_REDIRECT,
    REFRESH,
    RP_LOGOUT,
    RP_REDIRECT,
    THRESHOLD,
    Federation,
    browser,
    follow,
    good_hostile_behaviour,
    new_state,
    running_federation,
)
from tests.oidc_helpers import hidden

pytestmark = pytest.mark.e2e
SESSION_COOKIE = "idp_session"  # the main hub's (Settings.session_cookie)


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with running_federation(tmp_path_factory.mktemp("federation")) as federation:
        hub = federation.hub
        common = {"citizen_facing": True, "subject_type": "pairwise",
                  "consent_mode": "information", "scope": "openid profile email"}
        federation.clients["rp"] = hub.client(
            redirect_uris=[RP_REDIRECT], post_logout_redirect_uris=[RP_LOGOUT], **common)
        federation.clients["other"] = hub.client(
            redirect_uris=[OTHER_REDIRECT], post_logout_redirect_uris=["http://localhost:9998/"],
            **common)
        federation.clients["limited"] = hub.client(
            redirect_uris=[RP_REDIRECT], allowed_providers=["fi-node"], **common)
        yield federation


@pytest.fixture(autouse=True)
def fair_fis(fed: Federation) -> None:
    """Each test starts with the hostile FI playing fair and every FI available."""
    fed.hostile.behaviour = good_hostile_behaviour()
    greyed = [i for i in (*HOSTILE_IDS, "fi-closed")
              if fed.hub.rt.providers.state(i) is ProviderState.UNAVAILABLE]
    fed.reset_health()
    if greyed:
        time.sleep(REFRESH * 3)  # the hub process reloads its registry


# The relying party ---------------------------------------------------------------------------

@dataclass
class Attempt:
    """An authorization request of the relying party, ready for the browser."""

    rp: OAuth2Client
    url: str
    state: str
    nonce: str
    verifier: str
    redirect: str
    client_id: str


def attempt(fed: Federation, client: str = "rp", scope: str = "openid email",
            acr_values: str = "eidas1", **extra: str) -> Attempt:
    registered = fed.clients[client]
    redirect = registered.client["redirect_uris"][0]
    rp = OAuth2Client(registered.client["client_id"], registered.secret, scope=scope,
                      redirect_uri=redirect, code_challenge_method="S256", timeout=15)
    # Citizen-facing clients: state and nonce of at least 22 characters, acr_values.
    verifier, nonce, state = secrets.token_urlsafe(48), new_state(), new_state()
    url, _ = rp.create_authorization_url(fed.meta()["authorization_endpoint"], state=state,
                                         code_verifier=verifier, nonce=nonce,
                                         acr_values=acr_values, **extra)
    return Attempt(rp, url, state, nonce, verifier, redirect, registered.client["client_id"])


Answers = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]  # claims, tokens, userinfo


def finish(fed: Federation, a: Attempt, response: httpx.Response) -> Answers:
    """The RP's side of the redirect: code for tokens, the ID token validated against the
    hub's JWKS (OIDC Core §3.1.3.7), userinfo. (claims, tokens, userinfo)"""
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    callback = response.headers["location"]
    assert callback.startswith(a.redirect) and params_of(callback)["iss"] == fed.hub.issuer
    meta = fed.meta()
    tokens = a.rp.fetch_token(meta["token_endpoint"], authorization_response=callback,
                              code_verifier=a.verifier, state=a.state)
    jwks = KeySet.import_key_set(httpx.get(meta["jwks_uri"], timeout=10).json())
    token = jwt.decode(tokens["id_token"], jwks, algorithms=["RS256", "ES256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": fed.hub.issuer},
        aud={"essential": True, "value": a.client_id},
        exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
        nonce={"essential": True, "value": a.nonce},
    ).validate(token.claims)
    userinfo = a.rp.get(meta["userinfo_endpoint"]).json()
    a.rp.close()
    assert userinfo["sub"] == token.claims["sub"]
    return token.claims, tokens, userinfo


def log_in(fed: Federation, provider: str, client: str = "rp", **extra: str) -> Answers:
    a = attempt(fed, client, **extra)
    with browser() as b:
        return finish(fed, a, follow(b, a.url, provider, a.redirect))


def other_fi_logs_in(fed: Federation) -> None:
    """The FI's failure is its own: the node FI still logs the citizen in."""
    claims, _, _ = log_in(fed, "fi-node")
    assert claims["acr"] == "eidas1"


def refused_page(response: httpx.Response, status: int, text: str, provider: str | None,
                 code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:800])
    page = response.text.replace("&#39;", "'").replace("&#x27;", "'")
    assert text in page, page[:1500]
    assert f"<code>{code}</code>" in page
    if provider is not None:
        assert NAMES[provider] in page


def recorded(fed: Federation, marker: int, event: str, fi: str | None) -> None:
    if not fed.events_after(marker, event, fi):
        with fed.hub.rt.db.read() as s:
            seen = [(e.event, e.fi, e.detail) for e in s.scalars(
                select(AuditEvent).where(AuditEvent.id > marker))]
        raise AssertionError(f"no {event} event for {fi}; recorded: {seen}")


# 2. One person through both FIs ---------------------------------------------------------------

def test_same_person_through_either_fi_has_the_same_pairwise_sub(fed: Federation) -> None:
    through_hub, tokens, userinfo = log_in(fed, "fi-hub")
    through_node, _, _ = log_in(fed, "fi-node")
    assert through_hub["sub"] == through_node["sub"]
    assert through_hub["acr"] == through_node["acr"] == "eidas1"
    # Only the claims asked (openid email) among those registered (openid profile email).
    assert userinfo["email"] == "elise.marchand@courriel-test.example"
    assert not {"given_name", "family_name", "birthdate", "birthplace"} & set(userinfo)
    assert "refresh_token" not in tokens or tokens["refresh_token"]

    elsewhere, _, _ = log_in(fed, "fi-node", client="other")
    assert elsewhere["sub"] != through_hub["sub"]  # another sector, another pairwise sub


def test_profile_asked_and_registered_is_given(fed: Federation) -> None:
    _, _, userinfo = log_in(fed, "fi-node", scope="openid profile")
    assert userinfo["given_name"] == "Élise Jeanne" and userinfo["family_name"] == "Marchand"
    assert "email" not in userinfo


# 3. Refusals ------------------------------------------------------------------------------------

VERIFIED = "n'a pas pu être vérifiée"
DOWN = "ne répond pas pour le moment"


def _now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class Refusal:
    behaviour: Callable[[], dict[str, Any]]
    status: int
    text: str
    code: str
    event: str
    acr_values: str = "eidas1"


REFUSALS = {
    "fi_error_on_callback": Refusal(lambda: {"callback_error": "access_denied"}, 403,
                                    "n'a pas confirmé votre identité", "refused",
                                    "fi.callback_error"),
    "wrong_nonce": Refusal(lambda: {"id_token_claims": {"nonce": new_state()}}, 502, VERIFIED,
                           "bad_answer", "fi_token_invalid"),
    "bad_signature": Refusal(lambda: {"signing": "stranger"}, 502, VERIFIED, "bad_answer",
                             "fi_token_invalid"),
    "alg_none": Refusal(lambda: {"signing": "none"}, 502, VERIFIED, "bad_answer",
                        "fi_token_invalid"),
    "wrong_iss": Refusal(lambda: {"id_token_claims": {"iss": "http://127.0.0.1:9/autre"}}, 502,
                         VERIFIED, "bad_answer", "fi_issuer_mismatch"),
    "wrong_aud": Refusal(lambda: {"id_token_claims": {"aud": "un-autre-client"}}, 502,
                         VERIFIED, "bad_answer", "fi_token_invalid"),
    "expired_id_token": Refusal(
        lambda: {"id_token_claims": {"exp": _now() - 900, "iat": _now() - 1200,
                                     "auth_time": _now() - 1200}},
        502, VERIFIED, "bad_answer", "fi_token_invalid"),
    "acr_below_the_level_asked": Refusal(lambda: {"id_token_claims": {"acr": "eidas1"}}, 403,
                                         "niveau de sécurité", "insufficient_acr",
                                         "fi.insufficient_acr", acr_values="eidas2"),
    "userinfo_sub_mismatch": Refusal(
        lambda: {"userinfo_claims": {**HOSTILE_CITIZEN, "sub": "quelqu-un-d-autre"}},
        502, VERIFIED, "bad_answer", "fi_userinfo_mismatch"),
    "pivot_missing_birthplace": Refusal(
        lambda: {"userinfo_claims": {k: v for k, v in HOSTILE_CITIZEN.items()
                                     if k != "birthplace"}},
        403, "incomplète ou invalide", "identity_invalid", "fi.identity_invalid"),
    "pivot_invalid_birthdate": Refusal(
        lambda: {"userinfo_claims": {**HOSTILE_CITIZEN, "birthdate": "1980-13-45"}},
        403, "incomplète ou invalide", "identity_invalid", "fi.identity_invalid"),
    "fi_timeout": Refusal(lambda: {"token_delay": FI_TIMEOUT + 2}, 502, DOWN, "unreachable",
                          "fi_timeout"),
    "fi_500_on_token": Refusal(lambda: {"token_status": 500}, 502, DOWN, "unreachable",
                               "fi_bad_answer"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_fi_misbehaviour_is_refused_and_the_other_fi_still_works(fed: Federation,
                                                                  case: str) -> None:
    refusal = REFUSALS[case]
    fed.hostile.behaviour = good_hostile_behaviour(**refusal.behaviour())
    marker = fed.last_event_id()
    a = attempt(fed, acr_values=refusal.acr_values)
    with browser() as b:
        response = follow(b, a.url, "fi-hostile", a.redirect)
    refused_page(response, refusal.status, refusal.text, "fi-hostile", refusal.code)
    recorded(fed, marker, refusal.event, "fi-hostile")
    other_fi_logs_in(fed)


def test_the_hostile_fi_playing_fair_logs_in(fed: Federation) -> None:
    """The refusals above break one rule each: without it, the same FI is accepted."""
    claims, _, _ = log_in(fed, "fi-hostile")
    assert claims["acr"] == "eidas1"


def _callback_url(fed: Federation, b: httpx.Client, a: Attempt) -> str:
    """Through the picker to the hostile FI, stopping at its redirect to the hub's callback."""
    response = follow(b, a.url, "fi-hostile", fed.hub.issuer + CALLBACK)
    assert response.status_code in (302, 303), response.text[:500]
    return str(response.headers["location"])


def test_wrong_state_at_the_callback_is_refused(fed: Federation) -> None:
    marker = fed.last_event_id()
    a = attempt(fed)
    with browser() as b:
        callback = _callback_url(fed, b, a)
        params = params_of(callback)
        redeemed = fed.hostile.hits.get("token", 0)
        forged = fed.hub.issuer + CALLBACK + "?" + urlencode({**params, "state": new_state()})
        refused_page(b.get(forged), 400, "n'est pas, ou plus, attendue", None, "state_mismatch")
    recorded(fed, marker, "fi.state_mismatch", None)
    assert fed.hostile.hits.get("token", 0) == redeemed  # the FI's code was never used
    other_fi_logs_in(fed)


def test_replayed_callback_is_refused(fed: Federation) -> None:
    a = attempt(fed)
    with browser() as b:
        callback = _callback_url(fed, b, a)
        finish(fed, a, follow(b, callback, None, a.redirect))  # used once: logged in
        marker, redeemed = fed.last_event_id(), fed.hostile.hits["token"]
        refused_page(b.get(callback), 400, "n'est pas, ou plus, attendue", None,
                     "state_mismatch")
        assert fed.hostile.hits["token"] == redeemed
    recorded(fed, marker, "fi.state_mismatch", None)
    other_fi_logs_in(fed)


def test_fi_refusing_connections_is_named_on_the_page(fed: Federation) -> None:
    marker = fed.last_event_id()
    a = attempt(fed)
    with browser() as b:
        response = follow(b, a.url, "fi-closed", a.redirect)
    refused_page(response, 502, DOWN, "fi-closed", "unreachable")
    recorded(fed, marker, "fi_unreachable", "fi-closed")
    other_fi_logs_in(fed)


# 4. Availability ------------------------------------------------------------------------------

def picker_state(html: str, provider: str) -> str:
    """"clickable", "greyed" (with why), or "absent" for `provider` on the picker page."""
    if f'name="provider" value="{provider}"' in html:
        return "clickable"
    why = f'id="provider-{provider}-why"'
    if f'disabled aria-describedby="provider-{provider}-why"' in html:  # not clickable
        return "greyed: " + html.split(why, 1)[1].split("</p>", 1)[0].strip(" >\n")
    return "absent"


def picker(fed: Federation, base: str | None = None) -> str:
    """The picker as a visitor of the hub (no application) sees it."""
    with browser() as b:
        response = b.get((base or fed.hub.url) + "/connexion/choix")
    assert response.status_code == 200
    return response.text


def test_repeated_failures_grey_the_fi_on_the_picker(fed: Federation) -> None:
    fed.hostile.behaviour = good_hostile_behaviour(token_status=500)
    assert picker_state(picker(fed), "fi-fragile") == "clickable"
    for _ in range(THRESHOLD):
        a = attempt(fed)
        with browser() as b:
            refused_page(follow(b, a.url, "fi-fragile", a.redirect), 502, DOWN, "fi-fragile",
                         "unreachable")
    a = attempt(fed)
    with browser() as b:
        page = follow(b, a.url, None, a.redirect, stop_at_picker=True)
        assert picker_state(page.text, "fi-fragile") == "greyed: Temporairement indisponible"
        assert picker_state(page.text, "fi-node") == "clickable"
        # A forged choice of the greyed FI is refused with its own page.
        forged = b.post(fed.hub.issuer + "/connexion/choix", data={
            "csrf_token": hidden(page.text, "csrf_token"), "rid": hidden(page.text, "rid"),
            "provider": "fi-fragile"})
        refused_page(forged, 503, "est temporairement indisponible", "fi-fragile",
                     "unavailable")
    other_fi_logs_in(fed)


def _idp(fed: Federation, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "idp", *args], env=fed.hub.env,
                          capture_output=True, text=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr


def _greyed_within(fed: Federation, base: str, expected: str, seconds: float) -> float:
    start = time.monotonic()
    while (seen := picker_state(picker(fed, base), "fi-spare")) != expected:
        assert time.monotonic() - start < seconds, seen
        time.sleep(0.1)
    return time.monotonic() - start


def test_operator_disable_greys_the_fi_in_another_process(fed: Federation) -> None:
    second = start_hub(fed.database_url, fed.keys_dir, issuer=fed.hub.issuer,
                       extra_env={"IDP_PROVIDERS_REFRESH": str(REFRESH)})
    try:
        assert picker_state(picker(fed, second.url), "fi-spare") == "clickable"
        _idp(fed, "providers", "disable", "fi-spare")  # the operator, in a third process
        waited = _greyed_within(fed, second.url, "greyed: Temporairement indisponible", 10)
        assert waited < REFRESH + 5
        assert picker_state(picker(fed), "fi-spare").startswith("greyed")
        _idp(fed, "providers", "enable", "fi-spare")
        _greyed_within(fed, second.url, "clickable", 10)
    finally:
        stop_hub(second)


# 5. idp_hint and allow lists -------------------------------------------------------------------

def test_idp_hint_skips_the_picker(fed: Federation) -> None:
    marker = fed.last_event_id()
    a = attempt(fed, idp_hint="fi-node")
    with browser() as b:
        # No provider for the walk: a picker page would end it (and fail `finish`).
        response = follow(b, a.url, None, a.redirect)
        assert response.status_code == 303, response.text[:500]
        finish(fed, a, response)
    recorded(fed, marker, "fi.hinted", "fi-node")


def test_allow_list_hides_other_fis_and_refuses_a_forged_choice(fed: Federation) -> None:
    a = attempt(fed, client="limited")
    with browser() as b:
        page = follow(b, a.url, None, a.redirect, stop_at_picker=True)
        assert picker_state(page.text, "fi-node") == "clickable"
        assert all(picker_state(page.text, other) == "absent"
                   for other in NAMES if other != "fi-node")
        forged = b.post(fed.hub.issuer + "/connexion/choix", data={
            "csrf_token": hidden(page.text, "csrf_token"), "rid": hidden(page.text, "rid"),
            "provider": "fi-hub"})
        refused_page(forged, 400, "ne peut pas être utilisé pour cette application", None,
                     "unknown_provider")
        # The page's own choice still works.
        response = b.post(fed.hub.issuer + "/connexion/choix", data={
            "csrf_token": hidden(page.text, "csrf_token"), "rid": hidden(page.text, "rid"),
            "provider": "fi-node"})
        location = response.headers["location"]
        finish(fed, a, follow(b, location, None, a.redirect))


# 6. Session fixation, CSRF ----------------------------------------------------------------------

def test_session_id_is_replaced_at_the_callback(fed: Federation) -> None:
    a = attempt(fed)
    with browser() as b:
        callback = _callback_url(fed, b, a)
        before = b.cookies.get(SESSION_COOKIE)
        assert before
        back = b.get(callback)
        assert back.status_code == 303, back.text[:500]
        after = b.cookies.get(SESSION_COOKIE)
        assert after and after != before
        assert len(b.cookies.get("idp_device") or "") == 43  # the new-device cookie too
        finish(fed, a, follow(b, urljoin_hub(fed, back.headers["location"]), None, a.redirect))


def urljoin_hub(fed: Federation, location: str) -> str:
    return location if location.startswith("http") else fed.hub.issuer + location


def test_picker_post_without_csrf_token_is_refused(fed: Federation) -> None:
    a = attempt(fed)
    with browser() as b:
        page = follow(b, a.url, None, a.redirect, stop_at_picker=True)
        response = b.post(fed.hub.issuer + "/connexion/choix", data={
            "rid": hidden(page.text, "rid"), "provider": "fi-node"})
        assert response.status_code == 403
        assert "location" not in response.headers  # nobody is sent to the FI


# 7. Logout --------------------------------------------------------------------------------------

def test_logout_goes_through_the_fi_end_session_and_back_to_the_rp(fed: Federation) -> None:
    a = attempt(fed)
    visited: list[str] = []
    with browser(visited) as b:
        _, tokens, _ = finish(fed, a, follow(b, a.url, "fi-hub", a.redirect))
        end_session = fed.meta()["end_session_endpoint"] + "?" + urlencode({
            "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": RP_LOGOUT,
            "state": "au-revoir"})
        visited.clear()
        response = follow(b, end_session, None, RP_LOGOUT)
        assert response.status_code in (302, 303), response.text[:800]
        assert response.headers["location"] == RP_LOGOUT + "?state=au-revoir"
        assert any(url.startswith(fed.fi_hub.issuer + "/logout") for url in visited), visited
        assert any(url.startswith(fed.hub.issuer + "/deconnexion/retour") for url in visited)
        # The hub's session is over: a silent authorization asks for a login.
        again = attempt(fed, prompt="none")
        silent = b.get(again.url)
        assert params_of(silent.headers["location"])["error"] == "login_required"
        # ... and so is the FI's: logging in again through it shows its login form.
        visited.clear()
        relogin = attempt(fed)
        finish(fed, relogin, follow(b, relogin.url, "fi-hub", relogin.redirect))
        assert any(url.startswith(fed.fi_hub.issuer + "/login") for url in visited), visited
