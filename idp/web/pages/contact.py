"""Mobile-number reminder after login and the change of mobile number (seeds 000/001)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.portal import contact
from idp.portal.password_change import Notification
from idp.texts import N_
from idp.web.cookies import session_id_from
from idp.web.messages import ERROR_MESSAGES
from idp.web.pages.account import MAIL_BODY, MAIL_SUBJECT

SMS_TEXT = N_("Your code to confirm this mobile number: {code}. It is valid for 10 minutes.")
BAD_NUMBER = N_("Enter a French mobile number, for example 06 12 34 56 78.")
WRONG_CODE = N_("The code is wrong or has expired.")


def safe_next(value: str | None) -> str:
    """Only a path of this site: never redirect elsewhere (no open redirect)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def after_login_target(account, target: str, now: int) -> str:  # type: ignore[no-untyped-def]
    if contact.needs_mobile_reminder(account, now):
        return "/compte/rappel-mobile?next=" + quote(target, safe="")
    return target


async def _logged_in(request: Request):  # type: ignore[no-untyped-def]
    hub = request.app.state.hub
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    return session if session is not None and session.account is not None else None


async def reminder_page(request: Request) -> Response:
    hub = request.app.state.hub
    session = await _logged_in(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return hub.pages.render(request, "mobile_reminder.html", csrf_token=session.csrf_token,
                            next=safe_next(request.query_params.get("next")))


async def reminder_submit(request: Request) -> Response:
    hub = request.app.state.hub
    form = await request.form()
    session = await _logged_in(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if not session.csrf_valid(form.get("csrf_token")):  # type: ignore[arg-type]
        return hub.pages.render(request, "error.html", 403, **ERROR_MESSAGES["csrf"])
    target = safe_next(str(form.get("next", "/")))
    if form.get("action") == "silence":
        await hub.rt.blocking(contact.silence_reminder, hub.rt, session.account.id)
    return RedirectResponse(target, status_code=303)


async def mobile_page(request: Request) -> Response:
    hub = request.app.state.hub
    session = await _logged_in(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return hub.pages.render(request, "mobile_change.html", csrf_token=session.csrf_token,
                            next=safe_next(request.query_params.get("next")),
                            account=session.account)


async def mobile_submit(request: Request) -> Response:
    hub = request.app.state.hub
    form = await request.form()
    session = await _logged_in(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    if not session.csrf_valid(form.get("csrf_token")):  # type: ignore[arg-type]
        return hub.pages.render(request, "error.html", 403, **ERROR_MESSAGES["csrf"])
    target = safe_next(str(form.get("next", "/")))
    number = contact.normalise_mobile(str(form.get("mobile", "")))
    if number is None:
        return hub.pages.render(request, "mobile_change.html", 400,
                                csrf_token=session.csrf_token, next=target,
                                account=session.account, error=BAD_NUMBER)
    text = hub.pages.catalogues.gettext(hub.pages.locale_of(request), SMS_TEXT)
    state = await hub.rt.blocking(contact.send_code, hub.rt, number, text)
    session.data["mobile"] = dict(state, next=target)
    await hub.rt.blocking(hub.sessions.save, session)
    return RedirectResponse("/compte/mobile/code", status_code=303)


async def code_page(request: Request) -> Response:
    hub = request.app.state.hub
    session = await _logged_in(request)
    if session is None or "mobile" not in session.data:
        return RedirectResponse("/compte/mobile", status_code=303)
    return hub.pages.render(request, "mobile_code.html", csrf_token=session.csrf_token)


async def code_submit(request: Request) -> Response:
    hub = request.app.state.hub
    form = await request.form()
    session = await _logged_in(request)
    if session is None or "mobile" not in session.data:
        return RedirectResponse("/compte/mobile", status_code=303)
    if not session.csrf_valid(form.get("csrf_token")):  # type: ignore[arg-type]
        return hub.pages.render(request, "error.html", 403, **ERROR_MESSAGES["csrf"])
    state = session.data["mobile"]
    account = session.account
    locale = hub.pages.locale_of(request)
    notification = Notification(
        hub.pages.catalogues.gettext(locale, MAIL_SUBJECT),
        hub.pages.catalogues.gettext(locale, MAIL_BODY).format(identifier=account.username))
    confirmed = await hub.rt.blocking(contact.confirm_code, hub.rt, account, state,
                                      str(form.get("code", "")), notification)
    if not confirmed:
        await hub.rt.blocking(hub.sessions.save, session)  # the attempt counts
        return hub.pages.render(request, "mobile_code.html", 400,
                                csrf_token=session.csrf_token, error=WRONG_CODE)
    session.data.pop("mobile")
    await hub.rt.blocking(hub.sessions.save, session)
    return hub.pages.render(request, "mobile_changed.html", next=safe_next(state["next"]))
