"""The hub beside node-oidc-provider in one sitting (issue 16): see bench/README.md.

Servers, started once and kept for the sitting: node-oidc-provider (one process, in memory),
and for each backend the hub with one worker and with two (`idp serve --workers N`, the real
CLI), plus, with --rows N, the same hubs on a PostgreSQL database holding N rows per growing
table. Each round runs every measure on every server, the order reversed from one round to
the next (so neither side always goes first); the figures are the medians over the rounds.

Per measure: requests/s, p50/p99, the server's CPU per request (utime+stime from
/proc/<pid>/stat of the server process and all its descendants, before and after the measured
window; for PostgreSQL, the backends of the hub's database apart), each worker's share of that
CPU and resident memory after the load, and the load generator's own CPU (its processes'
rusage) so that one sees it was not the bottleneck.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIRECT = "http://127.0.0.1:9/callback"
PASSWORD = "Bench-mark-2026!"
TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def huge_pages() -> str:
    """The kernel's transparent huge page mode, the bracketed word (docs/operations.md: it
    changes argon2id's cost by a fifth)."""
    try:
        return THP.read_text().split("[")[1].split("]")[0]
    except (OSError, IndexError):
        return "unknown"
MEASURES = ("client_credentials", "introspection", "logins")
NODE = "node-oidc-provider, 1 process"
NODE_JWT = "node-oidc-provider, JWT access tokens, 1 process"


# -- processes ------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (threads included), in seconds; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except FileNotFoundError:
        pass
    return 0.0


def is_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return True


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Ports:
    """Ports from `base` upwards (0: any free port)."""

    def __init__(self, base: int) -> None:
        self.next = base

    def take(self) -> int:
        if not self.next:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                return int(s.getsockname()[1])
        while not port_free(self.next):
            self.next += 1
        self.next += 1
        return self.next - 1


# -- servers --------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    kind: str  # "hub" or "node"
    url: str
    process: subprocess.Popen[bytes]
    auth: tuple[str, str]
    token: str = ""
    users: list[str] = field(default_factory=list)
    workers: int = 1
    database: str = ""  # a PostgreSQL database's name, for its backends' CPU
    rows: int = 0  # the rows per growing table its database was seeded with
    measures: tuple[str, ...] = ("client_credentials", "introspection")
    seeded: Seeded | None = None

    def pids(self) -> list[int]:
        return [p for p in descendants(self.process.pid) if not is_tracker(p)]

    def worker_pids(self) -> list[int]:
        pids = self.pids()
        return pids[1:] if self.workers > 1 else pids[:1]


def wait_up(url: str, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not start in {timeout} s")


def pg_backends(database: str) -> list[int]:
    if not database:
        return []
    with PG.connect() as c:
        return [int(r[0]) for r in c.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database})]


PG = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", pool_size=1)


@dataclass
class Seeded:
    """A hub's database and keys, seeded once; a later hub of the sitting may reuse them
    (the 1,000,000-row database takes minutes to fill)."""
    database: str  # PostgreSQL database name, "" for SQLite
    database_url: str
    folder: Path
    answer: dict[str, Any]


def seed(backend: str, rows: int, login_users: int, tmp: Path, label: str,
         pg_socket: str = "") -> Seeded:
    folder = Path(tempfile.mkdtemp(prefix="hub-", dir=tmp))
    database = ""
    if backend == "postgresql":
        database = f"idp_bench_{secrets.token_hex(4)}"
        with PG.connect() as c:
            c.execute(text(f'CREATE DATABASE "{database}"'))
        database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + database
        if pg_socket:  # the hub reaches PostgreSQL through its Unix socket, not TCP
            database_url = f"postgresql+psycopg://postgres@/{database}?host={pg_socket}"
    else:
        database_url = f"sqlite:///{folder}/bench.sqlite3"
    env = dict(os.environ, IDP_ISSUER="http://127.0.0.1", IDP_DATABASE_URL=database_url,
               IDP_KEYS_DIR=str(folder / "keys"), IDP_LOG_LEVEL="warning")
    answer = json.loads(subprocess.run(
        [sys.executable, str(BENCH / "seed.py"), str(login_users)], env=env,
        capture_output=True, text=True, check=True).stdout)
    if rows:
        print(f"{label}: seeding {rows:,} rows per table", file=sys.stderr)
        subprocess.run([sys.executable, str(BENCH / "rows.py"), database_url, str(rows),
                        answer["client_id"]], env=env, check=True)
    return Seeded(database, database_url, folder, answer)


def drop(seeded: Seeded) -> None:
    if seeded.database:
        with PG.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{seeded.database}" WITH (FORCE)'))


def start_hub(backend: str, workers: int, rows: int, ports: Ports, login_users: int,
              tmp: Path, seeded: Seeded | None = None, pg_socket: str = "") -> Server:
    label = f"hub {backend}{f' +{rows:,} rows' if rows else ''}, {workers} worker" + \
        ("s" if workers > 1 else "")
    seeded = seeded or seed(backend, rows, login_users, tmp, label, pg_socket)
    database, database_url, folder = seeded.database, seeded.database_url, seeded.folder
    port = ports.take()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, IDP_ISSUER=url, IDP_DATABASE_URL=database_url,
               IDP_KEYS_DIR=str(folder / "keys"), IDP_LOG_LEVEL="warning")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    seeded_answer = seeded.answer
    process = subprocess.Popen([str(ROOT / ".venv/bin/idp"), "serve", "--port", str(port),
                                "--workers", str(workers), "--no-upgrade"], env=env,
                               cwd=folder)
    server = Server(label, "hub", url, process,
                    (seeded_answer["client_id"], seeded_answer["secret"]),
                    users=seeded_answer["users"], workers=workers, database=database, rows=rows,
                    measures=MEASURES if workers > 1 else MEASURES[:2], seeded=seeded)
    wait_up(url + "/healthz", process)
    deadline = time.monotonic() + 300
    while len(server.worker_pids()) < workers and time.monotonic() < deadline:
        time.sleep(0.5)
    server.token = httpx.post(url + "/token", data={"grant_type": "client_credentials"},
                              auth=server.auth, timeout=30).json()["access_token"]
    return server


def start_node(ports: Ports, jwt: bool = False) -> Server:
    peer = BENCH / "peer"
    if not (peer / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=peer,
                       check=True)
    port = ports.take()
    url = f"http://127.0.0.1:{port}"
    auth = ("peer", "peer-secret-" + secrets.token_hex(8))
    process = subprocess.Popen(["node", "server.mjs", str(port), *auth,
                                *(["jwt"] if jwt else [])], cwd=peer,
                               stdout=subprocess.DEVNULL)
    wait_up(url + "/.well-known/openid-configuration", process)
    token = httpx.post(url + "/token", data={"grant_type": "client_credentials", "scope": "api"},
                       auth=auth, timeout=30).json()["access_token"]
    if jwt:
        # ES256-signed JWT access tokens, as the hub's (node does not introspect those).
        return Server(NODE_JWT, "node", url, process, auth, token,
                      measures=("client_credentials",))
    return Server(NODE, "node", url, process, auth, token)


def stop(server: Server) -> None:
    """Stop the server; its database stays until the end of the sitting (see `drop`)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()


# -- one measure ----------------------------------------------------------------------------

class CpuWindow:
    """The CPU time the server (and its database backends) spend between start and stop."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def start(self) -> None:
        self.before = {p: cpu_seconds(p) for p in self.server.pids()}
        self.db_before = {p: cpu_seconds(p) for p in pg_backends(self.server.database)}
        self.wall = time.monotonic()

    def stop(self) -> dict[str, Any]:
        wall = time.monotonic() - self.wall
        after = {p: cpu_seconds(p) for p in self.server.pids()}
        used = {p: after[p] - self.before.get(p, 0.0) for p in after}
        db_after = {p: cpu_seconds(p) for p in pg_backends(self.server.database)}
        db_used = sum(db_after[p] - self.db_before.get(p, 0.0) for p in db_after)
        total = sum(used.values())
        workers = self.server.worker_pids()
        return {"server_cpu_s": round(total, 3), "db_cpu_s": round(db_used, 3),
                "wall_s": round(wall, 3),
                "worker_cpu_share": [round(used.get(p, 0.0) / total, 3) if total else 0.0
                                     for p in workers]}


def run_wrk(server: Server, measure: str, seconds: float, connections: int) -> dict[str, Any]:
    if measure == "client_credentials":
        path, body = "/token", "grant_type=client_credentials"
        if server.kind == "node":
            body += "&scope=api"
    else:
        path = "/introspect" if server.kind == "hub" else "/token/introspection"
        body = f"token={server.token}"
    env = dict(os.environ, BODY=body, AUTH=base64.b64encode(
        ":".join(server.auth).encode()).decode())
    command = ["wrk", "-t1", f"-c{connections}", "--latency", "-s", str(BENCH / "post.lua"),
               server.url + path]
    subprocess.run([*command[:3], "-d1s", *command[3:]], env=env, capture_output=True,
                   check=True)  # warm-up
    window = CpuWindow(server)
    window.start()
    wrk = subprocess.Popen([*command[:3], f"-d{max(1, round(seconds))}s", *command[3:]], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert wrk.stdout is not None
    out = wrk.stdout.read().decode()
    _, status, usage = os.wait4(wrk.pid, 0)
    wrk.returncode = os.waitstatus_to_exitcode(status)
    cpu = window.stop()
    result = json.loads(out.strip().splitlines()[-1])
    result.update(cpu, loadgen_cpu_s=round(usage.ru_utime + usage.ru_stime, 3))
    return result


def run_logins(server: Server, seconds: float, connections: int,
               processes: int) -> dict[str, Any]:
    per = [connections // processes + (i < connections % processes) for i in range(processes)]
    generators = []
    for count in per:
        cfg = {"issuer": server.url, "client_id": server.auth[0], "secret": server.auth[1],
               "redirect_uri": REDIRECT, "password": PASSWORD, "users": server.users,
               "connections": count, "seconds": seconds}
        generators.append(subprocess.Popen(
            [sys.executable, str(BENCH / "login_load.py"), json.dumps(cfg)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    try:
        for g in generators:
            assert g.stdout is not None
            line = g.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"login generator: {line!r}")
        gen_before = sum(cpu_seconds(g.pid) for g in generators)
        window = CpuWindow(server)
        window.start()
        for g in generators:
            assert g.stdin is not None
            g.stdin.write(b"go\n")
            g.stdin.flush()
        outputs, gen_cpu = [], 0.0
        for g in generators:
            assert g.stdout is not None
            outputs.append(json.loads(g.stdout.readline()))
            _, _, usage = os.wait4(g.pid, 0)
            g.returncode = 0
            gen_cpu += usage.ru_utime + usage.ru_stime
    finally:
        for g in generators:
            if g.returncode is None:
                g.kill()
                g.wait()
    cpu = window.stop()
    durations = sorted(d for o in outputs for d in o["durations_ms"])
    elapsed = max(o["seconds"] for o in outputs)
    logins = len(durations)
    return {"requests": logins, "seconds": elapsed,
            "per_second": round(logins / elapsed, 1),
            "http_requests": sum(o["requests"] for o in outputs),
            "errors": sum(o["errors"] for o in outputs),
            "first_errors": [e for o in outputs for e in o["first_errors"]][:3],
            "p50_ms": round(statistics.median(durations), 1) if durations else 0.0,
            "p99_ms": round(durations[max(0, int(logins * 0.99) - 1)], 1) if durations else 0.0,
            "loadgen_cpu_s": round(gen_cpu - gen_before, 3), **cpu}


def argon2_bound(seconds: float) -> dict[str, Any]:
    """argon2id alone as the hub verifies, on every core (bench/argon2_bound.py): item 1's
    bound, in this sitting."""
    out = subprocess.run([sys.executable, str(BENCH / "argon2_bound.py"), str(seconds)],
                         capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def measure(server: Server, name: str, args: argparse.Namespace) -> dict[str, Any]:
    if name == "logins":
        result = run_logins(server, args.seconds, args.login_connections, args.login_processes)
    else:
        result = run_wrk(server, name, args.seconds, args.connections)
    count = max(result["requests"], 1)
    result["cpu_us_per_request"] = round(result["server_cpu_s"] / count * 1e6, 1)
    result["db_cpu_us_per_request"] = round(result["db_cpu_s"] / count * 1e6, 1)
    # Of the machine (all cores), over the measured window.
    result["loadgen_machine_share"] = round(result["loadgen_cpu_s"] / (result["wall_s"] * CORES), 3)
    result["worker_rss_mb"] = [rss_mb(p) for p in server.worker_pids()]
    if name == "logins":  # and once the hub has seen the load end (sitekit/memory.py)
        time.sleep(SETTLE_SECONDS)
        result["worker_rss_settled_mb"] = [rss_mb(p) for p in server.worker_pids()]
    return result


# -- the sitting ----------------------------------------------------------------------------

KEYS = ("per_second", "p50_ms", "p99_ms", "cpu_us_per_request", "db_cpu_us_per_request",
        "loadgen_machine_share")


SETTLE_SECONDS = 2.0


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {k: round(statistics.median(r[k] for r in runs), 3) for k in KEYS}
    summary["errors"] = sum(r.get("errors", 0) + r.get("non_2xx", 0) for r in runs)
    summary["worker_rss_mb"] = [max(r["worker_rss_mb"][i] for r in runs
                                    if i < len(r["worker_rss_mb"]))
                                for i in range(max(len(r["worker_rss_mb"]) for r in runs))]
    if all("worker_rss_settled_mb" in r for r in runs):
        summary["worker_rss_settled_mb"] = [max(r["worker_rss_settled_mb"][i] for r in runs)
                                            for i in range(len(runs[0]["worker_rss_settled_mb"]))]
    summary["worker_cpu_share"] = runs[-1]["worker_cpu_share"]
    return summary


def cell(m: dict[str, Any] | None) -> str:
    if not m:
        return "-"
    db = f" + db {m['db_cpu_us_per_request']:,.0f}" if m["db_cpu_us_per_request"] else ""
    errors = f", {m['errors']} errors" if m["errors"] else ""
    return (f"{m['per_second']:,.1f}/s ({m['p50_ms']}, {m['p99_ms']} ms); "
            f"{m['cpu_us_per_request']:,.0f}{db} µs; gen {m['loadgen_machine_share']:.0%}{errors}")


def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> str:
    return f"{a[key] / b[key]:.2f}" if b[key] else "-"


def report(summary: dict[str, dict[str, Any]], rows: int, bounds: list[dict[str, Any]]) -> str:
    lines = ["| server | client_credentials | introspection | complete logins | RSS per worker "
             "(MB) | RSS 2 s after the logins (MB) | worker CPU shares (last round, last "
             "measure) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, results in summary.items():
        rss = max((m["worker_rss_mb"] for m in results.values()), key=sum, default=[])
        settled = results.get("logins", {}).get("worker_rss_settled_mb", [])
        shares = results.get("logins", results.get("introspection", {})).get(
            "worker_cpu_share", [])
        lines.append(f"| {name} | " + " | ".join(cell(results.get(k)) for k in MEASURES)
                     + f" | {', '.join(map(str, rss))} | {', '.join(map(str, settled)) or '-'}"
                     + f" | {', '.join(map(str, shares))} |")
    lines += ["", "Cells: requests/s (p50, p99); server CPU per request (+ the PostgreSQL "
              "backends'); gen: the load generator's share of the machine's CPU. RSS: the "
              "highest over the rounds, read as the load ends, and for logins again "
              f"{SETTLE_SECONDS:g} s later (freed argon2 buffers go back to the system once "
              "hashing is idle, sitekit/memory.py)."]
    ratios = []
    for name, results in summary.items():
        for peer_name, label in ((NODE, "node"), (NODE_JWT, "node with JWT access tokens")):
            node = summary.get(peer_name)
            if not node or not name.startswith("hub"):
                continue
            for k in MEASURES[:2]:
                if k in results and k in node:
                    hub, peer = results[k], node[k]
                    ratios.append(
                        f"- {name} / {label}, {k}: req/s x{ratio(hub, peer, 'per_second')}, "
                        f"CPU per request x{ratio(hub, peer, 'cpu_us_per_request')}"
                        " (issue 16, one worker: req/s ≥ 1.3, CPU ≤ 1/1.3 = 0.77)")
        bare_name = name.replace(f" +{rows:,} rows", "")
        empty = (summary.get(bare_name + ", beside the rows") or summary.get(bare_name)
                 ) if rows else None
        if empty and f" +{rows:,} rows" in name:
            for k in MEASURES:
                if k in results and k in empty:
                    full, bare = results[k], empty[k]
                    ratios.append(
                        f"- {name} / empty, {k}: req/s x{ratio(full, bare, 'per_second')}, "
                        f"CPU per request x{ratio(full, bare, 'cpu_us_per_request')}, "
                        f"p99 x{ratio(full, bare, 'p99_ms')} (issue 16: within 10 %)")
    if bounds:
        bound = statistics.median(b["per_second"] for b in bounds)
        each = min(bounds, key=lambda b: abs(b["per_second"] - bound))
        logins = [f"{name} {results['logins']['per_second'] / bound:.2f}"
                  for name, results in summary.items() if "logins" in results]
        ratios.append(
            f"- argon2id alone as the hub verifies, {each['threads']} threads "
            f"(bench/argon2_bound.py, once per round): {bound:,.1f} verifications/s, each "
            f"{each['user_ms']} ms user + {each['kernel_ms']} ms kernel; complete logins / "
            f"that bound: {', '.join(logins)} (issue 16 asked 80/s and 70/s of ~107/s: 0.75 "
            "and 0.65)")
    return "\n".join(lines + (["", "Ratios:", *ratios] if ratios else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="per measure (default 10)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--only", default=",".join(MEASURES),
                        help="measures, among " + ", ".join(MEASURES))
    parser.add_argument("--workers", default="1,2",
                        help="hub worker counts to start (logins run with more than one)")
    parser.add_argument("--no-peer", action="store_true", help="without node-oidc-provider")
    parser.add_argument("--pg-socket", default="", metavar="DIR",
                        help="the hubs reach PostgreSQL through the Unix socket in DIR "
                             "(e.g. /var/run/postgresql) instead of TCP 127.0.0.1:5432")
    parser.add_argument("--rows", type=int, default=0,
                        help="also the PostgreSQL hubs on a database with this many rows "
                             "per growing table (bench/rows.py), compared with the empty one")
    parser.add_argument("--connections", type=int, default=32, help="wrk's")
    parser.add_argument("--login-connections", type=int, default=32)
    parser.add_argument("--login-processes", type=int, default=2)
    parser.add_argument("--login-users", type=int, default=16)
    parser.add_argument("--port-base", type=int, default=0,
                        help="servers' ports from this one upwards (default: any free)")
    args = parser.parse_args()
    only = [m for m in MEASURES if m in args.only.split(",")]
    ports = Ports(args.port_base)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="idp-bench-"))
    worker_counts = [w for w in map(int, args.workers.split(","))
                     if not (w == 1 and only == ["logins"])]
    backends = args.backends.split(",")
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    servers: list[Server] = []
    seeds: list[Seeded] = []
    rows_seed: list[Seeded] = []
    bounds: list[dict[str, Any]] = []  # argon2id alone, once per round with logins

    def sitting_stage(specs: list[tuple[str, int, int]], suffix: str = "") -> None:
        """Start the stage's servers (("node", 0, 0) or (backend, workers, rows)), stop
        those of the stage before that it does not keep, then run the rounds on them."""
        def key(server: Server) -> tuple[str, int, int]:
            if server.kind == "node":
                return ("node-jwt" if server.name == NODE_JWT else "node", 0, 0)
            backend = "postgresql" if server.database else "sqlite"
            return (backend, server.workers, server.rows)

        for server in [s for s in servers if key(s) not in specs]:
            stop(server)
            servers.remove(server)
        for spec in specs:
            if any(key(s) == spec for s in servers):
                continue
            if spec[0] in ("node", "node-jwt"):
                servers.append(start_node(ports, jwt=spec[0] == "node-jwt"))
            else:
                backend, workers, rows = spec
                # The rows database is filled once and reused by the next worker count.
                reuse = rows_seed[0] if rows and rows_seed else None
                server = start_hub(backend, workers, rows, ports, args.login_users, tmp, reuse,
                                   args.pg_socket)
                assert server.seeded is not None
                if server.seeded not in seeds:
                    seeds.append(server.seeded)
                if rows:
                    rows_seed[:] = [server.seeded]
                servers.append(server)
            print(f"started {servers[-1].name} at {servers[-1].url}", file=sys.stderr)
        for round_ in range(args.rounds):
            for name in only:
                order = [s for s in servers if name in s.measures]
                if name == "logins" and order and not suffix:
                    bounds.append(argon2_bound(args.seconds))
                    print(f"round {round_ + 1}, argon2id alone: {bounds[-1]}", file=sys.stderr)
                for server in order if round_ % 2 == 0 else order[::-1]:
                    result = measure(server, name, args)
                    label = server.name + (suffix if not server.rows else "")
                    runs.setdefault(label, {}).setdefault(name, []).append(result)
                    print(f"round {round_ + 1}, {label}, {name}: {cell(medians([result]))}",
                          file=sys.stderr)

    try:
        first: list[tuple[str, int, int]] = []
        if not args.no_peer and set(only) & {"client_credentials", "introspection"}:
            first.append(("node", 0, 0))
            if "client_credentials" in only:
                first.append(("node-jwt", 0, 0))
        first += [(b, w, 0) for b in backends for w in worker_counts]
        sitting_stage(first)
        if args.rows and "postgresql" in backends:
            # PostgreSQL's 100 connections do not hold every hub at once (each worker keeps
            # its pools' connections): each worker count of the rows database runs in a stage
            # of its own, beside the empty database's hub with as many workers.
            for w in worker_counts:
                sitting_stage([("postgresql", w, 0), ("postgresql", w, args.rows)],
                              suffix=", beside the rows")
    finally:
        for server in servers:
            stop(server)
        for seeded in seeds:
            drop(seeded)
        PG.dispose()
    summary = {name: {k: medians(v) for k, v in by_measure.items()}
               for name, by_measure in runs.items()}
    sitting = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "command": " ".join(["bench/run", *sys.argv[1:]]),
               "machine": {"cores": CORES, "load_average_after": os.getloadavg(),
                           "transparent_hugepage": huge_pages()},
               "minutes": round((time.monotonic() - started) / 60, 1),
               "summary": summary, "runs": runs, "argon2id_alone": bounds}
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "latest.json").write_text(json.dumps(sitting, indent=1))
    print(report(summary, args.rows, bounds))
    print(f"\n{sitting['date']}, {sitting['minutes']} min, load average after "
          f"{os.getloadavg()[0]:.1f}, transparent huge pages {huge_pages()}; "
          "bench/results/latest.json")


if __name__ == "__main__":
    main()
