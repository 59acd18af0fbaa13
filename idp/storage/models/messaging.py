"""The outbox: messages written in the same transaction as the change they announce, then
delivered by a background dispatcher, so a mail or SMS gateway that is down loses nothing."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # email, sms; logout, set (to relying applications: the recipient is a client_id, the
    # body the token's claims, signed at each attempt: idp/messaging/senders.py)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int]
    # Pending while sent_at is None; retried from next_attempt_at with growing delays. A
    # message given up (refused, too old) is finished too: sent_at set, reason in last_error.
    next_attempt_at: Mapped[int] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[int | None]
