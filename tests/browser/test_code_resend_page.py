"""« Renvoyer le code » in a real browser at 1280 and 390 px (issue 15): the button on the
page waiting for the SMS code of a new mobile number, the neutral notice after a resend, the
new code accepted. Axe-clean, screenshotted."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, check_page
from tests.browser.test_portal_journey import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
NUMBERS = {1280: "06 12 34 56 73", 390: "06 12 34 56 74"}


def _sent(live) -> list[dict]:  # type: ignore[no-untyped-def]
    if not live.sms_file.exists():
        return []
    return [json.loads(line) for line in live.sms_file.read_text().splitlines()]


@pytest.mark.parametrize("width", [1280, 390])
def test_resend_the_code_of_a_new_mobile_number(page: Page, live, width: int) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live.hub + "/login")
    page.fill("#username", "cbernard-xt")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.goto(live.hub + "/compte/mobile")
    before = len(_sent(live))
    page.fill("#value", NUMBERS[width])
    page.click("form button[type=submit]")
    wait_for(lambda: len(_sent(live)) > before)
    resend = page.locator("form[action='/compte/code/renvoi'] button")
    expect(resend).to_have_text("Renvoyer le code")
    resend.click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Un nouveau code a été envoyé")
    check_page(page, f"29-mobile-code-resent-{width}")
    wait_for(lambda: len(_sent(live)) > before + 1)
    code = re.search(r"\b(\d{6})\b", _sent(live)[-1]["text"]).group(1)  # type: ignore[union-attr]
    page.fill("#code", code)
    page.click("form[action='/compte/code'] button[type=submit]")
    expect(page.locator("h1")).to_have_text("Numéro de mobile enregistré")
