"""Authentication levels (acr) and methods (amr, RFC 8176) of the hub's logins.

A password alone gives the operator's password level (IDP_ACR_DEFAULT, `eidas1`: eIDAS
"low", as FranceConnect); a password and an authenticator-app code give `eidas2`
("substantial"). Levels are ordered: a higher one satisfies a request for a lower one.
"""

from __future__ import annotations

from idp.settings import Settings

TWO_FACTOR_ACR = "eidas2"
PASSWORD_AMR = ("pwd",)
TWO_FACTOR_AMR = ("pwd", "otp", "mfa")


def acr_levels(settings: Settings) -> dict[str, int]:
    return {settings.acr_default: 1, TWO_FACTOR_ACR: 2}


def acr_for(settings: Settings, amr: tuple[str, ...]) -> str:
    return TWO_FACTOR_ACR if "otp" in amr else settings.acr_default
