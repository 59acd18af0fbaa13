"""The person's history and "Retirer l'accès" in a real browser, at desktop (1280 px) and
phone (390 px) widths, axe-clean: a login to APA (a real process) through the hub, the
history showing the login and the data transfer, the authorized applications, the
confirmation, the withdrawal — APA's session ends by back-channel logout, and the next visit
to APA asks for the consent again."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
APA = "APA — échange de fichiers"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _both_widths(page: Page, name: str) -> None:
    check_page(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    check_page(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


def test_history_and_withdrawing_an_application(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.fill("#username", "gmoreau-xt")  # APA's user (a SIRET); test_apa_journey's too
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text(
        "Liste des applications disponibles pour Gaëlle Moreau")
    page.click(f"text={APA}")
    page.wait_for_load_state()
    if page.url.startswith(live.hub):  # no consent yet (test_apa_journey gives it)
        page.click("button[value=accept]")
    page.wait_for_url(live.apa + "/**")
    expect(page.locator("h1")).to_have_text("Dépôt fichiers d'appel")

    # The history, from the portal's link (the hub writes its events within a second).
    page.goto(live.hub + "/")
    page.click("text=Historique de vos connexions et échanges de données")
    expect(page.locator("h1")).to_have_text("Historique de vos connexions et échanges de données")
    deadline = time.monotonic() + 10
    while page.locator("#history tbody tr").count() < 3:
        assert time.monotonic() < deadline, "the history stayed empty"
        time.sleep(0.3)
        page.reload()
    rows = page.locator("#history tbody tr")
    expect(rows.nth(0)).to_contain_text("Données")
    expect(rows.nth(0)).to_contain_text(APA)
    expect(page.locator("#history")).to_contain_text("Connexion")
    expect(page.locator("#history")).to_contain_text("Faible")
    expect(page.locator("#history")).to_contain_text("Nom et prénoms")
    _both_widths(page, "history-1-page")

    page.click("main >> text=Applications autorisées")
    expect(page.locator("h1")).to_have_text("Applications autorisées")
    expect(page.locator("#applications h2")).to_have_text([APA])
    _both_widths(page, "history-2-applications")

    page.click("#applications a.fr-btn")
    expect(page.locator("h1")).to_have_text(f"Retirer l'accès de {APA}")
    _both_widths(page, "history-3-withdraw-confirmation")
    page.click("form button[type=submit]")
    expect(page.locator(".fr-alert--success")).to_contain_text(
        f"L'accès de {APA} à vos données a été retiré.")
    expect(page.locator("#applications")).to_have_count(0)
    _both_widths(page, "history-4-withdrawn")

    # APA's session ended by back-channel logout: the next visit goes through the hub,
    # which asks for the consent again.
    # The logout token is delivered by the outbox after the answer: on a loaded machine it
    # may reach APA a moment after the page above (CI saw APA still logged in once).
    deadline = time.monotonic() + 15
    page.goto(live.apa + "/depot")
    page.wait_for_load_state()
    while page.locator("h1").inner_text().strip() != f"Autoriser {APA}":
        assert time.monotonic() < deadline, "APA's session outlived the withdrawal"
        time.sleep(0.5)
        page.goto(live.apa + "/depot")
        page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(f"Autoriser {APA}")
    assert page.url.startswith(live.hub)
