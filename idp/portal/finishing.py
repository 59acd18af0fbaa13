"""Finishing an account an FI login created (seed 004 §11: "il vous sera alors proposé
d'indiquer votre adresse électronique afin de finaliser la création de votre compte"): the
address given (and, if wanted, a password typed twice, citizen policy) is confirmed by a
single-use link (accounts/email_links.py ADDRESS_CONFIRMATION, IDP_REGISTRATION_LINK_TTL);
only the password's hash waits in the link. Confirming makes the address the account's
verified e-mail and sets the password, unless the address is by then another account's login
name: then the person is offered to link with that account (accounts/linking.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.accounts import email_links
from idp.accounts.linking import federated_only
from idp.portal.contact import normalise_email
from idp.portal.password_change import Notification
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import email_links as links_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import passwords as passwords_repo
from sitekit.texts import N_

if TYPE_CHECKING:
    from idp.runtime import Runtime

CONFIRM_PATH = "/compte/finaliser/confirmer"
RESEND_AFTER = 60  # seconds between two links sent for one account
MAX_PASSWORD = 1024


class AddressTaken(Exception):
    """The confirmed address is another account's login name: the person may link."""

    def __init__(self, email: str) -> None:
        super().__init__("address taken")
        self.email = email


@dataclass(frozen=True)
class Confirmed:
    account_id: int
    email: str
    with_password: bool


def request_address(rt: Runtime, account_id: int, raw_email: str, password: str,
                    confirmation: str, mail: Notification,
                    ip: str | None) -> list[tuple[str, str]]:
    """(field, message id) for each problem; none: the link was sent. `mail.body` holds
    `{link}`. The answer is the same whether the address is another account's or not (no
    enumeration): that is found out, by its owner, at the confirmation."""
    errors: list[tuple[str, str]] = []
    email = normalise_email(raw_email)
    if email is None:
        errors.append(("email", N_("Enter a valid e-mail address, such as nom@exemple.fr.")))
    password_hash: str | None = None
    if password or confirmation:
        policy = rt.policies("citizen")
        errors += [("new_password", m) for m in policy.failures(password[:MAX_PASSWORD])]
        if password != confirmation:
            errors.append(("confirmation",
                           N_("The confirmation differs from the new password.")))
        if not errors:
            password_hash = rt.passwords.hash(password)
    with rt.db.read() as s:
        account = accounts_repo.get_account(s, account_id)
    if account is None or account.disabled or not federated_only(account):
        return [("", N_("This account cannot be finished this way."))]
    if errors or email is None:
        return errors
    now = rt.clock.now()
    with rt.db.transaction() as s:
        latest = links_repo.latest_link(s, account_id, email_links.ADDRESS_CONFIRMATION)
        if latest is not None and now - latest.created_at < RESEND_AFTER:
            # Nobody's mailbox is flooded through this form.
            return [("email", N_("A link was sent less than a minute ago: wait a moment "
                                 "before asking for another one."))]
        token = email_links.issue(s, email_links.ADDRESS_CONFIRMATION, account_id, email, now,
                                  rt.settings.registration_link_ttl,
                                  {"password_hash": password_hash} if password_hash else None)
        link = email_links.url(rt.settings.issuer, CONFIRM_PATH, token)
        outbox_repo.enqueue(s, "email", email, mail.subject, mail.body.format(link=link), now)
        rt.audit.write(s, "account.address_link_sent", account_id=account_id, ip=ip,
                       with_password=password_hash is not None)
    return []


def link_is_valid(rt: Runtime, token: str) -> bool:
    """Whether the link may still be used (the page's GET: mail scanners fetch links)."""
    with rt.db.read() as s:
        return email_links.peek(s, email_links.ADDRESS_CONFIRMATION, token,
                                rt.clock.now()) is not None


def confirm_address(rt: Runtime, token: str, ip: str | None) -> Confirmed | None:
    """Use the link: None when unknown, used, expired or its account is gone or disabled.
    AddressTaken (nothing written, the link still usable) when the address is now another
    account's login name."""
    now = rt.clock.now()
    with rt.db.transaction() as s:
        link = email_links.use(s, email_links.ADDRESS_CONFIRMATION, token, now)
        account = accounts_repo.get_account(s, link.account_id) if link else None
        if link is None or account is None or account.disabled:
            return None
        holder = accounts_repo.find_by_login(s, link.email)
        if holder is not None and holder.id != account.id:
            raise AddressTaken(link.email)
        password_hash = link.data.get("password_hash")
        if password_hash and federated_only(account):
            passwords_repo.change_password(s, account.id, account.password_hash,
                                           password_hash, now,
                                           keep=rt.policies(account.population).history)
            s.refresh(account)
        try:
            accounts_repo.set_email(s, account.id, link.email)
        except accounts_repo.LoginNameTaken:
            raise AddressTaken(link.email) from None
        rt.audit.write(s, "account.address_confirmed", account_id=account.id, ip=ip,
                       with_password=bool(password_hash))
        return Confirmed(account.id, link.email, bool(password_hash))
