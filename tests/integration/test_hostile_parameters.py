"""Property (issue 10, finding 8): whatever a stranger or a logged-in user sends to any
endpoint of the hub — huge values, NUL, quotes, backslashes, non-ASCII, control characters,
repeated parameters, values of the wrong type, empty ones, in the query, a form or a JSON
body — the answer is never a 5xx, never shows a traceback, and carries the security headers.

The endpoints are read from the app itself (its Starlette routes and the bare protocol
layer), so a new endpoint is covered without touching this file. The parameter names are the
protocol's and those the code and templates read. Runs on the real app and database (SQLite,
and PostgreSQL with IDP_TEST_DATABASE=postgresql, where NUL hurts). IDP_FUZZ_EXAMPLES raises
the number of examples per endpoint and method for a deeper run (default 50).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from idp.limits import AUTHORIZATION_PARAMETER_CHARS
from idp.web.protocol_asgi import ProtocolEndpoints
from tests.conftest import ISSUER
from tests.factories import POST_LOGOUT_URI
from tests.oidc_helpers import auth_request, csrf_token, login
from tests.strategies import hostile_parameters

EXAMPLES = int(os.environ.get("IDP_FUZZ_EXAMPLES", "50"))
ROOT = Path(__file__).resolve().parents[2]
# httpx refuses to build longer URLs; the hub refuses far shorter query strings (414).
HTTPX_MAX_QUERY = 60_000

PROTOCOL_PARAMETERS = [
    *AUTHORIZATION_PARAMETER_CHARS, "grant_type", "code", "code_verifier", "refresh_token",
    "client_secret", "client_assertion", "client_assertion_type", "token", "token_type_hint",
    "post_logout_redirect_uri", "logout_hint", "request", "request_uri", "access_token",
]
SECURITY_HEADERS = ("x-frame-options", "x-content-type-options", "content-security-policy",
                    "referrer-policy", "cache-control")


def parameter_names() -> list[str]:
    """Every parameter name the hub reads: the protocol's, the code's and the forms'."""
    names = set(PROTOCOL_PARAMETERS)
    for path in (ROOT / "idp").rglob("*.py"):
        names.update(re.findall(r'\.get\(\s*"([a-z_]+)"', path.read_text()))
    for path in [*(ROOT / "idp").rglob("*.html"), *(ROOT / "sitekit").rglob("*.html")]:
        names.update(re.findall(r'name="([a-z_]+)"', path.read_text()))
    return sorted(names)


def endpoints(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, path) of every endpoint of the app, GET and POST."""
    found: set[tuple[str, str]] = set()
    layer = app
    while True:
        if isinstance(layer, ProtocolEndpoints):
            found.update(("POST", path) for path in layer.routes)
            found.update(("GET", path) for path in layer.routes)
        if isinstance(layer, Starlette):
            break
        layer = layer.app
    for route in layer.router.routes:
        if isinstance(route, Route):
            for method in route.methods or ():
                if method in ("GET", "POST"):
                    found.add((method, route.path))
    return sorted(found, key=lambda e: (e[1], e[0]))


@pytest.fixture
def hub_client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=ISSUER, raise_server_exceptions=False) as client:
        yield client


def test_no_hostile_parameter_gets_a_5xx_or_a_traceback(  # type: ignore[no-untyped-def]
        app, hub_client, factories, clock) -> None:
    http = hub_client
    client = factories.client()
    factories.account("alice")
    names = parameter_names()
    all_endpoints = endpoints(app)
    # A broken enumeration would make this test pass vacuously.
    assert {("GET", "/authorize"), ("POST", "/token"), ("POST", "/login"),
            ("POST", "/mot-de-passe-oublie"), ("GET", "/logout")} <= set(all_endpoints)
    assert len(all_endpoints) >= 30
    valid_authorization = auth_request(client.client_id, client.redirect_uri).params
    credentials = {"client_id": client.client_id, "client_secret": client.secret}
    bases: dict[str, dict[str, str]] = {
        "/authorize": valid_authorization,
        "/token": {"grant_type": "client_credentials", **credentials},
        "/introspect": {"token": "x", **credentials},
        "/revoke": {"token": "x", **credentials},
        "/logout": {"client_id": client.client_id, "post_logout_redirect_uri": POST_LOGOUT_URI},
        "/login": {"username": "alice", "password": "wrong"},
        "/mot-de-passe-oublie": {"username": "alice"},
    }

    for method, path in all_endpoints:
        # A logged-in browser with a pending request and a valid CSRF token, so the handlers
        # get past their first checks; the anonymous case clears the cookies.
        clock.advance(86_400)  # past any lock the previous endpoint's probes caused
        http.cookies.clear()
        started = http.get("/authorize", params=valid_authorization, follow_redirects=False)
        rid = started.headers["location"].split("rid=")[1]
        login(http, "alice", location=f"/login?rid={rid}")
        csrf = csrf_token(http.get("/compte/mot-de-passe").text)

        probe_endpoint(http, method, path, bases.get(path, {}), names, dict(http.cookies),
                       [("csrf_token", csrf), ("rid", rid)])


def probe_endpoint(http: TestClient, method: str, path: str, base: dict[str, str],  # type: ignore[no-untyped-def]
                   names: list[str], cookies: dict[str, str], form_keys: list[tuple[str, str]]):
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    # Mostly a valid request of the endpoint with hostile parameters over it, so the
    # handlers' deeper checks are reached.
    @given(items=hostile_parameters(names), keep_base=st.sampled_from([True, True, False]),
           logged_in=st.booleans(), with_form_keys=st.booleans(),
           shape=st.sampled_from(["query", "form", "json"]))
    def probe(items, keep_base, logged_in, with_form_keys, shape):  # type: ignore[no-untyped-def]
        sent = {name for name, _ in items}
        kept = [(k, v) for k, v in base.items() if keep_base and k not in sent]
        params = [*kept, *(form_keys if with_form_keys else []), *items]
        http.cookies.clear()
        if logged_in:
            for name, value in cookies.items():
                http.cookies.set(name, value)
        response = send(http, method, path, params, shape)
        detail = (method, path, shape, params, response.status_code, response.text[:300])
        assert response.status_code < 500, detail
        assert "Traceback" not in response.text and 'File "' not in response.text, detail
        for header in SECURITY_HEADERS:
            assert header in response.headers, (header, *detail)

    probe()


def send(http: TestClient, method: str, path: str, params: list[tuple[str, str]], shape: str):  # type: ignore[no-untyped-def]
    if shape == "query" or method == "GET":
        query = urlencode(params)[:HTTPX_MAX_QUERY]
        return http.request(method, f"{path}?{query}" if query else path,
                            follow_redirects=False)
    if shape == "form":
        return http.request(method, path, content=urlencode(params).encode(),
                            headers={"content-type": "application/x-www-form-urlencoded"},
                            follow_redirects=False)
    return http.request(method, path, json=dict(params), follow_redirects=False)
