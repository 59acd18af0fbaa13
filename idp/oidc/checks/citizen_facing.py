"""FranceConnect's request rules, for clients registered as citizen-facing.

FranceConnect requires of its applications a `state` and a `nonce` of at least 22
characters (about 128 bits of a URL-safe random string: enough that neither can be guessed,
OIDC Core §3.1.2.1 and RFC 6749 §10.12) and `acr_values` (the level of assurance is always
asked, never assumed). Other clients keep the OIDC rules (state and nonce recommended).
"""

from idp.oidc.checks.context import AuthorizationContext
from idp.oidc.errors import InvalidRequestError

RANDOM_VALUE_MIN = 22


def check_citizen_facing_rules(ctx: AuthorizationContext) -> None:
    if not ctx.client.citizen_facing:
        return
    for name in ("state", "nonce"):
        value = ctx.params.get(name) or ""
        if len(value) < RANDOM_VALUE_MIN:
            raise InvalidRequestError(
                f"'{name}' is required and must be at least {RANDOM_VALUE_MIN} characters "
                "long for this application.")
    if not (ctx.params.get("acr_values") or "").strip():
        raise InvalidRequestError("'acr_values' is required for this application.")
