"""The one typed way Chorus's handlers reach their application object: ``chorus_of(request)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request

    from clients.chorus.app import Chorus


def chorus_of(request: Request) -> Chorus:
    """The Chorus of the app serving ``request`` (``create_app`` keeps it in ``app.state``)."""
    chorus: Chorus = request.app.state.chorus
    return chorus
