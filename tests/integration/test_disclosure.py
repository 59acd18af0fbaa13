"""Minimal disclosure (FranceConnect's rules): what an application receives — asked ∩ allowed by
its registration — and what the person sees before it, by the client's consent mode; the
citizen-facing request rules; the data-transfer events (claim names, never values)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from idp import admin
from idp.storage.models import AuditEvent
from tests.integration.flows import decode_jwt, exchange, tokens_for
from tests.oidc_helpers import (
    auth_request,
    authorize,
    authorize_redirect,
    consent,
    follow_to_client,
    login,
    parse_redirect,
)

INFORMATION = "Les données suivantes vont être transmises à"
LONG = "a" * 22  # FranceConnect's minimum for state and nonce


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Events are read after rt.audit.flush(), never by chance of the background thread.
    return settings.replace(audit_flush_interval=0.0)


def _events(rt, name: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    rt.audit.flush()
    with rt.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == name)
                              .order_by(AuditEvent.id)))


def _page_after_login(http, client, username, **extra):  # type: ignore[no-untyped-def]
    """authorize (logging in if needed): the request and the hub's answer that is not a
    redirect inside the hub (a page), or the Location that leaves for the client."""
    req = auth_request(client.client_id, client.redirect_uri, **extra)
    response = authorize(http, req)
    if response.status_code == 303 and response.headers["location"].startswith("/login"):
        response = login(http, username, location=response.headers["location"])
    return req, follow_to_client(http, response, client.redirect_uri)


def _userinfo(http, tokens) -> dict:  # type: ignore[no-untyped-def]
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200, response.text
    return response.json()


# explicit: the consent page ----------------------------------------------------------------


def test_explicit_mode_asks_once_then_again_for_new_claims_and_on_prompt_consent(  # type: ignore[no-untyped-def]
        http, factories):
    client = factories.client(consent_mode="explicit")
    factories.account("alice")
    _, page = _page_after_login(http, client, "alice", scope="openid email")
    assert page.status_code == 200 and 'value="accept"' in page.text
    assert "<li>Adresse électronique</li>" in page.text
    assert "code" in parse_redirect(follow_to_client(http, consent(http, page),
                                                     client.redirect_uri))
    # Remembered for the same scopes and claims.
    assert "code" in authorize_redirect(http, auth_request(client.client_id,
                                                           client.redirect_uri,
                                                           scope="openid email"))
    # A claim asked through `claims` that was not agreed to asks again.
    _, page = _page_after_login(http, client, "alice", scope="openid email",
                                claims=json.dumps({"userinfo": {"siret": None}}))
    assert page.status_code == 200 and "<li>Numéro SIRET</li>" in page.text
    # prompt=consent shows the page even when everything is remembered.
    _, page = _page_after_login(http, client, "alice", scope="openid email", prompt="consent")
    assert page.status_code == 200 and 'value="accept"' in page.text


def test_the_consent_page_lists_kinds_of_data_in_plain_words_once_each(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(consent_mode="explicit",
                              scope="openid profile email phone siret birth")
    factories.account("alice")
    _, page = _page_after_login(http, client, "alice",
                                scope="openid profile email phone birth")
    for line in ("Nom et prénoms", "Nom d&#39;usage", "Date de naissance", "Sexe",
                 "Lieu et pays de naissance", "Adresse électronique", "Numéro de téléphone"):
        assert page.text.count(f"<li>{line}</li>") == 1, line
    for technical in ("given_name", "email_verified", "birthcountry", "phone_number"):
        assert technical not in page.text


# information: the information page --------------------------------------------------------


def test_information_mode_shows_the_data_before_the_first_transfer_only(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(name="Mairie", consent_mode="information")
    factories.account("alice")
    _, page = _page_after_login(http, client, "alice", scope="openid email")
    assert page.status_code == 200
    assert f"{INFORMATION} Mairie" in page.text and "<li>Adresse électronique</li>" in page.text
    assert ">Continuer</button>" in page.text and 'value="deny"' not in page.text
    redirect = follow_to_client(http, consent(http, page, decision="continue"),
                                client.redirect_uri)
    assert "code" in parse_redirect(redirect)
    # Shown once: the same data go without the page.
    assert "code" in authorize_redirect(http, auth_request(client.client_id,
                                                           client.redirect_uri,
                                                           scope="openid email"))
    # New kinds of data: the page again, listing them.
    _, page = _page_after_login(http, client, "alice", scope="openid email phone")
    assert INFORMATION in page.text and "<li>Numéro de téléphone</li>" in page.text
    # prompt=consent shows it again.
    _, page = _page_after_login(http, client, "alice", scope="openid email", prompt="consent")
    assert page.status_code == 200 and INFORMATION in page.text


def test_information_mode_with_prompt_none_before_the_page_is_consent_required(  # type: ignore[no-untyped-def]
        http, factories):
    client = factories.client(consent_mode="information")
    factories.account("alice")
    tokens_for(http, factories.client(consent_mode="none"), "alice")  # a session, nothing seen
    req = auth_request(client.client_id, client.redirect_uri, prompt="none")
    redirect = authorize_redirect(http, req)
    assert redirect["error"] == "consent_required" and redirect["state"] == req.params["state"]


def test_an_information_page_seen_is_not_a_consent(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client(consent_mode="information")
    factories.account("alice")
    tokens_for(http, client, "alice", scope="openid email")
    admin.update_client(rt.db, rt.clock.now(), client.client_id, consent_mode="explicit")
    rt.clients.invalidate()
    _, page = _page_after_login(http, client, "alice", scope="openid email")
    assert page.status_code == 200 and 'value="accept"' in page.text


def test_a_consent_given_covers_the_information_page(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client(consent_mode="explicit")
    factories.account("alice")
    tokens_for(http, client, "alice", scope="openid email")
    admin.update_client(rt.db, rt.clock.now(), client.client_id, consent_mode="information")
    rt.clients.invalidate()
    assert "code" in authorize_redirect(http, auth_request(client.client_id,
                                                           client.redirect_uri,
                                                           scope="openid email"))


# none: the operator's own applications ------------------------------------------------------


def test_none_mode_shows_nothing_and_prompt_consent_shows_the_consent_page(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(consent_mode="none")
    factories.account("alice")
    _, redirect = _page_after_login(http, client, "alice", scope="openid profile email")
    assert isinstance(redirect, str) and "code" in parse_redirect(redirect)
    _, page = _page_after_login(http, client, "alice", prompt="consent")
    assert page.status_code == 200 and 'value="accept"' in page.text


# what is released: asked ∩ registered ----------------------------------------------------


def test_claims_not_covered_by_the_registration_are_never_released(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(scope="openid email", consent_mode="explicit")
    factories.account("alice", siret="12345678901234")
    claims = {"userinfo": {"siret": None, "given_name": {"essential": True}},
              "id_token": {"family_name": None, "email": None}}
    req, page = _page_after_login(http, client, "alice", scope="openid email profile siret",
                                  claims=json.dumps(claims))
    assert "Numéro SIRET" not in page.text and "Nom et prénoms" not in page.text
    params = parse_redirect(follow_to_client(http, consent(http, page), client.redirect_uri))
    tokens = exchange(http, client, params["code"], req.verifier).json()
    assert set(_userinfo(http, tokens)) == {"sub", "email", "email_verified"}
    id_claims = decode_jwt(tokens["id_token"])[1]
    assert id_claims["email"].endswith("@example.test")
    assert not {"family_name", "given_name", "siret"} & set(id_claims)


def test_franceconnect_scopes_release_their_claims(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(scope="openid identite_pivot given_name family_name",
                              consent_mode="none")
    factories.account("alice")
    body = _userinfo(http, tokens_for(http, client, "alice", scope="openid given_name"))
    assert body == {"sub": body["sub"], "given_name": "Camille"}
    body = _userinfo(http, tokens_for(http, client, "alice", scope="openid identite_pivot"))
    # The pivot claims the account can state (birth data come with federated identities).
    assert {"given_name", "family_name"} <= set(body) and "email" not in body


def test_discovery_lists_the_franceconnect_scopes_and_claims(http):  # type: ignore[no-untyped-def]
    metadata = http.get("/.well-known/openid-configuration").json()
    assert {"profile", "birth", "identite_pivot", "email", "given_name", "family_name",
            "birthdate", "gender", "birthplace", "birthcountry",
            "preferred_username"} <= set(metadata["scopes_supported"])
    assert {"birthdate", "gender", "birthplace", "birthcountry",
            "preferred_username"} <= set(metadata["claims_supported"])


# citizen-facing request rules ---------------------------------------------------------------


@pytest.mark.parametrize(("changes", "named"), [
    ({"state": "s" * 21}, "'state'"),
    ({"nonce": "n" * 21}, "'nonce'"),
    ({"nonce": None}, "'nonce'"),
    ({"acr_values": None}, "'acr_values'"),
    ({"acr_values": " "}, "'acr_values'"),
])
def test_citizen_facing_clients_follow_franceconnect_request_rules(  # type: ignore[no-untyped-def]
        http, factories, rt, changes, named):
    client = factories.client(citizen_facing=True)
    params = {"state": LONG, "nonce": LONG, "acr_values": "eidas1", **changes}
    req = auth_request(client.client_id, client.redirect_uri, **params)
    redirect = authorize_redirect(http, req)
    assert redirect["error"] == "invalid_request"
    assert named in redirect["error_description"]
    assert redirect["state"] == req.params["state"] and redirect["iss"] == rt.settings.issuer


def test_citizen_facing_rules_met_lead_to_the_login(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(citizen_facing=True, consent_mode="none")
    factories.account("alice")
    tokens = tokens_for(http, client, "alice", state=LONG, nonce="n" * 22, acr_values="eidas1")
    assert decode_jwt(tokens["id_token"])[1]["nonce"] == "n" * 22


def test_other_clients_keep_short_state_and_no_acr_values(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(consent_mode="none")
    factories.account("alice")
    assert "id_token" in tokens_for(http, client, "alice", state="short", nonce="short")


# events: the person's history ----------------------------------------------------------------


@pytest.mark.parametrize(("mode", "decision", "event", "page_event"), [
    ("explicit", "accept", "data_transfer_consent", "consent.given"),
    ("information", "continue", "data_transfer_information", "information.shown"),
    ("none", None, "data_transfer", None),
])
def test_transfers_are_recorded_with_claim_names_never_values(  # type: ignore[no-untyped-def]
        http, factories, rt, mode, decision, event, page_event):
    client = factories.client(consent_mode=mode)
    factories.account("alice", siret="12345678901234")
    req, result = _page_after_login(http, client, "alice", scope="openid profile email siret",
                                    claims=json.dumps({"id_token": {"email": None}}))
    if decision:
        result = follow_to_client(http, consent(http, result, decision=decision),
                                  client.redirect_uri)
    tokens = exchange(http, client, parse_redirect(result)["code"], req.verifier).json()
    _userinfo(http, tokens)
    # Remembered: the second login records a transfer without a page.
    tokens_for(http, client, "alice", scope="openid profile email siret",
               claims=json.dumps({"id_token": {"email": None}}))

    transfers = _events(rt, event)
    assert len(transfers) == 2
    first = transfers[0]
    assert first.client_id == client.client_id and first.fi is None
    assert first.detail["acr"] == rt.settings.acr_default
    assert set(first.detail["claims"]) == {
        "name", "given_name", "family_name", "preferred_username", "updated_at", "birthdate",
        "gender", "email", "email_verified", "siret"}
    assert [t.detail["page_shown"] for t in transfers] == [decision is not None, False]
    if page_event:
        assert len(_events(rt, page_event)) == 1
    userinfo = _events(rt, "userinfo.released")
    assert set(userinfo[0].detail["claims"]) == {
        "name", "given_name", "family_name", "preferred_username", "email", "email_verified",
        "siret"}
    assert userinfo[0].detail["acr"] == rt.settings.acr_default
    assert _events(rt, "id_token.released")[0].detail["claims"] == ["email"]
    rt.audit.flush()
    with rt.db.read() as s:
        recorded = json.dumps([e.detail for e in s.scalars(select(AuditEvent))],
                              ensure_ascii=False)
    for value in ("Camille", "Bernard", "@example.test", "12345678901234"):
        assert value not in recorded


def test_the_fi_of_an_event_is_recorded_when_known(rt):  # type: ignore[no-untyped-def]
    rt.audit.record("data_transfer", client_id="c", fi="impots-gouv", claims=["email"])
    assert _events(rt, "data_transfer")[0].fi == "impots-gouv"
