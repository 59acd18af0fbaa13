"""RP-Initiated Logout 1.0: id_token_hint, registered post_logout_redirect_uri, state,
confirmation without hint; the session and what it granted end."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.factories import POST_LOGOUT_URI
from tests.integration.flows import introspect, sign_in, two_sessions
from tests.oidc_helpers import auth_request, authorization_error, authorize_redirect, csrf_token


def test_logout_with_hint_redirects_with_state_and_ends_the_session(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    tokens = sign_in(http, factories, client)
    query = urlencode({"id_token_hint": tokens["id_token"], "state": "s-1",
                       "post_logout_redirect_uri": POST_LOGOUT_URI})
    response = http.get("/logout?" + query, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == POST_LOGOUT_URI + "?state=s-1"
    assert authorization_error(http, client, prompt="none") == "login_required"
    assert introspect(http, client, tokens["refresh_token"])["active"] is False


def test_logout_without_hint_asks_for_confirmation(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    page = http.get("/logout", follow_redirects=False)
    assert page.status_code == 200 and 'name="confirm"' in page.text
    done = http.post("/logout", data={"confirm": "1", "csrf_token": csrf_token(page.text)})
    assert done.status_code == 200 and "déconnecté" in done.text


def test_logout_confirmation_without_csrf_is_refused(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    response = http.post("/logout", data={"confirm": "1"})
    assert response.status_code == 403
    req = auth_request(client.client_id, client.redirect_uri, prompt="none")
    assert "code" in authorize_redirect(http, req)


def test_unregistered_post_logout_redirect_uri_is_not_followed(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    tokens = sign_in(http, factories, client)
    query = urlencode({"id_token_hint": tokens["id_token"],
                       "post_logout_redirect_uri": "https://evil.example/"})
    response = http.get("/logout?" + query, follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_post_logout_redirect_uri_without_hint_or_client_is_not_followed(http, factories):  # type: ignore[no-untyped-def]
    factories.client()
    response = http.get("/logout?" + urlencode({"post_logout_redirect_uri": POST_LOGOUT_URI}),
                        follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_logout_hint_of_another_session_asks_for_confirmation(http, factories, app):  # type: ignore[no-untyped-def]
    client = factories.client()
    with two_sessions(app, http, factories, client) as (bob_hint, alice_browser):
        response = alice_browser.get("/logout?" + urlencode({"id_token_hint": bob_hint}),
                                     follow_redirects=False)
    assert response.status_code == 200 and 'name="confirm"' in response.text
