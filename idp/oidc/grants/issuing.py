"""What every grant of ours shares: tokens are issued by the server with the grant's context.

authlib's token generators receive no request; our grants pass it so the access token can
name its grant (family) and the subject can be pairwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.oidc.clients import AUTH_METHODS


@dataclass(frozen=True)
class GrantContext:
    """The authorization behind a token: from an authorization code or a refresh token."""

    id: str
    account_id: int
    scope: str
    claims: dict | None
    sid: str | None
    auth_time: int
    acr: str | None
    amr: tuple[str, ...]
    expires_at: int
    nonce: str | None = None


class TokenIssuingMixin:
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def generate_token(  # type: ignore[no-untyped-def]
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ):
        return self.server.issue_tokens(  # type: ignore[attr-defined]
            self.request,  # type: ignore[attr-defined]
            grant_type or self.GRANT_TYPE,  # type: ignore[attr-defined]
            user,
            scope,
            include_refresh_token,
        )
