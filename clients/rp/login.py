"""Login through the hub (OpenID Connect code flow with PKCE S256, state and nonce, by
authlib's Starlette client), token refresh, RP-initiated logout and the back-channel logout
receiver. Mount `HubLogin.routes` under the application; call `current_user` in pages."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from clients.rp.events import MAX_SET_BYTES, SET_MEDIA_TYPE, EventRefused, SecurityEvents
from clients.rp.jwks import HubKeys
from clients.rp.sessions import SessionStore, UserSession
from clients.rp.settings import HubClientSettings
from sitekit.web.redirects import safe_next

T = TypeVar("T")

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
REFRESH_MARGIN = 15  # refresh an access token this many seconds before it expires
LOGOUT_TOKEN_MAX_AGE = 300
LOGOUT_STATE = "logout_state"  # the login-flow cookie's key for the logout's `state`


class Blocking(Protocol):
    """Runs blocking work off the event loop: ``await run(fn, *args)``."""

    async def __call__(self, fn: Callable[..., T], /, *args: Any) -> T: ...


class HubLogin:
    def __init__(self, settings: HubClientSettings, store: SessionStore, keys: HubKeys,
                 run: Blocking, now: Callable[[], int] = lambda: int(time.time()),
                 on_error: Callable[[Request, str], Response] | None = None,
                 on_account_purged: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.run = run  # runs blocking work off the event loop: await run(fn, *args)
        self.now = now
        self.on_error = on_error  # (request, message id) -> Response: the app's error page
        # (sub) -> None: what the application does when the person's hub account is deleted,
        # after their sessions here ended (docs/account-events.md).
        self.on_account_purged = on_account_purged
        self.events = SecurityEvents(settings, keys, now)
        self.oauth = OAuth()
        self.oauth.register(
            "hub", client_id=settings.client_id, client_secret=settings.client_secret,
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": settings.scope, "code_challenge_method": "S256",
                           "token_endpoint_auth_method": "client_secret_basic",
                           "timeout": settings.http_timeout})
        self._refreshing: dict[str, asyncio.Lock] = {}

    @property
    def routes(self) -> list[Route]:
        return [Route("/auth/login", self.login), Route("/auth/callback", self.callback),
                Route("/auth/logout", self.logout, methods=["GET", "POST"]),
                Route("/auth/backchannel-logout", self.backchannel_logout, methods=["POST"]),
                Route("/auth/account-events", self.account_events, methods=["POST"])]

    # Pages -------------------------------------------------------------------------------

    async def current_user(self, request: Request) -> UserSession | None:
        """The logged-in user's session, with a fresh access token; None when there is none
        or when the hub no longer honours it (refresh refused: logged out or revoked)."""
        session = await self.run(self.store.load,
                                 request.cookies.get(self.settings.session_cookie), self.now())
        if session is None:
            return None
        if session.access_expires_at - REFRESH_MARGIN > self.now():
            return session
        return await self._refresh(session)

    def login_redirect(self, request: Request) -> RedirectResponse:
        """Where a page sends a visitor who is not logged in (back to that page after)."""
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/auth/login?" + urlencode({"next": target}), status_code=303)

    async def login(self, request: Request) -> Response:
        request.session["next"] = safe_next(request.query_params.get("next"))
        redirect: Response = await self.oauth.hub.authorize_redirect(
            request, f"{self.settings.base_url}/auth/callback")
        return redirect

    async def callback(self, request: Request) -> Response:
        if request.query_params.get("error"):
            # access_denied, unmet_authentication_requirements...: the user is told, no loop.
            return self._error(request, "login_refused")
        try:
            token = await self.oauth.hub.authorize_access_token(request)
            claims = dict(token["userinfo"])  # the ID token, validated by authlib
            claims.update(await self.oauth.hub.userinfo(token=token))
        except (OAuthError, httpx.HTTPError, KeyError):
            return self._error(request, "login_failed")
        session_id = await self.run(
            lambda: self.store.create(
                self.now(), sub=claims["sub"], sid=claims.get("sid"), claims=claims,
                id_token=token["id_token"], access_token=token["access_token"],
                refresh_token=token.get("refresh_token"),
                access_expires_at=int(token.get("expires_at") or self.now() + 60)))
        response = RedirectResponse(safe_next(request.session.pop("next", "/")),
                                    status_code=303)
        response.set_cookie(self.settings.session_cookie, session_id, httponly=True,
                            secure=self.settings.secure_cookies, samesite="lax",
                            max_age=self.settings.session_ttl, path="/")
        return response

    async def logout(self, request: Request) -> Response:
        """End the local session, then the hub's (RP-initiated logout)."""
        session_id = request.cookies.get(self.settings.session_cookie)
        session = await self.run(self.store.load, session_id, self.now())
        if session is not None:
            await self.run(self.store.end, session.id)
        state = secrets.token_urlsafe(16)
        # Kept in the signed login-flow cookie: the hub sends it back with the browser
        # (RP-Initiated Logout 1.0 §3), and `just_logged_out` then shows the confirmation.
        request.session[LOGOUT_STATE] = state
        query = {"post_logout_redirect_uri": f"{self.settings.base_url}/",
                 "client_id": self.settings.client_id, "state": state}
        if session is not None:
            query["id_token_hint"] = session.id_token
        response = RedirectResponse(f"{self.settings.issuer}/logout?{urlencode(query)}",
                                    status_code=303)
        response.delete_cookie(self.settings.session_cookie, path="/")
        return response

    def just_logged_out(self, request: Request) -> bool:
        """Whether this request is the hub sending the browser back after our logout: the
        `state` we gave it, once (a copied or replayed link shows nothing special)."""
        expected = request.session.get(LOGOUT_STATE)
        given = request.query_params.get("state", "")
        if not (isinstance(expected, str) and given and secrets.compare_digest(
                expected.encode(), given.encode())):
            return False
        del request.session[LOGOUT_STATE]
        return True

    async def backchannel_logout(self, request: Request) -> Response:
        """OpenID Connect Back-Channel Logout 1.0 §2.6-2.8: validate, end the sessions."""
        form = await request.form()
        token = str(form.get("logout_token", ""))
        try:
            claims = await self._validate_logout_token(token)
        except (JoseError, ValueError) as exc:
            return JSONResponse({"error": "invalid_request",
                                 "error_description": str(exc)[:200]},
                                status_code=400, headers={"Cache-Control": "no-store"})
        await self.run(self.store.end_for_hub_session, claims.get("sid"), claims.get("sub"))
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    async def account_events(self, request: Request) -> Response:
        """RFC 8935 §2.2: a SET pushed by the hub; the account-purged event ends the person's
        sessions here (as a back-channel logout does), then the application's hook runs.
        202 when accepted; 400 with RFC 8935 §2.3's error object otherwise."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_SET_BYTES:
                return _set_refusal(EventRefused("invalid_request", "too large"))
        try:
            if media_type != SET_MEDIA_TYPE:
                raise EventRefused("invalid_request", f"Content-Type must be {SET_MEDIA_TYPE}")
            event = await self.events.verify(body.decode("ascii", errors="replace"))
        except EventRefused as refused:
            return _set_refusal(refused)
        await self.run(self.store.end_for_hub_session, None, event.sub)
        if self.on_account_purged is not None:
            await self.on_account_purged(event.sub)
        return Response(status_code=202, headers={"Cache-Control": "no-store"})

    # Internals ---------------------------------------------------------------------------

    async def _validate_logout_token(self, token: str) -> dict[str, Any]:
        if not token or token.count(".") != 2:
            raise ValueError("logout_token missing")
        decoded = await self.keys.decode(token)
        claims = decoded.claims
        now = self.now()
        if decoded.header.get("typ") not in (None, "logout+jwt"):
            raise ValueError("wrong token type")
        if claims.get("iss") != self.settings.issuer:
            raise ValueError("wrong issuer")
        audience = claims.get("aud")
        if self.settings.client_id not in (audience if isinstance(audience, list)
                                           else [audience]):
            raise ValueError("wrong audience")
        iat = claims.get("iat")
        if not isinstance(iat, int) or abs(now - iat) > LOGOUT_TOKEN_MAX_AGE:
            raise ValueError("stale or missing iat")
        if isinstance(claims.get("exp"), int) and claims["exp"] < now:
            raise ValueError("expired")
        if not isinstance(claims.get("events"), dict) or BACKCHANNEL_EVENT not in claims[
                "events"]:
            raise ValueError("not a logout token")
        if "nonce" in claims:
            raise ValueError("a logout token has no nonce")
        if not claims.get("sid") and not claims.get("sub"):
            raise ValueError("neither sid nor sub")
        return claims

    async def _refresh(self, session: UserSession) -> UserSession | None:
        lock = self._refreshing.setdefault(session.id, asyncio.Lock())
        async with lock:
            try:
                fresh = await self.run(self.store.load, session.id, self.now())
                if fresh is None:
                    return None
                if fresh.access_expires_at - REFRESH_MARGIN > self.now():
                    return fresh
                token = await self._refresh_grant(fresh.refresh_token)
                if token is None:
                    await self.run(self.store.end, session.id)
                    return None
                fresh.access_token = token["access_token"]
                fresh.refresh_token = token.get("refresh_token", fresh.refresh_token)
                fresh.access_expires_at = self.now() + int(token.get("expires_in", 60))
                await self.run(self.store.update_tokens, fresh.id, fresh.access_token,
                               fresh.refresh_token, fresh.access_expires_at)
                return fresh
            finally:
                self._refreshing.pop(session.id, None)

    async def _refresh_grant(self, refresh_token: str | None) -> dict[str, Any] | None:
        if not refresh_token:
            return None
        metadata = await self.oauth.hub.load_server_metadata()
        async with httpx.AsyncClient(timeout=self.settings.http_timeout) as http:
            response = await http.post(
                metadata["token_endpoint"],
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=(self.settings.client_id, self.settings.client_secret))
        return response.json() if response.status_code == 200 else None

    def _error(self, request: Request, reason: str) -> Response:
        if self.on_error is not None:
            return self.on_error(request, reason)
        return Response(reason, status_code=400)


def _set_refusal(refused: EventRefused) -> Response:
    return JSONResponse({"err": refused.err, "description": refused.description},
                        status_code=400, headers={"Cache-Control": "no-store"})
