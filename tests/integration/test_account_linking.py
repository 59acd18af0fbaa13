"""A citizen's account and its identity providers (seed 004 §8, §11), over HTTP against the
hub in process, with a real FI (tests/federation/hostile_fi.py playing fair, under uvicorn)
and a real SMTP sink: finishing an FI-created account with an e-mail address, merging it into
the account the person already has, linking an FI from a local account, removing a link, and
"Mes informations personnelles". SQLite and PostgreSQL (IDP_TEST_DATABASE)."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pyotp
import pytest

from idp import admin, admin_providers
from idp.federation.pivot import identity_hash, validate_pivot
from idp.runtime import Runtime
from idp.storage.models import AuditEvent, BrowserSession, EmailLink, FederationLink
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import federation_links
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories.hashing import sha256_hex
from tests.e2e.federation_world import HOSTILE_CITIZEN, good_hostile_behaviour
from tests.factories import PASSWORD
from tests.federation.hostile_fi import CLIENT_ID, CLIENT_SECRET, HostileFI
from tests.integration.flows import decode_jwt, exchange, introspect
from tests.oidc_helpers import (
    auth_request,
    csrf_token,
    follow_to_client,
    login,
    parse_redirect,
)
from tests.servers import free_port

FI = "fi-test"
FI_NAME = "Fournisseur d'Essai"
OTHER_FI = "fi-autre"
PIVOT_SCOPES = ("given_name", "family_name", "birthdate", "gender", "birthplace",
                "birthcountry", "email")
NEW_PASSWORD = "Citoyen-2026-Mot"
ANOTHER = {**HOSTILE_CITIZEN, "given_name": "Paul", "birthdate": "1990-02-03"}


@pytest.fixture(scope="module")
def fi() -> Iterator[HostileFI]:
    server = HostileFI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, smtp):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0, login_max_delay=0.0)


@pytest.fixture
def registered(rt: Runtime, fi: HostileFI) -> HostileFI:
    """The FI registered (twice, under two names) before the app's first page."""
    for position, (provider_id, name) in enumerate(((FI, FI_NAME), (OTHER_FI, "Autre FI"))):
        admin_providers.add_provider(rt.db, rt.keys.secret_box, rt.clock.now(),
                                     admin_providers.new_provider(
            id=provider_id, display_name=name, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            discovery_url=fi.issuer + "/.well-known/openid-configuration",
            scopes=("openid", *PIVOT_SCOPES), acr_values=("eidas1", "eidas2"),
            position=position))
    fi.behaviour = good_hostile_behaviour()
    return fi


def through_fi(http: Any, fi: HostileFI, response: Any, sub: str,
               claims: dict[str, Any] | None) -> Any:
    """From the hub's redirect to the FI, the FI's answer, back to the hub's callback."""
    fi.behaviour = good_hostile_behaviour(
        id_token_claims={"sub": sub}, userinfo_claims=dict(claims or HOSTILE_CITIZEN))
    assert response.status_code == 303, response.text
    at_fi = httpx.get(response.headers["location"], follow_redirects=False, timeout=10)
    return http.get(at_fi.headers["location"], follow_redirects=False)


def fi_login(http: Any, fi: HostileFI, sub: str = "citizen-42",
             claims: dict[str, Any] | None = None, provider: str = FI) -> Any:
    """A citizen's login through the FI from the hub's picker (no application)."""
    page = http.get("/connexion/choix")
    chosen = http.post("/connexion/choix", data={"csrf_token": csrf_token(page.text),
                                                 "provider": provider}, follow_redirects=False)
    back = through_fi(http, fi, chosen, sub, claims)
    assert back.status_code == 303 and back.headers["location"] == "/", back.text
    return back


def current_account(rt: Runtime, http: Any) -> Any:
    cookie = http.cookies.get(rt.settings.session_cookie)
    with rt.db.read() as s:
        row = sessions_repo.find_session_row(rt.db, cookie, rt.clock.now())
        return accounts_repo.get_account(s, row.account_id) if row and row.account_id else None


def account_of(rt: Runtime, login_name: str) -> Any:
    with rt.db.read() as s:
        return accounts_repo.find_by_login(s, login_name)


def links(rt: Runtime, account_id: int) -> list[tuple[str, str]]:
    with rt.db.read() as s:
        return [(link.provider_id, link.provider_sub) for link in s.query(FederationLink)
                .filter(FederationLink.account_id == account_id).order_by(FederationLink.id)]


def events(rt: Runtime, name: str) -> list[AuditEvent]:
    rt.audit.flush()
    with rt.db.read() as s:
        return list(s.query(AuditEvent).filter(AuditEvent.event == name)
                    .order_by(AuditEvent.id))


def local_citizen(rt: Runtime, username: str = "angele", email: str = "angele@example.test",
                  identity: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    return admin.add_user(rt.db, rt.passwords, rt.clock.now(), username=username,
                          password=PASSWORD, email=email, population="citizen",
                          phone="+33600000009",
                          identity=validate_pivot(identity) if identity else None, **options)


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def post_form(http: Any, page_path: str, action: str, data: dict[str, str]) -> Any:
    page = http.get(page_path)
    assert page.status_code == 200, page.text
    return http.post(action, data={"csrf_token": csrf_token(page.text), **data},
                     follow_redirects=False)


# Finishing an FI-created account with an e-mail address ---------------------------------------

def test_an_fi_created_account_without_address_sees_the_banner(http, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    home = text_of(http.get("/"))
    assert "Finaliser la création de votre compte" in home
    assert 'href="/compte/finaliser"' in home
    assert http.get("/compte/finaliser").status_code == 200


def test_a_local_account_has_no_banner_and_no_finish_page(http, rt, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    assert 'href="/compte/finaliser"' not in http.get("/").text
    assert http.get("/compte/finaliser", follow_redirects=False).headers["location"] == "/"


def _mailed_link(rt: Runtime, smtp: Any) -> str:
    assert rt.outbox.deliver_due() >= 1
    body = smtp.messages[-1].get_payload(decode=True).decode()
    match = re.search(r"(http://127\.0\.0\.1/compte/finaliser/confirmer\?jeton=[\w-]+)", body)
    assert match, body
    return match.group(1)


def test_finishing_with_an_address_and_a_password_by_the_mailed_link(
        http, rt, registered, smtp) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    fi_account = current_account(rt, http)
    sent = post_form(http, "/compte/finaliser", "/compte/finaliser/courriel", {
        "email": " Jean.Martin@Example.test ", "new_password": NEW_PASSWORD,
        "confirmation": NEW_PASSWORD})
    assert sent.status_code == 200, sent.text
    assert "jean.martin@example.test" in sent.text
    link = _mailed_link(rt, smtp)
    assert smtp.messages[-1]["To"] == "jean.martin@example.test"
    assert account_of(rt, "jean.martin@example.test") is None  # nothing until confirmed
    # A mail scanner's GET changes nothing; the page's button does.
    page = http.get(link)
    assert page.status_code == 200 and 'action="/compte/finaliser/confirmer"' in page.text
    assert http.get(link).status_code == 200
    token = link.split("jeton=", 1)[1]
    done = http.post("/compte/finaliser/confirmer",
                     data={"csrf_token": csrf_token(page.text), "jeton": token})
    assert done.status_code == 200, done.text
    account = account_of(rt, "jean.martin@example.test")
    assert account is not None and account.id == fi_account.id and account.email_verified
    assert rt.passwords.verify(account.password_hash, NEW_PASSWORD)
    # Used once.
    again = http.post("/compte/finaliser/confirmer",
                      data={"csrf_token": csrf_token(page.text), "jeton": token})
    assert again.status_code == 400
    assert http.get(link).status_code == 400
    # The password now logs in, by the address.
    http.cookies.clear()
    assert login(http, "jean.martin@example.test", NEW_PASSWORD).status_code == 303
    # No secret in the link row.
    with rt.db.read() as s:
        row = s.query(EmailLink).one()
        assert NEW_PASSWORD not in str(row.data) and token not in row.token_hash


def test_finishing_with_an_address_only_keeps_the_fi_as_the_way_in(
        http, rt, registered, smtp) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    sent = post_form(http, "/compte/finaliser", "/compte/finaliser/courriel",
                     {"email": "jean@example.test", "new_password": "", "confirmation": ""})
    assert sent.status_code == 200
    link = _mailed_link(rt, smtp)
    page = http.get(link)
    http.post("/compte/finaliser/confirmer", data={
        "csrf_token": csrf_token(page.text), "jeton": link.split("jeton=", 1)[1]})
    account = current_account(rt, http)
    assert (account.email, account.email_verified) == ("jean@example.test", True)
    assert not accounts_repo.logs_in_with_password(account.password_hash)
    # Still no password of its own: still offered to finish (its address filled in).
    assert 'href="/compte/finaliser"' in http.get("/").text
    assert 'value="jean@example.test"' in http.get("/compte/finaliser").text


def test_links_are_sent_at_most_once_a_minute(http, rt, registered, smtp, clock) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    form = {"email": "jean@example.test", "new_password": "", "confirmation": ""}
    assert post_form(http, "/compte/finaliser", "/compte/finaliser/courriel",
                     form).status_code == 200
    again = post_form(http, "/compte/finaliser", "/compte/finaliser/courriel",
                      {**form, "email": "victim@example.test"})
    assert again.status_code == 400
    assert rt.outbox.deliver_due() == 1
    clock.advance(61)
    assert post_form(http, "/compte/finaliser", "/compte/finaliser/courriel",
                     form).status_code == 200


@pytest.mark.parametrize(("form", "field"), [
    ({"email": "not an address"}, "email"),
    ({"email": "a@example.test", "new_password": "short", "confirmation": "short"},
     "new_password"),
    ({"email": "a@example.test", "new_password": NEW_PASSWORD, "confirmation": "other"},
     "confirmation"),
])
def test_a_bad_address_or_password_is_refused_and_nothing_is_sent(
        http, rt, registered, smtp, form, field) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    answer = post_form(http, "/compte/finaliser", "/compte/finaliser/courriel",
                       {"new_password": "", "confirmation": "", **form})
    assert answer.status_code == 400
    assert f'href="#{field}"' in answer.text
    assert rt.outbox.deliver_due() == 0


@pytest.mark.parametrize("value", ["a" * 5000, "a\x00@example.test"])
def test_hostile_finish_values_are_refused_with_a_400(http, registered, value) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    answer = post_form(http, "/compte/finaliser", "/compte/finaliser/courriel",
                       {"email": value})
    assert answer.status_code == 400


def test_an_address_another_account_took_meanwhile_leads_to_linking(
        http, rt, registered, smtp) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    post_form(http, "/compte/finaliser", "/compte/finaliser/courriel",
              {"email": "angele@example.test", "new_password": "", "confirmation": ""})
    link = _mailed_link(rt, smtp)
    local_citizen(rt)  # takes the address before the link is opened
    page = http.get(link)
    taken = http.post("/compte/finaliser/confirmer", data={
        "csrf_token": csrf_token(page.text), "jeton": link.split("jeton=", 1)[1]})
    assert taken.status_code == 409
    assert 'action="/compte/finaliser/lier"' in taken.text
    assert 'value="angele@example.test"' in taken.text  # the identifier, filled in
    assert current_account(rt, http).email is None


def test_an_unknown_or_forged_link_is_refused(http, registered) -> None:  # type: ignore[no-untyped-def]
    for token in ("x" * 43, "", "'; drop table accounts; --", "é" * 43):
        assert http.get("/compte/finaliser/confirmer", params={"jeton": token}).status_code \
            == 400


# "J'ai déjà un compte": merging the FI-created account into the local one -------------------

def _fi_account_with_tokens(http: Any, rt: Runtime, fi: HostileFI, factories: Any,
                            **client_options: Any) -> tuple[Any, Any, dict[str, Any]]:
    """An FI login, then an application's tokens for that FI-created account."""
    client = factories.client(consent_mode="none", **client_options)
    fi_login(http, fi, claims={**HOSTILE_CITIZEN, "email": None})
    fi_account = current_account(rt, http)
    req = auth_request(client.client_id, client.redirect_uri)
    location = follow_to_client(http, http.get("/authorize?" + req.query,
                                               follow_redirects=False), client.redirect_uri)
    code = parse_redirect(location)["code"]
    tokens = exchange(http, client, code, req.verifier).json()
    return client, fi_account, tokens


def link_existing(http: Any, identifier: str, password: str) -> Any:
    return post_form(http, "/compte/finaliser", "/compte/finaliser/lier",
                     {"identifier": identifier, "password": password})


def test_linking_to_an_existing_account_merges_the_fi_account_into_it(
        http, rt, registered, factories) -> None:  # type: ignore[no-untyped-def]
    local_citizen(rt)
    client, fi_account, tokens = _fi_account_with_tokens(http, rt, registered, factories)
    assert introspect(http, client, tokens["access_token"])["active"] is True
    merged = link_existing(http, "angele@example.test", PASSWORD)
    assert merged.status_code == 303 and merged.headers["location"] == "/compte/liaisons"
    local_account = account_of(rt, "angele")
    # The browser is now the local account's; the FI-created account is gone.
    assert current_account(rt, http).id == local_account.id
    with rt.db.read() as s:
        assert accounts_repo.get_account(s, fi_account.id) is None
    assert links(rt, local_account.id) == [(FI, "citizen-42")]
    assert local_account.identity_hash == fi_account.identity_hash
    assert (local_account.given_name, local_account.family_name) == ("Jean", "MARTIN")
    # Its tokens no longer work.
    for token in (tokens["access_token"], tokens.get("refresh_token")):
        if token:
            assert introspect(http, client, token) == {"active": False}
    assert http.get("/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    # The history followed (the FI login's events are the person's).
    assert [e.account_id for e in events(rt, "fi.verified")] == [local_account.id]
    assert [(e.account_id, e.detail.get("merged_account")) for e in
            events(rt, "account.merged")] == [(local_account.id, fi_account.id)]
    # The next FI login lands on the local account.
    http.cookies.clear()
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    assert current_account(rt, http).id == local_account.id
    with rt.db.read() as s:
        assert len(accounts_repo.list_accounts(s)) == 1


@pytest.fixture
def logout_receiver() -> Iterator[tuple[str, list[str]]]:
    """A relying application's back-channel logout endpoint: the logout tokens it got."""
    received: list[str] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.extend(parse_qs(body)["logout_token"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel", received
    server.shutdown()
    server.server_close()


def test_the_merged_accounts_applications_are_told_its_session_ended(
        http, rt, registered, factories, logout_receiver) -> None:  # type: ignore[no-untyped-def]
    uri, received = logout_receiver
    local_citizen(rt)
    _, _, tokens = _fi_account_with_tokens(http, rt, registered, factories,
                                           backchannel_logout_uri=uri)
    id_claims = decode_jwt(tokens["id_token"])[1]
    assert link_existing(http, "angele", PASSWORD).status_code == 303
    [logout_token] = received
    claims = decode_jwt(logout_token)[1]
    assert (claims["sub"], claims["sid"]) == (id_claims["sub"], id_claims["sid"])


def test_a_wrong_password_or_an_unknown_name_gets_one_answer_and_is_throttled(
        http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    local_citizen(rt)
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    fi_account = current_account(rt, http)
    wrong = link_existing(http, "angele@example.test", "Wrong-password-1")
    unknown = link_existing(http, "nobody@example.test", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in text_of(wrong)

    def message(response: Any) -> str:
        return re.sub(r'value="[^"]*"', "", response.text.split('role="alert"', 1)[1]
                      .split("</div>", 1)[0])

    assert message(wrong) == message(unknown)
    statuses = [link_existing(http, "angele@example.test", f"Wrong-{n}").status_code
                for n in range(rt.settings.login_max_failures)]
    assert statuses[-1] == 429
    # Locked: even the right password is refused now, and nothing was merged.
    assert link_existing(http, "angele@example.test", PASSWORD).status_code == 429
    assert current_account(rt, http).id == fi_account.id
    assert links(rt, account_of(rt, "angele").id) == []


def test_linking_is_refused_to_an_account_of_another_identity(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    local_citizen(rt, identity=ANOTHER)
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    fi_account = current_account(rt, http)
    refused = link_existing(http, "angele", PASSWORD)
    assert refused.status_code == 409
    assert "appartient déjà à une autre identité" in text_of(refused)
    assert current_account(rt, http).id == fi_account.id
    assert [e.detail["reason"] for e in events(rt, "account.merge_refused")] == [
        "identity_differs"]


def test_linking_is_refused_to_a_disabled_account_with_the_wrong_password_answer(
        http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    local_citizen(rt)
    with rt.db.transaction() as s:
        accounts_repo.disable_account(s, "angele")
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    assert link_existing(http, "angele", PASSWORD).status_code == 401


def test_linking_is_refused_to_a_pending_account(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    local_citizen(rt)
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, "angele")
        account.pending_until = rt.clock.now() + 3600
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    refused = link_existing(http, "angele", PASSWORD)
    assert refused.status_code in (401, 409)  # refused, whoever refuses it first
    assert links(rt, account_of(rt, "angele").id) == []


def _code_now(rt: Runtime, seed: str) -> str:
    return pyotp.TOTP(seed).at(rt.clock.now())


def test_an_account_with_two_step_verification_needs_its_code_too(
        http, rt, registered, factories, clock) -> None:  # type: ignore[no-untyped-def]
    local = local_citizen(rt)
    seed, _ = factories.authenticator(local)
    clock.advance(30)  # the enrolment spent the current step's code
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    fi_account = current_account(rt, http)
    asked = link_existing(http, "angele", PASSWORD)
    assert asked.status_code == 200 and 'name="code"' in asked.text
    token = csrf_token(asked.text)
    wrong = http.post("/compte/finaliser/lier", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 401
    assert current_account(rt, http).id == fi_account.id  # nothing merged
    merged = http.post("/compte/finaliser/lier", follow_redirects=False,
                       data={"csrf_token": token, "code": _code_now(rt, seed)})
    assert merged.status_code == 303, merged.text
    assert current_account(rt, http).id == account_of(rt, "angele").id


def test_a_code_without_its_password_step_is_refused(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, claims={**HOSTILE_CITIZEN, "email": None})
    answer = post_form(http, "/compte/finaliser", "/compte/finaliser/lier", {"code": "123456"})
    assert answer.status_code == 400
    assert "recommencez" in text_of(answer)


# A local account links an FI ------------------------------------------------------------------

def _local_logged_in(http: Any, rt: Runtime, **options: Any) -> Any:
    local_citizen(rt, **options)
    assert login(http, "angele").status_code == 303
    return account_of(rt, "angele")


def link_fi(http: Any, fi: HostileFI, sub: str = "citizen-42",
            claims: dict[str, Any] | None = None, password: str | None = None,
            provider: str = FI) -> Any:
    data = {"provider": provider, **({"password": password} if password is not None else {})}
    out = post_form(http, "/compte/liaisons", "/compte/liaisons/lier", data)
    if out.status_code != 303:
        return out
    back = through_fi(http, fi, out, sub, claims)
    assert back.status_code == 303 and back.headers["location"] == "/compte/liaisons", back.text
    return http.get("/compte/liaisons")


def test_a_local_account_links_an_fi_and_takes_its_identity(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    account = _local_logged_in(http, rt)
    page = link_fi(http, registered)
    assert page.status_code == 200
    assert f"{FI_NAME} est maintenant lié à votre compte" in text_of(page)
    assert links(rt, account.id) == [(FI, "citizen-42")]
    linked = account_of(rt, "angele")
    assert linked.identity_hash == accounts_repo_identity(HOSTILE_CITIZEN)
    assert current_account(rt, http).id == account.id  # still the same session's account
    # The next FI login is this account.
    http.cookies.clear()
    fi_login(http, registered)
    assert current_account(rt, http).id == account.id
    assert [e.fi for e in events(rt, "federation.linked")] == [FI]


def accounts_repo_identity(claims: dict[str, Any]) -> str:
    return identity_hash(validate_pivot(claims))


def test_linking_asks_the_password_again_after_ten_minutes(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    account = _local_logged_in(http, rt)
    # The login was 601 s ago (the session's clock, not the FI's: its tokens stay fresh).
    with rt.db.transaction() as s:
        row = s.get(BrowserSession, sha256_hex(http.cookies.get(rt.settings.session_cookie)))
        row.auth_time -= 601
    page = http.get("/compte/liaisons")
    assert 'name="password"' in page.text
    assert link_fi(http, registered).status_code == 401  # no password typed
    assert link_fi(http, registered, password="Wrong-password-1").status_code == 401
    assert link_fi(http, registered, password=PASSWORD).status_code == 200
    assert links(rt, account.id) == [(FI, "citizen-42")]


def test_an_fi_subject_linked_to_another_local_account_is_refused(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    other = local_citizen(rt, username="autre", email="autre@example.test",
                          identity=HOSTILE_CITIZEN)
    with rt.db.transaction() as s:
        federation_links.link_account(s, FI, "citizen-42",
                                      accounts_repo.find_by_login(s, other["username"]).id,
                                      rt.clock.now())
    account = _local_logged_in(http, rt)
    page = link_fi(http, registered)
    assert "est déjà lié à un autre compte" in text_of(page)
    assert links(rt, account.id) == []
    assert [e.detail["reason"] for e in events(rt, "federation.link_refused")] == [
        "subject_elsewhere"]


def test_an_identity_of_another_local_account_is_refused(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    local_citizen(rt, username="autre", email="autre@example.test", identity=HOSTILE_CITIZEN)
    account = _local_logged_in(http, rt)
    page = link_fi(http, registered)
    assert "déjà liée à un autre compte" in text_of(page)
    assert links(rt, account.id) == [] and account_of(rt, "angele").identity_hash is None
    assert [e.detail["reason"] for e in events(rt, "federation.link_refused")] == [
        "identity_elsewhere"]


def test_an_account_of_another_identity_is_refused(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    account = _local_logged_in(http, rt, identity=ANOTHER)
    page = link_fi(http, registered)
    assert "appartient déjà à une autre identité" in text_of(page)
    assert links(rt, account.id) == []


def test_linking_the_fi_of_an_fi_created_account_of_the_same_person_merges_it(
        http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered)  # the FI-created account
    http.cookies.clear()
    account = _local_logged_in(http, rt)
    link_fi(http, registered)
    assert links(rt, account.id) == [(FI, "citizen-42")]
    with rt.db.read() as s:
        assert len(accounts_repo.list_accounts(s)) == 1


def test_linking_with_hostile_provider_values_is_a_400(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    _local_logged_in(http, rt)
    for value in ("x" * 100, "fi\x00", "é"):
        answer = post_form(http, "/compte/liaisons", "/compte/liaisons/lier",
                           {"provider": value})
        assert answer.status_code == 400
    assert post_form(http, "/compte/liaisons", "/compte/liaisons/lier",
                     {"provider": "unknown-fi"}).status_code == 400


# "Supprimer ma liaison" ----------------------------------------------------------------------

def _link_ids(page_text: str) -> list[str]:
    return re.findall(r'name="link" value="(\d+)"', page_text)


def test_the_last_way_in_cannot_be_removed(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered)
    account = current_account(rt, http)
    page = http.get("/compte/liaisons")
    assert FI_NAME in text_of(page)
    [link_id] = _link_ids(page.text)
    refused = post_form(http, "/compte/liaisons", "/compte/liaisons/supprimer",
                        {"link": link_id})
    assert refused.status_code == 409
    assert "seul moyen de connexion" in text_of(refused)
    assert links(rt, account.id) == [(FI, "citizen-42")]
    assert [e.fi for e in events(rt, "federation.unlink_refused")] == [FI]


def test_a_link_is_removed_when_another_way_in_remains(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    account = _local_logged_in(http, rt)
    link_fi(http, registered)
    [link_id] = _link_ids(http.get("/compte/liaisons").text)
    removed = post_form(http, "/compte/liaisons", "/compte/liaisons/supprimer",
                        {"link": link_id})
    assert removed.status_code == 200
    assert "a été supprimée" in text_of(removed)
    assert links(rt, account.id) == []
    # The identity stays with the account: a second account cannot take it silently, and the
    # person's next FI login finds this account again.
    assert account_of(rt, "angele").identity_hash == accounts_repo_identity(HOSTILE_CITIZEN)
    http.cookies.clear()
    fi_login(http, registered, sub="citizen-42")
    assert current_account(rt, http).id == account.id


def test_an_fi_account_with_two_links_may_remove_one(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, sub="sub-a")
    http.cookies.clear()
    fi_login(http, registered, sub="sub-b", provider=OTHER_FI)  # same person: same account
    account = current_account(rt, http)
    ids = _link_ids(http.get("/compte/liaisons").text)
    assert len(ids) == 2
    assert post_form(http, "/compte/liaisons", "/compte/liaisons/supprimer",
                     {"link": ids[0]}).status_code == 200
    assert post_form(http, "/compte/liaisons", "/compte/liaisons/supprimer",
                     {"link": ids[1]}).status_code == 409
    assert links(rt, account.id) == [(OTHER_FI, "sub-b")]


def test_another_accounts_link_or_hostile_ids_cannot_be_removed(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered, sub="victim")
    victim = current_account(rt, http)
    [victim_link] = _link_ids(http.get("/compte/liaisons").text)
    http.cookies.clear()
    _local_logged_in(http, rt)
    assert post_form(http, "/compte/liaisons", "/compte/liaisons/supprimer",
                     {"link": victim_link}).status_code == 404
    for value in ("-1", "1 OR 1=1", "9" * 30, "１"):
        assert post_form(http, "/compte/liaisons", "/compte/liaisons/supprimer",
                         {"link": value}).status_code == 400
    assert links(rt, victim.id) == [(FI, "victim")]


def test_account_pages_need_a_login_and_a_token(http, registered) -> None:  # type: ignore[no-untyped-def]
    for path in ("/compte/finaliser", "/compte/liaisons", "/compte/informations"):
        assert http.get(path, follow_redirects=False).headers["location"] == "/login"
    for path in ("/compte/finaliser/courriel", "/compte/finaliser/lier",
                 "/compte/liaisons/lier", "/compte/liaisons/supprimer", "/compte/informations"):
        assert http.post(path, data={}, follow_redirects=False).status_code == 303


# "Mes informations personnelles" ----------------------------------------------------------------

def test_the_fi_identity_is_shown_read_only_with_the_fi_name(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered)
    page = text_of(http.get("/compte/informations"))
    assert f"Transmises par {FI_NAME}" in page
    for shown in ("Monsieur", "Jean", "MARTIN", "01/01/1980", "75107", "France"):
        assert shown in page
    assert 'name="given_name"' not in page and 'name="birthdate"' not in page
    assert 'href="/compte/courriel"' in page and 'href="/compte/mobile"' in page


def test_a_post_naming_identity_fields_changes_only_the_address(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered)
    saved = post_form(http, "/compte/informations", "/compte/informations", {
        "given_name": "Usurpateur", "family_name": "X", "birthdate": "2000-01-01",
        "identity_hash": "0" * 64, "street_address": "12 rue de la Paix\nBâtiment B",
        "postal_code": "75002", "locality": "Paris", "region": "", "country": "France"})
    assert saved.status_code == 303
    account = current_account(rt, http)
    assert (account.given_name, account.family_name, account.birthdate) == (
        "Jean", "MARTIN", "1980-01-01")
    assert account.identity_hash == accounts_repo_identity(HOSTILE_CITIZEN)
    assert (account.street_address, account.postal_code, account.locality, account.region,
            account.country) == ("12 rue de la Paix\nBâtiment B", "75002", "Paris", None,
                                 "France")
    assert "Votre adresse postale a été enregistrée" in text_of(http.get(saved.headers[
        "location"]))


@pytest.mark.parametrize("fields", [
    {"postal_code": "7" * 17},
    {"locality": "Paris\x00"},
    {"locality": "Paris\u202e"},
    {"street_address": "1\n2\n3\n4\n5"},
    {"country": "x" * 2000},
])
def test_hostile_address_values_are_refused(http, rt, registered, fields) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered)
    answer = post_form(http, "/compte/informations", "/compte/informations",
                       {"street_address": "1 rue", **fields})
    assert answer.status_code == 400
    assert current_account(rt, http).street_address is None


def test_a_repeated_address_field_is_refused(http, rt, registered) -> None:  # type: ignore[no-untyped-def]
    fi_login(http, registered)
    page = http.get("/compte/informations")
    answer = http.post("/compte/informations", data={
        "csrf_token": csrf_token(page.text), "locality": ["Paris", "Lyon"]})
    assert answer.status_code == 400


def test_a_local_account_without_identity_edits_its_address(http, rt, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    page = text_of(http.get("/compte/informations"))
    assert "Transmises par" not in page
    assert post_form(http, "/compte/informations", "/compte/informations",
                     {"locality": "Lyon"}).status_code == 303
    assert account_of(rt, "alice").locality == "Lyon"
