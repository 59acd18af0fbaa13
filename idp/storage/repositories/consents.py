"""What each person agreed to (explicit mode) or was informed of (information mode), per client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import Consent
from sitekit.storage.database import json_column

if TYPE_CHECKING:
    from sitekit.storage.database import Database


@dataclass(frozen=True)
class RememberedDisclosure:
    scopes: frozenset[str]
    claims: frozenset[str]
    mode: str  # "explicit" or "information"


_REMEMBERED = "SELECT scope, claims, mode FROM consents WHERE account_id = ? AND client_id = ?"
REMEMBERED = {"sqlite": _REMEMBERED, "postgresql": _REMEMBERED.replace("?", "%s")}


def remembered_disclosure(db: Database, account_id: int, client_id: str
                          ) -> RememberedDisclosure | None:
    """By one plain read, outside any transaction (every authorization asks: issue 16)."""
    row = db.fetch_one(REMEMBERED, (account_id, client_id))
    if row is None:
        return None
    scope, claims, mode = row
    return RememberedDisclosure(frozenset(scope.split()), frozenset(json_column(claims) or ()),
                                mode)


def remember_consent(
    s: Session, account_id: int, client_id: str, scopes: set[str], now: int,
    claims: set[str] | None = None, mode: str = "explicit",
) -> None:
    """Add `scopes` and `claims` to what is remembered; a page of another mode than the one
    remembered replaces it (an information page seen is no consent, and the reverse)."""
    claims = claims or set()
    row = _consent_row(s, account_id, client_id)
    if row is None:
        # Two decisions of one person for one client may race (two tabs, two devices): on
        # PostgreSQL the second INSERT then meets the first's row once it commits. In a
        # savepoint, that is caught and the row merged as below instead of answering 500.
        try:
            with s.begin_nested():
                s.add(Consent(account_id=account_id, client_id=client_id,
                              scope=" ".join(sorted(scopes)), claims=sorted(claims), mode=mode,
                              granted_at=now))
            return
        except IntegrityError:
            row = _consent_row(s, account_id, client_id)
            if row is None:
                raise
    if row.mode != mode:
        row.scope = " ".join(sorted(scopes))
        row.claims = sorted(claims)
        row.mode = mode
        row.granted_at = now
    else:
        row.scope = " ".join(sorted(set(row.scope.split()) | scopes))
        row.claims = sorted(set(row.claims or ()) | claims)
        row.granted_at = now
    s.flush()


def _consent_row(s: Session, account_id: int, client_id: str) -> Consent | None:
    return s.scalar(
        select(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )


def withdraw_consent(s: Session, account_id: int, client_id: str) -> None:
    s.execute(
        delete(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )


def account_consents(s: Session, account_id: int) -> list[Consent]:
    """What the account agreed to or was informed of, one row per client."""
    return list(s.scalars(select(Consent).where(Consent.account_id == account_id)))
