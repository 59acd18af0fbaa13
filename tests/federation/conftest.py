"""Federation fixtures: the hub's signing keys, Provider entries, and node-oidc-provider
(tests/fi/node, from npm, unmodified) running as a real upstream identity provider."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from idp.clock import SystemClock
from idp.federation.providers import Provider
from idp.oidc.keys import KeyStore
from tests.servers import free_port, wait_until_up

NODE_FI = Path(__file__).resolve().parents[1] / "fi" / "node"
REDIRECT_URI = "http://127.0.0.1:9/federation/callback"  # never called: the tests read Location
# A secret that RFC 6749 §2.3.1's form-encoding must carry through Basic authentication.
BASIC_SECRET = "s3cret:with+plus%percent/slash&amp=equals " + "x" * 16
POST_SECRET = "post-secret-" + "y" * 32
CITIZEN = {
    "given_name": "Angela Claire Louise", "family_name": "DUBOIS", "birthdate": "1962-08-24",
    "gender": "female", "birthplace": "75107", "birthcountry": "99100",
    "email": "angela.dubois@example.fr",
}
PIVOT_SCOPES = ("given_name", "family_name", "birthdate", "gender", "birthplace",
                "birthcountry", "email")


def provider(**fields: Any) -> Provider:
    values: dict[str, Any] = {
        "id": "fi", "display_name": "FI", "logo_url": None, "discovery_url": None,
        "issuer": None, "authorization_endpoint": None, "token_endpoint": None,
        "userinfo_endpoint": None, "jwks_uri": None, "end_session_endpoint": None,
        "client_id": "hub", "client_secret": None,
        "token_endpoint_auth_method": "client_secret_basic", "scopes": ("openid",),
        "acr_values": (), "position": 0, "shown": True, "enabled": True,
    }
    values.update(fields)
    return Provider(**values)


def callback_params(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT_URI), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture(scope="session")
def hub_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("hub-keys"), SystemClock(), retire_after=86400)


@dataclass
class NodeFI:
    issuer: str

    def provider(self, client_id: str, **fields: Any) -> Provider:
        values: dict[str, Any] = {
            "id": "node-fi", "discovery_url": self.issuer + "/.well-known/openid-configuration",
            "issuer": self.issuer, "client_id": client_id, "scopes": ("openid", *PIVOT_SCOPES),
            "acr_values": ("eidas1",),
        }
        values.update(fields)
        return provider(**values)

    def log_in(self, authorization_url: str, login: str = "angela", acr: str = "eidas1") -> str:
        """A browser at the FI: the login form posted, redirects followed up to the hub's
        callback, whose URL is returned."""
        with httpx.Client(follow_redirects=False, timeout=10) as browser:
            url = authorization_url
            for _ in range(10):
                if url.startswith(REDIRECT_URI):
                    return url
                response = browser.get(url)
                if response.status_code == 200 and "<form" in response.text:
                    action = response.text.split('action="', 1)[1].split('"', 1)[0]
                    response = browser.post(urljoin(url, action),
                                            data={"login": login, "acr": acr})
                assert response.status_code in (302, 303), (response.status_code, response.text)
                url = urljoin(url, response.headers["location"])
        raise AssertionError("the FI never redirected to the callback")


@pytest.fixture(scope="module")
def node_fi(hub_keys: KeyStore) -> Iterator[NodeFI]:
    if not (NODE_FI / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("node-oidc-provider is not installed: run scripts/install (Node.js >= 20, npm)")
    common = {"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code"],
              "response_types": ["code"], "post_logout_redirect_uris": [REDIRECT_URI]}
    config = {
        "clients": [
            {"client_id": "hub-basic", "client_secret": BASIC_SECRET,
             "token_endpoint_auth_method": "client_secret_basic", **common},
            {"client_id": "hub-post", "client_secret": POST_SECRET,
             "token_endpoint_auth_method": "client_secret_post", **common},
            {"client_id": "hub-jwt", "token_endpoint_auth_method": "private_key_jwt",
             "jwks": hub_keys.public_jwks(), **common},
            {"client_id": "hub-signed-userinfo", "client_secret": POST_SECRET,
             "token_endpoint_auth_method": "client_secret_post",
             "id_token_signed_response_alg": "ES256",
             "userinfo_signed_response_alg": "ES256", **common},
        ],
        "accounts": {"angela": CITIZEN},
    }
    port = free_port()
    process = subprocess.Popen(["node", "server.mjs", str(port), json.dumps(config)],
                               cwd=NODE_FI, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(issuer + "/.well-known/openid-configuration", process, timeout=60)
        yield NodeFI(issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
