"""Tokens presented to introspection (RFC 7662) and revocation (RFC 7009), looked up once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.clients import RegisteredClient
    from idp.oidc.server import HubAuthorizationServer
    from idp.storage.models import Account, Grant, RefreshToken


class PresentedAccessToken:
    kind = "access_token"

    def __init__(self, claims: dict[str, Any], revoked: bool) -> None:
        self.claims = claims
        self.revoked = revoked
        self.client_id = claims.get("client_id")

    def check_client(self, client: RegisteredClient) -> bool:
        return bool(self.client_id == client.client_id)

    def is_expired(self) -> bool:
        return False  # verify_access_token refused expired tokens already

    def is_revoked(self) -> bool:
        return self.revoked


class PresentedRefreshToken:
    kind = "refresh_token"

    def __init__(self, row: RefreshToken, grant: Grant | None, account: Account | None,
                 now: int) -> None:
        self.row = row
        self.grant = grant
        self.account = account  # None once the account is gone (then the grant is too)
        self.client_id = row.client_id
        self.now = now

    def check_client(self, client: RegisteredClient) -> bool:
        return bool(self.client_id == client.client_id)

    def is_expired(self) -> bool:
        return self.row.expires_at <= self.now

    def is_revoked(self) -> bool:
        return (
            self.grant is None or self.grant.revoked_at is not None
            or self.row.rotated_at is not None
            or self.account is None or self.account.disabled
        )


PresentedToken = PresentedAccessToken | PresentedRefreshToken


def find_presented_token(server: HubAuthorizationServer, token: str, hint: str | None,
                         ) -> PresentedToken | None:
    """An access token (a JWT of ours) or a refresh token (opaque, stored hashed)."""
    rt = server.rt
    if hint != "refresh_token" and token.count(".") == 2:
        claims = server.tokens.verify_access_token(token)
        if claims is None:
            return None
        # A token of a client removed since (RFC 7592 §2.3, `idp clients remove`) is
        # inactive: its grants went with it, and a client_credentials token has none.
        revoked = tokens_repo.is_access_token_revoked(
            rt.db, claims["jti"], claims.get("gid")) or server.query_client(
            str(claims.get("client_id", ""))) is None
        return PresentedAccessToken(claims, revoked)
    if len(token) > 512:
        return None
    with rt.db.read() as s:
        row = tokens_repo.find_refresh_token(s, token)
        if row is None:
            return None
        grant = tokens_repo.get_grant(s, row.grant_id)
        account = None if grant is None else accounts_repo.get_account(s, grant.account_id)
        return PresentedRefreshToken(row, grant, account, rt.clock.now())
