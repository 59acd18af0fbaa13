"""A citizen's registration (seed 004 §1) over HTTP, with the e-mails read from a real SMTP
server: the form and its rules, the human check (ALTCHA, and the fallback without
JavaScript), the neutral answer whatever the address, the confirmation link (one week, once,
a button behind it), the login of an account awaiting confirmation and its other e-mail, the
purge after a month, blocked addresses, and prompt=create (Initiating User Registration via
OpenID Connect 1.0)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from idp.accounts import blocked_addresses
from idp.accounts.human_check import CHALLENGE_TTL, NO_PROOF_DELAY, NO_PROOF_PER_HOUR
from idp.accounts.registration import RESENDS_PER_HOUR, Mail
from idp.housekeeping import purge_expired
from idp.storage.models import Account, UsedChallenge
from idp.storage.repositories import accounts as accounts_repo
from tests.conftest import ISSUER
from tests.integration.flows import exchange
from tests.oidc_helpers import (
    auth_request,
    authorization_error,
    consent,
    csrf_token,
    follow_to_client,
    login,
    parse_redirect,
)
from tests.registration import (
    PASSWORD,
    body_of,
    challenge_of,
    confirm,
    form_of,
    link_in,
    register,
    solve,
    solved_payload,
    subject_of,
)

DAY = 86400
EMAIL = "camille.martin@example.test"


@pytest.fixture
def settings(settings, smtp):  # type: ignore[no-untyped-def]
    # Mail to the real sink, delivered when the test asks; no floor on the answer's time
    # (its own test sets one).
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0, purge_interval=0.0,
                            registration_answer_seconds=0.0)


@pytest.fixture
def other_browser(app):  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=ISSUER) as client:
        yield client


def mails(rt, smtp) -> list:  # type: ignore[no-untyped-def]
    rt.outbox.deliver_due()
    return list(smtp.messages)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.text)


def summary(response) -> list[str]:  # type: ignore[no-untyped-def]
    """The messages of the page's error summary."""
    box = text(response).split('id="error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#[\w-]+">([^<]+)</a>', box)


def account_of(rt, email: str) -> Account | None:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        return accounts_repo.find_by_login(s, email)


def accounts_count(rt) -> int:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Account)) or 0)


# -- The journey ----------------------------------------------------------------------------

def test_login_page_links_to_the_registration(http) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/login")
    assert "Pas encore de compte personnel ?" in text(page)
    assert 'href="/inscription"' in page.text
    form = text(http.get("/inscription"))
    assert "Créer votre compte personnel" in form
    for rule in ("Au moins 8 caractères", "Au moins une lettre majuscule"):
        assert rule.lower()[:12] in form.lower()
    assert "Ce lien est valable une semaine" in form
    assert "J'accepte les conditions générales d'utilisation" in form
    assert "J'ai déjà un compte" in form
    assert http.get("/conditions-generales").status_code == 200


def test_registration_email_confirmation_then_login(http, other_browser, rt, smtp) -> None:  # type: ignore[no-untyped-def]
    response = register(http, EMAIL, alerts="yes")
    assert response.status_code == 200
    assert "Consultez votre messagerie" in text(response)
    account = account_of(rt, EMAIL)
    assert account is not None and account.population == "citizen"
    assert account.username.startswith("c-") and not account.email_verified
    assert account.pending_until == rt.clock.now() + rt.settings.registration_pending_ttl
    now = rt.clock.now()
    assert (account.terms_accepted_at, account.newsletter_since, account.alerts_since) == (
        now, now, now)
    assert PASSWORD not in account.password_hash
    [mail] = mails(rt, smtp)
    assert mail["To"] == EMAIL
    assert subject_of(mail) == "Confirmez la création de votre compte"
    assert "dans un délai d'une semaine" in body_of(mail)
    link = link_in(mail)
    # Opening the link changes nothing (mail scanners do): the button does.
    page = other_browser.get(link)
    assert page.status_code == 200 and "Confirmer" in text(page)
    assert account_of(rt, EMAIL).pending_until is not None
    done = confirm(other_browser, link)
    assert done.status_code == 200 and "Votre compte est activé" in text(done)
    confirmed = account_of(rt, EMAIL)
    assert confirmed.pending_until is None and confirmed.email_verified
    # Another browser than the one that registered: not logged in, it logs in.
    assert login(other_browser, EMAIL, PASSWORD).headers["location"] == "/"
    # Registering the address again: its owner is told to reset the password by e-mail.
    http.cookies.clear()
    assert "Consultez votre messagerie" in text(register(http, EMAIL))
    owner = [m for m in mails(rt, smtp) if subject_of(m).startswith("Tentative")]
    assert "http://127.0.0.1/mot-de-passe-oublie/courriel" in body_of(owner[-1])


def test_the_registering_browser_is_logged_in_by_the_confirmation(http, rt, smtp) -> None:  # type: ignore[no-untyped-def]
    register(http, EMAIL)
    [mail] = mails(rt, smtp)
    done = confirm(http, link_in(mail))
    assert done.status_code == 303 and done.headers["location"] == "/"
    home = http.get("/")
    assert home.status_code == 200 and "Se déconnecter" in text(home)


def test_a_link_is_used_once(http, other_browser, rt, smtp) -> None:  # type: ignore[no-untyped-def]
    register(http, EMAIL)
    link = link_in(mails(rt, smtp)[0])
    page = other_browser.get(link)
    assert confirm(other_browser, link).status_code == 200
    again = other_browser.post("/inscription/confirmation", data={
        "csrf_token": csrf_token(page.text), "jeton": link.split("jeton=")[1]})
    assert again.status_code == 410
    assert "Ce lien ne peut pas être utilisé" in text(again)
    assert other_browser.get(link).status_code == 410
    assert other_browser.get("/inscription/confirmation?jeton=inconnu").status_code == 410


def test_a_link_expires_after_a_week(http, rt, smtp, clock) -> None:  # type: ignore[no-untyped-def]
    register(http, EMAIL)
    link = link_in(mails(rt, smtp)[0])
    clock.advance(8 * DAY)
    expired = http.get(link)
    assert expired.status_code == 410
    assert "Se connecter" in text(expired) and "/login" in expired.text
    assert account_of(rt, EMAIL).pending_until is not None


def test_login_awaiting_confirmation_and_another_email(http, other_browser, rt, smtp,  # type: ignore[no-untyped-def]
                                                        clock) -> None:
    register(http, EMAIL)
    [first] = mails(rt, smtp)
    clock.advance(8 * DAY)  # the first link has expired
    # A wrong password: the ordinary refusal, no hint that the account exists.
    wrong = login(other_browser, EMAIL, "Autre-2026x")
    assert wrong.status_code == 401 and "attend" not in text(wrong)
    awaiting = login(other_browser, EMAIL, PASSWORD)
    assert awaiting.status_code == 403
    assert "Votre compte attend sa validation" in text(awaiting)
    assert "Demander l'envoi d'un autre courriel" in text(awaiting)
    token = csrf_token(awaiting.text)
    sent = other_browser.post("/inscription/renvoi", data={"csrf_token": token})
    assert sent.status_code == 200 and "Un autre courriel vous a été envoyé" in text(sent)
    second = mails(rt, smtp)[1]
    assert link_in(second) != link_in(first)
    assert other_browser.get(link_in(first)).status_code == 410
    for _ in range(RESENDS_PER_HOUR - 1):
        assert other_browser.post("/inscription/renvoi",
                                  data={"csrf_token": token}).status_code == 200
    refused = other_browser.post("/inscription/renvoi", data={"csrf_token": token})
    assert refused.status_code == 429
    latest = mails(rt, smtp)[-1]
    assert len(mails(rt, smtp)) == 1 + RESENDS_PER_HOUR
    # The browser that asked (with the right password) is logged in by the confirmation.
    assert confirm(other_browser, link_in(latest)).headers["location"] == "/"


def test_after_a_month_no_other_email_and_the_registration_starts_over(  # type: ignore[no-untyped-def]
        http, hub, rt, smtp, clock) -> None:
    register(http, EMAIL)
    account = account_of(rt, EMAIL)
    clock.advance(31 * DAY)
    mail = Mail("s", "{link}")
    assert not hub.registrations.resend(account.id, mail, {}, None)
    assert login(http, EMAIL, PASSWORD).status_code == 401  # as if it did not exist
    purge_expired(rt.db, clock.now())
    assert account_of(rt, EMAIL) is None
    http.cookies.clear()
    assert register(http, EMAIL).status_code == 200
    renewed = mails(rt, smtp)
    assert len(renewed) == 2 and "/inscription/confirmation" in body_of(renewed[1])
    assert confirm(http, link_in(renewed[1])).status_code == 303


def test_a_lapsed_registration_not_yet_purged_starts_over(http, rt, smtp, clock) -> None:  # type: ignore[no-untyped-def]
    register(http, EMAIL)
    clock.advance(31 * DAY)
    assert register(http, EMAIL, password="Nouveau-2027a").status_code == 200
    new = account_of(rt, EMAIL)
    assert new.pending_until == clock.now() + rt.settings.registration_pending_ttl
    assert confirm(http, link_in(mails(rt, smtp)[-1])).status_code == 303


@pytest.fixture
def hub(app):  # type: ignore[no-untyped-def]
    from tests.integration.test_hostile_input import starlette_of

    return starlette_of(app).state.hub


# -- The same answer whatever the address ---------------------------------------------------

def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_an_email(  # type: ignore[no-untyped-def]
        http, factories, rt, smtp) -> None:
    factories.account("cmartin-xt", email=EMAIL)
    known = register(http, EMAIL)
    http.cookies.clear()
    new = register(http, "someone.else@example.test")
    assert (known.status_code, known.text) == (new.status_code, new.text)
    owner, _ = sorted(mails(rt, smtp), key=lambda m: m["To"] != EMAIL)
    assert owner["To"] == EMAIL
    assert subject_of(owner) == "Tentative de création de compte avec votre adresse"
    body = body_of(owner)
    assert "http://127.0.0.1/login" in body and "http://127.0.0.1/mot-de-passe-oublie" in body
    assert "/inscription/confirmation" not in body
    assert login(http, "cmartin-xt").status_code == 303  # the account is untouched


def test_a_pending_address_registered_again_gets_a_fresh_link_and_the_newest_password(  # type: ignore[no-untyped-def]
        http, other_browser, rt, smtp) -> None:
    # A stranger registers someone's address first (account pre-hijacking); its owner
    # registers later: the owner's password is the one the confirmation activates.
    register(other_browser, EMAIL, password="Intrus-2026x")
    first = text(register(http, EMAIL))
    assert "Consultez votre messagerie" in first
    stranger_mail, owner_mail = mails(rt, smtp)
    assert other_browser.get(link_in(stranger_mail)).status_code == 410  # withdrawn
    assert confirm(http, link_in(owner_mail)).status_code == 303
    http.cookies.clear()
    assert login(http, EMAIL, "Intrus-2026x").status_code == 401
    assert login(http, EMAIL, PASSWORD).status_code == 303


def test_a_blocked_address_gets_the_same_answer_and_is_told_the_date(  # type: ignore[no-untyped-def]
        http, rt, smtp, clock) -> None:
    until = clock.now() + 365 * DAY
    with rt.db.transaction() as s:
        blocked_addresses.block(s, rt.keys, EMAIL, until)
    response = register(http, EMAIL)
    assert response.status_code == 200 and "Consultez votre messagerie" in text(response)
    assert account_of(rt, EMAIL) is None
    [mail] = mails(rt, smtp)
    assert subject_of(mail) == "Votre compte ne peut pas encore être créé"
    day = datetime.fromtimestamp(until, UTC).strftime("%d/%m/%Y")
    assert f"avant le {day}" in body_of(mail)
    clock.advance(366 * DAY)
    assert register(http, EMAIL).status_code == 200
    assert account_of(rt, EMAIL) is not None
    assert "/inscription/confirmation" in body_of(mails(rt, smtp)[-1])


def test_the_answer_takes_the_same_time_for_a_new_and_a_known_address(  # type: ignore[no-untyped-def]
        http, factories, hub) -> None:
    from tests.timing import assert_same_time

    # The floor (IDP_REGISTRATION_ANSWER_SECONDS) evens out the database work that differs: a
    # new account's rows cost tens of milliseconds more on a loaded PostgreSQL.
    hub.settings = hub.settings.replace(registration_answer_seconds=0.35)
    factories.account("cmartin-xt", email=EMAIL)
    page = http.get("/inscription").text
    payloads = iter([solved_payload(hub.human_check) for _ in range(300)])
    count = iter(range(10_000))

    def post(email: str) -> None:
        response = http.post("/inscription", data=form_of(page, email,
                                                          altcha=next(payloads)))
        assert response.status_code == 200

    assert_same_time(lambda: post(EMAIL), lambda: post(f"new{next(count)}@example.test"),
                     pairs=40)


# -- The form's rules -----------------------------------------------------------------------

@pytest.mark.parametrize(("password", "rule"), [
    ("Cour-t1", "Au moins 8 caractères"),
    ("minuscules-2026", "Au moins une lettre majuscule"),
    ("MAJUSCULES-2026", "Au moins une lettre minuscule"),
    ("Sans-Chiffre-x", "Au moins un chiffre"),
])
def test_each_password_rule_is_enforced(http, rt, smtp, password, rule) -> None:  # type: ignore[no-untyped-def]
    response = register(http, EMAIL, password=password)
    assert response.status_code == 400
    assert summary(response) == [rule]
    assert f'value="{EMAIL}"' in response.text  # the address typed is kept
    assert account_of(rt, EMAIL) is None and mails(rt, smtp) == []


@pytest.mark.parametrize(("overrides", "message"), [
    ({"confirmation": "Citoyen-2027"}, "La confirmation est différente du mot de passe."),
    ({"terms": None}, "Vous devez accepter les conditions générales d'utilisation"),
    ({"email": "pas-une-adresse"}, "Saisissez une adresse électronique valide"),
])
def test_the_form_refuses_what_is_missing_or_wrong(http, rt, smtp, overrides, message) -> None:  # type: ignore[no-untyped-def]
    response = register(http, overrides.pop("email", EMAIL), **overrides)
    assert response.status_code == 400 and summary(response)[0].startswith(message)
    assert accounts_count(rt) == 0 and mails(rt, smtp) == []


# -- The human check ------------------------------------------------------------------------

def test_a_wrong_proof_of_work_is_refused(http, rt, smtp) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/inscription").text
    challenge = challenge_of(page)
    wrong = solve(challenge, number=challenge["maxNumber"] + 1)
    response = http.post("/inscription", data=form_of(page, EMAIL, altcha=wrong))
    assert response.status_code == 400
    assert "La vérification que vous n'êtes pas un robot a échoué" in text(response)
    assert f'value="{EMAIL}"' in response.text
    for junk in ("pas du base64 !", "e30=", "x" * 5000, "bnVsbA=="):
        assert http.post("/inscription", data=form_of(page, EMAIL, altcha=junk)
                         ).status_code == 400
    assert accounts_count(rt) == 0


def test_a_proof_of_work_is_accepted_once(http, rt, smtp) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/inscription").text
    payload = solve(challenge_of(page))
    assert http.post("/inscription", data=form_of(page, EMAIL, altcha=payload)
                     ).status_code == 200
    replayed = http.post("/inscription", data=form_of(page, "autre@example.test",
                                                      altcha=payload))
    assert replayed.status_code == 400 and "a déjà servi" in text(replayed)
    assert account_of(rt, "autre@example.test") is None


def test_a_proof_of_work_expires_and_its_record_is_purged(http, rt, clock) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/inscription").text
    used = http.get("/inscription").text
    assert http.post("/inscription", data=form_of(used, "x@example.test")).status_code == 200
    clock.advance(CHALLENGE_TTL + 1)
    response = http.post("/inscription", data=form_of(page, EMAIL))
    assert response.status_code == 400 and "a expiré" in text(response)
    purge_expired(rt.db, clock.now())
    with rt.db.read() as s:
        assert s.scalar(select(func.count()).select_from(UsedChallenge)) == 0


def test_without_javascript_the_form_is_accepted_after_a_few_seconds(http, rt, clock) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/inscription").text
    too_fast = http.post("/inscription", data=form_of(page, EMAIL, altcha=None))
    assert too_fast.status_code == 400
    assert "n'est pas terminée" in text(too_fast)
    assert "Sans JavaScript, patientez 8 secondes" in text(too_fast)
    clock.advance(NO_PROOF_DELAY)
    assert http.post("/inscription", data=form_of(page, EMAIL, altcha=None)
                     ).status_code == 200
    forged = form_of(page, "y@example.test", altcha=None, stamp="1.abc")
    assert http.post("/inscription", data=forged).status_code == 400


def test_without_javascript_a_few_forms_an_hour_per_address(http, rt, clock) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/inscription").text
    clock.advance(NO_PROOF_DELAY)
    for n in range(NO_PROOF_PER_HOUR - 0):
        assert http.post("/inscription", data=form_of(page, f"n{n}@example.test", altcha=None)
                         ).status_code == 200
    over = http.post("/inscription", data=form_of(page, EMAIL, altcha=None))
    assert over.status_code == 429 and "Activez JavaScript" in text(over)
    assert account_of(rt, EMAIL) is None
    # With the proof of work, still welcome.
    assert register(http, EMAIL).status_code == 200


# -- Hostile input --------------------------------------------------------------------------

@pytest.mark.parametrize("email", [
    "nul\x00@example.test", "a" * 10_000 + "@example.test", "\"quoted\"@example.test",
    "é@exemple.fr", "x@exemple.fr\r\nBcc: victim@example.test", "<script>@x.fr", "",
])
def test_hostile_addresses_are_refused_with_a_message(http, rt, smtp, email) -> None:  # type: ignore[no-untyped-def]
    response = register(http, email)
    assert 400 <= response.status_code < 500, response.status_code
    assert accounts_count(rt) == 0 and mails(rt, smtp) == []


def test_hostile_fields_never_give_a_server_error(http, rt) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/inscription").text
    base = form_of(page, EMAIL)
    cases = [
        {**base, "password": "Nul\x00-2026x", "confirmation": "Nul\x00-2026x"},
        {**base, "password": "É" * 5000, "confirmation": "É" * 5000},
        {**base, "stamp": "\x00" * 50}, {**base, "rid": "'\"><"}, {**base, "terms": "\x00"},
        {**base, "altcha": "é" * 300},
    ]
    for form in cases:
        response = http.post("/inscription", data=form)
        assert response.status_code < 500, (form, response.status_code)
    duplicated = [*form_of(page, EMAIL).items(), ("email", "autre@example.test"),
                  ("terms", "no")]
    assert http.post("/inscription", content=urlencode(duplicated), headers={
        "content-type": "application/x-www-form-urlencoded"}).status_code < 500
    for token in ("\x00", "é" * 50, "a" * 5000, "'\""):
        assert http.get("/inscription/confirmation", params={"jeton": token}
                        ).status_code in (400, 410)  # NUL: refused before (idp/limits.py)


# -- prompt=create --------------------------------------------------------------------------

def test_prompt_create_registers_then_returns_to_the_client_with_a_code(  # type: ignore[no-untyped-def]
        http, factories, rt, smtp) -> None:
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri, prompt="create")
    start = http.get("/authorize?" + req.query, follow_redirects=False)
    assert start.status_code == 303
    location = start.headers["location"]
    assert re.fullmatch(r"/inscription\?rid=[\w-]+", location)
    assert register(http, EMAIL, location=location).status_code == 200
    [mail] = mails(rt, smtp)
    confirmed = confirm(http, link_in(mail))
    assert confirmed.headers["location"].startswith("/authorize/resume?rid=")
    result = follow_to_client(http, confirmed, client.redirect_uri)
    if not isinstance(result, str):
        result = follow_to_client(http, consent(http, result), client.redirect_uri)
    redirect = parse_redirect(result)
    assert redirect["state"] == req.params["state"] and redirect["code"]
    token = exchange(http, client, redirect["code"], req.verifier)
    assert token.status_code == 200, token.text
    assert "id_token" in token.json()


def test_prompt_create_with_none_is_refused(http, factories) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    assert authorization_error(http, client, prompt="none create") == "invalid_request"


def test_discovery_lists_prompt_create(http) -> None:  # type: ignore[no-untyped-def]
    assert "create" in http.get("/.well-known/openid-configuration").json()[
        "prompt_values_supported"]


def test_the_login_page_of_a_request_links_to_the_registration_keeping_it(http, factories) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri)
    location = http.get("/authorize?" + req.query, follow_redirects=False).headers["location"]
    rid = location.split("rid=")[1]
    assert f'href="/inscription?rid={rid}"' in http.get(location).text
    assert f'name="rid" value="{rid}"' in http.get(f"/inscription?rid={rid}").text


def test_prompt_create_confirmed_in_another_browser_offers_the_application(  # type: ignore[no-untyped-def]
        http, other_browser, factories, rt, smtp) -> None:
    client = factories.client(name="Mairie de démonstration",
                              home_url="http://127.0.0.1:9000/")
    req = auth_request(client.client_id, client.redirect_uri, prompt="create")
    location = http.get("/authorize?" + req.query, follow_redirects=False).headers["location"]
    register(http, EMAIL, location=location)
    done = confirm(other_browser, link_in(mails(rt, smtp)[0]))
    assert done.status_code == 200 and "Votre compte est activé" in text(done)
    assert "Aller sur Mairie de démonstration" in text(done)
    assert 'href="http://127.0.0.1:9000/"' in done.text
    assert other_browser.get("/").status_code == 200  # not logged in by it
    assert "Se déconnecter" not in text(other_browser.get("/"))
