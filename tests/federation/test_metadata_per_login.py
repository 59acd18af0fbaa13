"""The FI's discovery document and key set are cached by the hub: complete federated logins
through a live hub (`idp serve`), one after another and several at once, make the FI serve
each document once, not once per login (issue: "discovery/JWKS of FIs are cached, never
fetched per login"). Requests are counted by the FI itself (a real server, hostile_fi.py)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

from idp import admin, admin_providers
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade
from tests.federation.hostile_fi import CLIENT_ID, CLIENT_SECRET, HostileFI
from tests.servers import free_port, wait_until_up

pytestmark = pytest.mark.e2e

APP = "citizen-app"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never called: the code is read from Location
FIELD = re.compile(r'name="(csrf_token|rid)" value="([^"]*)"')
PIVOT = {"gender": "male", "birthplace": "75107", "birthcountry": "99100",
         "email": "jean.martin@example.fr"}


@dataclass
class LiveHub:
    url: str
    secret: str
    fi: HostileFI


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    tmp = tmp_path_factory.mktemp("federated-hub")
    fi = HostileFI()
    fi.behaviour.userinfo_claims = dict(PIVOT)
    fi.behaviour.discovery_delay = 0.5  # the first logins all wait for the one fetch
    fi.start()
    port = free_port()
    hub = f"http://127.0.0.1:{port}"
    env = {"IDP_ISSUER": hub, "IDP_DATABASE_URL": f"sqlite:///{tmp}/hub.sqlite3",
           "IDP_KEYS_DIR": str(tmp / "keys"), "IDP_LOG_LEVEL": "warning",
           "IDP_SMTP_PORT": str(free_port())}
    settings = Settings.from_env(env)
    upgrade(settings.database_url)
    rt = Runtime.build(settings)
    try:
        now = rt.clock.now()
        admin_providers.add_provider(rt.db, rt.keys.secret_box, now, admin_providers.new_provider(
            id="hostile", display_name="FI de test", client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            discovery_url=fi.issuer + "/.well-known/openid-configuration",
            scopes=("openid", "identite_pivot", "email")))
        secret = admin.add_client(rt.db, now, client_id=APP, name="Démarche",
                                  redirect_uris=[REDIRECT_URI], consent_mode="none",
                                  citizen_facing=True).secret or ""
    finally:
        rt.close()
    process = subprocess.Popen([sys.executable, "-m", "idp", "serve", "--port", str(port)],
                               env={**os.environ, **env}, cwd=tmp)
    try:
        wait_until_up(f"{hub}/healthz", process)
        yield LiveHub(hub, secret, fi)
    finally:
        process.terminate()
        process.wait(timeout=10)
        fi.stop()


def federated_login(live: LiveHub) -> None:
    """authorize → picker → the FI (answers at once) → callback → code → token."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=10) as browser:
        query = urlencode({
            "response_type": "code", "client_id": APP, "scope": "openid profile",
            "redirect_uri": REDIRECT_URI, "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(24), "acr_values": "eidas1",
            "code_challenge_method": "S256", "code_challenge": challenge})
        picker = browser.get(browser.get(f"/authorize?{query}").headers["location"])
        fields = dict(FIELD.findall(picker.text))
        to_fi = browser.post("/connexion/choix", data={**fields, "provider": "hostile"})
        url = to_fi.headers["location"]
        assert url.startswith(live.fi.issuer), url
        url = httpx.get(url).headers["location"]  # the FI answers at once
        while not url.startswith(REDIRECT_URI):
            response = browser.get(url)
            assert response.status_code in (302, 303), (response.status_code, response.text)
            url = urljoin(live.url, response.headers["location"])
        code = parse_qs(urlsplit(url).query)["code"][0]
        token = browser.post("/token", auth=(APP, live.secret), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier})
        assert token.status_code == 200, token.text


def test_discovery_and_keys_are_fetched_once_not_per_login(live: LiveHub) -> None:
    with ThreadPoolExecutor(4) as pool:  # logins arriving together on an empty cache
        list(pool.map(lambda _: federated_login(live), range(4)))
    for _ in range(4):
        federated_login(live)
    hits = live.fi.hits
    assert hits["authorize"] == hits["token"] == hits["userinfo"] == 8
    assert hits.get("discovery") == 1
    assert hits.get("jwks") == 1
