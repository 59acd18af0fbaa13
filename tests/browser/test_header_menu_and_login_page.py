"""Seed 001's login page surroundings and the DSFR header menu on phones (hub and APA): at
1280 px the header's tools are in the header; at 390 px a "Menu" button opens the modal that
repeats them (language, the person's name, "Se déconnecter" as a POST with its CSRF token);
without JavaScript the tools stay in the header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PASSWORD, _loopback_only, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport=PHONE,
                                  is_mobile=True, has_touch=True)
    context.route("**/*", _loopback_only)
    yield context.new_page()
    context.close()


def _no_script_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport=PHONE,
                                  java_script_enabled=False)
    context.route("**/*", _loopback_only)
    return context


def _log_in(page: Page, hub: str, username: str = "cbernard-xt") -> None:
    page.goto(hub + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")


def _open_menu(page: Page) -> None:
    button = page.locator("#header-menu-button")
    expect(button).to_be_visible()
    expect(button).to_have_text("Menu")
    button.click()
    expect(page.locator("#header-menu")).to_be_visible()
    expect(page.locator("#header-menu")).to_have_class("fr-header__menu fr-modal fr-modal--opened")


def test_login_page_surroundings_at_desktop_width(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    expect(page.locator("h1")).to_have_text("Se connecter")
    surroundings = page.locator("#login-surroundings")
    expect(surroundings).to_contain_text("Bienvenue sur Identité Publique")
    expect(surroundings.locator("#conditions-title")).to_have_text(
        "Conditions d'utilisation du Portail")
    expect(surroundings.get_by_role("link", name="Consulter la charte")).to_be_visible()
    expect(surroundings.get_by_role("link", name="Consulter la politique de sécurité")
           ).to_be_visible()
    expect(page.locator("#fraud-alert")).to_be_visible()
    expect(page.locator("#fraud-alert")).to_contain_text("ALERTE ESCROQUERIE")
    help_links = page.locator("#login-help")
    for name in ("Télécharger le guide d'accès au portail", "Aide en ligne",
                 "Accéder à la foire aux questions (FAQ)",
                 "Consulter les coordonnées du service d'assistance"):
        expect(help_links.get_by_role("link", name=name)).to_be_visible()
    # Desktop: no Menu button, the language switch in the header.
    expect(page.locator("#header-menu-button")).to_be_hidden()
    expect(page.locator(".fr-header__tools-links").get_by_role("link", name="English")
           ).to_be_visible()
    check_page(page, "menu-00-login-surroundings-desktop")
    help_links.get_by_role("link", name="Accéder à la foire aux questions (FAQ)").click()
    expect(page.locator("h1")).to_have_text("Foire aux questions")
    expect(page.locator("#faq-1")).to_be_hidden()
    page.get_by_role("button", name="J'ai oublié mon mot de passe : que faire ?").click()
    expect(page.locator("#faq-1")).to_be_visible()
    expect(page.locator("#faq-1")).to_contain_text("Mot de passe oublié")
    check_page(page, "menu-01-faq")
    page.get_by_role("link", name="Consulter les coordonnées du service d'assistance").click()
    expect(page.locator("#assistance-contacts")).to_contain_text("assistance@identite.example")
    check_page(page, "menu-02-assistance")


def test_logged_in_header_at_desktop_width(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    _log_in(page, live.hub)
    expect(page.locator("h1")).to_contain_text("Liste des applications disponibles")
    tools = page.locator(".fr-header__tools-links")
    expect(tools).to_contain_text("Camille Bernard")
    expect(tools.get_by_role("button", name="Se déconnecter")).to_be_visible()
    check_page(page, "menu-03-portal-header-desktop")
    # Narrowed past the DSFR's breakpoint: the tools go into the (closed) menu at once.
    page.set_viewport_size(PHONE)
    expect(page.locator("#header-menu-button")).to_be_visible()
    check_page(page, "menu-03-portal-header-narrowed")


def test_phone_menu_on_the_login_page(phone: Page, live) -> None:  # type: ignore[no-untyped-def]
    phone.goto(live.hub + "/login")
    expect(phone.locator(".fr-header__tools-links")).to_be_hidden()
    expect(phone.locator("#fraud-alert")).to_be_visible()
    expect(phone.locator("#login-help")).to_contain_text("Aide en ligne")
    check_page(phone, "menu-04-login-phone")
    _open_menu(phone)
    english = phone.locator("#header-menu").get_by_role("link", name="English")
    expect(english).to_be_visible()
    check_page(phone, "menu-05-login-phone-menu-open")
    english.click()
    expect(phone.locator("h1")).to_have_text("Log in")
    expect(phone.locator("#fraud-alert")).to_contain_text("FRAUD ALERT")


def test_phone_menu_logs_out_of_the_hub(phone: Page, live) -> None:  # type: ignore[no-untyped-def]
    _log_in(phone, live.hub)
    expect(phone.locator("h1")).to_contain_text("Liste des applications disponibles")
    expect(phone.locator(".fr-header__tools-links")).to_be_hidden()
    _open_menu(phone)
    menu = phone.locator("#header-menu")
    expect(menu).to_contain_text("Camille Bernard")
    expect(menu.get_by_role("link", name="English")).to_be_visible()
    logout = menu.get_by_role("button", name="Se déconnecter")
    expect(logout).to_be_visible()
    # The copy in the menu is the same POST form with the session's CSRF token.
    assert menu.locator("form[method=post][action='/logout'] input[name=csrf_token]").count() == 1
    check_page(phone, "menu-06-portal-phone-menu-open")
    logout.click()
    expect(phone.locator("h1")).to_have_text("Vous êtes déconnecté")
    phone.goto(live.hub + "/")
    expect(phone.locator("h1")).to_have_text("Identité Publique")


def test_phone_menu_on_apa_logs_out(phone: Page, live) -> None:  # type: ignore[no-untyped-def]
    _log_in(phone, live.hub, "gmoreau-xt")
    phone.goto(live.apa + "/depot")
    phone.wait_for_load_state()
    if phone.url.startswith(live.hub):  # first visit: consent at the hub
        phone.click("button[value=accept]")
    phone.wait_for_url(live.apa + "/**")
    expect(phone.locator("h1")).to_have_text("Dépôt fichiers d'appel")
    expect(phone.locator(".fr-header__tools-links")).to_be_hidden()
    _open_menu(phone)
    menu = phone.locator("#header-menu")
    expect(menu.get_by_role("link", name="English")).to_be_visible()
    logout = menu.get_by_role("link", name="Se déconnecter")
    expect(logout).to_be_visible()
    check_page(phone, "menu-07-apa-phone-menu-open")
    logout.click()
    phone.wait_for_load_state()
    if phone.url.startswith(live.hub) and phone.locator(
            "form[action='/logout'] button[type=submit]").count():
        phone.click("form[action='/logout'] button[type=submit]")
    phone.goto(live.apa + "/depot")
    phone.wait_for_url(live.hub + "/**")
    expect(phone.locator("h1")).to_have_text("Se connecter")


def test_without_javascript_the_header_tools_stay_reachable_on_a_phone(  # type: ignore[no-untyped-def]
        browser: Browser, live) -> None:
    context = _no_script_context(browser)
    page = context.new_page()
    page.goto(live.hub + "/login")
    expect(page.locator("#header-menu-button")).to_be_hidden()
    expect(page.locator(".fr-header__tools-links").get_by_role("link", name="English")
           ).to_be_visible()
    page.fill("#username", "cbernard-xt")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Liste des applications disponibles")
    logout = page.locator(".fr-header__tools-links").get_by_role("button", name="Se déconnecter")
    expect(logout).to_be_visible()
    page.screenshot(path=str(_artifact("menu-08-portal-phone-without-javascript")), full_page=True)
    logout.click()
    expect(page.locator("h1")).to_have_text("Vous êtes déconnecté")
    page.goto(live.hub + "/faq")  # the answers cannot be unfolded: they are open
    expect(page.locator("#faq-1")).to_be_visible()
    expect(page.locator("#faq-1")).to_contain_text("Mot de passe oublié")
    context.close()


def _artifact(name: str):  # type: ignore[no-untyped-def]
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
