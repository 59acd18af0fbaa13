"""Forgotten password (seed 000): identifier → code by SMS → new password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.fernet import InvalidToken
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts import recovery
from idp.portal.password_change import change_password
from idp.web.cookies import set_session_cookie
from idp.web.hub import hub_of
from idp.web.pages.account import change_notification
from idp.web.pages.form_guard import form_post
from idp.web.sessions import SessionState
from sitekit.texts import N_

if TYPE_CHECKING:
    from idp.web.hub import Hub

SMS_TEXT = N_("Your code to reset your password: {code}. It is valid for 10 minutes. "
              "Never give it to anyone.")
WRONG_CODE = N_("The code is wrong or has expired. After 5 wrong codes, start again.")
RESEND_REFUSED = N_("No more codes can be sent for this request: start again.")


async def _session(request: Request) -> tuple[SessionState | None, bool]:
    hub = hub_of(request)
    session = await hub.load_session(request)
    return session, session is None


def _seal(hub: Hub, token: str) -> str:
    """The challenge token as the session keeps it: encrypted with the keys folder's secret
    box, so the session table never holds it in clear (issue 10, finding 5)."""
    return hub.rt.keys.secret_box.encrypt(token.encode()).decode()


def _challenge_token(hub: Hub, session: SessionState | None) -> str | None:
    """The token of the recovery under way in this session, if any."""
    sealed = session.data.get("recovery") if session is not None else None
    if not isinstance(sealed, str):
        return None
    try:
        return hub.rt.keys.secret_box.decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None  # written before tokens were sealed, or by another keys folder


async def start_page(request: Request) -> Response:
    hub = hub_of(request)
    session, new = await _session(request)
    if session is None:
        session = await hub.rt.blocking(hub.sessions.create)
    response = hub.pages.render(request, "recovery_start.html", csrf_token=session.csrf_token)
    if new:
        set_session_cookie(response, hub.settings, session.id)
    return response


@form_post
async def start_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    username = str(form.get("username", "")).strip()[:256]
    if not username:
        return hub.pages.render(request, "recovery_start.html", 400,
                                csrf_token=session.csrf_token, missing=True)
    text = hub.pages.catalogues.gettext(hub.pages.locale_of(request), SMS_TEXT)
    started = await hub.rt.blocking(recovery.start, hub.rt.db, hub.rt.clock, hub.rt.keys,
                                    hub.rt.audit, hub.recovery_limits, username, text,
                                    request.client.host if request.client else None)
    session.data["recovery"] = _seal(hub, started.token)
    await hub.rt.blocking(hub.sessions.save, session)
    return RedirectResponse("/mot-de-passe-oublie/code", status_code=303)


async def code_page(request: Request) -> Response:
    session, _ = await _session(request)
    if session is None or _challenge_token(hub_of(request), session) is None:
        return RedirectResponse("/mot-de-passe-oublie", status_code=303)
    return _code_form(request, session, [])


async def _challenge_admission(request: Request, session: SessionState | None
                               ) -> Response | None:
    """Only a browser with a recovery under way may post a code; others start again."""
    if _challenge_token(hub_of(request), session) is None:
        return RedirectResponse("/mot-de-passe-oublie", status_code=303)
    return None


@form_post(admit=_challenge_admission)
async def code_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    rt = hub.rt
    token = _challenge_token(hub, session)
    assert token is not None  # admitted: there is one
    if form.get("action") == "resend":
        text = hub.pages.catalogues.gettext(hub.pages.locale_of(request), SMS_TEXT)
        sent = await rt.blocking(recovery.resend, rt.db, rt.clock, rt.keys,
                                 hub.recovery_limits, token, text,
                                 request.client.host if request.client else None)
        return _code_form(request, session, [] if sent else [("code", RESEND_REFUSED)],
                          resent=sent)
    account_id = await rt.blocking(recovery.check_code, rt.db, rt.clock, rt.keys, token,
                                   str(form.get("code", "")))
    if account_id is None:
        return _code_form(request, session, [("code", WRONG_CODE)], status=400)
    account = await rt.blocking(hub.server.load_active_account, account_id)
    if account is None:
        return _code_form(request, session, [("code", WRONG_CODE)], status=400)
    notification = change_notification(request, account.username)
    errors = await rt.blocking(
        change_password, rt, account_id, True, str(form.get("new_password", "")),
        str(form.get("confirmation", "")), notification,
        request.client.host if request.client else None)
    if errors:
        return _code_form(request, session, errors, status=400, population=account.population)
    if not await rt.blocking(recovery.use_up, rt.db, rt.clock, token):
        return _code_form(request, session, [("code", WRONG_CODE)], status=400)
    session.data.pop("recovery", None)
    await rt.blocking(hub.sessions.save, session)
    return hub.pages.render(request, "password_changed.html", account=account, expires=None)


def _code_form(request: Request, session: SessionState, errors: list[tuple[str, str]],
               status: int = 200, resent: bool = False, population: str = "portal",
               ) -> Response:
    hub = hub_of(request)
    by_field: dict[str, list[str]] = {}
    for field, message in errors:
        by_field.setdefault(field, []).append(message)
    return hub.pages.render(request, "recovery_code.html", status,
                            csrf_token=session.csrf_token, errors=errors, by_field=by_field,
                            rules=[r.message for r in hub.rt.policies(population).rules],
                            resent=resent)
