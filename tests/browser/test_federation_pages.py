"""The federation's pages in a real browser at desktop (1280 px) and mobile (390 px) widths,
checked with axe-core: the picker of identity providers (one FI usable, one switched off by
the operator and greyed), the way through an FI that is another hub instance and back to the
application (or to the hub's portal home when the picker was opened without a request), the
failure page of an FI that refuses connections, and the login page's link to the picker.

Servers of their own (module scope): the main hub, the demo's two FIs (idp/demo_providers.py,
each a hub instance with its own database and cookie), and a relying application whose
client is citizen-facing and allowed the two demo FIs; a third FI is registered at a closed
port and offered to visitors of the hub itself (no application: every FI is shown)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from idp import admin, admin_providers
from idp.demo_providers import (
    DEMO_PROVIDERS,
    prepare_provider,
    provider_environment,
    register_providers,
    start_provider,
)
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade
from tests.browser.conftest import PASSWORD, ROOT, _loopback_only, check_page
from tests.mail import SmtpSink
from tests.servers import free_port, wait_until_up

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}
HORIZON, CLE = DEMO_PROVIDERS  # Horizon usable, Clé Citoyenne switched off by the operator
CLOSED = "ferme"  # registered at a port nobody listens on
LOGO = "/static/dsfr/icons/user/account-circle-fill.svg"


@dataclass
class Federation:
    hub: str
    rp: str
    settings: Settings  # the main hub's (its database, keys), for tests that arrange data


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    tmp = tmp_path_factory.mktemp("federation-browser")
    hub_port, rp_port, closed_port = free_port(), free_port(), free_port()
    hub, rp = f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{rp_port}"
    smtp = SmtpSink()
    smtp.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        fi_urls = {}
        for fi in DEMO_PROVIDERS:
            port = free_port()
            fi_urls[fi.id] = f"http://127.0.0.1:{port}"
            env = provider_environment(fi, fi_urls[fi.id], tmp, "127.0.0.1", smtp.port)
            prepare_provider(fi, env, hub, PASSWORD)
            processes.append(start_provider(port, "127.0.0.1", env))
        env = dict(os.environ, IDP_ISSUER=hub, IDP_DATABASE_URL=f"sqlite:///{tmp}/hub.sqlite3",
                   IDP_KEYS_DIR=str(tmp / "keys"), IDP_CLIENT_CACHE_TTL="0",
                   IDP_LOG_LEVEL="warning", IDP_SMTP_PORT=str(smtp.port),
                   IDP_SMS_SINK_FILE=str(tmp / "sms.jsonl"))
        settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("IDP_")})
        upgrade(settings.database_url)
        rt = Runtime.build(settings)
        try:
            now = rt.clock.now()
            register_providers(rt, fi_urls)
            admin_providers.switch_provider(rt.db, now, CLE.id, enabled=False)
            admin_providers.update_provider(rt.db, rt.keys.secret_box, now, HORIZON.id,
                                            {"logo_url": LOGO})
            admin_providers.add_provider(
                rt.db, rt.keys.secret_box, now, admin_providers.new_provider(
                    id=CLOSED, display_name="Compte Fermé (test)", client_id="hub",
                    client_secret="closed-port-secret-" + "z" * 16,
                    discovery_url=f"http://127.0.0.1:{closed_port}"
                                  "/.well-known/openid-configuration",
                    scopes=("openid", "identite_pivot", "email"), position=5))
            secret = admin.add_client(
                rt.db, now, client_id="citizen-app", name="Démarche citoyenne",
                redirect_uris=[f"{rp}/callback"], post_logout_redirect_uris=[f"{rp}/"],
                consent_mode="none", citizen_facing=True,
                allowed_providers=[HORIZON.id, CLE.id]).secret
        finally:
            rt.close()
        hub_process = subprocess.Popen(
            [sys.executable, "-m", "idp", "serve", "--port", str(hub_port)], env=env, cwd=tmp)
        processes.append(hub_process)
        rp_env = dict(os.environ, RP_ISSUER=hub, RP_BASE=rp, RP_CLIENT_ID="citizen-app",
                      RP_CLIENT_SECRET=secret or "", RP_SESSION_SECRET=secrets.token_hex(16),
                      RP_ACR_VALUES="eidas1")
        rp_process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.browser.rp_app:app", "--port",
             str(rp_port), "--log-level", "warning"], env=rp_env, cwd=ROOT)
        processes.append(rp_process)
        for url, process in zip(fi_urls.values(), processes, strict=False):
            wait_until_up(f"{url}/healthz", process)
        wait_until_up(f"{hub}/healthz", hub_process)
        wait_until_up(f"{rp}/", rp_process)
        yield Federation(hub, rp, settings)
    finally:
        smtp.stop()
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(params=sorted(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, width: str) -> Iterator[Page]:
    # A fresh context per test: the hub's and FIs' cookies do not carry over.
    w, h = WIDTHS[width]
    context = browser.new_context(locale="fr-FR", bypass_csp=True,
                                  viewport={"width": w, "height": h})
    context.route("**/*", _loopback_only)
    page = context.new_page()
    yield page
    context.close()


def _no_horizontal_overflow(page: Page) -> None:
    """Nothing wider than the viewport (buttons included) at this width."""
    too_wide = page.evaluate(
        "() => [...document.querySelectorAll('main button, main a.fr-btn, main img')]"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".map(e => e.outerHTML.slice(0, 80))")
    assert too_wide == []
    assert page.evaluate("() => document.documentElement.scrollWidth "
                         "<= document.documentElement.clientWidth")


def test_picker_through_an_fi_back_to_the_application(
        page: Page, federation: Federation, width: str) -> None:
    page.goto(federation.rp + "/")
    page.click("#login")  # a citizen-facing application: straight to the picker
    expect(page.locator("h1")).to_have_text("Choisissez comment vous identifier")
    providers = page.locator("main .hub-providers li")
    expect(providers).to_have_count(2)  # the application's allow list: not the closed one
    usable = page.get_by_role("button", name=HORIZON.name)
    expect(usable).to_be_enabled()
    # The logo is decoration: the name is written next to it (empty alt, WCAG H67).
    expect(usable.locator("img")).to_have_attribute("alt", "")
    page.wait_for_function("() => [...document.querySelectorAll('.hub-provider img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
    expect(usable).to_have_accessible_name(HORIZON.name)
    off = page.get_by_role("button", name=CLE.name)
    expect(off).to_be_disabled()
    expect(off).to_have_accessible_description("Temporairement indisponible")
    expect(providers.nth(1)).to_contain_text("Temporairement indisponible")
    # Greyed: the disabled button is drawn differently from the usable one.
    colors = [b.evaluate("e => getComputedStyle(e).color") for b in (usable, off)]
    assert colors[0] != colors[1]
    hub_login = page.get_by_role("link", name="Me connecter avec mon adresse électronique")
    expect(hub_login).to_have_attribute("href", "/login?rid=" + page.url.split("rid=")[1])
    _no_horizontal_overflow(page)
    check_page(page, f"50-federation-picker-{width}")
    # The hub's own login page, and its way back to the picker, both with the request.
    rid = page.url.split("rid=")[1]
    hub_login.click()
    expect(page.locator("h1")).to_have_text("Se connecter")
    link = page.get_by_role("link", name="S'identifier avec un fournisseur d'identité")
    expect(link).to_have_attribute("href", f"/connexion/choix?rid={rid}")
    link.click()
    expect(page.locator("h1")).to_have_text("Choisissez comment vous identifier")
    # A click on the greyed one goes nowhere (dispatched to the element itself: a pointer
    # click at its coordinates could land elsewhere while the page settles).
    off.dispatch_event("click")
    expect(page.locator("h1")).to_have_text("Choisissez comment vous identifier")
    assert "/connexion/choix" in page.url

    usable.click()
    fi_base = page.url.split("/login", 1)[0]
    assert fi_base != federation.hub
    _log_in_at_the_fi(page, HORIZON.citizens[0].username)
    page.wait_for_url(federation.rp + "/")
    expect(page.locator("#who")).to_contain_text("Élise Jeanne")


def _log_in_at_the_fi(page: Page, username: str) -> None:
    """The FI's own login page (another hub instance), filled and sent."""
    expect(page.locator("h1")).to_have_text("Se connecter")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")


def test_picker_without_a_request_leads_to_the_portal_home(
        page: Page, federation: Federation, width: str) -> None:
    page.goto(federation.hub + "/connexion/choix")
    expect(page.locator("h1")).to_have_text("Choisissez comment vous identifier")
    # No application: every shown FI, the closed one included.
    expect(page.locator("main .hub-providers li")).to_have_count(3)
    expect(page.get_by_role("link", name="Me connecter avec mon adresse électronique")
           ).to_have_attribute("href", "/login")
    page.get_by_role("button", name=HORIZON.name).click()
    _log_in_at_the_fi(page, HORIZON.citizens[1].username)
    page.wait_for_url(federation.hub + "/")
    expect(page.locator("main")).to_contain_text("Karim")


def test_failure_page_of_an_fi_refusing_connections(
        page: Page, federation: Federation, width: str) -> None:
    page.goto(federation.hub + "/connexion/choix")
    page.get_by_role("button", name="Compte Fermé (test)").click()
    expect(page.locator("main [role=alert]")).to_contain_text("Compte Fermé (test)")
    back = page.get_by_role("link", name="Choisir un fournisseur d'identité")
    expect(back).to_have_attribute("href", "/connexion/choix")
    _no_horizontal_overflow(page)
    check_page(page, f"51-federation-failure-{width}")
    back.click()
    expect(page.locator("h1")).to_have_text("Choisissez comment vous identifier")


def test_login_page_links_to_the_picker_only_with_a_shown_fi(
        page: Page, federation: Federation, width: str) -> None:
    page.goto(federation.hub + "/login")
    link = page.get_by_role("link", name="S'identifier avec un fournisseur d'identité")
    expect(link).to_have_attribute("href", "/connexion/choix")
    _no_horizontal_overflow(page)
    check_page(page, f"52-login-with-federation-link-{width}")
