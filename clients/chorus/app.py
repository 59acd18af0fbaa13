"""Chorus's ASGI application: pages for the structures' managers and users (seed 002), the
invoice API shaped like Chorus Pro's, login through the hub, e-mails and expiry notices."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from clients.chorus import api, pages
from clients.chorus.registration import HubRegistration
from clients.chorus.service import ChorusService
from clients.chorus.settings import ChorusSettings
from clients.rp.bearer import BearerVerifier
from clients.rp.jwks import HubKeys
from clients.rp.login import HubLogin
from clients.rp.sessions import SessionStore, token_box
from sitekit.background import Every
from sitekit.log_hygiene import keep_secrets_out_of_logs
from sitekit.storage.database import Database
from sitekit.texts import N_
from sitekit.web.pages import Pages
from sitekit.web.request_context import RequestContextMiddleware
from sitekit.web.security_headers import SecurityHeadersMiddleware

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
T = TypeVar("T")


class Chorus:
    """Everything Chorus's requests need, built once from its settings."""

    def __init__(self, settings: ChorusSettings, clock: Callable[[], int] | None = None) -> None:
        """`clock` dates what Chorus records and decides expiry notices (tests move it);
        protocol checks (sessions, tokens) always use the real time."""
        self.settings = settings
        self.now: Callable[[], int] = lambda: int(time.time())
        self.db = Database(settings.database_url)
        self.executor = ThreadPoolExecutor(8, thread_name_prefix="chorus")
        self.pages = Pages(service_name="Chorus Pro", templates=TEMPLATES)
        self.pages.env.globals["service_tagline"] = N_("Received invoices of public structures")
        self.pages.env.globals["legal_base"] = settings.hub_issuer
        self.pages.env.globals["hub_url"] = settings.hub_issuer
        # E-mails are written in French, the managers' language (no request to negotiate).
        lookup = self.pages.catalogues.gettext
        self.service = ChorusService(settings, self.db, HubRegistration(settings),
                                     clock or self.now, lambda message: lookup("fr", message))
        self.sessions = SessionStore(self.db, settings.session_ttl,
                                     token_box(settings.client_secret))
        self.keys = HubKeys(settings.hub_issuer)
        self.login = HubLogin(settings.hub, self.sessions, self.keys, self.blocking, self.now,
                              on_error=pages.login_error)
        self.bearer = BearerVerifier(settings.hub, self.keys)
        self.loops = [
            Every(settings.mail_interval, self.service.deliver_mails, "chorus-mail"),
            Every(settings.notice_interval, self.service.send_expiry_notices, "chorus-notices"),
            Every(3600.0, lambda: self.sessions.purge(self.now()), "chorus-purge"),
        ]

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def close(self) -> None:
        for loop in self.loops:
            loop.stop()
        self.executor.shutdown(wait=True)
        self.db.dispose()


def create_app(settings: ChorusSettings, chorus: Chorus | None = None) -> Starlette:
    keep_secrets_out_of_logs()
    chorus = chorus or Chorus(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for loop in chorus.loops:
            loop.start()
        try:
            yield
        finally:
            chorus.close()

    routes = [
        Route("/", pages.home),
        Route("/structures/nouvelle", pages.new_structure, methods=["GET"]),
        Route("/structures/nouvelle", pages.create_structure, methods=["POST"]),
        Route("/structures/rattachement", pages.request_attachment, methods=["POST"]),
        Route("/structures/{sid:int}", pages.structure),
        Route("/structures/{sid:int}/services", pages.add_service, methods=["POST"]),
        Route("/structures/{sid:int}/utilisateurs", pages.attach, methods=["POST"]),
        Route("/structures/{sid:int}/utilisateurs/{mid:int}/valider", pages.validate,
              methods=["POST"]),
        Route("/structures/{sid:int}/utilisateurs/{mid:int}/detacher", pages.detach,
              methods=["POST"]),
        Route("/structures/{sid:int}/techniques", pages.create_technical_user,
              methods=["POST"]),
        Route("/structures/{sid:int}/techniques/{client_id}/mot-de-passe", pages.renew_secret,
              methods=["POST"]),
        Route("/structures/{sid:int}/factures", pages.invoices),
        Route("/structures/{sid:int}/factures/{fid:int}", pages.invoice),
        Route("/structures/{sid:int}/factures/{fid:int}/pdf", pages.invoice_file),
        Route("/structures/{sid:int}/factures/{fid:int}/traiter", pages.process_invoice,
              methods=["POST"]),
        *api.routes(),
        Route("/healthz", pages.health),
        *chorus.login.routes,
        Mount("/static", StaticFiles(directory=STATIC, packages=[("sitekit", "static")]),
              name="static"),
    ]
    flow_secret = hashlib.sha256(b"chorus-login-flow:" + settings.client_secret.encode()
                                 ).hexdigest()
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestContextMiddleware, access_logger="chorus.access"),  # request ids
            Middleware(SecurityHeadersMiddleware),
            Middleware(SessionMiddleware, secret_key=flow_secret,
                       session_cookie=settings.session_cookie + "_login",
                       https_only=settings.base_url.startswith("https://"), max_age=600),
        ],
        exception_handlers={404: pages.not_found, 405: pages.not_found},
        lifespan=lifespan,
    )
    app.state.chorus = chorus
    return app


def asgi_app() -> Starlette:
    """For `uvicorn --factory clients.chorus.app:asgi_app`: settings from CHORUS_* variables."""
    return create_app(ChorusSettings.from_env())
