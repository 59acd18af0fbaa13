"""Signed answers against a live hub: introspection as a JWT (RFC 9701) narrowed to what the
resource service may see, userinfo as a JWT (OIDC Core §5.3.2). Every JWT is verified by
jwcrypto, a JOSE library the hub does not use, against the JWKS fetched over HTTP."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from jwcrypto import jwk, jws

from idp.clock import FrozenClock
from idp.oidc.subject import subject_for
from idp.oidc.tokens import TokenService
from idp.storage.repositories import accounts as accounts_repo
from tests.e2e.browsing import log_in_and_consent, params_of

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9999/callback"
INTROSPECTION_JWT = "application/token-introspection+jwt"


def verified(hub, token: str, alg: str) -> tuple[dict[str, Any], dict[str, Any]]:  # type: ignore[no-untyped-def]
    """(header, claims) of a JWT whose signature jwcrypto verifies with the published keys."""
    keys = jwk.JWKSet.from_json(httpx.get(hub.issuer + "/jwks").text)
    signed = jws.JWS()
    signed.deserialize(token)
    signed.allowed_algs = [alg]
    signed.verify(keys)  # the key named by the header's kid; raises if the signature is bad
    return signed.jose_header, json.loads(signed.payload)


def signed_in(hub, registered, scope: str = "openid profile email") -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    """A user's tokens for `registered` by the code flow, and the username."""
    client_id, secret = registered.client["client_id"], registered.secret
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(client_id, secret, scope=scope, redirect_uri=REDIRECT,
                      code_challenge_method="S256") as rp:
        url, _ = rp.create_authorization_url(hub.issuer + "/authorize", code_verifier=verifier)
    username = hub.user()
    with hub.browser() as browser:
        code = params_of(log_in_and_consent(browser, url, username, REDIRECT))["code"]
    tokens = httpx.post(hub.issuer + "/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": REDIRECT}, auth=(client_id, secret or "")).json()
    return tokens, username


def service(hub, **options):  # type: ignore[no-untyped-def]
    """A resource service: client_credentials only, its registered scopes its allowance."""
    return hub.client(grant_types=["client_credentials"], redirect_uris=[], **options)


def introspect(hub, registered, token: str, accept: str | None = None) -> httpx.Response:  # type: ignore[no-untyped-def]
    headers = {"Accept": accept} if accept else {}
    return httpx.post(hub.issuer + "/introspect", data={"token": token}, headers=headers,
                      auth=(registered.client["client_id"], registered.secret or ""))


def signed_answer(hub, registered, token: str, accept: str | None = INTROSPECTION_JWT,  # type: ignore[no-untyped-def]
                  alg: str = "RS256") -> dict[str, Any]:
    response = introspect(hub, registered, token, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == INTROSPECTION_JWT
    assert response.headers["cache-control"] == "no-store"
    header, claims = verified(hub, response.text, alg)
    assert header["typ"] == "token-introspection+jwt" and header["alg"] == alg
    # RFC 9701 §5: exactly these claims; no sub nor exp at the top level.
    assert set(claims) == {"iss", "aud", "iat", "token_introspection"}
    assert claims["iss"] == hub.issuer
    assert claims["aud"] == registered.client["client_id"]
    assert abs(claims["iat"] - time.time()) < 60
    return claims["token_introspection"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def user_token(hub):  # type: ignore[no-untyped-def]
    """An application's user access token with the scopes openid profile email, its ID
    token's (public) sub."""
    app = hub.client(scope="openid profile email offline_access")
    tokens, username = signed_in(hub, app)
    _, id_claims = verified(hub, tokens["id_token"], "RS256")
    return tokens, id_claims["sub"], username


def test_accept_header_gets_a_signed_answer_narrowed_to_the_service(hub, user_token) -> None:  # type: ignore[no-untyped-def]
    tokens, public_sub, _ = user_token
    api = service(hub, scope="profile invoices")
    answer = signed_answer(hub, api, tokens["access_token"])
    assert answer["active"] is True
    assert answer["scope"] == "profile"  # openid and email are not the service's
    assert answer["sub"] == public_sub
    assert answer["token_type"] == "Bearer" and answer["iss"] == hub.issuer
    assert answer["exp"] > time.time() and isinstance(answer["jti"], str)


def test_a_pairwise_service_sees_the_sub_of_its_own_sector(hub, user_token) -> None:  # type: ignore[no-untyped-def]
    tokens, public_sub, _ = user_token
    api = service(hub, scope="openid profile", subject_type="pairwise")
    answer = signed_answer(hub, api, tokens["access_token"])
    expected = subject_for(public_sub, "pairwise", api.client["client_id"],
                           hub.rt.keys.pairwise_salt)
    assert answer["sub"] == expected != public_sub
    assert answer["scope"] == "openid profile"


def test_json_stays_the_default_and_is_not_narrowed(hub, user_token) -> None:  # type: ignore[no-untyped-def]
    tokens, public_sub, _ = user_token
    api = service(hub, scope="profile", subject_type="pairwise")
    for accept in (None, "application/json", f"{INTROSPECTION_JWT};q=0"):
        response = introspect(hub, api, tokens["access_token"], accept)
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["active"] is True and body["sub"] == public_sub
        assert body["scope"] == "openid profile email"


def test_accept_header_among_other_media_types(hub, user_token) -> None:  # type: ignore[no-untyped-def]
    tokens, _, _ = user_token
    api = service(hub, scope="email")
    answer = signed_answer(hub, api, tokens["access_token"],
                           accept=f"application/json;q=0.5, {INTROSPECTION_JWT}")
    assert answer["scope"] == "email"


def test_client_setting_signs_every_answer_with_its_algorithm(hub, user_token) -> None:  # type: ignore[no-untyped-def]
    tokens, _, _ = user_token
    api = service(hub, scope="openid email", introspection_alg="ES256")
    for accept in (None, "application/json", INTROSPECTION_JWT):
        answer = signed_answer(hub, api, tokens["access_token"], accept=accept, alg="ES256")
        assert answer["active"] is True and answer["scope"] == "openid email"


def test_unknown_token_is_inactive_and_signed(hub) -> None:  # type: ignore[no-untyped-def]
    api = service(hub, scope="profile")
    for token in ("not-a-token", "a.b.c", secrets.token_urlsafe(32)):
        assert signed_answer(hub, api, token) == {"active": False}


def test_expired_token_is_inactive_and_signed(hub) -> None:  # type: ignore[no-untyped-def]
    # A real token of the hub, signed with its current key an hour ago.
    past = TokenService(hub.rt.settings, hub.rt.keys, FrozenClock(int(time.time()) - 3600))
    expired, claims = past.access_token(client_id="someone", audience=("someone",),
                                        scope="profile", subject="someone")
    assert claims["exp"] < time.time()
    api = service(hub, scope="profile", introspection_alg="ES256")
    assert signed_answer(hub, api, expired, alg="ES256") == {"active": False}


def test_revoked_token_is_inactive_and_signed(hub) -> None:  # type: ignore[no-untyped-def]
    app = hub.client(scope="openid profile offline_access")
    tokens, _ = signed_in(hub, app, scope="openid profile")
    api = service(hub, scope="profile")
    assert signed_answer(hub, api, tokens["access_token"])["active"] is True
    httpx.post(hub.issuer + "/revoke", data={"token": tokens["refresh_token"]},
               auth=(app.client["client_id"], app.secret or ""))
    assert signed_answer(hub, api, tokens["access_token"]) == {"active": False}


def test_a_token_with_none_of_the_services_scopes_is_inactive_for_it(hub, user_token) -> None:  # type: ignore[no-untyped-def]
    tokens, _, _ = user_token
    stranger = service(hub, scope="invoices")
    assert signed_answer(hub, stranger, tokens["access_token"]) == {"active": False}
    # the same token is active for a service it is meant for
    assert signed_answer(hub, service(hub, scope="profile"), tokens["access_token"])["active"]


def test_a_disabled_accounts_token_is_inactive_in_the_signed_answer(hub) -> None:  # type: ignore[no-untyped-def]
    app = hub.client(scope="openid profile")
    tokens, username = signed_in(hub, app, scope="openid profile")
    api = service(hub, scope="profile")
    assert signed_answer(hub, api, tokens["access_token"])["active"] is True
    with hub.rt.db.transaction() as s:
        accounts_repo.find_by_login(s, username).disabled = True
    assert signed_answer(hub, api, tokens["access_token"]) == {"active": False}


def test_a_services_own_token_keeps_its_client_id_as_sub(hub) -> None:  # type: ignore[no-untyped-def]
    connector = service(hub, scope="invoices reports")
    token = httpx.post(hub.issuer + "/token", data={"grant_type": "client_credentials"},
                       auth=(connector.client["client_id"], connector.secret)).json()
    api = service(hub, scope="invoices", subject_type="pairwise")
    answer = signed_answer(hub, api, token["access_token"])
    assert answer["sub"] == connector.client["client_id"] and answer["scope"] == "invoices"


def test_a_refresh_token_introspected_by_its_client_as_a_jwt(hub) -> None:  # type: ignore[no-untyped-def]
    app = hub.client(scope="openid profile offline_access")
    tokens, _ = signed_in(hub, app, scope="openid profile offline_access")
    answer = signed_answer(hub, app, tokens["refresh_token"])
    assert answer["active"] is True and answer["token_type"] == "refresh_token"
    assert answer["scope"] == "openid profile offline_access"


@pytest.mark.parametrize("accept", [INTROSPECTION_JWT, None])
def test_wrong_client_authentication_is_a_json_401(hub, user_token, accept) -> None:  # type: ignore[no-untyped-def]
    tokens, _, _ = user_token
    api = service(hub, scope="profile", introspection_alg="RS256")
    response = httpx.post(hub.issuer + "/introspect", data={"token": tokens["access_token"]},
                          headers={"Accept": accept} if accept else {},
                          auth=(api.client["client_id"], "wrong-secret"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "invalid_client"


def test_userinfo_as_a_signed_jwt(hub) -> None:  # type: ignore[no-untyped-def]
    app = hub.client(scope="openid profile email", userinfo_alg="ES256")
    tokens, username = signed_in(hub, app)
    response = httpx.get(hub.issuer + "/userinfo",
                         headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    assert response.headers["cache-control"] == "no-store"
    header, claims = verified(hub, response.text, "ES256")
    _, id_claims = verified(hub, tokens["id_token"], "RS256")
    assert header["alg"] == "ES256"
    assert claims["iss"] == hub.issuer and claims["aud"] == app.client["client_id"]
    assert claims["sub"] == id_claims["sub"]
    assert claims["email"] == f"{username}@example.test" and claims["given_name"] == "Camille"


def test_userinfo_stays_json_without_the_setting_and_errors_stay_json(hub) -> None:  # type: ignore[no-untyped-def]
    app = hub.client(scope="openid email")
    tokens, _ = signed_in(hub, app, scope="openid email")
    plain = httpx.get(hub.issuer + "/userinfo",
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert plain.headers["content-type"] == "application/json" and "sub" in plain.json()
    signing = hub.client(scope="openid email", userinfo_alg="RS256")
    signing_tokens, _ = signed_in(hub, signing, scope="openid email")
    refused = httpx.get(hub.issuer + "/userinfo",
                        headers={"Authorization": f"Bearer {signing_tokens['access_token']}x"})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


def test_discovery_advertises_the_signing_algorithms(hub) -> None:  # type: ignore[no-untyped-def]
    meta = httpx.get(hub.issuer + "/.well-known/openid-configuration").json()
    assert meta["introspection_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert set(meta["userinfo_signing_alg_values_supported"]) >= {"RS256", "ES256"}
