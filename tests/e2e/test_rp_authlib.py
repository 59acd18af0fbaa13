"""A relying party built on authlib's client: discovery, code flow with PKCE, ID token
validation against the JWKS, userinfo, refresh, introspection, revocation, logout."""

from __future__ import annotations

import base64
import hashlib
import secrets

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.e2e.browsing import log_in_and_consent, params_of

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9999/callback"


def validate_id_token(id_token: str, meta: dict, client_id: str, nonce: str,
                      access_token: str) -> dict:
    jwks = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
    token = jwt.decode(id_token, jwks, algorithms=["RS256", "ES256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": meta["issuer"]},
        aud={"essential": True, "value": client_id},
        exp={"essential": True}, iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    half = hashlib.sha256(access_token.encode()).digest()[:16]
    assert token.claims["at_hash"] == base64.urlsafe_b64encode(half).rstrip(b"=").decode()
    return token.claims


def test_authlib_relying_party_full_lifecycle(hub) -> None:  # type: ignore[no-untyped-def]
    registered = hub.client(redirect_uris=[REDIRECT])
    username = hub.user()
    meta = httpx.get(hub.issuer + "/.well-known/openid-configuration").json()
    assert meta["issuer"] == hub.issuer
    with OAuth2Client(registered.client["client_id"], registered.secret,
                      scope="openid profile email", redirect_uri=REDIRECT,
                      code_challenge_method="S256") as rp:
        _lifecycle(hub, rp, meta, registered, username)


def _lifecycle(hub, rp, meta, registered, username) -> None:  # type: ignore[no-untyped-def]
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    url, state = rp.create_authorization_url(meta["authorization_endpoint"],
                                             code_verifier=verifier, nonce=nonce)
    with hub.browser() as browser:
        callback = log_in_and_consent(browser, url, username, REDIRECT)
        assert params_of(callback)["iss"] == hub.issuer
        token = rp.fetch_token(meta["token_endpoint"], authorization_response=callback,
                               code_verifier=verifier, state=state)
        claims = validate_id_token(token["id_token"], meta, registered.client["client_id"],
                                   nonce, token["access_token"])
        assert {"auth_time", "acr", "amr", "sid"} <= set(claims)

        userinfo = rp.get(meta["userinfo_endpoint"]).json()
        assert userinfo["sub"] == claims["sub"] and userinfo["given_name"] == "Camille"

        refreshed = rp.refresh_token(meta["token_endpoint"],
                                     refresh_token=token["refresh_token"])
        assert refreshed["refresh_token"] != token["refresh_token"]
        assert refreshed["access_token"] != token["access_token"]

        def introspect(value: str) -> dict:
            response = rp.introspect_token(meta["introspection_endpoint"], token=value)
            assert response.status_code == 200
            return response.json()

        assert introspect(refreshed["access_token"])["active"] is True
        assert rp.revoke_token(meta["revocation_endpoint"],
                               token=refreshed["access_token"]).status_code == 200
        assert introspect(refreshed["access_token"])["active"] is False

        logout = browser.get(meta["end_session_endpoint"], params={
            "id_token_hint": refreshed["id_token"], "state": "bye",
            "post_logout_redirect_uri": "http://127.0.0.1:9999/"})
        assert logout.status_code == 303
        assert logout.headers["location"] == "http://127.0.0.1:9999/?state=bye"

        again, _ = rp.create_authorization_url(meta["authorization_endpoint"],
                                               code_verifier=verifier, prompt="none")
        after = browser.get(again)
        assert params_of(after.headers["location"])["error"] == "login_required"
