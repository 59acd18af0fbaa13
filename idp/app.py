"""create_app(settings): the whole hub in one function — routes, middleware, lifespan."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import sitekit
from idp import metrics
from idp.accounts.login_name_sync import follow_agent_domains_at_start
from idp.clock import Clock
from idp.runtime import Runtime
from idp.settings import Settings
from idp.web import client_registration, protocol
from idp.web import metrics as web_metrics
from idp.web.errors import http_error, storage_unavailable, unexpected_error
from idp.web.hub import Hub
from idp.web.middleware.request_limits import RequestLimitsMiddleware
from idp.web.pages import (
    account,
    authorize,
    contact,
    deletion,
    federation,
    history,
    home,
    integration,
    legal,
    linking,
    login,
    logout,
    password_reset,
    personal_info,
    recovery,
    registration,
    second_factor,
    security,
)
from idp.web.protocol_asgi import ProtocolEndpoints
from idp.web.readiness import Readiness
from idp.web.static_files import SharedStaticFiles
from sitekit.log_hygiene import keep_secrets_out_of_logs
from sitekit.storage.errors import StorageUnavailable
from sitekit.web.request_context import RequestContextMiddleware
from sitekit.web.security_headers import SecurityHeadersMiddleware


def create_app(settings: Settings, clock: Clock | None = None,
               runtime: Runtime | None = None) -> Starlette:
    keep_secrets_out_of_logs()
    runtime = runtime or Runtime.build(settings, clock)
    hub = Hub(runtime)
    # Forgotten-password requests are handled off the request path (portal/password_reset.py).
    runtime.outbox.add_job(password_reset.RequestedLinks.CHANNEL,
                           password_reset.RequestedLinks(hub))
    inactivity = deletion.inactivity_job(hub)  # décret 2009-730 (portal/inactivity.py)
    backlog = web_metrics.OutboxBacklog(runtime)

    routes = [
        Route("/", home.home),
        Route("/.well-known/openid-configuration", protocol.discovery),
        Route("/jwks", protocol.jwks),
        Route("/authorize", authorize.authorize, methods=["GET", "POST"]),
        Route("/authorize/resume", authorize.resume),
        Route("/authorize/consent", authorize.consent, methods=["POST"]),
        Route("/connexion/choix", federation.picker, methods=["GET"]),
        Route("/connexion/choix", federation.choose, methods=["POST"]),
        Route(federation.CALLBACK_PATH, federation.callback, methods=["GET"]),
        Route("/login", login.login_page, methods=["GET"]),
        Route("/login", login.login_submit, methods=["POST"]),
        Route("/inscription", registration.registration_page, methods=["GET"]),
        Route("/inscription", registration.registration_submit, methods=["POST"]),
        Route("/inscription/confirmation", registration.confirmation_page, methods=["GET"]),
        Route("/inscription/confirmation", registration.confirmation_submit, methods=["POST"]),
        Route("/inscription/renvoi", registration.resend_submit, methods=["POST"]),
        Route("/userinfo", protocol.userinfo, methods=["GET", "POST"]),
        Route("/register", client_registration.register, methods=["POST"]),
        Route("/register/{client_id}", client_registration.manage,
              methods=["GET", "PUT", "DELETE"]),
        Route("/register/{client_id}/secret", client_registration.rotate_secret,
              methods=["POST"]),
        Route("/logout", logout.end_session, methods=["GET", "POST"]),
        Route(logout.PROVIDER_LOGOUT_RETURN, logout.provider_logout_return, methods=["GET"]),
        Route("/compte/mot-de-passe", account.password_page, methods=["GET"]),
        Route("/compte/mot-de-passe", account.password_submit, methods=["POST"]),
        Route("/compte/rappel-mobile", contact.reminder_page, methods=["GET"]),
        Route("/compte/rappel-mobile", contact.reminder_submit, methods=["POST"]),
        Route("/compte/mobile", contact.change_page("mobile"), methods=["GET"]),
        Route("/compte/mobile", contact.change_submit("mobile"), methods=["POST"]),
        Route("/compte/courriel", contact.change_page("email"), methods=["GET"]),
        Route("/compte/courriel", contact.change_submit("email"), methods=["POST"]),
        Route(deletion.PATH, deletion.deletion_page, methods=["GET"]),
        Route(deletion.PATH, deletion.deletion_submit, methods=["POST"]),
        Route("/compte/code", contact.code_page, methods=["GET"]),
        Route("/compte/code", contact.code_submit, methods=["POST"]),
        Route("/compte/code/renvoi", contact.code_resend, methods=["POST"]),
        Route("/mot-de-passe-oublie", recovery.start_page, methods=["GET"]),
        Route("/mot-de-passe-oublie", recovery.start_submit, methods=["POST"]),
        Route("/mot-de-passe-oublie/code", recovery.code_page, methods=["GET"]),
        Route("/mot-de-passe-oublie/code", recovery.code_submit, methods=["POST"]),
        Route("/mot-de-passe-oublie/courriel", password_reset.request_page, methods=["GET"]),
        Route("/mot-de-passe-oublie/courriel", password_reset.request_submit, methods=["POST"]),
        Route("/mot-de-passe-oublie/nouveau", password_reset.new_password_page, methods=["GET"]),
        Route("/mot-de-passe-oublie/nouveau", password_reset.new_password_submit,
              methods=["POST"]),
        Route(security.PATH, security.security_page, methods=["GET"]),
        Route(security.ALERTS_PATH, security.alerts_submit, methods=["POST"]),
        Route(security.SET_PASSWORD_PATH, security.set_password_submit, methods=["POST"]),
        Route("/connexion/code", second_factor.code_page, methods=["GET"]),
        Route("/connexion/code", second_factor.code_submit, methods=["POST"]),
        Route("/compte/double-authentification", second_factor.manage_page, methods=["GET"]),
        Route("/compte/double-authentification", second_factor.manage_submit,
              methods=["POST"]),
        Route("/compte/double-authentification/codes", second_factor.codes_download,
              methods=["POST"]),
        Route("/compte/historique", history.history, methods=["GET"]),
        Route("/compte/applications", history.applications, methods=["GET"]),
        Route("/compte/applications/retirer", history.withdraw_page, methods=["GET"]),
        Route("/compte/applications/retirer", history.withdraw_submit, methods=["POST"]),
        Route("/compte/finaliser", linking.finish_page, methods=["GET"]),
        Route("/compte/finaliser/courriel", linking.finish_email_submit, methods=["POST"]),
        Route("/compte/finaliser/confirmer", linking.confirm_page, methods=["GET"]),
        Route("/compte/finaliser/confirmer", linking.confirm_submit, methods=["POST"]),
        Route("/compte/finaliser/lier", linking.finish_link_submit, methods=["POST"]),
        Route("/compte/liaisons", linking.links_page, methods=["GET"]),
        Route("/compte/liaisons/lier", linking.link_submit, methods=["POST"]),
        Route("/compte/liaisons/supprimer", linking.unlink_submit, methods=["POST"]),
        Route("/compte/informations", personal_info.information_page, methods=["GET"]),
        Route("/compte/informations", personal_info.information_submit, methods=["POST"]),
        Route("/compte/mot-de-passe-expire", account.expired_page, methods=["GET"]),
        Route("/compte/mot-de-passe-expire", account.expired_submit, methods=["POST"]),
        Route("/healthz", protocol.health),
        Route("/readyz", Readiness().endpoint),
        Route("/metrics", web_metrics.endpoint(settings.metrics_token, backlog)),
        *[Route(f"/{slug}", legal.legal_page) for slug in legal.PAGES],
        Route(integration.BUTTON_PATH, integration.connect_button, methods=["GET"]),
        # Before /static: these files are loaded by other sites (cross-origin, cached).
        Mount("/static/connect-button",
              SharedStaticFiles(directory=sitekit.STATIC / "connect-button")),
        Route("/assistance", legal.assistance_page),
        Route("/faq", legal.faq_page),
        Mount("/static", StaticFiles(directory=sitekit.STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Login names follow IDP_AGENT_EMAIL_DOMAINS before the first login (seed 001).
        follow_agent_domains_at_start(runtime.db, settings.agent_email_domains)
        runtime.start()
        inactivity.start()
        # Everything built so far lives as long as the process: keep it out of the cyclic
        # collector's scans, which otherwise show up as latency spikes under load.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            inactivity.stop()
            runtime.close()
            metrics.process_exit()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, StorageUnavailable: storage_unavailable,
                            Exception: unexpected_error},
        lifespan=lifespan,
    )
    app.state.hub = hub
    # Outermost first: the request id, access log and metrics around everything, security
    # headers on every answer (the 500 page of Starlette's ServerErrorMiddleware included),
    # then the request limits (idp/limits.py) before any handler. The token, introspection
    # and revocation endpoints answer in front of that stack, doing what it does in one pass.
    pages = RequestContextMiddleware(
        SecurityHeadersMiddleware(RequestLimitsMiddleware(app, hub.pages)),
        access_log=bool(settings.access_log), access_logger="idp.access",
        observer=web_metrics.RequestMetrics(runtime, routes))
    return ProtocolEndpoints(pages, hub, pages)  # type: ignore[return-value]  # an ASGI app, used as such
