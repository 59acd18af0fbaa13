"""The person's "Historique" (logins and data transfers) and "Applications autorisées" with
"Retirer l'accès" (seed 004 §11; the logic in portal/history.py and portal/applications.py).
Times are shown in Europe/Paris, the service's time."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.limits import is_clean_identifier
from idp.oidc.endpoints.backchannel_logout import deliver
from idp.portal.applications import (
    AuthorizedApplication,
    NotAuthorized,
    authorized_applications,
    withdraw_access,
)
from idp.portal.history import history_page
from idp.web.hub import hub_of
from idp.web.pages.form_guard import form_post, require_login
from idp.web.pages.guards import logged_in_session
from idp.web.sessions import SessionState
from sitekit.texts import N_

PARIS = ZoneInfo("Europe/Paris")
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")  # 1 to 999999: bounded before any arithmetic
FLASH = "withdrawn"  # the session's note of the application just withdrawn (shown once)
BAD_PAGE = {"title": N_("Invalid request"),
            "message": N_("This page number does not exist. Go back to the first page of your "
                          "history.")}
UNKNOWN_APPLICATION = {"title": N_("Unknown application"),
                       "message": N_("This application is not among the applications you "
                                     "authorised.")}


def moment(timestamp: int | None) -> tuple[str, str] | None:
    """(date, time) of `timestamp` in Europe/Paris."""
    if timestamp is None:
        return None
    at = datetime.fromtimestamp(timestamp, PARIS)
    return at.strftime("%d/%m/%Y"), at.strftime("%H:%M")


async def history(request: Request) -> Response:
    hub = hub_of(request)
    session = await logged_in_session(request)
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    values = request.query_params.getlist("page")
    if len(values) > 1 or (values and not PAGE_NUMBER.fullmatch(values[0])):
        return hub.pages.render(request, "error.html", 400, **BAD_PAGE)
    page = await hub.rt.blocking(
        history_page, hub.rt.db, hub.settings, _provider_name(request), session.account.id,
        hub.rt.clock.now(), int(values[0]) if values else 1)
    return hub.pages.render(request, "history.html", account=session.account, page=page,
                            moment=moment, shown_days=hub.settings.history_shown_days)


def _provider_name(request: Request) -> Callable[[str], str | None]:
    """The display name of an FI of the registry (None for one since removed)."""
    providers = hub_of(request).rt.providers

    def name(provider_id: str) -> str | None:
        provider = providers.get(provider_id)
        return provider.display_name if provider is not None else None

    return name


async def applications(request: Request) -> Response:
    hub = hub_of(request)
    session = await logged_in_session(request)
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    apps = await hub.rt.blocking(authorized_applications, hub.rt.db, session.account.id)
    withdrawn = session.data.pop(FLASH, None)
    if withdrawn is not None:
        await hub.rt.blocking(hub.sessions.save, session)
    return hub.pages.render(request, "applications.html", account=session.account,
                            applications=apps, moment=moment, withdrawn=withdrawn)


async def withdraw_page(request: Request) -> Response:
    """The confirmation step: what withdrawing does, for this application."""
    hub = hub_of(request)
    session = await logged_in_session(request)
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    values = request.query_params.getlist("application")
    app = await _own_application(request, session, values[0] if len(values) == 1 else None)
    if app is None:
        return hub.pages.render(request, "error.html", 404, **UNKNOWN_APPLICATION)
    return hub.pages.render(request, "application_withdraw.html", app=app,
                            csrf_token=session.csrf_token, moment=moment)


@form_post(admit=require_login)
async def withdraw_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    account = session.account
    assert account is not None  # admitted by require_login
    values = form.getlist("application")
    client_id = values[0] if len(values) == 1 and isinstance(values[0], str) else None
    if not is_clean_identifier(client_id):
        return hub.pages.render(request, "error.html", 400, **UNKNOWN_APPLICATION)
    try:
        withdrawal = await hub.rt.blocking(
            withdraw_access, hub.server, account.id, client_id,
            request.client.host if request.client else None)
    except NotAuthorized:
        return hub.pages.render(request, "error.html", 404, **UNKNOWN_APPLICATION)
    session.data[FLASH] = withdrawal.name
    await hub.rt.blocking(hub.sessions.save, session)
    response = RedirectResponse("/compte/applications", status_code=303)
    if withdrawal.deliveries:
        # The application ends the sessions it holds for this person, after the answer.
        response.background = BackgroundTask(deliver, hub.server, withdrawal.deliveries)
    return response


async def _own_application(request: Request, session: SessionState, client_id: str | None
                           ) -> AuthorizedApplication | None:
    """`client_id` if it is one of this account's applications, else None."""
    if not is_clean_identifier(client_id) or session.account is None:
        return None
    hub = hub_of(request)
    apps = await hub.rt.blocking(authorized_applications, hub.rt.db, session.account.id)
    return next((a for a in apps if a.client_id == client_id), None)

