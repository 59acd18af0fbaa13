"""The smallest correct relying party of the hub, on authlib's Starlette client.

Code flow with PKCE S256, state and nonce (authlib makes and checks them), the ID token
checked against the hub's keys, the name read from **userinfo** (in the code flow the ID
token carries no profile or e-mail claim: OIDC Core §5.4), RP-initiated logout.

    HUB_ISSUER=http://127.0.0.1:8000 CLIENT_ID=... CLIENT_SECRET=... \
    APP_URL=http://127.0.0.1:5000 python app.py

The session is Starlette's signed cookie (SESSION_SECRET, random when unset): enough for an
example; a real application keeps its sessions on the server (clients/rp/sessions.py).
"""

import html
import os
import secrets
from urllib.parse import urlencode, urlsplit

import uvicorn
from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

ISSUER = os.environ["HUB_ISSUER"]
APP_URL = os.environ["APP_URL"]  # this application's own address, without trailing slash

oauth = OAuth()
oauth.register(
    "hub",
    client_id=os.environ["CLIENT_ID"],
    client_secret=os.environ["CLIENT_SECRET"],
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
)


async def home(request: Request) -> HTMLResponse:
    name = request.session.get("name")
    if name is None:
        return HTMLResponse('<p><a href="/login">Se connecter</a></p>')
    return HTMLResponse(f'<p>Bonjour {html.escape(name)}</p><p><a href="/logout">'
                        "Se déconnecter</a></p>")


async def login(request: Request) -> RedirectResponse:
    # authlib draws state, nonce and the PKCE verifier and keeps them in the session.
    return await oauth.hub.authorize_redirect(request, f"{APP_URL}/callback")


async def callback(request: Request) -> Response:
    # Checks state, redeems the code with the verifier, validates the ID token (signature,
    # iss, aud, exp, nonce). token["userinfo"] holds the ID token's claims: no name there.
    try:
        token = await oauth.hub.authorize_access_token(request)
    except OAuthError as refused:  # access_denied, a replayed or forged callback...
        return HTMLResponse(f"<p>La connexion a échoué ({html.escape(str(refused.error))}).</p>"
                            '<p><a href="/login">Réessayer</a></p>', status_code=400)
    userinfo = await oauth.hub.userinfo(token=token)  # GET /userinfo with the access token
    if userinfo["sub"] != token["userinfo"]["sub"]:  # OIDC Core §5.3.2
        return HTMLResponse("<p>La connexion a échoué.</p>", status_code=400)
    # A citizen's account may have no name yet (registered with an e-mail address only).
    name = userinfo.get("name") or userinfo.get("email") or userinfo["sub"]
    request.session.clear()
    request.session.update(name=name, id_token=token["id_token"])
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> RedirectResponse:
    id_token = request.session.get("id_token")
    request.session.clear()
    if id_token is None:
        return RedirectResponse("/", status_code=303)
    metadata = await oauth.hub.load_server_metadata()
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": f"{APP_URL}/"})
    return RedirectResponse(f"{metadata['end_session_endpoint']}?{query}", status_code=303)


app = Starlette(
    routes=[Route("/", home), Route("/login", login), Route("/callback", callback),
            Route("/logout", logout)],
    middleware=[Middleware(SessionMiddleware,
                           secret_key=os.environ.get("SESSION_SECRET") or secrets.token_hex(32),
                           same_site="lax", https_only=APP_URL.startswith("https:"))],
)

if __name__ == "__main__":
    address = urlsplit(APP_URL)
    uvicorn.run(app, host=address.hostname or "127.0.0.1", port=address.port or 5000)
