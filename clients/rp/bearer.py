"""Bearer access tokens (RFC 6750) presented to an application's API: the JWT is checked
locally (RFC 9068 §4: `typ` at+jwt, signature by the hub's keys, `iss`, `aud`, `exp`),
then by introspection at the hub (RFC 7662) so a revoked token stops working; the answer is
cached for `introspection_cache_ttl` seconds (the longest a revoked token may still pass)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import JoseError
from starlette.requests import Request

from clients.rp.jwks import HubKeys
from clients.rp.settings import HubClientSettings

CACHE_SIZE = 10_000


class BearerError(Exception):
    """RFC 6750 §3.1: invalid_request (400), invalid_token (401), insufficient_scope (403)."""

    def __init__(self, error: str, description: str, status: int = 401) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    @property
    def www_authenticate(self) -> str:
        return f'Bearer error="{self.error}", error_description="{self.description}"'


@dataclass(frozen=True)
class Caller:
    sub: str
    client_id: str
    scope: str
    claims: dict[str, Any]
    token: str

    @property
    def is_client(self) -> bool:
        """A client acting for itself (client_credentials), not for a user."""
        return self.sub == self.client_id


class BearerVerifier:
    def __init__(self, settings: HubClientSettings, keys: HubKeys,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self._cache: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()

    async def verify(self, request: Request) -> Caller:
        token = _bearer_token(request)
        try:
            decoded = await self.keys.decode(token)
        except (JoseError, ValueError) as exc:
            raise BearerError("invalid_token", "The token signature is invalid.") from exc
        claims, header = decoded.claims, decoded.header
        if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise BearerError("invalid_token", "Not an access token.")
        if claims.get("iss") != self.settings.issuer:
            raise BearerError("invalid_token", "The token was not issued by the hub.")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.settings.api_audience not in audiences:
            raise BearerError("invalid_token", "The token is not meant for this API.")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= self.clock():
            raise BearerError("invalid_token", "The token has expired.")
        introspection = await self._cached("introspect", token, self._introspect)
        if not introspection.get("active"):
            raise BearerError("invalid_token", "The token was revoked.")
        return Caller(str(claims.get("sub")), str(claims.get("client_id")),
                      str(claims.get("scope", "")), claims, token)

    async def userinfo(self, caller: Caller) -> dict[str, Any]:
        """The user's claims for a user's token (cached like introspection)."""
        return await self._cached("userinfo", caller.token, self._userinfo)

    async def _cached(self, kind: str, token: str,
                      fetch: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        key = (kind, token)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await fetch(token)
        self._cache[key] = (now + self.settings.introspection_cache_ttl, value)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return value

    async def _introspect(self, token: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=self.settings.http_timeout) as http:
            response = await http.post(
                f"{self.settings.issuer}/introspect", data={"token": token,
                                                            "token_type_hint": "access_token"},
                auth=(self.settings.client_id, self.settings.client_secret))
        if response.status_code != 200:
            raise BearerError("temporarily_unavailable", "The hub cannot check the token.", 503)
        answer: dict[str, Any] = response.json()
        return answer

    async def _userinfo(self, token: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=self.settings.http_timeout) as http:
            response = await http.get(f"{self.settings.issuer}/userinfo",
                                      headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise BearerError("invalid_token", "The hub refused the token.")
        claims: dict[str, Any] = response.json()
        return claims


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BearerError("invalid_request", "A bearer access token is required.", 401)
    return token.strip()
