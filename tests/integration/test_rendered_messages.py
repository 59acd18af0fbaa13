"""The password forms' refusals, rendered through HTTP in French and English, never show a
message with two full stops ("…choisissez-en un autre..")."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.oidc_helpers import auth_request, authorize, csrf_token, login

DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
WEAK = "abcdefgh"  # breaks several rules at once
MOBILE = "+33612345678"


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=0.0)


def _messages_of(page) -> str:  # type: ignore[no-untyped-def]
    """The page's error summary and field errors, as read."""
    assert page.status_code == 400, page.status_code
    text = html.unescape(page.text)
    parts = re.findall(r'<div class="fr-alert fr-alert--error.*?</div>', text, re.S)
    parts += re.findall(r'<p id="[a-z_]+-error" class="fr-error-text">(.*?)</p>', text, re.S)
    assert parts
    return " ".join(re.sub(r"<[^>]+>", " ", p) for p in parts)


def _refusals(post) -> list[str]:  # type: ignore[no-untyped-def]
    """Every kind of refusal of a new password: rules, confirmation, a recent password."""
    return [_messages_of(post(WEAK, WEAK)), _messages_of(post("Nouveau-2027!", "Autre-2027!!")),
            _messages_of(post(PASSWORD, PASSWORD))]


def _check(texts: list[str], expected: str) -> None:
    joined = " | ".join(texts)
    assert expected in joined, joined
    for text in texts:
        assert not DOUBLED_STOP.search(text), text


@pytest.mark.parametrize(("lang", "reused"), [
    ("fr", "Ce mot de passe a déjà été utilisé récemment"),
    ("en", "This password was used recently"),
])
def test_password_change_refusals_have_single_full_stops(http, factories, lang, reused):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    http.get(f"/compte/mot-de-passe?lang={lang}")

    def post(new, confirmation):  # type: ignore[no-untyped-def]
        page = http.get("/compte/mot-de-passe")
        return http.post("/compte/mot-de-passe", data={
            "csrf_token": csrf_token(page.text), "current_password": PASSWORD,
            "new_password": new, "confirmation": confirmation})

    page = http.get("/compte/mot-de-passe")
    wrong_current = http.post("/compte/mot-de-passe", data={
        "csrf_token": csrf_token(page.text), "current_password": "wrong",
        "new_password": WEAK, "confirmation": "other"})
    _check([_messages_of(wrong_current), *_refusals(post)], reused)


@pytest.mark.parametrize(("lang", "reused"), [
    ("fr", "Ce mot de passe a déjà été utilisé récemment"),
    ("en", "This password was used recently"),
])
def test_expired_password_refusals_have_single_full_stops(http, factories, clock, lang, reused):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    clock.advance(366 * 86400)
    req = auth_request(client.client_id, client.redirect_uri)
    start = authorize(http, req)
    login(http, "alice", PASSWORD, start.headers["location"])
    http.get(f"/compte/mot-de-passe-expire?lang={lang}")

    def post(new, confirmation):  # type: ignore[no-untyped-def]
        page = http.get("/compte/mot-de-passe-expire")
        return http.post("/compte/mot-de-passe-expire", data={
            "csrf_token": csrf_token(page.text), "new_password": new,
            "confirmation": confirmation})

    _check(_refusals(post), reused)


@pytest.mark.parametrize(("lang", "rule"), [("fr", "Au moins 2 chiffres"),
                                            ("en", "At least 2 digits")])
def test_recovery_refusals_have_single_full_stops(http, factories, rt, lang, rule):  # type: ignore[no-untyped-def]
    import json

    factories.account("alice", phone=MOBILE)
    http.get(f"/mot-de-passe-oublie?lang={lang}")
    page = http.get("/mot-de-passe-oublie")
    http.post("/mot-de-passe-oublie", data={"csrf_token": csrf_token(page.text),
                                            "username": "alice"})
    rt.outbox.deliver_due()
    [sms] = [json.loads(line) for line in Path(rt.settings.sms_sink_file).read_text(
        encoding="utf-8").splitlines()]
    code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)  # type: ignore[union-attr]

    def post(new, confirmation):  # type: ignore[no-untyped-def]
        page = http.get("/mot-de-passe-oublie/code")
        return http.post("/mot-de-passe-oublie/code", data={
            "csrf_token": csrf_token(page.text), "code": code, "new_password": new,
            "confirmation": confirmation, "action": "change"})

    wrong_code = http.post("/mot-de-passe-oublie/code", data={
        "csrf_token": csrf_token(http.get("/mot-de-passe-oublie/code").text),
        "code": "000000" if code != "000000" else "111111", "new_password": WEAK,
        "confirmation": WEAK, "action": "change"})
    texts = [_messages_of(wrong_code), _messages_of(post(WEAK, WEAK)),
             _messages_of(post("Nouveau-2027!", "Autre-2027!!"))]
    _check(texts, rule)
