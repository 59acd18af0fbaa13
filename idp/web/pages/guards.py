"""What pages check first: a logged-in user, a local redirect target (a form of this site:
pages/form_guard.py)."""

from __future__ import annotations

from starlette.requests import Request

from idp.web.cookies import session_id_from
from sitekit.web.redirects import safe_next  # noqa: F401  (re-exported to the hub's pages)


async def logged_in_session(request: Request):  # type: ignore[no-untyped-def]
    hub = request.app.state.hub
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    return session if session is not None and session.account is not None else None


