"""Authentication levels (acr) and methods (amr, RFC 8176) of the hub's logins.

A password alone gives the operator's password level (IDP_ACR_DEFAULT, `eidas1`: eIDAS
"low", as FranceConnect); a password and an authenticator-app code give `eidas2`
("substantial"). Levels are ordered: a higher one satisfies a request for a lower one.
"""

from __future__ import annotations

# The methods a login verified are the authentication's (idp/accounts/authentication.py).
from idp.accounts.authentication import PASSWORD_AMR, TWO_FACTOR_AMR
from idp.settings import Settings
from sitekit.texts import N_

__all__ = ["LEVELS", "LEVEL_LABELS", "PASSWORD_AMR", "TWO_FACTOR_ACR", "TWO_FACTOR_AMR",
           "acr_for", "acr_label", "acr_levels"]

TWO_FACTOR_ACR = "eidas2"
# eIDAS levels, ordered (FEDERATION.md "acr"); eidas3 is reached only through an FI.
LEVELS = {"eidas1": 1, "eidas2": 2, "eidas3": 3}
# The level in the words of eIDAS (Regulation 910/2014 art. 8: low, substantial, high), as
# the person's history shows it (English message ids).
LEVEL_LABELS = {1: N_("eIDAS low"), 2: N_("eIDAS substantial"), 3: N_("eIDAS high")}


def acr_levels(settings: Settings) -> dict[str, int]:
    return {**LEVELS, settings.acr_default: 1}


def acr_for(settings: Settings, amr: tuple[str, ...]) -> str:
    return TWO_FACTOR_ACR if "otp" in amr else settings.acr_default


def acr_label(settings: Settings, acr: str | None) -> str | None:
    """The message id naming `acr` in words; None for no or an unknown level."""
    level = acr_levels(settings).get(acr or "")
    return LEVEL_LABELS.get(level) if level is not None else None
