"""Templates are files of the installed package: read once, not checked for changes at each
render (Jinja2's `auto_reload` off, sitekit/web/pages.py; issue 16: a stat() per template
per render was 3.5 % of a worker)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from starlette.requests import Request

from sitekit.web.pages import Pages


def test_a_template_is_read_once_not_checked_again_at_each_render(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text("first")
    pages = Pages("Service", tmp_path)
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                       "headers": []})
    assert pages.render(request, "page.html").body == b"first"
    template.write_text("second")
    later = time.time() + 60
    os.utime(template, (later, later))  # as a changed file would look to a stat()
    assert pages.render(request, "page.html").body == b"first"
