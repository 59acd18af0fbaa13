"""OpenID Connect Discovery 1.0 §3 metadata, RFC 8414 fields, RFC 9207 flag, RFC 9701 §7."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from idp.oidc.claims import SUPPORTED_CLAIMS
from idp.oidc.clients import AUTH_METHODS, GRANT_TYPES
from idp.oidc.endpoints.introspection import CONFIDENTIAL_METHODS
from idp.oidc.keys import ALGORITHMS

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer
    pass


def discovery_document(server: HubAuthorizationServer) -> dict[str, Any]:
    issuer = server.rt.settings.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/logout",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        # RFC 8414 §2 / RFC 7591: for applications the operator allowed (scope registration).
        "registration_endpoint": f"{issuer}/register",
        "scopes_supported": list(server.scopes_supported),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        # "none": unsigned JSON, the default; a client registers an algorithm for JWTs.
        "userinfo_signing_alg_values_supported": [*ALGORITHMS, "none"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_METHODS,
        # RFC 9701 §7; no encryption of the answers is offered.
        "introspection_signing_alg_values_supported": list(ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": [*CONFIDENTIAL_METHODS, "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(SUPPORTED_CLAIMS),
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": list(server.acr_values_supported),
        "prompt_values_supported": ["none", "login", "consent", "select_account", "create"],
        "ui_locales_supported": ["fr", "en"],
        "claim_types_supported": ["normal"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }
