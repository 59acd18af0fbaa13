"""Consent: which scopes (and so claims) go to which client, remembered per account and client."""

from idp.oidc.checks.context import AuthorizationContext, NeedConsent
from idp.oidc.claims import consent_claim_names
from idp.oidc.errors import ConsentRequiredError


def check_consent(ctx: AuthorizationContext) -> NeedConsent | None:
    if ctx.consent_given:
        return None
    requested = set(ctx.request.scope.split())
    assert ctx.authn.account is not None  # check_login_present ran before
    granted = ctx.server.granted_scopes(ctx.authn.account.id, ctx.client.client_id)
    if requested <= granted and "consent" not in ctx.prompts:
        return None
    if "none" in ctx.prompts:
        raise ConsentRequiredError()
    return NeedConsent(
        scopes=tuple(sorted(requested)),
        claims=tuple(consent_claim_names(ctx.request.scope, ctx.claims)),
    )
