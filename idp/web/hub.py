"""The hub's per-app object and the one typed way a handler reaches it: ``hub_of(request)``."""

from __future__ import annotations

import functools

from starlette.requests import Request

from idp.accounts.authentication import Authentication
from idp.accounts.recovery import SendLimits
from idp.accounts.second_factor import verify as verify_second_factor
from idp.accounts.throttling import ThrottleRules
from idp.oidc import build_authorization_server
from idp.oidc.authorization import Outcome, deny
from idp.oidc.server import HubAuthorizationServer, HubOAuth2Request
from idp.runtime import Runtime
from idp.web.sessions import BrowserSessions, SessionState
from idp.web.templating import Pages


class Hub:
    """Built once per app by ``create_app``; kept in ``app.state.hub``."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.settings = runtime.settings
        self.server: HubAuthorizationServer = build_authorization_server(runtime)
        self.sessions = BrowserSessions(runtime.db, runtime.clock, runtime.settings.session_ttl)
        self.pages = Pages()
        self.throttle_rules = ThrottleRules.from_settings(runtime.settings, runtime.keys)
        self.authentication = Authentication(
            runtime.db, runtime.clock, runtime.passwords, runtime.policies, self.throttle_rules,
            runtime.audit, runtime.settings.agent_domains,
            runtime.settings.expired_password_action,
            functools.partial(verify_second_factor, runtime))
        self.recovery_limits = SendLimits.from_settings(runtime.settings)

    def deny(self, oauth_request: HubOAuth2Request, session: SessionState) -> Outcome:
        return deny(self.server, oauth_request, session.authn)


def hub_of(request: Request) -> Hub:
    """The hub of the app serving ``request``."""
    hub: Hub = request.app.state.hub
    return hub
