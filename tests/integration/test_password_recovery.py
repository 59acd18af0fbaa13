"""Forgotten password by SMS code (seed 000): code to the registered mobile, 10 minutes,
single use, 5 attempts, limited resends, and the same answer for every identifier."""

from __future__ import annotations

import html
import re

import pytest

from idp.accounts import recovery
from tests.factories import PASSWORD
from tests.mail import code_of, sms
from tests.oidc_helpers import csrf_token, login

NEW = "Nouveau-2027!"
MOBILE = "+33612345678"


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=0.0)


def ask(http, username: str):  # type: ignore[no-untyped-def]
    page = http.get("/mot-de-passe-oublie")
    response = http.post("/mot-de-passe-oublie", data={
        "csrf_token": csrf_token(page.text), "username": username}, follow_redirects=False)
    assert response.headers["location"] == "/mot-de-passe-oublie/code"
    return http.get("/mot-de-passe-oublie/code")


def submit(http, page, code: str, new: str = NEW, action: str = "change"):  # type: ignore[no-untyped-def]
    return http.post("/mot-de-passe-oublie/code", data={
        "csrf_token": csrf_token(page.text), "code": code, "new_password": new,
        "confirmation": new, "action": action})


def test_code_by_sms_then_a_new_password(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=MOBILE)
    page = ask(http, "cbernard-xt")
    [message] = sms(rt)
    assert message["to"] == MOBILE and "10 minutes" in message["text"]
    done = submit(http, page, code_of(message))
    assert done.status_code == 200 and "Votre mot de passe a été modifié" in html.unescape(
        done.text)
    http.cookies.clear()
    assert login(http, "cbernard-xt", NEW).status_code == 303


def test_the_login_page_links_to_the_forgotten_password(http):  # type: ignore[no-untyped-def]
    assert 'href="/mot-de-passe-oublie"' in http.get("/login").text
    assert "Mot de passe oublié ?" in html.unescape(http.get("/login").text)


def test_same_answer_for_unknown_identifiers_and_accounts_without_mobile(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("nomobile", phone=None)
    known = ask(http, "nomobile")
    unknown = ask(http, "nobody-at-all")
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    assert sms(rt) == []
    wrong = submit(http, unknown, "123456")
    assert wrong.status_code == 400 and "Le code est erroné" in html.unescape(wrong.text)


def test_a_wrong_code_is_refused_and_the_sixth_attempt_too(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    page = ask(http, "alice")
    right = code_of(sms(rt)[0])
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert submit(http, page, wrong).status_code == 400
    sixth = submit(http, page, right)
    assert sixth.status_code == 400
    http.cookies.clear()
    assert login(http, "alice", PASSWORD).status_code == 303


def test_an_expired_code_is_refused(http, factories, rt, clock):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    page = ask(http, "alice")
    code = code_of(sms(rt)[0])
    clock.advance(601)
    assert submit(http, page, code).status_code == 400


def test_a_code_is_single_use(factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    limits = recovery.SendLimits.from_settings(rt.settings)
    started = recovery.start(rt.db, rt.clock, rt.keys, rt.audit, limits, "alice", "{code}",
                             "127.0.0.1")
    code = code_of(sms(rt)[0])
    assert recovery.check_code(rt.db, rt.clock, rt.keys, started.token, code) is not None
    assert recovery.use_up(rt.db, rt.clock, started.token) is True
    assert recovery.use_up(rt.db, rt.clock, started.token) is False
    assert recovery.check_code(rt.db, rt.clock, rt.keys, started.token, code) is None


def test_a_weak_new_password_keeps_the_code_usable(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    page = ask(http, "alice")
    code = code_of(sms(rt)[0])
    weak = submit(http, page, code, new="abcdefgh")
    assert weak.status_code == 400 and "Au moins 2 chiffres" in html.unescape(weak.text)
    assert submit(http, page, code).status_code == 200


def test_resending_is_limited(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    page = ask(http, "alice")
    for _ in range(2):
        resent = submit(http, page, "", action="resend")
        assert "Un nouveau code a été envoyé" in html.unescape(resent.text)
    refused = submit(http, page, "", action="resend")
    assert "Aucun nouveau code ne peut être envoyé" in html.unescape(refused.text)
    messages = sms(rt)
    assert len(messages) == 3
    assert submit(http, page, code_of(messages[-1])).status_code == 200
