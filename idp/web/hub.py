"""The hub's per-app object and the one typed way a handler reaches it: ``hub_of(request)``."""

from __future__ import annotations

import functools

from starlette.requests import Request

from idp.accounts.authentication import Authentication
from idp.accounts.human_check import HumanCheck
from idp.accounts.recovery import SendLimits
from idp.accounts.registration import Registrations
from idp.accounts.second_factor import verify as verify_second_factor
from idp.accounts.throttling import ThrottleRules
from idp.federation.upstream import UpstreamClient
from idp.oidc import build_authorization_server
from idp.oidc.authorization import Outcome, deny
from idp.oidc.client_registration import ClientRegistrations
from idp.oidc.server import HubAuthorizationServer, HubOAuth2Request
from idp.runtime import Runtime
from idp.web.cookies import session_id_from
from idp.web.sessions import BrowserSessions, SessionState
from idp.web.templating import Pages
from sitekit.storage.database import WouldBlock

# The one callback of every FI (pages/federation.py serves it).
FEDERATION_CALLBACK = "/connexion/retour"


class Hub:
    """Built once per app by ``create_app``; kept in ``app.state.hub``."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.settings = runtime.settings
        self.server: HubAuthorizationServer = build_authorization_server(runtime)
        self.client_registrations = ClientRegistrations(
            runtime.db, runtime.clock, self.server.tokens, runtime.audit, runtime.clients,
            runtime.settings.issuer)
        self.sessions = BrowserSessions(runtime.db, runtime.clock, runtime.settings.session_ttl)
        self.pages = Pages(runtime.settings.service_name, content=runtime.content)
        self.throttle_rules = ThrottleRules.from_settings(runtime.settings, runtime.keys)
        self.authentication = Authentication(
            runtime.db, runtime.clock, runtime.passwords, runtime.policies, self.throttle_rules,
            runtime.audit, runtime.settings.agent_domains,
            runtime.settings.expired_password_action,
            functools.partial(verify_second_factor, runtime.db, runtime.clock, runtime.keys))
        self.recovery_limits = SendLimits.from_settings(runtime.settings)
        self.registrations = Registrations(
            runtime.db, runtime.clock, runtime.keys, runtime.passwords, runtime.audit,
            runtime.settings.issuer, runtime.settings.registration_link_ttl,
            runtime.settings.registration_pending_ttl)
        self.human_check = HumanCheck(runtime.db, runtime.clock, runtime.keys)
        # The hub as a relying party of the FIs: one callback for all (FEDERATION.md).
        self.upstream = UpstreamClient(
            redirect_uri=runtime.settings.issuer + FEDERATION_CALLBACK,
            timeout=runtime.settings.fi_timeout, clock=runtime.clock,
            signing_key_provider=runtime.keys, metadata_ttl=runtime.settings.fi_metadata_ttl)

    async def load_session(self, request: Request) -> SessionState | None:
        """The browser session of the request's cookie. Its one indexed read runs on the
        event loop where the database allows it (a SQLite file at once; PostgreSQL through
        the pipelined connection of ``Database.run_on_event_loop``), else in the thread pool:
        a page then makes one hop to the thread pool less (issue 16)."""
        session_id = session_id_from(request, self.settings)
        if self.rt.db.reads_on_event_loop:
            try:
                return await self.rt.db.run_on_event_loop(self.sessions.load, session_id)
            except WouldBlock:
                pass
        return await self.rt.blocking(self.sessions.load, session_id)

    def deny(self, oauth_request: HubOAuth2Request, session: SessionState) -> Outcome:
        return deny(self.server, oauth_request, session.authn)


def hub_of(request: Request) -> Hub:
    """The hub of the app serving ``request``."""
    hub: Hub = request.app.state.hub
    return hub
