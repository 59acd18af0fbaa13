"""The token, introspection and revocation endpoints as a bare ASGI layer in front of the
hub's page stack: the busiest paths skip Starlette, its form parser, Request/Response objects
and the page middleware (what that middleware does for them is done here, see
ProtocolEndpoints).

Answers are JSON, except a signed introspection answer (RFC 9701), sent with its own
media type. The body is read once (``MAX_BODY_BYTES`` at most, with the other request limits)
and parsed as application/x-www-form-urlencoded
(RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1). A client_credentials request whose client
is already in this process's cache does no I/O at all, so it runs on the event loop, and so
does the introspection of an access token (one indexed read: on a SQLite file at once, it
never waits; on PostgreSQL asynchronously, then the request runs again with the row); every
other request runs in the thread pool because it reads or writes the database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from idp.limits import MAX_PARAMETERS
from idp.oidc.server import HubOAuth2Request, ProtocolResponse
from idp.web.errors import RETRY_AFTER, TEMPORARILY_UNAVAILABLE
from idp.web.middleware.request_limits import Refusal, checked_body
from sitekit.storage.database import WouldBlock
from sitekit.storage.errors import StorageUnavailable
from sitekit.web.headers import RequestHeaders
from sitekit.web.request_context import HEADER as REQUEST_ID_HEADER
from sitekit.web.request_context import RequestContextMiddleware
from sitekit.web.security_headers import JSON_HEADERS

if TYPE_CHECKING:
    from idp.web.hub import Hub

log = logging.getLogger("idp.web")

FORM = "application/x-www-form-urlencoded"
# json.dumps with options builds an encoder per call; one, reused, gives the same text.
_JSON = json.JSONEncoder(separators=(",", ":"))
# Each security header with its name as a str (a handler's headers are str pairs).
_SECURITY_HEADERS = [(name.decode(), (name, value)) for name, value in JSON_HEADERS]


class ProtocolEndpoints:
    """The outermost layer (idp/app.py): the three endpoints answer here, every other request
    goes on to `app`, the page stack. What that stack's layers do to a request, done here in
    one pass for these (each layer's wrapper of `send` and re-read of the body cost a grant
    ~10 % of its CPU, issue 16): the request id and the observer and access line of
    `context` (sitekit/web/request_context.py), the request limits
    (idp/web/middleware/request_limits.py, refused as ``invalid_request``), and the security
    headers (JSON_HEADERS, which every answer here carries)."""

    def __init__(self, app: ASGIApp, hub: Hub, context: RequestContextMiddleware) -> None:
        self.app = app
        self.hub = hub
        self.context = context
        self.issuer = hub.settings.issuer
        server = hub.server
        self.routes: dict[str, Callable[[HubOAuth2Request], Awaitable[ProtocolResponse]]] = {
            "/token": self._token,
            "/introspect": self._introspect,
            "/revoke": lambda r: hub.rt.blocking(
                server.create_endpoint_response, "revocation", r),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.routes.get(scope.get("path", "")) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        opened = self.context.opened(scope)
        status = 500  # as the request layer counts a request that got no answer
        try:
            result = await self._answer(scope, receive, handler)
            if result is not None:
                status = result[0]
                await _send(send, *result, opened.request_id)
        finally:
            self.context.closed(scope, status, opened)

    async def _answer(self, scope: Scope, receive: Receive,
                      handler: Callable[[HubOAuth2Request], Awaitable[ProtocolResponse]],
                      ) -> ProtocolResponse | None:
        """The answer; None when the client went away before sending its whole body."""
        try:
            headers = RequestHeaders(scope)
            body = await checked_body(scope, headers, receive)
            if body is None:
                return None
            return await self._handle(scope, headers, body, handler)
        except Refusal as refusal:  # RFC 6749 §5.2
            return refusal.status, {"error": "invalid_request",
                                    "error_description": refusal.description}, []
        except StorageUnavailable as exc:
            log.warning("database unavailable on %s: %s", scope["path"], exc)
            return 503, TEMPORARILY_UNAVAILABLE, [("Retry-After", RETRY_AFTER)]
        except Exception:
            log.exception("unexpected error on %s", scope["path"])
            return 500, {"error": "server_error"}, []

    async def _handle(self, scope: Scope, headers: RequestHeaders, body: bytes,
                      handler: Callable[[HubOAuth2Request], Awaitable[ProtocolResponse]],
                      ) -> ProtocolResponse:
        if scope["method"] != "POST":
            return 405, {"error": "invalid_request",
                         "error_description": "Use POST."}, [("Allow", "POST")]
        form: list[tuple[str, str]] = []
        if headers.get("content-type", "").split(";")[0].strip().lower() == FORM:
            try:
                form = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                 max_num_fields=MAX_PARAMETERS)
            except (UnicodeDecodeError, ValueError):
                return 400, {"error": "invalid_request",
                             "error_description": "Malformed form body."}, []
        client = scope.get("client")
        request = HubOAuth2Request("POST", self.issuer + scope["path"], headers, [], form,
                                   client[0] if client else None)
        return await handler(request)

    async def _token(self, request: HubOAuth2Request) -> ProtocolResponse:
        server = self.hub.server
        if server.can_answer_without_io(request):
            return server.create_token_response(request)
        return await self.hub.rt.blocking(server.create_token_response, request)

    async def _introspect(self, request: HubOAuth2Request) -> ProtocolResponse:
        server = self.hub.server
        if server.can_introspect_on_event_loop(request):
            # Without the thread pool's hop (issue 16): introspection writes nothing and
            # records no event before its reads, so it may run again: after each of its
            # reads on PostgreSQL (done asynchronously), or below when a read would wait.
            try:
                answer: ProtocolResponse = await self.hub.rt.db.run_on_event_loop(
                    server.create_endpoint_response, "introspection", request,
                    prefetch=lambda: server.introspection_reads(request))
                return answer
            except WouldBlock:
                pass
        return await self.hub.rt.blocking(
            server.create_endpoint_response, "introspection", request)


async def _send(send: Send, status: int, body: Any, headers: list[tuple[str, str]],
                request_id: str) -> None:
    """JSON, or a signed JWT (a str: RFC 9701's introspection answer) with the Content-Type
    its handler gave; the security headers and the request id."""
    content_type = b"application/json"
    if isinstance(body, str):
        payload = body.encode("ascii")
        content_type = next(v for k, v in headers if k.lower() == "content-type").encode()
    else:
        payload = _JSON.encode(body).encode()
    raw = [(b"content-type", content_type),
           (b"content-length", str(len(payload)).encode())]
    seen = set()
    for name, value in headers:
        key = name.lower()
        if key in ("content-type", "content-length"):
            continue
        seen.add(key)
        raw.append((key.encode(), value.encode("latin-1")))
    raw.extend(header for name, header in _SECURITY_HEADERS if name not in seen)
    raw.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
