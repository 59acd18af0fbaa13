"""What pages check first: a logged-in user, a local redirect target (a form of this site:
pages/form_guard.py)."""

from __future__ import annotations

from starlette.requests import Request

from idp.web.hub import hub_of
from idp.web.sessions import SessionState
from sitekit.web.redirects import safe_next

__all__ = ["logged_in_session", "safe_next"]  # safe_next: re-exported to the hub's pages


async def logged_in_session(request: Request) -> SessionState | None:
    hub = hub_of(request)
    session = await hub.load_session(request)
    return session if session is not None and session.account is not None else None


