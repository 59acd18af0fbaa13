"""The hub's own CPU per federated login, with a local FI (another hub instance).

Three kinds of process: the hub (`idp serve`, one process: the one measured), the FI (the
demo's "Compte Horizon", idp/demo_providers.py, a hub instance of its own with argon2id set
cheap on it only, so the FI's password check does not compete for the cores), and this script:
the load generator and a small counting proxy in front of the FI (the FI's issuer is the
proxy's URL, so every request to the FI, the hub's and the browser's, is counted by path).

Each login, a fresh cookie jar (a new browser): GET /authorize of a citizen-facing client
(acr_values eidas1, PKCE) → the picker → POST the choice → the FI's /authorize and login
form → the hub's callback (/connexion/retour: code exchange and ID token checks at the FI,
userinfo, identity lookup, session) → /authorize/resume → code → POST /token.

The hub's CPU is utime+stime of its process (/proc/<pid>/stat) before and after the measured
logins, divided by their number. It includes the hub's HTTP client work towards the FI (token
and userinfo calls), not the FI's. Discovery and JWKS requests to the FI are counted over
the measured logins (after a warm-up): the hub caches them, so they must stay at 0.

Usage: .venv/bin/python bench/federated_login.py [--logins 200] [--warmup 10] [--concurrency 4]
Prints a human summary and one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from idp import admin, admin_providers  # noqa: E402 - after the path is set
from idp.demo_providers import (  # noqa: E402
    DEMO_PROVIDERS,
    prepare_provider,
    provider_environment,
    start_provider,
)
from idp.runtime import Runtime  # noqa: E402
from idp.settings import Settings  # noqa: E402
from idp.storage.migrate import upgrade  # noqa: E402

FI = DEMO_PROVIDERS[0]  # Compte Horizon (démo)
PASSWORD = "Bench-Federation-2026!"
CLIENT_ID = "bench-citizen-app"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never called: the code is read from Location
FIELD = re.compile(r'name="(csrf_token|rid)" value="([^"]*)"')
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (proc(5): fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({process.returncode})")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"{url}: not up after {timeout} s")


class CountingProxy:
    """Forwards every request to the FI and counts them by path (in this process)."""

    def __init__(self, target_port: int) -> None:
        self.hits: Counter[str] = Counter()
        lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet

            def _forward(self) -> None:
                with lock:
                    proxy.hits[urlsplit(self.path).path] += 1
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=30)
                try:
                    try:
                        upstream.request(self.command, self.path, body=body, headers=headers)
                        answer = upstream.getresponse()
                        data = answer.read()
                    except OSError:  # the FI not up yet
                        self.send_error(502)
                        return
                    self.send_response(answer.status)
                    for key, value in answer.getheaders():
                        if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                            self.send_header(key, value)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def metadata_hits(self) -> dict[str, int]:
        return {"discovery": self.hits["/.well-known/openid-configuration"],
                "jwks": sum(n for path, n in self.hits.items() if "jwks" in path)}

    def close(self) -> None:
        self.server.shutdown()


def one_login(hub: str, fi: str, secret: str, username: str) -> None:
    """A complete federated login in a new browser, then the code redeemed."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        query = urlencode({
            "response_type": "code", "client_id": CLIENT_ID, "scope": "openid profile email",
            "redirect_uri": REDIRECT_URI, "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(24), "acr_values": "eidas1",
            "code_challenge_method": "S256", "code_challenge": challenge})
        picker_url = urljoin(hub, _location(browser.get(f"{hub}/authorize?{query}")))
        fields = dict(FIELD.findall(_ok(browser.get(picker_url)).text))
        url = _location(browser.post(f"{hub}/connexion/choix",
                                     data={**fields, "provider": FI.id}))
        assert url.startswith(fi), url
        login_url = urljoin(url, _location(browser.get(url)))  # the FI's login page
        fields = dict(FIELD.findall(_ok(browser.get(login_url)).text))
        url = urljoin(login_url, _location(browser.post(
            urljoin(login_url, "/login"),
            data={**fields, "username": username, "password": PASSWORD})))
        while not url.startswith(hub):  # the FI's /authorize/resume
            url = urljoin(url, _location(browser.get(url)))
        url = urljoin(hub, _location(browser.get(url)))  # the hub's callback → resume
        while not url.startswith(REDIRECT_URI):
            url = urljoin(hub, _location(browser.get(url)))
        code = parse_qs(urlsplit(url).query)["code"][0]
        token = browser.post(f"{hub}/token", auth=(CLIENT_ID, secret), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier})
        assert token.status_code == 200 and "id_token" in token.json(), token.text


def _location(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    return response.headers["location"]


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response


def run(logins: int, warmup: int, concurrency: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="bench-federation-"))
    hub_port, fi_port = free_port(), free_port()
    hub = f"http://127.0.0.1:{hub_port}"
    proxy = CountingProxy(fi_port)
    fi = f"http://127.0.0.1:{proxy.port}"  # the FI's issuer: through the counting proxy
    smtp_port = free_port()  # nobody listens: mail stays in the outbox
    processes: list[subprocess.Popen[bytes]] = []
    try:
        fi_env = {**provider_environment(FI, fi, folder, "127.0.0.1", smtp_port),
                  # Cheap password hashing on the FI only: its CPU is not what is measured.
                  "IDP_ARGON2_MEMORY_KIB": "1024", "IDP_ARGON2_TIME_COST": "1"}
        prepare_provider(FI, fi_env, hub, PASSWORD)
        processes.append(start_provider(fi_port, "127.0.0.1", fi_env))
        hub_env = {"IDP_ISSUER": hub, "IDP_DATABASE_URL": f"sqlite:///{folder}/hub.sqlite3",
                   "IDP_KEYS_DIR": str(folder / "hub-keys"), "IDP_LOG_LEVEL": "warning",
                   "IDP_SMTP_HOST": "127.0.0.1", "IDP_SMTP_PORT": str(smtp_port)}
        settings = Settings.from_env(hub_env)
        upgrade(settings.database_url)
        rt = Runtime.build(settings)
        try:
            now = rt.clock.now()
            entry = admin_providers.new_provider(
                id=FI.id, display_name=FI.name, client_id="hub-federation",
                client_secret=FI.secret,
                discovery_url=fi + "/.well-known/openid-configuration",
                scopes=("openid", "identite_pivot", "email"), acr_values=FI.acr_values)
            admin_providers.add_provider(rt.db, rt.keys.secret_box, now, entry)
            secret = admin.add_client(
                rt.db, now, client_id=CLIENT_ID, name="Démarche (banc d'essai)",
                redirect_uris=[REDIRECT_URI], consent_mode="none", citizen_facing=True,
                scope="openid profile email").secret or ""
        finally:
            rt.close()
        hub_process = subprocess.Popen(  # one process, no --workers: the one measured
            [sys.executable, "-m", "idp", "serve", "--host", "127.0.0.1", "--port",
             str(hub_port)], env={**os.environ, **hub_env}, cwd=folder)
        processes.append(hub_process)
        wait_up(f"{fi}/healthz", processes[0])
        wait_up(f"{hub}/healthz", hub_process)
        users = [c.username for c in FI.citizens]

        def batch(count: int) -> float:
            started = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                for future in [pool.submit(one_login, hub, fi, secret, users[i % len(users)])
                               for i in range(count)]:
                    future.result()
            return time.perf_counter() - started

        batch(warmup)  # discovery, JWKS, first citizens' accounts, code paths warmed
        before_hits = proxy.metadata_hits()
        before_cpu = cpu_seconds(hub_process.pid)
        elapsed = batch(logins)
        hub_cpu = cpu_seconds(hub_process.pid) - before_cpu
        after_hits = proxy.metadata_hits()
        return {
            "logins": logins, "concurrency": concurrency, "seconds": round(elapsed, 2),
            "logins_per_second": round(logins / elapsed, 1),
            "hub_cpu_ms_per_login": round(hub_cpu * 1000 / logins, 2),
            "fi_discovery_requests": after_hits["discovery"] - before_hits["discovery"],
            "fi_jwks_requests": after_hits["jwks"] - before_hits["jwks"],
            "fi_discovery_jwks_during_warmup": before_hits,
            "load_average": list(os.getloadavg()),
        }
    finally:
        for process in reversed(processes):
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        proxy.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    load_before = os.getloadavg()
    result = run(args.logins, args.warmup, args.concurrency)
    result["load_average_before"] = list(load_before)
    print(f"{result['logins']} federated logins in {result['seconds']} s "
          f"({result['logins_per_second']}/s, {args.concurrency} at a time)")
    print(f"hub CPU per federated login: {result['hub_cpu_ms_per_login']} ms")
    print(f"FI discovery / JWKS requests during the measured logins: "
          f"{result['fi_discovery_requests']} / {result['fi_jwks_requests']}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
