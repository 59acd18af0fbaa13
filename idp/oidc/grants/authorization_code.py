"""Authorization code grant: RFC 6749 §4.1, OIDC Core §3.1, RFC 9700 §2.1 and §4.5.

Codes are random, stored hashed, valid `code_ttl` (≤ 60 s), bound to the client, the
redirect URI and the PKCE challenge, and consumed by one atomic UPDATE. A code presented
twice revokes everything its first use issued (RFC 6749 §4.1.2).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import grants

from idp.oidc.grants.issuing import GrantContext, TokenIssuingMixin
from idp.storage.models import Grant
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.clients import RegisteredClient
    from idp.oidc.server import HubOAuth2Request
    from idp.storage.models import Account
    from idp.storage.repositories.tokens import GrantRow


class RedeemedCode:
    """What authlib and the OpenID extension read from a consumed code."""

    def __init__(self, redirect_uri: str, code_challenge: str, grant: GrantContext) -> None:
        self.redirect_uri = redirect_uri
        self.code_challenge = code_challenge
        self.code_challenge_method = "S256"
        self.grant = grant

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.grant.scope

    def get_nonce(self) -> str | None:
        return self.grant.nonce

    def get_auth_time(self) -> int:
        return self.grant.auth_time

    def get_acr(self) -> str | None:
        return self.grant.acr

    def get_amr(self) -> list[str]:
        return list(self.grant.amr)


def grant_context(grant: GrantRow, nonce: str | None = None) -> GrantContext:
    return GrantContext(
        id=grant.id,
        account_id=grant.account_id,
        scope=grant.scope,
        claims=grant.claims,
        sid=grant.sid,
        auth_time=grant.auth_time,
        acr=grant.acr,
        amr=tuple(grant.amr),
        expires_at=grant.expires_at,
        nonce=nonce,
    )


class AuthorizationCodeGrant(TokenIssuingMixin, grants.AuthorizationCodeGrant):
    AUTHORIZATION_CODE_LENGTH = 43

    def generate_authorization_code(self) -> str:
        return secrets.token_urlsafe(32)

    def save_authorization_code(self, code: str, request: HubOAuth2Request) -> None:
        rt = self.server.rt
        now = rt.clock.now()
        authn = request.authn
        assert authn is not None and authn.account is not None  # decide() set it, logged in
        grant_id = secrets.token_hex(16)
        with rt.db.transaction() as s:
            tokens_repo.create_grant(
                s,
                Grant(
                    id=grant_id,
                    client_id=request.client.client_id,
                    account_id=authn.account.id,
                    scope=request.scope,
                    claims=request.claims_param,
                    sid=authn.sid,
                    auth_time=authn.auth_time,
                    acr=authn.acr,
                    amr=list(authn.amr),
                    created_at=now,
                    expires_at=now + rt.settings.refresh_token_ttl,
                ),
            )
            tokens_repo.save_code(
                s,
                code,
                grant_id=grant_id,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri,
                code_challenge=request.payload.data["code_challenge"],
                nonce=request.payload.data.get("nonce"),
                expires_at=now + rt.settings.code_ttl,
            )
            if authn.sid:
                # Remember which clients this browser session logged into (back-channel logout).
                sessions_repo.record_session_client(
                    s, authn.sid, request.client.client_id, authn.account.id,
                    now + rt.settings.session_ttl,
                )
            if request.with_code is not None:
                request.with_code(s)
        rt.audit.record("code.issued", account_id=authn.account.id,
                        client_id=request.client.client_id, ip=request.remote_addr,
                        grant_id=grant_id)

    def query_authorization_code(self, code: str, client: RegisteredClient) -> RedeemedCode | None:
        """Consume the code in the token request's transaction: it stays unconsumed unless
        the tokens it buys are saved too (HubAuthorizationServer.create_token_response)."""
        rt = self.server.rt
        now = rt.clock.now()
        s = self.request.transaction()
        redemption = tokens_repo.consume_code(s, code, client.client_id, now)
        if redemption.replayed_grant_id:
            tokens_repo.revoke_grant(s, redemption.replayed_grant_id, now)
            rt.audit.write(s, "code.replayed", client_id=client.client_id,
                           ip=self.request.remote_addr, grant_id=redemption.replayed_grant_id)
        elif redemption.code is not None:
            row = redemption.code
            grant = tokens_repo.read_grant(s, row.grant_id)
            if grant is not None and grant.revoked_at is None:
                return RedeemedCode(
                    row.redirect_uri, row.code_challenge, grant_context(grant, row.nonce)
                )
        return None

    def delete_authorization_code(self, authorization_code: RedeemedCode) -> None:
        """Nothing to do: the code was consumed atomically when it was queried."""

    def authenticate_user(self, authorization_code: RedeemedCode) -> Account | None:
        self.request.grant_context = authorization_code.grant
        return self.server.load_active_account(authorization_code.grant.account_id,
                                               self.request.transaction())

