from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class AuditEvent(Base):
    """One security event: login, consent, token issued/refused/revoked, logout."""

    __tablename__ = "audit_events"
    # One account's events of some kinds from a date, newest first: the person's history and
    # authorized applications (portal/history.py, portal/applications.py).
    # The chain (idp/audit_chain.py): one stream's events in order, by (stream, seq).
    __table_args__ = (Index("ix_audit_events_account_event_at", "account_id", "event", "at"),
                      Index("ix_audit_events_stream_seq", "stream", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[int] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(index=True)
    client_id: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    # The upstream identity provider (FI) the person logged in with, when federated.
    fi: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Hash chain (issue 16, item 6): the writing process's stream, the event's number in it,
    # the chain value of the event before it and its own (HMAC-SHA256, hex). None on events
    # written before the chain existed (migration 0021).
    stream: Mapped[str | None] = mapped_column(String(16))
    seq: Mapped[int | None]
    prev: Mapped[str | None] = mapped_column(String(64))
    chain: Mapped[str | None] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A stream's head (seq, chain) signed with the hub's key (idp/audit_chain.py)."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_stream_seq", "stream", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int]
    at: Mapped[int] = mapped_column(index=True)
    kid: Mapped[str] = mapped_column(String(64))
    # Compact JWS of {"stream", "seq", "chain", "at"}: what is verified (the columns are for
    # finding it).
    jws: Mapped[str] = mapped_column(String(1024))
