"""A citizen creates an account from an application (seed 004 §1, prompt=create), in a real
browser at desktop (1280 px) and mobile (390 px) widths, checked with axe-core: the form, the
human check solved by the page's own script (Web Crypto), the neutral answer, the e-mail read
from the real SMTP sink, the confirmation, and back to the application, logged in."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}
PASSWORD = "Citoyenne-2026"


def confirmation_link(live, email: str) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for mail in live.smtp.messages:
            if mail["To"] == email:
                body = mail.get_payload(decode=True).decode()
                match = re.search(r"http://\S+/inscription/confirmation\?jeton=\S+", body)
                assert match, body
                return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {email}")


def fill_form(page: Page, email: str) -> None:
    page.fill("#email", email)
    page.fill("#password", "abc")
    expect(page.locator("#password-strength")).to_have_text("Force : faible")
    page.fill("#password", PASSWORD)
    page.fill("#confirmation", PASSWORD)
    page.locator("label[for=terms]").click()
    expect(page.locator("#terms")).to_be_checked()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_registration_from_an_application(page: Page, live, width: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    email = f"camille.{width}@example.test"
    page.goto(live.rp + "/signup")
    expect(page.locator("h1")).to_have_text("Créer votre compte personnel")
    assert re.search(r"/inscription\?rid=", page.url)
    # The proof of work is solved by the page while the person types.
    expect(page.locator("#human-check-status")).to_have_text(
        "Vérification terminée : vous n'êtes pas un robot.", timeout=30_000)
    check_page(page, f"50-registration-form-{width}")
    page.click("form button[type=submit]")  # nothing filled in
    expect(page.locator("#error-summary")).to_contain_text("Saisissez une adresse électronique")
    check_page(page, f"51-registration-errors-{width}")
    fill_form(page, email)
    expect(page.locator("#human-check-status")).to_have_text(
        "Vérification terminée : vous n'êtes pas un robot.", timeout=30_000)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Consultez votre messagerie")
    check_page(page, f"52-registration-sent-{width}")

    page.goto(confirmation_link(live, email))
    expect(page.locator("h1")).to_have_text("Confirmez la création de votre compte")
    check_page(page, f"53-registration-confirm-{width}")
    page.click("main form button[type=submit]")
    # Logged in by the confirmation, the application's request goes on: its consent page.
    expect(page.locator("h1")).to_contain_text("Application de test")
    with page.expect_request(lambda r: r.url.startswith(live.rp + "/callback")):
        page.click("button[value=accept]")
    expect(page.locator("#who")).to_contain_text("Connecté")


def test_the_human_check_runs_under_the_hubs_own_csp(browser: Browser, live) -> None:  # type: ignore[no-untyped-def]
    # The `page` fixture bypasses the CSP to inject axe-core; here the page's CSP applies.
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text
            else None)
    page.goto(live.hub + "/inscription")
    expect(page.locator("#human-check-status")).to_have_text(
        "Vérification terminée : vous n'êtes pas un robot.", timeout=30_000)
    assert page.locator("#altcha").input_value()
    assert refused == []
    context.close()


def test_the_registration_link_on_the_login_page(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.click("text=Pas encore de compte personnel ?")
    expect(page.locator("h1")).to_have_text("Créer votre compte personnel")
    page.goto(live.hub + "/inscription/confirmation?jeton=" + "x" * 43)
    expect(page.locator("h1")).to_have_text("Ce lien ne peut pas être utilisé")
    check_page(page, "54-registration-link-invalid")


def test_registration_without_javascript_then_the_awaiting_page(  # type: ignore[no-untyped-def]
        browser: Browser, page: Page, live) -> None:
    email = "sans.javascript@example.test"
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    plain = context.new_page()
    plain.goto(live.hub + "/inscription")
    expect(plain.locator("#human-check-status")).to_contain_text(
        "Sans JavaScript, patientez 8 secondes")
    plain.fill("#email", email)
    plain.fill("#password", PASSWORD)
    plain.fill("#confirmation", PASSWORD)
    plain.check("#terms", force=True)
    time.sleep(8.5)  # the fallback's delay (idp/accounts/human_check.py NO_PROOF_DELAY)
    plain.click("form button[type=submit]")
    expect(plain.locator("h1")).to_have_text("Consultez votre messagerie")
    context.close()
    confirmation_link(live, email)  # the e-mail went out

    # Logging in before the confirmation: the awaiting page and another e-mail.
    page.goto(live.hub + "/login")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Votre compte attend sa validation")
    check_page(page, "55-registration-awaiting")
    page.click("text=Demander l'envoi d'un autre courriel")
    expect(page.locator("main")).to_contain_text("Un autre courriel vous a été envoyé")
    check_page(page, "56-registration-resent")
