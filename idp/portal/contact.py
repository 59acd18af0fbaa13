"""Contact details of an account (seeds 000/001): the mobile-number reminder after login,
and a new mobile number verified by a one-time code sent to it, then confirmed by e-mail."""

from __future__ import annotations

import hmac
import re

import pyotp

from idp.portal.password_change import Notification
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo

REMINDER_SILENCE = 182 * 86400  # "Ne plus afficher ce rappel": six months
CODE_TTL = 600
MAX_ATTEMPTS = 5
_FRENCH_MOBILE = re.compile(r"^(?:\+33|0033|0)([67]\d{8})$")


def needs_mobile_reminder(account, now: int) -> bool:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    silenced = account.mobile_reminder_silenced_until
    return (account.population == "portal" and not account.phone_number
            and (silenced is None or silenced <= now))


def silence_reminder(rt, account_id: int) -> None:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    with rt.db.transaction() as s:
        accounts_repo.silence_mobile_reminder(s, account_id, rt.clock.now() + REMINDER_SILENCE)


def normalise_mobile(raw: str) -> str | None:
    """A French mobile number in E.164 (+336…/+337…), or None."""
    digits = re.sub(r"[\s.\-]", "", raw or "")
    match = _FRENCH_MOBILE.match(digits)
    return "+33" + match.group(1) if match else None


def _hash(rt, value: str, code: str) -> str:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    # Keyed (HMAC-SHA256, keys folder's hash.key): the session table holding this state
    # must not give the 6-digit code back by brute force (issue 10, finding 5).
    return rt.keys.keyed_hash("contact-code", f"{value}:{code}")


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CHANNELS = {"mobile": "sms", "email": "email"}


def normalise_email(raw: str) -> str | None:
    value = (raw or "").strip()
    return value.lower() if len(value) <= 320 and EMAIL.match(value) else None


class AddressTaken(Exception):
    """The new address, or its agent left part, is another account's login name (seed 001)."""


def check_address_free(rt, account, address: str) -> None:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """AddressTaken when the account may not take this address: checked before a code is
    sent, and again (by the repository) when the address is set."""
    with rt.db.read() as s:
        if accounts_repo.login_name_taken(s, account.username, address, account.id):
            raise AddressTaken(address)


def send_code(rt, kind: str, value: str, subject: str, text: str) -> dict:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """Send a code to the new number or address (`kind`: mobile, email); the returned
    state is kept in the browser session."""
    code = pyotp.HOTP(pyotp.random_base32()).at(0)
    now = rt.clock.now()
    with rt.db.transaction() as s:
        outbox_repo.enqueue(s, CHANNELS[kind], value, subject, text.format(code=code), now)
    return {"kind": kind, "value": value, "hash": _hash(rt, value, code),
            "expires_at": now + CODE_TTL, "attempts": 0}


def confirm_code(rt, account, state: dict, code: str,  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
                 notification: Notification) -> bool:
    """Set the new value when the code is right, then e-mail the account's address (the
    former one for an e-mail change, so its owner hears of it); counts attempts.
    AddressTaken when another account took the address since the code was sent."""
    if state["attempts"] >= MAX_ATTEMPTS or state["expires_at"] <= rt.clock.now():
        return False
    if not hmac.compare_digest(_hash(rt, state["value"], code.strip()[:12]), state["hash"]):
        state["attempts"] += 1
        return False
    with rt.db.transaction() as s:
        if state["kind"] == "mobile":
            accounts_repo.set_phone_number(s, account.id, state["value"])
        else:
            try:
                accounts_repo.set_email(s, account.id, state["value"])
            except accounts_repo.LoginNameTaken as taken:
                raise AddressTaken(state["value"]) from taken
        if account.email:
            outbox_repo.enqueue(s, "email", account.email, notification.subject,
                                notification.body, rt.clock.now())
        rt.audit.write(s, f"contact.{state['kind']}_changed", account_id=account.id)
    return True
