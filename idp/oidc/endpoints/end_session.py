"""RP-Initiated Logout 1.0 §2-§3: validate a logout request. Never redirects to a URI that is
not registered for the client the request identifies; errors are shown, not redirected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.common.urls import add_params_to_uri

from idp.oidc.errors import InvalidRequestError

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer


@dataclass(frozen=True)
class LogoutRequest:
    client: Any | None
    hint: dict[str, Any] | None
    redirect_to: str | None

    @property
    def needs_confirmation(self) -> bool:
        # §2: without an id_token_hint the OP asks the user whether to log out.
        return self.hint is None


def parse_logout_request(server: HubAuthorizationServer, params: Any) -> LogoutRequest:
    hint = None
    if params.get("id_token_hint"):
        hint = server.tokens.verify_id_token_hint(params["id_token_hint"])
        if hint is None:
            raise InvalidRequestError("Invalid 'id_token_hint'.")
    client_id = params.get("client_id")
    if hint is not None:
        aud = hint.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        hinted = hint.get("azp") or audiences[0]
        if client_id and client_id not in audiences:
            raise InvalidRequestError("'client_id' does not match the 'id_token_hint'.")
        client_id = client_id or hinted
    client = server.query_client(client_id) if client_id else None
    if client_id and client is None:
        raise InvalidRequestError("Unknown client.")
    redirect_to = None
    uri = params.get("post_logout_redirect_uri")
    if uri:
        if client is None or not client.check_post_logout_redirect_uri(uri):
            raise InvalidRequestError("'post_logout_redirect_uri' is not registered.")
        redirect_to = add_params_to_uri(uri, [("state", params["state"])]) if params.get(
            "state") else uri
    return LogoutRequest(client=client, hint=hint, redirect_to=redirect_to)
