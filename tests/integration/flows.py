"""Shared steps for integration tests (in-process app, real database)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager

from tests.factories import REDIRECT_URI
from tests.oidc_helpers import auth_request, full_login


def decode_jwt(token: str) -> tuple[dict, dict]:
    def part(p: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))

    header, payload, _ = token.split(".")
    return part(header), part(payload)


def exchange(http, client, code, verifier, redirect_uri=REDIRECT_URI):  # type: ignore[no-untyped-def]
    return http.post("/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "code_verifier": verifier}, auth=(client.client_id, client.secret))


def tokens_for(http, client, username, **extra):  # type: ignore[no-untyped-def]
    """A full login and code exchange; returns the token response body."""
    req = auth_request(client.client_id, client.redirect_uri, **extra)
    result = full_login(http, req, username)
    response = exchange(http, client, result["code"], req.verifier)
    assert response.status_code == 200, response.text
    return response.json()


def sign_in(http, factories, client, username="alice"):  # type: ignore[no-untyped-def]
    """A new account `username`, signed in to the hub in `http` and past `client`'s consent;
    returns the token response of that first login."""
    factories.account(username)
    return tokens_for(http, client, username)


@contextmanager
def two_sessions(app, http, factories, client) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """Bob signed in to `client` in `http`, Alice in a second browser: yields Bob's ID token
    and Alice's browser, for hints that name another session than the browser's own."""
    from starlette.testclient import TestClient

    factories.account("alice")
    factories.account("bob")
    bob_id_token = tokens_for(http, client, "bob")["id_token"]
    with TestClient(app, base_url="http://127.0.0.1") as alice_browser:
        tokens_for(alice_browser, client, "alice")
        yield bob_id_token, alice_browser


def introspect(http, client, token, **extra):  # type: ignore[no-untyped-def]
    response = http.post("/introspect", data={"token": token, **extra},
                         auth=(client.client_id, client.secret))
    assert response.status_code == 200, response.text
    return response.json()
