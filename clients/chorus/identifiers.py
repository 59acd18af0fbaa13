"""A structure's typed identifier (Chorus Pro's `typeIdentifiantStructure`, CHORUS.md):
SIRET with its INSEE key, or one of the other types with a format check. Pure functions."""

from __future__ import annotations

import re
import unicodedata

from sitekit.identifiers import valid_siret
from sitekit.texts import N_, Text

# type → (label shown, pattern of the normalised value, message when it does not match)
TYPES: dict[str, tuple[str, re.Pattern[str], str]] = {
    "SIRET": (N_("SIRET"), re.compile(r"\d{14}"),
              N_("A SIRET has 14 digits.")),
    # An intra-community VAT number: two letters of the member state, then 2 to 13 letters
    # or digits (Council Directive 2006/112/EC, art. 215).
    "UE_HORS_FRANCE": (N_("European Union outside France"), re.compile(r"[A-Z]{2}[0-9A-Z]{2,13}"),
                       N_("Give the intra-community VAT number: two letters of the country, "
                          "then 2 to 13 letters or digits.")),
    "HORS_UE": (N_("Outside the European Union"), re.compile(r"[0-9A-Z][0-9A-Z./-]{1,29}"),
                N_("Give the foreign registration number: 2 to 30 letters, digits, '.', '/' "
                   "or '-'.")),
    # New Caledonia's RIDET: 7 digits of the RID, then 3 of the establishment.
    "RIDET": (N_("RIDET (New Caledonia)"), re.compile(r"\d{10}"),
              N_("A RIDET has 10 digits (7 of the company, 3 of the establishment).")),
    # French Polynesia's TAHITI number: 6 characters, then 3 digits of the establishment.
    "TAHITI": (N_("TAHITI number (French Polynesia)"), re.compile(r"[0-9A-Z]{6}\d{3}"),
               N_("A TAHITI number has 9 characters: 6 letters or digits, then 3 digits.")),
    "AUTRE": (N_("Other"), re.compile(r"[0-9A-Z][0-9A-Z./-]{1,29}"),
              N_("Give 2 to 30 letters, digits, '.', '/' or '-'.")),
    "PARTICULIER": (N_("Private individual"), re.compile(r"[0-9A-Z][0-9A-Z./-]{1,29}"),
                    N_("Give 2 to 30 letters, digits, '.', '/' or '-'.")),
}


class IdentifierError(ValueError):
    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


def normalise(value: str) -> str:
    """Spaces (ordinary and no-break) and dots of groups removed for SIRET-like digits,
    upper case, NFKC."""
    value = unicodedata.normalize("NFKC", value).strip().upper()
    return re.sub(r"\s+", "", value)


def check(kind: str, raw: str) -> str:
    """The normalised identifier, or IdentifierError saying what is wrong."""
    if kind not in TYPES:
        raise IdentifierError(Text(N_("Choose the type of identifier.")))
    if len(raw) > 64 or any(unicodedata.category(c) == "Cc" for c in raw):
        raise IdentifierError(Text(TYPES[kind][2]))
    value = normalise(raw)
    _, pattern, message = TYPES[kind]
    if not pattern.fullmatch(value):
        raise IdentifierError(Text(message))
    if kind == "SIRET" and not valid_siret(value):
        raise IdentifierError(Text(N_("The SIRET {siret} is not valid (its key does not "
                                      "match)."), siret=value))
    return value
