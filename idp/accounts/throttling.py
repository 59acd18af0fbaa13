"""Brute-force throttling of logins, per account and per address (OWASP ASVS 2.2.1).

Each failure is counted for the account the typed name designates, whichever of its login
names was typed and in whatever case (idp/login_names.py), or for the typed name itself when
no account has it (known or not, the answer must not reveal whether an account exists), and
for the client address. Failures slow the answer down
(`delay_for`), and past the limit the key is locked for a while; an operator can unlock
an account (`idp users unlock`).

What was typed as identifier may be anything, a password typed in the wrong field included:
it is never stored in clear (issue 10, finding 5). Throttle keys and audit events hold its
HMAC-SHA256 under the hub's identifier key (KeyStore.identifier_key, derived from the
secret-box key by HKDF), so an operator can still find the failures of a known identifier.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from idp.audit_values import IP_MAX, clean_text
from idp.login_names import normalise, throttle_name
from idp.storage.repositories import throttle as throttle_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.oidc.keys import KeyStore
    from idp.settings import Settings
    from idp.storage.models import Account
    from sitekit.storage.database import Database


@dataclass(frozen=True)
class ThrottleRules:
    account_limit: int
    address_limit: int
    window: int
    lock_for: int
    max_delay: float = 3.0
    identifier_key: bytes = field(kw_only=True, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, keys: KeyStore) -> ThrottleRules:
        return cls(settings.login_max_failures, settings.address_max_failures,
                   settings.login_failure_window, settings.login_lock_seconds,
                   settings.login_max_delay, identifier_key=keys.identifier_key)


def login_name(account: Account | None, typed: str, agent_domains: frozenset[str]) -> str:
    """The name failures are counted under: the account's identifier when the typed name
    designates one, else the typed name as an account's would be (an agent address by its
    left part)."""
    return account.username if account is not None else throttle_name(typed, agent_domains)


def identifier_digest(key: bytes, username: str) -> str:
    """HMAC-SHA256 (RFC 2104) of a login name as logins compare it (idp/login_names.py)."""
    return hmac.new(key, normalise(username)[:300].encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()


def account_key(key: bytes, username: str) -> str:
    return "account:" + identifier_digest(key, username)


def address_key(address: str | None) -> str:
    # Behind a trusted proxy the address comes from X-Forwarded-For: bounded and cleaned.
    return "address:" + clean_text(address or "unknown", IP_MAX)


def locked_until(db: Database, rules: ThrottleRules, username: str, address: str | None,
                 now: int) -> int | None:
    """When the lock on this account or address ends, if one is in force."""
    return lock_state(db, rules, username, address, now).until


@dataclass(frozen=True)
class LockState:
    until: int | None  # when the lock in force on the account or address ends
    counted: bool  # whether the account has a failure counter (a success must clear it)


def lock_state(db: Database, rules: ThrottleRules, username: str, address: str | None,
               now: int) -> LockState:
    """The locks on this account and address (one plain read)."""
    until, counted = throttle_repo.locks(db, account_key(rules.identifier_key, username),
                                         address_key(address), now)
    return LockState(until, counted)


def record_failure(db: Database, rules: ThrottleRules, username: str, address: str | None,
                   now: int) -> int:
    """Count a failure; the number of recent failures of this account."""
    with db.transaction() as s:
        account = throttle_repo.record_failure(s, account_key(rules.identifier_key, username),
                                               now, rules.window, rules.account_limit,
                                               rules.lock_for)
        throttle_repo.record_failure(s, address_key(address), now, rules.window,
                                     rules.address_limit, rules.lock_for)
        return account.failures


def record_success(db: Database, rules: ThrottleRules, username: str) -> None:
    with db.transaction() as s:
        throttle_repo.clear(s, account_key(rules.identifier_key, username))


def unlock(s: Session, rules: ThrottleRules, username: str) -> bool:
    """Lift the lock of this identifier, in the caller's transaction `s`."""
    return throttle_repo.clear(s, account_key(rules.identifier_key, username))


def delay_for(failures: int, max_delay: float = 3.0) -> float:
    """Seconds to wait before answering a failed login: 0, 1, 2, then `max_delay` at most."""
    return min(max_delay, 0.25 * 2 ** failures) if failures > 1 else 0.0
