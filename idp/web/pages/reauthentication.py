"""A password (or authenticator code) typed again on an account page — change of password,
enrolment or removal of the second factor — is checked like the login (issue 10, finding 6;
OWASP ASVS 2.2.1) by idp/accounts/authentication.py: refused while the identifier or the
address is locked, each wrong answer counted in the same per-account and per-address throttle
and slowed down the same way. When the lock falls the user is logged out (as by the logout
page: grants revoked, clients told) and told for how long logging in is blocked: the row
("account", Locked) of pages/login_outcomes.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from idp.accounts.errors import AuthenticationRefused, Locked
from idp.oidc.endpoints.backchannel_logout import deliver
from idp.storage.models import Account
from idp.web.cookies import clear_session_cookie
from idp.web.hub import hub_of
from idp.web.pages.login_outcomes import ANSWERS, message_values, slow_down
from idp.web.pages.logout import end_session_state
from idp.web.sessions import SessionState

MAX_PASSWORD = 1024


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def current_password_ok(request: Request, account: Account, password: str) -> bool:
    """Whether the password typed again is the account's: False when it is missing or wrong
    (a wrong one counted and slowed down). Raises Locked while a lock is in force, or when
    this answer set it."""
    hub = hub_of(request)
    return await _confirmed(request, hub.authentication.reauthenticate, account,
                            password[:MAX_PASSWORD], _ip(request))


async def current_code_ok(request: Request, account: Account, code: str) -> bool:
    """Whether the authenticator code typed to remove it is right: a wrong one is counted
    like a wrong code at login. Raises Locked when this answer set a lock."""
    hub = hub_of(request)
    return await _confirmed(request, hub.authentication.reconfirm_code, account, code,
                            _ip(request))


async def _confirmed(request: Request, step: Callable[..., None], *args: object) -> bool:
    try:
        await hub_of(request).rt.blocking(step, *args)
    except Locked as locked:
        await slow_down(locked)
        raise
    except AuthenticationRefused as refusal:
        await slow_down(refusal)
        return False
    return True


async def locked_out(request: Request, session: SessionState, locked: Locked) -> Response:
    """Too many wrong answers: the session ends and the page says so (429)."""
    hub = hub_of(request)
    row = ANSWERS[("account", Locked)]
    assert isinstance(row.message, Mapping)
    deliveries = await hub.rt.blocking(end_session_state, hub, session, request)
    response: Response = hub.pages.render(request, "error.html", row.status, **row.message,
                                message_values=message_values(locked))
    clear_session_cookie(response, hub.settings)
    if deliveries:
        response.background = BackgroundTask(deliver, hub.server, deliveries)
    return response
