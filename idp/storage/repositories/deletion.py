"""What the deletion of an account reads and writes (seed 004 §7; idp/portal/deletion.py):
the applications that knew the person, the account row (its data follow by the foreign
keys' ON DELETE CASCADE), what has no foreign key to it, the audit trail kept without
identity, and the inactive accounts (décret 2009-730)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from idp.storage.models import (
    Account,
    AuditEvent,
    Consent,
    Grant,
    OutboxMessage,
    SessionClient,
)
from sitekit.storage.database import rowcount

# Audit events that mean data about the person went to a client.
TRANSFER_EVENTS = ("data_transfer", "data_transfer_consent", "data_transfer_information",
                   "userinfo.released", "id_token.released", "code.issued", "token.issued")


def clients_of_account(s: Session, account_id: int) -> list[str]:
    """Every client that knew the account: a grant of any state (revoked or expired ones
    not yet purged), a consent or information page remembered, a session it was given
    tokens in, a transfer of data in the audit trail (kept 36 months). Sorted."""
    found: set[str] = set()
    found.update(s.scalars(select(Grant.client_id).where(Grant.account_id == account_id)))
    found.update(s.scalars(select(Consent.client_id).where(Consent.account_id == account_id)))
    found.update(s.scalars(select(SessionClient.client_id)
                           .where(SessionClient.account_id == account_id)))
    found.update(c for c in s.scalars(
        select(AuditEvent.client_id).distinct()
        .where(AuditEvent.account_id == account_id, AuditEvent.event.in_(TRANSFER_EVENTS)))
        if c)
    return sorted(found)


def lock_account(s: Session, account_id: int) -> Account | None:
    """The account, its row locked until the transaction ends (PostgreSQL: two deletions of
    one account wait for each other; SQLite locks the whole database on the first write)."""
    return s.scalars(select(Account).where(Account.id == account_id)
                     .with_for_update()).one_or_none()


def revoke_account_grants(s: Session, account_id: int, now: int) -> None:
    s.execute(update(Grant).where(Grant.account_id == account_id, Grant.revoked_at.is_(None))
              .values(revoked_at=now))


def delete_account(s: Session, account_id: int) -> bool:
    """The account row; the rows with a foreign key to it go with it (ON DELETE CASCADE:
    login names, sessions, grants and their codes and tokens, consents, subjects, FI links,
    password history, second factor, recovery challenges, e-mail links). `session_clients`
    has no such key: deleted here."""
    s.execute(delete(SessionClient).where(SessionClient.account_id == account_id))
    return rowcount(s.execute(delete(Account).where(Account.id == account_id))) == 1


def forget_recipient(s: Session, recipients: list[str]) -> None:
    """Messages already sent to these addresses keep no trace of them (the pending ones,
    the confirmation of the deletion included, are delivered, then purged)."""
    if recipients:
        s.execute(update(OutboxMessage).where(OutboxMessage.recipient.in_(recipients),
                                              OutboxMessage.sent_at.is_not(None))
                  .values(recipient=""))


def anonymise_audit_events(s: Session, account_id: int,
                           clean: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """The account's audit events lose what identifies the person: `account_id` and `ip`
    set to NULL, `detail` replaced by `clean(detail)`. The number of events."""
    rows = list(s.execute(select(AuditEvent.id, AuditEvent.detail)
                          .where(AuditEvent.account_id == account_id)))
    for event_id, detail in rows:
        s.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                  .values(account_id=None, ip=None, detail=clean(dict(detail or {}))))
    return len(rows)


# Inactive accounts (décret 2009-730) ---------------------------------------------------------

def _inactive_since(before: int) -> Any:
    """No login since `before` (an account never logged in counts from its creation)."""
    return or_(Account.last_login_at < before,
               and_(Account.last_login_at.is_(None), Account.created_at < before))


def accounts_to_warn(s: Session, population: str, before: int, limit: int) -> list[int]:
    """Ids of usable accounts of `population` without login since `before`, not warned."""
    return list(s.scalars(
        select(Account.id).where(Account.population == population,
                                 Account.pending_until.is_(None),
                                 Account.inactivity_warned_at.is_(None),
                                 _inactive_since(before))
        .order_by(Account.id).limit(limit)))


def mark_warned(s: Session, account_id: int, before: int, now: int) -> Account | None:
    """Set the warning's date if the account is still inactive and unwarned: one
    conditional UPDATE decides among processes; the account when this one won."""
    won = rowcount(s.execute(
        update(Account).where(Account.id == account_id,
                              Account.inactivity_warned_at.is_(None), _inactive_since(before))
        .values(inactivity_warned_at=now).execution_options(synchronize_session=False)))
    return s.get(Account, account_id) if won else None


def accounts_to_delete(s: Session, population: str, warned_before: int, limit: int
                       ) -> list[int]:
    """Ids of accounts warned before `warned_before` and without login since the warning."""
    return list(s.scalars(
        select(Account.id).where(Account.population == population,
                                 Account.inactivity_warned_at < warned_before,
                                 or_(Account.last_login_at.is_(None),
                                     Account.last_login_at < Account.inactivity_warned_at))
        .order_by(Account.id).limit(limit)))


def still_to_delete(account: Account, warned_before: int) -> bool:
    warned = account.inactivity_warned_at
    return warned is not None and warned < warned_before and (
        account.last_login_at is None or account.last_login_at < warned)


def clear_inactivity_warning(s: Session, account_id: int) -> None:
    s.execute(update(Account).where(Account.id == account_id,
                                    Account.inactivity_warned_at.is_not(None))
              .values(inactivity_warned_at=None))
