"""Can this person in, and what happens next: the one operation behind the login form, the
authenticator code that may follow it, and a password or code typed again on an account page.

It owns every rule of a login (seed 001, issue 10): the name typed resolved to at most one
account (idp/login_names.py), the throttling locks per account and per address checked first
(throttling.py, OWASP ASVS 2.2.1), the password verified with argon2id even for an unknown or
disabled account (a decoy hash: same work, same time, same answer), its hash upgraded when
the parameters changed, the second factor asked when the account has one, and the password's
expiry (policy.py) decided once every factor is right.

Successes are returned as frozen dataclasses (`Outcome`); refusals are raised as the exception
types of errors.py, as werkzeug.exceptions does. Every method is blocking (database, argon2id)
and runs in the runtime's thread pool; a refusal's `delay` is the slowdown the caller awaits
before answering, so no thread is held while it waits. How each outcome is shown is the web
layer's table, idp/web/pages/login_outcomes.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from idp.accounts import throttling
from idp.accounts.errors import (
    AuthenticationRefused,
    AwaitingConfirmation,
    BadCredentials,
    ExpiredPasswordNeedsAssistance,
    Locked,
    MissingCode,
    MissingCredentials,
    WrongCode,
)
from idp.accounts.passwords import Passwords
from idp.accounts.policy import PasswordPolicies
from idp.accounts.throttling import ThrottleRules
from idp.audit import AuditLog
from idp.clock import Clock
from idp.storage.models import Account
from idp.storage.repositories import accounts as accounts_repo
from sitekit.storage.database import Database

# Authentication methods of a completed login (RFC 8176 §2): what idp/oidc/assurance.py
# turns into an acr level.
PASSWORD_AMR = ("pwd",)
TWO_FACTOR_AMR = ("pwd", "otp", "mfa")


@dataclass(frozen=True)
class Authenticated:
    """Every factor right and the password valid: the login may complete."""

    account: Account
    amr: tuple[str, ...]


@dataclass(frozen=True)
class SecondFactorRequired:
    """The password is right and the account has an authenticator: its code comes next
    (`Authentication.confirm_code`). The failure count is cleared only once the code is
    right too."""

    account: Account


@dataclass(frozen=True)
class PasswordExpired:
    """Every factor right but the password expired: a new one must be chosen before the
    login completes (seed 001)."""

    account: Account
    amr: tuple[str, ...]


Outcome = Authenticated | SecondFactorRequired | PasswordExpired


@dataclass(frozen=True)
class Authentication:
    """The pieces of the runtime a login needs, and nothing else."""

    db: Database
    clock: Clock
    passwords: Passwords
    policies: PasswordPolicies
    throttle: ThrottleRules
    audit: AuditLog
    agent_domains: frozenset[str]
    expired_password_action: str  # IDP_EXPIRED_PASSWORD_ACTION: "change" or "assistance"
    # accounts/second_factor.py `verify` bound to the runtime: "otp", "recovery" or None.
    verify_code: Callable[[int, str], str | None]

    def log_in(self, typed_name: str, password: str, address: str | None) -> Outcome:
        """The login form: a name (any login name of an account, in any case) and a
        password, from the client `address`."""
        if not typed_name or not password:
            raise MissingCredentials
        # Two plain reads, the account with its second factor, then the locks: the same
        # queries whether the account exists or not (issue 10, finding 4).
        now = self.clock.now()
        account, enrolled = accounts_repo.login_account(self.db, typed_name)
        # Failures count for the account the name designates, whichever of its names was
        # typed, or for the name itself when no account has it.
        name = throttling.login_name(account, typed_name, self.agent_domains)
        locks = throttling.lock_state(self.db, self.throttle, name, address, now)
        if locks.until is not None:
            self._refuse_locked(locks.until, now, "login.locked", address,
                                identifier_hmac=self._digest(name))
        # Verify even for an unknown or disabled account: same work, same time, same answer.
        ok = self.passwords.verify(account.password_hash if account else None, password)
        # A registration past its month is as good as deleted (the purge removes it).
        pending_until = account.pending_until if account is not None else None
        lapsed = pending_until is not None and pending_until <= self.clock.now()
        if not ok or account is None or account.disabled or lapsed:
            self.audit.record("login.failure", ip=address, identifier_hmac=self._digest(name))
            self._count_failure(name, address, BadCredentials)
        if pending_until is not None:
            # A registration not confirmed yet (seed 004 §1): no login, another e-mail offered.
            self.audit.record("login.awaiting_confirmation", account_id=account.id, ip=address)
            raise AwaitingConfirmation(account.id)
        if self.passwords.needs_rehash(account.password_hash):
            with self.db.transaction() as s:
                accounts_repo.set_password_hash(s, account.id, self.passwords.hash(password))
        if enrolled:
            return SecondFactorRequired(account)
        if locks.counted:  # nothing to clear otherwise (a failure counted since stays)
            throttling.record_success(self.db, self.throttle, name)
        return self._after_every_factor(account, PASSWORD_AMR, address)

    def confirm_code(self, account: Account, code: str,
                     address: str | None) -> Authenticated | PasswordExpired:
        """The authenticator (or recovery) code after the password, or to step up a
        logged-in session: counted in the same throttle as the password."""
        self._refuse_if_locked(account.username, address, "login.locked",
                               account_id=account.id)
        kind = self.verify_code(account.id, code) if code else None
        if kind is None:
            self.audit.record("login.second_factor_failure", account_id=account.id,
                              ip=address)
            self._count_failure(account.username, address, WrongCode if code else MissingCode)
        throttling.record_success(self.db, self.throttle, account.username)
        self.audit.record("login.second_factor", account_id=account.id, ip=address,
                          method=kind)
        return self._after_every_factor(account, TWO_FACTOR_AMR, address)

    def reauthenticate(self, account: Account, password: str, address: str | None) -> None:
        """The password of a logged-in user typed again on an account page (issue 10,
        finding 6): refused while locked, a wrong one counted as at login. Returns when it
        is right. The count is not cleared (only a completed login clears it): a right
        password followed by a wrong authenticator code must still add up to a lock."""
        self._refuse_if_locked(account.username, address, "reauthentication.locked",
                               account_id=account.id)
        if not password:
            raise MissingCredentials  # a missing answer, not a guess (as at login)
        if not self.passwords.verify(account.password_hash, password):
            self.audit.record("reauthentication.failure", account_id=account.id, ip=address)
            self._count_failure(account.username, address, BadCredentials)

    def reconfirm_code(self, account: Account, code: str, address: str | None,
                       event: str = "second_factor.removal_failure") -> None:
        """The authenticator code of a logged-in user typed again on an account page (to
        remove it): a wrong one is counted like a wrong code at login, and audited as
        `event`. Returns when it is right."""
        if self.verify_code(account.id, code) is None:
            self.audit.record(event, account_id=account.id, ip=address)
            self._count_failure(account.username, address, WrongCode if code else MissingCode)

    # -- The rules each step shares -----------------------------------------------------------

    def _refuse_if_locked(self, name: str, address: str | None, event: str,
                          **who: Any) -> None:
        """Raise Locked, with the minutes left, while this name or address is locked."""
        now = self.clock.now()
        until = throttling.locked_until(self.db, self.throttle, name, address, now)
        if until is not None:
            self._refuse_locked(until, now, event, address, **who)

    def _refuse_locked(self, until: int, now: int, event: str, address: str | None,
                       **who: Any) -> NoReturn:
        self.audit.record(event, ip=address, **who)
        raise Locked(max(1, -(-(until - now) // 60)))

    def _count_failure(self, name: str, address: str | None,
                       refusal: type[AuthenticationRefused]) -> NoReturn:
        """Count a wrong answer and raise `refusal`, slowed down by the failures so far; or
        Locked when this one reached the limit."""
        rules = self.throttle
        failures = throttling.record_failure(self.db, rules, name, address, self.clock.now())
        delay = throttling.delay_for(failures, rules.max_delay)
        if failures >= rules.account_limit:
            raise Locked(max(1, rules.lock_for // 60), delay=delay)
        raise refusal(delay=delay)

    def _after_every_factor(self, account: Account, amr: tuple[str, ...],
                            address: str | None) -> Authenticated | PasswordExpired:
        """Every factor right: a new password first if it expired, else the login."""
        now = self.clock.now()
        expires_at = self.policies(account.population).expires_at(account.password_changed_at)
        if expires_at is None or expires_at > now:
            return Authenticated(account, amr)
        self.audit.record("login.password_expired", account_id=account.id, ip=address)
        if self.expired_password_action == "assistance":
            raise ExpiredPasswordNeedsAssistance
        return PasswordExpired(account, amr)

    def _digest(self, name: str) -> str:
        """What the audit trail keeps of a typed identifier: never the text, which may be a
        password typed in the wrong field (issue 10, finding 5), but its keyed hash."""
        return throttling.identifier_digest(self.throttle.identifier_key, name)
