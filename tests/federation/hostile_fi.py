"""A hostile upstream identity provider: a real Starlette app under uvicorn (in a thread)
standing for an EXTERNAL party, whose discovery, keys, callback, token and userinfo answers
misbehave as each test's `Behaviour` says. It still plays the protocol honestly otherwise
(PKCE checked, codes used once, client authenticated), so each test breaks one rule."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.servers import free_port

CLIENT_ID = "hub"
CLIENT_SECRET = "hostile-fi-secret-" + "z" * 20
DROP = object()  # a claim override that removes the claim


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Behaviour:
    advertise_iss: bool = True
    callback_iss: str | None = "issuer"  # "issuer": the right one; None: left out
    callback_error: str | None = None
    discovery_issuer: str | None = None  # None: the right one
    discovery_body: bytes | None = None  # raw discovery answer
    discovery_redirect: bool = False
    token_status: int = 200
    token_body: dict[str, Any] | None = None
    token_delay: float = 0.0
    discovery_delay: float = 0.0  # a slow FI: logins arriving together meet an empty cache
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    id_token_header: dict[str, Any] = field(default_factory=dict)
    signing: str = "good"  # good | stranger | none | hs256_public
    signing_key: str = "rsa1"  # kid of the published key that signs
    userinfo: str = "json"  # json | jwt | jwt_stranger
    userinfo_claims: dict[str, Any] = field(default_factory=dict)
    published: list[str] = field(default_factory=lambda: ["rsa1"])  # kids in the JWKS
    jwks_status: int = 200


class HostileFI:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.behaviour = Behaviour()
        self.keys: dict[str, RSAKey | ECKey] = {
            "rsa1": RSAKey.generate_key(2048, parameters={"kid": "rsa1", "alg": "RS256"}),
            "ec2": ECKey.generate_key("P-256", parameters={"kid": "ec2", "alg": "ES256"}),
            "ec3": ECKey.generate_key("P-256", parameters={"kid": "ec3", "alg": "ES256"}),
        }
        self.hits: dict[str, int] = {}
        self._codes: dict[str, dict[str, str]] = {}
        self._tokens: dict[str, str] = {}
        app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo),
        ])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", ws="none", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the hostile FI did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def _count(self, name: str) -> None:
        self.hits[name] = self.hits.get(name, 0) + 1

    # Endpoints ----------------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        self._count("discovery")
        b = self.behaviour
        if b.discovery_delay:
            await asyncio.sleep(b.discovery_delay)
        if b.discovery_redirect:
            return RedirectResponse(self.issuer + "/elsewhere", status_code=302)
        if b.discovery_body is not None:
            return Response(b.discovery_body, media_type="application/json")
        return JSONResponse({
            "issuer": b.discovery_issuer or self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "jwks_uri": self.issuer + "/jwks",
            "end_session_endpoint": self.issuer + "/logout?ui=fr",
            "authorization_response_iss_parameter_supported": b.advertise_iss,
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        })

    async def jwks(self, request: Request) -> Response:
        self._count("jwks")
        if self.behaviour.jwks_status != 200:
            return Response("unavailable", status_code=self.behaviour.jwks_status)
        return JSONResponse({"keys": [self.keys[kid].as_dict(private=False)
                                      for kid in self.behaviour.published]})

    async def authorize(self, request: Request) -> Response:
        self._count("authorize")
        q = request.query_params
        b = self.behaviour
        params: dict[str, str] = {"state": q["state"]}
        if b.callback_error:
            params.update(error=b.callback_error, error_description="L'usager a annulé\n")
        else:
            code = secrets.token_urlsafe(16)
            self._codes[code] = {"nonce": q["nonce"], "challenge": q["code_challenge"],
                                 "redirect_uri": q["redirect_uri"],
                                 "acr": q.get("acr_values", "eidas1").split()[0]}
            params["code"] = code
        if b.callback_iss == "issuer":
            params["iss"] = self.issuer
        elif b.callback_iss is not None:
            params["iss"] = b.callback_iss
        return RedirectResponse(q["redirect_uri"] + "?" + urlencode(params), status_code=302)

    async def token(self, request: Request) -> Response:
        self._count("token")
        b = self.behaviour
        form = await request.form()  # read before any delay: the caller may give up
        if b.token_delay:
            await asyncio.sleep(b.token_delay)
        if b.token_status != 200:
            return JSONResponse(b.token_body or {"error": "server_error"},
                                status_code=b.token_status)
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if not hmac.compare_digest(request.headers.get("authorization", ""), expected):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self._codes.pop(str(form.get("code")), None)
        if grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier"))
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"] \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": "citizen-42", "aud": CLIENT_ID, "exp": now + 300,
            "iat": now, "nonce": grant["nonce"], "acr": grant["acr"], "amr": ["pwd"],
            "auth_time": now,
        }
        claims.update(b.id_token_claims)
        claims = {k: v for k, v in claims.items() if v is not DROP}
        access_token = secrets.token_urlsafe(24)
        self._tokens[access_token] = str(claims.get("sub", "citizen-42"))
        return JSONResponse({"access_token": access_token, "token_type": "Bearer",
                             "expires_in": 60, "id_token": self.sign(claims, b.signing)})

    async def userinfo(self, request: Request) -> Response:
        self._count("userinfo")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        sub = self._tokens.get(token)
        if sub is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        claims: dict[str, Any] = {"sub": sub, "given_name": "Jean", "family_name": "MARTIN",
                                  "birthdate": "1980-01-01"}
        if self.behaviour.userinfo != "json":
            claims.update(iss=self.issuer, aud=CLIENT_ID)
        claims.update(self.behaviour.userinfo_claims)
        if self.behaviour.userinfo == "json":
            return JSONResponse(claims)
        signing = "good" if self.behaviour.userinfo == "jwt" else "stranger"
        return Response(self.sign(claims, signing), media_type="application/jwt")

    # Signing ------------------------------------------------------------------------------

    def sign(self, claims: dict[str, Any], how: str) -> str:
        key = self.keys[self.behaviour.signing_key]
        alg = key.get("alg")
        assert isinstance(alg, str)
        header = {"alg": alg, "kid": key.kid, **self.behaviour.id_token_header}
        header = {k: v for k, v in header.items() if v is not DROP}
        if how == "good":
            if header["alg"] != alg:  # a header lying about the key's algorithm
                data = {k: v for k, v in key.as_dict(private=True).items() if k != "alg"}
                key = type(key).import_key(data)
            return jwt.encode(header, claims, key, algorithms=[header["alg"]])
        if how == "stranger":  # same kid, another private key: the signature cannot verify
            stranger = (RSAKey.generate_key(2048) if isinstance(key, RSAKey)
                        else ECKey.generate_key("P-256"))
            return jwt.encode(header, claims, stranger, algorithms=[alg])
        payload = _b64(json.dumps(claims).encode())
        if how == "none":
            return _b64(json.dumps({"alg": "none"}).encode()) + "." + payload + "."
        assert how == "hs256_public" and isinstance(key, RSAKey)
        # The classic confusion: HMAC keyed with the FI's PUBLIC key, which anyone has.
        public_pem = key.public_key.public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        signing_input = _b64(json.dumps({"alg": "HS256", "kid": key.kid}).encode()) + "." + payload
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64(mac)
