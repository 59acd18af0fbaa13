"""The federation's pages: the picker of identity providers ("mire"), the way out to the
chosen FI, and the way back (its callback). The rules are in idp/federation/citizen_login.py;
this module only turns them into HTTP.

- `GET /connexion/choix?rid=…`: the FIs the application may use, in the operator's order,
  unavailable ones greyed; with `idp_hint` naming a usable FI, straight to it (FranceConnect
  v2). Citizen-facing applications also offer the hub's own citizen login.
- `POST /connexion/choix` (CSRF token, FEDERATION.md): the flow's state, nonce and PKCE
  verifier are kept in the browser's session, then the browser goes to the FI.
- `GET /connexion/retour`: the flow is taken out of the session by its `state` (single use),
  the answer checked, the citizen found or created, and the session id replaced (fixation)
  before the authorization request resumes.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.linking import LinkRefused
from idp.federation import citizen_login
from idp.federation.citizen_login import FederationFailure
from idp.federation.providers import Provider
from idp.federation.upstream import FlowState
from idp.limits import is_clean_identifier
from idp.web.cookies import set_session_cookie
from idp.web.hub import FEDERATION_CALLBACK, hub_of
from idp.web.messages import ERROR_MESSAGES, FEDERATION_FAILURES
from idp.web.pages.form_guard import form_post
from idp.web.pages.new_device import note_device
from idp.web.sessions import SessionState

FLOWS = "federation_flows"
# A flow started to link an FI to the logged-in account (its purpose kept with its state).
LINK_PURPOSE = "link"
LINK_OUTCOME = "link_outcome"  # what the links page says once (pages/linking.py)
LINKS_PAGE = "/compte/liaisons"
MAX_FLOWS = 5  # flows started and not come back, per browser session
CALLBACK_PATH = FEDERATION_CALLBACK


async def picker(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    rid = request.query_params.get("rid")
    pending = session.get_pending(rid) if session else None
    if rid and pending is None:
        return _expired(request)
    new_session = session is None
    if session is None:  # a visitor of the hub itself, not sent by an application
        session = await hub.rt.blocking(hub.sessions.create)
    params = dict(pending["params"]) if pending else {}
    client = hub.rt.clients.get(params.get("client_id"))
    asked = citizen_login.asked_level(params.get("acr_values"), hub.settings.acr_default)
    allowed = client.allowed_providers if client else None
    hint = params.get("idp_hint") or request.query_params.get("idp_hint")
    if hint and is_clean_identifier(hint, 64):
        # idp_hint (FranceConnect v2): the picker is skipped for an FI the client may use.
        try:
            provider = citizen_login.selectable(hub.rt.providers, allowed, hint, asked)
        except FederationFailure:
            pass  # not usable now: the picker says why
        else:
            hub.rt.audit.record("fi.hinted", client_id=client.client_id if client else None,
                                fi=hint)
            return await _go_to_provider(request, session, provider, asked, rid,
                                         client.client_id if client else None)
    choices = citizen_login.choices(hub.rt.providers, allowed, asked)
    hub.rt.audit.record("fi.picker_shown", client_id=client.client_id if client else None)
    response: Response = hub.pages.render(
        request, "federation/picker.html", ui_locales=params.get("ui_locales"),
        client_name=client.name if client else None, choices=choices, rid=rid or "",
        csrf_token=session.csrf_token, hub_login=client is None or client.citizen_facing,
    )
    if new_session:
        set_session_cookie(response, hub.settings, session.id)
    return response


@form_post
async def choose(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    rid = str(form.get("rid", "")) or None
    pending = session.get_pending(rid)
    if rid and pending is None:
        return _expired(request)
    params = dict(pending["params"]) if pending else {}
    client = hub.rt.clients.get(params.get("client_id"))
    provider_id = str(form.get("provider", ""))
    asked = citizen_login.asked_level(params.get("acr_values"), hub.settings.acr_default)
    try:
        provider = citizen_login.selectable(
            hub.rt.providers, client.allowed_providers if client else None, provider_id, asked)
    except FederationFailure as failure:
        return _failure_page(request, failure, rid)
    return await _go_to_provider(request, session, provider, asked, rid,
                                 client.client_id if client else None)


async def callback(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    state = request.query_params.get("state", "")
    flows = session.data.get(FLOWS, {}) if session else {}
    stored = flows.pop(state, None) if is_clean_identifier(state, 128) else None
    if session is None or stored is None:
        # No flow for this state in this browser: forged, replayed or from another browser.
        hub.rt.audit.record("fi.state_mismatch", ip=_ip(request))
        return _failure_page(request, FederationFailure(None, "state_mismatch"), None)
    await hub.rt.blocking(hub.sessions.save, session)  # the state is used once
    flow = FlowState.from_dict(stored["flow"])
    if stored.get("purpose") == LINK_PURPOSE:
        return await _link_callback(request, session, flow)
    rid = stored.get("rid")
    pending = session.get_pending(rid)
    client_id = dict(pending["params"]).get("client_id") if pending else None
    provider = hub.rt.providers.get(flow.provider_id)
    if provider is None:
        return _failure_page(request, FederationFailure(None, "unknown_provider"), rid)
    try:
        login = await hub.rt.blocking(
            citizen_login.finish, hub.upstream, hub.rt.providers, hub.rt.db, hub.rt.clock,
            hub.rt.audit, provider, flow, dict(request.query_params.items()), client_id)
    except FederationFailure as failure:
        return _failure_page(request, failure, rid if pending else None)
    account = await hub.rt.blocking(hub.sessions.account, login.account_id)
    # A new session id for the person coming back from the FI (FEDERATION.md: fixation).
    new = await hub.rt.blocking(
        hub.sessions.log_in, session, account, login.acr, login.amr,
        {"federation": {"provider_id": login.provider_id, "id_token": login.id_token}})
    hub.rt.audit.record("login.success", account_id=login.account_id, client_id=client_id,
                        fi=login.provider_id, acr=login.acr, ip=_ip(request))
    target = f"/authorize/resume?rid={rid}" if pending else "/"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, hub.settings, new.id)
    await note_device(request, response, login.account_id, login.provider_id)
    return response


async def _link_callback(request: Request, session: SessionState, flow: FlowState) -> Response:
    """Back from an FI the logged-in account chose to link (pages/linking.py): the FI's
    subject and identity attached to this account; nobody is logged in or out."""
    hub = hub_of(request)
    provider = hub.rt.providers.get(flow.provider_id)
    if session.account is None or provider is None:
        return _failure_page(request, FederationFailure(provider, "state_mismatch"), None)
    try:
        attached = await hub.rt.blocking(
            citizen_login.finish_link, hub.upstream, hub.rt.providers, hub.rt.db, hub.rt.clock,
            hub.rt.audit, provider, flow, dict(request.query_params.items()),
            session.account.id)
    except FederationFailure as failure:
        return _failure_page(request, failure, None)
    except LinkRefused as refused:
        session.data[LINK_OUTCOME] = {"refused": refused.reason,
                                      "provider": provider.display_name}
    else:
        # The session stays the password login it was (its level, no FI of its own).
        session.data[LINK_OUTCOME] = {"linked": provider.display_name,
                                      "already": attached.already}
    await hub.rt.blocking(hub.sessions.save, session)
    return RedirectResponse(LINKS_PAGE, status_code=303)


async def go_to_provider(request: Request, session: SessionState, provider: Provider,
                         asked: str, purpose: str) -> Response:
    """Out to the FI for `purpose` (LINK_PURPOSE: pages/linking.py), back to callback()."""
    return await _go_to_provider(request, session, provider, asked, None, None, purpose)


async def _go_to_provider(request: Request, session: SessionState, provider: Provider,
                          asked: str, rid: str | None, client_id: str | None,
                          purpose: str | None = None) -> Response:
    hub = hub_of(request)
    try:
        url, flow = await hub.rt.blocking(citizen_login.start, hub.upstream, hub.rt.providers,
                                          hub.rt.audit, provider, asked, client_id)
    except FederationFailure as failure:
        return _failure_page(request, failure, rid)
    flows = session.data.setdefault(FLOWS, {})
    while len(flows) >= MAX_FLOWS:  # the oldest flows give way
        flows.pop(min(flows, key=lambda k: flows[k]["flow"]["started_at"]))
    flows[flow.state] = {"flow": flow.to_dict(), "rid": rid,
                         **({"purpose": purpose} if purpose else {})}
    await hub.rt.blocking(hub.sessions.save, session)
    return RedirectResponse(url, status_code=303)


def _failure_page(request: Request, failure: FederationFailure, rid: str | None) -> Response:
    """A clear page naming the FI, with the way back to the picker (issue: FI down, slow or
    answering badly)."""
    hub = hub_of(request)
    message = FEDERATION_FAILURES[failure.kind]
    return hub.pages.render(
        request, "federation/failure.html", message["status"],
        provider_name=failure.provider.display_name if failure.provider else None,
        title=message["title"], message=message["message"],
        back="/connexion/choix" + (f"?rid={rid}" if rid else ""), code=failure.kind,
    )


def _expired(request: Request) -> Response:
    return hub_of(request).pages.render(
        request, "error.html", 400, **ERROR_MESSAGES["request_expired"])


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None
