from idp.oidc.checks.context import AuthorizationContext
from idp.oidc.errors import (
    InvalidRequestError,
    RequestNotSupportedError,
    RequestUriNotSupportedError,
)


def check_unsupported_parameters(ctx: AuthorizationContext) -> None:
    if ctx.params.get("request"):
        raise RequestNotSupportedError("Request objects are not supported.")
    if ctx.params.get("request_uri"):
        raise RequestUriNotSupportedError("request_uri is not supported.")
    mode = ctx.params.get("response_mode")
    if mode and mode != "query":
        raise InvalidRequestError("Only response_mode=query is supported.")
