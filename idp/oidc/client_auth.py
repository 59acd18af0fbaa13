"""Client authentication at the token, introspection and revocation endpoints.

client_secret_basic and client_secret_post are authlib's (RFC 6749 §2.3.1), checked by
RegisteredClient.check_client_secret in constant time; `none` identifies public clients;
private_key_jwt (OIDC Core §9, RFC 7523 §2.2) is below: a JWT signed with the client's key,
audience the hub, single use (its jti is recorded until it expires).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc.jwk import KeySet, KeySetSerialization

from idp.oidc.errors import InvalidClientError
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.clients import RegisteredClient
    from idp.oidc.server import HubOAuth2Request
    from sitekit.storage.database import Database

JWKS_CACHE_SECONDS = 300


def basic_credentials(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """client_id and secret from an HTTP Basic header (RFC 6749 §2.3.1, RFC 7617);
    (None, None) when absent or malformed (authlib's own parser raises on some inputs)."""
    try:
        credentials: tuple[str | None, str | None] = extract_basic_authorization(headers)
        return credentials
    except (ValueError, UnicodeDecodeError):
        return None, None


def authenticate_client_secret_basic(
    query_client: Callable[[str], RegisteredClient | None], request: HubOAuth2Request,
) -> RegisteredClient | None:
    client_id, client_secret = request.basic_credentials()
    return _by_secret(query_client, client_id, client_secret)


def authenticate_client_secret_post(
    query_client: Callable[[str], RegisteredClient | None], request: HubOAuth2Request,
) -> RegisteredClient | None:
    return _by_secret(query_client, request.form.get("client_id"),
                      request.form.get("client_secret"))


def _by_secret(query_client: Callable[[str], RegisteredClient | None], client_id: str | None,
               client_secret: str | None) -> RegisteredClient | None:
    """An unknown client and a wrong secret get the same answer (authlib's generic
    invalid_client); only a right secret past its expiry is told so (check_client_secret)."""
    if client_id and client_secret:
        client = query_client(client_id)
        if client is not None and client.check_client_secret(client_secret):
            return client
    return None


class PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, db: Database, issuer: str) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self.db = db
        self.audiences = [issuer, f"{issuer}/token", f"{issuer}/introspect", f"{issuer}/revoke"]
        self._jwks_cache: dict[str, tuple[float, KeySet]] = {}
        self._lock = threading.Lock()

    def get_audiences(self) -> list[str]:
        return self.audiences

    def validate_jti(self, claims: Mapping[str, Any], jti: object) -> bool:
        exp = claims.get("exp")
        if not isinstance(exp, int):
            return False
        with self.db.transaction() as s:
            return tokens_repo.remember_assertion(s, claims["sub"], str(jti), exp)

    def resolve_client_public_key(self, client: RegisteredClient) -> KeySet:
        if client.jwks:
            return KeySet.import_key_set(cast("KeySetSerialization", client.jwks))
        if not client.jwks_uri:
            raise InvalidClientError(description="The client has no registered keys.")
        now = time.monotonic()
        cached = self._jwks_cache.get(client.jwks_uri)
        if cached and cached[0] > now:
            return cached[1]
        try:
            response = httpx.get(client.jwks_uri, timeout=5.0)
            response.raise_for_status()
            keyset = KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise InvalidClientError(description="The client's jwks_uri cannot be read.") from exc
        with self._lock:
            self._jwks_cache[client.jwks_uri] = (now + JWKS_CACHE_SECONDS, keyset)
        return keyset
