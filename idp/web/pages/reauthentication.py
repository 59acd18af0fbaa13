"""A password (or authenticator code) typed again on an account page — change of password,
enrolment or removal of the second factor — is checked like the login (issue 10, finding 6;
OWASP ASVS 2.2.1): refused while the identifier or the address is locked, each wrong answer
counted in the same per-account and per-address throttle and slowed down the same way, and
when the lock falls the user is logged out (as by the logout page: grants revoked, clients
told) and told for how long logging in is blocked."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from idp.oidc.endpoints.backchannel_logout import deliver
from idp.web.cookies import clear_session_cookie
from idp.web.messages import ACCOUNT_LOCKED

MAX_PASSWORD = 1024


@dataclass(frozen=True)
class Verdict:
    ok: bool
    locked_minutes: int | None = None  # a lock is in force (or this answer set it)


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def check_current_password(request: Request, account, password: str) -> Verdict:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    from idp.web.pages.login import locked_minutes

    hub = request.app.state.hub
    rt, ip = hub.rt, _ip(request)
    minutes = await locked_minutes(hub, account.username, ip)
    if minutes is not None:
        rt.audit.record("reauthentication.locked", account_id=account.id, ip=ip)
        return Verdict(False, minutes)
    if not password:
        return Verdict(False)  # a missing answer, not a guess (as at login)
    if await rt.blocking(rt.passwords.verify, account.password_hash, password[:MAX_PASSWORD]):
        # The count is not cleared here (only a completed login clears it): a right
        # password followed by a wrong authenticator code must still add up to a lock.
        return Verdict(True)
    return await count_wrong_answer(request, account, "reauthentication.failure")


async def count_wrong_answer(request: Request, account, event: str) -> Verdict:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """A wrong password or code: counted and slowed down like a failed login."""
    from idp.web.pages.login import count_failure

    hub = request.app.state.hub
    ip = _ip(request)
    hub.rt.audit.record(event, account_id=account.id, ip=ip)
    return Verdict(False, await count_failure(hub, account.username, ip))


async def locked_out(request: Request, session, minutes: int) -> Response:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """Too many wrong answers: the session ends and the page says so (429)."""
    from idp.web.pages.logout import end_session_state

    hub = request.app.state.hub
    deliveries = await hub.rt.blocking(end_session_state, hub, session, request)
    response = hub.pages.render(request, "error.html", 429, **ACCOUNT_LOCKED,
                                message_values={"minutes": minutes})
    clear_session_cookie(response, hub.settings)
    if deliveries:
        response.background = BackgroundTask(deliver, hub.server, deliveries)
    return response
