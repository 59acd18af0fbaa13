"""UserInfo endpoint, OIDC Core §5.3, with bearer tokens per RFC 6750 (§2.1 header, §2.2 form).

Claims by scope (§5.4) and by the `claims` parameter's userinfo member (§5.5), narrowed to
what the client's registration allows (claims.py); `sub` is the one in the ID token of the
same client (pairwise where configured). A client that registered
`userinfo_signed_response_alg` gets the claims as a signed JWT (§5.3.2). Each answer is an
audit event naming the claims sent, never their values (the person's history of data
exchanges).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from idp.oidc.claims import release, released_claim_names
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer

Response = tuple[int, dict[str, Any] | str, list[tuple[str, str]]]


def _bearer_error(status: int, error: str | None, description: str = "") -> Response:
    challenge = 'Bearer realm="userinfo"'
    if error:
        challenge += f', error="{error}"'
        if description:
            challenge += f', error_description="{description}"'
    body = {"error": error, "error_description": description} if error else {}
    return status, body, [("WWW-Authenticate", challenge), ("Cache-Control", "no-store")]


def userinfo_response(server: HubAuthorizationServer, access_token: str | None) -> Response:
    if not access_token:
        return _bearer_error(401, None)
    claims = server.tokens.verify_access_token(access_token)
    if claims is None or not claims.get("gid"):
        return _bearer_error(401, "invalid_token", "The access token is invalid or expired.")
    if "openid" not in claims.get("scope", "").split():
        return _bearer_error(403, "insufficient_scope", "The token lacks the openid scope.")
    rt = server.rt
    if tokens_repo.is_access_token_revoked(rt.db, claims["jti"], claims["gid"]):
        return _bearer_error(401, "invalid_token", "The access token was revoked.")
    grant = tokens_repo.grant_holder(rt.db, claims["gid"])
    if grant is None or grant.account.disabled:
        return _bearer_error(401, "invalid_token", "The account is no longer active.")
    account = grant.account
    client = server.query_client(grant.client_id)
    if client is None:
        return _bearer_error(401, "invalid_token", "The application is no longer registered.")
    body = {"sub": claims["sub"]}
    body.update(release(account, released_claim_names(claims["scope"], grant.claims, "userinfo",
                                                      client.scopes)))
    rt.audit.record("userinfo.released", account_id=account.id, client_id=client.client_id,
                    acr=grant.acr, claims=sorted(n for n in body if n != "sub"))
    if client.userinfo_signed_response_alg:
        # OIDC Core §5.3.2: signed, with iss and aud, media type application/jwt.
        signed = server.tokens.userinfo_answer(
            client_id=client.client_id, claims=body, alg=client.userinfo_signed_response_alg)
        return 200, signed, [("Content-Type", "application/jwt"), ("Cache-Control", "no-store")]
    return 200, body, [("Cache-Control", "no-store")]
