"""A minimal relying application for the browser tests: authlib's Starlette client, code flow
with PKCE, RP-initiated logout. Run by uvicorn in its own process (see conftest)."""

from __future__ import annotations

import html
import os
import secrets
from urllib.parse import urlencode

from authlib.integrations.starlette_client import OAuth
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

ISSUER = os.environ["RP_ISSUER"]
BASE = os.environ["RP_BASE"]
ACR_VALUES = os.environ.get("RP_ACR_VALUES")

oauth = OAuth()
oauth.register(
    "hub",
    client_id=os.environ["RP_CLIENT_ID"],
    client_secret=os.environ["RP_CLIENT_SECRET"],
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
)

PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


async def home(request: Request) -> HTMLResponse:
    user = request.session.get("user")
    if user:
        body = (f'<p id="who">Connecté : {html.escape(user["sub"])} '
                f'({html.escape(user.get("given_name", ""))})</p>'
                '<p><a href="/logout">Se déconnecter</a></p>')
    else:
        body = '<p><a id="login" href="/login">Se connecter avec Identité Publique</a></p>'
    return HTMLResponse(PAGE.format(title="Application de test", body=body))


async def login(request: Request):  # type: ignore[no-untyped-def]
    # A nonce of 32 characters: citizen-facing clients must send at least 22 (authlib's own is 20).
    # acr_values (RP_ACR_VALUES): required of citizen-facing applications (FranceConnect).
    extra = {"acr_values": ACR_VALUES} if ACR_VALUES else {}
    return await oauth.hub.authorize_redirect(request, f"{BASE}/callback",
                                              nonce=secrets.token_urlsafe(24), **extra)


async def signup(request: Request):  # type: ignore[no-untyped-def]
    # "Create an account" (Initiating User Registration via OpenID Connect 1.0: prompt=create).
    return await oauth.hub.authorize_redirect(request, f"{BASE}/callback", prompt="create",
                                              nonce=secrets.token_urlsafe(24))


async def callback(request: Request):  # type: ignore[no-untyped-def]
    token = await oauth.hub.authorize_access_token(request)
    userinfo = await oauth.hub.userinfo(token=token)
    request.session["user"] = dict(userinfo)
    request.session["id_token"] = token["id_token"]
    return RedirectResponse("/", status_code=303)


async def logout(request: Request):  # type: ignore[no-untyped-def]
    id_token = request.session.pop("id_token", None)
    request.session.clear()
    query = urlencode({"id_token_hint": id_token or "", "post_logout_redirect_uri": f"{BASE}/",
                       "state": "bye"})
    return RedirectResponse(f"{ISSUER}/logout?{query}", status_code=303)


app = Starlette(
    routes=[Route("/", home), Route("/login", login), Route("/signup", signup),
            Route("/callback", callback),
            Route("/logout", logout)],
    middleware=[Middleware(SessionMiddleware, secret_key=os.environ["RP_SESSION_SECRET"],
                           session_cookie="rp_session")],
)
