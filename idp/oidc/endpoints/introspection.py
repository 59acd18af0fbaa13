"""Token introspection, RFC 7662. Client authentication is required (§2.1).

Any authenticated confidential client (typically a resource server) may introspect an access
token it was handed; a refresh token only by the client it was issued to. A revoked access
token is inactive even though its JWT has not expired. The answer is JSON, or a signed JWT
narrowed to what the resource service may see (RFC 9701, `introspection_jwt.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.consts import default_json_headers
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from idp.oidc.endpoints.introspection_jwt import (
    INTROSPECTION_JWT,
    narrowed_answer,
    signed_answer_alg,
)
from idp.oidc.endpoints.tokens_at_rest import (
    PresentedAccessToken,
    PresentedRefreshToken,
    PresentedToken,
    find_presented_token,
)
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.clients import RegisteredClient
    from idp.oidc.server import HubOAuth2Request, ProtocolResponse
    from idp.storage.models import Account

CONFIDENTIAL_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


class HubIntrospectionEndpoint(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return find_presented_token(self.server, token_string, token_type_hint)

    def check_permission(self, token: PresentedToken, client: RegisteredClient,
                         request: HubOAuth2Request) -> bool:
        return token.kind == "access_token" or token.check_client(client)

    def create_endpoint_response(self, request: HubOAuth2Request) -> ProtocolResponse:
        # authlib's steps (client, token, RFC 7662 answer), then the answer's form.
        client = self.authenticate_endpoint_client(request)
        token = self.authenticate_token(request, client)
        answer = self.create_introspection_payload(token)
        alg = signed_answer_alg(client.introspection_signed_response_alg,
                                request.headers.get("accept"))
        if alg is None:
            return 200, answer, [*default_json_headers, ("Cache-Control", "no-store")]
        if answer["active"]:
            answer = self._narrowed(answer, token, client)
        signed = self.server.tokens.introspection_answer(
            audience=client.client_id, answer=answer, alg=alg)
        # RFC 9701 §5: the JWT is the body, with its own media type.
        return 200, signed, [("Content-Type", INTROSPECTION_JWT), ("Cache-Control", "no-store")]

    def _narrowed(self, answer: dict[str, Any], token: PresentedToken,
                  service: RegisteredClient) -> dict[str, Any]:
        account: Account | None
        if isinstance(token, PresentedRefreshToken):
            account = token.account
        elif token.claims.get("gid"):
            with self.server.rt.db.read() as s:
                grant = tokens_repo.get_grant(s, token.claims["gid"])
                account = accounts_repo.get_account(s, grant.account_id) if grant else None
        else:
            return narrowed_answer(answer, service.scopes, None)  # a client's own token
        if account is None or account.disabled:
            return {"active": False}
        return narrowed_answer(answer, service.scopes, self.server.subject_of(account, service))

    def introspect_token(self, token: PresentedToken) -> dict[str, Any]:
        if isinstance(token, PresentedAccessToken):
            c = token.claims
            body = {
                "active": True,
                "token_type": "Bearer",
                "scope": c.get("scope", ""),
                "client_id": c["client_id"],
                "sub": c["sub"],
                "aud": c["aud"],
                "iss": c["iss"],
                "exp": c["exp"],
                "iat": c["iat"],
                "jti": c["jti"],
            }
            for optional in ("auth_time", "acr"):
                if optional in c:
                    body[optional] = c[optional]
            return body
        # RFC 7662 §2.2: the same members as for an access token, as node-oidc-provider
        # answers; `sub` is the one the client got in its ID token (public or pairwise, §8).
        client = self.server.query_client(token.client_id)
        return {
            "active": True,
            "token_type": "refresh_token",
            "scope": token.row.scope,
            "client_id": token.client_id,
            "sub": self.server.subject_of(token.account, client),
            "exp": token.row.expires_at,
            "iat": token.row.issued_at,
            "iss": self.server.rt.settings.issuer,
        }
