"""The hub's boundary for what a request carries (limits in ``idp/limits.py``).

Before any handler runs: a declared or streamed body over ``MAX_BODY_BYTES`` gets 413 (the
body is read here, bounded, then handed on), a query string over ``MAX_QUERY_BYTES`` 414, a
multipart body 415 (no page of the hub takes files), and a query or form parameter with a
control character (PostgreSQL refuses NUL in text), over ``MAX_PARAMETER_CHARS``, or one
parameter too many, 400. Protocol endpoints answer ``invalid_request`` JSON (RFC 6749 §5.2),
pages the French error page. The form and query are parsed as Starlette and
``protocol_asgi.py`` parse them, so no handler sees a value that was not checked here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idp.limits import (
    MAX_BODY_BYTES,
    MAX_PARAMETER_CHARS,
    MAX_PARAMETERS,
    MAX_QUERY_BYTES,
    parameter_problem,
)
from idp.web.errors import PROTOCOL_PATHS
from idp.web.messages import ERROR_MESSAGES
from sitekit.web.headers import RequestHeaders

if TYPE_CHECKING:
    from sitekit.web.pages import Pages

FORM = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"
# A control byte, or the percent-encoding of one (or of tab, LF, CR, which the full check
# then accepts). UTF-8 sequences cannot decode to a control: their bytes are >= 0x80.
ENCODED_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|%(?:[01][0-9a-fA-F]|7[fF])")
# The bytes of its first alternative: without "%", deleting them (bytes.translate, ~10x
# faster than the search on an access token) tells the same.
CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


class Refusal(Exception):
    def __init__(self, status: int, page: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.page = page
        self.description = description


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, pages: Pages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await checked_body(scope, RequestHeaders(scope), receive)
            if body is None:  # the client went away
                return
        except Refusal as refusal:
            await self._refuse(scope, refusal)(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _refuse(self, scope: Scope, refusal: Refusal) -> Response:
        if scope.get("path", "").startswith(PROTOCOL_PATHS):
            return JSONResponse({"error": "invalid_request",
                                 "error_description": refusal.description},
                                status_code=refusal.status)
        # The page is built without the refused query (never echoed, even in links).
        request = Request({**scope, "query_string": b""})
        return self.pages.render(request, "error.html", refusal.status,
                                 **ERROR_MESSAGES[refusal.page])


async def checked_body(scope: Scope, headers: Headers, receive: Receive) -> bytes | None:
    """The request's body once its query, declared length and body pass the limits (a
    Refusal else); None when the client went away before sending it all."""
    _check_query(scope["query_string"])
    _check_declared_length(headers)
    body = await _read_body(receive)
    if body is not None:
        _check_body(headers, body)
    return body


def _check_query(query_string: bytes) -> None:
    if len(query_string) > MAX_QUERY_BYTES:
        raise Refusal(414, "too_large", f"Query string longer than {MAX_QUERY_BYTES} bytes.")
    _check_encoded(query_string)


def _check_declared_length(headers: Headers) -> None:
    declared = headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise Refusal(400, "bad_input", "Malformed Content-Length.")
    if int(declared) > MAX_BODY_BYTES:
        raise Refusal(413, "too_large", f"Request body larger than {MAX_BODY_BYTES} bytes.")


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, refused as soon as it passes the limit (a chunked body declares no
    length)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refusal(413, "too_large", f"Request body larger than {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _check_body(headers: Headers, body: bytes) -> None:
    if not body:
        return
    declared = headers.get("content-type", "")
    # The protocol endpoints' usual value, as parse_options_header gives it back.
    content_type = FORM if declared == "application/x-www-form-urlencoded" else (
        parse_options_header(declared)[0])
    if content_type == MULTIPART:
        raise Refusal(415, "unsupported_media_type", "Multipart bodies are not accepted.")
    if content_type == FORM:
        _check_encoded(body)


def _check_encoded(raw: bytes) -> None:
    """The parameters of a query string or form body, parsed as Starlette's QueryParams and
    FormParser and protocol_asgi.py parse them. Fast path (the token endpoint's): short,
    few fields and no control character, so no parameter can break a rule."""
    if (len(raw) <= MAX_PARAMETER_CHARS and raw.count(b"&") < MAX_PARAMETERS
            and not has_encoded_control(raw)):
        return
    _check_parameters(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


def has_encoded_control(raw: bytes) -> bool:
    """Whether ENCODED_CONTROL matches somewhere in `raw`."""
    if b"%" in raw:
        return ENCODED_CONTROL.search(raw) is not None
    return len(raw.translate(None, CONTROL_BYTES)) != len(raw)


def _check_parameters(items: list[tuple[str, str]]) -> None:
    if len(items) > MAX_PARAMETERS:
        raise Refusal(400, "bad_input", f"More than {MAX_PARAMETERS} parameters.")
    for name, value in items:
        problem = parameter_problem(name, value)
        if problem is not None:
            raise Refusal(400, "bad_input", problem)
