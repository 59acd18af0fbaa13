"""What every grant of ours shares: tokens are issued by the server with the grant's context.

authlib's token generators receive no request; our grants pass it so the access token can
name its grant (family) and the subject can be pairwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from idp.oidc.clients import AUTH_METHODS

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer, HubOAuth2Request
    from idp.storage.models import Account


@dataclass(frozen=True)
class GrantContext:
    """The authorization behind a token: from an authorization code or a refresh token."""

    id: str
    account_id: int
    scope: str
    claims: dict[str, Any] | None
    sid: str | None
    auth_time: int
    acr: str | None
    amr: tuple[str, ...]
    expires_at: int
    nonce: str | None = None


class TokenIssuingMixin:
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    # Set by authlib's grant (the class this is mixed into).
    server: HubAuthorizationServer
    request: HubOAuth2Request
    GRANT_TYPE: str

    def generate_token(
        self, user: Account | None = None, scope: str | None = None,
        grant_type: str | None = None, expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        return self.server.issue_tokens(
            self.request,
            grant_type or self.GRANT_TYPE,
            user,
            scope,
            include_refresh_token,
        )
