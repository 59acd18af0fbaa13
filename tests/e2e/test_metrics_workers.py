"""/metrics of `idp serve --workers 2` (issue 15): whichever worker answers a scrape, it
gives the sum over both workers (prometheus_client's multiprocess mode), not its own share."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from idp import admin
from idp.runtime import Runtime
from idp.settings import Settings
from tests.conftest import BACKEND
from tests.e2e.conftest import new_pg_database
from tests.servers import free_port, wait_until_up

pytestmark = pytest.mark.e2e

TOKEN = "w" * 48


def tokens_issued(url: str) -> float:
    answer = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                       timeout=20)
    assert answer.status_code == 200
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "idp_tokens_issued_total" and \
                    sample.labels == {"grant_type": "client_credentials"}:
                return sample.value
    return 0.0


def test_every_worker_answers_the_sum_of_all_workers(tmp_path: Path) -> None:
    with (new_pg_database("idp_e2e_workers") if BACKEND == "postgresql"
          else contextlib.nullcontext(f"sqlite:///{tmp_path}/hub.sqlite3")) as database_url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "IDP_ISSUER": url, "IDP_DATABASE_URL": database_url,
               "IDP_KEYS_DIR": str(tmp_path / "keys"), "IDP_CLIENT_CACHE_TTL": "0",
               "IDP_LOG_LEVEL": "warning", "IDP_METRICS_TOKEN": TOKEN}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        process = subprocess.Popen([sys.executable, "-m", "idp", "serve", "--port", str(port),
                                    "--workers", "2"], env=env, cwd=tmp_path)
        rt = None
        try:
            wait_until_up(url + "/healthz", process)
            rt = Runtime.build(Settings.from_env(
                {k: v for k, v in env.items() if k.startswith("IDP_")}))
            made = admin.add_client(rt.db, rt.clock.now(), client_id="machine",
                                    grant_types=["client_credentials"], redirect_uris=[],
                                    scope="invoices")
            with httpx.Client(timeout=20) as http:  # new connections: both workers serve
                for _ in range(20):
                    answer = http.post(url + "/token", auth=("machine", made.secret),
                                       data={"grant_type": "client_credentials"},
                                       headers={"Connection": "close"})
                    assert answer.status_code == 200
            assert [tokens_issued(url) for _ in range(6)] == [20.0] * 6
        finally:
            process.terminate()
            process.wait(timeout=20)
            if rt is not None:
                rt.close()

