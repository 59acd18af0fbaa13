"""« Renvoyer le code » on the pages that wait for a code sent by SMS or e-mail (issue 15):
a new code through the real sinks (SMS file, SMTP), the previous code refused from then on,
sends limited as a forgotten password's are (`SendLimits`), the form guarded by CSRF."""

from __future__ import annotations

import html
import re

import pytest

from tests.mail import SmtpSink, body_of, code_of, delivered, sms
from tests.oidc_helpers import csrf_token, login


@pytest.fixture
def settings(settings, tmp_path, smtp: SmtpSink):  # type: ignore[no-untyped-def]
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=0.0,
                            smtp_port=smtp.port, recovery_max_sends_per_account=2,
                            recovery_send_window=3600)


def _ask_for_mobile(http) -> str:  # type: ignore[no-untyped-def]
    form = http.get("/compte/mobile?next=/")
    sent = http.post("/compte/mobile", data={"csrf_token": csrf_token(form.text),
                                             "value": "06 12 34 56 78", "next": "/"},
                     follow_redirects=False)
    assert sent.headers["location"] == "/compte/code"
    return csrf_token(http.get("/compte/code").text)


def _other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_new_sms_code_replaces_the_previous_one(http, factories, rt) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=None, email="camille@example.test")
    login(http, "cbernard-xt")
    token = _ask_for_mobile(http)
    page = http.get("/compte/code")
    assert "Renvoyer le code" in html.unescape(page.text)
    [first] = sms(rt)
    resent = http.post("/compte/code/renvoi", data={"csrf_token": token})
    assert resent.status_code == 200
    assert "Un nouveau code a été envoyé" in html.unescape(resent.text)
    [_, second] = sms(rt)
    assert second["to"] == "+33612345678"
    old, new = code_of(first), code_of(second)
    if old != new:  # one chance in a million they are the same
        refused = http.post("/compte/code", data={"csrf_token": token, "code": old})
        assert refused.status_code == 400
    done = http.post("/compte/code", data={"csrf_token": token, "code": new})
    assert "Numéro de mobile enregistré" in html.unescape(done.text)


def test_resends_are_limited_and_say_when_to_try_again(http, factories, rt, clock) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=None, email="camille@example.test")
    login(http, "cbernard-xt")
    token = _ask_for_mobile(http)
    for _ in range(2):  # recovery_max_sends_per_account
        assert http.post("/compte/code/renvoi", data={"csrf_token": token}).status_code == 200
    current = code_of(sms(rt)[-1])
    refused = http.post("/compte/code/renvoi", data={"csrf_token": token})
    assert refused.status_code == 429
    text = html.unescape(refused.text)
    assert "aucun nouveau code n'a été envoyé" in text
    assert re.search(r"Réessayez dans 60 minutes", text), text
    assert len(sms(rt)) == 3  # nothing more went out
    # A new change does not reset the account's counter either.
    token = _ask_for_mobile(http)
    assert http.post("/compte/code/renvoi", data={"csrf_token": token}).status_code == 429
    # Past the window, a code may be asked again.
    clock.advance(3601)
    assert http.post("/compte/code/renvoi", data={"csrf_token": token}).status_code == 200
    assert len(sms(rt)) == 5
    # The refused resend left the code of that time valid until it was replaced.
    assert current


def test_a_new_email_code_goes_through_smtp(http, factories, rt, smtp) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="old@example.test")
    login(http, "cbernard-xt")
    form = http.get("/compte/courriel")
    http.post("/compte/courriel", data={"csrf_token": csrf_token(form.text),
                                        "value": "new@example.test", "next": "/"})
    token = csrf_token(http.get("/compte/code").text)
    assert http.post("/compte/code/renvoi", data={"csrf_token": token}).status_code == 200
    mails = [m for m in delivered(rt, smtp) if m["To"] == "new@example.test"]
    assert len(mails) == 2
    codes = [re.search(r"\b(\d{6})\b", body_of(m)).group(1) for m in mails]  # type: ignore[union-attr]
    if codes[0] != codes[1]:
        wrong = http.post("/compte/code", data={"csrf_token": token, "code": codes[0]})
        assert wrong.status_code == 400
    done = http.post("/compte/code", data={"csrf_token": token, "code": codes[1]})
    assert "Adresse électronique enregistrée" in html.unescape(done.text)


def test_resend_needs_the_csrf_token_a_login_and_a_change_under_way(http, factories, rt) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone=None)
    assert http.post("/compte/code/renvoi", data={},
                     follow_redirects=False).status_code in (303, 403)
    login(http, "cbernard-xt")
    token = csrf_token(http.get("/compte/mobile").text)
    nothing = http.post("/compte/code/renvoi", data={"csrf_token": token},
                        follow_redirects=False)
    assert nothing.status_code == 303 and nothing.headers["location"] == "/"
    token = _ask_for_mobile(http)
    forged = http.post("/compte/code/renvoi", data={"csrf_token": "x" * len(token)})
    assert forged.status_code == 403
    assert len(sms(rt)) == 1
