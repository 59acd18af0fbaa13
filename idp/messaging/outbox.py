"""Delivers the outbox: due messages are claimed, handed to their channel's sender, and
marked sent; a failure is retried later (30 s, doubling, at most an hour apart). A channel
may have a maximum age: a message still undelivered then is given up. A refusal for good
(`Refused`: a relying application's 400) stops the retries at once. Both are logged and, for
the channels to relying applications, reported (audited) with the client's id.

A job channel (`add_job`) carries work recorded by a request and done here, off the request
path (a forgotten-password request: portal/password_reset.py); what a job enqueues is
delivered in the same call."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from idp.clock import Clock
from idp.messaging.senders import DeliveryError, Refused, Sender
from idp.storage.repositories import outbox as outbox_repo
from sitekit.storage.database import Database

log = logging.getLogger("idp.messaging")
LEASE = 120

# (event, channel, recipient, reason or None): what the dispatcher tells the audit trail of a
# message to a relying application (never of an e-mail or SMS: their recipient is personal).
Report = Callable[[str, str, str, str | None], None]


def retry_delay(attempts: int) -> int:
    return int(min(3600, 30 * 2 ** max(0, attempts - 1)))


class OutboxDispatcher:
    def __init__(self, db: Database, clock: Clock, senders: dict[str, Sender],
                 max_age: Mapping[str, int] | None = None,
                 report: Report | None = None, reported: frozenset[str] = frozenset()) -> None:
        self.db = db
        self.clock = clock
        self.senders = senders
        self.max_age = dict(max_age or {})
        self.report = report
        self.reported = reported
        self.jobs: set[str] = set()

    def add_job(self, channel: str, handler: Sender) -> None:
        """Handle `channel`'s rows with `handler` (work, not messages: not counted as sent)."""
        self.senders[channel] = handler
        self.jobs.add(channel)

    def deliver_due(self) -> int:
        """Deliver what is due now, with what the due jobs enqueue; the number of messages
        handed over."""
        sent = 0
        for _ in range(3):  # a job's messages are due at once: one more round takes them
            handed, jobs_done = self._deliver_round()
            sent += handed
            if not jobs_done:
                break
        return sent

    def _deliver_round(self) -> tuple[int, bool]:
        now = self.clock.now()
        # Read first: a round with nothing due (most of them) takes no write lock.
        with self.db.read() as s:
            due = outbox_repo.due_messages(s, now)
        if not due:
            return 0, False
        with self.db.transaction() as s:
            claimed = [(m.id, m.channel, m.recipient, m.subject, m.body, m.attempts,
                        m.created_at) for m in outbox_repo.claim(s, due, now, LEASE)]
        sent = 0
        jobs_done = False
        for message_id, channel, recipient, subject, body, attempts, created_at in claimed:
            limit = self.max_age.get(channel)
            if limit is not None and self.clock.now() - created_at > limit:
                self._give_up(message_id, channel, recipient, "delivery.given_up",
                              f"undelivered after {limit} s")
                continue
            try:
                self.senders[channel].send(recipient, subject, body)
            except Refused as exc:
                log.warning("message %s refused, not tried again: %s", message_id, exc)
                self._give_up(message_id, channel, recipient, "delivery.refused", str(exc))
                continue
            except (DeliveryError, KeyError) as exc:
                log.warning("message %s not delivered: %s", message_id, exc)
                with self.db.transaction() as s:
                    outbox_repo.mark_failed(s, message_id, attempts + 1, str(exc),
                                            self.clock.now() + retry_delay(attempts + 1))
                continue
            with self.db.transaction() as s:
                outbox_repo.mark_sent(s, message_id, self.clock.now())
            self._report("delivery.acknowledged", channel, recipient, None)
            if channel in self.jobs:
                jobs_done = True
            else:
                sent += 1
        return sent, jobs_done

    def _give_up(self, message_id: int, channel: str, recipient: str, event: str,
                 reason: str) -> None:
        with self.db.transaction() as s:
            outbox_repo.mark_given_up(s, message_id, self.clock.now(), reason)
        self._report(event, channel, recipient, reason)

    def _report(self, event: str, channel: str, recipient: str, reason: str | None) -> None:
        if self.report is not None and channel in self.reported:
            self.report(event, channel, recipient, reason)
