"""Authentication context class (OIDC Core §3.1.2.1 acr_values, §5.5.1.1 essential acr).

`acr_values` is voluntary: the ID token states the level achieved. An essential `acr` in the
`claims` parameter must be met: by logging in again when a login can reach it, otherwise the
request fails with unmet_authentication_requirements.
"""

from idp.oidc.checks.context import AuthorizationContext, NeedLogin
from idp.oidc.errors import LoginRequiredError, UnmetAuthenticationRequirementsError


def check_acr(ctx: AuthorizationContext) -> NeedLogin | None:
    essential = _essential_acr_values(ctx.claims)
    if not essential:
        return None
    if ctx.authn.acr in essential:
        return None
    achievable = set(ctx.server.acr_values_supported)
    if not achievable & set(essential):
        raise UnmetAuthenticationRequirementsError("The requested acr cannot be achieved.")
    if "none" in ctx.prompts:
        raise LoginRequiredError()
    return NeedLogin("acr")


def _essential_acr_values(claims: dict | None) -> list[str]:
    request = ((claims or {}).get("id_token") or {}).get("acr")
    if not isinstance(request, dict) or not request.get("essential"):
        return []
    if isinstance(request.get("values"), list):
        return [str(v) for v in request["values"]]
    if request.get("value") is not None:
        return [str(request["value"])]
    return []
