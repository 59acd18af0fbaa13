from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from idp.storage.models import AuditEvent
from sitekit.storage.database import rowcount


def write_events(s: Session, events: list[dict[str, Any]]) -> None:
    if events:
        s.execute(insert(AuditEvent), events)


def recent_events(s: Session, limit: int = 100, event: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if event:
        query = query.where(AuditEvent.event == event)
    return list(s.scalars(query))


# The person's history (portal/history.py) and authorized applications (portal/applications.py):
# one account's events of the given kinds, by the index (account_id, event, at).

def count_account_events(s: Session, account_id: int, events: Iterable[str], since: int) -> int:
    return int(s.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
            AuditEvent.at >= since)) or 0)


def account_events(s: Session, account_id: int, events: Iterable[str], since: int,
                   offset: int, limit: int) -> list[AuditEvent]:
    """Newest first (ties by id, the order they were written)."""
    return list(s.scalars(
        select(AuditEvent).where(
            AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
            AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset).limit(limit)))


@dataclass(frozen=True)
class ClientActivity:
    client_id: str
    first_at: int
    last_at: int


def client_activity(s: Session, account_id: int, events: Iterable[str], reset_event: str
                    ) -> list[ClientActivity]:
    """Per client, the first and last of the account's `events` since its last
    `reset_event` for that client (all of them when there was none)."""
    reset = aliased(AuditEvent)
    last_reset = (select(func.max(reset.at)).where(
        reset.account_id == account_id, reset.event == reset_event,
        reset.client_id == AuditEvent.client_id).scalar_subquery())
    rows = s.execute(
        select(AuditEvent.client_id, func.min(AuditEvent.at), func.max(AuditEvent.at))
        .where(AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
               AuditEvent.client_id.is_not(None),
               AuditEvent.at > func.coalesce(last_reset, -1))
        .group_by(AuditEvent.client_id))
    return [ClientActivity(client_id, first, last) for client_id, first, last in rows
            if client_id is not None]


def latest_details(s: Session, account_id: int, client_id: str, events: Iterable[str],
                   since: int, limit: int) -> list[dict[str, Any]]:
    """The `detail` of the account's last `limit` `events` for `client_id` from `since`."""
    return [dict(detail or {}) for detail in s.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
            AuditEvent.client_id == client_id, AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc()).limit(limit))]


def purge_older_than(s: Session, before: int, limit: int) -> int:
    """Delete at most `limit` events written before `before`, oldest first (a backlog is
    cleared over several runs, none holding a long lock); how many were deleted."""
    oldest = select(AuditEvent.id).where(AuditEvent.at < before).order_by(
        AuditEvent.at).limit(limit)
    return rowcount(s.execute(delete(AuditEvent).where(
        AuditEvent.id.in_(oldest.scalar_subquery())), execution_options={
            "synchronize_session": False}))


# `idp audit list`: the operator's search of the trail, newest first.

def search_events(s: Session, *, account_id: int | None = None,
                  events: Iterable[str] = (), prefixes: Iterable[str] = (),
                  client_id: str | None = None, since: int | None = None,
                  until: int | None = None, limit: int = 50) -> list[AuditEvent]:
    """Events matching every filter given; `events` and `prefixes` together: any of those
    names, or names starting with any of those prefixes (taken literally, `_` included)."""
    query = select(AuditEvent)
    if account_id is not None:
        query = query.where(AuditEvent.account_id == account_id)
    names: list[ColumnElement[bool]] = [AuditEvent.event.in_(list(events))] if events else []
    names += [AuditEvent.event.startswith(prefix, autoescape=True) for prefix in prefixes]
    if names:
        query = query.where(or_(*names))
    if client_id is not None:
        query = query.where(AuditEvent.client_id == client_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at <= until)
    return list(s.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                          .limit(limit)))
