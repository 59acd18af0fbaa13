"""The person's history (seed 004 §11: "l'historique permet à l'utilisateur de suivre toutes
les actions de connexion et d'échanges de données"; FEDERATION.md: the last 6 months shown,
event, date, application, FI, level, data sent).

Read from the audit trail (`audit_events`), by the account's index: the events of
`HISTORY_EVENTS` only — the trail's other events (refusals, tokens issued, second-factor
steps) stay for security investigations and are not shown. Data appear as their kinds in
plain words (oidc/data_kinds.py), from the claim names the events hold (never values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.oidc.assurance import acr_label
from idp.oidc.data_kinds import data_kind_labels
from idp.storage.repositories import audit as audit_repo
from idp.storage.repositories import clients as clients_repo
from sitekit.texts import N_

if TYPE_CHECKING:
    from collections.abc import Callable

    from idp.settings import Settings
    from sitekit.storage.database import Database

LOGIN = "login.success"
# Each code issued: the authorization's transfer, named after the page the person saw
# (oidc/authorization.py TRANSFER_EVENTS).
AUTHORIZATION_TRANSFERS = ("data_transfer_consent", "data_transfer_information", "data_transfer")
# The claims actually released to the application: in an ID token, at userinfo (also later,
# with a refreshed access token, without the person present).
RELEASES = ("id_token.released", "userinfo.released")
TRANSFERS = AUTHORIZATION_TRANSFERS + RELEASES
WITHDRAWN = "consent.withdrawn"

# The events shown, each with its name in the history (English message ids).
HISTORY_EVENTS: dict[str, str] = {
    LOGIN: N_("Login"),
    "data_transfer_consent": N_("Data transmitted after your consent"),
    "data_transfer_information": N_("Data transmitted after information"),
    "data_transfer": N_("Data transmitted"),
    "id_token.released": N_("Data sent with the login"),
    "userinfo.released": N_("Data read by the application"),
    WITHDRAWN: N_("Access withdrawn"),
}

PAGE_SIZE = 20
DAY = 86400


@dataclass(frozen=True)
class HistoryEntry:
    at: int
    event: str
    label: str  # message id
    client_id: str | None
    client_name: str | None  # None: no application, or one since removed (see client_id)
    provider_name: str | None  # the FI's display name (or its id, if it was removed)
    level: str | None  # message id of the level in words, or None
    data: list[str]  # message ids of the data kinds


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    number: int  # 1-based, within 1..count
    count: int  # pages, at least 1
    total: int  # entries over the shown period
    since: int  # the start of the shown period


def history_page(db: Database, settings: Settings, provider_name: Callable[[str], str | None],
                 account_id: int, now: int, page: int, size: int = PAGE_SIZE) -> HistoryPage:
    """Page `page` of the account's history over the last `history_shown_days`, newest
    first; a page past the last gives the last one."""
    since = now - settings.history_shown_days * DAY
    with db.read() as s:
        total = audit_repo.count_account_events(s, account_id, HISTORY_EVENTS, since)
        count = max(1, -(-total // size))
        number = min(max(1, page), count)
        rows = audit_repo.account_events(s, account_id, HISTORY_EVENTS, since,
                                         (number - 1) * size, size)
        clients = clients_repo.clients_by_id(s, {r.client_id for r in rows if r.client_id})
        names = {client_id: c.name for client_id, c in clients.items()}
    entries = []
    for row in rows:
        detail = row.detail or {}
        claims = detail.get("claims")
        entries.append(HistoryEntry(
            at=row.at, event=row.event, label=HISTORY_EVENTS[row.event],
            client_id=row.client_id, client_name=names.get(row.client_id or ""),
            provider_name=(provider_name(row.fi) or row.fi) if row.fi else None,
            level=acr_label(settings, _text(detail.get("acr"))),
            data=data_kind_labels(c for c in claims if isinstance(c, str))
            if isinstance(claims, list) else []))
    return HistoryPage(entries, number, count, total, since)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
