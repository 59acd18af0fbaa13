"""One guard for every form of a relying application's pages: a page handler that accepts a
POST is declared with the application's ``FormGuard``, which admits the visitor (the
application's own rule: logged in, entitled), reads the form and compares its CSRF token
with the user session's in constant time before the handler runs; the handler gets the
session and what was read. A missing or wrong token answers the application's refusal page
(403) and the handler never runs (synchronizer token pattern, OWASP CSRF Prevention Cheat
Sheet).

The guard marks what it wraps (``FORM_GUARD``): tests/apa/test_form_guard.py walks every POST
route of APA and fails on one neither guarded nor listed there with the reason it takes no
token.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from clients.rp.sessions import UserSession

CSRF_FIELD = "csrf_token"
FORM_GUARD = "form_guard"  # set on every endpoint a FormGuard builds


class Posted(Protocol):
    """What a form reader returns: at least the form's text fields."""

    @property
    def fields(self) -> Mapping[str, str]: ...


P = TypeVar("P", bound=Posted)
Endpoint = Callable[[Request], Awaitable[Response]]
# (session, None) for a visitor who may post here; (None, the response to send) otherwise.
Admission = Callable[[Request], Awaitable[tuple[UserSession | None, Response | None]]]


@dataclass(frozen=True)
class Fields:
    fields: dict[str, str]


async def read_fields(request: Request, session: UserSession) -> Fields | Response:
    """The reader of a plain form: its text fields."""
    form = await request.form()
    return Fields({k: v for k, v in form.items() if isinstance(v, str)})


class FormGuard:
    """The guard of one application's forms: who may post, and the page a form without the
    session's token gets."""

    def __init__(self, admit: Admission, refuse: Callable[[Request], Response]) -> None:
        self.admit = admit
        self.refuse = refuse

    def __call__(
        self, read: Callable[[Request, UserSession], Awaitable[P | Response]]
    ) -> Callable[[Callable[[Request, UserSession, P], Awaitable[Response]]], Endpoint]:
        """``@guard(read=...)`` over ``handler(request, session, posted)``: `read_fields`
        for a plain form, or the page's own reader, which may answer a response itself (a
        body too large, an upload cut)."""

        def guard(handler: Callable[[Request, UserSession, P], Awaitable[Response]]
                  ) -> Endpoint:
            @functools.wraps(handler)
            async def guarded(request: Request) -> Response:
                session, refusal = await self.admit(request)
                if session is None:
                    return refusal or self.refuse(request)
                posted = await read(request, session)
                if isinstance(posted, Response):
                    return posted
                if not token_matches(session, posted.fields.get(CSRF_FIELD)):
                    return self.refuse(request)
                return await handler(request, session, posted)

            setattr(guarded, FORM_GUARD, True)
            return guarded

        return guard


def token_matches(session: UserSession, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(presented.encode(), session.csrf.encode())
