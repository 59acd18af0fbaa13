"""What the browser gets for each outcome of idp/accounts/authentication.py: the one table
`ANSWERS` (form, outcome → status, page, message), read by the login form (pages/login.py),
the authenticator-code form (pages/second_factor.py) and the account pages that ask for the
password again (pages/reauthentication.py); then the steps of a verified login that touch the
browser session (second factor awaited, expired password, session rotated)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.authentication import (
    Authenticated,
    Outcome,
    PasswordExpired,
    SecondFactorRequired,
)
from idp.accounts.errors import (
    AuthenticationRefused,
    AwaitingConfirmation,
    BadCredentials,
    ExpiredPasswordNeedsAssistance,
    Locked,
    MissingCode,
    MissingCredentials,
    WrongCode,
)
from idp.oidc.assurance import acr_for
from idp.portal import devices
from idp.portal.contact import needs_mobile_reminder
from idp.storage.models import Account
from idp.web.cookies import set_session_cookie
from idp.web.hub import hub_of
from idp.web.messages import (
    ACCOUNT_LOCKED,
    AWAITING_CONFIRMATION,
    LOGIN_FAILED,
    LOGIN_LOCKED,
    LOGIN_MISSING,
    MISSING_CODE,
    PASSWORD_EXPIRED_ASSISTANCE,
    WRONG_CODE,
)
from idp.web.pages.new_device import login_device, remember_device
from idp.web.sessions import SessionState

Form = Literal["login", "code", "account"]


@dataclass(frozen=True)
class Answer:
    status: int
    template: str | None  # the page shown; None: a redirect to `location`
    # The form's error (a message id), or error.html's title and message.
    message: str | Mapping[str, str] | None = None
    location: str | None = None


SECOND_FACTOR_PAGE = "/connexion/code"
EXPIRED_PAGE = "/compte/mot-de-passe-expire"
# Back to the authorization request (its `rid`), or home without one; a portal account without
# a mobile number passes by /compte/rappel-mobile first (seed 000).
RESUME = "/authorize/resume?rid={rid}"
EXPIRED_ASSISTANCE = Answer(403, "error.html", PASSWORD_EXPIRED_ASSISTANCE)
AWAITING_PAGE = "registration_awaiting.html"

ANSWERS: dict[tuple[Form, type[Outcome | AuthenticationRefused]], Answer] = {
    # The login form (/login).
    ("login", MissingCredentials): Answer(400, "login.html", LOGIN_MISSING),
    ("login", BadCredentials): Answer(401, "login.html", LOGIN_FAILED),
    ("login", Locked): Answer(429, "login.html", LOGIN_LOCKED),
    ("login", SecondFactorRequired): Answer(303, None, location=SECOND_FACTOR_PAGE),
    ("login", PasswordExpired): Answer(303, None, location=EXPIRED_PAGE),
    ("login", ExpiredPasswordNeedsAssistance): EXPIRED_ASSISTANCE,
    ("login", Authenticated): Answer(303, None, location=RESUME),
    # A registration awaiting its e-mail confirmation, right password (seed 004 §1): its own
    # page, offering another e-mail (pages/registration.py resend).
    ("login", AwaitingConfirmation): Answer(403, AWAITING_PAGE, AWAITING_CONFIRMATION),
    # The authenticator code after the password, or to step up (/connexion/code).
    ("code", MissingCode): Answer(401, "second_factor_code.html", MISSING_CODE),
    ("code", WrongCode): Answer(401, "second_factor_code.html", WRONG_CODE),
    ("code", Locked): Answer(429, "second_factor_code.html", LOGIN_LOCKED),
    ("code", PasswordExpired): Answer(303, None, location=EXPIRED_PAGE),
    ("code", ExpiredPasswordNeedsAssistance): EXPIRED_ASSISTANCE,
    ("code", Authenticated): Answer(303, None, location=RESUME),
    # A password or code typed again on an account page: a wrong one is an error of that
    # page's form; a lock ends the session (pages/reauthentication.py locked_out).
    ("account", Locked): Answer(429, "error.html", ACCOUNT_LOCKED),
}

# The form's own page with its error: (status, message id, values of the message).
Again = Callable[[int, str, dict[str, object]], Response]


async def outcome_of(request: Request, step: Callable[..., Outcome],
                     *args: object) -> Outcome | AuthenticationRefused:
    """Run a step of idp/accounts/authentication.py off the event loop; a refusal is
    returned as a value, for `answer`."""
    try:
        return await hub_of(request).rt.blocking(step, *args)
    except AuthenticationRefused as refusal:
        return refusal


def ui_locales_of(pending: dict[str, Any] | None) -> str | None:
    """The languages asked by the authorization request being served (OIDC Core §3.1.2.1)."""
    if not pending:
        return None
    locales = dict(pending["params"]).get("ui_locales")
    return str(locales) if locales is not None else None


async def slow_down(refusal: AuthenticationRefused) -> None:
    """The throttle's slowdown of a wrong answer, without holding the event loop."""
    await asyncio.sleep(refusal.delay)


def message_values(refusal: AuthenticationRefused) -> dict[str, object]:
    return {"minutes": refusal.minutes} if isinstance(refusal, Locked) else {}


async def answer(request: Request, session: SessionState, form: Form,
                 result: Outcome | AuthenticationRefused, rid: str | None, again: Again,
                 ui_locales: str | None = None) -> Response:
    """The response to `result` of the login or code form, as ANSWERS says."""
    hub = hub_of(request)
    row = ANSWERS[(form, type(result))]
    if isinstance(result, AwaitingConfirmation):
        # Remembered for the resend form of the page (pages/registration.py resend).
        session.data["awaiting"] = {"account_id": result.account_id,
                                    "at": hub.rt.clock.now(), "rid": rid}
        await hub.rt.blocking(hub.sessions.save, session)
        shown: Response = hub.pages.render(request, AWAITING_PAGE, row.status, ui_locales,
                                           csrf_token=session.csrf_token, message=row.message)
        return shown
    if isinstance(result, AuthenticationRefused):
        await slow_down(result)
        if isinstance(row.message, Mapping):
            page: Response = hub.pages.render(request, "error.html", row.status, ui_locales,
                                              **row.message,
                                              message_values=message_values(result))
            return page
        assert row.message is not None  # every refusal on a form has its message
        return again(row.status, row.message, message_values(result))
    now = hub.rt.clock.now()
    if isinstance(result, SecondFactorRequired):
        session.data["second_factor"] = {"account_id": result.account.id, "at": now,
                                         "rid": rid}
    elif isinstance(result, PasswordExpired):
        # Verified, but not logged in until a new password is set (seed 001).
        session.data["expired"] = {"account_id": result.account.id, "at": now, "rid": rid,
                                   "amr": list(result.amr)}
    else:
        return await complete_login(request, session, result.account, rid, result.amr)
    await hub.rt.blocking(hub.sessions.save, session)
    assert row.location is not None
    return RedirectResponse(row.location, status_code=row.status)


async def complete_login(request: Request, session: SessionState, account: Account,
                         rid: str | None, amr: tuple[str, ...]) -> Response:
    """Rotate the session to the authenticated one and go back to the request (if it is
    still pending), or home."""
    hub = hub_of(request)
    pending = session.get_pending(rid)
    rid = rid if pending else None
    acr = acr_for(hub.settings, amr)
    # The session rotated and the browser noted (new-device alert) in one transaction.
    presented, mail = login_device(request)
    noted: list[tuple[str, bool]] = []
    new = await hub.rt.blocking(functools.partial(
        hub.sessions.log_in, session, account, acr, amr, within=lambda s: noted.append(
            devices.note_login_device_in(s, hub.rt, account.id, presented, mail))))
    # An event of the person's history: the application the login is for, and its level
    # (as the federated login's event, pages/federation.py).
    hub.rt.audit.record("login.success", account_id=account.id, amr=" ".join(amr), acr=acr,
                        client_id=dict(pending["params"]).get("client_id") if pending else None,
                        ip=request.client.host if request.client else None)
    target = RESUME.format(rid=rid) if rid else "/"
    if needs_mobile_reminder(account, hub.rt.clock.now()):
        target = "/compte/rappel-mobile?next=" + quote(target, safe="")
    response = RedirectResponse(target, status_code=ANSWERS[("login", Authenticated)].status)
    set_session_cookie(response, hub.settings, new.id)
    remember_device(request, response, noted[0][0])
    return response
