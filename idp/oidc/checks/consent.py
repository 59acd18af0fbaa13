"""What the person sees before data goes to a client, by the client's consent mode.

As FranceConnect does: "explicit" shows a consent page (private-sector applications),
"information" a page listing the data sent with one button (public services), "none" nothing
(the operator's own first-party applications). What was accepted or shown is remembered per
account and client, with the scopes and the claims: a request for a scope or a claim not
remembered shows the page again; an information page seen is not a consent.

prompt=consent (OIDC Core §3.1.2.1: the server SHOULD prompt for consent) shows the page in
every mode; in "none" mode it is the consent page, since nothing was ever shown to inform of.
"""

from idp.oidc.checks.context import AuthorizationContext, NeedConsent
from idp.oidc.claims import consent_claim_names
from idp.oidc.errors import ConsentRequiredError


def check_consent(ctx: AuthorizationContext) -> NeedConsent | None:
    mode = ctx.client.consent_mode
    if mode == "none" and "consent" in ctx.prompts:
        mode = "explicit"
    claims = tuple(consent_claim_names(ctx.request.scope, ctx.claims, ctx.client.scopes))
    ctx.disclosure_mode = mode
    ctx.released_claims = claims
    if mode == "none" or ctx.consent_given:
        return None
    scopes = set(ctx.request.scope.split())
    assert ctx.authn.account is not None  # check_login_present ran before
    remembered = ctx.server.remembered_disclosure(ctx.authn.account.id, ctx.client.client_id)
    covered = (
        remembered is not None
        and scopes <= remembered.scopes
        and set(claims) <= remembered.claims
        and (remembered.mode == "explicit" or mode == "information")
    )
    if covered and "consent" not in ctx.prompts:
        return None
    if "none" in ctx.prompts:
        raise ConsentRequiredError()
    return NeedConsent(scopes=tuple(sorted(scopes)), claims=claims, mode=mode)
