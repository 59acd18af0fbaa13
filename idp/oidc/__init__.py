"""The protocol: OpenID Connect Core 1.0, OAuth 2.0 (RFC 6749) and RFC 9700, on authlib.

``build_authorization_server(runtime)`` returns the hub's authlib server,
``server.HubAuthorizationServer``, whose constructor registers the grants (``grants/``) with
their extensions (``extensions/``), the client authentication methods (``client_auth.py``)
and the introspection and revocation endpoints (``endpoints/``). Nothing here renders HTML
or imports SQLAlchemy at run time (the database is reached through ``idp.storage``'s
repositories); only ``server.py``, authlib's binding, imports Starlette (pyproject.toml's
layer contracts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idp.oidc.server import HubAuthorizationServer

if TYPE_CHECKING:
    from idp.runtime import Runtime


def build_authorization_server(runtime: Runtime) -> HubAuthorizationServer:
    return HubAuthorizationServer(runtime)
