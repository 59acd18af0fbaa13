"""The portal's home (seed 001): the applications the account is entitled to, its password
expiry (warned 30 days before), and the date of its previous login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.oidc.checks.entitlement import is_entitled
from idp.storage.repositories import clients as clients_repo

if TYPE_CHECKING:
    from idp.accounts.policy import PasswordPolicies
    from idp.storage.models import Account
    from sitekit.storage.database import Database

WARN_BEFORE_EXPIRY = 30 * 86400


@dataclass(frozen=True)
class Application:
    name: str
    url: str


@dataclass(frozen=True)
class PasswordStatus:
    expires_at: int | None
    days_left: int | None

    @property
    def warn(self) -> bool:
        return self.days_left is not None and self.days_left * 86400 <= WARN_BEFORE_EXPIRY


def applications_for(db: Database, account: Account) -> list[Application]:
    """Clients with a start page that the account may use, by name."""
    with db.read() as s:
        clients = clients_repo.list_clients(s)
        apps = [Application(c.name, c.home_url) for c in clients
                if c.home_url and is_entitled(account, c.access_rule)]
    return sorted(apps, key=lambda a: a.name.lower())


def password_status(policies: PasswordPolicies, account: Account, now: int) -> PasswordStatus:
    expires_at = policies(account.population).expires_at(account.password_changed_at)
    if expires_at is None:
        return PasswordStatus(None, None)
    return PasswordStatus(expires_at, max(0, (expires_at - now) // 86400))
