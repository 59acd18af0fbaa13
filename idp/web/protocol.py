"""HTTP glue of userinfo, discovery and JWKS (token, introspection and revocation are in
protocol_asgi.py). Database work runs in the thread pool."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.federation.health import provider_states
from idp.oidc.endpoints.discovery import discovery_document
from idp.oidc.endpoints.jwks import jwks_document
from idp.oidc.endpoints.userinfo import userinfo_response
from idp.oidc.server import to_starlette
from idp.web.hub import hub_of


async def userinfo(request: Request) -> Response:
    hub = hub_of(request)
    access_token = None
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        access_token = value.strip()
    elif request.method == "POST":
        # RFC 6750 §2.2: form-encoded body parameter.
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type == "application/x-www-form-urlencoded":
            posted = (await request.form()).get("access_token")
            access_token = posted if isinstance(posted, str) else None  # a file is no token
    result = await hub.rt.blocking(userinfo_response, hub.server, access_token)
    return to_starlette(result)


async def discovery(request: Request) -> Response:
    hub = hub_of(request)
    return JSONResponse(discovery_document(hub.server),
                        headers={"Cache-Control": "public, max-age=300"})


async def jwks(request: Request) -> Response:
    hub = hub_of(request)
    return JSONResponse(jwks_document(hub.server),
                        headers={"Cache-Control": "public, max-age=300"})


async def health(request: Request) -> Response:
    """Liveness: the process answers. Never touches the database (a database outage must not
    make an orchestrator restart healthy processes).

    `?detail=1` adds the state of each upstream identity provider as this process sees it
    (its registry: at most IDP_PROVIDERS_REFRESH seconds old), for operators and probes."""
    if request.query_params.get("detail") != "1":
        return JSONResponse({"status": "ok"})
    hub = hub_of(request)
    states = await hub.rt.blocking(provider_states, hub.rt.providers)
    return JSONResponse({"status": "ok", "providers": states},
                        headers={"Cache-Control": "no-store"})
