"""An upstream identity provider (FI) as the registry describes it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    id: str
    display_name: str
    logo_url: str | None
    discovery_url: str | None
    issuer: str | None
    authorization_endpoint: str | None
    token_endpoint: str | None
    userinfo_endpoint: str | None
    jwks_uri: str | None
    end_session_endpoint: str | None
    client_id: str
    client_secret: str | None
    token_endpoint_auth_method: str  # client_secret_basic | client_secret_post | private_key_jwt
    scopes: tuple[str, ...]
    acr_values: tuple[str, ...]
    position: int
    shown: bool
    enabled: bool
