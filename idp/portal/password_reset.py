"""Forgotten password by e-mail (seed 004 §5): "saisissez votre adresse électronique
d'inscription et cliquez sur le bouton « Générer un nouveau mot de passe ». Dans le courriel
que vous recevrez à cette adresse, cliquez sur le lien de création d'un nouveau mot de passe".

Who gets a link: a citizen account whose verified address is the one typed, active (not
disabled) and confirmed (`pending_until` None). A portal (agent) account does not: seed 000
gives agents the code by SMS to their registered mobile (accounts/recovery.py) or the
assistance desk, and an e-mail link would add a second, weaker way into an account whose
organisation chose that one. A citizen without a usable password (arrived through an FI)
asks for its link from its own security page ("Définir un mot de passe",
`request_setting_link`): its address is no login name (several accounts may share it,
FEDERATION.md), so the forgotten-password form cannot find it.

The answer to a request never tells whether the address has an account (OWASP ASVS 2.5.x),
neither by its text nor by its time: the request only counts the two send limits (per address
typed and per client address: recovery's SendLimits, `per_account` counting the e-mail
address) and writes one outbox row on the `REQUEST_JOB` channel holding what was typed. Which
account the address belongs to, and whether a link goes out, is decided off the request path
when the outbox handles that row (`send_requested_link`): no work on the request path depends
on the answer. (Balancing the two paths with decoy rows, as before, still left a measurable
0.6-0.9 ms on PostgreSQL: the known address's UPDATE of its earlier links, its foreign-key
checks, the account's load.) The row's text (address, client address, language) is erased
once handled, as a sent message's.

The new password goes through the password change of password_change.py (policy, history,
audit, confirmation e-mail); in its transaction the link is used (once: one conditional
UPDATE), the account's login throttle lifted, its browser sessions ended and its grants
revoked (refresh tokens refused, access tokens inactive at introspection): whoever knew the
old password is out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.accounts import email_links, throttling
from idp.accounts.recovery import SendLimits, within_limits
from idp.login_names import normalise
from idp.portal.password_change import Notification, change_password
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.runtime import Runtime
    from idp.storage.models import Account

RESET_PATH = "/mot-de-passe-oublie/nouveau"
# The outbox channel of recorded requests, handled by `send_requested_link` (module docstring).
REQUEST_JOB = "reset-request"  # outbox.channel: 16 characters at most
MAX_EMAIL = 320  # RFC 5321 §4.5.3.1: 64 + @ + 255

# (url, minutes the link lasts) → the e-mail, in the page's language.
LinkMail = Callable[[str, int], Notification]


class LinkUnusable(Exception):
    """The link is unknown, used, expired, replaced, for another purpose, or its account
    may no longer use it."""


@dataclass(frozen=True)
class Reset:
    account: Account
    ended_sids: list[str]  # browser sessions ended (for their clients' back-channel logout)


def may_reset_by_email(account: Account) -> bool:
    """An account the forgotten-password form sends a link to (see the module's docstring)."""
    return (account.population == "citizen" and bool(account.email)
            and account.email_verified and not account.disabled
            and account.pending_until is None)


def may_set_password_by_email(account: Account) -> bool:
    """An account without a usable password that may get one by a link to its verified
    address ("Définir un mot de passe")."""
    return (not accounts_repo.logs_in_with_password(account.password_hash)
            and account.population == "citizen" and bool(account.email)
            and account.email_verified and not account.disabled
            and account.pending_until is None)


def password_choice(account: Account) -> str | None:
    """What the account's pages offer for the password: "change" (it has one), "set" (none,
    but a verified address to send the link to), or None."""
    if accounts_repo.logs_in_with_password(account.password_hash):
        return "change"
    return "set" if may_set_password_by_email(account) else None


def _email_key(rt: Runtime, email: str) -> str:
    return "reset-email:" + rt.keys.keyed_hash("reset-email", normalise(email))


def _address_key(address: str | None) -> str:
    return "reset-address:" + (address or "unknown")[:200]


def request_link(rt: Runtime, limits: SendLimits, typed: str, ip: str | None,
                 locale: str) -> None:
    """Record a request for a link to `typed`: the same work whatever the address (module
    docstring); the outbox sends the link, if any, within its next round."""
    now = rt.clock.now()
    typed = typed[:MAX_EMAIL]
    with rt.db.transaction() as s:
        allowed = within_limits(s, limits, now, [(_email_key(rt, typed), limits.per_account),
                                                 (_address_key(ip), limits.per_address)])
        outbox_repo.enqueue(s, REQUEST_JOB, "", locale[:35], json.dumps(
            {"email": typed, "ip": ip, "allowed": allowed}), now)


def send_requested_link(rt: Runtime, body: str, mail: LinkMail) -> None:
    """Handle a request recorded by `request_link` (its outbox row's body): a link to the
    account whose address was typed, if it may use one and the limits allowed."""
    request = json.loads(body)
    typed, ip = str(request["email"]), request["ip"]
    now = rt.clock.now()
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, typed) if request["allowed"] else None
        if account is not None and not (
                may_reset_by_email(account) and account.email is not None
                and normalise(account.email) == normalise(typed)):
            account = None
        sent_to = (_send(s, rt, account, now, rt.settings.password_reset_link_ttl, mail)
                   if account is not None else None)
    if sent_to is not None:
        rt.audit.record("password_reset.link_sent", account_id=sent_to, ip=ip)
    else:
        rt.audit.record("password_reset.no_link_sent", ip=ip)


def request_setting_link(rt: Runtime, limits: SendLimits, account_id: int, ip: str | None,
                         mail: LinkMail) -> bool:
    """"Définir un mot de passe": a link to the verified address of a logged-in account
    without a usable password; False when the account may not, or past the limits."""
    now = rt.clock.now()
    with rt.db.transaction() as s:
        account = accounts_repo.get_account(s, account_id)
        if account is None or not may_set_password_by_email(account):
            return False
        assert account.email is not None
        if not within_limits(s, limits, now, [(_email_key(rt, account.email),
                                               limits.per_account),
                                              (_address_key(ip), limits.per_address)]):
            return False
        _send(s, rt, account, now, rt.settings.password_reset_link_ttl, mail)
    rt.audit.record("password_reset.link_sent", account_id=account_id, ip=ip)
    return True


def _send(s: Session, rt: Runtime, account: Account, now: int, ttl: int,
          mail: LinkMail) -> int:
    assert account.email is not None
    token = email_links.issue(s, email_links.PASSWORD_RESET, account.id, account.email, now,
                              ttl)
    notification = mail(email_links.url(rt.settings.issuer, RESET_PATH, token),
                        max(1, ttl // 60))
    outbox_repo.enqueue(s, "email", account.email, notification.subject, notification.body,
                        now)
    return account.id


def link_account(rt: Runtime, token: str) -> Account | None:
    """The account whose password the link may set, without using the link; None when the
    link is not usable (LinkUnusable's cases)."""
    with rt.db.read() as s:
        link = email_links.peek(s, email_links.PASSWORD_RESET, token, rt.clock.now())
        account = accounts_repo.get_account(s, link.account_id) if link else None
        if link is None or account is None or not _still_for(account, link.email):
            return None
        return account


def _still_for(account: Account, email: str) -> bool:
    # The address changed since the link was sent, or the account can no longer use it.
    return (account.email == email and account.email_verified and not account.disabled
            and account.pending_until is None and account.population == "citizen")


def reset_password(rt: Runtime, rules: throttling.ThrottleRules, token: str, new: str,
                   confirmation: str, notification: Notification, ip: str | None
                   ) -> Reset | list[tuple[str, str]]:
    """Set the password the link allows: the form's problems (field, message id), the link
    still usable; or the Reset done. LinkUnusable when the link is not (or no longer)."""
    account = link_account(rt, token)
    if account is None:
        raise LinkUnusable()
    ended: list[str] = []

    def with_the_change(s: Session) -> None:
        link = email_links.use(s, email_links.PASSWORD_RESET, token, rt.clock.now())
        if link is None or link.account_id != account.id:
            raise LinkUnusable()  # used by a concurrent request: the change is undone
        throttling.unlock(s, rules, account.username)
        ended.extend(sessions_repo.end_account_sessions(s, account.id))
        tokens_repo.revoke_account_grants(s, account.id, rt.clock.now())

    errors = change_password(rt, account.id, True, new, confirmation, notification, ip,
                             also=with_the_change)
    if errors:
        return errors
    rt.audit.record("password_reset.done", account_id=account.id, ip=ip,
                    sessions_ended=len(ended))
    return Reset(account, ended)
