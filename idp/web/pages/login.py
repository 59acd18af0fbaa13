"""The login page: the form, and its answer. Who may log in and what comes next (throttling,
password, second factor, expiry) is idp/accounts/authentication.py, run off the event loop;
what each outcome shows is the table of pages/login_outcomes.py."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from idp.federation import citizen_login
from idp.web.cookies import set_session_cookie
from idp.web.hub import Hub, hub_of
from idp.web.pages.form_guard import form_post
from idp.web.pages.login_outcomes import answer, outcome_of
from idp.web.sessions import SessionState

MAX_FIELD = 256


async def login_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    new_session = session is None
    if session is None:
        session = await hub.rt.blocking(hub.sessions.create)
    rid = request.query_params.get("rid")
    pending = session.get_pending(rid)
    login_hint, client_name, ui_locales = _pending_details(hub, pending)
    response = hub.pages.render(
        request, "login.html", ui_locales=ui_locales, csrf_token=session.csrf_token,
        rid=rid if pending else None, username=login_hint, client_name=client_name,
        federation=_picker_has_providers(hub, pending),
    )
    if new_session:
        set_session_cookie(response, hub.settings, session.id)
    return response


@form_post
async def login_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    username = str(form.get("username", "")).strip()[:MAX_FIELD]
    password = str(form.get("password", ""))[:MAX_FIELD * 4]
    rid = str(form.get("rid", "")) or None
    _, client_name, ui_locales = _pending_details(hub, session.get_pending(rid))
    ip = request.client.host if request.client else None

    def again(status: int, error: str, values: dict[str, object]) -> Response:
        page: Response = hub.pages.render(
            request, "login.html", status, ui_locales, csrf_token=session.csrf_token, rid=rid,
            username=username, error=error, error_values=values, client_name=client_name,
            federation=_picker_has_providers(hub, session.get_pending(rid)))
        return page

    result = await outcome_of(request, hub.authentication.log_in, username, password, ip)
    return await answer(request, session, "login", result, rid, again, ui_locales)


def _picker_has_providers(hub: Hub, pending: dict[str, Any] | None) -> bool:
    """Whether the picker (/connexion/choix) would show at least one FI for this request."""
    params = dict(pending["params"]) if pending else {}
    client = hub.rt.clients.get(params.get("client_id"))
    asked = citizen_login.asked_level(params.get("acr_values"), hub.settings.acr_default)
    allowed = client.allowed_providers if client else None
    return bool(citizen_login.choices(hub.rt.providers, allowed, asked))


def _pending_details(hub: Hub, pending: dict[str, Any] | None
                     ) -> tuple[str | None, str | None, str | None]:
    """(login_hint, client name, ui_locales) of the authorization request being served."""
    if not pending:
        return None, None, None
    params: dict[str, str] = dict(pending["params"])
    client = hub.rt.clients.get(params.get("client_id"))
    hint = params.get("login_hint")
    return (hint[:MAX_FIELD] if hint else None), (client.name if client else None), params.get(
        "ui_locales")
