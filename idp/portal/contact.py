"""Contact details of an account (seeds 000/001): the mobile-number reminder after login,
and a new mobile number verified by a one-time code sent to it, then confirmed by e-mail."""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING, TypedDict

import pyotp

from idp.portal.password_change import Notification
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import throttle as throttle_repo

if TYPE_CHECKING:
    from idp.accounts.recovery import SendLimits
    from idp.audit import AuditLog
    from idp.clock import Clock
    from idp.oidc.keys import KeyStore
    from idp.storage.models import Account
    from sitekit.storage.database import Database

REMINDER_SILENCE = 182 * 86400  # "Ne plus afficher ce rappel": six months
CODE_TTL = 600
MAX_ATTEMPTS = 5
_FRENCH_MOBILE = re.compile(r"^(?:\+33|0033|0)([67]\d{8})$")


def needs_mobile_reminder(account: Account, now: int) -> bool:
    silenced = account.mobile_reminder_silenced_until
    return (account.population == "portal" and not account.phone_number
            and (silenced is None or silenced <= now))


def silence_reminder(db: Database, clock: Clock, account_id: int) -> None:
    with db.transaction() as s:
        accounts_repo.silence_mobile_reminder(s, account_id, clock.now() + REMINDER_SILENCE)


def normalise_mobile(raw: str) -> str | None:
    """A French mobile number in E.164 (+336…/+337…), or None."""
    digits = re.sub(r"[\s.\-]", "", raw or "")
    match = _FRENCH_MOBILE.match(digits)
    return "+33" + match.group(1) if match else None


def _hash(keys: KeyStore, value: str, code: str) -> str:
    # Keyed (HMAC-SHA256, keys folder's hash.key): the session table holding this state
    # must not give the 6-digit code back by brute force (issue 10, finding 5).
    return keys.keyed_hash("contact-code", f"{value}:{code}")


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CHANNELS = {"mobile": "sms", "email": "email"}


def normalise_email(raw: str) -> str | None:
    value = (raw or "").strip()
    return value.lower() if len(value) <= 320 and EMAIL.match(value) else None


class PendingChange(TypedDict):
    """A change waiting for its code, kept in the browser session."""

    kind: str  # mobile, email
    value: str
    hash: str  # keyed hash of value and code (_hash)
    expires_at: int
    attempts: int


class AddressTaken(Exception):
    """The new address, or its agent left part, is another account's login name (seed 001)."""


def check_address_free(db: Database, account: Account, address: str) -> None:
    """AddressTaken when the account may not take this address: checked before a code is
    sent, and again (by the repository) when the address is set."""
    with db.read() as s:
        if accounts_repo.login_name_taken(s, account.username, address, account.id):
            raise AddressTaken(address)


def send_code(db: Database, clock: Clock, keys: KeyStore, kind: str, value: str, subject: str,
              text: str) -> PendingChange:
    """Send a code to the new number or address (`kind`: mobile, email); the returned
    state is kept in the browser session."""
    code = pyotp.HOTP(pyotp.random_base32()).at(0)
    now = clock.now()
    with db.transaction() as s:
        outbox_repo.enqueue(s, CHANNELS[kind], value, subject, text.format(code=code), now)
    return {"kind": kind, "value": value, "hash": _hash(keys, value, code),
            "expires_at": now + CODE_TTL, "attempts": 0}


def resend_code(db: Database, clock: Clock, keys: KeyStore, limits: SendLimits,
                account_id: int, state: PendingChange, subject: str, text: str,
                address: str | None) -> int:
    """"Renvoyer le code": a new code to the same number or address, the previous one
    replaced in `state` (so no longer accepted); attempts are not reset. Limited as a
    forgotten password's SMS are (`SendLimits`: per account, per number or address, per
    client address, over the window): 0 when sent, else the seconds until a code may be
    asked again (nothing sent, the current code still valid). Every counter is written,
    so a refusal costs what a send does."""
    now = clock.now()
    counted = [(f"contact-account:{account_id}", limits.per_account),
               ("contact-value:" + keys.keyed_hash("contact-value", state["value"]),
                limits.per_phone),
               ("contact-address:" + (address or "unknown")[:200], limits.per_address)]
    code = pyotp.HOTP(pyotp.random_base32()).at(0)
    with db.transaction() as s:
        wait = 0
        for key, limit in counted:
            row = throttle_repo.record_failure(s, key, now, limits.window, limit + 1,
                                               limits.window)
            if row.failures > limit:
                wait = max(wait, row.window_start + limits.window - now, 1)
        if wait:
            return wait
        outbox_repo.enqueue(s, CHANNELS[state["kind"]], state["value"], subject,
                            text.format(code=code), now)
    state["hash"] = _hash(keys, state["value"], code)
    state["expires_at"] = now + CODE_TTL
    return 0


def confirm_code(db: Database, clock: Clock, keys: KeyStore, audit: AuditLog, account: Account,
                 state: PendingChange, code: str, notification: Notification) -> bool:
    """Set the new value when the code is right, then e-mail the account's address (the
    former one for an e-mail change, so its owner hears of it); counts attempts.
    AddressTaken when another account took the address since the code was sent."""
    if state["attempts"] >= MAX_ATTEMPTS or state["expires_at"] <= clock.now():
        return False
    if not hmac.compare_digest(_hash(keys, state["value"], code.strip()[:12]), state["hash"]):
        state["attempts"] += 1
        return False
    with db.transaction() as s:
        if state["kind"] == "mobile":
            accounts_repo.set_phone_number(s, account.id, state["value"])
        else:
            try:
                accounts_repo.set_email(s, account.id, state["value"])
            except accounts_repo.LoginNameTaken as taken:
                raise AddressTaken(state["value"]) from taken
        if account.email:
            outbox_repo.enqueue(s, "email", account.email, notification.subject,
                                notification.body, clock.now())
        audit.write(s, f"contact.{state['kind']}_changed", account_id=account.id)
    return True
