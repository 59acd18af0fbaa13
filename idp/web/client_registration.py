"""HTTP glue of dynamic client registration (RFC 7591) and management (RFC 7592):
`POST /register`, `GET|PUT|DELETE /register/{client_id}`, and the extension
`POST /register/{client_id}/secret`. JSON in and out; the work (database) runs in the
thread pool (oidc/client_registration.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.oidc.client_registration import Answer
from idp.web.hub import hub_of


def _bearer(request: Request) -> str | None:
    """RFC 6750 §2.1: the Authorization header only."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _send(answer: Answer) -> Response:
    status, body, headers = answer
    if body is None:
        return Response(status_code=status, headers=dict(headers))
    return JSONResponse(body, status_code=status, headers=dict(headers))


async def register(request: Request) -> Response:
    hub = hub_of(request)
    body = await request.body()
    return _send(await hub.rt.blocking(
        hub.client_registrations.register, _bearer(request),
        request.headers.get("content-type", ""), body, _ip(request)))


async def manage(request: Request) -> Response:
    hub = hub_of(request)
    client_id = request.path_params["client_id"]
    token = _bearer(request)
    if request.method == "GET":
        answer = await hub.rt.blocking(hub.client_registrations.read, token, client_id)
    elif request.method == "PUT":
        body = await request.body()
        answer = await hub.rt.blocking(
            hub.client_registrations.replace, token, client_id,
            request.headers.get("content-type", ""), body, _ip(request))
    else:
        answer = await hub.rt.blocking(hub.client_registrations.delete, token, client_id,
                                       _ip(request))
    return _send(answer)


async def rotate_secret(request: Request) -> Response:
    hub = hub_of(request)
    body = await request.body()
    return _send(await hub.rt.blocking(
        hub.client_registrations.rotate_secret, _bearer(request), request.path_params["client_id"],
        request.headers.get("content-type", ""), body, _ip(request)))
