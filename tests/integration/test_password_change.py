"""Change of password (seeds 000/001): current password, rules, history, confirmation
e-mail through the outbox to a real SMTP server, nothing lost when SMTP is down."""

from __future__ import annotations

import html

import pytest

from tests.factories import PASSWORD
from tests.oidc_helpers import csrf_token, login

NEW = "Nouveau-2027!"


@pytest.fixture
def settings(settings, smtp):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0)


def change(http, current: str, new: str, confirmation: str | None = None):  # type: ignore[no-untyped-def]
    page = http.get("/compte/mot-de-passe")
    assert page.status_code == 200
    return http.post("/compte/mot-de-passe", data={
        "csrf_token": csrf_token(page.text), "current_password": current,
        "new_password": new, "confirmation": new if confirmation is None else confirmation})


def test_change_sends_the_confirmation_email_naming_the_identifier(http, factories, rt, smtp):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="camille@example.test")
    login(http, "cbernard-xt")
    response = change(http, PASSWORD, NEW)
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert "Votre mot de passe a été modifié" in text
    assert "Expiration de votre mot de passe le" in text
    assert rt.outbox.deliver_due() == 1
    [mail] = smtp.messages
    assert mail["To"] == "camille@example.test"
    assert mail["Subject"] == "Modification de vos informations personnelles"
    body = mail.get_payload(decode=True).decode()
    assert "Une modification de vos informations personnelles a été effectuée ce jour " \
           "(identifiant cbernard-xt)" in body
    assert "Si vous n'êtes pas à l'origine de cette demande" in body
    http.cookies.clear()
    assert login(http, "cbernard-xt", PASSWORD).status_code == 401
    assert login(http, "cbernard-xt", NEW).status_code == 303


def test_wrong_current_password_changes_nothing(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    response = change(http, "wrong password", NEW)
    assert response.status_code == 400
    assert "Le mot de passe actuel est incorrect." in html.unescape(response.text)
    assert rt.outbox.deliver_due() == 0
    http.cookies.clear()
    assert login(http, "alice", PASSWORD).status_code == 303


def test_the_form_says_which_rule_failed(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    text = html.unescape(change(http, PASSWORD, "abcdefgh").text)
    assert "Au moins 2 chiffres" in text
    assert "Au moins 1 caractère spécial ou accentué" in text
    assert 'href="#new_password"' in text


def test_confirmation_must_match(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    response = change(http, PASSWORD, NEW, confirmation=NEW + "x")
    assert "La confirmation ne correspond pas" in html.unescape(response.text)


def test_a_recent_password_cannot_be_chosen_again(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    assert change(http, PASSWORD, NEW).status_code == 200
    response = change(http, NEW, PASSWORD)
    assert response.status_code == 400
    assert "déjà été utilisé récemment" in html.unescape(response.text)


def test_change_requires_login_and_csrf(http, factories):  # type: ignore[no-untyped-def]
    assert http.get("/compte/mot-de-passe", follow_redirects=False).headers["location"] == "/login"
    factories.account("alice")
    login(http, "alice")
    response = http.post("/compte/mot-de-passe", data={
        "current_password": PASSWORD, "new_password": NEW, "confirmation": NEW})
    assert response.status_code == 403


def test_mail_server_down_loses_nothing_and_delivers_once(http, factories, rt, smtp, clock):  # type: ignore[no-untyped-def]
    factories.account("alice", email="alice@example.test")
    login(http, "alice")
    smtp.stop()
    assert change(http, PASSWORD, NEW).status_code == 200
    assert rt.outbox.deliver_due() == 0  # refused: kept for later
    smtp.start()
    assert rt.outbox.deliver_due() == 0  # not due yet: retried after a delay
    clock.advance(31)
    assert rt.outbox.deliver_due() == 1
    clock.advance(3600)
    assert rt.outbox.deliver_due() == 0
    assert [m["To"] for m in smtp.messages] == ["alice@example.test"]
