"""Orchestrates the benchmark: start a hub (`idp serve --workers 2`), seed it, measure with
load generators in other processes (wrk for client_credentials and introspection,
login_load.py for complete browser logins), read the workers' memory, stop it.
Prints a Markdown table and writes bench/results/latest.json."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "Bench-mark-2026!"
REDIRECT = "http://127.0.0.1:9/callback"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def wrk(url: str, body: str, auth: tuple[str, str], seconds: int, connections: int) -> dict:
    env = dict(os.environ, BODY=body,
               AUTH=base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
         str(BENCH / "post.lua"), url], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker_rss_mb(parent: int) -> float:
    """Largest resident memory among the hub's worker processes, in MB."""
    children = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True,
                              text=True).stdout.split()
    sizes = []
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except FileNotFoundError:
            continue
    return round(max(sizes), 1) if sizes else 0.0


def bench_hub(backend: str, seconds: int, connections: int, login_users: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="idp-bench-"))
    if backend == "postgresql":
        name = f"idp_bench_{secrets.token_hex(4)}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    else:
        database_url = f"sqlite:///{tmp}/bench.sqlite3"
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = dict(os.environ, IDP_ISSUER=issuer, IDP_DATABASE_URL=database_url,
               IDP_KEYS_DIR=str(tmp / "keys"), IDP_LOG_LEVEL="warning")
    seed = subprocess.run([sys.executable, str(BENCH / "seed.py"), str(login_users)], env=env,
                          capture_output=True, text=True, check=True)
    seeded = json.loads(seed.stdout)
    server = subprocess.Popen([str(ROOT / ".venv/bin/idp"), "serve", "--port", str(port),
                               "--workers", "2"], env=env)
    try:
        wait_up(issuer + "/healthz")
        auth = (seeded["client_id"], seeded["secret"])
        token = httpx.post(issuer + "/token", data={"grant_type": "client_credentials"},
                           auth=auth).json()["access_token"]
        wrk(issuer + "/token", "grant_type=client_credentials", auth, 2, connections)  # warm
        grants = wrk(issuer + "/token", "grant_type=client_credentials", auth, seconds,
                     connections)
        introspections = wrk(issuer + "/introspect", f"token={token}", auth, seconds,
                             connections)
        logins = json.loads(subprocess.run(
            [sys.executable, str(BENCH / "login_load.py"), issuer, seeded["client_id"],
             seeded["secret"], REDIRECT, PASSWORD, str(seconds), *seeded["users"]],
            capture_output=True, text=True, check=True).stdout)
        rss = worker_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)
        if backend == "postgresql":
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return {"client_credentials": grants, "introspection": introspections, "logins": logins,
            "worker_rss_mb": rss}


def bench_peer(seconds: int, connections: int) -> dict:
    peer = BENCH / "peer"
    if not (peer / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=peer,
                       check=True)
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    auth = ("peer", "peer-secret-" + secrets.token_hex(8))
    server = subprocess.Popen(["node", "server.mjs", str(port), *auth], cwd=peer,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(issuer + "/.well-known/openid-configuration")
        body = "grant_type=client_credentials&scope=api"
        token = httpx.post(issuer + "/token", data=dict(
            grant_type="client_credentials", scope="api"), auth=auth).json()["access_token"]
        wrk(issuer + "/token", body, auth, 2, connections)
        grants = wrk(issuer + "/token", body, auth, seconds, connections)
        introspections = wrk(issuer + "/token/introspection", f"token={token}", auth, seconds,
                             connections)
        rss = 0.0
        status = Path(f"/proc/{server.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss = round(int(line.split()[1]) / 1024, 1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"client_credentials": grants, "introspection": introspections, "worker_rss_mb": rss}


def table(results: dict) -> str:
    rows = ["| server | client_credentials /s (p50, p99 ms) | introspection /s (p50, p99 ms) "
            "| complete logins /s (p50, p99 ms) | RSS per process (MB) |",
            "| --- | --- | --- | --- | --- |"]

    def cell(m: dict | None) -> str:
        if not m:
            return "-"
        return f"{m['per_second']:,.0f} ({m['p50_ms']}, {m['p99_ms']})"

    for name, r in results.items():
        rows.append(f"| {name} | {cell(r['client_credentials'])} | {cell(r['introspection'])} "
                    f"| {cell(r.get('logins'))} | {r['worker_rss_mb']} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--login-users", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--with-peer", action="store_true",
                        help="also measure node-oidc-provider (npm package oidc-provider)")
    args = parser.parse_args()
    results = {}
    for backend in args.backends.split(","):
        results[f"hub, {backend}, 2 workers"] = bench_hub(backend, args.seconds,
                                                          args.connections, args.login_users)
    if args.with_peer:
        results["node-oidc-provider (memory), 1 process"] = bench_peer(args.seconds,
                                                                       args.connections)
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "latest.json").write_text(json.dumps(results, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
