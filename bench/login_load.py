"""Load generator for complete browser logins, run in its own process (not the hub's).

Each virtual user loops: GET /authorize (PKCE S256, state, nonce) → login page → POST the
login form → back to /authorize/resume → redirect to the client with a code (consent was
given once beforehand) → POST /token → GET /userinfo. A fresh cookie jar per login, as a
new browser would have. Prints one JSON line: logins, per second, p50 and p99 of a login.
Usage: login_load.py ISSUER CLIENT_ID SECRET REDIRECT_URI PASSWORD SECONDS USER...
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import statistics
import sys
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

FIELD = re.compile(r'name="(csrf_token|rid)" value="([^"]*)"')


async def one_login(http: httpx.AsyncClient, cfg: dict, username: str) -> None:
    http.cookies.clear()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({
        "response_type": "code", "client_id": cfg["client_id"], "scope": "openid profile",
        "redirect_uri": cfg["redirect_uri"], "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8), "code_challenge_method": "S256",
        "code_challenge": challenge.rstrip(b"=").decode()})
    response = await http.get("/authorize?" + query)
    page = await http.get(response.headers["location"])
    fields = dict(FIELD.findall(page.text))
    response = await http.post("/login", data={**fields, "username": username,
                                               "password": cfg["password"]})
    response = await http.get(response.headers["location"])
    location = response.headers.get("location", "")
    if not location.startswith(cfg["redirect_uri"]):
        # First login of this user: consent once (then remembered).
        fields = dict(FIELD.findall(response.text))
        response = await http.post("/authorize/consent", data={**fields, "decision": "accept"})
        location = response.headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = await http.post("/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": cfg["redirect_uri"]}, auth=(cfg["client_id"], cfg["secret"]))
    access_token = token.json()["access_token"]
    info = await http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    info.raise_for_status()


async def virtual_user(http: httpx.AsyncClient, cfg: dict, username: str, until: float,
                       durations: list) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        await one_login(http, cfg, username)
        durations.append(time.monotonic() - started)


async def main() -> None:
    issuer, client_id, secret, redirect_uri, password, seconds, *users = sys.argv[1:]
    cfg = dict(issuer=issuer, client_id=client_id, secret=secret, redirect_uri=redirect_uri,
               password=password)
    durations: list[float] = []
    clients = [httpx.AsyncClient(base_url=issuer, timeout=30) for _ in users]
    # Warm-up, not measured: each user's first login, which also gives consent.
    await asyncio.gather(*(one_login(http, cfg, u) for http, u in zip(clients, users, strict=True)))
    started = time.monotonic()
    until = started + float(seconds)
    await asyncio.gather(*(virtual_user(http, cfg, u, until, durations)
                           for http, u in zip(clients, users, strict=True)))
    elapsed = time.monotonic() - started
    for http in clients:
        await http.aclose()
    ordered = sorted(durations)
    print(json.dumps({
        "logins": len(durations), "seconds": round(elapsed, 3),
        "per_second": round(len(durations) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
    }))


if __name__ == "__main__":
    asyncio.run(main())
