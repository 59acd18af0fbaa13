from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response


def session_id_from(request: Request, settings) -> str | None:  # type: ignore[no-untyped-def]
    return request.cookies.get(settings.session_cookie)


def set_session_cookie(response: Response, settings, session_id: str) -> None:  # type: ignore[no-untyped-def]
    response.set_cookie(
        settings.session_cookie,
        session_id,
        max_age=settings.session_ttl,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings) -> None:  # type: ignore[no-untyped-def]
    response.delete_cookie(
        settings.session_cookie, path="/", httponly=True, secure=settings.secure_cookies,
        samesite="lax",
    )
