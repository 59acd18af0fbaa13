"""The hub authenticating itself at an FI's token endpoint, as the registry configures it."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote_plus

from joserfc import jwt

from idp.federation.errors import ProviderBadAnswer

if TYPE_CHECKING:
    from idp.oidc.keys import SigningKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 60  # seconds: the assertion is used at once
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


class SigningKeys(Protocol):
    """What private_key_jwt needs of the hub's keys: idp.oidc.keys.KeyStore has it. The FI
    verifies with the hub's published JWK Set (/jwks), where each current key is."""

    def current(self, alg: str) -> SigningKey: ...


def client_secret_basic(client_id: str, secret: str) -> dict[str, str]:
    """RFC 6749 §2.3.1: id and secret are each form-encoded (Appendix B) before being joined
    by ':' and base64-encoded, so a ':' or '%' in a secret survives."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(secret, safe='')}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def assertion_alg(supported: Sequence[str]) -> str:
    """ES256 unless the FI lists its algorithms without it (then RS256 if listed)."""
    if not supported or "ES256" in supported:
        return "ES256"
    if "RS256" in supported:
        return "RS256"
    raise ProviderBadAnswer("token endpoint accepts neither ES256 nor RS256 assertions")


def private_key_jwt(client_id: str, token_endpoint: str, keys: SigningKeys, alg: str,
                    now: int) -> dict[str, str]:
    """RFC 7523 §2.2 and §3, OIDC Core §9: iss = sub = client_id, aud = the token endpoint, a
    unique jti, a short exp; signed with the hub's current key of `alg`."""
    key = keys.current(alg)
    claims = {"iss": client_id, "sub": client_id, "aud": token_endpoint,
              "jti": secrets.token_urlsafe(24), "iat": now, "exp": now + ASSERTION_LIFETIME}
    assertion = jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key.jwk,
                           algorithms=[alg])
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
