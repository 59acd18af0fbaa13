"""Authorization endpoint pages: start, resume after login, consent decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.oidc.authorization import ErrorPage, Outcome, RedirectToClient, decide
from idp.oidc.checks import Authn, NeedConsent, NeedLogin, Refuse
from idp.oidc.data_kinds import data_kind_labels
from idp.oidc.server import HubOAuth2Request, read_oauth2_request
from idp.web.cookies import session_id_from, set_session_cookie
from idp.web.hub import hub_of
from idp.web.messages import ERROR_MESSAGES
from idp.web.pages.form_guard import form_post
from idp.web.sessions import SessionState

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.web.hub import Hub


async def authorize(request: Request) -> Response:
    hub = hub_of(request)
    oauth_request = await read_oauth2_request(request, hub.settings.issuer)
    session_id = session_id_from(request, hub.settings)
    started_at = hub.rt.clock.now()

    def load_and_decide() -> tuple[SessionState | None, Outcome]:
        # One trip to the thread pool for the session and the decision.
        session = hub.sessions.load(session_id)
        return session, decide(hub.server, oauth_request,
                               session.authn if session else _anonymous(), started_at)

    session, outcome = await hub.rt.blocking(load_and_decide)
    return await _respond(request, outcome, oauth_request, session, started_at, rid=None)


async def resume(request: Request) -> Response:
    """Back from the login page: the stored request is decided again, now with a user."""
    hub = hub_of(request)
    session_id = session_id_from(request, hub.settings)
    rid = request.query_params.get("rid")

    def load_and_decide() -> tuple[SessionState, dict[str, Any], HubOAuth2Request,
                                   Outcome] | None:
        # One trip to the thread pool for the session and the decision.
        session = hub.sessions.load(session_id)
        pending = session.get_pending(rid) if session else None
        if session is None or pending is None or rid is None:
            return None
        oauth_request = _stored_request(hub, request, pending)
        _leave_with_code(hub, oauth_request, session, rid)
        # Answered otherwise (an error sent back to the client): `_respond` drops it.
        outcome = decide(hub.server, oauth_request, session.authn, pending["started_at"])
        return session, pending, oauth_request, outcome

    decided = await hub.rt.blocking(load_and_decide)
    if decided is None:
        return _expired(hub, request)
    session, pending, oauth_request, outcome = decided
    return await _respond(request, outcome, oauth_request, session, pending["started_at"], rid)


@form_post
async def consent(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    rid = str(form.get("rid", ""))
    pending = session.get_pending(rid)
    if pending is None or session.account is None:
        return _expired(hub, request)
    oauth_request = _stored_request(hub, request, pending)
    session.drop_pending(rid)
    code_saved = _leave_with_code(hub, oauth_request, session, rid)
    # "accept" on the consent page, "continue" on the information page.
    if form.get("decision") in ("accept", "continue"):
        outcome = await hub.rt.blocking(
            decide, hub.server, oauth_request, session.authn, pending["started_at"], True
        )
    else:
        outcome = await hub.rt.blocking(hub.deny, oauth_request, session)
    if not code_saved():
        await hub.rt.blocking(hub.sessions.save, session)
    return await _respond(request, outcome, oauth_request, session, pending["started_at"], rid)


async def _respond(request: Request, outcome: Outcome, oauth_request: HubOAuth2Request,
                   session: SessionState | None, started_at: int, rid: str | None) -> Response:
    hub = hub_of(request)
    if isinstance(outcome, RedirectToClient):
        if rid and session is not None and session.get_pending(rid) is not None:
            session.drop_pending(rid)
            await hub.rt.blocking(hub.sessions.save, session)
        return RedirectResponse(outcome.location, status_code=303)
    ui_locales = oauth_request.payload.data.get("ui_locales")
    if isinstance(outcome, ErrorPage):
        message = ERROR_MESSAGES.get(outcome.error, ERROR_MESSAGES["invalid_request"])
        # The detail names the parameter and why, from a fixed vocabulary (oidc/refusals.py):
        # nothing of the request is reflected, no registered value is told.
        return hub.pages.render(request, "error.html", 400, ui_locales, code=outcome.error,
                                developer_detail=outcome.detail, **message)
    if isinstance(outcome, Refuse):
        return hub.pages.render(request, "error.html", 403, ui_locales,
                                **ERROR_MESSAGES[outcome.reason])

    new_session = session is None
    if session is None:
        # A new browser: its session row is written once, with the pending request in it.
        session = SessionState.unsaved()
        rid = session.add_pending(oauth_request.payload.datalist_items(), started_at)
        session = await hub.rt.blocking(hub.sessions.create, session.data)
    elif rid is None or session.get_pending(rid) is None:
        rid = session.add_pending(oauth_request.payload.datalist_items(), started_at)
        await hub.rt.blocking(hub.sessions.save, session)
    if isinstance(outcome, NeedLogin) and outcome.reason == "create":
        # prompt=create: the registration form first, the request kept as for a login.
        response: Response = RedirectResponse(f"/inscription?rid={rid}", status_code=303)
    elif isinstance(outcome, NeedLogin) and oauth_request.client.citizen_facing and (
            outcome.reason != "acr" or session.authn.fi is not None):
        # Citizens choose how to identify themselves: an FI or the hub's own login; a
        # federated session asked a higher level goes back to the FIs that give it.
        response = RedirectResponse(f"/connexion/choix?rid={rid}", status_code=303)
    elif isinstance(outcome, NeedLogin) and outcome.reason == "acr" and session.account:
        # Step-up: the user is known, only the second factor is asked (checks/acr.py).
        response = RedirectResponse(f"/connexion/code?rid={rid}", status_code=303)
    elif isinstance(outcome, NeedLogin):
        response = RedirectResponse(f"/login?rid={rid}", status_code=303)
    else:
        assert isinstance(outcome, NeedConsent)
        template = "information.html" if outcome.mode == "information" else "consent.html"
        response = hub.pages.render(
            request, template, ui_locales=oauth_request.payload.data.get("ui_locales"),
            client_name=oauth_request.client.name, data_kinds=data_kind_labels(outcome.claims),
            rid=rid, csrf_token=session.csrf_token,
        )
    if new_session:
        set_session_cookie(response, hub.settings, session.id)
    return response


def _leave_with_code(hub: Hub, oauth_request: HubOAuth2Request, session: SessionState,
                     rid: str) -> Callable[[], bool]:
    """If the decision issues a code, the request `rid` leaves the session, saved in the
    transaction that saves the code (one transaction, not two; a request answered cannot
    stay in the session). Returns whether that happened."""
    saved = False

    def answered(s: Session) -> None:
        nonlocal saved
        session.drop_pending(rid)
        hub.sessions.save(session, s)
        saved = True

    oauth_request.with_code = answered
    return lambda: saved


def _stored_request(hub: Hub, request: Request, pending: dict[str, Any]) -> HubOAuth2Request:
    return HubOAuth2Request(
        "GET", hub.settings.issuer + "/authorize", request.headers,
        [tuple(p) for p in pending["params"]], [],
        request.client.host if request.client else None,
    )


def _anonymous() -> Authn:
    return Authn()


def _expired(hub: Hub, request: Request) -> Response:
    return hub.pages.render(request, "error.html", 400, **ERROR_MESSAGES["request_expired"])
