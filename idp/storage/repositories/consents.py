from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from idp.storage.models import Consent


def granted_scopes(s: Session, account_id: int, client_id: str) -> set[str]:
    row = s.scalar(
        select(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )
    return set(row.scope.split()) if row else set()


def remember_consent(
    s: Session, account_id: int, client_id: str, scopes: set[str], now: int
) -> None:
    row = s.scalar(
        select(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )
    if row is None:
        s.add(Consent(account_id=account_id, client_id=client_id, scope=" ".join(sorted(scopes)),
                      granted_at=now))
    else:
        row.scope = " ".join(sorted(set(row.scope.split()) | scopes))
        row.granted_at = now
    s.flush()


def withdraw_consent(s: Session, account_id: int, client_id: str) -> None:
    s.execute(
        delete(Consent).where(Consent.account_id == account_id, Consent.client_id == client_id)
    )
