"""Two checkouts of the hub side by side: which one spends less CPU per complete login.

    .venv/bin/python bench/ab.py OLD_CHECKOUT NEW_CHECKOUT [--backend sqlite] [--slices 12]

Each checkout must have been installed (`scripts/install`). One hub of one worker is started
from each (`bench/run.py`'s `start_hub`, the checkout's own code and database), and one login
at a time (bench/login_load.py's steps) runs against them in alternating slices, the order
inside each pair of slices reversed from one pair to the next. The worker's CPU time per login
(on PostgreSQL, its database backends' too) is read before and after each slice. On this
shared machine a sitting's speed drifts by 20 % and more within minutes; slices this short
see the same drift on both sides, so the ratio of the two sums is what tells
(bench/README.md, 2026-11-28 17:50).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import statistics
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit


def load(checkout: str, name: str) -> ModuleType:
    """`bench/<name>.py` of that checkout (its `run.ROOT` is then that checkout)."""
    spec = importlib.util.spec_from_file_location(f"{name}_{abs(hash(checkout))}",
                                                  f"{checkout}/bench/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def measure(sides: list[tuple[Any, Any]], login_load: ModuleType, slices: int,
                  per_slice: int) -> list[list[float]]:
    browsers = []
    for run, server in sides:
        address = urlsplit(server.url)
        browser = login_load.Browser(address.hostname, address.port)
        await browser.connect()
        cfg = {"issuer": server.url, "client_id": server.auth[0], "redirect_uri": run.REDIRECT,
               "password": run.PASSWORD, "basic": b"Authorization: Basic " + base64.b64encode(
                   f"{server.auth[0]}:{server.auth[1]}".encode())}
        for _ in range(20):  # warm-up: the first login gives consent
            await login_load.one_login(browser, cfg, server.users[0])
        browsers.append((browser, cfg))
    cpu: list[list[float]] = [[], []]
    db: list[list[float]] = [[], []]
    for k in range(slices):
        for side in ((0, 1) if k % 2 == 0 else (1, 0)):
            (run, server), (browser, cfg) = sides[side], browsers[side]
            pid = server.worker_pids()[0]
            backends = run.pg_backends(server.database)  # PostgreSQL: its server processes
            before = run.cpu_seconds(pid)
            db_before = sum(run.cpu_seconds(p) for p in backends)
            for _ in range(per_slice):
                await login_load.one_login(browser, cfg, server.users[0])
            cpu[side].append((run.cpu_seconds(pid) - before) / per_slice * 1000)
            db[side].append((sum(run.cpu_seconds(p) for p in backends) - db_before)
                            / per_slice * 1000)
    return cpu, db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--slices", type=int, default=12, help="per side")
    parser.add_argument("--per-slice", type=int, default=25, help="logins")
    args = parser.parse_args()
    checkouts = [str(Path(args.old).resolve()), str(Path(args.new).resolve())]
    sys.path.insert(0, checkouts[0] + "/bench")
    sides = []
    try:
        for i, checkout in enumerate(checkouts):
            run = load(checkout, "run")
            sides.append((run, run.start_hub(args.backend, 1, 0, run.Ports(56000 + 100 * i), 4,
                                             Path(tempfile.mkdtemp(prefix="idp-ab-")))))
        cpu, db = asyncio.run(measure(sides, load(checkouts[0], "login_load"), args.slices,
                                  args.per_slice))
    finally:
        for run, server in sides:
            run.stop(server)
            if server.seeded:
                run.drop(server.seeded)
    for checkout, values in zip(checkouts, cpu, strict=True):
        print(f"{checkout}: hub CPU per login, median {statistics.median(values):.1f} ms "
              f"over {len(values)} slices of {args.per_slice}")
    ratios = sorted(round(b / a, 2) for a, b in zip(cpu[0], cpu[1], strict=True))
    print(f"new / old: {sum(cpu[1]) / sum(cpu[0]):.3f} (sums); per pair of slices: {ratios}")
    if args.backend == "postgresql":
        print(f"PostgreSQL's backends per login, median: old {statistics.median(db[0]):.1f} ms, "
              f"new {statistics.median(db[1]):.1f} ms; new / old {sum(db[1]) / sum(db[0]):.3f}; "
              f"hub + database, new / old "
              f"{(sum(cpu[1]) + sum(db[1])) / (sum(cpu[0]) + sum(db[0])):.3f}")


if __name__ == "__main__":
    main()
