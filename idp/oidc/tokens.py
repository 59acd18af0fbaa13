"""Issuing and checking the hub's JWTs: access tokens (RFC 9068), ID tokens (OIDC Core §2),
logout tokens (Back-Channel Logout 1.0 §2.4), signed introspection (RFC 9701) and userinfo
(OIDC Core §5.3.2) answers. Refresh tokens are opaque random strings.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from authlib.oidc.core.util import create_half_hash

from idp.clock import Clock
from idp.oidc.jws import sign_compact, verify_compact
from idp.oidc.keys import KeyStore
from idp.settings import Settings

VERIFIED_CACHE_SIZE = 10_000
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# RISC (OpenID Shared Signals) event types: the account is gone for good.
ACCOUNT_PURGED_EVENT = "https://schemas.openid.net/secevent/risc/event-type/account-purged"
LOGOUT_TOKEN_TTL = 120


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


class TokenService:
    def __init__(self, settings: Settings, keys: KeyStore, clock: Clock) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self.issuer = settings.issuer
        self._verified: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._verified_lock = threading.Lock()

    def _sign(self, claims: dict[str, Any], alg: str, typ: str) -> str:
        key = self.keys.current(alg)
        private_key = key.jwk.private_key
        assert private_key is not None  # the current key is ours: its private half is loaded
        return sign_compact(claims, alg, key.kid, typ, private_key)

    def access_token(
        self,
        *,
        client_id: str,
        audience: tuple[str, ...],
        scope: str,
        subject: str,
        grant_id: str | None = None,
        auth_time: int | None = None,
        acr: str | None = None,
        amr: list[str] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti (+ auth_time, acr, amr)."""
        now = self.clock.now()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "exp": now + self.settings.access_token_ttl,
            "aud": audience[0] if len(audience) == 1 else list(audience),
            "sub": subject,
            "client_id": client_id,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
            "scope": scope,
        }
        if auth_time is not None:
            claims["auth_time"] = auth_time
        if acr:
            claims["acr"] = acr
        if amr:
            claims["amr"] = amr
        if grant_id:
            claims["gid"] = grant_id  # the grant (token family) this token belongs to
        return self._sign(claims, self.settings.access_token_alg, "at+jwt"), claims

    def id_token(
        self,
        *,
        client_id: str,
        alg: str,
        subject: str,
        auth_time: int,
        access_token: str | None,
        nonce: str | None,
        acr: str | None,
        amr: list[str] | None,
        sid: str | None,
        extra: dict[str, Any],
    ) -> str:
        now = self.clock.now()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": client_id,
            "exp": now + self.settings.id_token_ttl,
            "iat": now,
            "auth_time": auth_time,
        }
        if nonce:
            claims["nonce"] = nonce
        if acr:
            claims["acr"] = acr
        if amr:
            claims["amr"] = amr
        if sid:
            claims["sid"] = sid
        if access_token:
            # OIDC Core §3.1.3.6: left half of the hash of the access token.
            claims["at_hash"] = create_half_hash(access_token, alg).decode()
        claims.update(extra)
        return self._sign(claims, alg, "JWT")

    def logout_token(self, *, client_id: str, subject: str, sid: str) -> str:
        now = self.clock.now()
        claims = {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + LOGOUT_TOKEN_TTL,
            "jti": secrets.token_urlsafe(16),
            "sub": subject,
            "sid": sid,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        return self._sign(claims, self.settings.access_token_alg, "logout+jwt")

    # Tokens delivered through the outbox: claims written with the change, signed at each
    # delivery attempt (messaging/senders.py HttpEventSender), so `iat` is always fresh.

    def logout_claims(self, *, client_id: str, subject: str, sid: str | None) -> dict[str, Any]:
        """Back-Channel Logout 1.0 §2.4 without iat/exp: `sub`, and `sid` when one session is
        meant (without it, every session of the subject at the client ends)."""
        claims: dict[str, Any] = {"iss": self.issuer, "aud": client_id,
                                  "jti": secrets.token_urlsafe(16), "sub": subject,
                                  "events": {BACKCHANNEL_LOGOUT_EVENT: {}}}
        if sid:
            claims["sid"] = sid
        return claims

    def account_purged_claims(self, *, client_id: str, subject: str) -> dict[str, Any]:
        """A Security Event Token (RFC 8417 §2.2) without iat: the account-purged event
        (OpenID RISC) naming the subject as this client knows it (`iss_sub`, RFC 9493 §3.2.5:
        its public or pairwise `sub`)."""
        return {"iss": self.issuer, "aud": client_id, "jti": secrets.token_urlsafe(16),
                "events": {ACCOUNT_PURGED_EVENT: {"subject": {
                    "format": "iss_sub", "iss": self.issuer, "sub": subject}}}}

    def sign_event(self, channel: str, claims: dict[str, Any]) -> str:
        """`claims` of `logout_claims` ("logout") or `account_purged_claims` ("set"),
        signed now with the current key; the issuer is checked to be ours."""
        if claims.get("iss") != self.issuer:
            raise ValueError("claims of another issuer")
        now = self.clock.now()
        if channel == "logout":
            return self._sign({**claims, "iat": now, "exp": now + LOGOUT_TOKEN_TTL},
                              self.settings.access_token_alg, "logout+jwt")
        if channel == "set":
            # RFC 8417 §2.3: explicit typing, media type application/secevent+jwt.
            return self._sign({**claims, "iat": now}, self.settings.access_token_alg,
                              "secevent+jwt")
        raise ValueError(f"no token for channel {channel!r}")

    def introspection_answer(self, *, audience: str, answer: dict[str, Any], alg: str) -> str:
        """RFC 9701 §5: iss, aud (the resource server), iat and the RFC 7662 answer in
        `token_introspection`; no `sub` nor `exp` at the top level, so the answer cannot pass
        for an access token, and its own `typ` (§8.1, cross-JWT confusion)."""
        claims = {"iss": self.issuer, "aud": audience, "iat": self.clock.now(),
                  "token_introspection": answer}
        return self._sign(claims, alg, "token-introspection+jwt")

    def userinfo_answer(self, *, client_id: str, claims: dict[str, Any], alg: str) -> str:
        """OIDC Core §5.3.2: a signed UserInfo Response carries `iss` and `aud` (the client)."""
        return self._sign({**claims, "iss": self.issuer, "aud": client_id}, alg, "JWT")

    # Checking ------------------------------------------------------------------------------

    def _decode(self, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Header and claims of a token we signed with a key still published.

        A signature that verified once verifies forever, so verified tokens are remembered
        (a bounded cache keyed by the token string); the key must still be published, and
        callers check expiry and revocation on every use.
        """
        decoded = self._verified.get(token)
        if decoded is None:
            decoded = verify_compact(token, self.keys.public_key)
            if decoded is None:
                return None
            with self._verified_lock:
                if len(self._verified) >= VERIFIED_CACHE_SIZE:
                    self._verified.pop(next(iter(self._verified)))
                self._verified[token] = decoded
        elif self.keys.public_key(decoded[0]["kid"]) is None:
            return None  # signed by a key retired since
        if decoded[1].get("iss") != self.issuer:
            return None
        return decoded

    def verify_access_token(self, token: str) -> dict[str, Any] | None:
        """Claims of a valid, unexpired access token of ours; None otherwise.

        Revocation is not checked here (it needs the database): see introspection/userinfo.
        """
        if not token or token.count(".") != 2 or len(token) > 8192:
            return None
        decoded = self._decode(token)
        if decoded is None:
            return None
        header, claims = decoded
        # RFC 9068 §4: reject anything whose typ is not at+jwt (an ID token is not a bearer).
        if header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
            return None
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= self.clock.now():
            return None
        if not isinstance(claims.get("jti"), str):
            return None
        return claims

    def verify_id_token_hint(self, token: str) -> dict[str, Any] | None:
        """An ID token we issued; expiry is not checked (OIDC Core §3.1.2.1, id_token_hint)."""
        if not token or token.count(".") != 2 or len(token) > 16384:
            return None
        decoded = self._decode(token)
        if decoded is None or decoded[0].get("typ", "JWT").lower() not in ("jwt",):
            return None
        return decoded[1]
