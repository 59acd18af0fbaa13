"""APA end to end: the hub (`idp serve`) and APA (its ASGI app under uvicorn, in a thread of
the test process so its files clock can be moved forward) on 127.0.0.1, a relying client of
the hub for the department's software, users of two departments and one not entitled."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from clients.apa.app import Apa, create_app
from clients.apa.cli import upgrade
from clients.apa.settings import ApaSettings
from tests.conftest import BACKEND
from tests.e2e.browsing import log_in_and_consent
from tests.e2e.conftest import PASSWORD, Hub, new_pg_database
from tests.servers import free_port

SIRET_A = "21750001600019"
SIRET_B = "22940028800010"

pytestmark = pytest.mark.e2e


@dataclass
class FilesClock:
    offset: int = 0

    def __call__(self) -> int:
        return int(time.time()) + self.offset


@dataclass
class Live:
    hub: Hub
    url: str
    apa: Apa
    clock: FilesClock
    users: dict[str, str]
    connector: tuple[str, str]  # technical client of SIRET_A (client_credentials)
    software: tuple[str, str]  # a department's software acting for its user (code flow)
    files_dir: Path
    _browsers: list = field(default_factory=list)

    def browser(self) -> httpx.Client:
        client = httpx.Client(follow_redirects=False, timeout=10)
        self._browsers.append(client)
        return client

    def log_in(self, browser: httpx.Client, user: str = "rep_a") -> httpx.Response:
        """Open APA, be sent to the hub, log in there (and consent), come back."""
        response = browser.get(self.url + "/depot")
        assert response.status_code == 303
        response = browser.get(self.url + response.headers["location"])
        assert response.status_code == 302, response.text
        browser.base_url = self.hub.issuer  # type: ignore[assignment]
        location = log_in_and_consent(browser, response.headers["location"], self.users[user],
                                      self.url + "/auth/callback")
        return browser.get(location)

    def token(self, client: tuple[str, str]) -> str:
        response = httpx.post(self.hub.issuer + "/token", data={
            "grant_type": "client_credentials"}, auth=client)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@pytest.fixture(scope="session")
def apa_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """APA's own database, on the suite's backend."""
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('apa')}/apa.sqlite3"
        return
    with new_pg_database("apa_e2e") as url:
        yield url


@pytest.fixture(scope="session")
def live(hub: Hub, apa_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    apa_client = hub.client(
        client_id=f"apa-{secrets.token_hex(3)}", redirect_uris=[f"{url}/auth/callback"],
        post_logout_redirect_uris=[f"{url}/"], scope="openid profile email siret",
        backchannel_logout_uri=f"{url}/auth/backchannel-logout", audience=["apa-api"],
        access_rule="group:apa", home_url=f"{url}/")
    connector = hub.client(client_id=f"apa-connector-{secrets.token_hex(3)}", redirect_uris=[],
                           grant_types=["client_credentials"], scope="apa",
                           audience=["apa-api"])
    software = hub.client(client_id=f"dept-software-{secrets.token_hex(3)}",
                          redirect_uris=["http://127.0.0.1:9999/callback"],
                          scope="openid profile siret", audience=["apa-api"])
    users = {
        "rep_a": hub.user(username=f"rep-a-{secrets.token_hex(3)}-xt", siret=SIRET_A,
                          groups=["apa"]),
        "rep_b": hub.user(username=f"rep-b-{secrets.token_hex(3)}-xt", siret=SIRET_B,
                          groups=["apa"]),
        "outsider": hub.user(username=f"outsider-{secrets.token_hex(3)}", groups=["chorus"]),
    }
    files_dir = tmp_path_factory.mktemp("apa-files")
    settings = ApaSettings(
        base_url=url, hub_issuer=hub.issuer, client_id=apa_client.client["client_id"],
        client_secret=apa_client.secret or "", database_url=apa_database,
        files_dir=str(files_dir), max_upload_bytes=20_000, processing_interval=0.1,
        purge_interval=0, introspection_cache_ttl=0,
        technical_clients=f"{connector.client['client_id']}={SIRET_A}", page_size=5)
    upgrade(apa_database)
    clock = FilesClock()
    apa = Apa(settings, files_clock=clock)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, apa), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "APA did not start"
        time.sleep(0.05)
    running = Live(hub, url, apa, clock, users,
                   (connector.client["client_id"], connector.secret or ""),
                   (software.client["client_id"], software.secret or ""), files_dir)
    yield running
    for browser in running._browsers:
        browser.close()
    server.should_exit = True
    thread.join(timeout=10)


__all__ = ["PASSWORD", "SIRET_A", "SIRET_B", "Live"]
