"""Chorus end to end: the hub (`idp serve`, a real process) and Chorus (its ASGI app under
uvicorn in a thread of the test process, so its clock can be moved), people of two
structures, an SMTP sink for the managers' e-mails. The hub's registration API (RFC 7591) is
used by the tests that need it (`needs_registration` fails if the hub lacks it)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn

from clients.chorus.app import Chorus, create_app
from clients.chorus.cli import upgrade
from clients.chorus.demo_data import add_invoice
from clients.chorus.service import Actor
from clients.chorus.settings import ChorusSettings
from idp import admin
from tests.conftest import BACKEND
from tests.e2e.browsing import log_in_and_consent
from tests.e2e.conftest import PASSWORD, Hub, new_pg_database
from tests.mail import SmtpSink
from tests.servers import free_port

SIRET_A = "25900096600020"  # the seed's example identifier shape, key valid
SIRET_B = "21750001600019"

pytestmark = pytest.mark.e2e


@dataclass
class Clock:
    offset: int = 0

    def __call__(self) -> int:
        return int(time.time()) + self.offset


@dataclass
class Live:
    hub: Hub
    url: str
    chorus: Chorus
    clock: Clock
    sink: SmtpSink
    users: dict[str, str]  # role in the tests → hub username
    subs: dict[str, str]  # role → hub sub (known to Chorus after the first login)
    structures: dict[str, int]  # "A", "B" → structure id
    technical: tuple[str, str]  # an operator-registered technical client of structure A
    registration: bool  # the hub answers /register
    _browsers: list = field(default_factory=list)

    def browser(self) -> httpx.Client:
        client = httpx.Client(follow_redirects=False, timeout=20)
        self._browsers.append(client)
        return client

    def log_in(self, browser: httpx.Client, user: str) -> httpx.Response:
        response = browser.get(self.url + "/")
        assert response.status_code == 303, response.text
        response = browser.get(self.url + response.headers["location"])
        assert response.status_code == 302, response.text
        browser.base_url = self.hub.issuer  # type: ignore[assignment]
        location = log_in_and_consent(browser, response.headers["location"], self.users[user],
                                      self.url + "/auth/callback")
        return browser.get(location)

    def logged_in(self, user: str) -> httpx.Client:
        browser = self.browser()
        assert self.log_in(browser, user).status_code == 303
        return browser

    def token(self, client: tuple[str, str]) -> httpx.Response:
        return httpx.post(self.hub.issuer + "/token", data={"grant_type": "client_credentials"},
                          auth=client, timeout=20)

    def api(self, token: str, path: str, body: object) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=20,
                          headers={"Authorization": f"Bearer {token}"})

    def invoice(self, structure: str = "A", status: str = "MISE_A_DISPOSITION") -> int:
        return add_invoice(self.chorus.service, self.structures[structure],
                           f"T-{secrets.token_hex(4)}", "Fournitures Lumen", 123_456, status)


def needs_registration(live: Live) -> None:
    assert live.registration, "the hub does not answer /register (RFC 7591)"


@pytest.fixture(scope="session")
def chorus_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('chorus')}/chorus.sqlite3"
        return
    with new_pg_database("chorus_e2e") as url:
        yield url


def _registration_policy(hub: Hub, client_id: str) -> None:
    """The operator's registration policy for Chorus at the hub."""
    admin.update_client(hub.rt.db, hub.rt.clock.now(), client_id,
                        registration_scope="chorus.factures",
                        registration_audiences=["chorus-api"], registration_max_secret_days=500)


@pytest.fixture(scope="session")
def live(hub: Hub, chorus_database: str, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    client = hub.client(
        client_id=f"chorus-{secrets.token_hex(3)}", redirect_uris=[f"{url}/auth/callback"],
        post_logout_redirect_uris=[f"{url}/"], scope="openid profile email registration",
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        backchannel_logout_uri=f"{url}/auth/backchannel-logout", audience=["chorus-api"],
        access_rule="group:chorus", home_url=f"{url}/", consent_mode="none")
    _registration_policy(hub, client.client["client_id"])
    technical = hub.client(client_id=f"tech-op-{secrets.token_hex(3)}", redirect_uris=[],
                           grant_types=["client_credentials"], scope="chorus.factures",
                           audience=["chorus-api"], secret_lifetime=365 * 86400)
    users = {role: hub.user(username=f"{role}-{secrets.token_hex(3)}", groups=["chorus"])
             for role in ("manager", "manager_b", "reader", "writer", "newcomer")}
    users["outsider"] = hub.user(username=f"outsider-{secrets.token_hex(3)}", groups=["apa"])
    sink = SmtpSink()
    sink.start()
    settings = ChorusSettings(
        base_url=url, hub_issuer=hub.issuer, client_id=client.client["client_id"],
        client_secret=client.secret or "", database_url=chorus_database,
        smtp_host="127.0.0.1", smtp_port=sink.port, mail_interval=0.2, notice_interval=0,
        introspection_cache_ttl=0)
    upgrade(chorus_database)
    clock = Clock()
    chorus = Chorus(settings, clock=clock)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, chorus), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "Chorus did not start"
        time.sleep(0.05)
    registration = httpx.post(hub.issuer + "/register", json={}, timeout=20).status_code != 404
    running = Live(hub, url, chorus, clock, sink, users, {}, {},
                   (technical.client["client_id"], technical.secret or ""), registration)
    # Everyone logs in once (Chorus learns their sub), then the structures are arranged.
    for role in ("manager", "manager_b", "reader", "writer", "newcomer"):
        browser = running.logged_in(role)
        assert browser.get(url + "/").status_code == 200
        running.subs[role] = chorus.sessions.load(
            next(c.value for c in browser.cookies.jar if c.name == "chorus_session"),
            int(time.time())).sub  # type: ignore[union-attr]
    service = chorus.service
    a = service.create_structure(Actor(running.subs["manager"], "Gestionnaire A"), "SIRET",
                                 SIRET_A, "Syndicat des eaux du Val Clair", "FACT",
                                 "Service des factures publiques")
    b = service.create_structure(Actor(running.subs["manager_b"], "Gestionnaire B"), "SIRET",
                                 SIRET_B, "Commune de Pré-Haut", "", "")
    running.structures.update(A=a.id, B=b.id)
    service.attach(running.subs["manager"], a.id, running.subs["reader"], "consultation")
    service.attach(running.subs["manager"], a.id, running.subs["writer"], "modification")
    service.adopt_technical_user(a.id, technical.client["client_id"], "TECH_OPERATEUR@cpro.fr",
                                 int(time.time()) + 365 * 86400)
    yield running
    for browser in running._browsers:
        browser.close()
    server.should_exit = True
    thread.join(timeout=10)
    sink.stop()


__all__ = ["PASSWORD", "SIRET_A", "SIRET_B", "Live", "needs_registration"]
