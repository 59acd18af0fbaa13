"""The one typed way APA's handlers reach their application object: ``apa_of(request)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request

    from clients.apa.app import Apa


def apa_of(request: Request) -> Apa:
    """The Apa of the app serving ``request`` (``create_app`` keeps it in ``app.state``)."""
    apa: Apa = request.app.state.apa
    return apa
