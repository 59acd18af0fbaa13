from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from idp.settings import Settings


def session_id_from(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(settings.session_cookie)


def set_session_cookie(response: Response, settings: Settings, session_id: str) -> None:
    response.set_cookie(
        settings.session_cookie,
        session_id,
        max_age=settings.session_ttl,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.session_cookie, path="/", httponly=True, secure=settings.secure_cookies,
        samesite="lax",
    )


DEVICE_COOKIE = "idp_device"


def set_device_cookie(response: Response, settings: Settings, value: str, max_age: int) -> None:
    """The browser's device cookie (portal/devices.py): random, HttpOnly, SameSite=Lax,
    Secure when the hub is served over https, kept about 13 months."""
    response.set_cookie(DEVICE_COOKIE, value, max_age=max_age, path="/", httponly=True,
                        secure=settings.secure_cookies, samesite="lax")
