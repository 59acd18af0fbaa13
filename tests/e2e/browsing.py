"""The user's side of a login, played by an httpx client against a live hub."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.e2e.conftest import PASSWORD
from tests.oidc_helpers import csrf_token, hidden


def params_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def log_in_and_consent(browser: httpx.Client, authorization_url: str, username: str,
                       redirect_prefix: str, password: str = PASSWORD) -> str:
    """Open the authorization URL, log in and consent if asked; the redirect to the client."""
    response = browser.get(authorization_url)
    for _ in range(8):
        if response.status_code in (302, 303):
            location = response.headers["location"]
            if location.startswith(redirect_prefix):
                return location
            response = browser.get(location)
        elif 'action="/login"' in response.text:
            form = {"csrf_token": csrf_token(response.text), "username": username,
                    "password": password, "rid": hidden(response.text, "rid")}
            response = browser.post("/login", data=form)
        elif 'action="/authorize/consent"' in response.text:
            response = browser.post("/authorize/consent", data={
                "csrf_token": csrf_token(response.text), "rid": hidden(response.text, "rid"),
                "decision": "accept"})
        else:
            raise AssertionError(f"unexpected page {response.status_code}: {response.text[:300]}")
    raise AssertionError("too many steps")
