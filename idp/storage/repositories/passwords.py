from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from idp.storage.models import Account, PasswordHistory


def recent_hashes(s: Session, account_id: int, count: int) -> list[str]:
    return list(s.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.account_id == account_id)
        .order_by(PasswordHistory.id.desc()).limit(count)))


def change_password(s: Session, account_id: int, old_hash: str, new_hash: str, now: int,
                    keep: int) -> None:
    """Set the new hash; the replaced one joins the history, of which the last `keep` stay."""
    s.execute(update(Account).where(Account.id == account_id)
              .values(password_hash=new_hash, password_changed_at=now))
    s.add(PasswordHistory(account_id=account_id, password_hash=old_hash, created_at=now))
    s.flush()
    kept = select(PasswordHistory.id).where(PasswordHistory.account_id == account_id).order_by(
        PasswordHistory.id.desc()).limit(keep)
    s.execute(delete(PasswordHistory).where(PasswordHistory.account_id == account_id,
                                            PasswordHistory.id.not_in(kept.scalar_subquery())))
