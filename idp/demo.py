"""`idp demo`: the hub on SQLite with invented demo people, APA beside it, and a mail catcher.

What the demo starts, it stops: the hub (in this process), APA (a child process in its own
session, so that the terminal's Ctrl-C reaches only the demo, which then stops APA) and the
SMTP catcher (a thread). SIGINT and SIGTERM both end the demo cleanly with status 0.

Only applications that run are registered: APA and its software client. Demo secrets are
fixed so the printed instructions stay true between runs; they exist only in the demo
database. The people are invented (never names from the seed documents).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from idp import admin
from idp.demo_mail import MAIL_PAGE, MailCatcher, WithMailPage, mail_page_app
from idp.demo_providers import (
    DEMO_PROVIDERS,
    prepare_provider,
    provider_environment,
    provider_url,
    register_providers,
    start_provider,
)
from idp.oidc.clients import hash_secret
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade
from idp.storage.models import Client
from idp.storage.repositories import clients as clients_repo
from sitekit.logs import configure_logging
from sitekit.texts import N_

DEMO_PASSWORD = "Bienvenue-2026!"
APA_DEMO_SIRET = "21750001600019"
MAIL_FOLDER = Path("var/demo-mail")

DEMO_USERS: list[dict[str, Any]] = [
    dict(username="mroussel-xt", given_name="Mathilde", family_name="Roussel",
         email="mathilde.roussel@departement-demo.example", phone="+33612345678",
         siret=APA_DEMO_SIRET, groups=["apa"], population="portal"),
    dict(username="hgarnier", given_name="Hugo", family_name="Garnier",
         email="hugo.garnier@finances-demo.example", phone="+33698765432",
         population="portal"),
    # Chorus Pro's main manager of the demo structures (seed 002).
    dict(username="cbesnard", given_name="Claire", family_name="Besnard",
         email="claire.besnard@syndicat-demo.example", phone="+33611223344",
         groups=["chorus"], population="portal"),
]

# Clients earlier demos registered for applications the demo does not run (their portal
# tiles led nowhere). Removed from a demo database when their secret is still the demo's.
RETIRED_DEMO_CLIENTS = {
    "service-public": "demo-sp-secret",
    "demo-connector": "demo-connector-secret",
}


@dataclass(frozen=True)
class DemoAddresses:
    """Where the demo listens and the URLs people use (APA on the hub's port + 1, the FIs on
    + 2 and + 3, Chorus Pro on + 4)."""

    host: str
    hub_port: int
    hub: str  # the issuer
    apa_port: int
    apa: str
    chorus_port: int
    chorus: str


def demo_addresses(host: str, port: int, environ: dict[str, str]) -> DemoAddresses:
    """The issuer follows --host/--port unless IDP_ISSUER is set explicitly."""
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in url_host:
        url_host = f"[{url_host}]"  # RFC 3986 §3.2.2: IPv6 literal in brackets
    issuer = environ.get("IDP_ISSUER") or f"http://{url_host}:{port}"
    return DemoAddresses(host=host, hub_port=port, hub=issuer, apa_port=port + 1,
                         apa=f"http://{url_host}:{port + 1}", chorus_port=port + 4,
                         chorus=f"http://{url_host}:{port + 4}")


CHORUS_SECRET = "demo-chorus-secret"


def chorus_client(chorus_url: str) -> dict[str, Any]:
    """Chorus Pro (clients/chorus): people log in, and it registers its structures' technical
    users itself (RFC 7591) with a client_credentials token of scope `registration`."""
    return dict(client_id="chorus", name="Chorus Pro", secret=CHORUS_SECRET,
                redirect_uris=[f"{chorus_url}/auth/callback"],
                post_logout_redirect_uris=[f"{chorus_url}/"],
                backchannel_logout_uri=f"{chorus_url}/auth/backchannel-logout",
                grant_types=["authorization_code", "refresh_token", "client_credentials"],
                scope="openid profile email registration", access_rule="group:chorus",
                audience=["chorus-api"], home_url=f"{chorus_url}/", consent_mode="none")


def demo_clients(apa_url: str, chorus_url: str | None = None) -> list[dict[str, Any]]:
    """The clients of the applications the demo runs, registered at their current URLs."""
    return ([chorus_client(chorus_url)] if chorus_url else []) + [
        dict(client_id="apa", name="APA — échange de fichiers", secret="demo-apa-secret",
             redirect_uris=[f"{apa_url}/auth/callback"],
             post_logout_redirect_uris=[f"{apa_url}/"],
             backchannel_logout_uri=f"{apa_url}/auth/backchannel-logout",
             # RFC 8935 push of the account-purged event (docs/account-events.md).
             account_events_uri=f"{apa_url}/auth/account-events",
             scope="openid profile email siret", access_rule="group:apa",
             audience=["apa-api"], home_url=f"{apa_url}/",
             # The operator's own first-party application: no consent page (FranceConnect
             # shows none for its own services either).
             consent_mode="none"),
        dict(client_id="apa-connector", name="Logiciel du département (démo)",
             secret="demo-apa-connector-secret", redirect_uris=[],
             grant_types=["client_credentials"], scope="apa", audience=["apa-api"],
             secret_lifetime=365 * 86400),
    ]


# A demo client registered with other values (an earlier run, another port) is registered again.
_SEEDED_FIELDS = ("redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri",
                  "account_events_uri", "home_url", "consent_mode")


def seed(rt: Runtime, apa_url: str, chorus_url: str | None = None) -> None:
    """Demo people and clients; a client of an earlier run moves to APA's current URL."""
    now = rt.clock.now()
    for user in DEMO_USERS:
        with contextlib.suppress(admin.AdminError):  # already there from a previous run
            admin.add_user(rt.db, rt.passwords, now, password=DEMO_PASSWORD, **user)
    with rt.db.transaction() as s:
        for client_id, secret in RETIRED_DEMO_CLIENTS.items():
            if _is_demo_client(clients_repo.get_client(s, client_id), secret):
                clients_repo.remove_client(s, client_id)
    for client in demo_clients(apa_url, chorus_url):
        with rt.db.transaction() as s:
            existing = clients_repo.get_client(s, client["client_id"])
            if existing is not None:
                registered = admin.client_as_dict(existing)
                if all(registered[k] == client.get(k, registered[k]) for k in _SEEDED_FIELDS):
                    continue
                if not _is_demo_client(existing, client["secret"]):
                    continue  # the operator's own client of that name: left alone
                clients_repo.remove_client(s, client["client_id"])
        admin.add_client(rt.db, now, **client)
    if chorus_url:
        _chorus_registration_policy(rt)


def _chorus_registration_policy(rt: Runtime) -> None:
    """What Chorus may register through the hub's registration API (RFC 7591)."""
    admin.update_client(rt.db, rt.clock.now(), "chorus", registration_scope="chorus.factures",
                        registration_audiences=["chorus-api"], registration_max_secret_days=424)


def _is_demo_client(row: Client | None, secret: str) -> bool:
    return row is not None and row.secret_hash is not None and hmac.compare_digest(
        row.secret_hash, hash_secret(secret))


def free_port(host: str = "127.0.0.1", besides: tuple[int, ...] = ()) -> int:
    """A port free now, other than `besides` (ports the demo is about to use)."""
    while True:
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if port not in besides:
            return port


class _StopOnSignal:
    """SIGINT (Ctrl-C) and SIGTERM ask the demo to stop; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self.server: uvicorn.Server | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self._handle)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.server is not None and self.requested and signum == signal.SIGINT:
            self.server.force_exit = True
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True


class _DemoServer(uvicorn.Server):
    """uvicorn for the hub, with the demo's signal handling and a watch on APA."""

    def __init__(self, config: uvicorn.Config, apa: subprocess.Popen[bytes], apa_url: str,
                 on_ready: Callable[[], None], on_apa_exit: Callable[[int], None]) -> None:
        super().__init__(config)
        self.apa = apa
        self.apa_url = apa_url
        self.on_ready = on_ready
        self.on_apa_exit = on_apa_exit
        self.failed = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # _StopOnSignal handles them; uvicorn's own handler would re-raise the signal after
        # shutdown (a KeyboardInterrupt traceback, or death by SIGTERM before APA is stopped).
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and await self._apa_answers():
            self.on_ready()  # the hub serves already; the addresses are printed once both do

    async def _apa_answers(self) -> bool:
        import asyncio

        import httpx

        async with httpx.AsyncClient(timeout=1) as http:
            while not self.should_exit and self.apa.poll() is None:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.apa_url + "/healthz")).status_code == 200:
                        return True
                await asyncio.sleep(0.1)
        return False

    async def on_tick(self, counter: int) -> bool:
        if self.apa.poll() is not None:
            self.failed = True
            self.on_apa_exit(self.apa.returncode)
            return True
        return await super().on_tick(counter)


def run_demo(host: str, port: int, lang: str = "fr") -> int:
    from idp.app import create_app
    from sitekit.web.i18n import Catalogues

    catalogues = Catalogues()

    def t(message: str, **values: object) -> str:
        return catalogues.gettext(lang, message).format(**values)

    stop = _StopOnSignal()
    with stop.installed():
        urls = demo_addresses(host, port, dict(os.environ))
        catcher = MailCatcher(MAIL_FOLDER.resolve(), free_port(besides=(
            port, port + 1, port + 4, *(port + fi.offset for fi in DEMO_PROVIDERS))))
        overrides: dict[str, Any] = {"smtp_host": catcher.host, "smtp_port": catcher.port}
        if not os.environ.get("IDP_ISSUER"):
            overrides["issuer"] = urls.hub
        try:
            settings = Settings.from_env(**overrides)
        except ValueError as exc:
            print(f"idp demo: {exc}", file=sys.stderr)
            return 2
        apa: subprocess.Popen[bytes] | None = None
        chorus: subprocess.Popen[bytes] | None = None
        providers: list[subprocess.Popen[bytes]] = []
        rt: Runtime | None = None
        catcher.start()
        try:
            apa = start_apa(urls)  # first: it starts while the hub's database is prepared
            fi_urls = {fi.id: provider_url(fi, urls.hub, urls.hub_port)
                       for fi in DEMO_PROVIDERS}
            for fi in DEMO_PROVIDERS:  # two upstream FIs, each a hub of its own
                env = provider_environment(fi, fi_urls[fi.id], Path("var"), catcher.host,
                                           catcher.port)
                prepare_provider(fi, env, urls.hub, DEMO_PASSWORD)
                providers.append(start_provider(urls.hub_port + fi.offset, host, env))
            upgrade(settings.database_url)
            rt = Runtime.build(settings)
            seed(rt, urls.apa, urls.chorus)
            chorus = start_chorus(urls, rt, catcher)
            register_providers(rt, fi_urls)
            app = WithMailPage(create_app(settings, runtime=rt),
                               mail_page_app(catcher.folder,
                                             lambda m: catalogues.gettext(lang, m), lang))
            log_config = configure_logging("warning", settings.log_format or None)
            config = uvicorn.Config(app, host=host, port=port, loop="uvloop", http="httptools",
                                    log_level="warning", log_config=log_config,
                                    access_log=False, lifespan="on", server_header=False)

            def ready() -> None:
                print(banner(t, urls, settings, catcher), flush=True)

            def apa_exited(code: int) -> None:
                print(t(N_("APA stopped unexpectedly (status {code}); stopping the demo."),
                        code=code), file=sys.stderr, flush=True)

            server = _DemoServer(config, apa, urls.apa, ready, apa_exited)
            stop.server = server
            if not stop.requested:
                with contextlib.suppress(SystemExit):  # uvicorn's exit when it cannot listen
                    server.run()
                if not server.started:
                    print(t(N_("The hub could not listen on {host}:{port} (port already in "
                               "use?); the demo is stopped."), host=host, port=port),
                          file=sys.stderr, flush=True)
                    return 1
            if server.failed:
                return 1
        finally:
            for child in (apa, chorus):
                if child is not None:
                    stop_process(child)
            for process in providers:
                stop_process(process)
            catcher.stop()
            if rt is not None:
                rt.close()
        print(t(N_("The demo is stopped.")), flush=True)
    return 0


def banner(t: Callable[..., str], urls: DemoAddresses, settings: Settings,
           catcher: MailCatcher) -> str:
    """What a person trying the demo needs: where to go, who to be, where messages go."""
    users = DEMO_USERS
    lines = [
        "",
        t(N_("Identité Publique — demo")),
        "",
        t(N_("Log in and manage your account:")),
        f"  {urls.hub}/",
        t(N_("APA, the file exchange with the department:")),
        f"  {urls.apa}/",
        t(N_("Chorus Pro, the invoices received by public structures:")),
        f"  {urls.chorus}/",
        "",
        t(N_("Demo logins (invented people), password for all: {password}"),
          password=DEMO_PASSWORD),
        f"  {users[0]['username']:<14}" + t(
            N_("{name}, department representative: may use APA"),
            name=f"{users[0]['given_name']} {users[0]['family_name']}"),
        f"  {users[1]['username']:<14}" + t(
            N_("{name}, agent: no application in this demo (account pages only)"),
            name=f"{users[1]['given_name']} {users[1]['family_name']}"),
        f"  {users[2]['username']:<14}" + t(
            N_("{name}, main manager of the demo structures in Chorus Pro"),
            name=f"{users[2]['given_name']} {users[2]['family_name']}"),
        "",
        t(N_("Citizens log in through an identity provider (invented ones, each a hub of its "
             "own): choose one at")),
        f"  {urls.hub}/connexion/choix",
        *[line for fi in DEMO_PROVIDERS for line in (
            f"  {fi.name} ({provider_url(fi, urls.hub, urls.hub_port)}): " + ", ".join(
                c.username for c in fi.citizens),)],
        "  " + t(N_("{name} is known to both: either way, the hub sees one person."),
                 name="Élise Marchand"),
        "",
        t(N_("E-mails are not sent out: each one is kept as a file (.eml) in")),
        f"  {catcher.folder}",
        "  " + t(N_("and listed on the page {url}"), url=f"{urls.hub}{MAIL_PAGE}"),
        t(N_("Text messages (SMS, e.g. forgotten-password codes) are written to")),
        f"  {Path(settings.sms_sink_file).resolve()}",
        "",
        t(N_("For the department's software (APA interface): client {client}, secret {secret}"),
          client="apa-connector", secret="demo-apa-connector-secret"),
        "",
        t(N_("Press Ctrl-C to stop the demo.")),
        "",
    ]
    return "\n".join(lines)


def start_apa(urls: DemoAddresses) -> subprocess.Popen[bytes]:
    """APA (clients/apa) in its own process and session, with its own database and settings,
    logging in through the demo hub."""
    env = dict(os.environ, APA_BASE_URL=urls.apa, APA_HUB_ISSUER=urls.hub,
               APA_CLIENT_ID="apa", APA_CLIENT_SECRET="demo-apa-secret",
               APA_TECHNICAL_CLIENTS=f"apa-connector={APA_DEMO_SIRET}")
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "clients.apa", "serve", "--host", urls.host,
         "--port", str(urls.apa_port)], env=env, start_new_session=True)


def start_chorus(urls: DemoAddresses, rt: Runtime, catcher: MailCatcher
                 ) -> subprocess.Popen[bytes]:
    """Chorus Pro (clients/chorus) in its own process, with its demo structures and invented
    invoices (the main manager: the demo's Chorus user, by their `sub` at the hub)."""
    from idp.storage.repositories import accounts as accounts_repo

    user = DEMO_USERS[2]
    with rt.db.read() as s:
        account = accounts_repo.find_by_login(s, user["username"])
        sub = account.subject if account is not None else ""
    env = dict(os.environ, CHORUS_BASE_URL=urls.chorus, CHORUS_HUB_ISSUER=urls.hub,
               CHORUS_CLIENT_ID="chorus", CHORUS_CLIENT_SECRET=CHORUS_SECRET,
               CHORUS_SMTP_HOST=catcher.host, CHORUS_SMTP_PORT=str(catcher.port))
    name = f"{user['given_name']} {user['family_name']}"
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "clients.chorus", "demo-data", "--sub",
         f"{sub}:{user['email']}:{name}"], env=env, check=False, stdout=subprocess.DEVNULL)
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "clients.chorus", "serve", "--host", urls.host,
         "--port", str(urls.chorus_port)], env=env, start_new_session=True)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
