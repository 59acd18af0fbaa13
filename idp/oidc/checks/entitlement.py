"""Who may use a client: its access rule, checked before any code is issued.

Rules, any of which admits the account (space-separated): `group:NAME` (the account is in
that group), `population:NAME` (portal, citizen, technical), `attribute:NAME` (the account
has that attribute, e.g. `attribute:siret`). No rule: every active account.
"""

from typing import Any

from idp.oidc.checks.context import AuthorizationContext, Refuse
from idp.oidc.errors import AccessDeniedError


def is_entitled(account: Any, access_rule: str | None) -> bool:
    if not access_rule:
        return True
    for rule in access_rule.split():
        kind, _, value = rule.partition(":")
        if kind == "group" and value in (account.groups or []):
            return True
        if kind == "population" and account.population == value:
            return True
        if kind == "attribute" and getattr(account, value, None):
            return True
    return False


def check_entitlement(ctx: AuthorizationContext) -> Refuse | None:
    if is_entitled(ctx.authn.account, ctx.client.access_rule):
        return None
    if "none" in ctx.prompts:
        raise AccessDeniedError("The account may not use this application.")
    return Refuse("not_entitled")
