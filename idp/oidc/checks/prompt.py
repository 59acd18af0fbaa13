"""OIDC Core §3.1.2.1 `prompt`: none, login, consent, select_account."""

from idp.oidc.checks.context import AuthorizationContext, NeedLogin
from idp.oidc.errors import InvalidRequestError, LoginRequiredError

SUPPORTED_PROMPTS = {"none", "login", "consent", "select_account"}


def check_prompt(ctx: AuthorizationContext) -> NeedLogin | None:
    prompts = set((ctx.params.get("prompt") or "").split())
    if not prompts <= SUPPORTED_PROMPTS:
        raise InvalidRequestError("Unsupported 'prompt' value.")
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequestError("'prompt=none' cannot be combined with other values.")
    ctx.prompts = prompts
    # One account per browser session: choosing an account means logging in again.
    if prompts & {"login", "select_account"} and not ctx.fresh_login:
        return NeedLogin("prompt", ctx.params.get("login_hint"))
    return None


def check_login_present(ctx: AuthorizationContext) -> NeedLogin | None:
    if ctx.authn.account is not None:
        return None
    if "none" in ctx.prompts:
        raise LoginRequiredError()
    return NeedLogin("no_session", ctx.params.get("login_hint"))
