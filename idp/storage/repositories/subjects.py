"""Pairwise subjects as first given out (OIDC Core §8.1): read back, never recomputed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import Subject
from sitekit.storage.database import Database

# The primary key (account_id, sector): one indexed read.
STORED_SUBJECT = {
    "sqlite": "SELECT sub FROM subjects WHERE account_id = ? AND sector = ?",
    "postgresql": "SELECT sub FROM subjects WHERE account_id = %s AND sector = %s",
}


def find_stored_subject(db: Database, account_id: int, sector: str) -> str | None:
    """The stored `sub`, in one round trip outside any transaction (the hot path)."""
    row = db.fetch_one(STORED_SUBJECT, (account_id, sector))
    return None if row is None else str(row[0])


def stored_subject(s: Session, account_id: int, sector: str) -> str | None:
    """The stored `sub`, read in the caller's transaction."""
    return s.scalar(select(Subject.sub).where(Subject.account_id == account_id,
                                              Subject.sector == sector))


def keep_subject(s: Session, account_id: int, sector: str, sub: str) -> str:
    """Store `sub` unless the account has one in this sector already; the one that stays.

    A concurrent first use (another process, the same account and sector) may store first:
    the savepoint keeps the caller's transaction usable and its value is returned.
    """
    try:
        with s.begin_nested():
            s.add(Subject(account_id=account_id, sector=sector, sub=sub))
    except IntegrityError:
        stored = stored_subject(s, account_id, sector)
        if stored is None:  # (sector, sub) taken by another account: a SHA-256 collision
            raise
        return stored
    return sub
