"""The seed's journey in a real browser: a relying application sends the user to the hub,
who logs in, consents and logs out; every error page; no JavaScript needed to log in."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_login_through_an_application_consent_and_logout(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.rp + "/")
    page.click("#login")
    expect(page.locator("h1")).to_have_text("Se connecter")
    check_page(page, "01-login")
    page.fill("#username", "cbernard-xt")
    page.fill("#password", "mauvais mot de passe")
    page.click("button[type=submit]")
    expect(page.locator("#error-summary")).to_contain_text("Identifiant ou mot de passe incorrect")
    check_page(page, "02-login-error")
    page.click("#error-summary a")
    expect(page.locator("#username")).to_be_focused()
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Autoriser Application de test")
    check_page(page, "03-consent")
    page.click("button[value=accept]")
    expect(page.locator("#who")).to_contain_text("Camille")
    page.goto(live.hub + "/")
    expect(page.locator("h1")).to_have_text(
        "Liste des applications disponibles pour Camille Bernard")
    check_page(page, "04-hub-home-logged-in")
    page.goto(live.rp + "/")
    page.click("text=Se déconnecter")
    expect(page).to_have_url(live.rp + "/?state=bye")
    expect(page.locator("#login")).to_be_visible()
    page.goto(live.hub + "/")
    expect(page.locator("h1")).to_have_text("Identité Publique")
    check_page(page, "05-hub-home-logged-out")


def test_show_password_reveals_the_password(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.fill("#password", "secret")
    page.click("label[for=password-show]")
    expect(page.locator("#password")).to_have_attribute("type", "text")


def test_logout_confirmation_page(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.fill("#username", "cbernard-xt")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(live.hub + "/logout")
    expect(page.locator("h1")).to_have_text("Se déconnecter")
    check_page(page, "06-logout-confirmation")
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Vous êtes déconnecté")
    check_page(page, "07-logged-out")


@pytest.mark.parametrize(
    ("name", "path", "heading"),
    [
        ("08-error-unknown-client", "/authorize?client_id=ghost&response_type=code"
         "&redirect_uri=http://127.0.0.1:1/cb&scope=openid", "Application inconnue"),
        ("09-error-invalid-request", "/authorize?client_id=test-rp&response_type=code"
         "&redirect_uri=http://127.0.0.1:1/evil&scope=openid", "Demande invalide"),
        ("10-error-not-found", "/nulle-part", "Page introuvable"),
        ("11-error-expired-request", "/authorize/resume?rid=unknown", "Demande expirée"),
        ("12-accessibility", "/accessibilite", "Déclaration d'accessibilité"),
        ("13-legal", "/mentions-legales", "Mentions légales et conditions générales d'utilisation"),
        ("14-personal-data", "/donnees-personnelles", "Données personnelles"),
        ("15-assistance", "/assistance", "Contacts assistance"),
        ("16-login-english", "/login?lang=en", "Log in"),
    ],
)
def test_error_and_information_pages(page: Page, live, name: str, path: str, heading: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + path)
    expect(page.locator("h1")).to_have_text(heading)
    check_page(page, name)


def test_not_entitled_page(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/authorize?client_id=restricted&response_type=code"
              "&redirect_uri=" + live.rp + "/callback&scope=openid&state=s"
              "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
              "&code_challenge_method=S256")
    page.fill("#username", "cbernard-xt")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Accès refusé")
    check_page(page, "17-error-not-entitled")


def test_expired_form_page(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.context.clear_cookies()
    page.fill("#username", "cbernard-xt")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Formulaire expiré")
    check_page(page, "18-error-form-expired")


def test_login_works_without_javascript(browser: Browser, live) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(live.rp + "/")
    page.click("#login")
    page.fill("#username", "cbernard-xt")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    if page.locator("button[value=accept]").count():
        page.click("button[value=accept]")
    expect(page.locator("#who")).to_contain_text("Camille")
    context.close()
