"""OIDC Core §3.1.2.1 `id_token_hint`: the end-user the client believes is logged in."""

import hmac

from idp.oidc.checks.context import AuthorizationContext, NeedLogin
from idp.oidc.errors import InvalidRequestError, LoginRequiredError
from idp.oidc.refusals import about


def check_id_token_hint(ctx: AuthorizationContext) -> NeedLogin | None:
    hint = ctx.params.get("id_token_hint")
    if not hint:
        return None
    claims = ctx.server.tokens.verify_id_token_hint(hint)
    if claims is None:
        raise InvalidRequestError("Invalid 'id_token_hint'.")
    account = ctx.authn.account
    if account is None:
        return None  # check_login_present asks for a login
    expected = ctx.server.subject_of(account, ctx.client)
    if hmac.compare_digest(str(claims.get("sub", "")), expected):
        return None
    if "none" in ctx.prompts:
        raise about(LoginRequiredError("The hinted user is not the one logged in."),
                    "id_token_hint")
    return NeedLogin("id_token_hint")
