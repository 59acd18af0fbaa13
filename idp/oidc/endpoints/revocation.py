"""Token revocation, RFC 7009.

Revoking an access token records its jti until it expires; revoking a refresh token revokes
its whole grant, access tokens included (§2.1 allows it, RFC 9700 recommends it).
Public clients identify themselves with their client_id to revoke their own tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authlib.oauth2.rfc7009 import RevocationEndpoint

from idp.oidc.endpoints.introspection import CONFIDENTIAL_METHODS
from idp.oidc.endpoints.tokens_at_rest import (
    PresentedAccessToken,
    PresentedToken,
    find_presented_token,
)
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.server import HubOAuth2Request, ProtocolResponse


class HubRevocationEndpoint(RevocationEndpoint):
    CLIENT_AUTH_METHODS = [*CONFIDENTIAL_METHODS, "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return find_presented_token(self.server, token_string, token_type_hint)

    def create_endpoint_response(self, request: HubOAuth2Request) -> ProtocolResponse:
        response: ProtocolResponse = super().create_endpoint_response(request)
        status, body, headers = response
        return status, body, [*headers, ("Cache-Control", "no-store")]

    def revoke_token(self, token: PresentedToken, request: HubOAuth2Request) -> None:
        rt = self.server.rt
        now = rt.clock.now()
        with rt.db.transaction() as s:
            if isinstance(token, PresentedAccessToken):
                tokens_repo.revoke_access_token(s, token.claims["jti"], token.claims["exp"], now)
            elif token.grant is not None:
                tokens_repo.revoke_grant(s, token.grant.id, now)
            rt.audit.write(s, "token.revoked", client_id=token.client_id,
                           ip=request.remote_addr, token_type=token.kind)
