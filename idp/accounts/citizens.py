"""Who the citizen is at the hub after a login through an identity provider (FI).

One person, one account: a known link (provider_id, provider_sub) names the account; else the
pivot identity's hash (idp/federation/pivot.py) finds the account of the same person known
through another FI, which gets a second link; else a citizen account is created. The unique
`identity_hash` settles two concurrent first logins of one person (the loser's transaction
is retried once and finds the winner's account).
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING

from idp.audit_values import clean_event
from idp.clock import Clock
from idp.federation.pivot import PivotIdentity, identity_hash
from idp.storage.models import Account
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import audit as audit_repo
from idp.storage.repositories import federation_links as links_repo
from sitekit.storage.database import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The pivot fields compared when an FI's answer no longer matches the linked account.
COMPARED = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")


class FederatedLoginRefused(Exception):
    """Why a citizen coming back from an FI is not let in. Each type says what happened,
    never how it is shown (the web layer maps it to its page, as login_outcomes.py does)."""


class AccountDisabled(FederatedLoginRefused):
    """The account the FI's subject or the pivot identity designates is disabled."""

    def __init__(self, account_id: int) -> None:
        super().__init__(f"account {account_id} is disabled")
        self.account_id = account_id


class IdentityChanged(FederatedLoginRefused):
    """The FI states another pivot identity for a subject already linked to an account.
    Refused rather than merged or overwritten: either the FI corrected its record (support
    checks and relinks) or someone else now answers for that subject."""

    def __init__(self, account_id: int, provider_id: str, fields: tuple[str, ...]) -> None:
        super().__init__(f"identity changed at {provider_id}: {', '.join(fields)}")
        self.account_id, self.provider_id, self.fields = account_id, provider_id, fields


def citizen_for_federated_login(db: Database, clock: Clock, provider_id: str,
                                provider_sub: str, pivot: PivotIdentity) -> int:
    """The account id of the citizen `pivot` describes, who logged in at `provider_id` as
    `provider_sub`. AccountDisabled, or IdentityChanged (recorded in the audit trail)."""
    digest = identity_hash(pivot)
    for attempt in (1, 2):
        try:
            with db.transaction() as s:
                outcome = _resolve(s, clock.now(), provider_id, provider_sub, pivot, digest)
                if isinstance(outcome, IdentityChanged):
                    # Committed, then refused: the refusal is on record.
                    audit_repo.write_events(s, [clean_event(
                        clock.now(), "federation.identity_changed", outcome.account_id, None,
                        None, {"provider": provider_id, "fields": list(outcome.fields)})])
        except (accounts_repo.IdentityTaken, links_repo.LinkTaken):
            if attempt == 2:
                raise
            continue  # a concurrent first login of this person committed first
        if isinstance(outcome, IdentityChanged):
            raise outcome
        return outcome
    raise AssertionError("unreachable")


def _resolve(s: Session, now: int, provider_id: str, provider_sub: str,
             pivot: PivotIdentity, digest: str) -> int | IdentityChanged:
    linked = links_repo.find_linked_account(s, provider_id, provider_sub)
    if linked is not None:
        link, account = linked
        if account.disabled:
            raise AccountDisabled(account.id)
        if account.identity_hash != digest:
            return IdentityChanged(account.id, provider_id, _differences(account, pivot))
        links_repo.record_link_use(s, link.id, now)
        _refresh_details(account, pivot)
        return int(account.id)
    same_person = accounts_repo.find_by_identity_hash(s, digest)
    if same_person is None:
        same_person = accounts_repo.add_citizen(s, _new_citizen(pivot, digest, now))
    elif same_person.disabled:
        raise AccountDisabled(same_person.id)
    else:
        _refresh_details(same_person, pivot)
    links_repo.link_account(s, provider_id, provider_sub, same_person.id, now)
    return int(same_person.id)


def _new_citizen(pivot: PivotIdentity, digest: str, now: int) -> Account:
    return Account(
        subject=str(uuid.uuid4()),
        # Not guessable, not personal: citizens log in through their FI, not by name.
        username=f"fc-{secrets.token_hex(10)}",
        password_hash=accounts_repo.UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(16),
        population="citizen",
        email=pivot.email,
        email_verified=pivot.email is not None,  # verified by the FI
        groups=[],
        disabled=False,
        created_at=now,
        password_changed_at=now,
        **_pivot_columns(pivot, digest),
    )


def pivot_columns(pivot: PivotIdentity) -> dict[str, str | None]:
    """The account columns that hold `pivot` (accounts_repo.PIVOT_COLUMNS)."""
    return _pivot_columns(pivot, identity_hash(pivot))


def _pivot_columns(pivot: PivotIdentity, digest: str) -> dict[str, str | None]:
    return {"given_name": pivot.given_name, "family_name": pivot.family_name,
            "usage_name": pivot.preferred_username, "birthdate": pivot.birthdate,
            "gender": pivot.gender, "birthplace": pivot.birthplace,
            "birthcountry": pivot.birthcountry, "identity_hash": digest}


def _refresh_details(account: Account, pivot: PivotIdentity) -> None:
    """What may change without changing the person: the usage name; and, for an account
    that only logs in through FIs, the e-mail address the FI verified (an account with a
    password keeps the address its login names were made from)."""
    account.usage_name = pivot.preferred_username
    if pivot.email and not accounts_repo.logs_in_with_password(account.password_hash):
        account.email, account.email_verified = pivot.email, True


def _differences(account: Account, pivot: PivotIdentity) -> tuple[str, ...]:
    """The names (never the values) of the pivot fields that differ."""
    return tuple(f for f in COMPARED if getattr(account, f) != getattr(pivot, f)) or ("hash",)
