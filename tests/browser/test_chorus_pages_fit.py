"""Chorus's received-invoices table at 1280 and 390 px (issue 15): the last column inside the
viewport, dates and amounts on one line, on a phone the table scrolling inside its frame and
never the page; "Vous êtes déconnecté" after leaving. Axe-clean, screenshotted."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from clients.chorus.demo_data import add_invoice
from tests.browser.conftest import check_page
from tests.browser.test_apa_pages_fit import MEASURE
from tests.chorus.conftest import Live
from tests.chorus.conftest import chorus_database as chorus_database
from tests.chorus.conftest import live as live
from tests.e2e.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("chorus")]


def test_invoice_table_fits_and_logout_is_confirmed(page: Page, live: Live) -> None:
    structure = live.structures["A"]
    add_invoice(live.chorus.service, structure, "FAC-2026-000123456",
                "Fournitures et mobilier de bureau du Val Clair", 12_345_678_90)
    page.goto(live.url + "/")
    page.fill("#username", live.users["writer"])
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(live.url + "/**")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live.url}/structures/{structure}/factures")
        expect(page.locator("table")).to_contain_text("FAC-2026-000123456")
        sizes = page.locator("table").evaluate(MEASURE)
        assert sizes["pageWidth"] <= sizes["viewport"], sizes  # the page never scrolls
        assert sizes["wrapped"] == [], sizes  # dates and amounts on one line
        if width == 1280:
            assert sizes["scrollWidth"] <= sizes["clientWidth"], sizes
            assert sizes["lastRight"] <= sizes["viewport"], sizes
        check_page(page, f"74-chorus-invoices-{width}")

    page.set_viewport_size({"width": 1280, "height": 900})  # the phone menu: pages-hub's part
    page.click("text=Se déconnecter")
    page.wait_for_load_state()
    if page.url.startswith(live.hub.issuer) and page.locator(
            "form button[type=submit]").count():
        page.click("form button[type=submit]")
    page.wait_for_url(live.url + "/**")
    expect(page.locator(".fr-alert--success")).to_contain_text("Vous êtes déconnecté")
    check_page(page, "75-chorus-logged-out")
