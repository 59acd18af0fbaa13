""""Mes informations personnelles" (seed 004 §8): the identity an FI transmitted is shown,
never edited here ("Vous ne pouvez pas modifier les informations personnelles qui sont
introduites par FranceConnect"); the postal address is the person's to change (the `address`
claim's components, accounts/address.py, with their bounds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.accounts import address
from idp.federation.pivot import FRANCE
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import federation_links as links_repo
from sitekit.texts import N_

if TYPE_CHECKING:
    from idp.audit import AuditLog
    from idp.storage.models import Account
    from sitekit.storage.database import Database

CIVILITY = {"female": N_("Madam"), "male": N_("Sir")}
INVALID = N_("Letters, digits, spaces and punctuation only, at most {max} characters.")
TOO_MANY_LINES = N_("At most {max} lines.")


@dataclass(frozen=True)
class Identity:
    """The pivot identity, shown read-only, and the FI that transmitted it (None: no link
    left, the identity stays with the account)."""

    provider_id: str | None
    civility: str | None
    given_name: str | None
    family_name: str | None
    usage_name: str | None
    birthdate: str | None  # DD/MM/YYYY
    birthplace: str | None  # INSEE COG code of the commune
    birthcountry: str | None  # "France" or the INSEE COG code


def identity_of(db: Database, account: Account) -> Identity | None:
    if account.identity_hash is None:
        return None
    with db.read() as s:
        links = links_repo.links_of_account(s, account.id)
    latest = max(links, key=lambda link: link.last_used_at, default=None)
    born = account.birthdate
    return Identity(
        provider_id=latest.provider_id if latest else None,
        civility=CIVILITY.get(account.gender or ""),
        given_name=account.given_name, family_name=account.family_name,
        usage_name=account.usage_name,
        birthdate=f"{born[8:10]}/{born[5:7]}/{born[0:4]}" if born and len(born) == 10 else born,
        birthplace=account.birthplace,
        birthcountry=N_("France") if account.birthcountry == FRANCE else account.birthcountry,
    )


def update_address(db: Database, audit: AuditLog, account_id: int,
                   values: dict[str, str]) -> list[tuple[str, str, dict[str, object]]]:
    """Set the postal address (every component of address.FIELDS given, "" clears one);
    (field, message id, values) for each refused component, nothing written then."""
    errors: list[tuple[str, str, dict[str, object]]] = []
    cleaned: dict[str, str | None] = {}
    for component in address.COMPONENTS:
        raw = values.get(component.field, "")
        if component.multiline and len([line for line in raw.splitlines() if line.strip()]) \
                > address.MAX_STREET_LINES:
            errors.append((component.field, TOO_MANY_LINES, {"max": address.MAX_STREET_LINES}))
            continue
        try:
            cleaned[component.field] = address.clean_component(component, raw)
        except address.InvalidText:
            errors.append((component.field, INVALID, {"max": component.max_length}))
    if errors:
        return errors
    with db.transaction() as s:
        account = accounts_repo.get_account(s, account_id)
        if account is None:
            return [("", N_("Your account is not active."), {})]
        for field, value in cleaned.items():
            setattr(account, field, value)
        audit.write(s, "account.address_changed", account_id=account_id)
    return []
