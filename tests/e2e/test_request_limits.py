"""Issue 10, findings 7 and 8, over a real socket to a running hub (uvicorn): oversized and
hostile requests are refused early with a 4xx, never a 500, and the error pages carry the
security headers."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from idp.limits import MAX_BODY_BYTES, MAX_QUERY_BYTES

pytestmark = pytest.mark.e2e


def raw_exchange(url: str, head: bytes, body_chunks: list[bytes]) -> bytes:
    """Send a request head and body chunks on a socket; what the server answers first."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest: what we want
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    return answer


def test_finding7_declared_oversized_body_is_refused_without_reading_it(hub) -> None:  # type: ignore[no-untyped-def]
    host = urlsplit(hub.url).netloc.encode()
    head = (b"POST /authorize HTTP/1.1\r\nHost: " + host + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 952320\r\n\r\n")
    # Nothing of the declared body is sent: the answer must not wait for it.
    answer = raw_exchange(hub.url, head, [])
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    assert b"x-frame-options: deny" in rest.lower()


def test_finding7_streamed_oversized_body_is_a_413(hub) -> None:  # type: ignore[no-untyped-def]
    def chunks():  # type: ignore[no-untyped-def]
        yield b"state="
        for _ in range(MAX_BODY_BYTES // 4096 + 2):
            yield b"x" * 4096

    response = httpx.post(hub.url + "/authorize", content=chunks(),
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert response.headers["x-frame-options"] == "DENY"
    assert "Requête trop volumineuse" in response.text


def test_finding7_long_query_string_is_a_414(hub) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(hub.url + "/authorize?state=" + "x" * (MAX_QUERY_BYTES + 1))
    assert response.status_code == 414
    assert response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_finding8_nul_in_client_id_is_a_400_over_http(hub, path) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(hub.url + path, data={"grant_type": "client_credentials",
                                                "client_id": "x\x00", "client_secret": "y",
                                                "token": "t"}, headers={"X-Request-Id": "lim-8"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    # Refused before any handler, with what every answer of these endpoints carries.
    assert response.headers["x-request-id"] == "lim-8"
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'")
    assert response.headers["cache-control"] == "no-store"
    assert "server" not in response.headers  # `idp serve` does not name its software


def test_finding8_quote_in_response_type_is_a_400_over_http(hub) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(hub.url + "/authorize", params={
        "response_type": '"', "client_id": "unknown", "redirect_uri": "http://evil.test/\\"})
    assert response.status_code == 400
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "Traceback" not in response.text
