"""Outbox rows: written with the change they announce, claimed and marked by the dispatcher."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from idp.storage.models import OutboxMessage
from sitekit.storage.database import rowcount


def enqueue(s: Session, channel: str, recipient: str, subject: str, body: str, now: int) -> None:
    s.add(OutboxMessage(channel=channel, recipient=recipient, subject=subject, body=body,
                        created_at=now, next_attempt_at=now, attempts=0))
    s.flush()


def record_decoy(s: Session, now: int) -> None:
    """A row written like `enqueue` but born sent and empty, never delivered: the work a
    forgotten-password request does when no SMS goes out, so that case costs the same."""
    s.add(OutboxMessage(channel="none", recipient="", subject="", body="", created_at=now,
                        next_attempt_at=now, attempts=0, sent_at=now))
    s.flush()


def due_messages(s: Session, now: int, limit: int = 20) -> list[OutboxMessage]:
    """Messages due now, oldest first (read only: `claim` then leases them)."""
    return list(s.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit)))


def claim(s: Session, due: list[OutboxMessage], now: int, lease: int) -> list[OutboxMessage]:
    """The messages of `due` still due, leased to this dispatcher for `lease` seconds
    (several processes may dispatch: each row is claimed by one conditional UPDATE)."""
    claimed = []
    for message in due:
        won = rowcount(s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id,
                   OutboxMessage.next_attempt_at == message.next_attempt_at,
                   OutboxMessage.sent_at.is_(None))
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        ))
        if won:
            claimed.append(message)
    return claimed


def mark_sent(s: Session, message_id: int, now: int) -> None:
    """Sent: the text (it may hold a one-time code) is removed, only the trace stays."""
    s.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
              .values(sent_at=now, subject="", body=""))


def mark_given_up(s: Session, message_id: int, now: int, reason: str) -> None:
    """Never to be delivered (refused for good, or too old): finished like a sent message,
    its text removed, the reason kept in `last_error` until the row is purged."""
    s.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
              .values(sent_at=now, subject="", body="", last_error=reason[:500]))


def purge_sent(s: Session, before: int) -> None:
    s.execute(delete(OutboxMessage).where(OutboxMessage.sent_at.is_not(None),
                                          OutboxMessage.sent_at < before))


def mark_failed(s: Session, message_id: int, attempts: int, error: str, retry_at: int) -> None:
    s.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        attempts=attempts, last_error=error[:500], next_attempt_at=retry_at))


def messages_to(s: Session, recipient: str) -> list[OutboxMessage]:
    return list(s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                          .order_by(OutboxMessage.id)))


BACKLOG_COUNT_LIMIT = 100_000


def backlog(s: Session) -> dict[str, int]:
    """Messages not yet delivered, per channel, for the metrics (read at each scrape): counted
    over at most BACKLOG_COUNT_LIMIT rows so a huge backlog keeps the scrape cheap."""
    pending = (select(OutboxMessage.channel).where(OutboxMessage.sent_at.is_(None))
               .limit(BACKLOG_COUNT_LIMIT).subquery())
    rows = s.execute(select(pending.c.channel, func.count()).group_by(pending.c.channel))
    return {channel: int(count) for channel, count in rows}
