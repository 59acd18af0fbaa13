"""The outermost ASGI layer of the hub and the applications (issue 15): a request id for every
request, an optional access log line, and a hook the metrics use.

The id is the incoming ``X-Request-Id`` when it is short and plain (``[A-Za-z0-9._-]{1,64}``:
a proxy or a client may correlate its own logs), else a new random one; it is sent back as
``X-Request-Id`` on every answer and set in ``sitekit.logs.REQUEST_ID`` while the request runs,
so every log line of the request carries it (the thread pool copies the context).

The access log (``idp.access`` / ``<app>.access`` at INFO) writes one line per request:
method, path without its query string (it may hold codes or tokens), status, duration in
milliseconds, request id and the client address as uvicorn's proxy settings give it.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from contextvars import Token
from typing import NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sitekit.logs import REQUEST_ID, SAFE_REQUEST_ID

HEADER = b"x-request-id"

# Called once per HTTP request after its answer: (scope, status, seconds).
Observer = Callable[[Scope, int, float], None]


class RandomIds:
    """New request ids: 16 hex characters of the operating system's random source, read
    4 KiB at a time (one system call per 512 ids instead of one per request). One instance
    per middleware, used by its event loop's thread only."""

    CHUNK = 4096

    def __init__(self) -> None:
        self._hex = ""
        self._at = 0

    def __call__(self) -> str:
        if self._at >= len(self._hex):
            self._hex, self._at = os.urandom(self.CHUNK).hex(), 0
        at = self._at
        self._at = at + 16
        return self._hex[at:at + 16]


def request_id_of(headers: list[tuple[bytes, bytes]],
                  new_id: Callable[[], str] | None = None) -> str:
    for name, value in headers:
        if name == HEADER:
            try:
                candidate = value.decode("ascii")
            except UnicodeDecodeError:
                break
            if SAFE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return new_id() if new_id is not None else secrets.token_hex(8)


class Opened(NamedTuple):
    request_id: str
    token: Token[str | None]  # REQUEST_ID's, reset when the request closes
    started: float  # time.perf_counter()


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = False,
                 access_logger: str = "idp.access", observer: Observer | None = None) -> None:
        self.app = app
        self.access_log = access_log
        self.log = logging.getLogger(access_logger)
        self.observer = observer
        self.new_id = RandomIds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        opened = self.opened(scope)
        status = 500  # what the server answers when the app fails before starting its answer
        raw_id = opened.request_id.encode("ascii")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, raw_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.closed(scope, status, opened)

    # Also used by a layer in front that answers some requests itself (the hub's protocol
    # endpoints): the same ids, observer and access line.
    def opened(self, scope: Scope) -> Opened:
        """A request begins: its id, set in REQUEST_ID for its log lines."""
        request_id = request_id_of(scope.get("headers", []), self.new_id)
        return Opened(request_id, REQUEST_ID.set(request_id), time.perf_counter())

    def closed(self, scope: Scope, status: int, opened: Opened) -> None:
        """The request `opened` answered (`status`, 500 when no answer started): the
        observer, then the access line."""
        elapsed = time.perf_counter() - opened.started
        if self.observer is not None:
            self.observer(scope, status, elapsed)
        if self.access_log:
            self._access_line(scope, status, elapsed)
        REQUEST_ID.reset(opened.token)

    def _access_line(self, scope: Scope, status: int, elapsed: float) -> None:
        client = scope.get("client")
        path: str = scope["path"]
        if not path.isprintable():  # a decoded %0A must not start a forged line in text logs
            path = path.encode("unicode_escape").decode("ascii")
        self.log.info("%s %s %d", scope["method"], path, status, extra={
            "method": scope["method"], "path": path, "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "client": client[0] if client else None,
        })

