"""Authorization code flow with PKCE: RFC 6749 §4.1, RFC 7636, OIDC Core §3.1, RFC 9207."""

from __future__ import annotations

import base64
import hashlib

from tests.integration.flows import decode_jwt, exchange
from tests.oidc_helpers import auth_request, authorize, full_login, parse_redirect


def test_code_flow_issues_signed_tokens_with_iss_in_response(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri)
    result = full_login(http, req, "alice")
    assert result["state"] == req.params["state"]
    assert result["iss"] == rt.settings.issuer
    response = exchange(http, client, result["code"], req.verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer"
    header, claims = decode_jwt(token["id_token"])
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == rt.settings.issuer
    assert claims["aud"] == client.client_id
    assert claims["nonce"] == req.params["nonce"]
    assert {"auth_time", "acr", "amr", "sid", "at_hash"} <= set(claims)
    digest = hashlib.sha256(token["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    at_header, at_claims = decode_jwt(token["access_token"])
    assert at_header["typ"] == "at+jwt" and at_header["alg"] == "ES256"
    assert at_claims["client_id"] == client.client_id and at_claims["sub"] == claims["sub"]
    userinfo = http.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == claims["sub"]
    assert userinfo.json()["given_name"] == "Camille"


def test_unregistered_redirect_uri_is_shown_not_redirected(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    req = auth_request(client.client_id, "http://127.0.0.1:9000/evil")
    response = authorize(http, req)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Demande invalide" in response.text


def test_missing_pkce_is_refused_at_the_client(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri, code_challenge=None,
                       code_challenge_method=None)
    response = authorize(http, req)
    assert response.status_code == 303
    params = parse_redirect(response.headers["location"])
    assert params["error"] == "invalid_request"
    assert params["iss"] == rt.settings.issuer
    assert params["state"] == req.params["state"]


def test_a_request_answered_with_a_code_leaves_the_session_with_it(http, factories, rt):  # type: ignore[no-untyped-def]
    """/authorize/resume saves the code and the session without the request in one
    transaction: the request answered cannot be answered again, by the same URL or another."""
    from idp.storage.repositories import sessions as sessions_repo
    from tests.oidc_helpers import login

    client = factories.client(consent_mode="none")
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri)
    started = authorize(http, req)
    assert started.headers["location"].startswith("/login?rid=")
    rid = started.headers["location"].split("rid=", 1)[1]
    logged_in = login(http, "alice", location=started.headers["location"])
    resume = logged_in.headers["location"]
    assert resume == f"/authorize/resume?rid={rid}"
    answered = http.get(resume, follow_redirects=False)
    assert answered.status_code == 303
    assert parse_redirect(answered.headers["location"])["code"]
    row = sessions_repo.find_session_row(
        rt.db, http.cookies[rt.settings.session_cookie], rt.clock.now())
    assert row is not None and row.account is not None
    assert rid not in row.data.get("pending", {})
    again = http.get(resume, follow_redirects=False)
    assert again.status_code == 400 and "location" not in again.headers


def test_no_code_is_issued_when_the_session_cannot_be_saved_with_it(app, http, factories, rt):  # type: ignore[no-untyped-def]
    """The code and the session without its request go in one transaction: when the
    session's write fails (a trigger refuses it), the code is rolled back with it and the
    request stays in the session, to be answered once the database is sound."""
    from sqlalchemy import text
    from starlette.testclient import TestClient

    from idp.storage.repositories import sessions as sessions_repo
    from tests.conftest import BACKEND, ISSUER
    from tests.oidc_helpers import login

    client = factories.client(consent_mode="none")
    factories.account("alice")
    req = auth_request(client.client_id, client.redirect_uri)
    started = authorize(http, req)
    resume = login(http, "alice", location=started.headers["location"]).headers["location"]
    rid = resume.split("rid=", 1)[1]
    refuse, allow = {
        "sqlite": (["CREATE TRIGGER refuse_session_update BEFORE UPDATE ON browser_sessions "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"],
                   ["DROP TRIGGER refuse_session_update"]),
        "postgresql": (["CREATE FUNCTION refuse_session_update() RETURNS trigger AS "
                        "$$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql",
                        "CREATE TRIGGER refuse_session_update BEFORE UPDATE ON browser_sessions "
                        "FOR EACH ROW EXECUTE FUNCTION refuse_session_update()"],
                       ["DROP TRIGGER refuse_session_update ON browser_sessions",
                        "DROP FUNCTION refuse_session_update()"]),
    }[BACKEND]
    with rt.db.engine.begin() as connection:
        for statement in refuse:
            connection.execute(text(statement))
    try:
        # Another client on the same app and cookies, given the 500 page the app answers.
        same_browser = TestClient(app, base_url=ISSUER, raise_server_exceptions=False,
                                  cookies=http.cookies)
        failed = same_browser.get(resume, follow_redirects=False)
        assert failed.status_code == 500 and "location" not in failed.headers
        with rt.db.read() as s:
            codes = s.execute(text("SELECT count(*) FROM authorization_codes")).scalar()
        assert codes == 0
        row = sessions_repo.find_session_row(
            rt.db, http.cookies[rt.settings.session_cookie], rt.clock.now())
        assert row is not None and rid in row.data["pending"]
    finally:
        with rt.db.engine.begin() as connection:
            for statement in allow:
                connection.execute(text(statement))
    answered = http.get(resume, follow_redirects=False)
    assert parse_redirect(answered.headers["location"])["code"]
