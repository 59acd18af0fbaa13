"""Two real hub processes (`idp serve`) on one database: `idp providers disable`, run as the
operator runs it, makes both report the FI disabled on /healthz?detail=1 within seconds,
without restart; `enable` brings it back in both."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import BACKEND
from tests.e2e.conftest import Hub, new_pg_database, start_hub, stop_hub

pytestmark = pytest.mark.e2e
REFRESH = 0.5


@pytest.fixture(scope="module")
def two_hubs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Hub]]:
    tmp = tmp_path_factory.mktemp("providers")
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(new_pg_database("idp_providers")) if BACKEND == "postgresql"
               else f"sqlite:///{tmp}/hub.sqlite3")
        extra = {"IDP_PROVIDERS_REFRESH": str(REFRESH)}
        first = start_hub(url, tmp / "keys", extra_env=extra)
        second = start_hub(url, tmp / "keys", issuer=first.issuer, extra_env=extra)
        yield first, second
        stop_hub(second)
        stop_hub(first)


def idp(hub: Hub, *args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**hub.env, **({"IDP_PROVIDER_CLIENT_SECRET": secret} if secret else {})}
    return subprocess.run([sys.executable, "-m", "idp", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)


def states(hub: Hub) -> dict[str, str]:
    response = httpx.get(hub.url + "/healthz?detail=1", timeout=10)
    assert response.status_code == 200
    return {p["id"]: p["state"] for p in response.json()["providers"]}


def seen_by_both(hubs: tuple[Hub, Hub], provider_id: str, state: str, within: float) -> float:
    start = time.monotonic()
    while not all(states(hub).get(provider_id) == state for hub in hubs):
        assert time.monotonic() - start < within, [states(hub) for hub in hubs]
        time.sleep(0.1)
    return time.monotonic() - start


def test_disable_reaches_every_process_within_seconds(two_hubs) -> None:  # type: ignore[no-untyped-def]
    first, second = two_hubs
    added = idp(first, "providers", "add", "--id", "fi-e2e", "--name", "FI e2e",
                "--client-id", "hub", "--discovery-url",
                "https://fi.example/.well-known/openid-configuration",
                secret="Upstream-Secret-e2e")
    assert added.returncode == 0, added.stderr
    assert "Upstream-Secret-e2e" not in added.stdout + added.stderr
    seen_by_both(two_hubs, "fi-e2e", "available", within=10)

    disabled = idp(first, "providers", "disable", "fi-e2e")
    assert disabled.returncode == 0, disabled.stderr
    waited = seen_by_both(two_hubs, "fi-e2e", "disabled", within=10)
    assert waited < REFRESH + 5

    enabled = idp(second, "providers", "enable", "fi-e2e")
    assert enabled.returncode == 0, enabled.stderr
    seen_by_both(two_hubs, "fi-e2e", "available", within=10)
    assert httpx.get(second.url + "/healthz", timeout=10).json() == {"status": "ok"}
