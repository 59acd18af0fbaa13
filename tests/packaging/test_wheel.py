"""The wheel is the whole product (issue 9): built from the checkout, installed into a fresh
virtual environment with only the locked runtime dependencies, and run from an empty folder,
its `idp` and `apa` commands migrate their databases and serve the pages in French, the DSFR
and discovery. A file or a dependency the wheel lacks fails here."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database
from tests.servers import free_port, wait_until_up

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("packaging")]

ROOT = Path(__file__).resolve().parents[2]
VENDORED_CSS = ROOT / "sitekit" / "static" / "dsfr" / "dsfr.min.css"
UV = Path(sys.executable).with_name("uv")  # installed in .venv by scripts/install


@dataclass
class Installed:
    venv: Path
    workdir: Path  # the empty folder every command runs from
    hub: str
    apa: str
    chorus: str
    env: dict[str, str]


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


def build_and_install(tmp: Path) -> Path:
    """The wheel built from the checkout, installed with the locked runtime dependencies only
    into a new virtual environment (uv's cache makes this fast)."""
    uv_env = {k: v for k, v in os.environ.items()
              if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH")}
    uv_env["UV_PYTHON_DOWNLOADS"] = "never"
    dist, venv = tmp / "dist", tmp / "venv"
    run(UV, "build", "--wheel", "--quiet", "-o", dist, cwd=ROOT, env=uv_env)
    (wheel,) = dist.glob("idp-*.whl")
    run(UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--quiet",
        "-o", tmp / "requirements.txt", cwd=ROOT, env=uv_env)
    run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=tmp, env=uv_env)
    python = venv / "bin" / "python"
    run(UV, "pip", "install", "--quiet", "--python", python, "-r", tmp / "requirements.txt",
        cwd=tmp, env=uv_env)
    run(UV, "pip", "install", "--quiet", "--python", python, "--no-deps", wheel, cwd=tmp,
        env=uv_env)
    run(UV, "pip", "check", "--quiet", "--python", python, cwd=tmp, env=uv_env)
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("wheel")
    venv = build_and_install(tmp)
    workdir, data = tmp / "empty", tmp / "data"
    workdir.mkdir()
    data.mkdir()
    hub_port, apa_port, chorus_port = free_port(), free_port(), free_port()
    hub, apa = f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{apa_port}"
    chorus = f"http://127.0.0.1:{chorus_port}"
    with contextlib.ExitStack() as stack:
        if BACKEND == "postgresql":
            hub_db = stack.enter_context(new_pg_database("idp_wheel"))
            apa_db = stack.enter_context(new_pg_database("apa_wheel"))
            chorus_db = stack.enter_context(new_pg_database("chorus_wheel"))
        else:
            hub_db, apa_db = f"sqlite:///{data}/idp.sqlite3", f"sqlite:///{data}/apa.sqlite3"
            chorus_db = f"sqlite:///{data}/chorus.sqlite3"
        # Nothing of the caller's environment: no PYTHONPATH, no virtualenv, no IDP_* left over.
        env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(data),
               "IDP_ISSUER": hub, "IDP_DATABASE_URL": hub_db, "IDP_KEYS_DIR": f"{data}/keys",
               "IDP_SMS_SINK_FILE": f"{data}/sms.jsonl", "IDP_LOG_LEVEL": "warning"}
        run("idp", "db", "upgrade", cwd=workdir, env=env)
        client = json.loads(run(
            "idp", "--json", "clients", "add", "--client-id", "apa",
            "--redirect-uri", f"{apa}/auth/callback", "--post-logout-redirect-uri", f"{apa}/",
            "--scope", "openid profile email", cwd=workdir, env=env))
        env |= {"APA_BASE_URL": apa, "APA_HUB_ISSUER": hub, "APA_CLIENT_ID": "apa",
                "APA_CLIENT_SECRET": client["client_secret"], "APA_DATABASE_URL": apa_db,
                "APA_FILES_DIR": f"{data}/apa-files"}
        run("apa", "db", "upgrade", cwd=workdir, env=env)
        env |= {"CHORUS_BASE_URL": chorus, "CHORUS_HUB_ISSUER": hub,
                "CHORUS_DATABASE_URL": chorus_db}
        run("chorus", "db", "upgrade", cwd=workdir, env=env)
        servers = [subprocess.Popen(["idp", "serve", "--port", str(hub_port)], cwd=workdir,
                                    env=env),
                   subprocess.Popen(["apa", "serve", "--port", str(apa_port)], cwd=workdir,
                                    env=env),
                   subprocess.Popen(["chorus", "serve", "--port", str(chorus_port)],
                                    cwd=workdir, env=env)]
        try:
            wait_until_up(f"{hub}/healthz", servers[0])
            wait_until_up(f"{apa}/healthz", servers[1])
            wait_until_up(f"{chorus}/healthz", servers[2])
            yield Installed(venv, workdir, hub, apa, chorus, env)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=10)


def test_the_commands_run_the_installed_packages_without_any_dev_dependency(
        installed: Installed) -> None:
    found = subprocess.run(
        [installed.venv / "bin" / "python", "-c",
         "import importlib.util as u, json; print(json.dumps({n: getattr(u.find_spec(n), "
         "'origin', None) for n in ('idp', 'clients', 'sitekit', 'itsdangerous', 'aiosmtpd', "
         "'pytest', 'hypothesis', 'playwright', 'oic')}))"],
        cwd=installed.workdir, capture_output=True, text=True, check=True)
    origins = json.loads(found.stdout)
    site_packages = str(installed.venv / "lib")
    for package in ("idp", "clients", "sitekit", "itsdangerous", "aiosmtpd"):  # aiosmtpd: demo
        assert origins[package].startswith(site_packages), (package, origins[package])
    assert [n for n in ("pytest", "hypothesis", "playwright", "oic") if origins[n]] == []


def test_the_hub_serves_its_login_page_in_french(installed: Installed) -> None:
    page = httpx.get(f"{installed.hub}/login", timeout=10)
    assert page.status_code == 200
    assert '<html lang="fr"' in page.text
    assert "Se connecter" in page.text and "Mot de passe" in page.text
    assert 'href="/static/dsfr/dsfr.min.css"' in page.text
    # The demo's texts around the form come from the package (idp/portal/content.toml).
    assert "ALERTE ESCROQUERIE" in page.text


@pytest.mark.parametrize("server", ["hub", "apa", "chorus"])
def test_no_installed_server_names_its_software(installed: Installed, server: str) -> None:
    """`idp serve`, `apa serve` and `chorus serve` do not send uvicorn's `Server` header: it
    tells an attacker what runs (and which version to look up)."""
    for path in ("/healthz", "/", "/nowhere"):
        response = httpx.get(f"{getattr(installed, server)}{path}", timeout=10)
        assert "server" not in response.headers, (server, path, response.headers["server"])


@pytest.mark.parametrize("server", ["hub", "apa"])
def test_the_dsfr_stylesheet_is_served_whole(installed: Installed, server: str) -> None:
    css = httpx.get(f"{getattr(installed, server)}/static/dsfr/dsfr.min.css", timeout=10)
    assert css.status_code == 200
    assert len(css.content) == int(css.headers["content-length"]) == VENDORED_CSS.stat().st_size
    font = httpx.get(f"{getattr(installed, server)}/static/dsfr/fonts/Marianne-Regular.woff2",
                     timeout=10)
    assert font.status_code == 200 and len(font.content) > 10_000


def test_apa_sends_a_visitor_to_the_hub_which_shows_its_login_page(
        installed: Installed) -> None:
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        response = browser.get(f"{installed.apa}/")
        while response.is_redirect and not response.headers["location"].startswith(
                installed.hub):
            response = browser.get(urljoin(str(response.url), response.headers["location"]))
        assert response.is_redirect, response.text
        authorize = urlsplit(response.headers["location"])
        assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == (
            f"{installed.hub}/authorize")
        assert parse_qs(authorize.query)["client_id"] == ["apa"]
        response = browser.get(response.headers["location"])
        while response.is_redirect:
            response = browser.get(urljoin(str(response.url), response.headers["location"]))
        assert response.status_code == 200, response.text
        assert '<html lang="fr"' in response.text and "Se connecter" in response.text
    assert httpx.get(f"{installed.apa}/static/apa-upload.js", timeout=10).status_code == 200


def test_the_registration_page_and_its_human_check_are_shipped(installed: Installed) -> None:
    # altcha (a run-time dependency), the page's template and its solver script.
    page = httpx.get(f"{installed.hub}/inscription", timeout=10)
    assert page.status_code == 200, page.text
    assert '<html lang="fr"' in page.text and 'name="altcha"' in page.text, page.text[:300]
    assert 'src="/static/human-check.js"' in page.text
    script = httpx.get(f"{installed.hub}/static/human-check.js", timeout=10)
    assert script.status_code == 200 and "crypto.subtle" in script.text


def test_the_connect_button_and_its_page_are_shipped(installed: Installed) -> None:
    # The shared stylesheet (package data) with its cross-origin headers, the page's template.
    css = httpx.get(f"{installed.hub}/static/connect-button/connect-button.css", timeout=10)
    assert css.status_code == 200 and ".hub-connect-button" in css.text
    assert css.headers["access-control-allow-origin"] == "*"
    page = httpx.get(f"{installed.hub}/integration/bouton-de-connexion", timeout=10)
    assert page.status_code == 200 and "hub-connect-button__brand" in page.text, page.text[:300]


def test_chorus_runs_from_the_installed_package(installed: Installed) -> None:
    # Its migrations, templates and static files are inside the package.
    assert httpx.get(f"{installed.chorus}/healthz", timeout=10).status_code == 200
    assert httpx.get(f"{installed.chorus}/static/chorus-copy.js", timeout=10).status_code == 200
    home = httpx.get(f"{installed.chorus}/", timeout=10)
    assert home.status_code in (302, 303, 307) and "/auth/login" in home.headers["location"]


def test_the_connector_without_its_secret_stops_with_the_configuration_status(
        installed: Installed, tmp_path: Path) -> None:
    env = {k: v for k, v in installed.env.items() if not k.startswith("CHORUS_")}
    result = subprocess.run(
        ["chorus-connector", "--dossier", str(tmp_path / "factures"),
         "--etat", str(tmp_path / "etat.json")],
        cwd=installed.workdir, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "CHORUS_CONNECTOR" in result.stderr


def test_discovery_names_the_issuer(installed: Installed) -> None:
    metadata = httpx.get(f"{installed.hub}/.well-known/openid-configuration", timeout=10)
    assert metadata.status_code == 200
    assert metadata.json()["issuer"] == installed.hub
    assert metadata.json()["authorization_endpoint"] == f"{installed.hub}/authorize"


def test_nothing_is_written_to_the_folder_the_commands_run_from(installed: Installed) -> None:
    assert list(installed.workdir.iterdir()) == []
