from idp.oidc.checks.context import AuthorizationContext
from idp.oidc.claims import parse_claims_parameter


def check_claims_parameter(ctx: AuthorizationContext) -> None:
    ctx.claims = parse_claims_parameter(ctx.params.get("claims"))
