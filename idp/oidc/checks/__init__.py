"""The authorization checks authlib does not make, in the order they run (one line each).

Each check reads the AuthorizationContext and either passes (returns None), asks for user
interaction (returns NeedLogin or NeedConsent), refuses with a page (Refuse), or raises an
OAuth2Error that is sent back to the client's redirect URI.
"""

from idp.oidc.checks.acr import check_acr
from idp.oidc.checks.citizen_facing import check_citizen_facing_rules
from idp.oidc.checks.claims_param import check_claims_parameter
from idp.oidc.checks.consent import check_consent
from idp.oidc.checks.context import (
    Authn,
    AuthorizationContext,
    NeedConsent,
    NeedLogin,
    Refuse,
)
from idp.oidc.checks.entitlement import check_entitlement
from idp.oidc.checks.id_token_hint import check_id_token_hint
from idp.oidc.checks.max_age import check_max_age
from idp.oidc.checks.prompt import check_login_present, check_prompt
from idp.oidc.checks.request_params import check_unsupported_parameters

AUTHORIZATION_CHECKS = [
    check_unsupported_parameters,  # request, request_uri, response_mode (OIDC Core §6, §3.1.2.1)
    check_citizen_facing_rules,    # citizen-facing clients: state, nonce 22+ chars, acr_values
                                   # (before any login: a bad request never asks the person)
    check_prompt,                  # prompt values; none alone; login forces a fresh login
    check_claims_parameter,        # claims (§5.5) parsed and validated
    check_id_token_hint,           # the hinted subject must be the one logged in
    check_login_present,           # no session: login (or login_required for prompt=none)
    check_max_age,                 # authentication older than max_age: login again (§3.1.2.1)
    check_acr,                     # essential acr (§5.5.1.1) met, or login, or unmet error
    check_entitlement,             # the account is allowed to use this client
    check_consent,                 # per consent mode: consent or information page, remembered
]

__all__ = [
    "AUTHORIZATION_CHECKS",
    "Authn",
    "AuthorizationContext",
    "NeedConsent",
    "NeedLogin",
    "Refuse",
]
