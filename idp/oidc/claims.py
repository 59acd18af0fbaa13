"""Which claims an application receives (OIDC Core §5.4 scopes, §5.5 the `claims` parameter).

In the code flow, claims asked for by scope go to userinfo only; the ID token carries the
protocol claims plus what the `claims` parameter's `id_token` member asks for (§5.4).

Minimal disclosure, as FranceConnect does: an application receives the claims its request
asks for (scopes and `claims` parameter) **and** its registration allows (the claims of the
scopes it is registered with, its legal authorisation). A claim asked through `claims` that no
registered scope covers is not released.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError

from idp.accounts.address import address_claim

PIVOT_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    # OIDC Core §5.4, with FranceConnect's additions to `profile` (birthdate, gender).
    "profile": ("name", "given_name", "family_name", "preferred_username", "updated_at",
                "birthdate", "gender"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
    "siret": ("siret",),
    # FranceConnect's scopes: birth, the pivot identity, and one scope per claim (its `email`
    # scope is the standard one above, which adds email_verified).
    "birth": ("birthplace", "birthcountry"),
    "identite_pivot": PIVOT_CLAIMS,
    "given_name": ("given_name",),
    "family_name": ("family_name",),
    "birthdate": ("birthdate",),
    "gender": ("gender",),
    "birthplace": ("birthplace",),
    "birthcountry": ("birthcountry",),
    "preferred_username": ("preferred_username",),
}
SUPPORTED_CLAIMS = ("sub", "acr", "auth_time", "sid", *sorted({c for v in SCOPE_CLAIMS.values()
                                                              for c in v}))


def parse_claims_parameter(raw: str | None) -> dict[str, Any] | None:
    """Validate the `claims` request parameter (§5.5); None when absent."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise InvalidRequestError("The 'claims' parameter is not valid JSON.") from None
    if not isinstance(value, dict) or not set(value) <= {"userinfo", "id_token"}:
        raise InvalidRequestError("The 'claims' parameter must hold 'userinfo' or 'id_token'.")
    for member in value.values():
        if not isinstance(member, dict):
            raise InvalidRequestError("Each 'claims' member must be a JSON object.")
        for request in member.values():
            if request is not None and not isinstance(request, dict):
                raise InvalidRequestError("Each requested claim must be null or an object.")
    return value


def requested_claim_names(scope: str, claims: dict[str, Any] | None, target: str) -> set[str]:
    """Names of the claims to release to ``target`` ('userinfo' or 'id_token')."""
    names: set[str] = set()
    if target == "userinfo":
        for s in scope.split():
            names.update(SCOPE_CLAIMS.get(s, ()))
    if claims and isinstance(claims.get(target), dict):
        names.update(n for n in claims[target] if n in SUPPORTED_CLAIMS)
    return names


def allowed_claim_names(registered_scopes: Iterable[str]) -> frozenset[str]:
    """The claims a client's registration allows: those of its registered scopes."""
    return frozenset(c for s in registered_scopes for c in SCOPE_CLAIMS.get(s, ()))


def released_claim_names(scope: str, claims: dict[str, Any] | None, target: str,
                         registered_scopes: Iterable[str]) -> set[str]:
    """Asked (scopes and `claims` parameter) ∩ allowed (registration): what ``target``
    ('userinfo' or 'id_token') receives."""
    return requested_claim_names(scope, claims, target) & allowed_claim_names(registered_scopes)


def account_claims(account: Any) -> dict[str, Any]:
    """Every claim the hub can state about an account (values None are omitted)."""
    given, family = account.given_name, account.family_name
    name = " ".join(p for p in (given, family) if p) or None
    return {
        "name": name,
        "given_name": given,
        "family_name": family,
        # An account with a pivot identity (idp/federation/pivot.py): the usage name, as
        # FranceConnect's `preferred_username`; its generated username means nothing.
        "preferred_username": (account.usage_name if account.identity_hash
                               else account.username),
        "birthdate": account.birthdate,
        "gender": account.gender,
        "birthplace": account.birthplace,  # INSEE COG commune, born in France only
        "birthcountry": account.birthcountry,  # INSEE COG country, France 99100
        "email": account.email,
        "email_verified": bool(account.email_verified) if account.email else None,
        "phone_number": account.phone_number,
        "phone_number_verified": False if account.phone_number else None,
        "address": address_claim(account),
        "siret": account.siret,
    }


def release(account: Any, names: set[str]) -> dict[str, Any]:
    available = account_claims(account)
    return {n: available[n] for n in sorted(names) if available.get(n) is not None}


def consent_claim_names(scope: str, claims: dict[str, Any] | None,
                        registered_scopes: Iterable[str]) -> list[str]:
    """Every claim this request would release, to userinfo or the ID token: what the
    consent and information pages list and the audit trail names."""
    return sorted(
        released_claim_names(scope, claims, "userinfo", registered_scopes)
        | released_claim_names(scope, claims, "id_token", registered_scopes)
    )
