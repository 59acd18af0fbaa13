"""Two-step verification in a real browser: enrolment from the portal (QR code, manual key,
first code), the recovery codes shown once, then a login that asks for the code."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, PASSWORD, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def test_enrol_an_authenticator_then_log_in_with_a_recovery_code(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.fill("#username", "fmartin-xt")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.click("text=Validation en deux étapes")
    expect(page.locator("h1")).to_have_text("Validation en deux étapes")
    expect(page.locator(".hub-qr svg")).to_be_visible()
    check_page(page, "30-second-factor-enrolment")
    secret = page.locator(".hub-key").inner_text().replace(" ", "")
    page.fill("#current_password", PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("La validation en deux étapes est activée")
    codes = page.locator(".hub-recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[A-Z2-7-]{19}", c) for c in codes)
    check_page(page, "31-second-factor-recovery-codes")
    # "Télécharger": the same codes as a text file (issue 15), from the session that made them.
    with page.expect_download() as download:
        page.click("button:has-text('Télécharger')")
    assert download.value.suggested_filename == "codes-de-secours.txt"
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert all(code in saved for code in codes)
    # "Imprimer": the browser's print dialog; printed, the page shows the codes and their title.
    printing = page.locator("button[data-print]")
    expect(printing).to_be_visible()
    page.evaluate("window.print = () => { window.printed = true; }")
    printing.click()
    assert page.evaluate("window.printed === true")
    page.emulate_media(media="print")
    expect(page.locator(".hub-recovery-codes")).to_be_visible()
    expect(page.locator("#recovery-codes-title")).to_be_visible()
    expect(page.locator("h1")).to_be_hidden()
    expect(printing).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "31b-second-factor-recovery-codes-print.png"))
    page.emulate_media(media="screen")

    page.goto(live.hub + "/logout")
    page.click("form button[type=submit]")
    page.goto(live.hub + "/login")
    page.fill("#username", "fmartin-xt")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Validation en deux étapes")
    page.fill("#code", "000000")
    page.click("form button[type=submit]")
    expect(page.locator("#error-summary")).to_contain_text("Le code est erroné ou a expiré.")
    check_page(page, "32-second-factor-code-error")
    page.fill("#code", codes[0])
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Liste des applications disponibles")
