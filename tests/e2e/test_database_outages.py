"""Finding 3 of issue 10, with real outages: a hub process (`idp serve`) reaches PostgreSQL
through a TCP proxy that the test cuts (connections closed, new ones refused) or stalls
(nothing forwarded, new connections never answered). With the database timeouts at 1 s
(PostgreSQL's connect timeout cannot go below 2 s), every request that needs the database
answers 503 with Retry-After in seconds instead of hanging, /readyz fails while /healthz
answers, and once the database is back the same process serves again, tokens intact.
These tests always use PostgreSQL."""

from __future__ import annotations

import secrets
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.browsing import log_in_and_consent, params_of
from tests.e2e.conftest import start_hub, stop_hub
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9999/callback"
TIMEOUTS = {"IDP_DB_CONNECT_TIMEOUT": "1", "IDP_DB_STATEMENT_TIMEOUT": "1",
            "IDP_DB_POOL_TIMEOUT": "1"}
# Slowest expected failure: libpq's 2 s connect floor; the statement wait is 1 s + 0.5 s.
# The margin absorbs a loaded test machine; without the timeouts these requests hang as
# long as the outage does (the whole test here).
ANSWER_WITHIN = 2.0 + 1.0 + 4.0


@pytest.fixture(scope="module")
def proxied(pg_database, tmp_path_factory):  # type: ignore[no-untyped-def]
    target = urlsplit(pg_database.replace("postgresql+psycopg", "postgresql"))
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    url = pg_database.replace(f"{target.hostname}:{target.port}", f"127.0.0.1:{proxy.port}")
    hub = start_hub(url, tmp_path_factory.mktemp("outage-keys"), extra_env=TIMEOUTS)
    yield hub, proxy
    proxy.restore()
    stop_hub(hub)
    proxy.close()


@pytest.fixture
def signed_in(proxied):  # type: ignore[no-untyped-def]
    """A client, a browser logged in at the hub, and its tokens (database fine)."""
    hub, proxy = proxied
    proxy.restore()
    registered = hub.client(redirect_uris=[REDIRECT])
    client = (registered.client["client_id"], registered.secret)
    verifier = secrets.token_urlsafe(48)
    query = httpx.QueryParams({
        "response_type": "code", "client_id": client[0], "scope": "openid offline_access",
        "redirect_uri": REDIRECT, "state": "s", "code_challenge_method": "S256",
        "code_challenge": create_s256_code_challenge(verifier), "prompt": "consent"})
    browser = hub.browser()
    code = params_of(log_in_and_consent(browser, f"/authorize?{query}", hub.user(),
                                        REDIRECT))["code"]
    tokens = httpx.post(hub.url + "/token", auth=client, data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": REDIRECT}).json()
    yield hub, proxy, client, browser, tokens
    browser.close()


def _during_outage(hub, client, browser, tokens) -> dict[str, tuple[httpx.Response, float]]:  # type: ignore[no-untyped-def]
    """Every kind of request at once; each answer with how long it took."""
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    requests = {
        "token": lambda: httpx.post(hub.url + "/token", auth=client, data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            timeout=30),
        "introspect": lambda: httpx.post(hub.url + "/introspect", auth=client,
                                         data={"token": tokens["access_token"]}, timeout=30),
        "revoke": lambda: httpx.post(hub.url + "/revoke", auth=client,
                                     data={"token": tokens["refresh_token"]}, timeout=30),
        "userinfo": lambda: httpx.get(hub.url + "/userinfo", headers=bearer, timeout=30),
        "home": lambda: browser.get("/", timeout=30),
        "authorize": lambda: browser.get("/authorize", params={
            "response_type": "code", "client_id": client[0], "scope": "openid",
            "redirect_uri": REDIRECT, "state": "s", "code_challenge": "x" * 43,
            "code_challenge_method": "S256"}, timeout=30),
        "readyz": lambda: httpx.get(hub.url + "/readyz", timeout=30),
    }

    def timed(send):  # type: ignore[no-untyped-def]
        started = time.monotonic()
        response = send()
        return response, time.monotonic() - started

    with ThreadPoolExecutor(len(requests)) as pool:
        futures = {name: pool.submit(timed, send) for name, send in requests.items()}
        return {name: future.result() for name, future in futures.items()}


def _assert_contained(answers, hub) -> None:  # type: ignore[no-untyped-def]
    for name, (response, elapsed) in answers.items():
        assert response.status_code == 503, (name, response.status_code, response.text[:300])
        assert response.headers["retry-after"] == "5", name
        assert elapsed < ANSWER_WITHIN, (name, elapsed)
    for name in ("token", "introspect", "revoke", "userinfo"):
        assert answers[name][0].json()["error"] == "temporarily_unavailable", name
    for name in ("home", "authorize"):
        assert "Connexion à l&#39;annuaire impossible" in answers[name][0].text or \
            "Connexion à l'annuaire impossible" in answers[name][0].text, name
    # Liveness does no I/O: it answers at once while the database is out. The median of
    # five, so that one scheduling stall of a loaded machine (CI runs two suites at once:
    # 1.7 s seen once) is not taken for an event loop held by a database wait.
    timings = []
    for _ in range(5):
        started = time.monotonic()
        assert httpx.get(hub.url + "/healthz", timeout=30).status_code == 200
        timings.append(time.monotonic() - started)
    assert statistics.median(timings) < 1.0, timings


def _assert_back(hub, proxy, client, browser, tokens) -> None:  # type: ignore[no-untyped-def]
    """Without a restart: ready again, the session and the refresh token still work."""
    deadline = time.monotonic() + 15
    while httpx.get(hub.url + "/readyz", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the hub did not become ready again"
        time.sleep(0.2)
    assert hub.process.poll() is None
    home = browser.get("/")
    assert home.status_code == 200 and 'action="/login"' not in home.text
    refreshed = httpx.post(hub.url + "/token", auth=client, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, timeout=30)
    assert refreshed.status_code == 200, refreshed.text
    introspected = httpx.post(hub.url + "/introspect", auth=client,
                              data={"token": refreshed.json()["access_token"]}, timeout=30)
    assert introspected.json()["active"] is True


def test_finding3_stalled_database_answers_503_in_seconds_and_recovers_without_restart(  # type: ignore[no-untyped-def]
        signed_in):
    hub, proxy, client, browser, tokens = signed_in
    proxy.stall()
    try:
        answers = _during_outage(hub, client, browser, tokens)
        _assert_contained(answers, hub)
        # Again, now that the pool's connections are the stalled ones' replacements.
        _assert_contained(_during_outage(hub, client, browser, tokens), hub)
    finally:
        proxy.restore()
    print({name: round(elapsed, 2) for name, (_, elapsed) in answers.items()})
    _assert_back(hub, proxy, client, browser, tokens)


def test_finding3_cut_database_answers_503_at_once_and_recovers_without_restart(  # type: ignore[no-untyped-def]
        signed_in):
    hub, proxy, client, browser, tokens = signed_in
    proxy.cut()
    try:
        answers = _during_outage(hub, client, browser, tokens)
        _assert_contained(answers, hub)
    finally:
        proxy.restore()
    print({name: round(elapsed, 2) for name, (_, elapsed) in answers.items()})
    _assert_back(hub, proxy, client, browser, tokens)
