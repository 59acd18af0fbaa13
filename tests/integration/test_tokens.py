"""Token endpoint: codes (single use, 60 s, bound), refresh rotation and family revocation,
client_credentials, client authentication, protocol errors (RFC 6749 §5.2)."""

from __future__ import annotations

from tests.integration.flows import decode_jwt, exchange, introspect, sign_in, tokens_for
from tests.oidc_helpers import auth_request, full_login


def _code(http, client, username="alice", **extra):  # type: ignore[no-untyped-def]
    req = auth_request(client.client_id, client.redirect_uri, **extra)
    return full_login(http, req, username)["code"], req.verifier


def test_replayed_code_is_refused_and_revokes_issued_tokens(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    code, verifier = _code(http, client)
    first = exchange(http, client, code, verifier).json()
    replay = exchange(http, client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert introspect(http, client, first["access_token"])["active"] is False
    refreshed = http.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": first["refresh_token"]},
                          auth=(client.client_id, client.secret))
    assert refreshed.json()["error"] == "invalid_grant"


def test_code_expires_after_sixty_seconds(http, factories, clock):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    code, verifier = _code(http, client)
    clock.advance(61)
    response = exchange(http, client, code, verifier)
    assert response.json()["error"] == "invalid_grant"


def test_code_of_another_client_is_refused(http, factories):  # type: ignore[no-untyped-def]
    owner, thief = factories.client(), factories.client()
    factories.account("alice")
    code, verifier = _code(http, owner)
    response = exchange(http, thief, code, verifier)
    assert response.json()["error"] == "invalid_grant"
    assert exchange(http, owner, code, verifier).status_code == 200


def test_wrong_code_verifier_is_invalid_grant(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    code, _ = _code(http, client)
    response = exchange(http, client, code, "x" * 50)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_missing_code_verifier_is_invalid_request(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    code, _ = _code(http, client)
    response = http.post("/token", data={"grant_type": "authorization_code", "code": code,
                                         "redirect_uri": client.redirect_uri},
                         auth=(client.client_id, client.secret))
    assert response.json()["error"] == "invalid_request"


def test_redirect_uri_must_match_the_authorization_request(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(redirect_uris=["http://127.0.0.1:9000/callback",
                                             "http://127.0.0.1:9000/other"])
    factories.account("alice")
    code, verifier = _code(http, client)
    response = exchange(http, client, code, verifier, redirect_uri="http://127.0.0.1:9000/other")
    assert response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client_401(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    response = http.post("/token", data={"grant_type": "authorization_code", "code": "x"},
                         auth=(client.client_id, "wrong"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_client_secret_post_is_accepted_when_registered(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(auth_method="client_secret_post", grant_types=["client_credentials"],
                              redirect_uris=[])
    response = http.post("/token", data={"grant_type": "client_credentials",
                                         "client_id": client.client_id,
                                         "client_secret": client.secret})
    assert response.status_code == 200, response.text
    basic = http.post("/token", data={"grant_type": "client_credentials"},
                      auth=(client.client_id, client.secret))
    assert basic.json()["error"] == "invalid_client"


def test_public_client_exchanges_its_code_with_pkce_only(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(auth_method="none")
    factories.account("alice")
    code, verifier = _code(http, client)
    response = http.post("/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": client.client_id,
        "redirect_uri": client.redirect_uri, "code_verifier": verifier})
    assert response.status_code == 200, response.text


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    first = sign_in(http, factories, client)

    def refresh(token):  # type: ignore[no-untyped-def]
        return http.post("/token", data={"grant_type": "refresh_token", "refresh_token": token},
                         auth=(client.client_id, client.secret))

    second = refresh(first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert decode_jwt(second["id_token"])[1]["sub"] == decode_jwt(first["id_token"])[1]["sub"]
    replay = refresh(first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(second["refresh_token"]).json()["error"] == "invalid_grant"
    assert introspect(http, client, second["access_token"])["active"] is False


def test_refresh_cannot_widen_the_scope(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    first = tokens_for(http, client, "alice", scope="openid")
    response = http.post("/token", data={"grant_type": "refresh_token", "scope": "openid email",
                                         "refresh_token": first["refresh_token"]},
                         auth=(client.client_id, client.secret))
    assert response.json()["error"] == "invalid_scope"


def test_refresh_token_of_another_client_is_refused(http, factories):  # type: ignore[no-untyped-def]
    owner, other = factories.client(), factories.client()
    factories.account("alice")
    first = tokens_for(http, owner, "alice")
    response = http.post("/token", data={"grant_type": "refresh_token",
                                         "refresh_token": first["refresh_token"]},
                         auth=(other.client_id, other.secret))
    assert response.json()["error"] == "invalid_grant"


def test_client_credentials_issues_a_jwt_with_the_client_as_subject(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices", audience=["chorus-api"])
    response = http.post("/token", data={"grant_type": "client_credentials"},
                         auth=(client.client_id, client.secret))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert "refresh_token" not in body and body["scope"] == "invoices"
    header, claims = decode_jwt(body["access_token"])
    assert header["typ"] == "at+jwt"
    assert claims["sub"] == client.client_id and claims["aud"] == "chorus-api"
    assert claims["exp"] - claims["iat"] == rt.settings.access_token_ttl


def test_client_credentials_with_an_unregistered_scope_is_invalid_scope(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    response = http.post("/token", data={"grant_type": "client_credentials", "scope": "admin"},
                         auth=(client.client_id, client.secret))
    assert response.json()["error"] == "invalid_scope"


def test_grant_type_not_registered_is_unauthorized_client(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    response = http.post("/token", data={"grant_type": "client_credentials"},
                         auth=(client.client_id, client.secret))
    assert response.json()["error"] == "unauthorized_client"


def test_unknown_grant_type_is_unsupported(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    response = http.post("/token", data={"grant_type": "password"},
                         auth=(client.client_id, client.secret))
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


def test_expired_client_secret_is_refused(http, factories, clock):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices", secret_lifetime=365 * 86400)
    clock.advance(365 * 86400 + 1)
    response = http.post("/token", data={"grant_type": "client_credentials"},
                         auth=(client.client_id, client.secret))
    assert response.status_code == 401


def test_repeated_parameters_are_invalid_request(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    response = http.post("/token", content="grant_type=client_credentials&scope=a&scope=b",
                         headers={"Content-Type": "application/x-www-form-urlencoded"},
                         auth=(client.client_id, client.secret))
    assert response.json()["error"] == "invalid_request"


def test_get_on_token_endpoint_is_a_json_error_not_a_page(http):  # type: ignore[no-untyped-def]
    response = http.get("/token")
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


def test_garbage_body_gets_a_protocol_error_not_a_500(http, factories):  # type: ignore[no-untyped-def]
    response = http.post("/token", content=b"\xff\xfe{not json",
                         headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 401)
    assert "error" in response.json()


def test_expired_artefacts_are_purged(http, factories, clock, rt):  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from idp.housekeeping import purge_expired
    from idp.storage.models import AuthorizationCode, BrowserSession, Grant, RefreshToken

    client = factories.client()
    sign_in(http, factories, client)
    clock.advance(rt.settings.refresh_token_ttl + 3601)
    purge_expired(rt.db, clock.now())
    with rt.db.read() as s:
        for model in (AuthorizationCode, BrowserSession, Grant, RefreshToken):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model


def test_es256_id_tokens_for_clients_that_registered_them(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(id_token_alg="ES256")
    factories.account("alice")
    header, _ = decode_jwt(tokens_for(http, client, "alice")["id_token"])
    assert header["alg"] == "ES256"


def test_malformed_basic_headers_are_invalid_client_not_500(http, factories):  # type: ignore[no-untyped-def]
    import base64

    factories.client(grant_types=["client_credentials"], redirect_uris=[], scope="a")
    for value in ("Basic ", "Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe:x").decode()):
        response = http.post("/token", data={"grant_type": "client_credentials"},
                             headers={"Authorization": value})
        assert response.status_code in (400, 401), value
        assert response.json()["error"] == "invalid_client"


def test_oversized_token_request_is_refused(http):  # type: ignore[no-untyped-def]
    response = http.post("/token", data={"grant_type": "client_credentials", "x": "a" * 70000})
    assert response.status_code == 413 and response.json()["error"] == "invalid_request"


def test_protocol_json_answers_carry_security_headers(http):  # type: ignore[no-untyped-def]
    response = http.post("/token", data={"grant_type": "nothing"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
