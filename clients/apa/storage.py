"""APA's queries, named after what they ask (the only APA module besides its table models
that imports SQLAlchemy). Each takes the session of the caller's transaction or read
(`sitekit.storage.database.Database`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from clients.apa.models import Deposit, Download, ResponseFile
from sitekit.storage.database import rowcount

M = TypeVar("M")  # a mapped class


def waiting_deposits(s: Session, limit: int) -> Sequence[Deposit]:
    """The oldest deposits not yet answered."""
    return s.scalars(select(Deposit).where(Deposit.processed_at.is_(None))
                     .order_by(Deposit.deposited_at).limit(limit)).all()


def claim_deposit(s: Session, deposit_id: str, now: int) -> int:
    """Mark a deposit processed unless another process did: 1 if this call claimed it."""
    return rowcount(s.execute(update(Deposit).where(
        Deposit.id == deposit_id, Deposit.processed_at.is_(None)).values(
        processed_at=now)))


def _page(s: Session, model: type[M], where: tuple[ColumnElement[bool], ...],
          order: tuple[Any, ...], offset: int, size: int) -> tuple[int, list[M]]:
    total = s.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = s.scalars(select(model).where(*where).order_by(*order)
                     .offset(offset).limit(size)).all()
    return total, list(rows)


def available_responses(s: Session, sirets: set[str], now: int, offset: int,
                        size: int) -> tuple[int, list[ResponseFile]]:
    """(count, one page) of the unexpired response files of these SIRETs, newest first."""
    return _page(s, ResponseFile, (ResponseFile.siret.in_(sirets), ResponseFile.expires_at > now),
                 (ResponseFile.available_at.desc(), ResponseFile.name), offset, size)


def deposits_since(s: Session, sirets: set[str], since: int, offset: int,
                   size: int) -> tuple[int, list[Deposit]]:
    """(count, one page) of the deposits of these SIRETs since a time, newest first."""
    return _page(s, Deposit, (Deposit.siret.in_(sirets), Deposit.deposited_at >= since),
                 (Deposit.deposited_at.desc(),), offset, size)


def downloads_of(s: Session, sirets: set[str], offset: int, size: int,
                 ) -> tuple[int, list[Download]]:
    """(count, one page) of the withdrawals of these SIRETs, newest first."""
    return _page(s, Download, (Download.siret.in_(sirets),),
                 (Download.downloaded_at.desc(), Download.id.desc()), offset, size)


def mark_first_download(s: Session, response_id: str, now: int) -> None:
    """Record the first withdrawal's time of a response file (once)."""
    s.execute(update(ResponseFile).where(
        ResponseFile.id == response_id, ResponseFile.first_download_at.is_(None))
        .values(first_download_at=now))


def expired_responses(s: Session, now: int) -> Sequence[ResponseFile]:
    return s.scalars(select(ResponseFile).where(ResponseFile.expires_at <= now)).all()


def deposits_before(s: Session, horizon: int) -> Sequence[Deposit]:
    return s.scalars(select(Deposit).where(Deposit.deposited_at < horizon)).all()


def detach_responses(s: Session, deposit_id: str) -> None:
    """The response files of a deleted deposit stay, no longer linked to it."""
    s.execute(update(ResponseFile).where(ResponseFile.deposit_id == deposit_id)
              .values(deposit_id=None))


def delete_downloads_before(s: Session, horizon: int) -> int:
    return rowcount(s.execute(delete(Download).where(
        Download.downloaded_at < horizon)))
