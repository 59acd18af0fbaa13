"""End-to-end fixtures: real hub processes (`idp serve` under uvicorn) on 127.0.0.1, data
arranged directly in their database, browsers played by httpx clients with cookie jars."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from idp import admin
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade
from tests.conftest import empty_tables, new_pg_database
from tests.servers import free_port, wait_until_up

PASSWORD = "Motdepasse-2026!"


@dataclass
class Hub:
    """One running hub process and a runtime on its database for arranging data."""

    issuer: str
    url: str  # where this process listens; several processes share one issuer
    env: dict
    process: subprocess.Popen
    rt: Runtime
    _n: int = field(default=0)

    def client(self, **options) -> admin.NewClient:  # type: ignore[no-untyped-def]
        self._n += 1
        options.setdefault("client_id", f"rp{self._n}-{secrets.token_hex(3)}")
        options.setdefault("redirect_uris", ["http://127.0.0.1:9999/callback"])
        options.setdefault("post_logout_redirect_uris", ["http://127.0.0.1:9999/"])
        options.setdefault("scope", "openid profile email offline_access")
        return admin.add_client(self.rt.db, self.rt.clock.now(), **options)

    def user(self, **options) -> str:  # type: ignore[no-untyped-def]
        self._n += 1
        username = options.pop("username", f"user{self._n}-{secrets.token_hex(3)}")
        admin.add_user(self.rt.db, self.rt.passwords, self.rt.clock.now(), username=username,
                       password=PASSWORD, given_name="Camille", family_name="Bernard",
                       email=f"{username}@example.test", phone="+33600000002", **options)
        return username

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.issuer, follow_redirects=False, timeout=10)


def start_hub(database_url: str, keys_dir: Path, issuer: str | None = None,
              extra_env: dict[str, str] | None = None,
              stderr=None) -> Hub:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    issuer = issuer or url
    env = {**os.environ, "IDP_ISSUER": issuer, "IDP_DATABASE_URL": database_url,
           "IDP_KEYS_DIR": str(keys_dir), "IDP_CLIENT_CACHE_TTL": "0",
           "IDP_LOG_LEVEL": "warning", "IDP_ARGON2_MEMORY_KIB": "1024",
           "IDP_ARGON2_TIME_COST": "1",
           # The suite's hubs share one server with each other and with a second run of the
           # suite (CI runs SQLite and PostgreSQL at once): few idle connections each.
           "IDP_DB_POOL_SIZE": "2", **(extra_env or {})}
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("IDP_")})
    upgrade(database_url)
    process = subprocess.Popen([sys.executable, "-m", "idp", "serve", "--port", str(port)],
                               env=env, cwd=keys_dir.parent, stderr=stderr)
    try:
        wait_until_up(url + "/healthz", process)
    except RuntimeError:
        process.kill()  # not left running behind a failed start
        process.wait(timeout=10)
        raise
    return Hub(issuer, url, env, process, Runtime.build(settings))


def stop_hub(hub: Hub) -> None:
    hub.process.terminate()
    hub.process.wait(timeout=10)
    hub.rt.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test worker, dropped at the end."""
    with new_pg_database("idp_e2e") as url:
        yield url


__all__ = ["PASSWORD", "Hub", "empty_tables", "free_port", "new_pg_database", "start_hub",
           "stop_hub"]
