"""Issue 15: the connect button offered to applications — its stylesheet served cross-origin
and cached at a stable path (the hub's other files stay no-store, no CORS), the page showing
it with the HTML to copy, and the page explaining the hub to citizens it links to."""

from __future__ import annotations

import html
import re

from tests.conftest import ISSUER

CSS = "/static/connect-button/connect-button.css"


def snippet_of(page_html: str) -> str:
    match = re.search(r'<code id="connect-button-snippet">(.*?)</code>', page_html, re.S)
    assert match, "no snippet"
    return html.unescape(match.group(1))


def test_the_stylesheet_is_shared_with_any_site_and_cached(http) -> None:  # type: ignore[no-untyped-def]
    css = http.get(CSS, headers={"origin": "https://app.example.test"})
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["access-control-allow-origin"] == "*"
    assert css.headers["cache-control"] == "public, max-age=604800"
    assert css.headers["cross-origin-resource-policy"] == "cross-origin"
    assert ".hub-connect-button" in css.text
    assert "etag" in css.headers
    again = http.get(CSS, headers={"if-none-match": css.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["access-control-allow-origin"] == "*"
    # Other files of the hub keep no-store and no CORS.
    own = http.get("/static/site.css")
    assert own.status_code == 200
    assert own.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in own.headers


def test_the_page_shows_the_button_and_the_html_to_copy(http) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/integration/bouton-de-connexion")
    assert page.status_code == 200
    assert "<h1>Bouton de connexion pour les applications</h1>" in page.text
    snippet = snippet_of(page.text)
    assert f'<link rel="stylesheet" href="{ISSUER}{CSS}">' in snippet
    assert "<span class=\"hub-connect-button__login\">S'identifier avec</span>" in snippet
    assert '<span class="hub-connect-button__brand">Identité Publique</span>' in snippet
    assert f'href="{ISSUER}/a-propos"' in snippet
    assert "Qu'est-ce que Identité Publique ?" in snippet
    # Shown escaped in the page (nothing of it is live markup inside <pre><code>).
    assert "&lt;link rel=" in page.text
    # The four variants, live.
    assert page.text.count('class="hub-connect-button-group') == 4
    assert page.text.count("hub-connect-button--sm") >= 2
    assert page.text.count("hub-connect-button-group--dark") >= 2


def test_the_page_is_in_english_when_asked(http) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/integration/bouton-de-connexion?lang=en")
    assert "Connect button for applications" in page.text
    snippet = snippet_of(page.text)
    assert '<span class="hub-connect-button__login">Log in with</span>' in snippet
    assert "What is Identité Publique?" in snippet


def test_the_hub_name_comes_from_the_settings(rt, settings) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from idp.app import create_app

    named = settings.replace(service_name="Compte Régional")
    rt.settings = named  # the runtime built for these settings, with the other name
    with TestClient(create_app(named, runtime=rt), base_url=ISSUER) as client:
        snippet = snippet_of(client.get("/integration/bouton-de-connexion").text)
    assert '<span class="hub-connect-button__brand">Compte Régional</span>' in snippet
    assert "Qu'est-ce que Compte Régional ?" in snippet


def test_the_about_page_explains_the_hub_to_citizens(http) -> None:  # type: ignore[no-untyped-def]
    french = http.get("/a-propos")
    assert french.status_code == 200
    assert "jamais sur celui de l'application" in html.unescape(french.text)
    english = http.get("/a-propos?lang=en")
    assert "never on the application's" in html.unescape(english.text)
