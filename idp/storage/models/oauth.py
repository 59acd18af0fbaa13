"""Clients and the short- and long-lived artefacts of the protocol.

Every artefact has an expiry and is consumed or revoked by one atomic statement
(see repositories); secrets, codes, refresh tokens and session ids are stored as SHA-256.
"""

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class Client(Base):
    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    secret_expires_at: Mapped[int | None]
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    grant_types: Mapped[list[str]] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(String(1024))
    audience: Mapped[list[str]] = mapped_column(default=list)
    jwks_uri: Mapped[str | None] = mapped_column(String(1024))
    jwks: Mapped[dict[str, Any] | None]
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    # RFC 9701 §6: set, every introspection answer to this client is a signed JWT.
    introspection_signed_response_alg: Mapped[str | None] = mapped_column(String(8))
    # OIDC Dynamic Client Registration §2: set, userinfo answers are a signed JWT.
    userinfo_signed_response_alg: Mapped[str | None] = mapped_column(String(8))
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(1024))
    # Where account events are pushed (RFC 8935): a Security Event Token when an account the
    # client knew is deleted (docs/account-events.md). None: not told.
    account_events_uri: Mapped[str | None] = mapped_column(String(1024))
    subject_type: Mapped[str] = mapped_column(String(16), default="public")
    sector_identifier: Mapped[str | None] = mapped_column(String(255))
    # Who may use the client: None = every account, else "group:NAME" or "population:NAME".
    access_rule: Mapped[str | None] = mapped_column(String(255))
    home_url: Mapped[str | None] = mapped_column(String(1024))
    # What the person sees before data goes to the client: "explicit" (consent page),
    # "information" (information page) or "none" (the operator's own applications).
    consent_mode: Mapped[str] = mapped_column(String(16), default="explicit")
    # FranceConnect's request rules apply (state and nonce of 22+ characters, acr_values).
    citizen_facing: Mapped[bool] = mapped_column(default=False)
    # The upstream identity providers (FI ids) the client's users may log in with; NULL:
    # every FI (FranceConnect's per-application allow list).
    allowed_providers: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # RFC 7591: the application that registered this client through /register (NULL: the
    # operator's), the hash of its registration access token (RFC 7592) and its software_id.
    owner_client_id: Mapped[str | None] = mapped_column(String(255), index=True)
    registration_token_hash: Mapped[str | None] = mapped_column(String(64))
    software_id: Mapped[str | None] = mapped_column(String(255))
    # The operator's policy for the clients this one may register (NULL scope: none): their
    # scopes are a subset of these, their audiences among these, their secrets live at most
    # this many days.
    registration_scope: Mapped[str | None] = mapped_column(String(1024))
    registration_audiences: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    registration_max_secret_days: Mapped[int | None]
    created_at: Mapped[int]
    updated_at: Mapped[int]


class ClientsVersion(Base):
    """One row; its version is bumped in the transaction of every change of a client, so
    every process drops its cached clients within a second (oidc/clients.py ClientCache)."""

    __tablename__ = "clients_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class BrowserSession(Base):
    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The OIDC session id (`sid` claim), public, distinct from the cookie value.
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    auth_time: Mapped[int | None]
    acr: Mapped[str | None] = mapped_column(String(64))
    amr: Mapped[list[str]] = mapped_column(default=list)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[int]
    expires_at: Mapped[int] = mapped_column(index=True)


class SessionClient(Base):
    """Which clients received tokens in a browser session (for back-channel logout)."""

    __tablename__ = "session_clients"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True
    )
    # Looked up by account: an application's access withdrawn, an account deleted.
    account_id: Mapped[int] = mapped_column(index=True)
    expires_at: Mapped[int] = mapped_column(index=True)


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(1024))
    # The claims the person agreed to (or was informed of): a request for any other asks again.
    claims: Mapped[list[str]] = mapped_column(default=list)
    # "explicit" (a consent page was accepted) or "information" (an information page was seen).
    mode: Mapped[str] = mapped_column(String(16), default="explicit")
    granted_at: Mapped[int]


class Grant(Base):
    """One authorization given to a client: the family of its code, refresh and access tokens."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id", ondelete="CASCADE"))
    # Indexed: an application's access withdrawn, an account deleted (and its cascade).
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    scope: Mapped[str] = mapped_column(String(1024))
    claims: Mapped[dict[str, Any] | None]
    sid: Mapped[str | None] = mapped_column(String(64), index=True)
    auth_time: Mapped[int]
    acr: Mapped[str | None] = mapped_column(String(64))
    amr: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[int]
    expires_at: Mapped[int] = mapped_column(index=True)
    revoked_at: Mapped[int | None]


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(255))
    redirect_uri: Mapped[str] = mapped_column(String(1024))
    code_challenge: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str | None] = mapped_column(String(512))
    expires_at: Mapped[int] = mapped_column(index=True)
    consumed_at: Mapped[int | None]


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(1024))
    issued_at: Mapped[int]
    expires_at: Mapped[int] = mapped_column(index=True)
    # Set when the token was exchanged for a new one (RFC 9700 §4.14.2 rotation).
    rotated_at: Mapped[int | None]


class RevokedAccessToken(Base):
    """JWT access tokens revoked before their expiry (RFC 7009); purged after `expires_at`."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(index=True)
    revoked_at: Mapped[int]


class UsedAssertion(Base):
    """jti of private_key_jwt client assertions already seen (RFC 7523 §3, replay)."""

    __tablename__ = "used_assertions"

    client_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[int] = mapped_column(index=True)
