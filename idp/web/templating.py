"""Jinja2 environment for the hub's pages (autoescaped, French first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


class Pages:
    def __init__(self, service_name: str = "Identité Publique") -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["service_name"] = service_name

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(f"idp/{name}").render(**context)
        return HTMLResponse(html, status_code=status)
