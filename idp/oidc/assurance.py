"""Authentication levels (acr) and methods (amr, RFC 8176) of the hub's logins.

A password alone gives the operator's password level (IDP_ACR_DEFAULT, `eidas1`: eIDAS
"low", as FranceConnect); a password and an authenticator-app code give `eidas2`
("substantial"). Levels are ordered: a higher one satisfies a request for a lower one.
"""

from __future__ import annotations

# The methods a login verified are the authentication's (idp/accounts/authentication.py).
from idp.accounts.authentication import PASSWORD_AMR, TWO_FACTOR_AMR
from idp.settings import Settings

__all__ = ["LEVELS", "PASSWORD_AMR", "TWO_FACTOR_ACR", "TWO_FACTOR_AMR", "acr_for", "acr_levels"]

TWO_FACTOR_ACR = "eidas2"
# eIDAS levels, ordered (FEDERATION.md "acr"); eidas3 is reached only through an FI.
LEVELS = {"eidas1": 1, "eidas2": 2, "eidas3": 3}


def acr_levels(settings: Settings) -> dict[str, int]:
    return {**LEVELS, settings.acr_default: 1}


def acr_for(settings: Settings, amr: tuple[str, ...]) -> str:
    return TWO_FACTOR_ACR if "otp" in amr else settings.acr_default
