from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class AuditEvent(Base):
    """One security event: login, consent, token issued/refused/revoked, logout."""

    __tablename__ = "audit_events"
    # One account's events of some kinds from a date, newest first: the person's history and
    # authorized applications (portal/history.py, portal/applications.py).
    __table_args__ = (Index("ix_audit_events_account_event_at", "account_id", "event", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[int] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(index=True)
    client_id: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    # The upstream identity provider (FI) the person logged in with, when federated.
    fi: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
