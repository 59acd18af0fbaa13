"""What merging a citizen's FI-created account into their own account writes
(idp/accounts/linking.py): the FI links and the history move, the FI-created account goes."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from idp.storage.models import Account, AuditEvent, BrowserSession, FederationLink
from sitekit.storage.database import rowcount


def move_links(s: Session, from_account: int, to_account: int) -> None:
    s.execute(update(FederationLink).where(FederationLink.account_id == from_account)
              .values(account_id=to_account))


def move_history(s: Session, from_account: int, to_account: int) -> None:
    """The person's logins and data transfers stay theirs (their "Historique")."""
    s.execute(update(AuditEvent).where(AuditEvent.account_id == from_account)
              .values(account_id=to_account))


def session_ids(s: Session, account_id: int) -> list[str]:
    """The OIDC session ids (`sid`) of the account's browser sessions."""
    return list(s.scalars(select(BrowserSession.sid)
                          .where(BrowserSession.account_id == account_id)))


def delete_merged_account(s: Session, account_id: int) -> None:
    """The account and, by the foreign keys' cascade, its sessions, grants (so its refresh
    and access tokens), consents, stored pairwise subjects, login names and links left."""
    s.execute(delete(Account).where(Account.id == account_id))


def delete_link(s: Session, account_id: int, link_id: int) -> bool:
    return rowcount(s.execute(delete(FederationLink).where(
        FederationLink.id == link_id, FederationLink.account_id == account_id))) == 1
