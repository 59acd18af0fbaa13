"""Mobile number (seeds 000/001): reminder after login with "Poursuivre" and "Ne plus
afficher ce rappel" (6 months), new number verified by an SMS code, confirmation e-mail."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from idp.storage.repositories import outbox as outbox_repo
from tests.oidc_helpers import auth_request, authorize, csrf_token, login


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=0.0)


def reminder(http, location: str):  # type: ignore[no-untyped-def]
    assert location.startswith("/compte/rappel-mobile?next=")
    page = http.get(location)
    assert "Ne plus afficher ce rappel" in html.unescape(page.text)
    return page


def answer(http, page, action: str):  # type: ignore[no-untyped-def]
    nxt = re.search(r'name="next" value="([^"]*)"', page.text).group(1)  # type: ignore[union-attr]
    return http.post("/compte/rappel-mobile", data={
        "csrf_token": csrf_token(page.text), "next": html.unescape(nxt), "action": action},
        follow_redirects=False)


def test_portal_user_without_mobile_is_reminded_and_can_continue(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("cbernard-xt", phone=None)
    req = auth_request(client.client_id, client.redirect_uri)
    start = authorize(http, req)
    logged = login(http, "cbernard-xt", location=start.headers["location"])
    page = reminder(http, logged.headers["location"])
    continued = answer(http, page, "later")
    assert continued.headers["location"].startswith("/authorize/resume?rid=")


def test_do_not_show_again_silences_the_reminder_for_six_months(http, factories, clock):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=None)
    page = reminder(http, login(http, "cbernard-xt").headers["location"])
    assert answer(http, page, "silence").headers["location"] == "/"
    http.cookies.clear()
    assert login(http, "cbernard-xt").headers["location"] == "/"
    clock.advance(183 * 86400)
    http.cookies.clear()
    reminder(http, login(http, "cbernard-xt").headers["location"])


def test_later_reminds_again_at_the_next_login(http, factories):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=None)
    answer(http, reminder(http, login(http, "cbernard-xt").headers["location"]), "later")
    http.cookies.clear()
    reminder(http, login(http, "cbernard-xt").headers["location"])


def test_citizens_are_not_reminded(http, factories):  # type: ignore[no-untyped-def]
    factories.account("nora", phone=None, population="citizen")
    assert login(http, "nora").headers["location"] == "/"


def test_the_next_target_cannot_leave_the_site(http, factories):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=None)
    login(http, "cbernard-xt")
    page = http.get("/compte/rappel-mobile?next=//evil.example/")
    assert answer(http, page, "later").headers["location"] == "/"


def test_new_mobile_number_is_verified_by_sms_then_confirmed_by_email(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=None, email="camille@example.test")
    login(http, "cbernard-xt")
    form = http.get("/compte/mobile?next=/")
    bad = http.post("/compte/mobile", data={"csrf_token": csrf_token(form.text),
                                            "value": "01 23 45 67 89", "next": "/"})
    assert bad.status_code == 400 and "numéro de mobile français" in html.unescape(bad.text)
    sent = http.post("/compte/mobile", data={"csrf_token": csrf_token(form.text),
                                             "value": "06 12 34 56 78", "next": "/"},
                     follow_redirects=False)
    assert sent.headers["location"] == "/compte/code"
    rt.outbox.deliver_due()
    [sms] = [json.loads(line) for line in Path(rt.settings.sms_sink_file).read_text().splitlines()]
    assert sms["to"] == "+33612345678"
    code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)  # type: ignore[union-attr]
    page = http.get("/compte/code")
    wrong = http.post("/compte/code", data={"csrf_token": csrf_token(page.text),
                                                   "code": "000000" if code != "000000"
                                                   else "111111"})
    assert wrong.status_code == 400
    done = http.post("/compte/code", data={"csrf_token": csrf_token(page.text),
                                                  "code": code})
    assert "Numéro de mobile enregistré" in html.unescape(done.text)
    with rt.db.read() as s:
        mails = outbox_repo.messages_to(s, "camille@example.test")
    assert [m.subject for m in mails] == ["Modification de vos informations personnelles"]
    assert "identifiant cbernard-xt" in mails[0].body
    http.cookies.clear()
    assert login(http, "cbernard-xt").headers["location"] == "/"


def test_new_email_is_verified_by_a_code_and_the_former_address_is_told(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="old@example.test")
    login(http, "cbernard-xt")
    form = http.get("/compte/courriel")
    bad = http.post("/compte/courriel", data={"csrf_token": csrf_token(form.text),
                                              "value": "not-an-address", "next": "/"})
    assert bad.status_code == 400
    http.post("/compte/courriel", data={"csrf_token": csrf_token(form.text),
                                        "value": "New@Example.test", "next": "/"})
    with rt.db.read() as s:
        [to_new] = outbox_repo.messages_to(s, "new@example.test")
    code = re.search(r"\b(\d{6})\b", to_new.body).group(1)  # type: ignore[union-attr]
    page = http.get("/compte/code")
    done = http.post("/compte/code", data={"csrf_token": csrf_token(page.text), "code": code})
    assert "Adresse électronique enregistrée" in html.unescape(done.text)
    with rt.db.read() as s:
        told = outbox_repo.messages_to(s, "old@example.test")
        from idp.storage.repositories import accounts
        assert accounts.find_by_login(s, "cbernard-xt").email == "new@example.test"
    assert [m.subject for m in told] == ["Modification de vos informations personnelles"]
