from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from idp.storage.models import AuditEvent


def write_events(s: Session, events: list[dict[str, Any]]) -> None:
    if events:
        s.execute(insert(AuditEvent), events)


def recent_events(s: Session, limit: int = 100, event: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if event:
        query = query.where(AuditEvent.event == event)
    return list(s.scalars(query))
