"""New-device notification, as FranceConnect sends it: after a login from a browser the
account has not logged in from before, an e-mail "Nouvelle connexion à votre compte".

A browser is known by a device cookie (256 random bits, kept about 13 months); the database
keeps only SHA-256 of it per account (storage/repositories/devices.py), for the 20 browsers
most recently seen. The first login of an account records its browser without an e-mail
(there is nothing to compare with); later unknown browsers get one when the account has a
verified address and has not switched the alerts off (`accounts.new_device_alerts`, the
switch on /compte/securite). The browser is described from its User-Agent by a fixed
vocabulary only (`describe_browser`), so nothing a client sends reaches the e-mail as is.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import devices as devices_repo
from idp.storage.repositories import outbox as outbox_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.portal.password_change import Notification
    from idp.runtime import Runtime

COOKIE_MAX_AGE = 395 * 86400  # about 13 months (CNIL: trackers kept at most 13 months)
KEEP_PER_ACCOUNT = 20
PARIS = ZoneInfo("Europe/Paris")
_COOKIE = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)

# The e-mail for this login (its local time in Paris, as "dd/mm/yyyy à HH:MM"), translated
# by the page; called only when one is sent.
AlertMail = Callable[[str], "Notification"]

# (marker in the User-Agent, name shown): the first that matches; order matters (Edge and
# Opera say "Chrome", Chrome says "Safari").
_BROWSERS = (("Edg/", "Microsoft Edge"), ("EdgA/", "Microsoft Edge"), ("OPR/", "Opera"),
             ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"),
            ("iPad", "iPadOS"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def describe_browser(user_agent: str | None) -> str | None:
    """"Firefox, Windows" and the like, from a fixed vocabulary; None when nothing is
    recognised. At most the first 512 characters are looked at."""
    ua = (user_agent or "")[:512]
    browser = next((name for marker, name in _BROWSERS if marker in ua), None)
    system = next((name for marker, name in _SYSTEMS if marker in ua), None)
    found = [part for part in (browser, system) if part]
    return ", ".join(found) or None


def new_cookie() -> str:
    return secrets.token_urlsafe(32)


def plausible_cookie(value: str | None) -> bool:
    return value is not None and _COOKIE.fullmatch(value) is not None


def paris_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def note_login_device(rt: Runtime, account_id: int, presented: str | None,
                      mail: AlertMail) -> tuple[str, bool]:
    """Record the browser of a login that just succeeded; (the cookie the browser keeps,
    whether an alert was queued). A missing or malformed cookie is replaced by a new one."""
    with rt.db.transaction() as s:
        return note_login_device_in(s, rt, account_id, presented, mail)


def note_login_device_in(s: Session, rt: Runtime, account_id: int, presented: str | None,
                         mail: AlertMail) -> tuple[str, bool]:
    """`note_login_device` in the caller's transaction `s` (the login's own, which opens
    the session)."""
    fresh = presented is None or not plausible_cookie(presented)
    cookie = new_cookie() if fresh else str(presented)
    now = rt.clock.now()
    found = accounts_repo.new_device_alert_address(s, account_id)
    if found is None:  # the account went meanwhile
        return cookie, False
    address, known_before = found
    # A cookie made just now is known to no account (256 random bits): nothing to look up.
    if not fresh and devices_repo.see_device(s, account_id, cookie, now):
        return cookie, False
    devices_repo.add_device(s, account_id, cookie, now, KEEP_PER_ACCOUNT, known_before)
    if known_before == 0:  # the first login: nothing to compare with, no alert
        return cookie, False
    alert = address is not None
    if address is not None:
        notification = mail(paris_time(now))
        outbox_repo.enqueue(s, "email", address, notification.subject, notification.body, now)
    rt.audit.write(s, "login.new_device", account_id=account_id, alerted=alert)
    return cookie, alert


def set_alerts(rt: Runtime, account_id: int, on: bool, ip: str | None) -> None:
    """The switch "M'avertir par courriel d'une connexion depuis un nouvel appareil"."""
    with rt.db.transaction() as s:
        accounts_repo.set_new_device_alerts(s, account_id, on)
        rt.audit.write(s, "account.new_device_alerts", account_id=account_id, on=on, ip=ip)
