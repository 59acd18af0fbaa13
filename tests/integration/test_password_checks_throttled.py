"""Issue 10, finding 6: a password typed again on an account page (change of password,
enrolment or removal of the second factor) is throttled like the login: wrong answers count
in the same per-account throttle, and the lock logs the user out and blocks the login."""

from __future__ import annotations

import html
import re

import pyotp
import pytest
from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.factories import PASSWORD
from tests.oidc_helpers import csrf_token, hidden, login

NEW = "Nouveau-2027!"
LOCKED_OUT = "vous avez été déconnecté, et la connexion avec cet identifiant est bloquée " \
             "pendant 10 minutes"
LOGIN_LOCKED = "Trop de tentatives infructueuses"
KEY = re.compile(r'class="hub-key">([A-Z2-7 ]+)<')


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.replace(login_max_failures=10, address_max_failures=100,
                            login_lock_seconds=600, login_max_delay=0.01,
                            outbox_interval=3600.0)


def change(http, current: str):  # type: ignore[no-untyped-def]
    page = http.get("/compte/mot-de-passe")
    assert page.status_code == 200
    return http.post("/compte/mot-de-passe", data={
        "csrf_token": csrf_token(page.text), "current_password": current,
        "new_password": NEW, "confirmation": NEW})


def second_factor_form(http, action: str, current: str, code: str):  # type: ignore[no-untyped-def]
    page = http.get("/compte/double-authentification")
    assert page.status_code == 200
    return http.post("/compte/double-authentification", data={
        "csrf_token": csrf_token(page.text), "action": action, "current_password": current,
        "code": code})


def assert_locked_out(http, response, clock, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """429 saying so, the session ended, the login blocked until the lock ends."""
    assert response.status_code == 429
    assert LOCKED_OUT in html.unescape(response.text)
    assert http.get("/compte/mot-de-passe", follow_redirects=False).headers["location"] == \
        "/login"
    http.cookies.clear()
    refused = login(http, "alice", password)
    assert refused.status_code == 429 and LOGIN_LOCKED in html.unescape(refused.text)
    clock.advance(601)
    assert login(http, "alice", password).status_code == 303


def test_finding6_current_password_guesses_are_throttled_on_password_change(http, factories,  # type: ignore[no-untyped-def]
                                                                            clock):
    factories.account("alice")
    login(http, "alice")
    for _ in range(9):
        wrong = change(http, "a guess")
        assert wrong.status_code == 400
        assert "Le mot de passe actuel est incorrect." in html.unescape(wrong.text)
    assert_locked_out(http, change(http, "a tenth guess"), clock)  # the password is unchanged


def test_finding6_current_password_guesses_are_throttled_on_second_factor_page(http, factories,  # type: ignore[no-untyped-def]
                                                                               clock):
    factories.account("alice")
    login(http, "alice")
    for _ in range(9):
        assert second_factor_form(http, "enable", "a guess", "123456").status_code == 400
    assert_locked_out(http, second_factor_form(http, "enable", "a guess", "123456"), clock)


def test_finding6_authenticator_code_guesses_are_throttled_on_removal(http, factories, clock):  # type: ignore[no-untyped-def]
    secret, _ = factories.authenticator(factories.account("alice"))
    clock.advance(30)
    login(http, "alice")
    page = http.get("/connexion/code")
    http.post("/connexion/code", data={"csrf_token": csrf_token(page.text),
                                       "rid": hidden(page.text, "rid"),
                                       "code": pyotp.TOTP(secret).at(clock.now())})
    clock.advance(30)
    right = pyotp.TOTP(secret).at(clock.now())
    wrong = "000000" if right != "000000" else "111111"
    # The right password does not clear the count: each wrong code adds up to the lock.
    for _ in range(9):
        assert second_factor_form(http, "disable", PASSWORD, wrong).status_code == 400
    response = second_factor_form(http, "disable", PASSWORD, wrong)
    assert response.status_code == 429 and LOCKED_OUT in html.unescape(response.text)


def test_a_lock_set_at_login_refuses_the_right_current_password_too(app, http, factories,  # type: ignore[no-untyped-def]
                                                                    clock):
    factories.account("alice")
    login(http, "alice")
    attacker = TestClient(app, base_url=ISSUER)  # another browser, same app (no lifespan)
    for _ in range(10):
        login(attacker, "alice", "a guess")
    assert_locked_out(http, change(http, PASSWORD), clock)


def test_wrong_current_passwords_and_failed_logins_share_one_count(app, http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    for _ in range(4):
        assert change(http, "a guess").status_code == 400
    other = TestClient(app, base_url=ISSUER)  # another browser, same app (no lifespan)
    for _ in range(5):
        assert login(other, "alice", "a guess").status_code == 401
    locked = login(other, "alice", "a guess")  # the tenth wrong answer in all
    assert locked.status_code == 429 and LOGIN_LOCKED in html.unescape(locked.text)


def test_an_empty_current_password_is_refused_without_counting(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    for _ in range(12):
        assert change(http, "").status_code == 400
    assert change(http, PASSWORD).status_code == 200
