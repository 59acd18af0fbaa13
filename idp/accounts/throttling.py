"""Brute-force throttling of logins, per account and per address (OWASP ASVS 2.2.1).

Each failure is counted for the account the typed name designates, whichever of its login
names was typed and in whatever case (idp/login_names.py), or for the typed name itself when
no account has it (known or not, the answer must not reveal whether an account exists), and
for the client address. Failures slow the answer down
(`delay_for`), and past the limit the key is locked for a while; an operator can unlock
an account (`idp users unlock`).
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.login_names import normalise, throttle_name
from idp.storage.repositories import throttle as throttle_repo


@dataclass(frozen=True)
class ThrottleRules:
    account_limit: int
    address_limit: int
    window: int
    lock_for: int
    max_delay: float = 3.0


def login_name(account, typed: str, agent_domains: frozenset[str]) -> str:  # type: ignore[no-untyped-def]
    """The name failures are counted under: the account's identifier when the typed name
    designates one, else the typed name as an account's would be (an agent address by its
    left part)."""
    return account.username if account is not None else throttle_name(typed, agent_domains)


def account_key(username: str) -> str:
    return "account:" + normalise(username)[:300]


def address_key(address: str | None) -> str:
    return "address:" + (address or "unknown")


def locked_until(db, rules: ThrottleRules, username: str, address: str | None,  # type: ignore[no-untyped-def]
                 now: int) -> int | None:
    """When the lock on this account or address ends, if one is in force."""
    with db.read() as s:
        ends = [row.locked_until for key in (account_key(username), address_key(address))
                if (row := throttle_repo.get(s, key)) and row.locked_until
                and row.locked_until > now]
    return max(ends) if ends else None


def record_failure(db, rules: ThrottleRules, username: str, address: str | None,  # type: ignore[no-untyped-def]
                   now: int) -> int:
    """Count a failure; the number of recent failures of this account."""
    with db.transaction() as s:
        account = throttle_repo.record_failure(s, account_key(username), now, rules.window,
                                               rules.account_limit, rules.lock_for)
        throttle_repo.record_failure(s, address_key(address), now, rules.window,
                                     rules.address_limit, rules.lock_for)
        return account.failures


def record_success(db, username: str) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        throttle_repo.clear(s, account_key(username))


def unlock(db, username: str) -> bool:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return throttle_repo.clear(s, account_key(username))


def delay_for(failures: int, max_delay: float = 3.0) -> float:
    """Seconds to wait before answering a failed login: 0, 1, 2, then `max_delay` at most."""
    return min(max_delay, 0.25 * 2 ** failures) if failures > 1 else 0.0
