"""Links between an identity provider's (FI) subject and a hub account."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import Account, FederationLink


class LinkTaken(Exception):
    """The FI's subject was linked by a concurrent first login (unique provider_id, sub)."""


def find_linked_account(s: Session, provider_id: str,
                        provider_sub: str) -> tuple[FederationLink, Account] | None:
    """The link of (provider_id, provider_sub) and its account: one indexed read."""
    row = s.execute(select(FederationLink, Account)
                    .join(Account, Account.id == FederationLink.account_id)
                    .where(FederationLink.provider_id == provider_id,
                           FederationLink.provider_sub == provider_sub)).first()
    return None if row is None else (row[0], row[1])


def record_link_use(s: Session, link_id: int, now: int) -> None:
    s.execute(update(FederationLink).where(FederationLink.id == link_id)
              .values(last_used_at=now))


def link_account(s: Session, provider_id: str, provider_sub: str, account_id: int,
                 now: int) -> None:
    """LinkTaken when a concurrent login linked this FI subject first."""
    s.add(FederationLink(provider_id=provider_id, provider_sub=provider_sub,
                         account_id=account_id, first_used_at=now, last_used_at=now))
    try:
        s.flush()
    except IntegrityError as exc:
        raise LinkTaken() from exc


def links_of_account(s: Session, account_id: int) -> list[FederationLink]:
    return list(s.scalars(select(FederationLink).where(FederationLink.account_id == account_id)
                          .order_by(FederationLink.first_used_at, FederationLink.id)))
