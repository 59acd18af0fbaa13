"""The relying application's receiver of the hub's Security Event Tokens
(clients/rp/events.py, `HubLogin.account_events`, RFC 8935): the hub runs for real on
127.0.0.1 (its JWKS fetched over HTTP); an account-purged SET signed by it ends the person's
sessions and answers 202; a forged signature, another audience or issuer, a replayed `jti`,
another `typ`, media type or event, an old `iat` answer 400 with RFC 8935's error object."""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.testclient import TestClient

from clients.rp.events import SET_MEDIA_TYPE
from clients.rp.jwks import HubKeys
from clients.rp.login import HubLogin
from clients.rp.sessions import Base as RpBase
from clients.rp.sessions import SessionStore, token_box
from clients.rp.settings import HubClientSettings
from idp.app import create_app
from idp.oidc.jws import sign_compact
from idp.oidc.tokens import TokenService
from idp.runtime import Runtime
from idp.settings import Settings
from sitekit.storage.database import Database
from tests.servers import ThreadedServer, free_port

PORT = free_port()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, issuer=f"http://127.0.0.1:{PORT}")


@dataclasses.dataclass
class World:
    rt: Runtime
    tokens: TokenService
    rp: TestClient
    store: SessionStore
    hooked: list[str]

    def session_of(self, sub: str) -> str:
        return self.store.create(self.rt.clock.now(), sub=sub, sid=None, claims={"sub": sub},
                                 id_token="x", access_token="y", refresh_token=None,
                                 access_expires_at=self.rt.clock.now() + 60)

    def event(self, sub: str = "sub-1", **changes: Any) -> dict[str, Any]:
        claims = self.tokens.account_purged_claims(client_id="app", subject=sub)
        return {**claims, **changes}

    def push(self, token: str, media_type: str = SET_MEDIA_TYPE):  # type: ignore[no-untyped-def]
        return self.rp.post("/auth/account-events", content=token.encode(),
                            headers={"Content-Type": media_type})


@pytest.fixture
def world(rt: Runtime, tmp_path: Path) -> Iterator[World]:
    hub = ThreadedServer(create_app(rt.settings, runtime=rt))
    hub.server = uvicorn.Server(uvicorn.Config(hub.server.config.app, host="127.0.0.1",
                                               port=PORT, log_level="warning", lifespan="off"))
    hub.thread = threading.Thread(target=hub.server.run, daemon=True)
    with hub:
        app, store, hooked = _rp(rt.settings.issuer, tmp_path, rt.clock.now)
        with TestClient(app) as rp:
            yield World(rt, TokenService(rt.settings, rt.keys, rt.clock), rp, store, hooked)


def _rp(issuer: str, tmp_path: Path, now) -> tuple[Starlette, SessionStore, list[str]]:  # type: ignore[no-untyped-def]
    settings = HubClientSettings(issuer=issuer, client_id="app", client_secret="s" * 43,
                                 base_url="http://127.0.0.1:9", session_cookie="app_session")
    db = Database(f"sqlite:///{tmp_path}/rp.sqlite3")
    RpBase.metadata.create_all(db.engine)
    store = SessionStore(db, 3600, token_box(settings.client_secret))
    hooked: list[str] = []

    async def run(fn, *args):  # type: ignore[no-untyped-def]
        return fn(*args)

    async def purged(sub: str) -> None:
        hooked.append(sub)

    login = HubLogin(settings, store, HubKeys(issuer), run, now, on_account_purged=purged)
    return Starlette(routes=login.routes), store, hooked


def test_an_account_purged_event_ends_the_sessions_and_is_accepted(world: World) -> None:
    world.session_of("sub-1")
    world.session_of("sub-1")
    other = world.session_of("sub-2")
    response = world.push(world.tokens.sign_event("set", world.event("sub-1")))
    assert response.status_code == 202, response.text
    assert world.store.count() == 1 and world.store.load(other, world.rt.clock.now())
    assert world.hooked == ["sub-1"]


def _refusal(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"err", "description"}
    return str(body["err"])


def test_a_forged_signature_is_refused(world: World) -> None:
    world.session_of("sub-1")
    kid = world.rt.keys.current("ES256").kid
    forged = sign_compact({**world.event(), "iat": world.rt.clock.now()}, "ES256", kid,
                          "secevent+jwt", ec.generate_private_key(ec.SECP256R1()))
    assert _refusal(world.push(forged)) == "authentication_failed"
    assert world.store.count() == 1 and world.hooked == []


def test_another_audience_is_refused(world: World) -> None:
    token = world.tokens.sign_event("set", {**world.event(), "aud": "other-app"})
    assert _refusal(world.push(token)) == "invalid_audience"


def test_a_replayed_jti_is_refused(world: World) -> None:
    token = world.tokens.sign_event("set", world.event())
    assert world.push(token).status_code == 202
    assert _refusal(world.push(token)) == "invalid_request"
    assert world.hooked == ["sub-1"]


def test_another_typ_is_refused(world: World) -> None:
    key = world.rt.keys.current("ES256")
    token = sign_compact({**world.event(), "iat": world.rt.clock.now()}, "ES256", key.kid,
                         "JWT", key.jwk.private_key)
    assert _refusal(world.push(token)) == "invalid_request"
    # A logout token is not an account event either.
    logout = world.tokens.sign_event("logout", world.tokens.logout_claims(
        client_id="app", subject="sub-1", sid=None))
    assert _refusal(world.push(logout)) == "invalid_request"


def test_an_old_event_is_refused(world: World) -> None:
    token = world.tokens.sign_event("set", world.event())
    world.rt.clock.advance(301)
    assert _refusal(world.push(token)) == "invalid_request"


@pytest.mark.parametrize("media_type", ["application/jwt", "application/x-www-form-urlencoded",
                                        "text/plain"])
def test_another_media_type_is_refused(world: World, media_type: str) -> None:
    token = world.tokens.sign_event("set", world.event())
    assert _refusal(world.push(token, media_type)) == "invalid_request"


@pytest.mark.parametrize("body", ["", "a.b", "x" * 20_000, "a.b.c", "\x00.\x00.\x00",
                                  "é.é.é"])
def test_hostile_bodies_are_refused(world: World, body: str) -> None:
    assert _refusal(world.push(body)) == "invalid_request"


def test_another_issuer_or_event_is_refused(world: World) -> None:
    wrong_event = {**world.event(), "events": {"https://example.test/other": {}}}
    assert _refusal(world.push(world.tokens.sign_event("set", wrong_event))) == \
        "invalid_request"
    key = world.rt.keys.current("ES256")
    other_issuer = sign_compact({**world.event(), "iss": "https://evil.example",
                                 "iat": world.rt.clock.now(), "jti": secrets.token_urlsafe(8)},
                                "ES256", key.kid, "secevent+jwt", key.jwk.private_key)
    assert _refusal(world.push(other_issuer)) == "invalid_issuer"
