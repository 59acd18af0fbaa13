"""OIDC Core §3.1.2.1: prompt (none, login, consent), max_age and auth_time, id_token_hint."""

from __future__ import annotations

from tests.integration.flows import decode_jwt, exchange, sign_in, tokens_for, two_sessions
from tests.oidc_helpers import (
    auth_request,
    authorization_error,
    authorize,
    authorize_redirect,
    full_login,
    login,
    login_page,
    parse_redirect,
)


def test_prompt_none_without_session_is_login_required(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri, prompt="none")
    params = authorize_redirect(http, req)
    assert params["error"] == "login_required"
    assert params["state"] == req.params["state"]
    assert params["iss"] == rt.settings.issuer
    assert "code" not in params


def test_prompt_none_with_session_and_consent_issues_a_code(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    req = auth_request(client.client_id, client.redirect_uri, prompt="none")
    params = authorize_redirect(http, req)
    assert "code" in params, params
    assert exchange(http, client, params["code"], req.verifier).status_code == 200


def test_prompt_none_without_consent_is_consent_required(http, factories):  # type: ignore[no-untyped-def]
    first, second = factories.client(), factories.client()
    factories.account("alice")
    tokens_for(http, first, "alice")
    assert authorization_error(http, second, prompt="none") == "consent_required"


def test_prompt_none_combined_with_login_is_invalid(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    assert authorization_error(http, client, prompt="none login") == "invalid_request"


def test_unsupported_prompt_value_is_invalid(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    assert authorization_error(http, client, prompt="dance") == "invalid_request"


def test_prompt_login_forces_a_new_login_despite_a_session(http, factories, clock):  # type: ignore[no-untyped-def]
    client = factories.client()
    first = decode_jwt(sign_in(http, factories, client)["id_token"])[1]
    clock.advance(30)
    req = auth_request(client.client_id, client.redirect_uri, prompt="login")
    response = authorize(http, req)
    assert response.headers["location"].startswith("/login?rid=")
    response = login(http, "alice", location=response.headers["location"])
    response = http.get(response.headers["location"], follow_redirects=False)
    params = parse_redirect(response.headers["location"])
    claims = decode_jwt(exchange(http, client, params["code"], req.verifier).json()["id_token"])[1]
    assert claims["auth_time"] == first["auth_time"] + 30


def test_prompt_consent_asks_again_even_when_remembered(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    req = auth_request(client.client_id, client.redirect_uri, prompt="consent")
    response = authorize(http, req)
    assert response.status_code == 200
    assert 'action="/authorize/consent"' in response.text


def test_max_age_exceeded_requires_a_new_login(http, factories, clock):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    clock.advance(120)
    req = auth_request(client.client_id, client.redirect_uri, max_age="60")
    response = authorize(http, req)
    assert response.headers["location"].startswith("/login?rid=")
    none = auth_request(client.client_id, client.redirect_uri, max_age="60", prompt="none")
    assert authorize_redirect(http, none)["error"] == "login_required"


def test_max_age_within_limit_keeps_the_session_and_reports_auth_time(http, factories, clock):  # type: ignore[no-untyped-def]
    client = factories.client()
    first = decode_jwt(sign_in(http, factories, client)["id_token"])[1]
    clock.advance(30)
    req = auth_request(client.client_id, client.redirect_uri, max_age="60")
    params = full_login(http, req, "alice")
    claims = decode_jwt(exchange(http, client, params["code"], req.verifier).json()["id_token"])[1]
    assert claims["auth_time"] == first["auth_time"]


def test_malformed_max_age_is_invalid_request(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    assert authorization_error(http, client, max_age="soon") == "invalid_request"


def test_id_token_hint_of_another_user_with_prompt_none_is_login_required(http, factories, app):  # type: ignore[no-untyped-def]
    client = factories.client()
    with two_sessions(app, http, factories, client) as (bob_id_token, alice_browser):
        error = authorization_error(alice_browser, client, prompt="none",
                                    id_token_hint=bob_id_token)
        assert error == "login_required"


def test_forged_id_token_hint_is_invalid_request(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    assert authorization_error(http, client, id_token_hint="a.b.c") == "invalid_request"


def test_login_hint_prefills_the_identifier(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri, login_hint="cbernard-xt")
    page = login_page(http, req)
    assert 'value="cbernard-xt"' in page.text


def test_unknown_parameters_are_ignored(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri, foo="bar", ui_locales="fr")
    assert "code" in full_login(http, req, "alice")
