"""The account pages of a logged-in user: change of password (more in issue 4)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.policy import policy_for
from idp.portal.password_change import Notification, change_password
from idp.texts import N_
from idp.web.cookies import session_id_from
from idp.web.messages import ERROR_MESSAGES

MAIL_SUBJECT = N_("Change of your personal information")
MAIL_BODY = N_(
    "Hello,\n\nA change of your personal information was made today (identifier "
    "{identifier}).\n\nIf you did not ask for it, contact the assistance desk at once.\n\n"
    "This message is sent automatically; please do not answer it."
)


async def password_page(request: Request) -> Response:
    hub = request.app.state.hub
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    return _form(request, session, [])


async def password_submit(request: Request) -> Response:
    hub = request.app.state.hub
    form = await request.form()
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    if not session.csrf_valid(form.get("csrf_token")):  # type: ignore[arg-type]
        return hub.pages.render(request, "error.html", 403, **ERROR_MESSAGES["csrf"])
    account = session.account
    locale = hub.pages.locale_of(request)
    translate = hub.pages.catalogues.gettext
    notification = Notification(
        translate(locale, MAIL_SUBJECT),
        translate(locale, MAIL_BODY).format(identifier=account.username))
    errors = await hub.rt.blocking(
        change_password, hub.rt, account.id, str(form.get("current_password", "")),
        str(form.get("new_password", "")), str(form.get("confirmation", "")), notification,
        request.client.host if request.client else None)
    if errors:
        return _form(request, session, errors, status=400)
    expires_at = policy_for(account.population).expires_at(hub.rt.clock.now())
    return hub.pages.render(request, "password_changed.html", account=account,
                            expires=_date(expires_at))


def _form(request: Request, session, errors: list, status: int = 200) -> Response:  # type: ignore[no-untyped-def]
    hub = request.app.state.hub
    policy = policy_for(session.account.population)
    by_field: dict[str, list[str]] = {}
    for field, message in errors:
        by_field.setdefault(field, []).append(message)
    return hub.pages.render(request, "password_change.html", status, account=session.account,
                            csrf_token=session.csrf_token, errors=errors, by_field=by_field,
                            rules=[rule.message for rule in policy.rules])


def _date(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d/%m/%Y")
