"""Errors that escape a handler: a JSON protocol error on protocol endpoints, a French page
elsewhere; never a stack trace. Unexpected exceptions are logged and become server_error."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.web.hub import hub_of
from idp.web.messages import ERROR_MESSAGES

log = logging.getLogger("idp.web")

PROTOCOL_PATHS = ("/token", "/introspect", "/revoke", "/userinfo", "/jwks", "/.well-known/",
                  "/register")


def _is_protocol(request: Request) -> bool:
    return request.url.path.startswith(PROTOCOL_PATHS)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _is_protocol(request):
        error = "invalid_request" if exc.status_code < 500 else "server_error"
        return JSONResponse({"error": error}, status_code=exc.status_code)
    key = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
    pages = hub_of(request).pages
    return pages.render(request, "error.html", exc.status_code, **ERROR_MESSAGES[key])


# RFC 9110 §10.2.3: when to come back; the database timeouts are a few seconds.
RETRY_AFTER = "5"
# RFC 6749 §4.1.2.1 / §5.2 error code for a server that cannot answer for now.
TEMPORARILY_UNAVAILABLE = {
    "error": "temporarily_unavailable",
    "error_description": "The service cannot reach its database; try again shortly.",
}


async def storage_unavailable(request: Request, exc: Exception) -> Response:
    """The database is out (unreachable, stalled, locked): 503 and when to retry, a protocol
    error on protocol endpoints, the clear page elsewhere. One line in the log, no trace."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": RETRY_AFTER}
    if _is_protocol(request):
        return JSONResponse(TEMPORARILY_UNAVAILABLE, status_code=503, headers=headers)
    pages = hub_of(request).pages
    response = pages.render(request, "directory_down.html", 503)
    response.headers.update(headers)
    return response


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    if _is_protocol(request):
        return JSONResponse({"error": "server_error"}, status_code=500)
    pages = hub_of(request).pages
    return pages.render(request, "error.html", 500, **ERROR_MESSAGES["server_error"])
