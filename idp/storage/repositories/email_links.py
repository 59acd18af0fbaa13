"""Single-use links sent by e-mail: stored as SHA-256 (the token is 256 random bits), used
once by one conditional UPDATE, purged after their expiry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from idp.storage.models import EmailLink
from idp.storage.repositories.hashing import sha256_hex
from sitekit.storage.database import rowcount


def create_link(s: Session, token: str, purpose: str, account_id: int, email: str,
                data: dict[str, Any], now: int, expires_at: int) -> None:
    s.add(EmailLink(token_hash=sha256_hex(token), purpose=purpose, account_id=account_id,
                    email=email, data=data, created_at=now, expires_at=expires_at))
    s.flush()


def find_link(s: Session, token: str, purpose: str, now: int) -> EmailLink | None:
    """The link if it is for `purpose`, unused and unexpired (not consumed)."""
    link = s.get(EmailLink, sha256_hex(token))
    if link is None or link.purpose != purpose or link.used_at is not None \
            or link.expires_at <= now:
        return None
    return link


def use_link(s: Session, token: str, purpose: str, now: int) -> EmailLink | None:
    """Mark the link used and return it, once: of concurrent uses, one UPDATE wins."""
    token_hash = sha256_hex(token)
    won = rowcount(s.execute(
        update(EmailLink)
        .where(EmailLink.token_hash == token_hash, EmailLink.purpose == purpose,
               EmailLink.used_at.is_(None), EmailLink.expires_at > now)
        .values(used_at=now)))
    return s.get(EmailLink, token_hash) if won else None


def latest_link(s: Session, account_id: int, purpose: str) -> EmailLink | None:
    """The account's most recent link for `purpose`, used or not."""
    return s.scalars(select(EmailLink)
                     .where(EmailLink.account_id == account_id, EmailLink.purpose == purpose)
                     .order_by(EmailLink.created_at.desc()).limit(1)).first()


def withdraw_links(s: Session, account_id: int, purpose: str, now: int) -> int:
    """End the account's unused links for `purpose` (a new one replaces them)."""
    return rowcount(s.execute(
        update(EmailLink)
        .where(EmailLink.account_id == account_id, EmailLink.purpose == purpose,
               EmailLink.used_at.is_(None))
        .values(used_at=now)))


def purge_expired_links(s: Session, now: int) -> int:
    return rowcount(s.execute(delete(EmailLink).where(EmailLink.expires_at <= now)))
