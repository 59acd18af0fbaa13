"""The protocol: OpenID Connect Core 1.0, OAuth 2.0 (RFC 6749) and RFC 9700, on authlib.

``build_authorization_server(runtime)`` registers the grants, client authentication methods,
extensions and endpoints; everything here is free of HTML and SQL.
"""

from idp.oidc.server import HubAuthorizationServer


def build_authorization_server(runtime):  # type: ignore[no-untyped-def]
    return HubAuthorizationServer(runtime)
