from idp.oidc.checks.context import AuthorizationContext
from idp.oidc.claims import parse_claims_parameter
from idp.oidc.errors import OAuth2Error
from idp.oidc.refusals import about


def check_claims_parameter(ctx: AuthorizationContext) -> None:
    try:
        ctx.claims = parse_claims_parameter(ctx.params.get("claims"))
    except OAuth2Error as error:
        raise about(error, "claims") from None
