"""What pages check first: a logged-in user, a form of this site, a local redirect target."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

from idp.web.cookies import session_id_from
from idp.web.messages import ERROR_MESSAGES
from sitekit.web.redirects import safe_next  # noqa: F401  (re-exported to the hub's pages)


async def logged_in_session(request: Request):  # type: ignore[no-untyped-def]
    hub = request.app.state.hub
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    return session if session is not None and session.account is not None else None


async def posted_form(request: Request):  # type: ignore[no-untyped-def]
    """(session, form) of a logged-in user's form with a valid CSRF token; otherwise
    (None, the response to send)."""
    hub = request.app.state.hub
    form = await request.form()
    session = await logged_in_session(request)
    if session is None:
        return None, RedirectResponse("/login", status_code=303)
    if not session.csrf_valid(form.get("csrf_token")):
        return None, hub.pages.render(request, "error.html", 403, **ERROR_MESSAGES["csrf"])
    return session, form
