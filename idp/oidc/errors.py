"""Protocol errors: authlib's OAuth2Error family, plus the OpenID Connect ones it lacks."""

from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    UnsupportedResponseTypeError,
)
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """OpenID Connect Unmet Authentication Requirements 1.0: essential acr not achievable."""

    error = "unmet_authentication_requirements"


class RequestNotSupportedError(OAuth2Error):
    """OIDC Core §6: the `request` parameter (request objects) is not supported."""

    error = "request_not_supported"


class RequestUriNotSupportedError(OAuth2Error):
    """OIDC Core §6: the `request_uri` parameter is not supported."""

    error = "request_uri_not_supported"


class InvalidTokenError(OAuth2Error):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed, or invalid."""

    error = "invalid_token"
    status_code = 401


__all__ = [
    "AccessDeniedError",
    "ConsentRequiredError",
    "InteractionRequiredError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTokenError",
    "LoginRequiredError",
    "OAuth2Error",
    "RequestNotSupportedError",
    "RequestUriNotSupportedError",
    "UnauthorizedClientError",
    "UnmetAuthenticationRequirementsError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
]
