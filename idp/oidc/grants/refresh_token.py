"""Refresh token grant: RFC 6749 §6 with rotation on every use (RFC 9700 §4.14.2).

Each refresh token is single use. Presenting one that was already rotated means two parties
hold it: the whole family (the grant, its refresh and access tokens) is revoked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import grants

from idp.oidc.errors import InvalidGrantError
from idp.oidc.grants.authorization_code import grant_context
from idp.oidc.grants.issuing import TokenIssuingMixin
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.clients import RegisteredClient
    from idp.oidc.grants.issuing import GrantContext
    from idp.oidc.server import ProtocolResponse
    from idp.storage.models import Account


class PresentedRefreshToken:
    def __init__(self, token: str, client_id: str, scope: str, grant: GrantContext) -> None:
        self.token = token
        self.client_id = client_id
        self.scope = scope
        self.grant = grant

    def check_client(self, client: RegisteredClient) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope


class RefreshTokenGrant(TokenIssuingMixin, grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> PresentedRefreshToken | None:
        rt = self.server.rt
        client = self.request.client
        now = rt.clock.now()
        s = self.request.transaction()
        row = tokens_repo.find_refresh_token(s, refresh_token)
        if row is None or row.client_id != client.client_id or row.expires_at <= now:
            return None
        grant = tokens_repo.read_grant(s, row.grant_id)
        if grant is None or grant.revoked_at is not None:
            return None
        if row.rotated_at is None:
            return PresentedRefreshToken(refresh_token, row.client_id, row.scope,
                                         grant_context(grant))
        tokens_repo.revoke_grant(s, grant.id, now)
        rt.audit.write(s, "refresh_token.replayed", account_id=grant.account_id,
                       client_id=client.client_id, ip=self.request.remote_addr,
                       grant_id=grant.id)
        return None

    def create_token_response(self) -> ProtocolResponse:
        """Rotate in the token request's transaction: the presented token stays valid unless
        its successor is saved too (HubAuthorizationServer.create_token_response)."""
        presented = self.request.refresh_token
        assert presented is not None  # authlib set it from authenticate_refresh_token
        rt = self.server.rt
        redemption = tokens_repo.rotate_refresh_token(
            self.request.transaction(), presented.token, presented.client_id, rt.clock.now()
        )
        if redemption.token is None:
            # Lost a race with another use of the same token: that is a replay too.
            raise InvalidGrantError("The refresh token is no longer valid.")
        response: ProtocolResponse = super().create_token_response()
        return response

    def authenticate_user(self, refresh_token: PresentedRefreshToken) -> Account:
        self.request.grant_context = refresh_token.grant
        user = self.server.load_active_account(refresh_token.grant.account_id,
                                               self.request.transaction())
        if user is None:
            raise InvalidGrantError("The account is no longer active.")
        return user

    def revoke_old_credential(self, refresh_token: PresentedRefreshToken) -> None:
        """Nothing to do: the token was rotated in the transaction that saves its successor."""
