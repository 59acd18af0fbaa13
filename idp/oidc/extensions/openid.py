"""OIDC Core §3.1.3.3: the ID token returned with the code flow's tokens (and on refresh, §12.2).

Replaces authlib's OpenIDCode prompt handling (our checks/ list decides prompt, max_age,
acr, consent) and its ID-token encoding (adds iss, kid, sid, pairwise sub, the `claims`
parameter's id_token member).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.grants.util import is_openid_scope

from idp.oidc.claims import release, released_claim_names

if TYPE_CHECKING:
    from idp.oidc.grants.authorization_code import AuthorizationCodeGrant
    from idp.oidc.grants.refresh_token import RefreshTokenGrant
    from idp.oidc.server import HubOAuth2Request, ProtocolResponse


class OpenIDConnect(OpenIDCode):
    def __init__(self) -> None:
        super().__init__(require_nonce=False)

    def exists_nonce(self, nonce: str, request: HubOAuth2Request) -> bool:
        # The nonce binds the ID token to the RP's session; the RP checks it (§3.1.3.7).
        # The request is validated twice (display and decision), so nothing is recorded here.
        return False

    def __call__(self, grant: AuthorizationCodeGrant | RefreshTokenGrant) -> None:
        grant.register_hook("after_create_token_response", self.process_token)
        if is_openid_scope(grant.request.payload.scope):
            grant.register_hook(
                "after_validate_authorization_request_payload",
                self.validate_openid_authorization_request,
            )

    def process_token(self, grant: AuthorizationCodeGrant | RefreshTokenGrant,
                      response: ProtocolResponse) -> dict[str, Any]:
        token: dict[str, Any] = response[1]
        if not is_openid_scope(token.get("scope")):
            return token
        token["id_token"] = self.encode_id_token(token, grant.request)
        return token

    def encode_id_token(self, token: dict[str, Any], request: HubOAuth2Request) -> str:
        server = request.server
        client = request.client
        context = request.grant_context
        user = request.user
        assert server is not None and context is not None and user is not None  # a user's token
        extra = release(user, released_claim_names(token["scope"], context.claims, "id_token",
                                                   client.scopes))
        if extra:
            # Names only, never values: the person's history of data exchanges.
            server.rt.audit.record("id_token.released", account_id=user.id,
                                   client_id=client.client_id, acr=context.acr,
                                   claims=sorted(extra))
        return server.tokens.id_token(
            client_id=client.client_id,
            alg=client.id_token_signed_response_alg,
            subject=server.subject_of(user, client,
                                      request.unit.session() if request.unit else None),
            auth_time=context.auth_time,
            access_token=token.get("access_token"),
            nonce=context.nonce,
            acr=context.acr,
            amr=list(context.amr),
            sid=context.sid,
            extra=extra,
        )


class OpenIDRefresh(OpenIDConnect):
    """Refresh responses carry a new ID token too (OIDC Core §12.2), without nonce."""

    def __call__(self, grant: AuthorizationCodeGrant | RefreshTokenGrant) -> None:
        grant.register_hook("after_create_token_response", self.process_token)
