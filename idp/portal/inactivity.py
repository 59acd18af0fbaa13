"""Inactive citizen accounts (décret 2009-730: personal data of an unused account are not
kept beyond 36 months). A periodic job of every hub process:

1. warns by e-mail each citizen account without login for `inactivity_days -
   inactivity_notice_days` (sets `inactivity_warned_at`; one conditional UPDATE per account
   decides which process sends the e-mail, written in the same transaction);
2. deletes (portal/deletion.py, reason "inactivity") those still without login
   `inactivity_notice_days` after the warning; the row is locked and checked again first.

A login clears the warning (storage/repositories/accounts.py `record_login`), so the count
starts again. An account without e-mail (created by an FI) follows the same calendar without
the e-mail: nobody can be warned, and keeping it longer would keep its data longer.
Only citizens: the other populations (portal agents, technical users) are managed by their
organisations, which disable or remove them (`idp users disable|delete`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.portal.deletion import delete_account
from idp.portal.password_change import Notification
from idp.storage.repositories import deletion as deletion_repo
from idp.storage.repositories import outbox as outbox_repo

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer
    from idp.settings import Settings
    from idp.storage.models import Account

DAY = 86400
POPULATION = "citizen"
BATCH = 100  # accounts handled per step and per run; the next run takes the rest

# (kind "warning" or "inactive_deleted" (deletion.MAILS), the account, the deletion's date
# as epoch) -> the e-mail
Texts = Callable[[str, "Account", int], Notification]


@dataclass(frozen=True)
class InactivityRules:
    warn_after: int  # seconds without login before the warning
    notice: int  # seconds between the warning and the deletion

    @classmethod
    def from_settings(cls, settings: Settings) -> InactivityRules:
        notice = settings.inactivity_notice_days * DAY
        return cls(max(0, settings.inactivity_days * DAY - notice), notice)


@dataclass(frozen=True)
class Run:
    warned: int
    deleted: int


def handle_inactive_accounts(server: HubAuthorizationServer, rules: InactivityRules,
                             texts: Texts) -> Run:
    rt = server.rt
    now = rt.clock.now()
    before = now - rules.warn_after
    warned = 0
    with rt.db.read() as s:
        candidates = deletion_repo.accounts_to_warn(s, POPULATION, before, BATCH)
    for account_id in candidates:
        with rt.db.transaction() as s:
            account = deletion_repo.mark_warned(s, account_id, before, now)
            if account is None:
                continue  # another process warned it, or it logged in meanwhile
            if account.email:
                mail = texts("warning", account, now + rules.notice)
                outbox_repo.enqueue(s, "email", account.email, mail.subject, mail.body, now)
            rt.audit.write(s, "account.inactivity_warned", account_id=account_id,
                           emailed=bool(account.email))
            warned += 1
    warned_before = now - rules.notice
    with rt.db.read() as s:
        doomed = deletion_repo.accounts_to_delete(s, POPULATION, warned_before, BATCH)
    deleted = 0
    for account_id in doomed:
        done = delete_account(
            server, account_id, reason="inactivity",
            notification=None,
            still=lambda account: deletion_repo.still_to_delete(account, warned_before),
            notify=lambda account: texts("inactive_deleted", account, now))
        deleted += done is not None
    return Run(warned, deleted)
