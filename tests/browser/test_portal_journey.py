"""The seed's journey on the portal (seeds 000/001), in a real browser: login with an "-xt"
identifier, mobile reminder, "Ne plus afficher ce rappel", application list, password
change with its confirmation e-mail, logout, then a forgotten password by SMS code."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
CHANGED = "Chang3ment-2027!"
RECOVERED = "Retrouve-2028!"


def wait_for(condition, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def log_in(page: Page, hub: str, password: str) -> None:
    page.goto(hub + "/login")
    page.fill("#username", "dlambert-xt")
    page.fill("#password", password)
    page.click("form button[type=submit]")


def test_portal_journey_of_the_seed(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live.hub, PASSWORD)
    expect(page.locator("h1")).to_have_text("Votre numéro de mobile")
    check_page(page, "20-mobile-reminder")
    page.click("button[value=silence]")

    expect(page.locator("h1")).to_have_text(
        "Liste des applications disponibles pour Dominique Lambert")
    expect(page.locator(".fr-tile__title a")).to_have_text(["APA — échange de fichiers"])
    expect(page.locator("text=Expiration de votre mot de passe le")).to_be_visible()
    check_page(page, "21-portal-applications")

    page.click("text=Modifier votre mot de passe")
    check_page(page, "22-password-change")
    page.fill("#new_password", "abc")
    expect(page.locator("#new_password-strength")).to_have_text("Force : faible")
    page.fill("#new_password", "Un-mot-de-passe-2027!")
    expect(page.locator("#new_password-strength")).to_have_text("Force : forte")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "trop simple")
    page.fill("#confirmation", "trop simple")
    page.click("form button[type=submit]")
    expect(page.locator("#error-summary")).to_contain_text("Au moins 2 chiffres")
    check_page(page, "23-password-change-errors")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", CHANGED)
    page.fill("#confirmation", CHANGED)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Mot de passe modifié")
    check_page(page, "24-password-changed")
    wait_for(lambda: live.smtp.messages)
    mail = live.smtp.messages[-1]
    assert mail["To"] == "d.lambert@example.test"
    assert "(identifiant dlambert-xt)" in mail.get_payload(decode=True).decode()

    page.goto(live.hub + "/logout")
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Vous êtes déconnecté")

    # Forgotten password: the reminder was silenced, so add a mobile first.
    log_in(page, live.hub, CHANGED)
    page.goto(live.hub + "/compte/mobile")
    check_page(page, "25-mobile-change")
    page.fill("#value", "06 12 34 56 79")

    def sms_count() -> int:  # the sink is shared with the other browser tests of the session
        return len(live.sms_file.read_text().splitlines()) if live.sms_file.exists() else 0

    sent_earlier = sms_count()
    page.click("form button[type=submit]")
    wait_for(lambda: sms_count() > sent_earlier)
    code = re.search(r"\b(\d{6})\b", json.loads(
        live.sms_file.read_text().splitlines()[-1])["text"]).group(1)  # type: ignore[union-attr]
    check_page(page, "26-mobile-code")
    page.fill("#code", code)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Numéro de mobile enregistré")
    page.goto(live.hub + "/logout")
    page.click("form button[type=submit]")

    page.goto(live.hub + "/login")
    page.click("text=Mot de passe oublié ?")
    check_page(page, "27-recovery-start")
    sent_before = len(live.sms_file.read_text().splitlines())
    page.fill("#username", "dlambert-xt")
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Mot de passe oublié")
    wait_for(lambda: len(live.sms_file.read_text().splitlines()) > sent_before)
    message = json.loads(live.sms_file.read_text().splitlines()[-1])
    assert message["to"] == "+33612345679"
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)  # type: ignore[union-attr]
    check_page(page, "28-recovery-code")
    page.fill("#code", code)
    page.fill("#new_password", RECOVERED)
    page.fill("#confirmation", RECOVERED)
    page.click("button[value=change]")
    expect(page.locator("h1")).to_have_text("Mot de passe modifié")
    log_in(page, live.hub, RECOVERED)
    expect(page.locator("h1")).to_contain_text("Liste des applications disponibles")
