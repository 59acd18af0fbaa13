"""Dynamic client registration against real hub processes: the operator allows an application
with the `idp` command, the application registers a technical user at one process, and a
secret rotated there is refused at once (within the second of the version check) by another
process whose client cache would otherwise keep it for an hour. pyoidc (`oic`), an independent
implementation, registers and reads a client through RFC 7591/7592."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import Hub, new_pg_database, start_hub, stop_hub

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def two_hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub]]:
    tmp = tmp_path_factory.mktemp("registration")
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(new_pg_database("idp_registration"))
               if BACKEND == "postgresql" else f"sqlite:///{tmp}/hub.sqlite3")
        # A client cache trusted for an hour: only clients_version can make it let go.
        extra = {"IDP_CLIENT_CACHE_TTL": "3600"}
        first = start_hub(url, tmp / "keys", extra_env=extra)
        second = start_hub(url, tmp / "keys", issuer=first.issuer, extra_env=extra)
        yield first, second
        stop_hub(second)
        stop_hub(first)


def idp(hub: Hub, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "idp", "--json", *args], env=hub.env,
                          capture_output=True, text=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done


def allow_application(hub: Hub, client_id: str, scopes: str) -> str:
    """The operator's two commands (README); the application's secret."""
    added = json.loads(idp(hub, "clients", "add", "--client-id", client_id, "--scope",
                           "registration", "--grant-type", "client_credentials").stdout)
    idp(hub, "clients", "update", client_id, "--registration-scopes", scopes,
        "--registration-audience", "chorus-api", "--registration-max-secret-days", "424")
    return str(added["client_secret"])


def token(url: str, client_id: str, secret: str, scope: str | None = None) -> httpx.Response:
    return httpx.post(url + "/token", data={"grant_type": "client_credentials",
                                            **({"scope": scope} if scope else {})},
                      auth=(client_id, secret), timeout=10)


def test_a_rotated_secret_is_refused_by_every_process_at_once(two_hubs) -> None:  # type: ignore[no-untyped-def]
    first, second = two_hubs
    secret = allow_application(first, "chorus", "chorus.factures")
    registration = token(first.url, "chorus", secret, "registration").json()["access_token"]
    created = httpx.post(first.url + "/register", timeout=10,
                         headers={"Authorization": f"Bearer {registration}"},
                         json={"client_name": "Technique", "grant_types": ["client_credentials"],
                               "scope": "chorus.factures", "audience": ["chorus-api"]})
    assert created.status_code == 201, created.text
    client = created.json()
    # The other process caches the client (its TTL: an hour).
    for _ in range(3):
        assert token(second.url, client["client_id"], client["client_secret"]).status_code == 200

    listed = idp(first, "clients", "list").stdout
    assert any(c["client_id"] == client["client_id"] and c["owner_client_id"] == "chorus"
               for c in json.loads(listed))

    path = client["registration_client_uri"].removeprefix(first.issuer)
    rotated = httpx.post(first.url + path + "/secret", timeout=10,
                         headers={"Authorization": f"Bearer {registration}"})
    assert rotated.status_code == 200, rotated.text
    start = time.monotonic()
    while token(second.url, client["client_id"], client["client_secret"]).status_code == 200:
        assert time.monotonic() - start < 3, "the old secret still works at the other process"
        time.sleep(0.05)
    refused = token(second.url, client["client_id"], client["client_secret"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    fresh = rotated.json()["client_secret"]
    assert token(second.url, client["client_id"], fresh).status_code == 200
    assert token(first.url, client["client_id"], fresh).status_code == 200

    # Deleted at the second process: gone at the first at once too.
    assert httpx.delete(second.url + path, timeout=10, headers={
        "Authorization": f"Bearer {client['registration_access_token']}"}).status_code == 204
    start = time.monotonic()
    while token(first.url, client["client_id"], fresh).status_code == 200:
        assert time.monotonic() - start < 3, "a deleted client still gets tokens"
        time.sleep(0.05)


def test_oic_registers_and_reads_a_client(two_hubs) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from oic.oic import Client
        from oic.utils.authn.client import CLIENT_AUTHN_METHOD

    first, second = two_hubs
    secret = allow_application(first, "portail-app", "openid profile")
    registration = token(first.url, "portail-app", secret, "registration").json()["access_token"]
    rp = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    rp.provider_config(first.issuer)
    assert rp.provider_info["registration_endpoint"] == first.issuer + "/register"
    redirect = "http://127.0.0.1:9999/callback"
    response = rp.register(rp.provider_info["registration_endpoint"],
                           registration_token=registration, redirect_uris=[redirect],
                           response_types=["code"], client_name="Portail (oic)")
    assert rp.client_id == response["client_id"] and rp.client_secret
    assert response["redirect_uris"] == [redirect]
    assert response["client_secret_expires_at"] > time.time() + 400 * 86400
    rat = response["registration_access_token"]
    read = rp.registration_read()  # with the registration access token it got
    assert read["client_id"] == rp.client_id and "client_secret" not in read.to_dict()
    assert read["registration_access_token"] == rat  # the token it read with
    # The secret it got works at the token endpoint (no code flow here: a bad code).
    refused = httpx.post(second.url + "/token", timeout=10, auth=(rp.client_id, rp.client_secret),
                         data={"grant_type": "authorization_code", "code": "x",
                               "redirect_uri": redirect})
    assert refused.json()["error"] == "invalid_grant"
