"""APA's ASGI application: pages for the departments' representatives (seed 001), an API
for their software, login through the hub, background processing and purge."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
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

from clients.apa import api, pages
from clients.apa.service import ApaService
from clients.apa.settings import ApaSettings
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

TEMPLATES = Path(__file__).resolve().parent / "templates"  # APA's pages (layout: sitekit)
T = TypeVar("T")
STATIC = Path(__file__).resolve().parent / "static"  # APA's scripts (the rest: sitekit)


class Apa:
    """Everything APA's requests need, built once from its settings."""

    def __init__(self, settings: ApaSettings, files_clock: Callable[[], int] | None = None
                 ) -> None:
        """`files_clock` dates deposits and response files (tests move it forward to reach
        expiry); protocol checks (sessions, tokens) always use the real time."""
        self.settings = settings
        self.now: Callable[[], int] = lambda: int(time.time())
        self.db = Database(settings.database_url)
        self.executor = ThreadPoolExecutor(8, thread_name_prefix="apa")
        self.service = ApaService(settings, self.db, files_clock or self.now)
        self.sessions = SessionStore(self.db, settings.session_ttl,
                                     token_box(settings.client_secret))
        self.keys = HubKeys(settings.hub_issuer)
        self.pages = Pages(service_name="APA", templates=TEMPLATES)
        self.pages.env.globals["service_tagline"] = N_("Personalised autonomy allowance")
        self.pages.env.globals["legal_base"] = settings.hub_issuer
        self.pages.env.globals["hub_url"] = settings.hub_issuer
        self.login = HubLogin(settings.hub, self.sessions, self.keys, self.blocking, self.now,
                              on_error=pages.login_error,
                              on_account_purged=self.account_purged)
        self.bearer = BearerVerifier(settings.hub, self.keys)
        self.loops = [
            Every(settings.processing_interval, self.service.process_waiting, "apa-processing"),
            Every(settings.purge_interval, self.purge, "apa-purge"),
        ]

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def account_purged(self, sub: str) -> None:
        """The person's account at the hub is deleted (docs/account-events.md); the toolkit
        has ended their sessions here. Their deposits and response files belong to the
        departments and stay; the histories name the agent who acted, which the
        departments' own records need: kept, to be purged with them."""
        logging.getLogger("apa").info("account deleted at the hub: its sessions ended")

    def purge(self) -> None:
        self.service.purge()
        self.sessions.purge(self.now())

    def close(self) -> None:
        for loop in self.loops:
            loop.stop()
        self.executor.shutdown(wait=True)
        self.db.dispose()


def create_app(settings: ApaSettings, apa: Apa | None = None) -> Starlette:
    # The relying-party side of authlib logs the PKCE verifier at debug level.
    keep_secrets_out_of_logs()
    apa = apa or Apa(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for loop in apa.loops:
            loop.start()
        try:
            yield
        finally:
            apa.close()

    routes = [
        Route("/", pages.home),
        Route("/depot", pages.deposit_page, methods=["GET"]),
        Route("/depot", pages.deposit_submit, methods=["POST"]),
        Route("/retrait", pages.withdrawal_page),
        Route("/retrait/{response_id}", pages.withdrawal_download),
        Route("/historique/depots", pages.deposit_history),
        Route("/historique/retraits", pages.download_history),
        Route("/api/depots", api.deposit, methods=["POST"]),
        Route("/api/reponses", api.responses),
        Route("/api/reponses/{response_id}", api.download),
        Route("/healthz", pages.health),
        *apa.login.routes,
        # APA's own scripts, then the files it shares with the hub (DSFR, site.css).
        Mount("/static", StaticFiles(directory=STATIC, packages=[("sitekit", "static")]),
              name="static"),
    ]
    # The signed cookie only carries the login's state, nonce and PKCE verifier.
    flow_secret = hashlib.sha256(b"apa-login-flow:" + settings.client_secret.encode()).hexdigest()
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestContextMiddleware, access_logger="apa.access"),  # request ids
            Middleware(SecurityHeadersMiddleware),
            Middleware(SessionMiddleware, secret_key=flow_secret,
                       session_cookie=settings.session_cookie + "_login",
                       https_only=settings.base_url.startswith("https://"), max_age=600),
        ],
        exception_handlers={404: pages.not_found, 405: pages.not_found},
        lifespan=lifespan,
    )
    app.state.apa = apa
    return app


def asgi_app() -> Starlette:
    """For `uvicorn --factory clients.apa.app:asgi_app`: settings from APA_* variables."""
    return create_app(ApaSettings.from_env())
