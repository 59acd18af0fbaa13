"""Load generator for complete browser logins, run by bench/run.py in one or more processes
(never in the hub's).

Each virtual user has one keep-alive TCP connection, opened before the measure (as a browser
or a load balancer keeps one), and loops: GET /authorize (PKCE S256, state, nonce) → login
page → POST the login form → /authorize/resume → redirect with a code (consent given in an
unmeasured first login) → POST /token → GET /userinfo, with a fresh cookie jar per login.

HTTP/1.1 is spoken over asyncio streams directly (one write per request, Content-Length or
chunked bodies, cookies by name): an HTTP library (httpx: ~1 ms of CPU per request here) would
make the generator the bottleneck; this costs a few tens of µs per request.

Protocol with bench/run.py: argv[1] is a JSON config; the process opens its connections,
runs the warm-up logins, prints "ready", waits for a line on stdin, runs for `seconds`, then
prints one JSON line: logins, errors, requests, durations of each login (ms).
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import json
import re
import secrets
import sys
import tempfile
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

FIELD = re.compile(rb'name="(csrf_token|rid)" value="([^"]*)"')


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class Browser:
    """One keep-alive connection and a cookie jar."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.authority = f"{host}:{port}".encode()
        self.cookies: dict[str, str] = {}
        self.requests = 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, target: str, body: bytes = b"",
                      headers: tuple[bytes, ...] = ()) -> Response:
        if self.writer is None:
            await self.connect()
        assert self.reader is not None and self.writer is not None
        head = [f"{method} {target} HTTP/1.1".encode(), b"Host: " + self.authority, *headers]
        if self.cookies:
            head.append(b"Cookie: " + "; ".join(
                f"{k}={v}" for k, v in self.cookies.items()).encode())
        if body:
            head += [b"Content-Type: application/x-www-form-urlencoded",
                     b"Content-Length: " + str(len(body)).encode()]
        self.writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw[:-4].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.lower(), value.strip()
            if name == "set-cookie":
                pair, _, attributes = value.partition(";")
                key, _, val = pair.partition("=")
                if "max-age=0" in attributes.lower().replace(" ", ""):
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val.strip()
            fields[name] = value
        if "content-length" in fields:
            content = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            content = b""
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                content += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            content = b""
        if fields.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        self.requests += 1
        return Response(status, fields, content)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def expect(response: Response, statuses: tuple[int, ...], what: str) -> Response:
    """A failed step names its status and the start of its body (not a bare KeyError)."""
    if response.status not in statuses:
        body = response.body[:300].decode("utf-8", "replace")
        raise RuntimeError(f"{what} answered {response.status}: {body!r}")
    return response


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + ("?" + parts.query if parts.query else "")


def form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


async def one_login(browser: Browser, cfg: dict[str, Any], username: str) -> None:
    browser.cookies.clear()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({
        "response_type": "code", "client_id": cfg["client_id"], "scope": "openid profile",
        "redirect_uri": cfg["redirect_uri"], "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8), "code_challenge_method": "S256",
        "code_challenge": challenge.rstrip(b"=").decode()})
    response = expect(await browser.request("GET", "/authorize?" + query), (302, 303),
                      "GET /authorize")
    page = expect(await browser.request("GET", path_of(response.headers["location"])), (200,),
                  "login page")
    fields = {k.decode(): v.decode() for k, v in FIELD.findall(page.body)}
    response = expect(await browser.request("POST", "/login", form(
        {**fields, "username": username, "password": cfg["password"]})), (302, 303),
        "POST /login")
    response = await browser.request("GET", path_of(response.headers["location"]))
    location = response.headers.get("location", "")
    if not location.startswith(cfg["redirect_uri"]):
        # First login of this user: consent once (then remembered).
        expect(response, (200,), "/authorize/resume")
        fields = {k.decode(): v.decode() for k, v in FIELD.findall(response.body)}
        response = expect(await browser.request("POST", "/authorize/consent",
                                                form({**fields, "decision": "accept"})),
                          (302, 303), "POST /authorize/consent")
        location = response.headers["location"]
    query_fields = parse_qs(urlsplit(location).query)
    if "code" not in query_fields:
        raise RuntimeError(f"redirect without a code: {location[:300]!r}")
    code = query_fields["code"][0]
    token = expect(await browser.request("POST", "/token", form({
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": cfg["redirect_uri"]}), (cfg["basic"],)), (200,), "POST /token")
    access_token = json.loads(token.body)["access_token"]
    expect(await browser.request("GET", "/userinfo", headers=(
        b"Authorization: Bearer " + access_token.encode(),)), (200,), "GET /userinfo")


async def virtual_user(browser: Browser, cfg: dict[str, Any], username: str, until: float,
                       durations: list[float], errors: list[str]) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            await one_login(browser, cfg, username)
        except (KeyError, ValueError, RuntimeError, OSError, asyncio.IncompleteReadError) as exc:
            errors.append(repr(exc)[:200])
            browser.close()
            browser.writer = None  # a new connection for the next login
            continue
        durations.append((time.monotonic() - started) * 1000)


async def main() -> None:
    cfg = json.loads(sys.argv[1])
    cfg["basic"] = b"Authorization: Basic " + base64.b64encode(
        f"{cfg['client_id']}:{cfg['secret']}".encode())
    split = urlsplit(cfg["issuer"])
    users = [cfg["users"][i % len(cfg["users"])] for i in range(cfg["connections"])]
    browsers = [Browser(split.hostname or "127.0.0.1", split.port or 80) for _ in users]
    await asyncio.gather(*(b.connect() for b in browsers))  # all at once, as a pool does
    # Warm-up, not measured. A user's first login gives consent; the generator processes
    # share the seeded users, so those first logins run one process at a time (a file lock
    # per hub) and, in a process, once per user; then every virtual user logs in once.
    lock_path = f"{tempfile.gettempdir()}/bench-login-warmup-{split.port}.lock"
    with open(lock_path, "w") as lock:
        await asyncio.get_running_loop().run_in_executor(None, fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            firsts = {}
            for b, u in zip(browsers, users, strict=True):
                firsts.setdefault(u, b)
            await asyncio.gather(*(one_login(b, cfg, u) for u, b in firsts.items()))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    await asyncio.gather(*(one_login(b, cfg, u) for b, u in zip(browsers, users, strict=True)))
    for b in browsers:
        b.requests = 0
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    durations: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    until = started + float(cfg["seconds"])
    await asyncio.gather(*(virtual_user(b, cfg, u, until, durations, errors)
                           for b, u in zip(browsers, users, strict=True)))
    elapsed = time.monotonic() - started
    for b in browsers:
        b.close()
    print(json.dumps({"logins": len(durations), "seconds": round(elapsed, 3),
                      "requests": sum(b.requests for b in browsers), "errors": len(errors),
                      "first_errors": errors[:3], "durations_ms": durations}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
