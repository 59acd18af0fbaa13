"""The outbox's deliveries to relying applications (messaging/senders.py HttpEventSender)
against a real HTTP server on 127.0.0.1: a Security Event Token pushed per RFC 8935 (202
acknowledged, 400 with an error object given up), a back-channel logout token (form POST,
200), retries with growing delays on 5xx, timeouts and redirects (never followed), a
maximum age, and tokens signed at each attempt so their `iat` is fresh."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idp.oidc.tokens import ACCOUNT_PURGED_EVENT, BACKCHANNEL_LOGOUT_EVENT, TokenService
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.models import OutboxMessage
from idp.storage.repositories import audit as audit_repo
from idp.storage.repositories import outbox as outbox_repo
from tests.factories import Factories
from tests.servers import ThreadedServer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, backchannel_logout_timeout=0.5)


@dataclass
class Receiver:
    """Answers each POST with the next scripted (status, body, delay); keeps what it got."""
    script: list[tuple[int, bytes, float]] = field(default_factory=list)
    received: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.received.append((request.headers.get("content-type", ""), body))
            status, answer, delay = self.script.pop(0) if self.script else (202, b"", 0.0)
        if delay:
            await asyncio.sleep(delay)  # a receiver slower than the sender's timeout
        headers = {"Location": "http://127.0.0.1:9/elsewhere"} if status == 302 else {}
        return Response(answer, status_code=status, headers=headers,
                        media_type="application/json")


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    r = Receiver()
    app = Starlette(routes=[Route("/events", r.endpoint, methods=["POST"]),
                            Route("/logout", r.endpoint, methods=["POST"])])
    with ThreadedServer(app) as server:
        yield r, server.base


def _enqueue(rt: Runtime, channel: str, client_id: str) -> dict:
    tokens = TokenService(rt.settings, rt.keys, rt.clock)
    claims = (tokens.account_purged_claims(client_id=client_id, subject="sub-1")
              if channel == "set" else tokens.logout_claims(client_id=client_id,
                                                            subject="sub-1", sid=None))
    with rt.db.transaction() as s:
        outbox_repo.enqueue(s, channel, client_id, "", json.dumps(claims), rt.clock.now())
    return claims


def _row(rt: Runtime) -> OutboxMessage:
    with rt.db.read() as s:
        rows = outbox_repo.messages_to(s, "app")
        assert len(rows) == 1
        s.expunge_all()
        return rows[0]


def _audited(rt: Runtime, event: str) -> list:
    rt.audit.flush()
    with rt.db.read() as s:
        return [(e.client_id, e.detail) for e in audit_repo.recent_events(s, event=event)]


def _verify(rt: Runtime, token: str) -> jwt.Token:
    return jwt.decode(token, KeySet.import_key_set(rt.keys.public_jwks()),
                      algorithms=["ES256", "RS256"])


def test_a_security_event_token_is_pushed_and_acknowledged(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", account_events_uri=f"{base}/events")
    claims = _enqueue(rt, "set", "app")
    assert rt.outbox.deliver_due() == 1
    (media_type, body), = r.received
    assert media_type == "application/secevent+jwt"
    token = _verify(rt, body.decode())
    assert token.header["typ"] == "secevent+jwt"
    assert token.claims["jti"] == claims["jti"] and token.claims["aud"] == "app"
    assert token.claims["iat"] == rt.clock.now()
    assert token.claims["events"][ACCOUNT_PURGED_EVENT]["subject"] == {
        "format": "iss_sub", "iss": rt.settings.issuer, "sub": "sub-1"}
    row = _row(rt)
    assert row.sent_at is not None and row.body == ""  # the text goes once delivered
    assert _audited(rt, "delivery.acknowledged") == [("app", {"channel": "set",
                                                              "reason": None})]


def test_a_server_error_is_retried_later_with_a_fresh_iat(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", account_events_uri=f"{base}/events")
    claims = _enqueue(rt, "set", "app")
    r.script += [(500, b"", 0.0), (503, b"", 0.0)]
    assert rt.outbox.deliver_due() == 0
    first = _row(rt)
    assert first.sent_at is None and first.attempts == 1 and "HTTP 500" in first.last_error
    assert rt.outbox.deliver_due() == 0  # not due yet: 30 s later
    rt.clock.advance(31)
    assert rt.outbox.deliver_due() == 0
    assert _row(rt).attempts == 2
    rt.clock.advance(61)  # the delay doubles
    assert rt.outbox.deliver_due() == 1
    tokens = [_verify(rt, body.decode()) for _, body in r.received]
    assert len(tokens) == 3
    assert {t.claims["jti"] for t in tokens} == {claims["jti"]}  # the same event
    assert tokens[-1].claims["iat"] == rt.clock.now()  # signed again at the last attempt


def test_a_receiver_that_does_not_answer_in_time_is_tried_again(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", account_events_uri=f"{base}/events")
    _enqueue(rt, "set", "app")
    r.script.append((202, b"", 1.5))  # beyond the 0.5 s timeout
    assert rt.outbox.deliver_due() == 0
    row = _row(rt)
    assert row.sent_at is None and "Timeout" in row.last_error
    rt.clock.advance(31)
    assert rt.outbox.deliver_due() == 1


def test_a_redirect_is_not_followed(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", account_events_uri=f"{base}/events")
    _enqueue(rt, "set", "app")
    r.script.append((302, b"", 0.0))
    assert rt.outbox.deliver_due() == 0
    assert len(r.received) == 1 and "HTTP 302" in _row(rt).last_error


def test_a_refusal_with_an_error_object_stops_the_retries_and_is_audited(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", account_events_uri=f"{base}/events")
    _enqueue(rt, "set", "app")
    r.script.append((400, json.dumps({"err": "authentication_failed",
                                      "description": "bad\x00 signature" + "x" * 5000}
                                     ).encode(), 0.0))
    assert rt.outbox.deliver_due() == 0
    row = _row(rt)
    assert row.sent_at is not None and row.body == ""
    assert "authentication_failed: bad signature" in row.last_error
    rt.clock.advance(86400)
    assert rt.outbox.deliver_due() == 0 and len(r.received) == 1  # never again
    (client_id, detail), = _audited(rt, "delivery.refused")
    assert client_id == "app" and detail["channel"] == "set"
    assert "authentication_failed" in detail["reason"] and len(detail["reason"]) < 400


def test_a_message_too_old_is_given_up_and_audited(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", account_events_uri=f"{base}/events")
    _enqueue(rt, "set", "app")
    r.script += [(500, b"", 0.0)] * 3
    rt.outbox.deliver_due()
    rt.clock.advance(rt.settings.event_delivery_max_age + 1)
    assert rt.outbox.deliver_due() == 0
    assert len(r.received) == 1  # not tried once it is too old
    row = _row(rt)
    assert row.sent_at is not None and row.last_error.startswith("undelivered after")
    assert [c for c, _ in _audited(rt, "delivery.given_up")] == ["app"]


def test_a_client_without_the_uri_any_more_is_not_tried(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, _ = receiver
    factories.client("app")  # no account_events_uri
    _enqueue(rt, "set", "app")
    assert rt.outbox.deliver_due() == 0
    assert r.received == [] and _row(rt).sent_at is not None
    assert [c for c, _ in _audited(rt, "delivery.refused")] == ["app"]


def test_a_logout_token_is_form_posted_and_200_acknowledges_it(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", backchannel_logout_uri=f"{base}/logout")
    _enqueue(rt, "logout", "app")
    r.script.append((200, b"", 0.0))
    assert rt.outbox.deliver_due() == 1
    (media_type, body), = r.received
    assert media_type == "application/x-www-form-urlencoded"
    token = _verify(rt, body.decode().removeprefix("logout_token="))
    assert token.header["typ"] == "logout+jwt"
    assert token.claims["sub"] == "sub-1" and "sid" not in token.claims
    assert BACKCHANNEL_LOGOUT_EVENT in token.claims["events"]
    assert token.claims["exp"] == rt.clock.now() + 120


def test_a_logout_answered_202_is_not_acknowledged(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    # Back-Channel Logout 1.0 §2.8: success is 200 OK.
    r, base = receiver
    factories.client("app", backchannel_logout_uri=f"{base}/logout")
    _enqueue(rt, "logout", "app")
    r.script.append((202, b"", 0.0))
    assert rt.outbox.deliver_due() == 0 and _row(rt).sent_at is None


def test_several_dispatchers_deliver_each_message_once(
        rt: Runtime, factories: Factories, receiver: tuple[Receiver, str]) -> None:
    r, base = receiver
    factories.client("app", account_events_uri=f"{base}/events")
    for _ in range(6):
        _enqueue(rt, "set", "app")
    other = Runtime.build(rt.settings, rt.clock)
    try:
        threads = [threading.Thread(target=d.deliver_due) for d in (rt.outbox, other.outbox)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert len(r.received) == 6
