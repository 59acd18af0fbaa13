"""HTTP glue of userinfo, discovery and JWKS (token, introspection and revocation are in
protocol_asgi.py). Database work runs in the thread pool."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.oidc.endpoints.discovery import discovery_document
from idp.oidc.endpoints.jwks import jwks_document
from idp.oidc.endpoints.userinfo import userinfo_response
from idp.oidc.server import to_starlette


async def userinfo(request: Request) -> Response:
    hub = request.app.state.hub
    access_token = None
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        access_token = value.strip()
    elif request.method == "POST":
        # RFC 6750 §2.2: form-encoded body parameter.
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type == "application/x-www-form-urlencoded":
            access_token = (await request.form()).get("access_token")  # type: ignore[assignment]
    result = await hub.rt.blocking(userinfo_response, hub.server, access_token)
    return to_starlette(result)


async def discovery(request: Request) -> Response:
    hub = request.app.state.hub
    return JSONResponse(discovery_document(hub.server),
                        headers={"Cache-Control": "public, max-age=300"})


async def jwks(request: Request) -> Response:
    hub = request.app.state.hub
    return JSONResponse(jwks_document(hub.server),
                        headers={"Cache-Control": "public, max-age=300"})


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})
