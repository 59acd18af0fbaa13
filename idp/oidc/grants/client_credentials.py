"""Client credentials grant (RFC 6749 §4.4), for technical users and connectors.

The access token is a JWT signed without any database write; `sub` is the client_id
(RFC 9068 §2.2).
"""

from authlib.oauth2.rfc6749 import grants

from idp.oidc.errors import UnauthorizedClientError
from idp.oidc.grants.issuing import TokenIssuingMixin


class ClientCredentialsGrant(TokenIssuingMixin, grants.ClientCredentialsGrant):
    def validate_token_request(self) -> None:
        super().validate_token_request()
        if self.request.client.is_public:
            # RFC 6749 §4.4: only confidential clients may use this grant.
            raise UnauthorizedClientError("Public clients cannot use client_credentials.")
