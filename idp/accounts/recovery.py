"""Forgotten password of a portal account (seed 000): a 6-digit code sent by SMS to the
registered mobile, valid 10 minutes, single use, 5 attempts, at most 3 sends; then a new
password.

The answer never reveals whether the identifier exists or has a mobile, neither by its
content nor by its time (issue 10, finding 4): every request does the same database work —
the account lookup, the three send counters, one challenge row and one outbox row. An
unknown identifier, an account without a mobile, or a request past the send limits gets a
decoy challenge (no account, a code nobody knows) and a decoy outbox row born sent and
empty (`outbox.record_decoy`).

Sends are limited per identifier, per mobile number and per client address within a window
(OWASP ASVS 2.5, "SMS flooding"). The database keeps the challenge under SHA-256 of its
192-bit token and the code under HMAC-SHA256 with the keys folder's `hash.key` (finding 5):
reading the database does not give a code back.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyotp

from idp.login_names import normalise
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import recovery as recovery_repo
from idp.storage.repositories import throttle as throttle_repo
from idp.storage.repositories.hashing import sha256_hex

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.audit import AuditLog
    from idp.clock import Clock
    from idp.oidc.keys import KeyStore
    from idp.settings import Settings
    from sitekit.storage.database import Database

CODE_TTL = 600
MAX_ATTEMPTS = 5
MAX_SENDS = 3


@dataclass(frozen=True)
class SendLimits:
    """SMS a window allows per identifier, per mobile number and per client address."""

    per_account: int
    per_phone: int
    per_address: int
    window: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SendLimits:
        return cls(settings.recovery_max_sends_per_account,
                   settings.recovery_max_sends_per_phone,
                   settings.recovery_max_sends_per_address, settings.recovery_send_window)


def _code_hash(keys: KeyStore, token: str, code: str) -> str:
    return keys.keyed_hash("recovery-code", f"{sha256_hex(token)}:{code}")


def _new_code() -> str:
    # pyotp's HOTP over a fresh random secret: 6 decimal digits (RFC 4226 §5.3).
    return pyotp.HOTP(pyotp.random_base32()).at(0)


def within_limits(s: Session, limits: SendLimits, now: int,
                   counted: list[tuple[str, int]]) -> bool:
    """Count one send on each (key, limit); True when none is over its limit. Every counter
    is written, so a refusal costs what an acceptance does."""
    over = False
    for key, limit in counted:
        row = throttle_repo.record_failure(s, key, now, limits.window, limit + 1,
                                           limits.window)
        over = over or row.failures > limit
    return not over


def _identifier_key(keys: KeyStore, username: str) -> str:
    return "recovery-account:" + keys.keyed_hash("recovery-identifier", normalise(username))


def _phone_key(keys: KeyStore, phone: str) -> str:
    return "recovery-phone:" + keys.keyed_hash("recovery-phone", phone)


def _address_key(address: str | None) -> str:
    return "recovery-address:" + (address or "unknown")[:200]


def _enqueue_or_decoy(s: Session, phone: str | None, text: str, now: int) -> None:
    if phone is None:
        outbox_repo.record_decoy(s, now)
    else:
        outbox_repo.enqueue(s, "sms", phone, "", text, now)


@dataclass(frozen=True)
class Started:
    token: str  # identifies the challenge; kept encrypted in the browser session


def start(db: Database, clock: Clock, keys: KeyStore, audit: AuditLog, limits: SendLimits,
          username: str, sms_text: str, address: str | None) -> Started:
    """Begin a recovery. `sms_text` contains "{code}"."""
    token = secrets.token_urlsafe(24)
    code = _new_code()
    now = clock.now()
    with db.transaction() as s:
        account = accounts_repo.find_by_login(s, username)
        phone = account.phone_number if account is not None and not account.disabled else None
        # Without a mobile, a stand-in key derived from the identifier is counted instead.
        allowed = within_limits(s, limits, now, [
            (_identifier_key(keys, username), limits.per_account),
            (_phone_key(keys, phone or "none:" + normalise(username)), limits.per_phone),
            (_address_key(address), limits.per_address)])
        send_to = phone if phone and allowed else None
        account_id = account.id if send_to and account is not None else None
        recovery_repo.create(s, token, account_id,
                             _code_hash(keys, token, code), now + CODE_TTL)
        _enqueue_or_decoy(s, send_to, sms_text.format(code=code), now)
    if send_to:
        audit.record("recovery.code_sent", account_id=account_id, ip=address)
    else:
        audit.record("recovery.no_code_sent", ip=address)
    return Started(token)


def resend(db: Database, clock: Clock, keys: KeyStore, limits: SendLimits, token: str,
           sms_text: str, address: str | None) -> bool:
    """A new code for the same challenge, while sends remain; False when refused. Past the
    per-number or per-address limit the answer is the same as a send (nothing goes out)."""
    code = _new_code()
    now = clock.now()
    with db.transaction() as s:
        challenge = recovery_repo.find(s, token)
        if challenge is None:
            return True  # purged long ago: answer as if sent
        if challenge.consumed_at is not None or challenge.sends >= MAX_SENDS:
            return False
        account = accounts_repo.get_account(s, challenge.account_id or 0)
        phone = account.phone_number if account is not None else None
        allowed = within_limits(s, limits, now, [
            (_phone_key(keys, phone or "none:" + challenge.id_hash), limits.per_phone),
            (_address_key(address), limits.per_address)])
        send_to = phone if phone and allowed else None
        recovery_repo.renew_code(s, token, _code_hash(keys, token, code), now + CODE_TTL)
        _enqueue_or_decoy(s, send_to, sms_text.format(code=code), now)
    return True


def check_code(db: Database, clock: Clock, keys: KeyStore, token: str, code: str) -> int | None:
    """The account id when the code is right, else None (a wrong code uses an attempt).
    The challenge stays usable until `use_up`, so a new password breaking a rule can be
    typed again with the same code."""
    now = clock.now()
    code = code.strip()[:12]
    with db.transaction() as s:
        challenge = recovery_repo.find(s, token)
        if (challenge is None or challenge.consumed_at is not None
                or challenge.expires_at <= now or challenge.attempts >= MAX_ATTEMPTS):
            return None
        if not hmac.compare_digest(_code_hash(keys, token, code), challenge.code_hash):
            recovery_repo.count_attempt(s, token)
            return None
        return challenge.account_id  # None for a decoy


def use_up(db: Database, clock: Clock, token: str) -> bool:
    """Single use: True for the first caller only."""
    with db.transaction() as s:
        return recovery_repo.consume(s, token, clock.now())
