"""Forgotten password by e-mail (seed 004 §5): the address → a single-use link by e-mail (read
from a real SMTP server) → a new password under the citizens' rules; the same answer for an
unknown address; sends limited; the link refused once used, expired, replaced or for another
purpose; after the reset the other sessions are ended and the grants revoked."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from idp.accounts import email_links
from idp.storage.models import AuditEvent, BrowserSession, EmailLink, Grant, OutboxMessage
from idp.storage.repositories import accounts as accounts_repo
from tests.conftest import ISSUER
from tests.factories import PASSWORD
from tests.integration.flows import introspect, tokens_for
from tests.mail import body_of, delivered, subject_of
from tests.oidc_helpers import csrf_token, login

NEW = "Nouveau2027"
CITIZEN = "camille@example.test"


@pytest.fixture
def settings(settings, smtp, tmp_path):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0, login_max_delay=0.0,
                            sms_sink_file=str(tmp_path / "sms.jsonl"))


def citizen(factories, email: str = CITIZEN, **options):  # type: ignore[no-untyped-def]
    return factories.account(email.split("@")[0] + "-c", email=email, population="citizen",
                             **options)


def ask(http, email: str):  # type: ignore[no-untyped-def]
    page = http.get("/mot-de-passe-oublie/courriel")
    assert page.status_code == 200
    return http.post("/mot-de-passe-oublie/courriel",
                     data={"csrf_token": csrf_token(page.text), "email": email})





def link_in(message) -> str:  # type: ignore[no-untyped-def]
    """The path and query of the link in the e-mail (the hub's own address)."""
    url = re.search(r"(http\S+jeton=\S+)", body_of(message)).group(1)  # type: ignore[union-attr]
    assert url.startswith(ISSUER + "/mot-de-passe-oublie/nouveau?jeton=")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def set_password(http, link: str, new: str = NEW, confirmation: str | None = None):  # type: ignore[no-untyped-def]
    page = http.get(link)
    assert page.status_code == 200, page.text
    token = re.search(r'name="jeton" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return http.post("/mot-de-passe-oublie/nouveau", data={
        "csrf_token": csrf_token(page.text), "jeton": token, "new_password": new,
        "confirmation": new if confirmation is None else confirmation})


def test_link_by_email_then_new_password_then_login_with_it(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    citizen(factories)
    answer = ask(http, "Camille@Example.test ")
    assert answer.status_code == 200
    assert "Consultez votre messagerie" in html.unescape(answer.text)
    [message] = delivered(rt, smtp)
    assert message["To"] == CITIZEN
    assert subject_of(message) == "Création d'un nouveau mot de passe"
    assert "lien de création d'un nouveau mot de passe" in body_of(message)
    link = link_in(message)
    form = http.get(link)
    text = html.unescape(form.text)
    # The citizens' rules as the seed lists them, and the strength meter.
    for rule in ("Au moins 8 caractères", "Au moins une lettre majuscule",
                 "Au moins une lettre minuscule", "Au moins un chiffre"):
        assert f"<li>{rule}</li>" in text
    assert "data-strength-labels" in form.text
    done = set_password(http, link)
    assert done.status_code == 200
    assert "Votre nouveau mot de passe est enregistré" in html.unescape(done.text)
    confirmation = delivered(rt, smtp)[-1]
    assert subject_of(confirmation) == "Modification de vos informations personnelles"
    http.cookies.clear()
    assert login(http, CITIZEN, PASSWORD).status_code == 401
    assert login(http, CITIZEN, NEW).status_code == 303


def test_the_login_and_sms_pages_link_to_the_email_way(http):  # type: ignore[no-untyped-def]
    assert 'href="/mot-de-passe-oublie/courriel"' in http.get("/login").text
    assert 'href="/mot-de-passe-oublie/courriel"' in http.get("/mot-de-passe-oublie").text
    assert 'href="/mot-de-passe-oublie"' in http.get("/mot-de-passe-oublie/courriel").text


def _strip(text: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", text)


@pytest.mark.parametrize("who", ["unknown", "portal", "disabled", "pending", "unverified",
                                 "no-password"])
def test_same_answer_and_nothing_sent_for_addresses_without_a_link(  # type: ignore[no-untyped-def]
        http, factories, rt, smtp, who):
    citizen(factories, "known@example.test")
    known = ask(http, "known@example.test")
    delivered(rt, smtp)
    smtp.messages.clear()
    email = f"{who}@example.test"
    if who == "portal":
        factories.account("agent-xt", email=email)
    elif who != "unknown":
        citizen(factories, email)
        with rt.db.transaction() as s:
            account = accounts_repo.find_by_login(s, email)
            if who == "disabled":
                account.disabled = True
            elif who == "pending":
                account.pending_until = rt.clock.now() + 3600
            elif who == "unverified":
                account.email_verified = False
            else:  # a federated citizen's: its address is then no login name
                account.password_hash = "!unusable"
                s.flush()
                accounts_repo.refresh_login_names(s, account.id)
    other = ask(http, email)
    assert other.status_code == known.status_code == 200
    assert _strip(other.text).replace(email, "X") == _strip(known.text).replace(
        "known@example.test", "X")
    assert delivered(rt, smtp) == []


def test_hostile_or_malformed_addresses_get_a_clear_400(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    citizen(factories)
    for value in ["", "not-an-address", "a@b", "x" * 5000 + "@example.test",
                  "camille\x00@example.test", "camille@example.test\r\nBcc: x@evil.test",
                  "\"'><script>@example.test", "a b@example.test"]:
        response = ask(http, value)
        assert response.status_code == 400, value
        text = html.unescape(response.text)
        # The form's own message, or the request limits' page for a control character.
        assert ("Saisissez une adresse électronique valide" in text
                or "Saisissez votre adresse électronique." in text
                or "Demande invalide" in text), value
        assert "<script>" not in response.text
    # Bytes that are no UTF-8 (a lone surrogate, 0xFF), as a hostile client sends them.
    token = csrf_token(http.get("/mot-de-passe-oublie/courriel").text)
    for raw in (b"%ED%A0%80%40example.test", b"%FF%40example.test", b"a%40b.fr&email=c%40d.fr"):
        response = http.post("/mot-de-passe-oublie/courriel",
                             content=b"csrf_token=" + token.encode() + b"&email=" + raw,
                             headers={"content-type": "application/x-www-form-urlencoded"})
        assert response.status_code == 400, raw
    assert delivered(rt, smtp) == []


def test_sends_are_limited_per_address_typed(http, factories, rt, smtp, clock):  # type: ignore[no-untyped-def]
    citizen(factories)
    limit = rt.settings.recovery_max_sends_per_account
    for _ in range(limit + 2):
        assert ask(http, CITIZEN).status_code == 200
    assert len(delivered(rt, smtp)) == limit
    clock.advance(rt.settings.recovery_send_window + 1)
    assert ask(http, CITIZEN).status_code == 200
    assert len(delivered(rt, smtp)) == limit + 1


def test_sends_are_limited_per_client_address(app, http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    limit = rt.settings.recovery_max_sends_per_address
    elsewhere = TestClient(app, base_url=ISSUER, client=("203.0.113.9", 40000))
    for i in range(limit):
        ask(elsewhere, f"nobody{i}@example.test")
    citizen(factories)
    assert ask(elsewhere, CITIZEN).status_code == 200
    assert delivered(rt, smtp) == []
    # Another client address still gets its link.
    ask(http, CITIZEN)
    assert len(delivered(rt, smtp)) == 1


def test_a_used_link_is_refused(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    citizen(factories)
    ask(http, CITIZEN)
    link = link_in(delivered(rt, smtp)[0])
    page = http.get(link)
    assert set_password(http, link).status_code == 200
    again = http.get(link)
    assert again.status_code == 410
    assert "Ce lien n'est plus utilisable" in html.unescape(again.text)
    # The form of before, posted again, is refused too and changes nothing.
    token = re.search(r'name="jeton" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    replay = http.post("/mot-de-passe-oublie/nouveau", data={
        "csrf_token": csrf_token(http.get("/mot-de-passe-oublie/courriel").text),
        "jeton": token, "new_password": "Autre2028x", "confirmation": "Autre2028x"})
    assert replay.status_code == 410
    http.cookies.clear()
    assert login(http, CITIZEN, NEW).status_code == 303


def test_an_expired_link_is_refused(http, factories, rt, smtp, clock):  # type: ignore[no-untyped-def]
    citizen(factories)
    ask(http, CITIZEN)
    link = link_in(delivered(rt, smtp)[0])
    clock.advance(rt.settings.password_reset_link_ttl + 1)
    assert http.get(link).status_code == 410


def test_a_newer_link_replaces_the_older(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    citizen(factories)
    ask(http, CITIZEN)
    ask(http, CITIZEN)
    first, second = (link_in(m) for m in delivered(rt, smtp))
    assert http.get(first).status_code == 410
    assert set_password(http, second).status_code == 200


def test_a_link_for_another_purpose_is_refused(http, factories, rt):  # type: ignore[no-untyped-def]
    made = citizen(factories)
    with rt.db.transaction() as s:
        account_id = accounts_repo.find_by_login(s, made["username"]).id
        token = email_links.issue(s, email_links.REGISTRATION, account_id, CITIZEN,
                                  rt.clock.now(), 3600)
    assert http.get(f"/mot-de-passe-oublie/nouveau?jeton={token}").status_code == 410


@pytest.mark.parametrize("query", ["", "?jeton=", "?jeton=" + "A" * 5000, "?jeton=%00abc",
                                   "?jeton=%22%3E%3Cscript%3E", "?jeton=a&jeton=b",
                                   "?jeton=" + "é" * 43])
def test_hostile_link_values_get_a_4xx_page(http, query):  # type: ignore[no-untyped-def]
    response = http.get("/mot-de-passe-oublie/nouveau" + query)
    assert 400 <= response.status_code < 500
    assert "<script>" not in response.text


def test_a_weak_or_mistyped_password_keeps_the_link_usable(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    citizen(factories)
    ask(http, CITIZEN)
    link = link_in(delivered(rt, smtp)[0])
    weak = set_password(http, link, "abcdefgh")
    assert weak.status_code == 400
    text = html.unescape(weak.text)
    assert "Au moins une lettre majuscule" in text and 'href="#new_password"' in text
    different = set_password(http, link, NEW, NEW + "x")
    assert different.status_code == 400
    assert "La confirmation ne correspond pas" in html.unescape(different.text)
    recent = set_password(http, link, PASSWORD)
    assert recent.status_code == 400
    assert set_password(http, link).status_code == 200


def test_the_reset_ends_other_sessions_revokes_grants_and_unlocks_the_login(  # type: ignore[no-untyped-def]
        app, http, factories, rt, smtp):
    citizen(factories)
    client = factories.client()
    # Another browser, logged in, with tokens (the app's lifespan is the `http` fixture's).
    other_browser = TestClient(app, base_url=ISSUER)
    tokens = tokens_for(other_browser, client, CITIZEN)
    assert other_browser.get("/compte/securite", follow_redirects=False).status_code == 200
    with rt.db.read() as s:
        account_id = accounts_repo.find_by_login(s, CITIZEN).id
    # Locked after too many failures: the reset lifts the lock.
    for _ in range(rt.settings.login_max_failures):
        login(http, CITIZEN, "wrong password")
    http.cookies.clear()
    assert login(http, CITIZEN, PASSWORD).status_code == 429
    ask(http, CITIZEN)
    assert set_password(http, link_in(delivered(rt, smtp)[0])).status_code == 200
    with rt.db.read() as s:
        assert s.scalar(select(func.count()).select_from(BrowserSession).where(
            BrowserSession.account_id == account_id)) == 0
        assert all(g.revoked_at is not None for g in s.scalars(
            select(Grant).where(Grant.account_id == account_id)))
    # The other browser is logged out; its tokens are dead.
    assert other_browser.get("/compte/securite", follow_redirects=False).headers[
        "location"] == "/login"
    assert introspect(http, client, tokens["access_token"])["active"] is False
    refreshed = http.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": tokens["refresh_token"]},
                          auth=(client.client_id, client.secret))
    assert refreshed.status_code == 400
    http.cookies.clear()
    assert login(http, CITIZEN, NEW).status_code == 303


def test_the_link_token_is_stored_hashed_and_never_logged(http, factories, rt, smtp, caplog):  # type: ignore[no-untyped-def]
    citizen(factories)
    caplog.set_level("DEBUG")
    ask(http, CITIZEN)
    link = link_in(delivered(rt, smtp)[0])
    token = link.split("jeton=")[1]
    with rt.db.read() as s:
        stored = [row.token_hash for row in s.scalars(select(EmailLink))]
        outbox = [row.body for row in s.scalars(select(OutboxMessage))]
    assert token not in stored and len(stored) == 1
    assert all(token not in body for body in outbox)  # the sent mail's text is dropped
    assert token not in caplog.text


def test_a_portal_account_keeps_its_sms_recovery(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="agent@example.test", phone="+33612345678")
    ask(http, "agent@example.test")
    assert delivered(rt, smtp) == []
    page = http.get("/mot-de-passe-oublie")
    assert page.status_code == 200



def test_the_request_only_records_and_the_outbox_decides(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    """No work on the request path depends on the address (module docstring of
    portal/password_reset.py): one job row per request, known or not, no link before the
    outbox handles it; once handled its text (address, client address, language) is gone."""
    citizen(factories)
    rt.outbox_loop.stop()  # the test hands the rows over itself
    for email in (CITIZEN, "nobody@example.test"):
        assert ask(http, email).status_code == 200
    with rt.db.read() as s:
        jobs = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [(j.channel, j.recipient, j.sent_at) for j in jobs] == [
            ("reset-request", "", None), ("reset-request", "", None)]
        assert CITIZEN in jobs[0].body and "nobody@example.test" in jobs[1].body
        assert s.scalar(select(func.count()).select_from(EmailLink)) == 0
    assert rt.outbox.deliver_due() == 1  # the one e-mail: jobs are not messages
    assert [m["To"] for m in smtp.messages] == [CITIZEN]
    with rt.db.read() as s:
        handled = list(s.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == "reset-request")))
        assert all(j.sent_at is not None and j.body == "" and j.subject == "" for j in handled)
    rt.audit.flush()
    with rt.db.read() as s:
        events = list(s.scalars(select(AuditEvent.event).where(
            AuditEvent.event.like("password_reset.%")).order_by(AuditEvent.id)))
    assert events == ["password_reset.link_sent", "password_reset.no_link_sent"]


def test_the_e_mail_is_in_the_language_of_the_request(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    citizen(factories)
    page = http.get("/mot-de-passe-oublie/courriel?lang=en")
    http.post("/mot-de-passe-oublie/courriel?lang=en",
              data={"csrf_token": csrf_token(page.text), "email": CITIZEN})
    [message] = delivered(rt, smtp)
    assert subject_of(message) == "Create a new password"
