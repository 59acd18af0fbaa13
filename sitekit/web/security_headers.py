"""Headers on every response: no framing (clickjacking), no sniffing, no referrer leaking
codes, and a strict content security policy."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


# The same protections on JSON answers of the protocol endpoints (idp/web/protocol_asgi.py).
JSON_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
# What every other answer gets, unless it set its own value.
DEFAULT_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CSP.encode("latin-1")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


class SecurityHeadersMiddleware:
    """The outermost layer of the hub (idp/app.py), so every answer has these headers: pages,
    JSON, refusals of the request limits, and the 500 page Starlette's ServerErrorMiddleware
    sends from outside the app's own middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Kept when already set: the protocol endpoints' JSON answers carry stricter
                # ones (JSON_HEADERS). Raw names are lower case (ASGI), as Starlette's
                # MutableHeaders.setdefault compares them; one pass instead of five.
                headers = message["headers"]
                present = {name for name, _ in headers}
                missing = [h for h in DEFAULT_HEADERS if h[0] not in present]
                if missing:
                    message["headers"] = [*headers, *missing]
            await send(message)

        await self.app(scope, receive, send_with_headers)
