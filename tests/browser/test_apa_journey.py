"""The seed's APA journey in a real browser (seed 001): hub login, application list, APA,
deposit with its progress bar, withdrawal of the response file, both histories, logout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
NAME = "2026_21750001600019_20260315143000.xml"
CALL = ('<?xml version="1.0" encoding="UTF-8"?>\n<appel siret="21750001600019" annee="2026">\n'
        + "".join(f"  <beneficiaire><reference>D-{i}</reference><numeroFiscal>12345678901{i:02d}"
                  "</numeroFiscal><nom>MARTIN</nom><prenom>Alix</prenom>"
                  "<dateNaissance>1941-03-12</dateNaissance></beneficiaire>\n"
                  for i in range(40)) + "</appel>\n")


def test_apa_journey_of_the_seed(page: Page, live, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page.goto(live.hub + "/login")
    page.fill("#username", "gmoreau-xt")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Liste des applications disponibles pour Gaëlle Moreau")
    page.click("text=APA — échange de fichiers")
    page.wait_for_load_state()
    if page.url.startswith(live.hub):  # first visit: consent at the hub
        check_page(page, "39-apa-consent")
        page.click("button[value=accept]")
    page.wait_for_url(live.apa + "/**")
    expect(page.locator("h1")).to_have_text("Dépôt fichiers d'appel")
    expect(page.locator(".fr-callout")).to_contain_text("gmoreau-xt")
    expect(page.locator(".fr-callout")).to_contain_text("21750001600019")
    check_page(page, "40-apa-deposit")

    wrong = tmp_path / "appel.xml"
    wrong.write_text(CALL)
    page.set_input_files("#fichier", str(wrong))
    page.click("form button[type=submit]")
    expect(page.locator("#error-summary")).to_contain_text("Le nom du fichier doit être")
    check_page(page, "41-apa-deposit-error")

    good = tmp_path / NAME
    good.write_text(CALL)
    page.set_input_files("#fichier", str(good))
    # A slow uplink (about 8 KB/s) so the progress bar can be seen moving.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": 8000})
    page.click("form button[type=submit]")
    expect(page.locator(".apa-progress")).to_be_visible()
    check_page(page, "42-apa-deposit-progress")
    expect(page.locator(".fr-alert--success")).to_contain_text("identifiant du dépôt",
                                                                timeout=20000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    check_page(page, "43-apa-deposited")

    page.click("text=Retrait fichiers réponse")
    response_name = NAME.removesuffix(".xml") + "_REP.xml"
    for _ in range(50):
        if page.locator(f"text={response_name}").count():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(page.locator("table")).to_contain_text(response_name)
    check_page(page, "44-apa-withdrawal")
    with page.expect_download() as download:
        page.click("a[download]")
    assert download.value.suggested_filename == response_name
    page.reload()
    expect(page.locator("tbody tr").first.locator("td").last).not_to_be_empty()

    page.click("text=Historique des dépôts")
    expect(page.locator("table")).to_contain_text(f"{NAME}.21750001600019")
    check_page(page, "45-apa-deposit-history")
    page.click("text=Historique des retraits")
    expect(page.locator("table")).to_contain_text(response_name)
    check_page(page, "46-apa-withdrawal-history")

    page.click("text=Se déconnecter")
    page.wait_for_load_state()
    if page.url.startswith(live.hub) and page.locator("form button[type=submit]").count():
        page.click("form button[type=submit]")
    page.wait_for_url(live.apa + "/**")  # back at APA: « Vous êtes déconnecté »
    expect(page.locator(".fr-alert--success")).to_contain_text("Vous êtes déconnecté")
    page.goto(live.apa + "/depot")
    page.wait_for_url(live.hub + "/**")
    expect(page.locator("h1")).to_have_text("Se connecter")
