"""How a Provider is kept in the database: its row, with the client secret sealed by the
keys folder's secret box (Fernet), as the second-factor seeds are."""

from __future__ import annotations

import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from idp.federation.providers import Provider
from idp.storage.models import IdentityProvider, ProviderHealth

log = logging.getLogger("idp.federation")

# The columns that hold a Provider's fields as they are (the secret is sealed apart).
PLAIN_FIELDS = ("id", "display_name", "logo_url", "discovery_url", "issuer",
                "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
                "end_session_endpoint", "client_id", "token_endpoint_auth_method", "position",
                "shown", "enabled")


def row_values(provider: Provider, box: Fernet) -> dict[str, Any]:
    """The column values of `provider`; the secret only sealed."""
    values: dict[str, Any] = {name: getattr(provider, name) for name in PLAIN_FIELDS}
    values["scopes"] = list(provider.scopes)
    values["acr_values"] = list(provider.acr_values)
    values["client_secret_sealed"] = (
        box.encrypt(provider.client_secret.encode()).decode()
        if provider.client_secret is not None else None)
    return values


def provider_from_row(row: IdentityProvider, box: Fernet | None) -> Provider:
    """The Provider of a row; its secret unsealed when `box` is given (None: not read)."""
    secret = None
    if box is not None and row.client_secret_sealed is not None:
        try:
            secret = box.decrypt(row.client_secret_sealed.encode()).decode()
        except InvalidToken:
            # The keys folder is not the one that sealed it: the FI cannot be used until
            # its secret is set again (`idp providers update --replace-secret`).
            log.error("the client secret of FI %s cannot be unsealed with this keys folder",
                      row.id)
    return Provider(
        **{name: getattr(row, name) for name in PLAIN_FIELDS},
        client_secret=secret,
        scopes=tuple(row.scopes),
        acr_values=tuple(row.acr_values),
    )


def is_unavailable(health: ProviderHealth | None) -> bool:
    return health is not None and health.unavailable_until is not None


def state_since(row: IdentityProvider, health: ProviderHealth | None) -> int:
    """When the FI entered its current state: switched off, or else the last change between
    available and unavailable (its registration at the earliest)."""
    if not row.enabled:
        return row.disabled_at or row.updated_at
    return health.state_since if health is not None else row.created_at
