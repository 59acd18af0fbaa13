"""Authentication level (OIDC Core §3.1.2.1 acr_values, §5.5.1.1 essential acr): step-up.

The levels a client asks for come from `acr_values` and from an `acr` claim request. As
FranceConnect does, a known level in `acr_values` is a requirement, not a wish: the login
must reach the lowest level asked. A session below it is stepped up by asking the second
factor. When the account has no second factor, or the level is unknown and the request says
it is essential, the request ends with unmet_authentication_requirements (OpenID Connect
Unmet Authentication Requirements 1.0) instead of asking the user again and again. Unknown
voluntary values are ignored: the ID token says which level was reached.
"""

from typing import Any

from idp.oidc.checks.context import AuthorizationContext, NeedLogin
from idp.oidc.errors import LoginRequiredError, UnmetAuthenticationRequirementsError
from idp.oidc.refusals import about


def check_acr(ctx: AuthorizationContext) -> NeedLogin | None:
    voluntary = (ctx.params.get("acr_values") or "").split()
    essential = _essential_acr_values(ctx.claims)
    if not voluntary and not essential:
        return None
    levels = ctx.server.acr_levels
    asked = [levels[v] for v in [*voluntary, *essential] if v in levels]
    if not asked:
        if essential:
            raise about(UnmetAuthenticationRequirementsError(
                "The requested essential acr cannot be achieved."), "claims")
        return None
    needed = min(asked)
    if levels.get(ctx.authn.acr or "", 0) >= needed:
        return None
    assert ctx.authn.account is not None  # check_login_present ran before
    # A federated session reaches a higher level through an FI that gives it (the picker
    # offers only those); a local one through its second factor.
    if needed > 1 and ctx.authn.fi is None and not ctx.server.has_second_factor(
            ctx.authn.account.id):
        raise UnmetAuthenticationRequirementsError(
            "The account has no second factor: the requested acr cannot be achieved.")
    if "none" in ctx.prompts:
        raise LoginRequiredError()
    return NeedLogin("acr")


def _essential_acr_values(claims: dict[str, Any] | None) -> list[str]:
    request = ((claims or {}).get("id_token") or {}).get("acr")
    if not isinstance(request, dict) or not request.get("essential"):
        return []
    if isinstance(request.get("values"), list):
        return [str(v) for v in request["values"]]
    if request.get("value") is not None:
        return [str(request["value"])]
    return []
