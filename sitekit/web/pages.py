"""Jinja2 pages in the shared DSFR layout, in the request's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

import sitekit
from sitekit.texts import N_
from sitekit.web.i18n import LANG_COOKIE, LOCALES, Catalogues, negotiate

# Texts of the shared layout (sitekit/templates/base.html).
DEFAULT_TAGLINE = N_("Log in once to the public services")
GENERIC_ERROR = N_("An error occurred")


class Pages:
    def __init__(self, service_name: str, templates: Path) -> None:
        """`templates`: the application's own pages, looked up before sitekit's shared
        layout and macros."""
        self.templates = templates
        self.catalogues = Catalogues()
        self.env = Environment(
            loader=FileSystemLoader([templates, sitekit.TEMPLATES]),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            # The templates are files of the installed package: no stat() of each one of a
            # page at every render to see if it changed (3.5 % of a worker, py-spy).
            auto_reload=False,
        )
        self.env.globals["service_name"] = service_name
        self.env.globals["default_tagline"] = DEFAULT_TAGLINE
        self.env.globals["generic_error"] = GENERIC_ERROR

    def locale_of(self, request: Request, ui_locales: str | None = None) -> str:
        return negotiate(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                         ui_locales, request.headers.get("accept-language"))

    def render(self, request: Request, name: str, status: int = 200,
               ui_locales: str | None = None, **context: Any) -> HTMLResponse:
        locale = self.locale_of(request, ui_locales)

        def translate(message: str, **values: Any) -> str:
            text = self.catalogues.gettext(locale, message)
            values = {**getattr(message, "values", {}), **values}  # sitekit.texts.Text
            return text.format(**values) if values else text

        switch = [(other, _with_lang(request, other)) for other in LOCALES if other != locale]
        html = self.env.get_template(name).render(
            _=translate, lang=locale, language_links=switch, **context
        )
        response = HTMLResponse(html, status_code=status)
        chosen = request.query_params.get("lang")
        if chosen in LOCALES:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, httponly=True,
                                samesite="lax", path="/")
        return response


def _with_lang(request: Request, locale: str) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", locale)])
