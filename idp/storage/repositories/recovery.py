from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from idp.storage.models import RecoveryChallenge
from idp.storage.repositories.hashing import sha256_hex
from sitekit.storage.database import rowcount


def create(s: Session, token: str, account_id: int | None, code_hash: str,
           expires_at: int) -> None:
    """A challenge; `account_id` None for a decoy (unknown identifier, limit reached)."""
    s.add(RecoveryChallenge(id_hash=sha256_hex(token), account_id=account_id,
                            code_hash=code_hash, expires_at=expires_at, attempts=0, sends=1))
    s.flush()


def find(s: Session, token: str) -> RecoveryChallenge | None:
    return s.get(RecoveryChallenge, sha256_hex(token))


def count_attempt(s: Session, token: str) -> None:
    s.execute(update(RecoveryChallenge).where(RecoveryChallenge.id_hash == sha256_hex(token))
              .values(attempts=RecoveryChallenge.attempts + 1))


def consume(s: Session, token: str, now: int) -> bool:
    """Mark the challenge used, once (one UPDATE decides between concurrent submissions)."""
    return bool(rowcount(s.execute(
        update(RecoveryChallenge)
        .where(RecoveryChallenge.id_hash == sha256_hex(token),
               RecoveryChallenge.consumed_at.is_(None))
        .values(consumed_at=now))))


def renew_code(s: Session, token: str, code_hash: str, expires_at: int) -> None:
    s.execute(update(RecoveryChallenge).where(RecoveryChallenge.id_hash == sha256_hex(token))
              .values(code_hash=code_hash, expires_at=expires_at,
                      sends=RecoveryChallenge.sends + 1))


def purge_expired(s: Session, now: int) -> None:
    s.execute(delete(RecoveryChallenge).where(RecoveryChallenge.expires_at <= now))
