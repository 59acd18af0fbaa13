"""The pages shown before data go to an application, in a real browser at desktop (1280 px)
and mobile (390 px) widths, checked with axe-core: the information page (public services,
one "Continuer" button) and the consent page (private-sector applications)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, check_page
from tests.oidc_helpers import pkce_pair

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}


def _authorize_url(live, client_id: str, scope: str) -> str:  # type: ignore[no-untyped-def]
    _, challenge = pkce_pair()
    return live.hub + "/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": f"{live.rp}/callback",
        "scope": scope, "state": "s" * 22, "nonce": "n" * 22, "code_challenge": challenge,
        "code_challenge_method": "S256"})


def _log_in(page: Page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.fill("#username", "cbernard-xt")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_information_page(page: Page, live, width: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    _log_in(page, live)
    # A scope per width: each is a first transfer of those data, so the page is shown.
    scope = {"desktop": "openid profile email", "mobile": "openid phone birth"}[width]
    page.goto(_authorize_url(live, "public-service", scope))
    expect(page.locator("h1")).to_have_text("Données transmises à Mairie de démonstration")
    expect(page.locator("main")).to_contain_text(
        "Les données suivantes vont être transmises à Mairie de démonstration")
    lines = {"desktop": ["Nom et prénoms", "Nom d'usage", "Date de naissance", "Sexe",
                         "Adresse électronique",
                         "Date de dernière mise à jour de vos informations"],
             "mobile": ["Lieu et pays de naissance", "Numéro de téléphone"]}[width]
    expect(page.locator("#data-sent li")).to_have_text(lines)
    expect(page.locator("main form button")).to_have_text(["Continuer"])
    check_page(page, f"40-information-{width}")
    with page.expect_request(lambda r: r.url.startswith(live.rp + "/callback")) as sent:
        page.click("button[value=continue]")
    assert "code" in parse_qs(urlsplit(sent.value.url).query)


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_consent_page(page: Page, live, width: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    _log_in(page, live)
    page.goto(_authorize_url(live, "private-service",
                             "openid profile email phone birth address"))
    expect(page.locator("h1")).to_have_text("Autoriser Assurance de démonstration")
    expect(page.locator("#data-sent li")).to_have_text([
        "Nom et prénoms", "Nom d'usage", "Date de naissance", "Sexe",
        "Lieu et pays de naissance", "Adresse électronique", "Numéro de téléphone",
        "Adresse postale", "Date de dernière mise à jour de vos informations"])
    expect(page.locator("main form button")).to_have_text(["Autoriser", "Refuser"])
    check_page(page, f"41-consent-{width}")
