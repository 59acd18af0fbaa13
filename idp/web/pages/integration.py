"""Pages for the developers of relying applications: the connect button they may offer,
shown live and as the HTML to copy (its stylesheet: sitekit/static/connect-button/, served
cross-origin by idp/web/static_files.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.web.hub import hub_of

BUTTON_PATH = "/integration/bouton-de-connexion"
STYLESHEET_PATH = "/static/connect-button/connect-button.css"
# "Qu'est-ce que <hub> ?": the page that explains the hub to citizens (web/pages/legal.py).
ABOUT_PATH = "/a-propos"


def source(markup: str) -> str:
    """The HTML as a developer would type it: Jinja writes ' as &#39; in text, which is
    needless there and in double-quoted attributes. Escaped again when shown."""
    return str(markup).replace("&#39;", "'")


async def connect_button(request: Request) -> Response:
    hub = hub_of(request)
    issuer = hub.settings.issuer
    return hub.pages.render(request, "integration_button.html",
                            stylesheet_url=issuer + STYLESHEET_PATH,
                            about_url=issuer + ABOUT_PATH, source=source)
