"""The hub's pages: sitekit's renderer over the hub's own templates (idp/templates/)."""

from __future__ import annotations

from pathlib import Path

from idp.portal.content import SiteContent
from sitekit.web import pages

# The hub's own pages; the layout and macros they extend come from sitekit.
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class Pages(pages.Pages):
    def __init__(self, service_name: str = "Identité Publique",
                 templates: Path = TEMPLATES, content: SiteContent | None = None) -> None:
        super().__init__(service_name, templates)
        # The operator's texts (IDP_CONTENT_FILE), read by the login, assistance and FAQ pages.
        self.env.globals["site_content"] = content or SiteContent.load(None)
