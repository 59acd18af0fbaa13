"""Second factor (issue 4): authenticator-app enrolment with a QR code and a manual key,
confirmed by a first code; the code asked at every login; single use of each code;
recovery codes; removal; step-up when a client asks for eidas2 (acr/amr in the ID token)."""

from __future__ import annotations

import html
import re

import pyotp
import pytest
from sqlalchemy import select

from idp.storage.models import Authenticator, RecoveryCode
from tests.factories import PASSWORD
from tests.integration.flows import decode_jwt, exchange
from tests.oidc_helpers import (
    auth_request,
    authorize,
    csrf_token,
    follow_to_client,
    full_login,
    hidden,
    login,
    parse_redirect,
)

KEY = re.compile(r'class="hub-key">([A-Z2-7 ]+)<')


@pytest.fixture
def settings(settings, smtp):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0)


def code_for(secret: str, clock) -> str:  # type: ignore[no-untyped-def]
    return pyotp.TOTP(secret).at(clock.now())


def submit_code(http, code: str, rid: str | None = None):  # type: ignore[no-untyped-def]
    page = http.get("/connexion/code" + (f"?rid={rid}" if rid else ""))
    assert page.status_code == 200, page.text
    return http.post("/connexion/code", data={
        "csrf_token": csrf_token(page.text), "rid": hidden(page.text, "rid"), "code": code},
        follow_redirects=False)


def enable(http, password: str, code_of):  # type: ignore[no-untyped-def]
    """Open the enrolment page, read the manual key, post password + code_of(secret)."""
    page = http.get("/compte/double-authentification")
    assert page.status_code == 200
    secret = KEY.search(page.text).group(1).replace(" ", "")
    response = http.post("/compte/double-authentification", data={
        "csrf_token": csrf_token(page.text), "action": "enable",
        "current_password": password, "code": code_of(secret)})
    return secret, response


def test_enrolment_shows_a_qr_code_and_key_and_needs_a_first_code(http, factories, rt, clock,
                                                                   smtp):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="camille@example.test")
    login(http, "cbernard-xt")
    page = http.get("/compte/double-authentification")
    assert "<svg" in page.text and "Validation en deux étapes" in html.unescape(page.text)
    _, refused = enable(http, PASSWORD, lambda secret: "000000")
    assert refused.status_code == 400
    assert "Le code est erroné ou a expiré." in html.unescape(refused.text)
    with rt.db.read() as s:
        assert s.scalars(select(Authenticator)).all() == []

    secret, response = enable(http, PASSWORD, lambda secret: code_for(secret, clock))
    assert response.status_code == 200, response.text
    codes = re.findall(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code>",
                       response.text)
    assert len(set(codes)) == 10
    with rt.db.read() as s:
        [stored] = s.scalars(select(Authenticator)).all()
        hashes = s.scalars(select(RecoveryCode.code_hash)).all()
    # Neither the seed nor the recovery codes are stored in clear.
    assert secret not in stored.secret and len(hashes) == 10
    assert not any(c.replace("-", "") in h for c in codes for h in hashes)
    assert rt.outbox.deliver_due() == 1
    assert "identifiant cbernard-xt" in smtp.messages[0].get_payload(decode=True).decode()


def test_enrolment_needs_the_current_password(http, factories, rt, clock):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    _, response = enable(http, "not my password", lambda secret: code_for(secret, clock))
    assert response.status_code == 400
    assert "Le mot de passe actuel est incorrect." in html.unescape(response.text)
    with rt.db.read() as s:
        assert s.scalars(select(Authenticator)).all() == []


def test_login_asks_the_code_and_reflects_it_in_the_session(http, factories, clock, rt):  # type: ignore[no-untyped-def]
    secret, _ = factories.authenticator(factories.account("alice"))
    clock.advance(30)
    response = login(http, "alice")
    assert response.headers["location"] == "/connexion/code"
    assert http.get("/").text.count("Liste des applications") == 0  # not logged in yet
    response = submit_code(http, code_for(secret, clock))
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "Liste des applications disponibles" in html.unescape(http.get("/").text)
    with rt.db.read() as s:
        from idp.storage.models import BrowserSession
        [session] = s.scalars(select(BrowserSession).where(
            BrowserSession.account_id.is_not(None))).all()
        assert session.acr == "eidas2" and session.amr == ["pwd", "otp", "mfa"]


def test_a_code_is_accepted_only_once(http, factories, clock):  # type: ignore[no-untyped-def]
    secret, _ = factories.authenticator(factories.account("alice"))
    # The enrolment spent the current step's code.
    login(http, "alice")
    assert submit_code(http, code_for(secret, clock)).status_code == 401
    clock.advance(30)
    code = code_for(secret, clock)
    assert submit_code(http, code).status_code == 303
    http.cookies.clear()
    login(http, "alice")
    response = submit_code(http, code)
    assert response.status_code == 401
    assert "Le code est erroné ou a expiré." in html.unescape(response.text)


def test_codes_of_the_neighbouring_steps_are_accepted_older_ones_not(http, factories, clock):  # type: ignore[no-untyped-def]
    secret, _ = factories.authenticator(factories.account("alice"))
    clock.advance(120)
    login(http, "alice")
    old = pyotp.TOTP(secret).at(clock.now() - 90)
    assert submit_code(http, old).status_code == 401
    assert submit_code(http, pyotp.TOTP(secret).at(clock.now() + 30)).status_code == 303


def test_recovery_codes_work_once_each(http, factories, clock, rt):  # type: ignore[no-untyped-def]
    _, codes = factories.authenticator(factories.account("alice"))
    login(http, "alice")
    assert submit_code(http, codes[0].lower().replace("-", " ")).status_code == 303
    http.cookies.clear()
    login(http, "alice")
    assert submit_code(http, codes[0]).status_code == 401
    assert submit_code(http, codes[1]).status_code == 303
    page = http.get("/compte/double-authentification")
    assert "Codes de secours non utilisés : 8" in html.unescape(page.text)


def test_wrong_codes_lock_the_account_and_a_right_password_does_not_reset_the_count(
        http, factories, clock):  # type: ignore[no-untyped-def]
    _secret, _ = factories.authenticator(factories.account("alice"))
    clock.advance(30)
    for _ in range(2):
        login(http, "alice")
        for _ in range(2):
            assert submit_code(http, "123456").status_code == 401
    login(http, "alice")
    response = submit_code(http, "123456")
    assert response.status_code == 429
    assert "bloquée pendant" in html.unescape(response.text)
    # Even the right code (or the right password) is refused while locked.
    assert login(http, "alice").status_code == 429


def test_the_code_page_without_a_password_first_goes_to_login(http, factories, clock):  # type: ignore[no-untyped-def]
    assert http.get("/connexion/code", follow_redirects=False).headers["location"] == "/login"
    _secret, _ = factories.authenticator(factories.account("alice"))
    login(http, "alice")
    clock.advance(301)  # five minutes to type the code
    response = http.get("/connexion/code", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_removal_needs_password_and_code(http, factories, clock, rt):  # type: ignore[no-untyped-def]
    secret, _ = factories.authenticator(factories.account("alice"))
    clock.advance(30)
    login(http, "alice")
    submit_code(http, code_for(secret, clock))
    clock.advance(30)

    def remove(password: str, code: str):  # type: ignore[no-untyped-def]
        page = http.get("/compte/double-authentification")
        assert "Codes de secours non utilisés : 10" in html.unescape(page.text)
        return http.post("/compte/double-authentification", data={
            "csrf_token": csrf_token(page.text), "action": "disable",
            "current_password": password, "code": code})

    assert remove("wrong", code_for(secret, clock)).status_code == 400
    assert remove(PASSWORD, "111111").status_code == 400
    response = remove(PASSWORD, code_for(secret, clock))
    assert response.status_code == 200
    assert "La validation en deux étapes est désactivée" in html.unescape(response.text)
    with rt.db.read() as s:
        assert s.scalars(select(Authenticator)).all() == []
        assert s.scalars(select(RecoveryCode)).all() == []
    http.cookies.clear()
    assert login(http, "alice").headers["location"] == "/"


def test_forms_refuse_a_missing_csrf_token(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    response = http.post("/compte/double-authentification", data={"action": "enable"})
    assert response.status_code == 403


# Step-up ----------------------------------------------------------------------------------


def id_token_claims(http, client, req, location):  # type: ignore[no-untyped-def]
    params = parse_redirect(location)
    response = exchange(http, client, params["code"], req.verifier)
    assert response.status_code == 200, response.text
    return decode_jwt(response.json()["id_token"])[1]


def test_acr_values_eidas2_steps_up_a_password_session(http, factories, clock):  # type: ignore[no-untyped-def]
    client = factories.client()
    account = factories.account("alice")
    first = auth_request(client.client_id, client.redirect_uri)
    full_login(http, first, "alice")  # a password-only session (eidas1)
    secret, _ = factories.authenticator(account)
    clock.advance(30)

    req = auth_request(client.client_id, client.redirect_uri, acr_values="eidas2")
    response = authorize(http, req)
    location = response.headers["location"]
    assert location.startswith("/connexion/code?rid=")
    response = submit_code(http, code_for(secret, clock), rid=location.split("rid=")[1])
    location = follow_to_client(http, response, client.redirect_uri)
    claims = id_token_claims(http, client, req, location)
    assert claims["acr"] == "eidas2" and claims["amr"] == ["pwd", "otp", "mfa"]


def test_a_fresh_login_with_an_authenticator_reaches_eidas2(http, factories, clock):  # type: ignore[no-untyped-def]
    client = factories.client()
    secret, _ = factories.authenticator(factories.account("alice"))
    clock.advance(30)
    req = auth_request(client.client_id, client.redirect_uri, acr_values="eidas2")
    response = authorize(http, req)
    response = login(http, "alice", PASSWORD, response.headers["location"])
    assert response.headers["location"] == "/connexion/code"
    response = submit_code(http, code_for(secret, clock))
    result = follow_to_client(http, response, client.redirect_uri)
    if not isinstance(result, str):  # first visit: consent
        from tests.oidc_helpers import consent
        result = follow_to_client(http, consent(http, result), client.redirect_uri)
    assert id_token_claims(http, client, req, result)["acr"] == "eidas2"


def test_eidas2_for_an_account_without_authenticator_is_unmet_not_a_loop(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri, acr_values="eidas2")
    response = authorize(http, req)
    response = login(http, "alice", PASSWORD, response.headers["location"])
    location = follow_to_client(http, response, client.redirect_uri)
    params = parse_redirect(location)
    assert params["error"] == "unmet_authentication_requirements"
    assert params["state"] == req.params["state"]


def test_a_password_login_is_eidas1_with_amr_pwd(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri, acr_values="eidas1")
    params = full_login(http, req, "alice")
    response = exchange(http, client, params["code"], req.verifier)
    claims = decode_jwt(response.json()["id_token"])[1]
    assert claims["acr"] == "eidas1" and claims["amr"] == ["pwd"]


def test_discovery_lists_the_levels(http):  # type: ignore[no-untyped-def]
    # eidas2 with the second factor; eidas3 only through an FI that gives it.
    assert http.get("/.well-known/openid-configuration").json()[
        "acr_values_supported"] == ["eidas1", "eidas2", "eidas3"]


def test_assistance_desk_turns_it_off(http, factories, rt, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    from idp.cli import main

    factories.authenticator(factories.account("alice"))
    monkeypatch.setenv("IDP_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("IDP_KEYS_DIR", rt.settings.keys_dir)
    assert main(["users", "remove-second-factor", "alice"]) == 0
    assert "turned off" in capsys.readouterr().out
    assert login(http, "alice").headers["location"] == "/"
    assert main(["users", "remove-second-factor", "nobody"]) != 0
