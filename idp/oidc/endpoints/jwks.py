"""RFC 7517 JWK Set of the hub's public signing keys: current, next and retiring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer


def jwks_document(server: HubAuthorizationServer) -> dict[str, Any]:
    return server.rt.keys.public_jwks()
