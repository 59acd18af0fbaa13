"""private_key_jwt client authentication (OIDC Core §9, RFC 7523) with authlib's client
signing the assertion; a replayed assertion is refused."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey

pytestmark = pytest.mark.e2e


@pytest.fixture
def keyed_client(hub):  # type: ignore[no-untyped-def]
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-key-1"})
    registered = hub.client(auth_method="private_key_jwt", grant_types=["client_credentials"],
                            redirect_uris=[], scope="invoices",
                            jwks={"keys": [key.as_dict(private=False)]})
    return registered.client["client_id"], key


def assertion(client_id: str, key: ECKey, audience: str, jti: str) -> str:
    now = int(time.time())
    return jwt.encode({"alg": "ES256", "kid": "rp-key-1"},
                      {"iss": client_id, "sub": client_id, "aud": audience, "jti": jti,
                       "iat": now, "exp": now + 60}, key, algorithms=["ES256"])


def test_authlib_client_authenticates_with_private_key_jwt(hub, keyed_client) -> None:  # type: ignore[no-untyped-def]
    client_id, key = keyed_client
    token_endpoint = hub.issuer + "/token"
    with OAuth2Client(client_id, key, scope="invoices",
                      token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, alg="ES256"),
                      ) as rp:
        rp.register_client_auth_method(PrivateKeyJWT(token_endpoint, alg="ES256"))
        token = rp.fetch_token(token_endpoint, grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["scope"] == "invoices"


def test_replayed_assertion_is_invalid_client(hub, keyed_client) -> None:  # type: ignore[no-untyped-def]
    client_id, key = keyed_client
    signed = assertion(client_id, key, hub.issuer + "/token", secrets.token_urlsafe(8))
    form = {"grant_type": "client_credentials", "client_assertion": signed,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    assert httpx.post(hub.issuer + "/token", data=form).status_code == 200
    replay = httpx.post(hub.issuer + "/token", data=form)
    assert replay.status_code in (400, 401) and replay.json()["error"] == "invalid_client"


def test_assertion_signed_by_another_key_is_invalid_client(hub, keyed_client) -> None:  # type: ignore[no-untyped-def]
    client_id, _ = keyed_client
    stranger = ECKey.generate_key("P-256")
    signed = assertion(client_id, stranger, hub.issuer + "/token", secrets.token_urlsafe(8))
    response = httpx.post(hub.issuer + "/token", data={
        "grant_type": "client_credentials", "client_assertion": signed,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
    assert response.json()["error"] == "invalid_client"


def test_assertion_for_another_audience_is_invalid_client(hub, keyed_client) -> None:  # type: ignore[no-untyped-def]
    client_id, key = keyed_client
    signed = assertion(client_id, key, "https://elsewhere.example/token", secrets.token_urlsafe(8))
    response = httpx.post(hub.issuer + "/token", data={
        "grant_type": "client_credentials", "client_assertion": signed,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
    assert response.json()["error"] == "invalid_client"
