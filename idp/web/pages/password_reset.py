"""Forgotten password by e-mail (seed 004 §5): the address → a single-use link by e-mail →
a new password (portal/password_reset.py). The SMS-code way of portal accounts stays at
/mot-de-passe-oublie (pages/recovery.py)."""

from __future__ import annotations

import re
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from idp.oidc.endpoints.backchannel_logout import deliver, logout_deliveries
from idp.portal import password_reset
from idp.portal.password_change import Notification
from idp.portal.password_reset import LinkUnusable, Reset
from idp.storage.models import Account
from idp.web.cookies import set_session_cookie
from idp.web.hub import Hub, hub_of
from idp.web.pages.account import change_notification
from idp.web.pages.form_guard import form_post
from idp.web.sessions import SessionState
from idp.web.templating import Pages
from sitekit.texts import N_

REQUEST_PATH = "/mot-de-passe-oublie/courriel"
MAIL_SUBJECT = N_("Create a new password")
MAIL_BODY = N_(
    "Hello,\n\nA new password was asked for the account of this e-mail address. To create "
    "it, open this link (valid {minutes} minutes, usable once):\n\n{url}\n\nIf you did not "
    "ask for it, ignore this message: your password stays the same.\n\nThis message is sent "
    "automatically; please do not answer it."
)
MISSING_EMAIL = N_("Enter your e-mail address.")
BAD_EMAIL = N_("Enter a valid e-mail address, for example name@example.fr.")
LINK_UNUSABLE = {
    "title": N_("This link can no longer be used"),
    "message": N_("The link to create a new password works once, for a limited time, and "
                  "only the last one sent: ask for a new one."),
}
LINK_MISSING = {
    "title": N_("Incomplete link"),
    "message": N_("The link is incomplete: copy the whole address from the e-mail, or ask for "
                  "a new one."),
}
# One @, something on each side, a dot in the domain; no space, control character, quote,
# angle bracket nor other specials of RFC 5322 §3.2.3 (a quoted local part is not taken).
_EMAIL = re.compile(r'[^@\s"<>(),;:\\\[\]]{1,64}@[^@\s"<>(),;:\\\[\]\'`]{1,252}'
                    r'\.[^@\s"<>(),;:\\\[\]\'`.]{2,63}')
MAX_TOKEN = 200


def valid_email(value: str) -> bool:
    # U+FFFD: bytes that were no UTF-8, replaced by the form parser.
    return (len(value) <= password_reset.MAX_EMAIL and value.isprintable()
            and "\ufffd" not in value and _EMAIL.fullmatch(value) is not None)


def link_mail(request: Request) -> password_reset.LinkMail:
    """The e-mail carrying the link, in the page's language."""
    pages = hub_of(request).pages
    return link_mail_in(pages, pages.locale_of(request))


def link_mail_in(pages: Pages, locale: str) -> password_reset.LinkMail:
    """The e-mail carrying the link, in `locale` (a catalogue's; another falls back)."""
    def mail(url: str, minutes: int) -> Notification:
        return Notification(pages.catalogues.gettext(locale, MAIL_SUBJECT),
                            pages.catalogues.gettext(locale, MAIL_BODY).format(
                                url=url, minutes=minutes))
    return mail


class RequestedLinks:
    """The outbox's handler of recorded forgotten-password requests (password_reset.REQUEST_JOB:
    the language in the row's subject, the request in its body)."""

    CHANNEL = password_reset.REQUEST_JOB

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def send(self, recipient: str, subject: str, body: str) -> None:
        password_reset.send_requested_link(self.hub.rt, body,
                                           link_mail_in(self.hub.pages, subject))


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _with_session(request: Request, template: str, status: int = 200,
                        **values: Any) -> Response:
    """A page with a form: the browser's session (created if it has none) for its token."""
    hub = hub_of(request)
    session = await hub.load_session(request)
    new = session is None
    if session is None:
        session = await hub.rt.blocking(hub.sessions.create)
    response: Response = hub.pages.render(request, template, status,
                                          csrf_token=session.csrf_token, **values)
    if new:
        set_session_cookie(response, hub.settings, session.id)
    return response


async def request_page(request: Request) -> Response:
    return await _with_session(request, "password_reset_request.html", email="")


@form_post
async def request_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    values = form.getlist("email")
    raw = values[0] if len(values) == 1 else ""  # none, or several: refused
    email = raw.strip() if isinstance(raw, str) else ""
    if not email or not valid_email(email):
        message = MISSING_EMAIL if not email else BAD_EMAIL
        return hub.pages.render(request, "password_reset_request.html", 400,
                                csrf_token=session.csrf_token, error=message,
                                email=email if valid_email(email[:400]) else "")
    await hub.rt.blocking(password_reset.request_link, hub.rt, hub.recovery_limits, email,
                          _ip(request), hub.pages.locale_of(request))
    # The same page, after the same work, whether or not a link goes out (no account
    # enumeration: the outbox decides, off the request path).
    return hub.pages.render(request, "password_reset_sent.html", email=email)


def _token_of(request: Request, form: FormData | None = None) -> str | None:
    raw = form.get("jeton") if form is not None else request.query_params.get("jeton")
    return raw if isinstance(raw, str) and raw else None


def _refusal(request: Request, token: str | None) -> Response:
    hub = hub_of(request)
    if token is None or len(token) > MAX_TOKEN:
        return hub.pages.render(request, "error.html", 400, **LINK_MISSING)
    return hub.pages.render(request, "error.html", 410, **LINK_UNUSABLE)


async def new_password_page(request: Request) -> Response:
    hub = hub_of(request)
    token = _token_of(request)
    account = (await hub.rt.blocking(password_reset.link_account, hub.rt, token)
               if token is not None and len(token) <= MAX_TOKEN else None)
    if token is None or account is None:
        return _refusal(request, token)
    return await _with_session(request, "password_reset_form.html", token=token,
                               account=account, **_form_values(request, account, []))


def _form_values(request: Request, account: Account, errors: list[tuple[str, str]]
                 ) -> dict[str, Any]:
    by_field: dict[str, list[str]] = {}
    for field, message in errors:
        by_field.setdefault(field, []).append(message)
    policy = hub_of(request).rt.policies(account.population)
    return {"errors": errors, "by_field": by_field,
            "rules": [rule.message for rule in policy.rules]}


@form_post
async def new_password_submit(request: Request, session: SessionState, form: FormData
                              ) -> Response:
    hub = hub_of(request)
    token = _token_of(request, form)
    if token is None or len(token) > MAX_TOKEN:
        return _refusal(request, token)
    account = await hub.rt.blocking(password_reset.link_account, hub.rt, token)
    if account is None:
        return _refusal(request, token)
    new, confirmation = form.get("new_password", ""), form.get("confirmation", "")
    try:
        result = await hub.rt.blocking(
            password_reset.reset_password, hub.rt, hub.throttle_rules, token,
            new if isinstance(new, str) else "",
            confirmation if isinstance(confirmation, str) else "",
            change_notification(request, account.email or account.username), _ip(request))
    except LinkUnusable:
        return _refusal(request, token)
    if not isinstance(result, Reset):
        return hub.pages.render(request, "password_reset_form.html", 400,
                                csrf_token=session.csrf_token, token=token, account=account,
                                **_form_values(request, account, result))
    response = hub.pages.render(request, "password_reset_done.html")
    deliveries = [d for sid in result.ended_sids
                  for d in await hub.rt.blocking(logout_deliveries, hub.server, sid)]
    if deliveries:  # the clients of the ended sessions learn of it (Back-Channel Logout §2.5)
        response.background = BackgroundTask(deliver, hub.server, deliveries)
    return response

