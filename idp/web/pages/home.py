"""The hub's home: the portal of a logged-in user, or the way to log in."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from idp.accounts.linking import needs_finishing
from idp.portal.home import applications_for, password_status
from idp.portal.password_reset import password_choice
from idp.web.hub import hub_of


def as_date(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d/%m/%Y")


async def home(request: Request) -> Response:
    hub = hub_of(request)
    # Seed 001: when the directory cannot be reached, StorageUnavailable becomes the
    # "Connexion à l'annuaire impossible" page (idp/web/errors.py storage_unavailable).
    session = await hub.load_session(request)
    if session is None or session.account is None:
        return hub.pages.render(request, "home.html", account=None)
    account = session.account
    apps = await hub.rt.blocking(applications_for, hub.rt.db, account)
    status = password_status(hub.rt.policies, account, hub.rt.clock.now())
    return hub.pages.render(
        request, "portal.html", account=account, csrf_token=session.csrf_token,
        applications=apps,
        expires=as_date(status.expires_at), warn_days=status.days_left if status.warn else None,
        previous_login=as_date(session.data.get("previous_login_at")),
        password=password_choice(account),
        finish_account=needs_finishing(account))
