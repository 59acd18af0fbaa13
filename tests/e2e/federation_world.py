"""A federation of real processes for the end-to-end tests: the main hub (`idp serve`), an
FI that is another hub instance (its own database, keys and cookie name), node-oidc-provider
(tests/fi/node, unmodified) as a second FI, and the hostile FI (tests/federation/hostile_fi.py)
registered several times, plus the browser (httpx) that walks a citizen through them."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from sqlalchemy import func, select

from idp import admin, admin_providers
from idp.federation.pivot import validate_pivot
from idp.storage.models import AuditEvent
from tests.conftest import BACKEND
from tests.e2e.conftest import PASSWORD, Hub, new_pg_database, start_hub, stop_hub
from tests.federation.hostile_fi import CLIENT_ID, CLIENT_SECRET, Behaviour, HostileFI
from tests.oidc_helpers import csrf_token, hidden
from tests.servers import free_port, wait_until_up

NODE_FI = Path(__file__).resolve().parents[1] / "fi" / "node"
CALLBACK = "/connexion/retour"
LOGOUT_RETURN = "/deconnexion/retour"
FI_TIMEOUT = 2.0  # the main hub's IDP_FI_TIMEOUT
THRESHOLD = 3  # the main hub's IDP_PROVIDER_FAILURE_THRESHOLD
REFRESH = 0.5  # IDP_PROVIDERS_REFRESH of the main hub's processes

# One invented person, present in both FIs with the same pivot identity.
ELISE = {"given_name": "Élise Jeanne", "family_name": "Marchand", "birthdate": "1984-06-12",
         "gender": "female", "birthplace": "69123", "birthcountry": "99100",
         "email": "elise.marchand@courriel-test.example"}
# What the hostile FI says of its citizen (its userinfo), a valid pivot identity.
HOSTILE_CITIZEN = {"given_name": "Jean", "family_name": "MARTIN", "birthdate": "1980-01-01",
                   "gender": "male", "birthplace": "75107", "birthcountry": "99100",
                   "email": "jean.martin@courriel-test.example"}
PIVOT_SCOPES = ("given_name", "family_name", "birthdate", "gender", "birthplace",
                "birthcountry", "email")

HUB_FI_CLIENT, HUB_FI_SECRET = "hub-federation", "hub-fi-secret-" + "h" * 24
NODE_CLIENT, NODE_SECRET = "hub-node", "hub-node-secret-" + "n" * 24
FI_HUB_USER = "emarchand"
NODE_USER = "elise"

# The FIs registered at the main hub: id -> display name (what the pages name).
NAMES = {"fi-hub": "Compte Horizon", "fi-node": "Clé Nodale", "fi-hostile": "Fournisseur Rétif",
         "fi-fragile": "Fournisseur Fragile", "fi-closed": "Fournisseur Fermé",
         "fi-spare": "Fournisseur de Réserve"}
HOSTILE_IDS = ("fi-hostile", "fi-fragile", "fi-spare")

RP_REDIRECT = "http://127.0.0.1:9999/callback"
RP_LOGOUT = "http://127.0.0.1:9999/"
OTHER_REDIRECT = "http://localhost:9998/callback"  # another host: another pairwise sector


@dataclass
class Federation:
    hub: Hub
    fi_hub: Hub
    node_issuer: str
    hostile: HostileFI
    closed_port: int
    database_url: str
    keys_dir: Path
    clients: dict[str, admin.NewClient] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        return httpx.get(self.hub.issuer + "/.well-known/openid-configuration", timeout=10).json()

    def last_event_id(self) -> int:
        with self.hub.rt.db.read() as s:
            return int(s.scalar(select(func.max(AuditEvent.id))) or 0)

    def events_after(self, marker: int, event: str, fi: str | None = None,
                     timeout: float = 15) -> list[AuditEvent]:
        """The events named `event` (of `fi`) written after `marker`, waited for (the audit
        log is buffered by the hub process)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.hub.rt.db.read() as s:
                query = select(AuditEvent).where(AuditEvent.id > marker,
                                                 AuditEvent.event == event)
                if fi is not None:
                    query = query.where(AuditEvent.fi == fi)
                found = list(s.scalars(query))
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def reset_health(self) -> None:
        """The hostile FI's failures of an earlier test forgotten (as a successful login
        would): each test starts with every FI available."""
        for provider_id in (*HOSTILE_IDS, "fi-closed"):
            self.hub.rt.providers.record_success(provider_id)


# Processes ---------------------------------------------------------------------------------

def _database(stack: contextlib.ExitStack, tmp: Path, name: str) -> str:
    if BACKEND == "postgresql":
        return stack.enter_context(new_pg_database(f"idp_fed_{name}"))
    return f"sqlite:///{tmp}/{name}.sqlite3"


def _start_fi_hub(stack: contextlib.ExitStack, tmp: Path, main: Hub) -> Hub:
    folder = tmp / "fi-hub"
    folder.mkdir()
    fi = start_hub(_database(stack, folder, "fihub"), folder / "keys",
                   extra_env={"IDP_SESSION_COOKIE": "idp_fi_hub_session"})
    stack.callback(stop_hub, fi)
    now = fi.rt.clock.now()
    admin.add_user(fi.rt.db, fi.rt.passwords, now, username=FI_HUB_USER, password=PASSWORD,
                   email=ELISE["email"], population="citizen", identity=validate_pivot(ELISE))
    admin.add_client(fi.rt.db, now, client_id=HUB_FI_CLIENT, name="Hub principal",
                     secret=HUB_FI_SECRET, redirect_uris=[main.issuer + CALLBACK],
                     post_logout_redirect_uris=[main.issuer + LOGOUT_RETURN],
                     scope="openid profile email birth identite_pivot", consent_mode="none")
    return fi


def _start_node(stack: contextlib.ExitStack, main: Hub) -> str:
    if not (NODE_FI / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("node-oidc-provider is not installed: run scripts/install (Node.js >= 20)")
    config = {
        "clients": [{"client_id": NODE_CLIENT, "client_secret": NODE_SECRET,
                     "token_endpoint_auth_method": "client_secret_basic",
                     "redirect_uris": [main.issuer + CALLBACK],
                     "post_logout_redirect_uris": [main.issuer + LOGOUT_RETURN],
                     "grant_types": ["authorization_code"], "response_types": ["code"]}],
        "accounts": {NODE_USER: ELISE},
    }
    port = free_port()
    process = subprocess.Popen(["node", "server.mjs", str(port), json.dumps(config)],
                               cwd=NODE_FI, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop() -> None:
        process.terminate()
        process.wait(timeout=10)

    stack.callback(stop)
    issuer = f"http://127.0.0.1:{port}"
    wait_until_up(issuer + "/.well-known/openid-configuration", process, timeout=60)
    return issuer


def _register(main: Hub, fi_hub: Hub, node_issuer: str, hostile: HostileFI,
              closed_port: int) -> None:
    def discovery(base: str) -> str:
        return base + "/.well-known/openid-configuration"

    hostile_entry = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                     "discovery_url": discovery(hostile.issuer),
                     "scopes": ("openid", *PIVOT_SCOPES), "acr_values": ("eidas1", "eidas2")}
    entries: dict[str, dict[str, Any]] = {
        "fi-hub": {"client_id": HUB_FI_CLIENT, "client_secret": HUB_FI_SECRET,
                   "discovery_url": discovery(fi_hub.issuer),
                   "scopes": ("openid", "identite_pivot", "email"), "acr_values": ("eidas1",)},
        "fi-node": {"client_id": NODE_CLIENT, "client_secret": NODE_SECRET,
                    "discovery_url": discovery(node_issuer),
                    "scopes": ("openid", *PIVOT_SCOPES), "acr_values": ("eidas1", "eidas2")},
        "fi-hostile": hostile_entry, "fi-fragile": hostile_entry,
        "fi-closed": {**hostile_entry,
                      "discovery_url": discovery(f"http://127.0.0.1:{closed_port}")},
        "fi-spare": hostile_entry,
    }
    now = main.rt.clock.now()
    for position, (provider_id, values) in enumerate(entries.items()):
        admin_providers.add_provider(main.rt.db, main.rt.keys.secret_box, now,
                                     admin_providers.new_provider(
                                         id=provider_id, display_name=NAMES[provider_id],
                                         position=position, **values))


@contextlib.contextmanager
def running_federation(tmp: Path) -> Iterator[Federation]:
    with contextlib.ExitStack() as stack:
        database_url = _database(stack, tmp, "main")
        keys_dir = tmp / "keys"
        main = start_hub(database_url, keys_dir, extra_env={
            "IDP_FI_TIMEOUT": str(FI_TIMEOUT), "IDP_PROVIDER_FAILURE_THRESHOLD": str(THRESHOLD),
            "IDP_PROVIDER_RETRY_AFTER": "3600", "IDP_PROVIDERS_REFRESH": str(REFRESH)})
        stack.callback(stop_hub, main)
        fi_hub = _start_fi_hub(stack, tmp, main)
        node_issuer = _start_node(stack, main)
        hostile = HostileFI()
        hostile.start()
        stack.callback(hostile.stop)
        hostile.behaviour = good_hostile_behaviour()
        closed_port = free_port()  # nothing listens there
        _register(main, fi_hub, node_issuer, hostile, closed_port)
        yield Federation(main, fi_hub, node_issuer, hostile, closed_port, database_url,
                         keys_dir)


def good_hostile_behaviour(**changes: Any) -> Behaviour:
    """The hostile FI playing fair (a valid pivot identity in its userinfo), but for
    `changes`."""
    values: dict[str, Any] = {"userinfo_claims": dict(HOSTILE_CITIZEN)}
    values.update(changes)
    return Behaviour(**values)


# The browser -------------------------------------------------------------------------------

def browser(visited: list[str] | None = None) -> httpx.Client:
    """One browser for every server: cookies are per host, not per port (hence each hub's
    own cookie name). `visited`: where each request went, in order."""
    def note(request: httpx.Request) -> None:
        if visited is not None:
            visited.append(str(request.url))

    return httpx.Client(follow_redirects=False, timeout=15, event_hooks={"request": [note]})


def follow(client: httpx.Client, url: str, provider: str | None, stop_at: str,
           login: str | None = None, acr: str = "eidas1",
           stop_at_picker: bool = False) -> httpx.Response:
    """Walk a citizen from `url`: picker (choose `provider`), the FI's login (as `login`),
    the hub's information or consent page, until a redirect to `stop_at`, or a page this
    walk does not know (a failure page), which is returned."""
    response = client.get(url)
    for _ in range(20):
        here = str(response.url)
        if response.status_code in (302, 303):
            location = urljoin(here, response.headers["location"])
            if location.startswith(stop_at):
                return response
            response = client.get(location)
        elif response.status_code != 200:
            return response
        elif 'action="/connexion/choix"' in response.text:
            if stop_at_picker or provider is None:
                return response
            response = client.post(urljoin(here, "/connexion/choix"), data={
                "csrf_token": csrf_token(response.text), "rid": hidden(response.text, "rid"),
                "provider": provider})
        elif 'action="/login"' in response.text:  # the FI that is a hub
            response = client.post(urljoin(here, "/login"), data={
                "csrf_token": csrf_token(response.text), "username": login or FI_HUB_USER,
                "password": PASSWORD, "rid": hidden(response.text, "rid")})
        elif '/interaction/' in response.text and 'name="login"' in response.text:  # node
            action = response.text.split('action="', 1)[1].split('"', 1)[0]
            response = client.post(urljoin(here, action),
                                   data={"login": login or NODE_USER, "acr": acr})
        elif 'action="/authorize/consent"' in response.text:
            decision = "continue" if 'value="continue"' in response.text else "accept"
            response = client.post(urljoin(here, "/authorize/consent"), data={
                "csrf_token": csrf_token(response.text), "rid": hidden(response.text, "rid"),
                "decision": decision})
        else:
            return response
    raise AssertionError("too many steps")


def new_state() -> str:
    return secrets.token_urlsafe(24)
