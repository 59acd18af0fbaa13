"""Purge of expired artefacts (codes, sessions, refresh tokens, revocations, assertion jtis,
forgotten-password challenges, sent outbox rows, stale throttle counters, e-mail links past
their expiry, addresses no longer blocked, registrations never confirmed within their month
(seed 004 §1), human-check challenges past their expiry), and the audit trail past
`history_kept_days`.

The whole audit trail follows the history's retention (36 months, FranceConnect's traces:
FEDERATION.md), not only the events the person's history shows: every event names an
account or an address, personal data kept no longer than needed (GDPR art. 5(1)(e)); 36
months is the longest period the service has a reason for (contesting a login or a data
transfer), and it covers any security investigation, which looks at far less.

Runs in a background thread of every hub process; concurrent purges from several processes
only delete the same rows, which is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.clock import Clock
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import audit as audit_repo
from idp.storage.repositories import blocked_addresses as blocked_repo
from idp.storage.repositories import email_links as links_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import recovery as recovery_repo
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories import throttle as throttle_repo
from idp.storage.repositories import tokens as tokens_repo
from idp.storage.repositories import used_challenges as used_challenges_repo
from sitekit.background import Every
from sitekit.storage.database import Database


@dataclass(frozen=True)
class Retention:
    outbox_keep: int = 7 * 86400  # sent messages (already without their text)
    throttle_window: int = 3600  # the longest window a throttle counter is kept for
    audit_keep: int = 1096 * 86400  # history_kept_days
    audit_batch: int = 10_000  # audit events deleted per run at most (a backlog takes several)


def purge_expired(db: Database, now: int, retention: Retention = Retention()) -> None:
    with db.transaction() as s:
        tokens_repo.purge_expired(s, now)
        sessions_repo.purge_expired_sessions(s, now)
        recovery_repo.purge_expired(s, now)
        outbox_repo.purge_sent(s, now - retention.outbox_keep)
        throttle_repo.purge_stale(s, now - retention.throttle_window, now)
        links_repo.purge_expired_links(s, now)
        blocked_repo.purge_unblocked(s, now)
        accounts_repo.purge_expired_pending(s, now)
        used_challenges_repo.purge_expired(s, now)
    with db.transaction() as s:
        audit_repo.purge_older_than(s, now - retention.audit_keep, retention.audit_batch)


def housekeeping(db: Database, clock: Clock, interval: float,
                 retention: Retention = Retention()) -> Every:
    """The purge, every `interval` seconds, in a background thread of each process."""
    return Every(interval, lambda: purge_expired(db, clock.now(), retention), "purge")
