"""New-device e-mail (as FranceConnect sends): a device cookie per browser, kept only as a hash
per account; a login from a browser the account does not know sends "Nouvelle connexion à
votre compte" (read from a real SMTP server), except at the account's first login, from a
known browser, or when the person switched it off."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pyotp
import pytest
from sqlalchemy import select
from starlette.responses import Response
from starlette.testclient import TestClient

from idp.portal import devices
from idp.storage.models import KnownDevice
from idp.storage.repositories import accounts as accounts_repo
from idp.web.cookies import DEVICE_COOKIE, set_device_cookie
from tests.conftest import ISSUER
from tests.mail import body_of, delivered, subject_of
from tests.oidc_helpers import csrf_token, hidden, login

CITIZEN = "camille@example.test"
FIREFOX = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 "
           "Firefox/133.0")


@pytest.fixture
def settings(settings, smtp):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0)


@pytest.fixture
def account_id(factories, rt) -> int:  # type: ignore[no-untyped-def]
    factories.account("camille-c", email=CITIZEN, population="citizen")
    with rt.db.read() as s:
        return accounts_repo.find_by_login(s, CITIZEN).id


def browser(app, user_agent: str = FIREFOX) -> TestClient:  # type: ignore[no-untyped-def]
    """Another browser (the app's lifespan is the `http` fixture's)."""
    return TestClient(app, base_url=ISSUER, headers={"user-agent": user_agent})





def rows(rt, account_id: int) -> list[KnownDevice]:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        return list(s.scalars(select(KnownDevice).where(KnownDevice.account_id == account_id)))


def test_first_login_records_the_browser_without_an_email(http, account_id, rt, smtp):  # type: ignore[no-untyped-def]
    response = login(http, CITIZEN)
    assert response.status_code == 303
    cookie = response.cookies[DEVICE_COOKIE]
    header = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith(DEVICE_COOKIE + "="))
    assert "HttpOnly" in header and "SameSite=lax" in header and "Secure" not in header
    assert f"Max-Age={devices.COOKIE_MAX_AGE}" in header
    assert devices.COOKIE_MAX_AGE // 86400 in range(390, 400)  # about 13 months
    assert len(cookie) == 43
    assert delivered(rt, smtp) == []
    assert len(rows(rt, account_id)) == 1


def test_the_cookie_is_stored_only_as_a_hash_per_account(http, account_id, rt):  # type: ignore[no-untyped-def]
    cookie = login(http, CITIZEN).cookies[DEVICE_COOKIE]
    [row] = rows(rt, account_id)
    assert cookie not in row.device_hash
    assert row.device_hash != hashlib.sha256(cookie.encode()).hexdigest()
    assert row.device_hash == hashlib.sha256(f"{account_id}:{cookie}".encode()).hexdigest()


def test_a_second_browser_gets_the_alert_the_same_one_does_not(app, http, account_id, rt,  # type: ignore[no-untyped-def]
                                                                 smtp, clock):
    login(http, CITIZEN)
    http.cookies.delete("idp_session")
    assert login(http, CITIZEN).status_code == 303  # the same browser again
    assert delivered(rt, smtp) == []
    other = browser(app)
    assert login(other, CITIZEN).status_code == 303
    [message] = delivered(rt, smtp)
    assert message["To"] == CITIZEN
    assert subject_of(message) == "Nouvelle connexion à votre compte"
    body = body_of(message)
    when = datetime.fromtimestamp(clock.now(), UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert f"le {when:%d/%m/%Y %H:%M} (heure de Paris)" in body
    assert "Navigateur : Firefox, Windows" in body
    assert "Fournisseur d'identité" not in body  # a password login
    assert "modifiez sans attendre votre mot de passe" in body
    assert ISSUER + "/compte/securite" in body
    assert len(rows(rt, account_id)) == 2
    # Known from now on.
    other.cookies.delete("idp_session")
    assert login(other, CITIZEN).status_code == 303
    assert len(delivered(rt, smtp)) == 1


def test_no_alert_when_switched_off(app, http, account_id, rt, smtp):  # type: ignore[no-untyped-def]
    login(http, CITIZEN)
    page = http.get("/compte/securite")
    assert "checked" in page.text.split('id="new_device_alerts"')[1].split(">")[0]
    off = http.post("/compte/securite/alertes", data={"csrf_token": csrf_token(page.text)})
    assert off.status_code == 200
    assert "Vous ne serez plus averti" in off.text
    assert login(browser(app), CITIZEN).status_code == 303
    assert delivered(rt, smtp) == []
    on = http.post("/compte/securite/alertes", data={"csrf_token": csrf_token(page.text),
                                                     "new_device_alerts": "on"})
    assert on.status_code == 200
    assert login(browser(app), CITIZEN).status_code == 303
    assert len(delivered(rt, smtp)) == 1


def test_no_alert_without_a_verified_address(app, http, account_id, rt, smtp):  # type: ignore[no-untyped-def]
    login(http, CITIZEN)
    with rt.db.transaction() as s:
        accounts_repo.get_account(s, account_id).email_verified = False
    assert login(browser(app), CITIZEN).status_code == 303
    assert delivered(rt, smtp) == []
    assert len(rows(rt, account_id)) == 2


def test_the_second_factor_login_counts_too(app, http, factories, rt, smtp, clock):  # type: ignore[no-untyped-def]
    made = factories.account("camille-c", email=CITIZEN, population="citizen")
    secret, _ = factories.authenticator(made)
    clock.advance(30)

    def full(client: TestClient) -> None:
        assert login(client, CITIZEN).headers["location"] == "/connexion/code"
        page = client.get("/connexion/code")
        done = client.post("/connexion/code", data={
            "csrf_token": csrf_token(page.text), "rid": hidden(page.text, "rid"),
            "code": pyotp.TOTP(secret).at(clock.now())}, follow_redirects=False)
        assert done.status_code == 303 and DEVICE_COOKIE in done.cookies

    full(http)
    clock.advance(30)
    full(browser(app))
    assert [subject_of(m) for m in delivered(rt, smtp)] == ["Nouvelle connexion à votre compte"]


@pytest.mark.parametrize("presented", ["short", "x" * 43 + "\x7f", "A" * 4000,
                                       "\"; Secure; Domain=evil.test", "=" * 43])
def test_a_malformed_device_cookie_is_replaced(http, account_id, rt, presented):  # type: ignore[no-untyped-def]
    login(http, CITIZEN)  # first login: the account knows one browser
    fresh = TestClient(http.app, base_url=ISSUER, cookies={DEVICE_COOKIE: presented})
    response = login(fresh, CITIZEN)
    assert response.status_code == 303
    assert response.cookies[DEVICE_COOKIE] != presented
    assert len(response.cookies[DEVICE_COOKIE]) == 43
    hashes = {row.device_hash for row in rows(rt, account_id)}
    assert hashlib.sha256(f"{account_id}:{presented}".encode()).hexdigest() not in hashes


@pytest.mark.parametrize("user_agent", ["", "curl/8.0", "A" * 100000,
                                        "Firefox/1\r\nBcc: x@evil.test <script>",
                                        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                                        "AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"])
def test_the_browser_is_described_from_a_fixed_vocabulary(app, http, account_id, rt, smtp,  # type: ignore[no-untyped-def]
                                                         user_agent):
    login(http, CITIZEN)
    assert login(browser(app, user_agent[:8000]), CITIZEN).status_code == 303
    body = body_of(delivered(rt, smtp)[0])
    assert "Bcc" not in body and "<script>" not in body and "AAAA" not in body
    expected = devices.describe_browser(user_agent[:8000])
    if expected is None:
        assert "Navigateur" not in body
    else:
        assert f"Navigateur : {expected}\n" in body


def test_describe_browser() -> None:
    assert devices.describe_browser(FIREFOX) == "Firefox, Windows"
    assert devices.describe_browser(
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Mobile Safari/537.36") == "Chrome, Android"
    assert devices.describe_browser(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.0 Safari/605.1.15") == "Safari, macOS"
    assert devices.describe_browser(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Safari/537.36 Edg/131.0") == "Microsoft Edge, Windows"
    assert devices.describe_browser(None) is None
    assert devices.describe_browser("curl/8.0") is None


def test_at_most_twenty_browsers_are_kept_per_account(app, http, account_id, rt, clock):  # type: ignore[no-untyped-def]
    for _ in range(devices.KEEP_PER_ACCOUNT + 3):
        clock.advance(1)
        assert login(browser(app), CITIZEN).status_code == 303
    assert len(rows(rt, account_id)) == devices.KEEP_PER_ACCOUNT


def test_a_browser_seen_again_outlasts_those_seen_before_it(app, http, account_id, rt, clock):  # type: ignore[no-untyped-def]
    first = browser(app)
    assert login(first, CITIZEN).status_code == 303
    kept = devices.KEEP_PER_ACCOUNT
    for _ in range(kept - 1):
        clock.advance(1)
        assert login(browser(app), CITIZEN).status_code == 303
    clock.advance(1)
    first.cookies.delete("idp_session")
    assert login(first, CITIZEN).status_code == 303  # known: its last login moves to now
    mine = hashlib.sha256(f"{account_id}:{first.cookies[DEVICE_COOKIE]}".encode()).hexdigest()
    assert [r.last_seen_at for r in rows(rt, account_id) if r.device_hash == mine] == [
        clock.now()]
    clock.advance(1)
    assert login(browser(app), CITIZEN).status_code == 303  # one too many: the oldest goes
    left = rows(rt, account_id)
    assert len(left) == kept and mine in {r.device_hash for r in left}


def test_the_cookie_is_secure_when_the_hub_is_served_over_https(settings) -> None:  # type: ignore[no-untyped-def]
    response = Response()
    set_device_cookie(response, settings.replace(issuer="https://hub.example"), "v",
                      devices.COOKIE_MAX_AGE)
    assert "Secure" in response.headers["set-cookie"]


def test_the_cookie_value_is_never_logged(app, http, account_id, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level("DEBUG")
    login(http, CITIZEN)
    cookie = login(browser(app), CITIZEN).cookies[DEVICE_COOKIE]
    assert cookie not in caplog.text
