"""Entitlement, login page rules, cookies, security headers, error pages, audit trail."""

from __future__ import annotations

from idp.storage.repositories import accounts as accounts_repo
from idp.web.sessions import BrowserSessions
from tests.integration.flows import sign_in, tokens_for
from tests.oidc_helpers import (
    auth_request,
    authorization_error,
    authorize,
    csrf_token,
    login,
)


def test_a_user_not_entitled_gets_a_clear_page_and_no_code(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(access_rule="group:apa")
    factories.account("alice", groups=["chorus"])
    req = auth_request(client.client_id, client.redirect_uri)
    response = authorize(http, req)
    response = login(http, "alice", location=response.headers["location"])
    response = http.get(response.headers["location"], follow_redirects=False)
    assert response.status_code == 403
    assert "location" not in response.headers
    assert "pas habilité" in response.text


def test_an_entitled_user_gets_a_code(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(access_rule="group:apa population:citizen")
    factories.account("alice", groups=["apa"])
    assert "access_token" in tokens_for(http, client, "alice")


def test_not_entitled_with_prompt_none_is_access_denied(http, factories):  # type: ignore[no-untyped-def]
    open_client = factories.client()
    restricted = factories.client(access_rule="group:apa")
    factories.account("alice")
    tokens_for(http, open_client, "alice")
    assert authorization_error(http, restricted, prompt="none") == "access_denied"


def test_wrong_password_and_unknown_user_get_the_same_french_message(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    wrong = login(http, "alice", "bad password")
    unknown = login(http, "nobody", "bad password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in wrong.text
    assert "Identifiant ou mot de passe incorrect." in unknown.text


def test_disabled_account_cannot_log_in(http, factories, rt):  # type: ignore[no-untyped-def]
    from idp.storage.repositories import accounts

    factories.account("alice")
    with rt.db.transaction() as s:
        accounts.disable_account(s, "alice")
    assert login(http, "alice").status_code == 401


def test_login_without_csrf_token_is_refused(http, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    http.get("/login")
    response = http.post("/login", data={"username": "alice", "password": "x"})
    assert response.status_code == 403


def test_session_cookie_is_httponly_lax_and_rotated_at_login(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice")
    page = http.get("/login")
    before = page.cookies.get(rt.settings.session_cookie) or http.cookies.get(
        rt.settings.session_cookie)
    set_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" not in set_cookie
    response = http.post("/login", data={"csrf_token": csrf_token(page.text),
                                         "username": "alice", "password": "Motdepasse-2026!"},
                         follow_redirects=False)
    assert response.status_code == 303
    after = response.cookies.get(rt.settings.session_cookie)
    assert after and after != before
    # The anonymous session's row became the logged-in one: the old id opens nothing.
    sessions = BrowserSessions(rt.db, rt.clock, rt.settings.session_ttl)
    assert sessions.load(before) is None
    logged_in = sessions.load(after)
    assert logged_in is not None and logged_in.account is not None
    assert logged_in.account.username == "alice"


def test_a_login_whose_anonymous_session_is_gone_still_gets_its_session(rt, factories):  # type: ignore[no-untyped-def]
    # The anonymous session expired or was ended between the login page and the login.
    factories.account("alice")
    with rt.db.read() as s:
        account_id = accounts_repo.find_by_login(s, "alice").id
    sessions = BrowserSessions(rt.db, rt.clock, rt.settings.session_ttl)
    anonymous = sessions.create({"pending": {"r1": {"client_id": "c"}}})
    sessions.destroy(anonymous)
    account = sessions.account(account_id)
    assert account is not None
    state = sessions.log_in(anonymous, account, "eidas1", ("pwd",))
    loaded = sessions.load(state.id)
    assert loaded is not None and loaded.account is not None and loaded.account.id == account_id
    assert loaded.data["pending"] == {"r1": {"client_id": "c"}}
    assert sessions.load(anonymous.id) is None


def test_session_cookie_is_secure_when_the_issuer_is_https(rt):  # type: ignore[no-untyped-def]
    assert rt.settings.replace(issuer="https://idp.example").secure_cookies


def test_pages_refuse_framing_and_carry_security_headers(http):  # type: ignore[no-untyped-def]
    for path in ("/", "/login", "/logout", "/nowhere"):
        response = http.get(path)
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_unknown_page_is_a_french_404(http):  # type: ignore[no-untyped-def]
    response = http.get("/nowhere")
    assert response.status_code == 404 and "Page introuvable" in response.text


def test_unknown_client_is_shown_an_error_page(http):  # type: ignore[no-untyped-def]
    req = auth_request("ghost", "http://127.0.0.1:9000/callback")
    response = authorize(http, req)
    assert response.status_code == 400 and "location" not in response.headers


def test_request_objects_are_refused_with_request_not_supported(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    assert authorization_error(http, client, request="eyJ.x.y") == "request_not_supported"


def test_essential_acr_that_cannot_be_met_is_unmet_authentication_requirements(http, factories):  # type: ignore[no-untyped-def]
    import json

    client = factories.client()
    sign_in(http, factories, client)
    claims = {"id_token": {"acr": {"essential": True, "values": ["eidas3"]}}}
    error = authorization_error(http, client, claims=json.dumps(claims))
    assert error == "unmet_authentication_requirements"


def test_invalid_claims_parameter_is_invalid_request(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    assert authorization_error(http, client, claims="{not json") == "invalid_request"


def test_security_events_are_audited(http, factories, rt):  # type: ignore[no-untyped-def]
    from idp.storage.repositories import audit

    client = factories.client()
    factories.account("alice")
    login(http, "alice", "wrong")
    tokens = tokens_for(http, client, "alice")
    http.post("/revoke", data={"token": tokens["access_token"]},
              auth=(client.client_id, client.secret))
    http.post("/token", data={"grant_type": "client_credentials"}, auth=(client.client_id, "x"))
    rt.audit.flush()
    with rt.db.read() as s:
        events = {e.event for e in audit.recent_events(s)}
        failure = audit.recent_events(s, event="login.failure")[0]
    assert {"login.failure", "login.success", "consent.given", "code.issued", "token.issued",
            "token.revoked", "token.refused"} <= events
    assert failure.ip and failure.at


def test_discovery_and_jwks(http, rt):  # type: ignore[no-untyped-def]
    meta = http.get("/.well-known/openid-configuration").json()
    assert meta["issuer"] == rt.settings.issuer
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    jwks = http.get(meta["jwks_uri"].replace(rt.settings.issuer, "")).json()
    assert {k["alg"] for k in jwks["keys"]} == {"RS256", "ES256"}
    for key in jwks["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
