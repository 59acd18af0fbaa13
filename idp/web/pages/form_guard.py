"""One guard for every form of the hub: a page handler that accepts a POST is declared with
``@form_post``. The guard reads the form, loads the browser session and compares the form's
CSRF token with the session's in constant time before the handler runs; the handler gets
the loaded session and the form. No session, or a missing or wrong token, answers the "form
expired" page (403) and the handler never runs (synchronizer token pattern, OWASP CSRF
Prevention Cheat Sheet).

A page may first say who may post (``admit``): a logged-out visitor of an account page is sent
to the login page rather than told the form expired. The guard marks what it wraps
(``FORM_GUARD``); tests/integration/test_form_guard.py walks every POST route of the hub and
fails on one neither guarded nor listed there with the reason it takes no token.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import overload

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.web.hub import hub_of
from idp.web.messages import ERROR_MESSAGES
from idp.web.sessions import SessionState

CSRF_FIELD = "csrf_token"
FORM_GUARD = "form_guard"  # set on every endpoint @form_post builds

FormHandler = Callable[[Request, SessionState, FormData], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
# Runs after the session is loaded, before the token is checked: a response to send instead
# (the visitor may not post here), or None. A missing session is refused in any case.
Admission = Callable[[Request, SessionState | None], Awaitable[Response | None]]


@overload
def form_post(handler: FormHandler, /) -> Endpoint: ...
@overload
def form_post(*, admit: Admission | None = None) -> Callable[[FormHandler], Endpoint]: ...


def form_post(handler: FormHandler | None = None, /, *, admit: Admission | None = None
              ) -> Endpoint | Callable[[FormHandler], Endpoint]:
    """``@form_post`` or ``@form_post(admit=...)`` over ``handler(request, session, form)``."""

    def guard(handler: FormHandler) -> Endpoint:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            hub = hub_of(request)
            form = await request.form()
            session = await hub.load_session(request)
            if admit is not None and (refusal := await admit(request, session)) is not None:
                return refusal
            if session is None or not token_matches(session, form.get(CSRF_FIELD)):
                return csrf_refusal(request)
            return await handler(request, session, form)

        setattr(guarded, FORM_GUARD, True)
        return guarded

    return guard if handler is None else guard(handler)


def token_matches(session: SessionState, presented: str | UploadFile | None) -> bool:
    """The session's CSRF token, compared in constant time (a file is never a token)."""
    return isinstance(presented, str) and session.csrf_valid(presented)


def csrf_refusal(request: Request) -> Response:
    """The answer to a form without this session's token."""
    response: Response = hub_of(request).pages.render(
        request, "error.html", 403, **ERROR_MESSAGES["csrf"])
    return response


async def require_login(request: Request, session: SessionState | None) -> Response | None:
    """Admission of the account pages: a logged-in user; others go to the login page."""
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    return None
