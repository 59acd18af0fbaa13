"""Change of password by its owner (seeds 000 and 001): current password required, the new
one must follow the population's rules, differ from the last ones, and be typed twice. The
change and its confirmation e-mail are written in one transaction (the outbox delivers it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from idp.storage.repositories import passwords as passwords_repo
from sitekit.texts import N_

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.runtime import Runtime
    from idp.storage.models import Account

EMAIL_SERVES_ANOTHER = N_("Your e-mail address already serves another account to log in: a "
                          "password cannot be set for this account. Contact the assistance "
                          "desk.")


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str


def change_password(rt: Runtime, account_id: int, current_ok: bool, new: str, confirmation: str,
                    notification: Notification, ip: str | None,
                    also: Callable[[Session], None] | None = None) -> list[tuple[str, str]]:
    """(field, message id) for each problem; an empty list means the password changed.

    `also` runs in the change's transaction (a link used, sessions ended: see
    password_reset.py); an exception it raises undoes the change and reaches the caller.
    An account without a usable password (federated citizen) that gets one logs in with
    its e-mail address from then on (login_names.py), unless that serves another account.

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
    try:
        _write(rt, account, policy.history, new, notification, ip, now, also)
    except accounts_repo.LoginNameTaken:
        return [("new_password", EMAIL_SERVES_ANOTHER)]
    return []


def _write(rt: Runtime, account: Account, keep: int, new: str, notification: Notification,
           ip: str | None, now: int, also: Callable[[Session], None] | None) -> None:
    account_id = account.id
    with rt.db.transaction() as s:
        passwords_repo.change_password(s, account_id, account.password_hash,
                                       rt.passwords.hash(new), now, keep=keep)
        if not accounts_repo.logs_in_with_password(account.password_hash):
            accounts_repo.refresh_login_names(s, account_id)
        if also is not None:
            also(s)
        if account.email:
            outbox_repo.enqueue(s, "email", account.email, notification.subject,
                                notification.body, now)
        rt.audit.write(s, "password.changed", account_id=account_id, ip=ip)
