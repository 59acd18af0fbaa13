"""French by default, English through ui_locales, Accept-Language or the language switch."""

from __future__ import annotations

import html

from tests.oidc_helpers import auth_request, login_page


def test_pages_are_french_by_default(http):  # type: ignore[no-untyped-def]
    page = http.get("/login")
    assert 'lang="fr"' in page.text and "Se connecter" in page.text


def test_accept_language_english_gives_english_pages(http):  # type: ignore[no-untyped-def]
    page = http.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in page.text and "Log in" in page.text


def test_ui_locales_of_the_authorization_request_carries_to_the_login_page(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri, ui_locales="en-US fr")
    page = login_page(http, req)
    assert 'lang="en"' in page.text


def test_language_switch_is_remembered(http):  # type: ignore[no-untyped-def]
    page = http.get("/login?lang=en")
    assert 'lang="en"' in page.text
    assert 'hreflang="fr"' in page.text
    assert 'lang="en"' in http.get("/").text


def test_legal_pages_exist_in_both_languages(http):  # type: ignore[no-untyped-def]
    for path in ("/accessibilite", "/mentions-legales", "/donnees-personnelles", "/assistance"):
        assert http.get(path).status_code == 200
    assert "Déclaration d'accessibilité" in html.unescape(http.get("/accessibilite").text)
    assert "Accessibility statement" in http.get("/accessibilite?lang=en").text
