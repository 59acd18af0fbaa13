"""The copy-paste examples of docs/integration.md, run as their own processes against a real
hub: a person logs in through each, is greeted by the name userinfo gives (never "None"), and
logs out of the application and the hub."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from idp import admin
from tests.e2e.browsing import log_in_and_consent, params_of
from tests.e2e.conftest import PASSWORD, Hub
from tests.oidc_helpers import csrf_token, hidden
from tests.servers import free_port, wait_until_up

pytestmark = pytest.mark.e2e
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
GIVEN, FAMILY = "Élodie", "Vasseur"  # invented; not ASCII, to catch encoding slips


def _command(example: str) -> list[str]:
    if example == "python_authlib":
        return [sys.executable, "app.py"]
    if not (EXAMPLES / example / "node_modules" / "openid-client").is_dir():
        pytest.fail("openid-client is not installed: run scripts/install (Node.js >= 20)")
    node = shutil.which("node")
    assert node, "Node.js >= 20 is needed"
    return [node, "app.mjs"]


@contextlib.contextmanager
def running_example(example: str, hub: Hub, tmp: Path) -> Iterator[str]:
    """The example on a free port, its client registered at the hub; yields its URL."""
    url = f"http://127.0.0.1:{free_port()}"
    registered = hub.client(redirect_uris=[url + "/callback"],
                            post_logout_redirect_uris=[url + "/"], scope="openid profile email")
    env = {**os.environ, "HUB_ISSUER": hub.issuer, "APP_URL": url,
           "CLIENT_ID": registered.client["client_id"], "CLIENT_SECRET": registered.secret}
    with (tmp / f"{example}.log").open("wb") as log:
        process = subprocess.Popen(_command(example), cwd=EXAMPLES / example, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(url + "/", process, timeout=60)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
    output = (tmp / f"{example}.log").read_text(errors="replace")
    assert "Error" not in output and "Traceback" not in output, output


@pytest.mark.parametrize("example", ["python_authlib", "node_openid_client"])
def test_example_greets_by_the_userinfo_name_and_logs_out(hub: Hub, example: str,
                                                          tmp_path: Path) -> None:
    username = f"exemple-{secrets.token_hex(3)}"
    admin.add_user(hub.rt.db, hub.rt.passwords, hub.rt.clock.now(), username=username,
                   password=PASSWORD, given_name=GIVEN, family_name=FAMILY,
                   email=f"{username}@example.test", phone="+33600000003")
    with running_example(example, hub, tmp_path) as app, \
            httpx.Client(base_url=hub.issuer, follow_redirects=False, timeout=10) as browser:
        assert "Se connecter" in browser.get(app + "/").text

        start = browser.get(app + "/login")
        assert start.status_code in (302, 303, 307)
        authorization = start.headers["location"]
        asked = params_of(authorization)
        assert authorization.startswith(hub.issuer + "/authorize?")
        assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
        assert asked["state"] and asked["nonce"]
        assert set(asked["scope"].split()) == {"openid", "profile", "email"}

        callback = log_in_and_consent(browser, authorization, username, app + "/callback")
        assert params_of(callback)["iss"] == hub.issuer
        finished = browser.get(callback)
        assert finished.status_code in (302, 303, 307), finished.text
        home = browser.get(app + "/")
        assert f"Bonjour {GIVEN} {FAMILY}" in home.text
        assert "None" not in home.text and "undefined" not in home.text

        # A replayed callback (same code, same state) is refused, never a second login.
        assert browser.get(callback).status_code == 400

        leave = browser.get(app + "/logout")
        to_hub = leave.headers["location"]
        assert to_hub.startswith(hub.issuer + "/logout?")
        assert params_of(to_hub)["post_logout_redirect_uri"] == app + "/"
        back = browser.get(to_hub)
        assert back.status_code == 303 and back.headers["location"] == app + "/"
        assert "Se connecter" in browser.get(app + "/").text

        # The hub's session ended too: logging in again asks for the password.
        again = browser.get(browser.get(app + "/login").headers["location"])
        assert again.status_code in (302, 303)
        assert again.headers["location"].startswith("/login")


def _log_in_and_refuse(browser: httpx.Client, url: str, username: str, prefix: str) -> str:
    response = browser.get(url)
    for _ in range(8):
        if response.status_code in (302, 303):
            if response.headers["location"].startswith(prefix):
                return str(response.headers["location"])
            response = browser.get(response.headers["location"])
        elif 'action="/login"' in response.text:
            response = browser.post("/login", data={
                "csrf_token": csrf_token(response.text), "username": username,
                "password": PASSWORD, "rid": hidden(response.text, "rid")})
        else:
            assert 'action="/authorize/consent"' in response.text, response.text[:300]
            response = browser.post("/authorize/consent", data={
                "csrf_token": csrf_token(response.text), "rid": hidden(response.text, "rid"),
                "decision": "refuse"})
    raise AssertionError("too many steps")


@pytest.mark.parametrize("example", ["python_authlib", "node_openid_client"])
def test_example_shows_a_refused_consent_and_a_forged_callback_as_failures(
        hub: Hub, example: str, tmp_path: Path) -> None:
    username = hub.user()
    with running_example(example, hub, tmp_path) as app, \
            httpx.Client(base_url=hub.issuer, follow_redirects=False, timeout=10) as browser:
        authorization = browser.get(app + "/login").headers["location"]
        callback = _log_in_and_refuse(browser, authorization, username, app + "/callback")
        assert params_of(callback)["error"] == "access_denied"
        refused = browser.get(callback)
        assert refused.status_code == 400 and "access_denied" in refused.text
        assert "Se connecter" in browser.get(app + "/").text

        # A callback the application did not start: no login, whatever its code.
        browser.get(app + "/login")
        forged = browser.get(app + "/callback", params={
            "code": "forged", "state": "not-the-one", "iss": hub.issuer})
        assert forged.status_code == 400
        assert "Se connecter" in browser.get(app + "/").text
