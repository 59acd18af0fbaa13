"""RP-initiated logout (end_session_endpoint) and back-channel logout of the session's clients."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.oidc.endpoints.backchannel_logout import deliver, logout_deliveries
from idp.oidc.endpoints.end_session import LogoutRequest, parse_logout_request
from idp.oidc.errors import OAuth2Error
from idp.storage.repositories import tokens as tokens_repo
from idp.web.cookies import clear_session_cookie, session_id_from
from idp.web.hub import hub_of
from idp.web.messages import ERROR_MESSAGES
from idp.web.pages.form_guard import CSRF_FIELD, csrf_refusal, token_matches

if TYPE_CHECKING:
    from idp.web.hub import Hub
    from idp.web.sessions import SessionState

CARRIED = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


async def end_session(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "POST":
        params = dict((await request.form()).items())
    else:
        params = dict(request.query_params.items())
    try:
        logout = await hub.rt.blocking(parse_logout_request, hub.server, params)
    except OAuth2Error as error:
        return hub.pages.render(request, "error.html", 400, code=error.error,
                                **ERROR_MESSAGES["invalid_request"])
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    confirmed = params.get("confirm") == "1"
    # Not @form_post: an RP-initiated logout (GET or POST, OpenID Connect RP-Initiated Logout
    # 1.0 §2) comes from the client without a token; only our confirmation form carries one.
    if confirmed and (session is None or not token_matches(session, params.get(CSRF_FIELD))):
        return csrf_refusal(request)
    logged_in = session if session is not None and session.account is not None else None
    # The hinted `sub` may be a stored pairwise one: looked up off the event loop.
    if logged_in is not None and not confirmed and (
        logout.needs_confirmation
        or not await hub.rt.blocking(_hint_matches, hub, logout, logged_in)
    ):
        return hub.pages.render(
            request, "logout_confirm.html", csrf_token=logged_in.csrf_token,
            client_name=logout.client.name if logout.client else None,
            carry=[(k, params[k]) for k in CARRIED if params.get(k)],
        )
    deliveries: list[tuple[str, str, str]] = []
    if session is not None:
        deliveries = await hub.rt.blocking(end_session_state, hub, session, request)
    response: Response
    if logout.redirect_to:
        response = RedirectResponse(logout.redirect_to, status_code=303)
    else:
        response = hub.pages.render(request, "logged_out.html")
    clear_session_cookie(response, hub.settings)
    if deliveries:
        response.background = BackgroundTask(deliver, hub.server, deliveries)
    return response


def _hint_matches(hub: Hub, logout: LogoutRequest, session: SessionState) -> bool:
    hint = logout.hint or {}
    if hint.get("sid"):
        return hmac.compare_digest(str(hint["sid"]), session.sid)
    expected = (hub.server.subject_of(session.logged_in_account, logout.client)
                if logout.client else "")
    return hmac.compare_digest(str(hint.get("sub", "")), expected)


def end_session_state(hub: Hub, session: SessionState, request: Request,
                      ) -> list[tuple[str, str, str]]:
    """Delete the session, revoke what it granted, and prepare the back-channel logouts."""
    rt = hub.rt
    deliveries = logout_deliveries(hub.server, session.sid)
    with rt.db.transaction() as s:
        tokens_repo.revoke_session_grants(s, session.sid, rt.clock.now())
        if session.account is not None:
            # The session's grants are revoked: audited with the revocation.
            rt.audit.write(s, "logout", account_id=session.account.id,
                           ip=request.client.host if request.client else None, sid=session.sid)
    hub.sessions.destroy(session)
    return deliveries
