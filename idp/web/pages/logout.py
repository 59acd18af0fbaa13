"""RP-initiated logout (end_session_endpoint) and back-channel logout of the session's clients."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.oidc.endpoints.backchannel_logout import deliver, logout_deliveries
from idp.oidc.endpoints.end_session import LogoutRequest, parse_logout_request
from idp.oidc.errors import OAuth2Error
from idp.storage.repositories import tokens as tokens_repo
from idp.web.cookies import clear_session_cookie, set_session_cookie
from idp.web.hub import hub_of
from idp.web.messages import ERROR_MESSAGES
from idp.web.pages.form_guard import CSRF_FIELD, csrf_refusal, token_matches

if TYPE_CHECKING:
    from idp.web.hub import Hub
    from idp.web.sessions import SessionState

PROVIDER_LOGOUT_RETURN = "/deconnexion/retour"
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
    session = await hub.load_session(request)
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
    federated = session.data.get("federation") if session is not None else None
    if session is not None:
        deliveries = await hub.rt.blocking(end_session_state, hub, session, request)
    response: Response
    fi_logout = await _provider_logout(request, federated, logout.redirect_to)
    if fi_logout is not None:
        response = fi_logout
    elif logout.redirect_to:
        response = RedirectResponse(logout.redirect_to, status_code=303)
    else:
        response = hub.pages.render(request, "logged_out.html")
    if fi_logout is None:
        clear_session_cookie(response, hub.settings)
    if deliveries:
        response.background = BackgroundTask(deliver, hub.server, deliveries)
    return response


async def _provider_logout(request: Request, federated: dict[str, Any] | None,
                           redirect_to: str | None) -> Response | None:
    """A citizen who came through an FI is logged out there too, when the FI has an
    end_session endpoint (FEDERATION.md "Logout"); the FI sends the browser back to
    `/deconnexion/retour`, which goes on to the application. Where to go on is kept in a
    fresh anonymous session, with the `state` the FI must send back."""
    hub = hub_of(request)
    if not federated:
        return None
    provider = hub.rt.providers.get(str(federated.get("provider_id", "")))
    if provider is None:
        return None
    state = secrets.token_urlsafe(24)
    url = await hub.rt.blocking(
        hub.upstream.end_session_url, provider, str(federated.get("id_token", "")),
        hub.settings.issuer + PROVIDER_LOGOUT_RETURN, state)
    if url is None:
        return None
    hub.rt.audit.record("fi.logout_requested", fi=provider.id)
    after = await hub.rt.blocking(hub.sessions.create,
                                  {"after_logout": {"state": state, "to": redirect_to}})
    response = RedirectResponse(url, status_code=303)
    set_session_cookie(response, hub.settings, after.id)
    return response


async def provider_logout_return(request: Request) -> Response:
    """Back from the FI's end_session: on to the application's registered URI, or the
    "logged out" page. Only the state this browser was given counts."""
    hub = hub_of(request)
    session = await hub.load_session(request)
    after = session.data.get("after_logout") if session is not None else None
    presented = request.query_params.get("state", "")
    target = None
    if after and hmac.compare_digest(presented.encode(), str(after["state"]).encode()):
        target = after.get("to")
    response: Response = (RedirectResponse(target, status_code=303) if target
                          else hub.pages.render(request, "logged_out.html"))
    if session is not None:
        await hub.rt.blocking(hub.sessions.destroy, session)
    clear_session_cookie(response, hub.settings)
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
