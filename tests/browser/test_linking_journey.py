"""A citizen arriving through an FI links it to the account they already have (seed 004
§11: "Si vous disposez déjà d'un compte, il vous sera proposé de le lier directement"), in a
real browser at 1280 and 390 px, every page checked with axe-core: the portal's banner, the
"Finaliser la création de votre compte" page, a wrong password refused, the right one
merging the FI-created account into the local one, then "Mes informations personnelles"
with the identity "Transmises par" the FI. The servers are test_federation_pages.py's (its
module fixture, instantiated again for this module)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from idp import admin
from idp.runtime import Runtime
from tests.browser.conftest import PASSWORD, check_page
from tests.browser.test_federation_pages import (  # noqa: F401  (fixtures)
    HORIZON,
    Federation,
    _log_in_at_the_fi,
    _no_horizontal_overflow,
    federation,
    page,
    width,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

# One demo citizen of the FI per width: each run merges its FI account once.
CITIZEN = {"desktop": 0, "mobile": 1}


def _local_account(servers: Federation, username: str) -> None:
    rt = Runtime.build(servers.settings)
    try:
        admin.add_user(rt.db, rt.passwords, rt.clock.now(), username=username,
                       password=PASSWORD, email=f"{username}@exemple.test",
                       population="citizen", phone="+33612345670")
    finally:
        rt.close()


def test_fi_arrival_then_link_to_the_existing_account(
        page: Page, federation: Federation, width: str) -> None:  # noqa: F811  (fixtures)
    username = f"local-{width}"
    _local_account(federation, username)
    citizen = HORIZON.citizens[CITIZEN[width]]
    page.goto(federation.hub + "/connexion/choix")
    page.get_by_role("button", name=HORIZON.name).click()
    _log_in_at_the_fi(page, citizen.username)
    page.wait_for_url(federation.hub + "/")
    banner = page.locator("main .fr-alert--info")
    expect(banner).to_contain_text("Finaliser la création de votre compte")
    _no_horizontal_overflow(page)
    check_page(page, f"60-linking-banner-{width}")

    banner.get_by_role("link", name="Finaliser la création de votre compte").click()
    expect(page.locator("h1")).to_have_text("Finaliser la création de votre compte")
    expect(page.locator("#email")).to_have_value(citizen.email)  # the FI's, to confirm
    _no_horizontal_overflow(page)
    check_page(page, f"61-linking-finish-{width}")

    page.fill("#identifier", f"{username}@exemple.test")
    page.fill("#password", "Pas-le-bon-2026")
    page.get_by_role("button", name="Lier à mon compte").click()
    expect(page.locator("main [role=alert]")).to_contain_text(
        "Identifiant ou mot de passe incorrect")
    check_page(page, f"62-linking-refused-{width}")

    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Lier à mon compte").click()
    page.wait_for_url(federation.hub + "/compte/liaisons")
    expect(page.locator("main [role=status]")).to_contain_text(
        "Votre fournisseur d'identité est maintenant lié à ce compte")
    expect(page.locator("main")).to_contain_text(HORIZON.name)
    expect(page.get_by_role("button", name=f"Supprimer ma liaison avec {HORIZON.name}")
           ).to_be_visible()
    _no_horizontal_overflow(page)
    check_page(page, f"63-linking-links-{width}")

    page.goto(federation.hub + "/")
    expect(page.locator("main")).to_contain_text(username)  # the local account's identifier
    expect(page.locator("main .fr-alert--info")).to_have_count(0)  # it has a password
    page.get_by_role("link", name="Mes informations personnelles").click()
    expect(page.locator("main")).to_contain_text(f"Transmises par {HORIZON.name}")
    expect(page.locator("main")).to_contain_text(citizen.identity["family_name"])
    _no_horizontal_overflow(page)
    check_page(page, f"64-personal-information-{width}")
