"""Act over HTTP, assert on parsed protocol fields (never substrings of bodies)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.factories import PASSWORD


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def parse_redirect(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


@dataclass
class AuthRequest:
    params: dict[str, str]
    verifier: str

    @property
    def query(self) -> str:
        return urlencode(self.params)


def auth_request(client_id: str, redirect_uri: str, **extra: str) -> AuthRequest:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return AuthRequest({k: v for k, v in params.items() if v is not None}, verifier)


def authorize(http, req: AuthRequest):  # type: ignore[no-untyped-def]
    """GET /authorize for `req`; the response, not followed."""
    return http.get("/authorize?" + req.query, follow_redirects=False)


def authorize_redirect(http, req: AuthRequest) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """GET /authorize for `req` when it answers straight back to the client: the parameters
    of that redirect (`error`, `state`, `iss` or `code`), for tests to compare exactly."""
    response = authorize(http, req)
    assert "location" in response.headers, (response.status_code, response.text)
    return parse_redirect(response.headers["location"])


def login_page(http, req: AuthRequest):  # type: ignore[no-untyped-def]
    """GET /authorize for `req` without a session, then the login page it sends to."""
    return http.get(authorize(http, req).headers["location"])


def authorization_error(http, client, **extra: str) -> str:  # type: ignore[no-untyped-def]
    """A fresh authorization request of `client` (with `extra` parameters): the `error` the
    hub sends back in the redirect to the client, for tests to compare exactly."""
    req = auth_request(client.client_id, client.redirect_uri, **extra)
    redirect = authorize_redirect(http, req)
    assert "error" in redirect, redirect
    return redirect["error"]


def login(http, username: str, password: str = PASSWORD, location: str = "/login"):  # type: ignore[no-untyped-def]
    """Submit the login form found at `location`; returns the response (not followed)."""
    page = http.get(location)
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_token(page.text), "username": username, "password": password}
    if 'name="rid" value="' in page.text:
        form["rid"] = hidden(page.text, "rid")
    return http.post("/login", data=form, follow_redirects=False)


def follow_to_client(http, response, redirect_prefix: str):  # type: ignore[no-untyped-def]
    """Follow hub-internal redirects until one leaves for the client; return that Location."""
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response
        location = response.headers["location"]
        if location.startswith(redirect_prefix):
            return location
        response = http.get(location, follow_redirects=False)
    raise AssertionError("too many redirects")


def consent(http, page, decision: str = "accept"):  # type: ignore[no-untyped-def]
    return http.post("/authorize/consent", data={
        "csrf_token": csrf_token(page.text), "rid": hidden(page.text, "rid"),
        "decision": decision}, follow_redirects=False)


def full_login(http, req: AuthRequest, username: str, password: str = PASSWORD) -> dict:  # type: ignore[no-untyped-def]
    """authorize → login → consent (if asked) → the redirect's parameters."""
    redirect_uri = req.params["redirect_uri"]
    response = authorize(http, req)
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/connexion/choix?rid="):
        # A citizen-facing client's picker: the hub's own login is one of the choices.
        response.headers["location"] = "/login?rid=" + location.split("rid=", 1)[1]
    if response.status_code == 303 and response.headers["location"].startswith("/login"):
        response = login(http, username, password, response.headers["location"])
    result = follow_to_client(http, response, redirect_uri)
    if not isinstance(result, str):
        assert result.status_code == 200 and "/authorize/consent" in result.text, result.text
        result = follow_to_client(http, consent(http, result), redirect_uri)
    assert isinstance(result, str), result.text
    return parse_redirect(result)
