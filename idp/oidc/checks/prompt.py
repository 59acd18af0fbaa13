"""OIDC Core §3.1.2.1 `prompt`: none, login, consent, select_account; and `create`
(Initiating User Registration via OpenID Connect 1.0 §4.1: start with the account creation,
then go on with the request once the new account is logged in)."""

from idp.oidc.checks.context import AuthorizationContext, NeedLogin
from idp.oidc.errors import InvalidRequestError, LoginRequiredError

SUPPORTED_PROMPTS = {"none", "login", "consent", "select_account", "create"}


def check_prompt(ctx: AuthorizationContext) -> NeedLogin | None:
    prompts = set((ctx.params.get("prompt") or "").split())
    if not prompts <= SUPPORTED_PROMPTS:
        raise InvalidRequestError("Unsupported 'prompt' value.")
    if "none" in prompts and len(prompts) > 1:
        raise InvalidRequestError("'prompt=none' cannot be combined with other values.")
    ctx.prompts = prompts
    if "create" in prompts and not ctx.fresh_login:
        # The registration page (web/pages/authorize.py); its confirmation logs the new
        # account in, after which the request resumes like any other.
        return NeedLogin("create", ctx.params.get("login_hint"))
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
