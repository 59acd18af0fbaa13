"""Forgotten password of a portal account (seed 000): a 6-digit code sent by SMS to the
registered mobile, valid 10 minutes, single use, 5 attempts, at most 3 sends; then a new
password. The answer never reveals whether the identifier exists or has a mobile: an
unknown identifier gets a challenge that no code can satisfy."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import recovery as recovery_repo

CODE_TTL = 600
MAX_ATTEMPTS = 5
MAX_SENDS = 3


def _code_hash(token: str, code: str) -> str:
    return hashlib.sha256(f"{token}:{code}".encode()).hexdigest()


def _new_code() -> str:
    # pyotp's HOTP over a fresh random secret: 6 decimal digits (RFC 4226 §5.3).
    return pyotp.HOTP(pyotp.random_base32()).at(0)


@dataclass(frozen=True)
class Started:
    token: str  # kept in the browser session; identifies the challenge


def start(rt, username: str, sms_text: str) -> Started:  # type: ignore[no-untyped-def]
    """Begin a recovery. `sms_text` contains "{code}"."""
    token = secrets.token_urlsafe(24)
    now = rt.clock.now()
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, username)
        if account is None or account.disabled or not account.phone_number:
            return Started(token)  # nothing is stored, nothing is sent
        code = _new_code()
        recovery_repo.create(s, token, account.id, _code_hash(token, code), now + CODE_TTL)
        outbox_repo.enqueue(s, "sms", account.phone_number, "", sms_text.format(code=code), now)
    rt.audit.record("recovery.code_sent", account_id=account.id)
    return Started(token)


def resend(rt, token: str, sms_text: str) -> bool:  # type: ignore[no-untyped-def]
    """A new code for the same challenge, while sends remain; False when refused."""
    now = rt.clock.now()
    with rt.db.transaction() as s:
        challenge = recovery_repo.find(s, token)
        if challenge is None:
            return True  # unknown identifier: answer as if sent
        if challenge.consumed_at is not None or challenge.sends >= MAX_SENDS:
            return False
        account = accounts_repo.get_account(s, challenge.account_id)
        code = _new_code()
        recovery_repo.renew_code(s, token, _code_hash(token, code), now + CODE_TTL)
        outbox_repo.enqueue(s, "sms", account.phone_number, "", sms_text.format(code=code), now)
    return True


def check_code(rt, token: str, code: str) -> int | None:  # type: ignore[no-untyped-def]
    """The account id when the code is right, else None (a wrong code uses an attempt).
    The challenge stays usable until `use_up`, so a new password breaking a rule can be
    typed again with the same code."""
    now = rt.clock.now()
    code = code.strip()[:12]
    with rt.db.transaction() as s:
        challenge = recovery_repo.find(s, token)
        if (challenge is None or challenge.consumed_at is not None
                or challenge.expires_at <= now or challenge.attempts >= MAX_ATTEMPTS):
            return None
        if not hmac.compare_digest(_code_hash(token, code), challenge.code_hash):
            recovery_repo.count_attempt(s, token)
            return None
        return challenge.account_id


def use_up(rt, token: str) -> bool:  # type: ignore[no-untyped-def]
    """Single use: True for the first caller only."""
    with rt.db.transaction() as s:
        return recovery_repo.consume(s, token, rt.clock.now())
