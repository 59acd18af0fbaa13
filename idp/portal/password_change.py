"""Change of password by its owner (seeds 000 and 001): current password required, the new
one must follow the population's rules, differ from the last ones, and be typed twice. The
change and its confirmation e-mail are written in one transaction (the outbox delivers it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import passwords as passwords_repo
from sitekit.texts import N_

if TYPE_CHECKING:
    from idp.runtime import Runtime


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str


def change_password(rt: Runtime, account_id: int, current_ok: bool, new: str, confirmation: str,
                    notification: Notification, ip: str | None) -> list[tuple[str, str]]:
    """(field, message id) for each problem; an empty list means the password changed.

    `current_ok` says whether the current password was given right: the page checks it,
    throttled like the login (web/pages/reauthentication.py), or the user has just proved
    who they are otherwise (expired password at login, code by SMS).
    """
    with rt.db.read() as s:
        account = accounts_repo.get_account(s, account_id)
        if account is None or account.disabled:
            return [("", N_("Your account is not active."))]
        policy = rt.policies(account.population)
        history = passwords_repo.recent_hashes(s, account_id, policy.history)
    errors: list[tuple[str, str]] = []
    if not current_ok:
        errors.append(("current_password", N_("The current password is incorrect.")))
    errors += [("new_password", m) for m in policy.failures(new)]
    if new != confirmation:
        errors.append(("confirmation", N_("The confirmation differs from the new password.")))
    if not errors and any(rt.passwords.verify(h, new)
                          for h in [account.password_hash, *history]):
        errors.append(("new_password",
                       N_("This password was used recently: choose another one.")))
    if errors:
        rt.audit.record("password.change_refused", account_id=account_id, ip=ip)
        return errors
    now = rt.clock.now()
    with rt.db.transaction() as s:
        passwords_repo.change_password(s, account_id, account.password_hash,
                                       rt.passwords.hash(new), now, keep=policy.history)
        if account.email:
            outbox_repo.enqueue(s, "email", account.email, notification.subject,
                                notification.body, now)
        rt.audit.write(s, "password.changed", account_id=account_id, ip=ip)
    return []
