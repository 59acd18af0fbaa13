"""« Connexion, sécurité et paramétrage » (seed 004 §6-7): password change for a citizen under
the citizens' rules with its confirmation e-mail; an account without a usable password is
offered "Définir un mot de passe" (a link to its verified address) or nothing; the new-device
switch; the page's links from the portal home."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from idp.storage.repositories import accounts as accounts_repo
from idp.web.sessions import BrowserSessions
from idp.web.templating import TEMPLATES
from tests.factories import PASSWORD
from tests.mail import body_of, delivered, subject_of
from tests.oidc_helpers import csrf_token, login

CITIZEN = "camille@example.test"
NEW = "Nouveau2027"


@pytest.fixture
def settings(settings, smtp):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0)




def federated_citizen(factories, rt, http, email: str | None = CITIZEN,  # type: ignore[no-untyped-def]
                      verified: bool = True) -> int:
    """A citizen without a usable password (as a federated login makes one), logged in in
    `http`'s browser."""
    factories.account("fc-abcdef", email=email, population="citizen")
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, "fc-abcdef")
        account.password_hash = "!unusable"
        account.email_verified = verified and email is not None
        s.flush()
        accounts_repo.refresh_login_names(s, account.id)
        account_id = account.id
    sessions = BrowserSessions(rt.db, rt.clock, rt.settings.session_ttl)
    state = sessions.log_in(None, sessions.account(account_id), "eidas1", ("fc",))
    http.cookies.set(rt.settings.session_cookie, state.id)
    return account_id


def test_the_page_needs_a_login(http) -> None:  # type: ignore[no-untyped-def]
    assert http.get("/compte/securite", follow_redirects=False).headers["location"] == "/login"
    for path in ("/compte/securite/alertes", "/compte/securite/definir-mot-de-passe"):
        assert http.post(path, data={}, follow_redirects=False).headers[
            "location"] == "/login"


def test_the_portal_home_links_to_the_page(http, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("camille-c", email=CITIZEN, population="citizen")
    login(http, CITIZEN)
    home = html.unescape(http.get("/").text)
    assert 'href="/compte/securite"' in home and "Connexion, sécurité et paramétrage" in home
    assert 'href="/compte/mot-de-passe"' in home
    page = html.unescape(http.get("/compte/securite").text)
    assert "<h1>Connexion, sécurité et paramétrage</h1>" in page
    for href in ("/compte/mot-de-passe", "/compte/double-authentification"):
        assert f'href="{href}"' in page
    assert "M'avertir par courriel d'une connexion depuis un nouvel appareil" in page


def test_a_citizen_changes_the_password_under_the_citizen_rules_with_an_email(  # type: ignore[no-untyped-def]
        http, factories, rt, smtp):
    factories.account("camille-c", email=CITIZEN, population="citizen")
    login(http, CITIZEN)
    page = http.get("/compte/mot-de-passe")
    text = html.unescape(page.text)
    # The citizen's rules, one per item of the rules list (seed 001's presentation).
    assert ("<ul><li>Au moins 8 caractères</li><li>Au moins une lettre majuscule</li>"
            "<li>Au moins une lettre minuscule</li><li>Au moins un chiffre</li></ul>") in text
    # A citizen password needs no special character (the portal's rule would).
    changed = http.post("/compte/mot-de-passe", data={
        "csrf_token": csrf_token(page.text), "current_password": PASSWORD,
        "new_password": NEW, "confirmation": NEW})
    assert changed.status_code == 200, changed.text
    [mail] = delivered(rt, smtp)
    assert mail["To"] == CITIZEN
    assert subject_of(mail) == "Modification de vos informations personnelles"
    http.cookies.clear()
    assert login(http, CITIZEN, NEW).status_code == 303


def test_no_password_and_a_verified_address_offers_to_set_one_by_email(  # type: ignore[no-untyped-def]
        http, factories, rt, smtp):
    federated_citizen(factories, rt, http)
    home = html.unescape(http.get("/").text)
    assert "Modifier votre mot de passe" not in home and 'href="/compte/mot-de-passe"' not in home
    assert "Définir un mot de passe" in home
    assert http.get("/compte/mot-de-passe", follow_redirects=False).headers[
        "location"] == "/compte/securite"
    page = http.get("/compte/securite")
    assert 'href="/compte/mot-de-passe"' not in page.text
    sent = http.post("/compte/securite/definir-mot-de-passe",
                     data={"csrf_token": csrf_token(page.text)})
    assert sent.status_code == 200
    assert f"Un lien de création de votre mot de passe a été envoyé à {CITIZEN}" in \
        html.unescape(sent.text)
    [mail] = delivered(rt, smtp)
    assert mail["To"] == CITIZEN
    body = body_of(mail)
    url = re.search(r"(http\S+jeton=\S+)", body).group(1)  # type: ignore[union-attr]
    link = urlsplit(url)
    form = http.get(f"{link.path}?{link.query}")
    assert form.status_code == 200
    token = re.search(r'name="jeton" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    done = http.post("/mot-de-passe-oublie/nouveau", data={
        "csrf_token": csrf_token(form.text), "jeton": token, "new_password": NEW,
        "confirmation": NEW})
    assert done.status_code == 200, done.text
    # From now on the citizen logs in with the address too.
    http.cookies.clear()
    assert login(http, CITIZEN, NEW).status_code == 303
    assert 'href="/compte/mot-de-passe"' in http.get("/").text


def test_setting_a_password_is_refused_when_the_address_serves_another_account(  # type: ignore[no-untyped-def]
        http, factories, rt, smtp):
    federated_citizen(factories, rt, http)
    page = http.get("/compte/securite")
    http.post("/compte/securite/definir-mot-de-passe", data={"csrf_token": csrf_token(page.text)})
    body = body_of(delivered(rt, smtp)[0])
    url = urlsplit(re.search(r"(http\S+jeton=\S+)", body).group(1))  # type: ignore[union-attr]
    # Meanwhile a family member opened an account with a password on the same address.
    factories.account("parent-c", email=CITIZEN, population="citizen")
    form = http.get(f"{url.path}?{url.query}")
    token = re.search(r'name="jeton" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    refused = http.post("/mot-de-passe-oublie/nouveau", data={
        "csrf_token": csrf_token(form.text), "jeton": token, "new_password": NEW,
        "confirmation": NEW})
    assert refused.status_code == 400
    assert "sert déjà à un autre compte" in html.unescape(refused.text)
    with rt.db.read() as s:
        assert accounts_repo.find_by_login(s, "fc-abcdef").password_hash == "!unusable"


@pytest.mark.parametrize("email, verified", [(None, False), (CITIZEN, False)])
def test_no_password_and_no_verified_address_offers_nothing(  # type: ignore[no-untyped-def]
        http, factories, rt, smtp, email, verified):
    federated_citizen(factories, rt, http, email, verified)
    home = html.unescape(http.get("/").text)
    assert "Modifier votre mot de passe" not in home and "Définir un mot de passe" not in home
    page = http.get("/compte/securite")
    assert "Définir un mot de passe" not in html.unescape(page.text)
    refused = http.post("/compte/securite/definir-mot-de-passe",
                        data={"csrf_token": csrf_token(page.text)})
    assert refused.status_code == 400
    assert delivered(rt, smtp) == []


def test_set_password_links_are_limited(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    federated_citizen(factories, rt, http)
    token = csrf_token(http.get("/compte/securite").text)
    limit = rt.settings.recovery_max_sends_per_account
    answers = [http.post("/compte/securite/definir-mot-de-passe",
                         data={"csrf_token": token}).status_code for _ in range(limit + 1)]
    assert answers == [200] * limit + [429]
    assert len(delivered(rt, smtp)) == limit


def test_the_switch_is_a_guarded_form(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("camille-c", email=CITIZEN, population="citizen")
    login(http, CITIZEN)
    forged = http.post("/compte/securite/alertes", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    with rt.db.read() as s:
        assert accounts_repo.find_by_login(s, CITIZEN).new_device_alerts is True
    page = http.get("/compte/securite")
    hostile = http.post("/compte/securite/alertes", data={
        "csrf_token": csrf_token(page.text), "new_device_alerts": "on\x00" + "x" * 300})
    assert hostile.status_code in (200, 400)
    assert "x" * 300 not in hostile.text


def test_the_page_leaves_room_for_other_items() -> None:
    assert "{% block security_items %}" in (TEMPLATES / "security.html").read_text()
