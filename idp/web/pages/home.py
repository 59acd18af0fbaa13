from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.web.cookies import session_id_from


async def home(request: Request) -> Response:
    hub = request.app.state.hub
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    return hub.pages.render(request, "home.html", account=session.account if session else None)
