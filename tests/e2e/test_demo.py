"""`idp demo` tells the truth: run as a person would, from an empty folder, on a free port."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from idp.demo import DEMO_PASSWORD, DEMO_USERS
from tests.e2e.browsing import log_in_and_consent
from tests.oidc_helpers import csrf_token
from tests.servers import free_port, wait_until_up

pytestmark = pytest.mark.e2e


def two_free_ports() -> int:
    """A port P such that P and P + 1 (APA) are both free."""
    for _ in range(50):
        port = free_port()
        if free_port() == port + 1:  # handed out one after the other (tests/servers.py)
            return port
    raise RuntimeError("no two consecutive free ports")


def children_of(pid: int) -> set[int]:
    """Every descendant process of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Demo:
    process: subprocess.Popen
    port: int
    folder: Path
    out: Path
    err: Path

    @property
    def hub(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def apa(self) -> str:
        return f"http://127.0.0.1:{self.port + 1}"

    def output(self) -> str:
        return self.out.read_text()

    def stop(self, sig: signal.Signals, whole_group: bool) -> int:
        if whole_group:  # as the terminal does on Ctrl-C: the demo's whole process group
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        return self.process.wait(timeout=20)


@contextlib.contextmanager
def running_demo(tmp_path: Path, *args: str) -> Iterator[Demo]:
    port = two_free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "APA_", "CHORUS_"))}
    env.update(IDP_ARGON2_MEMORY_KIB="1024", IDP_ARGON2_TIME_COST="1")
    out, err = tmp_path / "demo.out", tmp_path / "demo.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "idp", "demo", "--port", str(port), *args], cwd=tmp_path,
            env=env, stdout=stdout, stderr=stderr, start_new_session=True)
    demo = Demo(process, port, tmp_path, out, err)
    try:
        # Generous: on a loaded machine, starting Python processes takes tens of seconds.
        wait_until_up(demo.hub + "/healthz", process, timeout=120)
        wait_until_up(demo.apa + "/healthz", process, timeout=60)
        wait_until_up(f"http://127.0.0.1:{port + 4}/healthz", process, timeout=60)
        deadline = time.monotonic() + 30
        while "Ctrl-C" not in demo.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield demo
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def printed_mail_folder(output: str) -> Path:
    match = re.search(r"^\s+(/\S*demo-mail)\s*$", output, re.MULTILINE)
    assert match, output
    return Path(match.group(1))


def wait_for_eml(folder: Path, timeout: float = 60) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob("*.eml"))
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no .eml in {folder} after {timeout} s")


def test_demo_on_a_chosen_port_is_one_working_whole_and_ctrl_c_stops_it_all(tmp_path):
    with running_demo(tmp_path) as demo:
        # The issuer is the chosen port, not :8000.
        discovery = httpx.get(demo.hub + "/.well-known/openid-configuration", timeout=30).json()
        assert discovery["issuer"] == demo.hub
        # No server of the demo names its software (uvicorn's `Server` header).
        for url in (demo.hub + "/login", demo.apa + "/healthz"):
            assert "server" not in httpx.get(url, timeout=30).headers, url

        # APA sends people to that hub, whose login brings them back to APA's port (the
        # redirect URI registered for it), and APA then knows them.
        partner = DEMO_USERS[0]["username"]
        with httpx.Client(base_url=demo.apa, follow_redirects=False, timeout=30) as apa, \
                httpx.Client(base_url=demo.hub, follow_redirects=False, timeout=30) as browser:
            location = apa.get("/").headers["location"]
            while not location.startswith(demo.hub):
                location = apa.get(location).headers["location"]
            parts = urlsplit(location)
            assert f"{parts.scheme}://{parts.netloc}{parts.path}" == discovery[
                "authorization_endpoint"]
            callback = log_in_and_consent(browser, location, partner,
                                          demo.apa + "/auth/callback", DEMO_PASSWORD)
            assert apa.get(callback).headers["location"] == "/"
            assert apa.get("/depot").status_code == 200  # logged in at APA

            # The hub's home page shows only the application that runs.
            home = browser.get("/")
            tiles = re.findall(r'class="fr-tile__title"><a href="([^"]+)"', home.text)
            assert tiles == [demo.apa + "/"]

            # A password change e-mails its confirmation: a readable .eml in the printed folder.
            page = browser.get("/compte/mot-de-passe")
            changed = browser.post("/compte/mot-de-passe", data={
                "csrf_token": csrf_token(page.text), "current_password": DEMO_PASSWORD,
                "new_password": "Autre-Mot-2027!", "confirmation": "Autre-Mot-2027!"})
            assert changed.status_code == 200
        folder = printed_mail_folder(demo.output())
        assert folder == (tmp_path / "var" / "demo-mail").resolve()
        [eml] = wait_for_eml(folder)
        mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert mail["To"] == DEMO_USERS[0]["email"]
        assert mail["Subject"] == "Modification de vos informations personnelles"
        assert f"identifiant {partner}" in mail.get_body(("plain",)).get_content()
        listing = httpx.get(demo.hub + "/demo/courriels", timeout=30)
        assert listing.status_code == 200 and eml.name in listing.text

        # Ctrl-C: everything the demo started goes, status 0, no traceback.
        children = children_of(demo.process.pid)
        assert children, "APA should run as the demo's child"
        assert demo.stop(signal.SIGINT, whole_group=True) == 0
        assert not [pid for pid in children if is_running(pid)]
        with pytest.raises(httpx.ConnectError):
            httpx.get(demo.apa + "/healthz", timeout=2)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", demo.port), timeout=2).close()
        assert "Traceback" not in demo.err.read_text()


def test_demo_output_speaks_to_users_and_sigterm_stops_it_all(tmp_path):
    with running_demo(tmp_path) as demo:
        output = demo.output()
        children = children_of(demo.process.pid)
        assert demo.stop(signal.SIGTERM, whole_group=False) == 0
    assert children and not [pid for pid in children if is_running(pid)]
    assert "Traceback" not in demo.err.read_text()
    assert f"{demo.hub}/" in output and f"{demo.apa}/" in output
    assert all(user["username"] in output for user in DEMO_USERS)
    assert DEMO_PASSWORD in output
    assert str((tmp_path / "var" / "sms.jsonl").resolve()) in output
    assert f"{demo.hub}/demo/courriels" in output
    assert "Ctrl-C" in output
    assert "Chorus Pro" in output and "issues" not in output
    assert f"http://127.0.0.1:{demo.port + 4}/" in output
    assert "Appuyez sur Ctrl-C pour arrêter la démonstration." in output  # French by default


def test_demo_stops_with_an_error_when_apa_cannot_run(tmp_path):
    port = two_free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "APA_", "CHORUS_"))}
    with socket.socket() as taken:  # APA's port is taken: APA cannot start
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        demo = subprocess.run(
            [sys.executable, "-m", "idp", "demo", "--port", str(port), "--lang", "en"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert demo.returncode == 1
    assert "APA stopped unexpectedly" in demo.stderr
    assert "Press Ctrl-C" not in demo.stdout  # no addresses printed for a demo that is not there


def test_demo_says_so_and_stops_everything_when_its_port_is_taken(tmp_path):
    port = two_free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "APA_", "CHORUS_"))}
    with socket.socket() as taken:  # the hub's port is taken
        taken.bind(("127.0.0.1", port))
        taken.listen()
        demo = subprocess.Popen(
            [sys.executable, "-m", "idp", "demo", "--port", str(port), "--lang", "en"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = demo.communicate(timeout=240)
    assert demo.returncode == 1
    assert f"The hub could not listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err and "Press Ctrl-C" not in out
    with pytest.raises(httpx.ConnectError):  # APA, started first, was stopped too
        httpx.get(f"http://127.0.0.1:{port + 1}/healthz", timeout=2)


def test_demo_runs_chorus_with_its_structures_and_invoices(tmp_path):
    """Chorus Pro on the hub's port + 4: the demo's main manager logs in through the hub and
    sees the invented structures; their invoices answer through the pages."""
    with running_demo(tmp_path) as demo:
        chorus = f"http://127.0.0.1:{demo.port + 4}"
        with httpx.Client(timeout=20) as browser:
            response = browser.get(chorus + "/")
            assert response.status_code == 303
            assert "server" not in response.headers  # it does not name its software
            response = browser.get(chorus + response.headers["location"])
            browser.base_url = demo.hub
            location = log_in_and_consent(browser, response.headers["location"],
                                          DEMO_USERS[2]["username"], chorus + "/auth/callback",
                                          password=DEMO_PASSWORD)
            browser.get(location)
            home = browser.get(chorus + "/").text
            assert "Commune de Valbrune" in home and "Claire Besnard" in home
            structure = re.search(r'href="(/structures/\d+)"', home).group(1)
            invoices = browser.get(chorus + structure + "/factures").text
            assert "Papeterie des Tilleuls" in invoices or "Garage Morvandiau" in invoices
        assert demo.stop(signal.SIGTERM, whole_group=False) == 0
