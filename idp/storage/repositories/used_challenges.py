"""Human-check challenges already spent: one INSERT decides among concurrent uses (the
primary key), rows purged once the challenge has expired."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import UsedChallenge
from sitekit.storage.database import rowcount


def spend(s: Session, signature: str, expires_at: int) -> bool:
    """True the first time `signature` is spent, False when it already was."""
    if s.scalar(select(UsedChallenge.signature).where(UsedChallenge.signature == signature)):
        return False
    try:
        with s.begin_nested():
            s.add(UsedChallenge(signature=signature, expires_at=expires_at))
            s.flush()
    except IntegrityError:  # a concurrent request spent it first
        return False
    return True


def purge_expired(s: Session, now: int) -> int:
    return rowcount(s.execute(delete(UsedChallenge).where(UsedChallenge.expires_at <= now)))
