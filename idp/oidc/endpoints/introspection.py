"""Token introspection, RFC 7662. Client authentication is required (§2.1).

Any authenticated confidential client (typically a resource server) may introspect an access
token it was handed; a refresh token only by the client it was issued to. A revoked access
token is inactive even though its JWT has not expired.
"""

from __future__ import annotations

from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from idp.oidc.endpoints.tokens_at_rest import find_presented_token

CONFIDENTIAL_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


class HubIntrospectionEndpoint(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_METHODS

    def query_token(self, token_string, token_type_hint):  # type: ignore[no-untyped-def]
        return find_presented_token(self.server, token_string, token_type_hint)

    def check_permission(self, token, client, request) -> bool:  # type: ignore[no-untyped-def]
        return token.kind == "access_token" or token.check_client(client)

    def create_endpoint_response(self, request):  # type: ignore[no-untyped-def]
        status, body, headers = super().create_endpoint_response(request)
        return status, body, [*headers, ("Cache-Control", "no-store")]

    def introspect_token(self, token) -> dict:  # type: ignore[no-untyped-def]
        if token.kind == "access_token":
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
