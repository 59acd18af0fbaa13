"""Keeping the login names (idp/login_names.py) in step with `IDP_AGENT_EMAIL_DOMAINS`.

The table ``login_names`` records the agent domains it was computed with. A hub process that
starts with other domains recomputes the agent left parts first (`follow_agent_domains`,
called from the app's lifespan, `idp db upgrade` and `idp users check-identifiers`): left
parts of domains no longer listed stop working, those of new domains start working. A left
part another account already logs in with is not given (a name is never shared, and the
account that has it keeps it); each such clash is logged as a warning and listed by
`idp users check-identifiers`, which exits with status 1 while any remains.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from idp import login_names
from idp.storage.repositories import accounts as accounts_repo
from sitekit.storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from sitekit.storage.database import Database

log = logging.getLogger("idp.login_names")


def follow_agent_domains(db: Database, setting: str) -> list[login_names.Clash]:
    """Recompute the login names when the agent domains changed since they were computed;
    the clashes under the current domains (logged)."""
    domains = login_names.parse_domains(setting)
    with db.read() as s:
        changed = accounts_repo.stored_agent_domains(s) != domains
    if not changed:
        return []
    with db.transaction() as s:
        plan = accounts_repo.reconcile_login_names(s, domains)
    log.warning("agent e-mail domains are now %r: login names recomputed (%d added, "
                "%d removed)", login_names.serialise_domains(domains), len(plan.insert),
                len(plan.delete))
    for clash in plan.clashes:
        log.warning("login name clash: %s", clash.describe())
    return plan.clashes


def follow_agent_domains_at_start(db: Database, setting: str) -> None:
    """At a hub's start. An unreachable database does not stop the start (the pages then
    say the directory is unreachable); the error says how to catch up later."""
    try:
        follow_agent_domains(db, setting)
    except StorageUnavailable as exc:
        log.error("login names not checked against IDP_AGENT_EMAIL_DOMAINS (%s): restart the "
                  "hub or run `idp users check-identifiers` once the database answers", exc)


def check(db: Database, setting: str) -> login_names.Plan:
    """Recompute every account's login names under the current domains (whether or not
    they changed): the names added and removed, and each account that lacks one of its
    names because another account has it."""
    with db.transaction() as s:
        return accounts_repo.reconcile_login_names(s, login_names.parse_domains(setting))
