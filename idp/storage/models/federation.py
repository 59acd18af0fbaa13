"""Upstream identity providers (FI), their health, and the version that tells every process
to reload them. Times are integer seconds since the epoch (UTC)."""

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class IdentityProvider(Base):
    __tablename__ = "identity_providers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80))
    logo_url: Mapped[str | None] = mapped_column(String(1024))
    discovery_url: Mapped[str | None] = mapped_column(String(1024))
    issuer: Mapped[str | None] = mapped_column(String(1024))
    authorization_endpoint: Mapped[str | None] = mapped_column(String(1024))
    token_endpoint: Mapped[str | None] = mapped_column(String(1024))
    userinfo_endpoint: Mapped[str | None] = mapped_column(String(1024))
    jwks_uri: Mapped[str | None] = mapped_column(String(1024))
    end_session_endpoint: Mapped[str | None] = mapped_column(String(1024))
    client_id: Mapped[str] = mapped_column(String(255))
    # The client secret sealed by the keys folder's secret box (Fernet), never in clear.
    client_secret_sealed: Mapped[str | None] = mapped_column(String(1024))
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    acr_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    shown: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[int | None]
    created_at: Mapped[int]
    updated_at: Mapped[int]


class ProviderHealth(Base):
    """Consecutive failures of an FI, counted by every process in one row.

    `unavailable_until` set: the FI is unavailable (greyed on the picker); past that time the
    next probe is due. Cleared by a success.
    """

    __tablename__ = "provider_health"

    provider_id: Mapped[str] = mapped_column(
        ForeignKey("identity_providers.id", ondelete="CASCADE"), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    unavailable_until: Mapped[int | None]
    # When the FI last changed between available and unavailable.
    state_since: Mapped[int]
    last_failure_at: Mapped[int | None]
    # What went wrong, bounded, control characters removed, never a secret.
    last_failure_reason: Mapped[str | None] = mapped_column(String(200))
    last_success_at: Mapped[int | None]


class FederationVersion(Base):
    """One row; its version is bumped in the transaction of every change of the FIs (and of
    every change of their availability), so other processes reload them."""

    __tablename__ = "federation_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
