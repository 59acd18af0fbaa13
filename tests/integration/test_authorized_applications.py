"""Authorized applications (/compte/applications) and "Retirer l'accès": the applications that
received the person's data, with the kinds, since when and the last transfer; withdrawing
revokes the account's grants for that client (refresh refused, access tokens inactive at
introspection and userinfo), forgets the consent (asked again at the next login), sends a
back-channel logout for each of the account's sessions it knows, and is audited. Nothing may
be withdrawn for another account, and hostile form values get a 4xx."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from idp.runtime import Runtime
from idp.storage.models import AuditEvent, Consent, Grant
from tests.conftest import ISSUER
from tests.integration.flows import decode_jwt, introspect, tokens_for
from tests.integration.history_pages import account_id, application_names, history_rows
from tests.oidc_helpers import auth_request, authorize, csrf_token
from tests.servers import ThreadedServer

DAY = 86400


class Receiver(ThreadedServer):
    """A relying application's back-channel logout endpoint."""

    def __init__(self) -> None:
        self.received: list[str] = []

        async def logout(request: Request) -> Response:
            self.received.append(str((await request.form())["logout_token"]))
            return Response(status_code=200)

        super().__init__(Starlette(routes=[Route("/bcl", logout, methods=["POST"])]))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


def _confirmation(http, client_id: str):  # type: ignore[no-untyped-def]
    page = http.get("/compte/applications/retirer", params={"application": client_id})
    assert page.status_code == 200, page.text
    return page


def _withdraw(http, client_id: str):  # type: ignore[no-untyped-def]
    """The confirmation page, then its form posted."""
    page = _confirmation(http, client_id)
    return http.post("/compte/applications/retirer", data={
        "csrf_token": csrf_token(page.text), "application": client_id}, follow_redirects=False)


def _refresh(http, client, token: str):  # type: ignore[no-untyped-def]
    return http.post("/token", data={"grant_type": "refresh_token", "refresh_token": token},
                     auth=(client.client_id, client.secret))


def test_the_applications_that_received_data_are_listed_with_what_and_when(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    mairie = factories.client(name="Mairie", consent_mode="information")
    assurance = factories.client(name="Assurance", consent_mode="explicit")
    intranet = factories.client(name="Intranet", consent_mode="none")
    factories.client(name="Jamais utilisée")
    factories.account("alice")
    first_day = rt.clock.now()
    tokens_for(http, mairie, "alice", scope="openid email")
    rt.clock.advance(3 * DAY)
    tokens_for(http, assurance, "alice", scope="openid phone")
    tokens_for(http, intranet, "alice", scope="openid profile")
    rt.clock.advance(DAY)
    tokens_for(http, mairie, "alice", scope="openid email")
    rt.audit.flush()
    assert application_names(http) == ["Assurance", "Intranet", "Mairie"]
    page = http.get("/compte/applications").text
    mairie_card = page.split(">Mairie</h2>", 1)[1].split("</li>\n", 1)[0]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def day(at: int) -> str:
        return datetime.fromtimestamp(at, ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y")

    assert "<li>Adresse électronique</li>" in mairie_card
    assert f"Autorisée depuis le {day(first_day)}" in mairie_card
    assert f"Dernier échange le {day(rt.clock.now())}" in mairie_card
    intranet_card = page.split(">Intranet</h2>", 1)[1].split("</li>\n", 1)[0]
    assert "ne demande pas de consentement" in intranet_card
    assert "<li>Nom et prénoms</li>" in intranet_card


def test_withdrawing_revokes_tokens_forgets_the_consent_and_is_audited(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Assurance")
    other = factories.client(name="Mairie")
    factories.account("alice")
    tokens = tokens_for(http, client, "alice")
    refreshed = _refresh(http, client, tokens["refresh_token"]).json()
    kept = tokens_for(http, other, "alice")
    rt.audit.flush()
    response = _withdraw(http, client.client_id)
    assert response.status_code == 303 and response.headers["location"] == "/compte/applications"
    page = http.get("/compte/applications").text
    assert "L&#39;accès de Assurance à vos données a été retiré." in page
    assert application_names(http) == ["Mairie"]
    # Every token of every grant of the account for that client: refresh refused, access
    # tokens inactive at introspection and at userinfo.
    assert _refresh(http, client, refreshed["refresh_token"]).json()["error"] == "invalid_grant"
    for access_token in (tokens["access_token"], refreshed["access_token"]):
        assert introspect(http, client, access_token)["active"] is False
    assert http.get("/userinfo", headers={
        "Authorization": f"Bearer {refreshed['access_token']}"}).status_code == 401
    # Another application keeps its access.
    assert introspect(http, other, kept["access_token"])["active"] is True
    assert _refresh(http, other, kept["refresh_token"]).status_code == 200
    alice = account_id(rt, "alice")
    with rt.db.read() as s:
        assert s.query(Consent).filter_by(account_id=alice, client_id=client.client_id).count() == 0
        assert s.query(Grant).filter_by(client_id=client.client_id, revoked_at=None).count() == 0
        event = s.query(AuditEvent).filter_by(event="consent.withdrawn").one()
        assert (event.account_id, event.client_id) == (alice, client.client_id)
    # The consent page again at the next authorization.
    again = authorize(http, auth_request(client.client_id, client.redirect_uri))
    assert again.status_code == 200 and 'action="/authorize/consent"' in again.text
    # The history shows the withdrawal.
    assert history_rows(http)[0][1:3] == ["Accès retiré", "Assurance"]


def test_a_withdrawn_application_comes_back_only_with_new_data(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Assurance")
    factories.account("alice")
    tokens_for(http, client, "alice")
    rt.audit.flush()
    assert _withdraw(http, client.client_id).status_code == 303
    assert application_names(http) == []
    rt.clock.advance(60)
    tokens_for(http, client, "alice")
    rt.audit.flush()
    assert application_names(http) == ["Assurance"]


def test_the_application_ends_its_sessions_by_back_channel_logout(
        http, app, factories, rt: Runtime, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Assurance",
                              backchannel_logout_uri=f"{receiver.base}/bcl")
    factories.account("alice")
    first = tokens_for(http, client, "alice")
    # A second session of Alice (no `with`: the app's lifespan belongs to `http`).
    second = tokens_for(TestClient(app, base_url=ISSUER), client, "alice")
    rt.audit.flush()
    assert _withdraw(http, client.client_id).status_code == 303
    assert len(receiver.received) == 2
    keys = KeySet.import_key_set(http.get("/jwks").json())
    sids = {decode_jwt(t["id_token"])[1]["sid"] for t in (first, second)}
    claims = [jwt.decode(raw, keys, algorithms=["ES256", "RS256"]).claims
              for raw in receiver.received]
    assert {c["sid"] for c in claims} == sids
    assert all(c["aud"] == client.client_id and c["iss"] == ISSUER for c in claims)
    assert {c["sub"] for c in claims} == {decode_jwt(first["id_token"])[1]["sub"]}
    # The hub's own session goes on.
    assert http.get("/compte/applications").status_code == 200


def test_an_operators_application_is_withdrawn_and_comes_back_without_a_page(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Intranet", consent_mode="none")
    factories.account("alice")
    tokens = tokens_for(http, client, "alice")
    rt.audit.flush()
    page = http.get("/compte/applications/retirer", params={"application": client.client_id})
    assert "appartient à ce service et ne demande pas de consentement" in page.text
    assert _withdraw(http, client.client_id).status_code == 303
    assert introspect(http, client, tokens["access_token"])["active"] is False
    again = authorize(http, auth_request(client.client_id, client.redirect_uri))
    assert again.status_code in (302, 303) and "code=" in again.headers["location"]


def test_another_accounts_application_cannot_be_withdrawn(
        http, app, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    bobs = factories.client(name="Banque de Bob")
    factories.account("alice")
    factories.account("bob")
    bob_tokens = tokens_for(TestClient(app, base_url=ISSUER), bobs, "bob")
    mairie = factories.client(name="Mairie")
    tokens_for(http, mairie, "alice")
    rt.audit.flush()
    page = _confirmation(http, mairie.client_id)
    assert http.get("/compte/applications/retirer",
                    params={"application": bobs.client_id}).status_code == 404
    response = http.post("/compte/applications/retirer", data={
        "csrf_token": csrf_token(page.text), "application": bobs.client_id})
    assert response.status_code == 404
    assert "ne fait pas partie des applications que vous avez autorisées" in response.text
    assert introspect(http, bobs, bob_tokens["access_token"])["active"] is True
    with rt.db.read() as s:
        assert s.query(AuditEvent).filter_by(event="consent.withdrawn").count() == 0


@pytest.mark.parametrize("value", [
    "inconnue", "", "x" * 300, "a\u0000b", "'; DROP TABLE grants; --", "é" * 10, "\u202e",
])
def test_hostile_application_values_are_refused(
        http, factories, rt: Runtime, value: str) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    mairie = factories.client(name="Mairie")
    tokens_for(http, mairie, "alice")
    rt.audit.flush()
    page = _confirmation(http, mairie.client_id)
    response = http.post("/compte/applications/retirer", data={
        "csrf_token": csrf_token(page.text), "application": value})
    assert 400 <= response.status_code < 500
    assert http.get("/compte/applications/retirer",
                    params={"application": value}).status_code in (400, 404)
    assert application_names(http) == ["Mairie"]


def test_two_application_values_are_refused(http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    a, b = factories.client(name="A"), factories.client(name="B")
    factories.account("alice")
    tokens_for(http, a, "alice")
    tokens_for(http, b, "alice")
    rt.audit.flush()
    page = _confirmation(http, a.client_id)
    response = http.post("/compte/applications/retirer", data={
        "csrf_token": csrf_token(page.text), "application": [a.client_id, b.client_id]})
    assert response.status_code == 400
    assert application_names(http) == ["A", "B"]


def test_withdrawing_needs_the_forms_token_and_a_login(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Mairie")
    factories.account("alice")
    tokens_for(http, client, "alice")
    rt.audit.flush()
    response = http.post("/compte/applications/retirer",
                         data={"application": client.client_id})
    assert response.status_code == 403
    assert application_names(http) == ["Mairie"]
    stranger = TestClient(http.app, base_url=ISSUER)
    response = stranger.post("/compte/applications/retirer",
                             data={"application": client.client_id}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert stranger.get("/compte/applications",
                        follow_redirects=False).headers["location"] == "/login"


def test_the_confirmation_page_says_what_happens(http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Assurance")
    factories.account("alice")
    tokens_for(http, client, "alice")
    rt.audit.flush()
    page = http.get("/compte/applications/retirer", params={"application": client.client_id})
    text = re.sub(r"\s+", " ", page.text)
    assert "Retirer l&#39;accès de Assurance" in text
    assert "il vous sera de nouveau demandé si elle peut recevoir vos données" in text

