"""A citizen opens an account with an e-mail address and a password (seed 004 §1).

The registration creates a *pending* account (population "citizen", `pending_until` = now +
IDP_REGISTRATION_PENDING_TTL, a generated identifier `c-…`, the password hashed): it cannot
log in. An e-mail carries a single-use link (email_links.REGISTRATION, valid
IDP_REGISTRATION_LINK_TTL: one week); following it confirms the address and makes the account
usable. Within the pending month another link may be asked for (at login: the account awaits
its confirmation); after it the housekeeping deletes the pending account and the address may
register again.

The answer to the form never tells whether the address is new (seed 004 and OWASP ASVS
2.5.x, no enumeration): every case hashes the password (a decoy for those that keep none),
writes one e-mail in the outbox, and the page waits out the same floor
(IDP_REGISTRATION_ANSWER_SECONDS). The e-mail differs: a confirmation link for a new or still
pending address; for an address that already has an account, a note saying someone tried and
how to log in or reset the password; for the address of an account deleted less than a year
ago (blocked_addresses.py), the date from which it may open an account again.

A registration typed again for a pending address replaces its password: a stranger who
registered someone else's address first cannot leave a password of their own on the account
its owner later confirms (account pre-hijacking).
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from idp.accounts import blocked_addresses, email_links
from idp.storage.models import Account
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import throttle as throttle_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.accounts.passwords import Passwords
    from idp.audit import AuditLog
    from idp.clock import Clock
    from idp.oidc.keys import KeyStore
    from sitekit.storage.database import Database

CONFIRMATION_PATH = "/inscription/confirmation"
LOGIN_PATH = "/login"
# Where the owner of an address that already has an account chooses a new password: by an
# e-mail link for citizens (portal/password_reset.py), by SMS code for agents (recovery.py).
RESET_PATHS = {"citizen": "/mot-de-passe-oublie/courriel"}
RESET_PATH = "/mot-de-passe-oublie"
# Another confirmation e-mail asked from the "awaiting confirmation" page: per account, an hour.
RESENDS_PER_HOUR = 3
MAX_EMAIL = 254  # RFC 5321 §4.5.3.1.3: a path of at most 256 octets, brackets included
# RFC 5322 dot-atom, ASCII only (an internationalised address needs SMTPUTF8 all along).
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,63}")


def valid_address(raw: str) -> str | None:
    """The address typed, stripped, if it looks deliverable (ASCII, no quoting, no control
    character); None otherwise."""
    value = raw.strip()
    if len(value) > MAX_EMAIL or not _EMAIL.fullmatch(value) or ".." in value \
            or value.startswith(".") or ".@" in value:
        return None
    return value


@dataclass(frozen=True)
class Mail:
    """A subject and a body, already in the reader's language; the body's placeholders
    ({link}, {login}, {reset}, {date}) are filled here."""

    subject: str
    body: str


@dataclass(frozen=True)
class RegistrationMails:
    confirm: Mail  # {link}
    already_registered: Mail  # {login}, {reset}
    blocked: Mail  # {date}


@dataclass(frozen=True)
class Choices:
    """What the form asked besides the address and password (seed 004 §1)."""

    newsletter: bool = False
    alerts: bool = False


@dataclass(frozen=True)
class Confirmed:
    account: Account
    data: dict[str, Any]  # the link's: the authorization request to go back to ("rid")


@dataclass(frozen=True)
class Registrations:
    """The pieces of the runtime a registration needs."""

    db: Database
    clock: Clock
    keys: KeyStore
    passwords: Passwords
    audit: AuditLog
    issuer: str
    link_ttl: int  # IDP_REGISTRATION_LINK_TTL
    pending_ttl: int  # IDP_REGISTRATION_PENDING_TTL

    def register(self, email: str, password: str, choices: Choices, mails: RegistrationMails,
                 data: dict[str, Any], address: str | None) -> int | None:
        """Start a registration for `email` (valid_address) with `password` (already checked
        against the citizen policy). Returns the pending account's id when this browser's
        registration is the one a confirmation will activate, else None; what happened is
        told by e-mail only."""
        # Hashed in every case, kept only by a new or pending registration: the same work.
        password_hash = self.passwords.hash(password)
        now = self.clock.now()
        try:
            with self.db.transaction() as s:
                return self._register(s, email, password_hash, choices, mails, data, now,
                                      address)
        except (accounts_repo.LoginNameTaken, accounts_repo.DuplicateAccount):
            # A concurrent registration of the same address won; it sends the e-mail.
            return None

    def _register(self, s: Session, email: str, password_hash: str, choices: Choices,
                  mails: RegistrationMails, data: dict[str, Any], now: int,
                  address: str | None) -> int | None:
        existing = accounts_repo.find_by_login(s, email)
        if existing is not None and existing.pending_until is not None \
                and existing.pending_until <= now:
            accounts_repo.purge_expired_pending(s, now)  # its month is over: start again
            existing = None
        if existing is not None and existing.pending_until is not None:
            accounts_repo.renew_pending(s, existing.id, password_hash, now)
            self._send_link(s, existing.id, email, mails.confirm, data, now)
            self.audit.write(s, "registration.renewed", account_id=existing.id, ip=address)
            return int(existing.id)
        if existing is not None:
            login = self.issuer + LOGIN_PATH
            reset = self.issuer + RESET_PATHS.get(existing.population, RESET_PATH)
            outbox_repo.enqueue(s, "email", existing.email or email,
                                mails.already_registered.subject,
                                mails.already_registered.body.format(login=login,
                                                                     reset=reset), now)
            self.audit.write(s, "registration.existing_address", account_id=existing.id,
                             ip=address)
            return None
        until = blocked_addresses.blocked_until(s, self.keys, email, now)
        if until is not None:
            day = datetime.fromtimestamp(until, UTC).strftime("%d/%m/%Y")
            outbox_repo.enqueue(s, "email", email, mails.blocked.subject,
                                mails.blocked.body.format(date=day), now)
            self.audit.write(s, "registration.blocked_address", ip=address)
            return None
        account = accounts_repo.add_account(s, _pending_citizen(
            email, password_hash, choices, now, now + self.pending_ttl))
        self._send_link(s, account.id, email, mails.confirm, data, now)
        self.audit.write(s, "registration.started", account_id=account.id, ip=address)
        return int(account.id)

    def _send_link(self, s: Session, account_id: int, email: str, mail: Mail,
                   data: dict[str, Any], now: int) -> None:
        token = email_links.issue(s, email_links.REGISTRATION, account_id, email, now,
                                  self.link_ttl, data)
        link = email_links.url(self.issuer, CONFIRMATION_PATH, token)
        outbox_repo.enqueue(s, "email", email, mail.subject, mail.body.format(link=link), now)

    def resend(self, account_id: int, mail: Mail, data: dict[str, Any],
               address: str | None) -> bool:
        """Another confirmation e-mail for a pending account still within its month (seed
        004: "Demander l'envoi d'un autre courriel"), at most RESENDS_PER_HOUR an hour."""
        now = self.clock.now()
        with self.db.transaction() as s:
            account = accounts_repo.get_account(s, account_id)
            if account is None or account.pending_until is None \
                    or account.pending_until <= now or not account.email:
                return False
            row = throttle_repo.record_failure(s, f"registration-resend:{account_id}", now,
                                               3600, RESENDS_PER_HOUR + 1, 3600)
            if row.failures > RESENDS_PER_HOUR:
                return False
            self._send_link(s, account_id, account.email, mail, data, now)
            self.audit.write(s, "registration.resent", account_id=account_id, ip=address)
        return True

    def link_usable(self, token: str) -> bool:
        """Whether the link can still confirm (the page before the button)."""
        with self.db.read() as s:
            return email_links.peek(s, email_links.REGISTRATION, token, self.clock.now()) \
                is not None

    def confirm(self, token: str, address: str | None) -> Confirmed | None:
        """Use the link once: the pending account becomes usable, its address verified.
        None for an unknown, used or expired link, or an account no longer pending."""
        now = self.clock.now()
        with self.db.transaction() as s:
            link = email_links.use(s, email_links.REGISTRATION, token, now)
            if link is None or not accounts_repo.confirm_pending(s, link.account_id, now):
                return None
            account = accounts_repo.get_account(s, link.account_id)
            assert account is not None  # just confirmed
            self.audit.write(s, "registration.confirmed", account_id=account.id, ip=address)
            return Confirmed(account, dict(link.data))


def _pending_citizen(email: str, password_hash: str, choices: Choices, now: int,
                     pending_until: int | None) -> Account:
    return Account(
        subject=str(uuid.uuid4()),
        # Not personal: the citizen logs in with the address (seed 004: "cette adresse sera
        # l'identifiant du compte").
        username=f"c-{secrets.token_hex(10)}",
        password_hash=password_hash, population="citizen", email=email,
        email_verified=pending_until is None, groups=[], disabled=False, created_at=now,
        password_changed_at=now, pending_until=pending_until, terms_accepted_at=now,
        newsletter_since=now if choices.newsletter else None,
        alerts_since=now if choices.alerts else None)


def create_confirmed_citizen(s: Session, email: str, password_hash: str, now: int,
                             choices: Choices | None = None) -> Account:
    """A usable citizen account with a verified address and a password (already hashed),
    in the caller's transaction: for other parts that verified the address themselves.
    Raises accounts_repo.LoginNameTaken when the address is another account's login name."""
    return accounts_repo.add_account(s, _pending_citizen(email, password_hash,
                                                         choices or Choices(), now, None))
