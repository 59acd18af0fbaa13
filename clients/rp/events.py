"""Security Event Tokens pushed by the hub (RFC 8935) to the application's
`account_events_uri`: the account-purged event (OpenID RISC) that says a person's account at
the hub is deleted. `SecurityEvents.verify` checks what RFC 8417 §2 and RFC 8935 §2.2 ask:
the signature with the hub's keys (its JWKS), `typ` secevent+jwt, `iss`, `aud` (this
client), `iat` recent, a `jti` not seen before (a bounded store, per process: a replay
to another process can only end sessions that are already ended), and the event's
subject (`iss_sub`). A refusal carries RFC 8935 §2.4's error code."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from joserfc.errors import JoseError

from clients.rp.jwks import HubKeys
from clients.rp.settings import HubClientSettings

ACCOUNT_PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"
SET_MEDIA_TYPE = "application/secevent+jwt"
MAX_SET_BYTES = 16_384
IAT_WINDOW = 300  # seconds: how old (or early) a SET's `iat` may be
SEEN_JTIS = 10_000


class EventRefused(Exception):
    """RFC 8935 §2.3: answered 400 with {"err": err, "description": description}."""

    def __init__(self, err: str, description: str) -> None:
        super().__init__(description)
        self.err, self.description = err, description


@dataclass(frozen=True)
class AccountPurged:
    sub: str  # as this application knows the person (public or pairwise)
    jti: str


class SeenJtis:
    """The `jti`s accepted in the last `keep` seconds, at most `size` (oldest forgotten)."""

    def __init__(self, keep: int = 2 * IAT_WINDOW, size: int = SEEN_JTIS) -> None:
        self.keep, self.size = keep, size
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, jti: str, now: int) -> bool:
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now - self.keep
                                  or len(self._seen) >= self.size):
                self._seen.popitem(last=False)
            if jti in self._seen:
                return False
            self._seen[jti] = now
            return True


class SecurityEvents:
    def __init__(self, settings: HubClientSettings, keys: HubKeys,
                 now: Callable[[], int] = lambda: int(time.time())) -> None:
        self.settings, self.keys, self.now = settings, keys, now
        self.seen = SeenJtis()

    async def verify(self, token: str) -> AccountPurged:
        if not token or len(token) > MAX_SET_BYTES or token.count(".") != 2:
            raise EventRefused("invalid_request", "not a signed SET (compact JWS)")
        try:
            decoded = await self.keys.decode(token)
        except JoseError as exc:
            raise EventRefused("authentication_failed",
                               f"signature not verified: {type(exc).__name__}") from None
        except ValueError as exc:
            raise EventRefused("invalid_request", str(exc)[:200]) from None
        header, claims = decoded.header, decoded.claims
        if str(header.get("typ", "")).lower() not in ("secevent+jwt", SET_MEDIA_TYPE):
            raise EventRefused("invalid_request", "typ is not secevent+jwt")
        if claims.get("iss") != self.settings.issuer:
            raise EventRefused("invalid_issuer", "not issued by the hub")
        audience = claims.get("aud")
        if self.settings.client_id not in (audience if isinstance(audience, list)
                                           else [audience]):
            raise EventRefused("invalid_audience", "not meant for this application")
        iat, now = claims.get("iat"), self.now()
        if not isinstance(iat, int) or abs(now - iat) > IAT_WINDOW:
            raise EventRefused("invalid_request", "iat missing or not recent")
        subject = _purged_subject(claims.get("events"), self.settings.issuer)
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= 255:
            raise EventRefused("invalid_request", "jti missing")
        if not self.seen.first_time(jti, now):
            raise EventRefused("invalid_request", "jti already received")
        return AccountPurged(subject, jti)


def _purged_subject(events: object, issuer: str) -> str:
    if not isinstance(events, dict) or set(events) != {ACCOUNT_PURGED}:
        raise EventRefused("invalid_request", "not an account-purged event")
    subject = events[ACCOUNT_PURGED].get("subject") if isinstance(
        events[ACCOUNT_PURGED], dict) else None
    if not isinstance(subject, dict) or subject.get("format") != "iss_sub" or (
            subject.get("iss") != issuer):
        raise EventRefused("invalid_request", "the subject is not an iss_sub of the hub")
    sub = subject.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= 255:
        raise EventRefused("invalid_request", "the subject has no sub")
    return sub
