"""Issue 15: the connect button's HTML, copied verbatim from the hub's page into a bare page
of another origin (no DSFR), renders with the hub's stylesheet; both pages axe clean, at
desktop and phone widths."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page
from tests.servers import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
BARE = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Application de démonstration</title></head>
<body><main><h1>Application de démonstration</h1>
{snippet}
</main></body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A tiny static server on a free port: an application's site, another origin."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()),
                                 functools.partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_copied_snippet_renders_the_button_on_another_site(  # type: ignore[no-untyped-def]
        page: Page, live, other_origin, width) -> None:
    w, h = WIDTHS[width]
    page.set_viewport_size({"width": w, "height": h})
    page.goto(live.hub + "/integration/bouton-de-connexion")
    expect(page.locator("h1")).to_have_text("Bouton de connexion pour les applications")
    expect(page.locator(".hub-connect-button").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= w
    check_page(page, f"connect-button-page-{width}")

    snippet = page.locator("#connect-button-snippet").text_content()
    assert snippet and snippet.startswith('<link rel="stylesheet" href="' + live.hub)
    origin, folder = other_origin
    (folder / "index.html").write_text(BARE.format(snippet=snippet), encoding="utf-8")
    with page.expect_response(lambda r: r.url.endswith("connect-button.css")) as answer:
        page.goto(origin + "/index.html")
    assert answer.value.status == 200
    assert answer.value.headers["access-control-allow-origin"] == "*"
    button = page.locator(".hub-connect-button")
    expect(button).to_be_visible()
    expect(button).to_have_accessible_name("S'identifier avec Identité Publique")
    # The hub's stylesheet applies, not the browser's defaults for a link.
    style = button.evaluate("""b => { const s = getComputedStyle(b);
        return {bg: s.backgroundColor, color: s.color, display: s.display,
                decoration: s.textDecorationLine, minHeight: s.minHeight,
                image: s.backgroundImage.slice(0, 19)}; }""")
    assert style == {"bg": "rgb(0, 0, 145)", "color": "rgb(255, 255, 255)",
                     "display": "inline-flex", "decoration": "none", "minHeight": "56px",
                     "image": 'url("data:image/svg'}
    brand = page.locator(".hub-connect-button__brand")
    assert brand.evaluate("b => getComputedStyle(b).fontWeight") == "700"
    about = page.get_by_role("link", name="Qu'est-ce que Identité Publique ?")
    expect(about).to_have_attribute("href", live.hub + "/a-propos")
    expect(about).to_have_attribute("target", "_blank")
    assert page.evaluate("document.documentElement.scrollWidth") <= w
    check_page(page, f"connect-button-other-site-{width}")
    page.goto(live.hub + "/a-propos")
    expect(page.locator("h1")).to_have_text("Qu'est-ce que ce service ?")


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_refused_request_page_names_the_parameter(page: Page, live, width) -> None:  # type: ignore[no-untyped-def]
    w, h = WIDTHS[width]
    page.set_viewport_size({"width": w, "height": h})
    page.goto(live.hub + "/authorize?response_type=code&client_id=test-rp&scope=openid"
              "&redirect_uri=https%3A%2F%2Fevil.test%2F%3Cscript%3E&state=abcdefgh"
              "&code_challenge=" + "a" * 43 + "&code_challenge_method=S256")
    expect(page.locator("h1")).to_have_text("Demande invalide")
    expect(page.locator("#developer-details")).to_have_text("Détails pour le développeur")
    expect(page.locator("main")).to_contain_text(
        "redirect_uri: contains characters it may not hold")
    assert "evil.test" not in (page.locator("main").text_content() or "")
    check_page(page, f"authorize-refused-{width}")
