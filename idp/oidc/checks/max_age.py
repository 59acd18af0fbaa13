"""OIDC Core §3.1.2.1 `max_age`: the authentication must be at most that many seconds old;
the ID token then carries `auth_time` (always present in ours)."""

from idp.oidc.checks.context import AuthorizationContext, NeedLogin
from idp.oidc.errors import InvalidRequestError, LoginRequiredError


def check_max_age(ctx: AuthorizationContext) -> NeedLogin | None:
    raw = ctx.params.get("max_age")
    if raw is None or raw == "":
        return None
    try:
        max_age = int(raw)
    except ValueError:
        raise InvalidRequestError("'max_age' must be a number of seconds.") from None
    if max_age < 0:
        raise InvalidRequestError("'max_age' must not be negative.")
    auth_time = ctx.authn.auth_time or 0
    if ctx.now - auth_time <= max_age or ctx.fresh_login:
        return None
    if "none" in ctx.prompts:
        raise LoginRequiredError()
    return NeedLogin("max_age", ctx.params.get("login_hint"))
