"""Back-Channel Logout 1.0: logging out at the hub POSTs a signed logout token to every
client of the session that registered a backchannel_logout_uri."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.e2e.browsing import log_in_and_consent
from tests.servers import ThreadedServer

pytestmark = pytest.mark.e2e
EVENT = "http://schemas.openid.net/event/backchannel-logout"


class Receiver(ThreadedServer):
    """A relying party's back-channel endpoint, under uvicorn in a thread."""

    def __init__(self) -> None:
        self.received: list[str] = []

        async def logout(request: Request) -> Response:
            self.received.append(str((await request.form())["logout_token"]))
            return Response(status_code=200)

        super().__init__(Starlette(routes=[Route("/bcl", logout, methods=["POST"])]))


def test_logout_sends_a_signed_logout_token_to_each_client(hub) -> None:  # type: ignore[no-untyped-def]
    username = hub.user()
    with Receiver() as receiver, hub.browser() as browser:
        uri = f"http://127.0.0.1:{receiver.port}/bcl"
        apps = [hub.client(backchannel_logout_uri=uri) for _ in range(2)]
        id_tokens = []
        for app in apps:
            client_id = app.client["client_id"]
            verifier = secrets.token_urlsafe(48)
            from authlib.oauth2.rfc7636 import create_s256_code_challenge

            location = log_in_and_consent(browser, "/authorize?" + httpx.QueryParams({
                "response_type": "code", "client_id": client_id, "scope": "openid",
                "redirect_uri": "http://127.0.0.1:9999/callback", "state": "s", "nonce": "n",
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256"}).__str__(), username, "http://127.0.0.1:9999/")
            code = httpx.QueryParams(location.split("?", 1)[1])["code"]
            tokens = httpx.post(hub.issuer + "/token", data={
                "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                "redirect_uri": "http://127.0.0.1:9999/callback"},
                auth=(client_id, app.secret)).json()
            id_tokens.append(tokens["id_token"])
        logout = browser.get("/logout", params={"id_token_hint": id_tokens[0]})
        assert logout.status_code == 200
        deadline = time.monotonic() + 5
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(receiver.received) == 2
    jwks = KeySet.import_key_set(httpx.get(hub.issuer + "/jwks").json())
    audiences = set()
    for raw in receiver.received:
        token = jwt.decode(raw, jwks, algorithms=["ES256", "RS256"])
        assert token.header["typ"] == "logout+jwt"
        claims = token.claims
        assert claims["iss"] == hub.issuer and EVENT in claims["events"]
        assert "nonce" not in claims and claims["sid"] and claims["sub"] and claims["jti"]
        audiences.add(claims["aud"])
    assert audiences == {app.client["client_id"] for app in apps}
    sid = jwt.decode(id_tokens[0], jwks, algorithms=["RS256", "ES256"]).claims["sid"]
    assert {jwt.decode(r, jwks, algorithms=["ES256"]).claims["sid"] for r in receiver.received} \
        == {sid}
