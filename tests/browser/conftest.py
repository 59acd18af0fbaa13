"""Browser tests: the hub and a relying application under uvicorn on 127.0.0.1, driven by
Playwright in Debian's Chromium (headless, no network beyond 127.0.0.1). Every page visited
is screenshotted into test-artifacts/screenshots/ and checked with axe-core (WCAG A and AA)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from idp import admin
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade
from tests.mail import SmtpSink
from tests.servers import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"  # scripts/assets
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Bienvenue-2026!"
pytestmark = pytest.mark.xdist_group("browser")


class Live:
    def __init__(self, hub: str, rp: str, smtp: SmtpSink, sms_file: Path, apa: str) -> None:
        self.hub = hub
        self.rp = rp
        self.apa = apa
        self.smtp = smtp
        self.sms_file = sms_file


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("browser")
    hub_port, rp_port, apa_port = free_port(), free_port(), free_port()
    hub, rp = f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{rp_port}"
    apa = f"http://127.0.0.1:{apa_port}"
    smtp = SmtpSink()
    smtp.start()
    env = dict(os.environ, IDP_ISSUER=hub, IDP_DATABASE_URL=f"sqlite:///{tmp}/hub.sqlite3",
               IDP_KEYS_DIR=str(tmp / "keys"), IDP_CLIENT_CACHE_TTL="0", IDP_LOG_LEVEL="warning",
               IDP_SMTP_PORT=str(smtp.port), IDP_SMS_SINK_FILE=str(tmp / "sms.jsonl"),
               IDP_OUTBOX_INTERVAL="0.2")
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("IDP_")})
    upgrade(settings.database_url)
    rt = Runtime.build(settings)
    now = rt.clock.now()
    admin.add_user(rt.db, rt.passwords, now, username="cbernard-xt", password=PASSWORD,
                   given_name="Camille", family_name="Bernard", email="c.bernard@example.test",
                   phone="+33612345678",
                   groups=["apa"])
    secret = admin.add_client(
        rt.db, now, client_id="test-rp", name="Application de test",
        redirect_uris=[f"{rp}/callback"], post_logout_redirect_uris=[f"{rp}/"]).secret
    admin.add_client(rt.db, now, client_id="restricted", name="Application réservée",
                     redirect_uris=[f"{rp}/callback"], access_rule="group:chorus")
    # The pages shown before data go to an application, by consent mode (test_disclosure_pages).
    admin.add_client(rt.db, now, client_id="public-service", name="Mairie de démonstration",
                     redirect_uris=[f"{rp}/callback"], consent_mode="information",
                     scope="openid profile email phone birth")
    admin.add_client(rt.db, now, client_id="private-service", name="Assurance de démonstration",
                     redirect_uris=[f"{rp}/callback"], consent_mode="explicit",
                     scope="openid profile email phone birth address")
    apa_secret = admin.add_client(
        rt.db, now, client_id="apa", name="APA — échange de fichiers",
        redirect_uris=[f"{apa}/auth/callback"], post_logout_redirect_uris=[f"{apa}/"],
        backchannel_logout_uri=f"{apa}/auth/backchannel-logout", audience=["apa-api"],
        scope="openid profile email siret", access_rule="group:apa", home_url=f"{apa}/").secret
    admin.add_user(rt.db, rt.passwords, now, username="gmoreau-xt", password=PASSWORD,
                   given_name="Gaëlle", family_name="Moreau", phone="+33612345671",
                   email="g.moreau@example.test", groups=["apa"], siret="21750001600019")
    admin.add_user(rt.db, rt.passwords, now, username="dlambert-xt", password=PASSWORD,
                   given_name="Dominique", family_name="Lambert",
                   email="d.lambert@example.test", groups=["apa"])
    admin.add_user(rt.db, rt.passwords, now, username="fmartin-xt", password=PASSWORD,
                   given_name="Florence", family_name="Martin", phone="+33612345670",
                   email="f.martin@example.test", groups=["apa"])
    # A citizen (seed 004) for the forgotten password by e-mail (test_password_reset_journey).
    admin.add_user(rt.db, rt.passwords, now, username="cpetit-c", password=PASSWORD,
                   population="citizen", email="claire.petit@example.test")
    # Citizens who delete their account (test_account_deletion_journey), one per width.
    for width in ("desktop", "mobile"):
        admin.add_user(rt.db, rt.passwords, now, username=f"citoyen-{width}", password=PASSWORD,
                       given_name="Lucie", family_name="Petit", phone="+33612345672",
                       email=f"lucie.{width}@example.test", population="citizen")
    rt.close()
    hub_process = subprocess.Popen(
        [sys.executable, "-m", "idp", "serve", "--port", str(hub_port)], env=env, cwd=tmp)
    rp_env = dict(os.environ, RP_ISSUER=hub, RP_BASE=rp, RP_CLIENT_ID="test-rp",
                  RP_CLIENT_SECRET=secret or "", RP_SESSION_SECRET=secrets.token_hex(16))
    rp_process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.browser.rp_app:app", "--port", str(rp_port),
         "--log-level", "warning"], env=rp_env, cwd=ROOT)
    apa_env = dict(os.environ, APA_BASE_URL=apa, APA_HUB_ISSUER=hub, APA_CLIENT_ID="apa",
                   APA_CLIENT_SECRET=apa_secret or "",
                   APA_DATABASE_URL=f"sqlite:///{tmp}/apa.sqlite3",
                   APA_FILES_DIR=str(tmp / "apa-files"), APA_PROCESSING_INTERVAL="0.2")
    apa_process = subprocess.Popen(
        [sys.executable, "-m", "clients.apa", "serve", "--port", str(apa_port)], env=apa_env,
        cwd=tmp)
    try:
        wait_until_up(f"{hub}/healthz", hub_process)
        wait_until_up(f"{rp}/", rp_process)
        wait_until_up(f"{apa}/healthz", apa_process)
        yield Live(hub, rp, smtp, tmp / "sms.jsonl", apa)
    finally:
        smtp.stop()
        for process in (apa_process, rp_process, hub_process):
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"])
        yield browser
        browser.close()


def _loopback_only(route) -> None:  # type: ignore[no-untyped-def]
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "data:", "about:")):
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # bypass_csp lets the test inject axe-core; the pages' own CSP is tested elsewhere.
    context = browser.new_context(locale="fr-FR", bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    context.route("**/*", _loopback_only)
    page = context.new_page()
    yield page
    context.close()


def check_page(page: Page, name: str) -> None:
    """Screenshot the page and assert axe-core finds no WCAG 2.1 A/AA violation."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
    )
    summary = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in violations
    ]
    assert summary == [], f"{name}: " + json.dumps(summary, ensure_ascii=False)
