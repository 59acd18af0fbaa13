"""Issue 10, findings 7 and 8: what a stranger sends can neither fill the database nor get a
500. Each reproducer of the issue is replayed here against the real app and database."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from idp.limits import (
    AUTHORIZATION_PARAMETER_CHARS,
    MAX_BODY_BYTES,
    MAX_QUERY_BYTES,
)
from tests.conftest import ISSUER
from tests.oidc_helpers import auth_request, csrf_token, hidden, parse_redirect

SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def assert_french_page(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="fr"' in response.text
    assert "Traceback" not in response.text
    assert_security_headers(response)


def assert_protocol_error(response, status: int = 400, error: str = "invalid_request") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["error"] == error
    assert body.get("error_description")
    assert_security_headers(response)


@pytest.fixture
def hostile(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A client that gets the 500 page instead of the exception, as a browser would."""
    with TestClient(app, base_url=ISSUER, raise_server_exceptions=False) as client:
        yield client


def session_rows(rt) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(rows, largest row's data in characters) of the browser-session table."""
    with rt.db.read() as s:
        count, largest = s.execute(text(
            "SELECT count(*), coalesce(max(length(CAST(data AS TEXT))), 0) "
            "FROM browser_sessions")).one()
    return count, largest


def starlette_of(app) -> Starlette:  # type: ignore[no-untyped-def]
    while not isinstance(app, Starlette):
        app = app.app
    return app


# Finding 7: a stranger can fill the database ----------------------------------------------

def test_finding7_large_state_does_not_fill_the_database(hostile, factories, rt) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    params = auth_request(client.client_id, client.redirect_uri).params
    response = hostile.post("/authorize", data={**params, "state": "x" * 930_000},
                            follow_redirects=False)
    assert_french_page(response, 413)
    assert "Requête trop volumineuse" in response.text
    assert session_rows(rt) == (0, 0)


def test_finding7_state_over_its_limit_is_refused_with_invalid_request(  # type: ignore[no-untyped-def]
        hostile, factories, rt) -> None:
    client = factories.client()
    params = auth_request(client.client_id, client.redirect_uri).params
    limit = AUTHORIZATION_PARAMETER_CHARS["state"]
    response = hostile.post("/authorize", data={**params, "state": "x" * (limit + 1)},
                            follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(client.redirect_uri + "?")
    answer = parse_redirect(location)
    assert answer["error"] == "invalid_request"
    assert answer["error_description"] == f"Parameter state is longer than {limit} characters."
    assert "state" not in answer  # the refused state is not echoed
    assert answer["iss"] == ISSUER
    assert session_rows(rt) == (0, 0)


@pytest.mark.parametrize("name", sorted(AUTHORIZATION_PARAMETER_CHARS))
def test_finding7_every_authorization_parameter_has_a_limit(hostile, factories, rt, name) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    params = auth_request(client.client_id, client.redirect_uri).params
    limit = AUTHORIZATION_PARAMETER_CHARS[name]
    response = hostile.get("/authorize", params={**params, name: "a" * (limit + 1)},
                           follow_redirects=False)
    if name in ("client_id", "redirect_uri"):
        # The redirect URI cannot be trusted: a page, never a redirect (RFC 6749 §4.1.2.1).
        assert_french_page(response, 400)
        assert "invalid_request" in response.text
    else:
        assert response.status_code == 303
        answer = parse_redirect(response.headers["location"])
        assert answer["error"] == "invalid_request"
        assert answer["error_description"] == (
            f"Parameter {name} is longer than {limit} characters.")
        if name != "state":
            assert answer["state"] == params["state"]
    assert session_rows(rt) == (0, 0)


def test_finding7_unknown_parameters_count_towards_the_limits(hostile, factories, rt) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    params = auth_request(client.client_id, client.redirect_uri).params
    long_unknown = hostile.get("/authorize", params={**params, "extra": "a" * 257},
                               follow_redirects=False)
    assert parse_redirect(long_unknown.headers["location"])["error"] == "invalid_request"
    many = {**params, **{f"x{i}": "a" * 200 for i in range(30)}}
    too_many_chars = hostile.get("/authorize", params=many, follow_redirects=False)
    answer = parse_redirect(too_many_chars.headers["location"])
    assert answer["error"] == "invalid_request"
    assert "in all" in answer["error_description"]
    assert session_rows(rt) == (0, 0)


def test_finding7_anonymous_session_rows_stay_small(hostile, factories, rt) -> None:  # type: ignore[no-untyped-def]
    """The largest request accepted, sent again and again with the same cookie: the row the
    stranger makes stays a few KB."""
    client = factories.client()
    for _ in range(15):
        params = auth_request(client.client_id, client.redirect_uri).params
        params.update(state="s" * 1024, nonce="n" * 512, login_hint="h" * 256,
                      acr_values="eidas1", ui_locales="fr")
        params.update({f"x{i}": "a" * 250 for i in range(14)})
        response = hostile.get("/authorize", params=params, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?rid=")
    rows, largest = session_rows(rt)
    assert rows == 1
    assert largest < 10_000


def test_finding7_declared_body_over_the_limit_is_refused_before_reading(app) -> None:  # type: ignore[no-untyped-def]
    """Content-Length over the limit: 413 without a byte of the body read."""
    import anyio

    sent: list[dict] = []

    async def receive() -> dict:
        raise AssertionError("the body must not be read")

    async def send(message: dict) -> None:
        sent.append(message)

    for path in ("/login", "/token"):
        sent.clear()
        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
                 "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
                 "headers": [(b"host", b"127.0.0.1"),
                             (b"content-type", b"application/x-www-form-urlencoded"),
                             (b"content-length", str(MAX_BODY_BYTES + 1).encode())]}
        # In a thread of its own: the test worker's thread may hold a running event loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(anyio.run, app, scope, receive, send).result()
        assert sent[0]["status"] == 413
        headers = dict(sent[0]["headers"])
        assert headers[b"x-frame-options"] == b"DENY"


@pytest.mark.parametrize("path", ["/login", "/authorize", "/mot-de-passe-oublie"])
def test_finding7_streamed_body_over_the_limit_is_a_413_page(hostile, path) -> None:  # type: ignore[no-untyped-def]
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked
        yield b"username="
        for _ in range(MAX_BODY_BYTES // 1024 + 1):
            yield b"a" * 1024

    response = hostile.post(path, content=chunks(),
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert_french_page(response, 413)


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_finding7_token_request_body_over_the_limit_is_a_413(hostile, path) -> None:  # type: ignore[no-untyped-def]
    response = hostile.post(path, data={"client_id": "x", "pad": "a" * MAX_BODY_BYTES})
    assert_protocol_error(response, 413)


def test_finding7_query_string_over_the_limit_is_a_414(hostile) -> None:  # type: ignore[no-untyped-def]
    response = hostile.get("/authorize?state=" + "a" * MAX_QUERY_BYTES)
    assert_french_page(response, 414)
    assert "aaaaaaaaaa" not in response.text  # the refused query is not echoed


def test_finding7_multipart_bodies_are_refused(hostile) -> None:  # type: ignore[no-untyped-def]
    response = hostile.post("/login", files={"username": ("u.txt", b"alice")})
    assert_french_page(response, 415)


# Finding 8: 500s from bad input -----------------------------------------------------------

@pytest.mark.parametrize("value", ['"', "\\", "é", 'co"de'])
def test_finding8_quote_in_response_type_is_a_400(hostile, factories, value) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    # The client and redirect URI valid: the error goes back to the client.
    params = auth_request(client.client_id, client.redirect_uri, response_type=value).params
    response = hostile.get("/authorize", params=params, follow_redirects=False)
    assert response.status_code == 303
    answer = parse_redirect(response.headers["location"])
    assert answer["error"] == "invalid_request"
    assert answer["state"] == params["state"]
    # The redirect URI not registered: a 400 page.
    params["redirect_uri"] = "http://127.0.0.1:9000/elsewhere"
    response = hostile.get("/authorize", params=params, follow_redirects=False)
    assert_french_page(response, 400)


@pytest.mark.parametrize("redirect_uri", ['http://evil.test/"', "http://evil.test/\\",
                                          "http://évil.test/", "http://evil.test/a b"])
def test_finding8_unregistered_redirect_uri_with_bad_characters_is_a_400(hostile, factories,
                                                                          redirect_uri) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    params = auth_request(client.client_id, redirect_uri).params
    response = hostile.get("/authorize", params=params, follow_redirects=False)
    assert_french_page(response, 400)


AUTHORIZE_NUL = ["client_id", "nonce", "state", "login_hint", "scope", "redirect_uri", "claims"]


@pytest.mark.parametrize("name", AUTHORIZE_NUL)
def test_finding8_nul_at_authorize_is_a_400(hostile, factories, rt, name) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    params = auth_request(client.client_id, client.redirect_uri).params
    params[name] = params.get(name, "x") + "\x00"
    for response in (hostile.get("/authorize", params=params, follow_redirects=False),
                     hostile.post("/authorize", data=params, follow_redirects=False)):
        assert_french_page(response, 400)
    assert session_rows(rt) == (0, 0)


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_finding8_nul_in_client_id_at_token_is_a_400(hostile, factories, path) -> None:  # type: ignore[no-untyped-def]
    factories.client()
    response = hostile.post(path, data={"grant_type": "client_credentials",
                                        "client_id": "client1\x00", "client_secret": "s",
                                        "token": "t"})
    assert_protocol_error(response)


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_finding8_nul_in_basic_credentials_is_invalid_client(hostile, path) -> None:  # type: ignore[no-untyped-def]
    response = hostile.post(path, data={"grant_type": "client_credentials", "token": "t"},
                            auth=("client\x00", "secret"))
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("name", ["client_id", "id_token_hint", "post_logout_redirect_uri",
                                  "state"])
def test_finding8_nul_at_logout_is_a_400(hostile, name) -> None:  # type: ignore[no-untyped-def]
    for response in (hostile.get("/logout", params={name: "x\x00"}),
                     hostile.post("/logout", data={name: "x\x00"})):
        assert_french_page(response, 400)


def test_finding8_nul_in_username_at_login_is_a_400(hostile, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    page = hostile.get("/login")
    response = hostile.post("/login", data={"csrf_token": csrf_token(page.text),
                                            "username": "alice\x00", "password": "x"})
    assert_french_page(response, 400)


def test_finding8_nul_in_username_at_forgotten_password_is_a_400(hostile, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    page = hostile.get("/mot-de-passe-oublie")
    form = {"csrf_token": csrf_token(page.text), "username": "alice\x00"}
    if 'name="rid" value="' in page.text:
        form["rid"] = hidden(page.text, "rid")
    response = hostile.post("/mot-de-passe-oublie", data=form)
    assert_french_page(response, 400)


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f"])
def test_finding8_control_characters_are_refused_like_nul(hostile, char) -> None:  # type: ignore[no-untyped-def]
    assert_french_page(hostile.get("/login", params={"rid": "a" + char}), 400)
    assert_protocol_error(hostile.post("/token", data={"grant_type": char}))


def test_finding8_nul_in_the_session_cookie_is_ignored(hostile, rt) -> None:  # type: ignore[no-untyped-def]
    hostile.cookies.set(rt.settings.session_cookie, "abc\x00def")
    response = hostile.get("/")
    assert response.status_code < 500
    assert_security_headers(response)


def test_finding8_server_error_page_has_security_headers_and_no_traceback(app, hostile) -> None:  # type: ignore[no-untyped-def]
    async def broken(request):  # type: ignore[no-untyped-def]
        raise RuntimeError("internal detail that must not be shown")

    starlette_of(app).router.routes.append(Route("/test-only/broken", broken))
    response = hostile.get("/test-only/broken")
    assert_french_page(response, 500)
    assert "internal detail" not in response.text
    assert "RuntimeError" not in response.text


def test_finding8_every_error_page_carries_the_security_headers(hostile, factories) -> None:  # type: ignore[no-untyped-def]
    factories.client()
    cases = [
        (400, hostile.get("/authorize", params={"client_id": "unknown"})),
        (403, hostile.post("/authorize/consent", data={"csrf_token": "forged", "rid": "x"})),
        (404, hostile.get("/no-such-page")),
        (405, hostile.delete("/login")),
        (413, hostile.post("/login", data={"pad": "a" * MAX_BODY_BYTES})),
        (414, hostile.get("/login?x=" + "a" * MAX_QUERY_BYTES)),
        (415, hostile.post("/login", files={"f": ("f", b"x")})),
    ]
    for status, response in cases:
        assert_french_page(response, status)
    for status, response in [(405, hostile.get("/token")),
                             (400, hostile.post("/token", data={"grant_type": "x\x00"})),
                             (413, hostile.post("/token", data={"pad": "a" * MAX_BODY_BYTES}))]:
        assert response.status_code == status
        assert_security_headers(response)


def test_finding8_database_down_page_carries_the_security_headers(rt) -> None:  # type: ignore[no-untyped-def]
    from idp.app import create_app
    from idp.runtime import Runtime

    unreachable = rt.settings.replace(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    broken = Runtime.build(unreachable, rt.clock)
    with TestClient(create_app(unreachable, runtime=broken), base_url=ISSUER,
                    raise_server_exceptions=False) as http:
        http.cookies.set(rt.settings.session_cookie, "some-session")
        response = http.get("/")
    assert_french_page(response, 503)


def test_finding8_repeated_parameter_with_a_quote_in_its_name_is_a_400(hostile, factories) -> None:  # type: ignore[no-untyped-def]
    """Found by test_hostile_parameters.py: the name was copied into error_description."""
    client = factories.client()
    response = hostile.post("/token", content=urlencode(
        [("grant_type", "client_credentials"), ("client_id", client.client_id),
         ("client_secret", client.secret), ('"', ""), ('"', "")]),
        headers={"content-type": "application/x-www-form-urlencoded"})
    assert_protocol_error(response)


@pytest.mark.parametrize("authorization", ["Bearer a\x00b", "Basic " + "YQBiOmM=",
                                           "Bearer " + "a" * 9000, 'Bearer "\\é'])
def test_finding8_hostile_authorization_header_is_a_4xx(hostile, authorization) -> None:  # type: ignore[no-untyped-def]
    for method, path in [("GET", "/userinfo"), ("POST", "/userinfo"), ("POST", "/token"),
                         ("POST", "/introspect"), ("POST", "/revoke")]:
        response = hostile.request(method, path, headers={"authorization": authorization.encode()},
                                   data={"grant_type": "client_credentials", "token": "t"})
        assert 400 <= response.status_code < 500, (method, path, response.text)
        assert_security_headers(response)
