"""Deletion of an account from the citizen's space (seed 004 §7), in a real browser at
desktop (1280 px) and mobile (390 px) widths, checked with axe-core: the link of the space,
the page and its texts, a wrong password, the deletion, the page that says it is done, the
confirmation e-mail, and no login any more."""

from __future__ import annotations

import time
from email.header import decode_header, make_header

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}


def _log_in(page: Page, hub: str, username: str) -> None:
    page.goto(hub + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_citizen_deletes_the_account_from_the_space(page: Page, live, width: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    username = f"citoyen-{width}"
    _log_in(page, live.hub, username)
    expect(page.locator("h1")).to_contain_text("Liste des applications disponibles")
    page.click("text=Supprimer mon compte")
    expect(page.locator("h1")).to_have_text("Supprimer mon compte")
    expect(page.locator("main")).to_contain_text(
        "vous supprimerez tous les documents et informations qu'il contient")
    expect(page.locator("main")).to_contain_text("Votre adresse mail est conservée pendant un an")
    check_page(page, f"60-account-deletion-{width}")

    page.fill("#password", "pas-le-bon")
    page.click("form button[type=submit]")
    expect(page.locator("#error-summary")).to_contain_text("Le mot de passe est incorrect.")
    check_page(page, f"61-account-deletion-error-{width}")

    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Votre compte est supprimé")
    check_page(page, f"62-account-deleted-{width}")

    deadline = time.monotonic() + 10
    address = f"lucie.{width}@example.test"
    while not [m for m in live.smtp.messages if m["To"] == address]:
        assert time.monotonic() < deadline, "no confirmation e-mail"
        time.sleep(0.1)
    mail = next(m for m in live.smtp.messages if m["To"] == address)
    assert str(make_header(decode_header(mail["Subject"]))) == "Votre compte a été supprimé"

    page.goto(live.hub + "/")
    expect(page.locator("h1")).not_to_contain_text("Liste des applications")
    _log_in(page, live.hub, username)
    expect(page.locator("#error-summary, .fr-alert--error").first).to_be_visible()
