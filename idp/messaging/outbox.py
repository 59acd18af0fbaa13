"""Delivers the outbox: due messages are claimed, handed to their channel's sender, and
marked sent; a failure is retried later (30 s, doubling, at most an hour apart)."""

from __future__ import annotations

import logging

from idp.clock import Clock
from idp.messaging.senders import DeliveryError, Sender
from idp.storage.repositories import outbox as outbox_repo
from sitekit.storage.database import Database

log = logging.getLogger("idp.messaging")
LEASE = 120


def retry_delay(attempts: int) -> int:
    return int(min(3600, 30 * 2 ** max(0, attempts - 1)))


class OutboxDispatcher:
    def __init__(self, db: Database, clock: Clock, senders: dict[str, Sender]) -> None:
        self.db = db
        self.clock = clock
        self.senders = senders

    def deliver_due(self) -> int:
        """Deliver what is due now; the number of messages handed over."""
        now = self.clock.now()
        with self.db.transaction() as s:
            claimed = [(m.id, m.channel, m.recipient, m.subject, m.body, m.attempts)
                       for m in outbox_repo.claim_due(s, now, LEASE)]
        sent = 0
        for message_id, channel, recipient, subject, body, attempts in claimed:
            try:
                self.senders[channel].send(recipient, subject, body)
            except (DeliveryError, KeyError) as exc:
                log.warning("message %s not delivered: %s", message_id, exc)
                with self.db.transaction() as s:
                    outbox_repo.mark_failed(s, message_id, attempts + 1, str(exc),
                                            self.clock.now() + retry_delay(attempts + 1))
                continue
            with self.db.transaction() as s:
                outbox_repo.mark_sent(s, message_id, self.clock.now())
            sent += 1
        return sent
