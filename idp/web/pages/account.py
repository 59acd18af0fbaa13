"""The account pages of a logged-in user: change of password (more in issue 4)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.authentication import PASSWORD_AMR
from idp.accounts.errors import Locked
from idp.portal.password_change import Notification, change_password
from idp.storage.models import Account
from idp.storage.repositories.accounts import logs_in_with_password
from idp.web.hub import hub_of
from idp.web.pages.form_guard import form_post, require_login
from idp.web.pages.login_outcomes import complete_login
from idp.web.pages.reauthentication import current_password_ok, locked_out
from idp.web.sessions import SessionState
from sitekit.texts import N_

MAIL_SUBJECT = N_("Change of your personal information")
MAIL_BODY = N_(
    "Hello,\n\nA change of your personal information was made today (identifier "
    "{identifier}).\n\nIf you did not ask for it, contact the assistance desk at once.\n\n"
    "This message is sent automatically; please do not answer it."
)


def change_notification(request: Request, username: str) -> Notification:
    """The e-mail that confirms a change of personal information, in the page's language."""
    pages = hub_of(request).pages
    locale = pages.locale_of(request)
    return Notification(pages.catalogues.gettext(locale, MAIL_SUBJECT),
                        pages.catalogues.gettext(locale, MAIL_BODY).format(identifier=username))


async def password_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    if not logs_in_with_password(session.account.password_hash):
        # No password to change (federated citizen): the security page offers to set one.
        return RedirectResponse("/compte/securite", status_code=303)
    return _form(request, session, [])


@form_post(admit=require_login)
async def password_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    account = session.account
    assert account is not None  # admitted by require_login
    if not logs_in_with_password(account.password_hash):
        return RedirectResponse("/compte/securite", status_code=303)
    try:
        current_ok = await current_password_ok(request, account,
                                               str(form.get("current_password", "")))
    except Locked as locked:
        return await locked_out(request, session, locked)
    notification = change_notification(request, account.username)
    errors = await hub.rt.blocking(
        change_password, hub.rt, account.id, current_ok,
        str(form.get("new_password", "")), str(form.get("confirmation", "")), notification,
        request.client.host if request.client else None)
    if errors:
        return _form(request, session, errors, status=400)
    expires_at = hub.rt.policies(account.population).expires_at(hub.rt.clock.now())
    return hub.pages.render(request, "password_changed.html", account=account,
                            expires=_date(expires_at))


def _form(request: Request, session: SessionState, errors: list[tuple[str, str]],
          status: int = 200, account: Account | None = None, expired: bool = False) -> Response:
    hub = hub_of(request)
    account = account or session.account
    assert account is not None  # a logged-in session, or the account of an expired password
    policy = hub.rt.policies(account.population)
    by_field: dict[str, list[str]] = {}
    for field, message in errors:
        by_field.setdefault(field, []).append(message)
    return hub.pages.render(request, "password_change.html", status, account=account,
                            csrf_token=session.csrf_token, errors=errors, by_field=by_field,
                            rules=[rule.message for rule in policy.rules], expired=expired)


def _date(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d/%m/%Y")


EXPIRED_FORM_SECONDS = 600


async def expired_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    account = await _expired_account(request, session)
    if session is None or account is None:  # no account without a session
        return RedirectResponse("/login", status_code=303)
    return _form(request, session, [], account=account, expired=True)


async def _expired_admission(request: Request, session: SessionState | None) -> Response | None:
    """Only the browser whose expired password was just verified may post a new one."""
    if await _expired_account(request, session) is None:
        return RedirectResponse("/login", status_code=303)
    return None


@form_post(admit=_expired_admission)
async def expired_submit(request: Request, session: SessionState, form: FormData) -> Response:
    """The password was verified at login but has expired: a new one, then the login."""
    hub = hub_of(request)
    account = await _expired_account(request, session)
    if account is None:  # disabled since the guard admitted the form
        return RedirectResponse("/login", status_code=303)
    notification = change_notification(request, account.username)
    errors = await hub.rt.blocking(
        change_password, hub.rt, account.id, True, str(form.get("new_password", "")),
        str(form.get("confirmation", "")), notification,
        request.client.host if request.client else None)
    if errors:
        return _form(request, session, errors, status=400, account=account, expired=True)
    expired = session.data.pop("expired")
    rid = expired["rid"]
    return await complete_login(request, session, account, rid,
                                tuple(expired.get("amr", PASSWORD_AMR)))


async def _expired_account(request: Request, session: SessionState | None) -> Account | None:
    """The account whose expired password this session verified less than
    EXPIRED_FORM_SECONDS ago, if it is still active; else None."""
    hub = hub_of(request)
    expired = session.data.get("expired") if session else None
    if not expired or hub.rt.clock.now() - expired["at"] > EXPIRED_FORM_SECONDS:
        return None
    return await hub.rt.blocking(hub.server.load_active_account, expired["account_id"])
