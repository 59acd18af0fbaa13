from __future__ import annotations

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from idp.storage.models import Authenticator, RecoveryCode
from sitekit.storage.database import rowcount


def get(s: Session, account_id: int) -> Authenticator | None:
    return s.get(Authenticator, account_id)


def create(s: Session, account_id: int, secret: str, now: int, last_step: int,
           code_hashes: list[str]) -> None:
    """The authenticator and a fresh set of recovery codes (replacing any earlier ones)."""
    remove(s, account_id)
    s.add(Authenticator(account_id=account_id, secret=secret, created_at=now,
                        last_step=last_step))
    s.add_all(RecoveryCode(account_id=account_id, code_hash=h) for h in code_hashes)
    s.flush()


def accept_step(s: Session, account_id: int, step: int) -> bool:
    """Record `step` as used if no later or equal step was: one UPDATE decides, so a code is
    accepted once even by two processes at the same moment (RFC 6238 §5.2)."""
    return bool(rowcount(s.execute(
        update(Authenticator)
        .where(Authenticator.account_id == account_id,
               or_(Authenticator.last_step.is_(None), Authenticator.last_step < step))
        .values(last_step=step))))


def use_recovery_code(s: Session, account_id: int, code_hash: str, now: int) -> bool:
    return bool(rowcount(s.execute(
        update(RecoveryCode)
        .where(RecoveryCode.account_id == account_id, RecoveryCode.code_hash == code_hash,
               RecoveryCode.used_at.is_(None))
        .values(used_at=now))))


def remaining_recovery_codes(s: Session, account_id: int) -> int:
    return s.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))) or 0


def remove(s: Session, account_id: int) -> None:
    s.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
    s.execute(delete(Authenticator).where(Authenticator.account_id == account_id))
