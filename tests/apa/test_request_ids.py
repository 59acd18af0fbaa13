"""sitekit's request layer in front of APA too (issue 15): every answer has X-Request-Id."""

from __future__ import annotations

from starlette.testclient import TestClient

from clients.apa.app import create_app
from tests.apa.conftest import Live


def test_apa_answers_carry_a_request_id(live: Live) -> None:
    # No lifespan: its end would close the session's APA.
    http = TestClient(create_app(live.apa.settings, live.apa))
    made = http.get("/healthz").headers["x-request-id"]
    kept = http.get("/healthz", headers={"X-Request-Id": "proxy-42"})
    replaced = http.get("/healthz", headers={"X-Request-Id": "x" * 65})
    assert len(made) == 16 and kept.headers["x-request-id"] == "proxy-42"
    assert replaced.headers["x-request-id"] != "x" * 65
