"""The hub's public keys (its JWKS), fetched once and again when a token names an unknown
`kid` (after a key rotation), at most once per REFETCH_INTERVAL so forged kids cannot make
us hammer the hub."""

from __future__ import annotations

import asyncio
import time

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALGORITHMS = ["ES256", "RS256"]
REFETCH_INTERVAL = 10.0


class HubKeys:
    def __init__(self, issuer: str, timeout: float = 5.0) -> None:
        self.issuer = issuer
        self.timeout = timeout
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def decode(self, token: str) -> jwt.Token:
        """Verify the signature (alg ES256/RS256 only); claims are checked by the caller."""
        kid = _kid(token)
        keys = await self._key_set(kid)
        try:
            return jwt.decode(token, keys, algorithms=ALGORITHMS)
        except JoseError:
            raise
        except (ValueError, KeyError) as exc:
            raise ValueError("malformed token") from exc

    async def _key_set(self, kid: str | None) -> KeySet:
        keys = self._keys
        if keys is not None and (kid is None or any(k.kid == kid for k in keys.keys)):
            return keys
        async with self._lock:
            stale = time.monotonic() - self._fetched_at > REFETCH_INTERVAL
            if self._keys is None or stale:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    metadata = (await http.get(
                        f"{self.issuer}/.well-known/openid-configuration")).json()
                    document = (await http.get(metadata["jwks_uri"])).json()
                self._keys = KeySet.import_key_set(document)
                self._fetched_at = time.monotonic()
        return self._keys


def _kid(token: str) -> str | None:
    from joserfc.jws import extract_compact

    try:
        return extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError, UnicodeError) as exc:
        raise ValueError("malformed token") from exc
